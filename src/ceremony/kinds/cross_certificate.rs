//! `cross-certificate`: the current root signs a CA certificate for the
//! next root generation (its subject and key taken from that root's
//! self-signed certificate), so that relying parties that trust only the
//! current root can build a path to everything under the new one.

use std::path::{Path, PathBuf};

use der::referenced::OwnedToRef;
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};
use x509_cert::time::Validity;

use super::Entry;
use crate::ceremony::file::{
    HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, ca_path_len, distinct,
    hsm_spec, inside_issuer, output, policies, read_input, read_issuer, resolve, signature,
    time_text, urls, validity,
};
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token;
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step};
use crate::output::sha256_hex;
use crate::profile::ecosystem::Ecosystem;
use crate::profile::extensions::key_identifier;
use crate::profile::subordinate::SubordinateTemplate;
use crate::profile::verify::verify_certificate;

pub const ENTRY: Entry = Entry {
    name: "cross-certificate",
    load,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectSection {
    /// The new root's self-signed certificate.
    certificate: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossCertificateSection {
    not_before: toml::Value,
    not_after: toml::Value,
    signature: String,
    path_len: Option<i64>,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    aia_ca_issuers: Vec<String>,
    #[serde(default)]
    policies: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossOutputs {
    certificate: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    issuer: IssuerSection,
    subject: SubjectSection,
    certificate: CrossCertificateSection,
    outputs: CrossOutputs,
}

#[derive(Debug, Clone)]
pub struct CrossCertificateCeremony {
    pub hsm: HsmSpec,
    pub issuer_label: String,
    pub issuer_path: PathBuf,
    pub issuer_file: Vec<u8>,
    pub issuer: Certificate,
    pub subject_path: PathBuf,
    pub subject_file: Vec<u8>,
    /// The new root's self-signed certificate: its subject and key.
    pub subject: Certificate,
    pub template: SubordinateTemplate,
    pub certificate: PathBuf,
    pub transcript: PathBuf,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: CrossFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let IssuerRead {
        label: issuer_label,
        path: issuer_path,
        file: issuer_file,
        certificate: issuer,
        facts,
    } = read_issuer(f.issuer, "issuer", src.dir, IssuerUse::SignCertificates, p);
    let subject_path = resolve(src.dir, &f.subject.certificate);
    let subject_file = read_input(&subject_path, "subject.certificate", p);
    let subject = subject_file.as_ref().and_then(|bytes| {
        match crate::profile::document::read_certificate(bytes) {
            Ok((cert, _)) => Some(cert),
            Err(e) => {
                p.add(
                    "subject.certificate",
                    format!("{} {e}", subject_path.display()),
                );
                None
            }
        }
    });
    if let Some(new_root) = &subject {
        for problem in new_root_problems(new_root, issuer.as_ref()) {
            p.add(
                "subject.certificate",
                format!("{}: {problem}", subject_path.display()),
            );
        }
    }
    let c = f.certificate;
    let (nb_text, na_text) = (time_text(&c.not_before), time_text(&c.not_after));
    let (not_before, not_after) = validity(&nb_text, &na_text, p);
    if let Some(cert) = &issuer {
        inside_issuer(
            (not_before.as_ref(), &nb_text),
            (not_after.as_ref(), &na_text),
            cert,
            p,
        );
    }
    let signature = signature(
        &c.signature,
        "certificate.signature",
        facts.as_ref().map(|f| (f.algorithm, "the issuer's")),
        p,
    );
    let path_len = ca_path_len(
        c.path_len,
        "is required for a cross-certificate: the new root's own subordinates sit below it, so it is usually the new root's pathLen",
        facts.as_ref(),
        p,
    );
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let ca_issuers = urls(&c.aia_ca_issuers, "certificate.aia_ca_issuers", p);
    let policies = policies(&c.policies, "certificate.policies", p);
    let o = f.outputs;
    let certificate = output(src.dir, &o.certificate, "outputs.certificate", p);
    let transcript = output(src.dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.certificate", &certificate),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Ok((|| {
        let issuer = issuer?;
        let tbs = issuer.tbs_certificate();
        let template = SubordinateTemplate {
            issuer: tbs.subject().clone(),
            issuer_validity: *tbs.validity(),
            issuer_key_id: facts?.key_id,
            validity: Validity::new(not_before?, not_after?),
            signature: signature?,
            path_len: path_len?,
            digital_signature: false,
            crl_urls,
            ca_issuers,
            policies,
            name_constraints: None,
            ecosystem: Ecosystem::Pkix,
            issuer_certificate: Some(issuer.clone()),
            vendor_id: None,
            product_id: None,
        };
        Some(Box::new(CrossCertificateCeremony {
            hsm: hsm?,
            issuer_label,
            issuer_path,
            issuer_file: issuer_file?,
            issuer,
            subject_path,
            subject_file: subject_file?,
            subject: subject?,
            template,
            certificate,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

/// What makes `new_root` unfit to be cross-certified by `issuer`.
fn new_root_problems(new_root: &Certificate, issuer: Option<&Certificate>) -> Vec<String> {
    let mut problems = Vec::new();
    let tbs = new_root.tbs_certificate();
    let spki = tbs.subject_public_key_info();
    if tbs.subject() != tbs.issuer() || verify_certificate(new_root, spki).is_err() {
        problems.push(
            "is not a self-signed root certificate (its issuer differs from its subject, or its signature does not verify under its own key)".into(),
        );
    }
    let is_ca = tbs
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, bc)| bc.ca);
    if !is_ca {
        problems.push("is not a CA certificate (no basicConstraints CA:TRUE)".into());
    }
    // Paths through the cross-certificate and through the new root must
    // meet the same authorityKeyIdentifier below them: the cross-certificate
    // carries the SHA-1 key identifier, so the new root must too.
    let ski = tbs
        .get_extension::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, ski)| ski.0.as_bytes().to_vec());
    match (ski, key_identifier(spki.owned_to_ref())) {
        (Some(theirs), Ok(ours)) if theirs == ours => {}
        (None, _) => problems.push(
            "has no subjectKeyIdentifier: the certificates below it could not be matched to the cross-certificate".into(),
        ),
        (Some(theirs), _) => problems.push(format!(
            "its subjectKeyIdentifier {} is not the SHA-1 of its key, which the cross-certificate would carry: the certificates below the new root would not chain through it",
            hex::encode(theirs)
        )),
    }
    if let Some(issuer) = issuer {
        let itbs = issuer.tbs_certificate();
        if spki == itbs.subject_public_key_info() {
            problems.push(
                "carries the issuer's own key: a cross-certificate is for another root's key"
                    .into(),
            );
        }
        if tbs.subject() == itbs.subject() {
            problems.push(format!(
                "has the issuer's own subject {}: give the new generation a name of its own (such as G2), or paths cannot tell the two apart",
                tbs.subject()
            ));
        }
    }
    problems
}

impl Kind for CrossCertificateCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn hsm(&self) -> Option<&HsmSpec> {
        Some(&self.hsm)
    }

    fn inputs(&self) -> Vec<(PathBuf, String)> {
        vec![
            (self.issuer_path.clone(), sha256_hex(&self.issuer_file)),
            (self.subject_path.clone(), sha256_hex(&self.subject_file)),
        ]
    }

    fn steps(&self) -> Vec<Step> {
        let subject = self.subject.tbs_certificate();
        let mut lines = vec![
            format!(
                "subject (from {}): {}",
                self.subject_path.display(),
                subject.subject()
            ),
            format!(
                "public key (from {}): SHA-256 {}",
                self.subject_path.display(),
                token::spki_sha256(subject.subject_public_key_info())
                    .map(|(_, groups)| groups)
                    .unwrap_or_default()
            ),
        ];
        lines.extend(self.template.plan_lines());
        vec![
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.issuer_label, &self.issuer_path),
            token::draw_serial_step(),
            certificate::prepare_step("cross", lines),
            certificate::sign_step("cross", "current root's key", "under the issuer certificate's key")
                .witness("Confirm the subject and the public key fingerprint printed at the previous step are the new root's, as its ceremony sheet records them."),
            certificate::write_step(
                "Write the cross-certificate",
                &[("cross-certificate (PEM)", &self.certificate)],
            ),
            token::logout_step(),
        ]
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        let key = r.step(token::FIND_ISSUER_KEY, || {
            token::find_issuer_key(
                &session,
                &self.issuer_label,
                &self.issuer,
                &self.issuer_path,
            )
        })?;
        let serial = r.resuming(token::DRAW_SERIAL, |earlier| {
            token::draw_serial(&session, earlier)
        })?;
        let tbs = self.subject.tbs_certificate();
        let profile = self.template.for_subject(tbs.subject().clone());
        let prepared = r.step(certificate::PREPARE, || {
            certificate::prepare(&profile, &serial, tbs.subject_public_key_info(), &key)
        })?;
        let cert = r.resuming(certificate::SIGN, |earlier| {
            certificate::sign(&session, &key, prepared, earlier)
        })?;
        r.resuming(certificate::WRITE, |_| {
            let files = vec![Artifact {
                path: self.certificate.clone(),
                bytes: certificate::certificate_pem(&cert)?,
            }];
            certificate::write(
                files,
                Some(&cert),
                format!(
                    "the cross-certificate {} is written and complete",
                    self.certificate.display()
                ),
            )
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}
