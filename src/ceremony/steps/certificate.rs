//! Issuing a certificate: build it and check it on a throwaway lint key,
//! have the HSM sign the identical bytes, check it again, write it.

use std::path::{Path, PathBuf};

use der::pem::LineEnding;
use der::{DecodePem, Encode, EncodePem};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::serial_number::SerialNumber;

use super::Done;
use super::token::{KeyInUse, Session};
use crate::ceremony::error::{Change, StepError};
use crate::ceremony::plan::Step;
use crate::ceremony::resume::Earlier;
use crate::output::{Staged, fingerprint_groups, sha256_hex};
use crate::profile::checks::{CHECKS, Expected};
use crate::profile::{CertificateProfile, ProfileError, Tbs, lint};

pub const PREPARE: &str = "prepare-certificate";
pub const SIGN: &str = "sign-certificate";
pub const WRITE: &str = "write-artifacts";

/// A TBS that passed every check on the lint copy, with what the checks
/// expect of the signed certificate.
pub struct Prepared<P: CertificateProfile> {
    tbs: Tbs<P>,
    expected: Expected,
    /// The lint-signed copy, for rules beyond the checks (Private CA's).
    pub lint_certificate: Certificate,
}

fn checks_line() -> String {
    format!(
        "signed first with a throwaway lint key and checked ({} to {})",
        CHECKS.first().map_or("", |c| c.id),
        CHECKS.last().map_or("", |c| c.id)
    )
}

/// The plan entry: `lines` are the profile's, and any the kind adds.
pub fn prepare_step(what: &str, mut lines: Vec<String>) -> Step {
    lines.push(checks_line());
    Step::new(PREPARE, &format!("Build and check the {what} certificate")).details(lines)
}

/// Builds the TBS for `subject_key` under `profile`, signs and checks the
/// lint copy, and returns the identical TBS for the HSM.
pub fn prepare<P: CertificateProfile>(
    profile: &P,
    serial: &SerialNumber,
    subject_key: &SubjectPublicKeyInfoOwned,
    issuer: &KeyInUse,
) -> Result<Done<Prepared<P>>, StepError> {
    let expected = profile.expected(subject_key)?;
    let make = |signer_key| {
        Tbs::new(
            profile.clone(),
            serial.clone(),
            profile.validity(),
            subject_key.clone(),
            signer_key,
            profile.signature(),
        )
    };
    let (tbs, lint_certificate) =
        lint::prepare(make, &issuer.public_key, issuer.key.algorithm, &expected)?;
    let v = profile.validity();
    let say = vec![
        format!("subject   {}", expected.subject),
        format!("issuer    {}", expected.issuer),
        format!(
            "validity  {} to {}",
            v.not_before.to_date_time(),
            v.not_after.to_date_time()
        ),
        "the lint certificate passed every check; the TBS for the HSM is byte-identical".into(),
    ];
    let details = serde_json::json!({ "tbs_sha256": sha256_hex(&tbs.der) });
    Ok(Done::new(Prepared {
        tbs,
        expected,
        lint_certificate,
    })
    .say(say)
    .details(details))
}

pub fn sign_step(what: &str, signer: &str, verified_under: &str) -> Step {
    Step::new(
        SIGN,
        &format!("Sign the {what} certificate with the {signer}"),
    )
    .details(vec![
        "the HSM signs the very bytes that passed the checks".into(),
        format!("the signature is verified in software {verified_under}"),
        "the signed certificate is parsed back and checked again".into(),
    ])
    .confirmed()
}

/// Has the HSM sign the prepared TBS; on a resume after the signing, takes
/// the certificate the journal recorded instead, once it is shown to be
/// of the very TBS prepared now: the ceremony never signs a second one.
pub fn sign<P: CertificateProfile>(
    session: &Session,
    issuer: &KeyInUse,
    prepared: Prepared<P>,
    earlier: Earlier,
) -> Result<Done<Certificate>, StepError> {
    let cert = match earlier {
        Earlier::Done(details) => {
            let pem = details
                .get("certificate_pem")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| {
                StepError::NotConfirmed(format!(
                    "the journal records the signing but not a readable certificate ({e}): the journal cannot be resumed"
                ))
            })?;
            let tbs = cert
                .tbs_certificate()
                .to_der()
                .map_err(ProfileError::from)?;
            if tbs != prepared.tbs.der {
                return Err(StepError::NotConfirmed(
                    "the certificate the interrupted run signed is not the one this run prepared (the inputs differ): rootca does not sign a second, different certificate for one ceremony; close the journal with --abandon".into(),
                ));
            }
            lint::check_signed(
                &cert,
                prepared.tbs.algorithm(),
                &issuer.public_key,
                &prepared.expected,
            )?;
            cert
        }
        Earlier::NotRun | Earlier::Started => {
            let signature =
                session
                    .token
                    .sign(&issuer.key, prepared.tbs.algorithm(), &prepared.tbs.der)?;
            lint::finish(
                prepared.tbs,
                &signature,
                &issuer.public_key,
                &prepared.expected,
            )?
        }
    };
    let der = cert.to_der().map_err(ProfileError::from)?;
    let serial = hex::encode(cert.tbs_certificate().serial_number().as_bytes());
    let pem = String::from_utf8(certificate_pem(&cert)?).unwrap_or_default();
    let change = Change {
        what: format!(
            "the key \"{}\" signed the certificate with serial 0x{serial} (SHA-256 {})",
            issuer.key.label,
            sha256_hex(&der)
        ),
        if_failed: "the signed certificate is recorded whole in the transcript (entry of the signing step, details.certificate_pem): an auditor can account for it even if it was never written".into(),
    };
    Ok(Done::new(cert)
        .say(vec![
            "signed; the signature verifies in software and the certificate passed every check again".into(),
        ])
        .details(serde_json::json!({
            "certificate_sha256": sha256_hex(&der),
            "serial": serial,
            "certificate_pem": pem,
        }))
        .changed(change))
}

/// One file a ceremony writes: where, what it is called in the plan, and
/// its bytes.
pub struct Artifact {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

pub fn certificate_pem(cert: &Certificate) -> Result<Vec<u8>, StepError> {
    Ok(cert
        .to_pem(LineEnding::LF)
        .map_err(ProfileError::from)?
        .into_bytes())
}

pub fn public_key_pem(spki: &SubjectPublicKeyInfoOwned) -> Result<Vec<u8>, StepError> {
    Ok(spki
        .to_pem(LineEnding::LF)
        .map_err(ProfileError::from)?
        .into_bytes())
}

/// `files` are (description, path) pairs, as the plan shows them.
pub fn write_step(title: &str, files: &[(&str, &Path)]) -> Step {
    let mut details: Vec<String> = files
        .iter()
        .map(|(what, path)| format!("{what}: {}", path.display()))
        .collect();
    if files.len() > 1 {
        details.push("nothing is overwritten; the files appear together or not at all".into());
    }
    Step::new(WRITE, title)
        .details(details)
        .witness(if files.len() > 1 {
            "Read the certificate fingerprint aloud and write it on the ceremony sheet."
        } else {
            "Compare the fingerprint printed with the one written down."
        })
        .lasting()
}

/// Writes the artifacts all together or not at all. `if_failed` is what
/// the officer does with them should a later step fail.
pub fn write(
    files: Vec<Artifact>,
    certificate: Option<&Certificate>,
    if_failed: String,
) -> Result<Done<()>, StepError> {
    let mut staged = Staged::default();
    for f in &files {
        // A file placed by an interrupted run of this ceremony, byte for
        // byte, is kept; any other file there is never overwritten.
        if std::fs::symlink_metadata(&f.path).is_ok_and(|m| m.is_file())
            && crate::input::read_bounded(&f.path, crate::input::limit::DOCUMENT)
                .is_ok_and(|b| b == f.bytes)
        {
            continue;
        }
        staged.add(&f.path, &f.bytes)?;
    }
    staged.commit()?;
    let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    let mut done = Done::new(()).changed(Change {
        what: format!("wrote {}", names.join(", ")),
        if_failed,
    });
    for f in files {
        done.say.push(format!("wrote {}", f.path.display()));
        done.outputs.insert(f.path, sha256_hex(&f.bytes));
    }
    // What the witness reads aloud: the fingerprint openssl shows, over
    // the certificate's DER.
    if let Some(cert) = certificate {
        let der = cert.to_der().map_err(ProfileError::from)?;
        done.say
            .push(format!("certificate SHA-256: {}", fingerprint_groups(&der)));
    }
    Ok(done)
}
