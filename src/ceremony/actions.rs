//! What each step of a plan does. Each action takes what earlier steps
//! left in `State` and reports what the transcript should record.

use std::collections::BTreeMap;

use der::pem::LineEnding;
use der::{Encode, EncodePem};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use super::install::{InstallError, Installed, install};
use super::plan::Action;
use super::{Body, Ceremony, CsrSource, RootCeremony, SubordinateCeremony};
use crate::aws::AwsError;
use crate::aws::pca::{CaStatus, PrivateCa};
use crate::hsm::{Hsm, HsmError, KeyPair, Token};
use crate::output::{OutputError, Staged, fingerprint_groups, sha256_hex};
use crate::profile::algorithm::{KeyAlgorithm, SignatureAlgorithm};
use crate::profile::checks::Expected;
use crate::profile::csr::Csr;
use crate::profile::pca_import::{Signed, preflight};
use crate::profile::root::RootProfile;
use crate::profile::subordinate::SubordinateProfile;
use crate::profile::{CaProfile, ProfileError, Tbs, lint};

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(
        "the key labelled \"{label}\" is not the key of the issuer certificate {certificate}: \
         public key SHA-256 {hsm} in the HSM, {issuer} in the certificate"
    )]
    IssuerKeyMismatch {
        label: String,
        certificate: String,
        hsm: String,
        issuer: String,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The input or the outside world says no; nothing was changed.
    #[error("{0}")]
    Refused(String),
    /// Private CA did not end up as the import said it would.
    #[error("{0}")]
    NotConfirmed(String),
    #[error("internal error: {0} is not available at this step")]
    Order(&'static str),
}

#[derive(Default)]
pub(super) struct State {
    hsm: Option<Hsm>,
    token: Option<Token>,
    key: Option<KeyPair>,
    /// The public key of the HSM key in use, as read from the HSM.
    public_key: Option<SubjectPublicKeyInfoOwned>,
    serial: Option<SerialNumber>,
    tbs: Option<Tbs<CaProfile>>,
    certificate: Option<Certificate>,
    pca: Option<PrivateCa>,
    /// The CSR fetched from Private CA.
    fetched_csr: Option<Csr>,
}

/// What a step did: printed for the officer, recorded in the transcript.
#[derive(Default)]
pub(super) struct Done {
    pub say: Vec<String>,
    pub details: serde_json::Value,
    pub outputs: BTreeMap<std::path::PathBuf, String>,
    /// The step changed the HSM or the outside world.
    pub changed: bool,
}

fn need<'a, T>(v: &'a Option<T>, what: &'static str) -> Result<&'a T, StepError> {
    v.as_ref().ok_or(StepError::Order(what))
}

fn spki_sha256(spki: &SubjectPublicKeyInfoOwned) -> Result<(String, String), StepError> {
    let der = spki.to_der().map_err(ProfileError::from)?;
    Ok((sha256_hex(&der), fingerprint_groups(&der)))
}

pub(super) fn execute(action: Action, c: &Ceremony, s: &mut State) -> Result<Done, StepError> {
    match action {
        Action::Login => {
            let hsm = Hsm::open(&c.hsm.module)?;
            let token = hsm.login(&c.hsm.token, &c.hsm.pin)?;
            s.hsm = Some(hsm);
            s.token = Some(token);
            Ok(Done {
                say: vec![format!("logged in to token \"{}\"", c.hsm.token)],
                details: serde_json::json!({ "module": c.hsm.module, "token": c.hsm.token }),
                ..Done::default()
            })
        }
        Action::GenerateKey => {
            let key_spec = match &c.body {
                Body::Key(k) => &k.key,
                Body::Root(r) => &r.key,
                Body::Subordinate(_) => return Err(StepError::Order("a key to generate")),
            };
            let token = need(&s.token, "the HSM session")?;
            let (key, attributes) = token.generate(&key_spec.label, key_spec.algorithm)?;
            let done = Done {
                say: vec![format!(
                    "generated {} key \"{}\" (id {}); attributes read back: sensitive, never extractable, sign only",
                    key.algorithm,
                    key.label,
                    hex::encode(&key.id)
                )],
                details: serde_json::json!({
                    "label": key.label,
                    "id": hex::encode(&key.id),
                    "algorithm": key.algorithm.name(),
                    "attributes": attributes,
                }),
                changed: true,
                ..Done::default()
            };
            s.key = Some(key);
            Ok(done)
        }
        Action::ReadPublicKey => {
            let token = need(&s.token, "the HSM session")?;
            let key = need(&s.key, "the key")?;
            let spki = token.public_key(key)?;
            let (hex, groups) = spki_sha256(&spki)?;
            s.public_key = Some(spki);
            Ok(Done {
                say: vec![format!("public key SHA-256: {groups}")],
                details: serde_json::json!({ "public_key_sha256": hex }),
                ..Done::default()
            })
        }
        Action::FindIssuerKey => {
            let Body::Subordinate(sub) = &c.body else {
                return Err(StepError::Order("an issuer"));
            };
            let token = need(&s.token, "the HSM session")?;
            let key = token.find_key(&sub.issuer_label)?;
            let attributes = token.check_attributes(&key)?;
            let spki = token.public_key(&key)?;
            let (hex, groups) = spki_sha256(&spki)?;
            let issuer_spki = sub.issuer.tbs_certificate().subject_public_key_info();
            if &spki != issuer_spki {
                return Err(StepError::IssuerKeyMismatch {
                    label: sub.issuer_label.clone(),
                    certificate: sub.issuer_path.display().to_string(),
                    hsm: hex,
                    issuer: spki_sha256(issuer_spki)?.0,
                });
            }
            let done = Done {
                say: vec![
                    format!(
                        "found {} key \"{}\"; it is the issuer certificate's key",
                        key.algorithm, key.label
                    ),
                    format!("public key SHA-256: {groups}"),
                ],
                details: serde_json::json!({
                    "label": key.label,
                    "id": hex::encode(&key.id),
                    "algorithm": key.algorithm.name(),
                    "attributes": attributes,
                    "public_key_sha256": hex,
                }),
                ..Done::default()
            };
            s.key = Some(key);
            s.public_key = Some(spki);
            Ok(done)
        }
        Action::DrawSerial => {
            let token = need(&s.token, "the HSM session")?;
            let mut bytes = token.random(16)?;
            let complete = bytes.len() == 16;
            let Some(first) = bytes.first_mut().filter(|_| complete) else {
                return Err(StepError::Hsm(HsmError::BadResponse {
                    what: "random bytes",
                    reason: "C_GenerateRandom did not return the 16 octets asked for".into(),
                }));
            };
            // Positive, and a fixed length so it never loses a leading octet.
            *first = (*first & 0x7f) | 0x40;
            let serial = SerialNumber::new(&bytes).map_err(ProfileError::from)?;
            s.serial = Some(serial);
            Ok(Done {
                say: vec![format!("serial number 0x{}", hex::encode(&bytes))],
                details: serde_json::json!({ "serial": hex::encode(&bytes) }),
                ..Done::default()
            })
        }
        Action::PrepareCertificate => {
            let issuer_key = need(&s.public_key, "the issuer's public key")?;
            let serial = need(&s.serial, "the serial number")?;
            let i = issuance(c, s, issuer_key, need(&s.key, "the key")?)?;
            let make = |signer_key| {
                Tbs::new(
                    i.profile.clone(),
                    serial.clone(),
                    i.validity,
                    i.subject_key.clone(),
                    signer_key,
                    i.signature,
                )
            };
            let (tbs, lint_cert) =
                lint::prepare(make, issuer_key, i.issuer_key_algorithm, &i.expected)?;
            if let Body::Subordinate(sub) = &c.body {
                if sub.import.is_some() {
                    preflight(
                        &lint_cert,
                        std::slice::from_ref(&sub.issuer),
                        &i.subject_key,
                        Signed::ByLintKey,
                    )
                    .map_err(|e| StepError::Refused(e.to_string()))?;
                }
            }
            s.tbs = Some(tbs);
            let mut say = vec![
                format!("subject   {}", i.expected.subject),
                format!("issuer    {}", i.expected.issuer),
                format!(
                    "validity  {} to {}",
                    i.validity.not_before.to_date_time(),
                    i.validity.not_after.to_date_time()
                ),
            ];
            if let Body::Subordinate(sub) = &c.body {
                if let Some(nc) = &sub.name_constraints {
                    say.push("name constraints:".into());
                    say.extend(nc.describe().into_iter().map(|l| format!("  {l}")));
                }
            }
            say.push(
                "the lint certificate passed every check; the TBS for the HSM is byte-identical"
                    .into(),
            );
            Ok(Done {
                say,
                details: serde_json::json!({ "tbs_sha256": s.tbs.as_ref().map(|t| sha256_hex(&t.der)) }),
                ..Done::default()
            })
        }
        Action::SignCertificate => {
            let token = need(&s.token, "the HSM session")?;
            let key = need(&s.key, "the key")?;
            let issuer_key = need(&s.public_key, "the issuer's public key")?;
            let i = issuance(c, s, issuer_key, key)?;
            let tbs = s.tbs.take().ok_or(StepError::Order("the checked TBS"))?;
            let signature = token.sign(key, i.signature, &tbs.der)?;
            let cert = lint::finish(tbs, &signature, issuer_key, &i.expected)?;
            let der = cert.to_der().map_err(ProfileError::from)?;
            s.certificate = Some(cert);
            Ok(Done {
                say: vec![
                    "signed; the signature verifies in software and the certificate passed every check again".into(),
                ],
                details: serde_json::json!({ "certificate_sha256": sha256_hex(&der) }),
                ..Done::default()
            })
        }
        Action::WriteArtifacts => write_artifacts(c, s),
        Action::CheckPrivateCa => check_private_ca(c, s),
        Action::ImportIntoPrivateCa => import_into_private_ca(c, s),
        Action::Logout => {
            let token = s.token.take().ok_or(StepError::Order("the HSM session"))?;
            token.close()?;
            if let Some(hsm) = s.hsm.take() {
                hsm.close()?;
            }
            Ok(Done {
                say: vec!["logged out".into()],
                ..Done::default()
            })
        }
    }
}

fn write_artifacts(c: &Ceremony, s: &State) -> Result<Done, StepError> {
    let pem = |cert: &Certificate| -> Result<Vec<u8>, StepError> {
        Ok(cert
            .to_pem(LineEnding::LF)
            .map_err(ProfileError::from)?
            .into_bytes())
    };
    let public_pem = || -> Result<Vec<u8>, StepError> {
        let spki = need(&s.public_key, "the public key")?;
        Ok(spki
            .to_pem(LineEnding::LF)
            .map_err(ProfileError::from)?
            .into_bytes())
    };
    let files = match &c.body {
        Body::Key(k) => vec![(k.public_key.clone(), public_pem()?)],
        Body::Root(r) => vec![
            (
                r.certificate.clone(),
                pem(need(&s.certificate, "the certificate")?)?,
            ),
            (r.public_key.clone(), public_pem()?),
        ],
        // The chain is what Private CA takes as CertificateChain: the issuer.
        Body::Subordinate(sub) => vec![
            (
                sub.certificate.clone(),
                pem(need(&s.certificate, "the certificate")?)?,
            ),
            (sub.chain.clone(), pem(&sub.issuer)?),
        ],
    };
    let mut staged = Staged::default();
    for (path, bytes) in &files {
        staged.add(path, bytes)?;
    }
    staged.commit()?;
    let mut done = Done {
        changed: true,
        ..Done::default()
    };
    for (path, bytes) in files {
        done.say.push(format!("wrote {}", path.display()));
        done.outputs.insert(path, sha256_hex(&bytes));
    }
    // What the witness reads aloud: the fingerprint openssl shows, over
    // the certificate's DER.
    if let Some(cert) = &s.certificate {
        let der = cert.to_der().map_err(ProfileError::from)?;
        done.say
            .push(format!("certificate SHA-256: {}", fingerprint_groups(&der)));
    }
    Ok(done)
}

fn subordinate(c: &Ceremony) -> Result<&SubordinateCeremony, StepError> {
    match &c.body {
        Body::Subordinate(sub) => Ok(sub),
        _ => Err(StepError::Order("a subordinate ceremony")),
    }
}

/// Learns from Private CA everything that could make it refuse, before the
/// HSM is opened: the CA's state, its current CSR, and whether importing
/// would replace a certificate.
fn check_private_ca(c: &Ceremony, s: &mut State) -> Result<Done, StepError> {
    let sub = subordinate(c)?;
    let arn = match (&sub.csr, &sub.import) {
        (CsrSource::PrivateCa { arn }, _) => arn.clone(),
        (_, Some(i)) => i.arn.clone(),
        _ => return Err(StepError::Order("a Private CA ARN")),
    };
    let pca = PrivateCa::connect(&sub.aws)?;
    // A CA that does not exist, or is in no state to take a certificate, is
    // a refusal of the ceremony file's ARN: nothing has been touched yet.
    let ca = pca.describe(&arn).map_err(|e| match e {
        AwsError::NotFound { .. } | AwsError::InvalidArn { .. } | AwsError::WrongState { .. } => {
            StepError::Refused(e.to_string())
        }
        other => StepError::Aws(other),
    })?;
    if !matches!(ca.status, CaStatus::PendingCertificate | CaStatus::Active) {
        return Err(StepError::Refused(format!(
            "{arn} is {}; a certificate can be installed only while it is PENDING_CERTIFICATE or ACTIVE",
            ca.status
        )));
    }
    if ca.ca_type != "SUBORDINATE" {
        return Err(StepError::Refused(format!(
            "{arn} is a {} CA; the root signs only SUBORDINATE CAs",
            ca.ca_type
        )));
    }
    let pem = pca.csr(&arn)?;
    let csr = Csr::parse(pem.as_bytes())
        .map_err(|e| StepError::Refused(format!("the CSR of {arn} {e}")))?;
    let problems = csr.problems_with(&sub.issuer);
    if !problems.is_empty() {
        return Err(StepError::Refused(format!(
            "the CSR of {arn}: {}",
            problems.join("; ")
        )));
    }
    let mut say = vec![
        format!(
            "{arn}: {} {} CA, {}",
            ca.status, ca.ca_type, ca.key_algorithm
        ),
        match ca.status {
            CaStatus::Active => {
                "ACTIVE: the certificate signed today will replace the one it has".into()
            }
            _ => "PENDING_CERTIFICATE: the certificate signed today will be its first".into(),
        },
    ];
    let mut installed_sha256 = None;
    if ca.status == CaStatus::Active {
        if let Some(installed) = pca.certificate(&arn)? {
            installed_sha256 = Some(sha256_hex(installed.certificate_pem.as_bytes()));
            if sub.import.as_ref().is_some_and(|i| !i.replace) {
                return Err(StepError::Refused(format!(
                    "{arn} is ACTIVE with a certificate already; replacing it needs replace = true in [import]"
                )));
            }
        }
    }
    match &sub.csr {
        CsrSource::File { csr: from_file, .. } => {
            if from_file.public_key != csr.public_key {
                return Err(StepError::Refused(format!(
                    "P1: the key in csr.file is not the key of {arn}'s current CSR; Private CA would refuse the import"
                )));
            }
            say.push("the CSR file carries the key of the CA's current CSR".into());
        }
        CsrSource::PrivateCa { .. } => {
            say.push(format!("CSR subject {}, key {}", csr.subject, csr.key));
            let ignored = super::file::ignored_by_csr(pem.as_bytes());
            if !ignored.is_empty() {
                say.push("ignored from the CSR (the ceremony file decides the extensions):".into());
                say.extend(ignored.into_iter().map(|l| format!("  {l}")));
            }
        }
    }
    let details = serde_json::json!({
        "arn": arn,
        "status": ca.status.as_str(),
        "csr_sha256": sha256_hex(pem.as_bytes()),
        "installed_certificate_sha256": installed_sha256,
    });
    if matches!(sub.csr, CsrSource::PrivateCa { .. }) {
        s.fetched_csr = Some(csr);
    }
    s.pca = Some(pca);
    Ok(Done {
        say,
        details,
        ..Done::default()
    })
}

/// Imports the signed certificate and proves Private CA took it.
fn import_into_private_ca(c: &Ceremony, s: &mut State) -> Result<Done, StepError> {
    let sub = subordinate(c)?;
    let import = sub
        .import
        .as_ref()
        .ok_or(StepError::Order("an [import] section"))?;
    let cert = need(&s.certificate, "the signed certificate")?;
    let csr = csr_of(sub, s)?;
    let pca = need(&s.pca, "the Private CA connection")?;
    let outcome = install(
        pca,
        &import.arn,
        cert,
        std::slice::from_ref(&sub.issuer),
        &csr.public_key,
        import.replace,
    )
    .map_err(|e| match e {
        InstallError::Refused(m) => StepError::Refused(m),
        InstallError::NotConfirmed(m) => StepError::NotConfirmed(m),
        InstallError::Aws(e) => StepError::Aws(e),
    })?;
    Ok(Done {
        say: outcome.say(&import.arn),
        details: serde_json::json!({
            "arn": import.arn,
            "already_installed": outcome == Installed::AlreadyThere,
            "replaced": outcome == Installed::Replaced,
        }),
        changed: outcome != Installed::AlreadyThere,
        ..Done::default()
    })
}

/// Everything the certificate being issued depends on.
struct Issuance {
    profile: CaProfile,
    expected: Expected,
    subject_key: SubjectPublicKeyInfoOwned,
    validity: Validity,
    signature: SignatureAlgorithm,
    issuer_key_algorithm: KeyAlgorithm,
}

fn issuance(
    c: &Ceremony,
    s: &State,
    issuer_key: &SubjectPublicKeyInfoOwned,
    key: &KeyPair,
) -> Result<Issuance, StepError> {
    match &c.body {
        Body::Root(r) => Ok(root_issuance(r, issuer_key, key.algorithm)),
        Body::Subordinate(sub) => Ok(subordinate_issuance(sub, csr_of(sub, s)?)),
        Body::Key(_) => Err(StepError::Order("a certificate to issue")),
    }
}

/// The subordinate's CSR: from the file, or as fetched from Private CA.
fn csr_of<'a>(sub: &'a SubordinateCeremony, s: &'a State) -> Result<&'a Csr, StepError> {
    match &sub.csr {
        CsrSource::File { csr, .. } => Ok(csr),
        CsrSource::PrivateCa { .. } => need(&s.fetched_csr, "the CSR fetched from Private CA"),
    }
}

fn root_issuance(
    r: &RootCeremony,
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: KeyAlgorithm,
) -> Issuance {
    Issuance {
        profile: CaProfile::Root(RootProfile {
            subject: r.subject.clone(),
            path_len: r.path_len,
            crl_urls: r.crl_urls.clone(),
            policies: r.policies.clone(),
        }),
        expected: Expected {
            subject: r.subject.clone(),
            issuer: r.subject.clone(),
            public_key: spki.clone(),
            algorithm: r.signature,
            validity: r.validity,
            path_len: r.path_len,
            digital_signature: false,
            authority_key_id: None,
            crl_urls: r.crl_urls.clone(),
            ca_issuers: vec![],
            policies: r.policies.clone(),
            name_constraints: false,
        },
        subject_key: spki.clone(),
        validity: r.validity,
        signature: r.signature,
        issuer_key_algorithm: algorithm,
    }
}

fn subordinate_issuance(sub: &SubordinateCeremony, csr: &Csr) -> Issuance {
    let issuer = sub.issuer.tbs_certificate().subject().clone();
    Issuance {
        profile: CaProfile::Subordinate(Box::new(SubordinateProfile {
            subject: csr.subject.clone(),
            issuer: issuer.clone(),
            issuer_key_id: sub.issuer_key_id.clone(),
            path_len: sub.path_len,
            digital_signature: sub.digital_signature,
            crl_urls: sub.crl_urls.clone(),
            ca_issuers: sub.ca_issuers.clone(),
            policies: sub.policies.clone(),
            name_constraints: sub.name_constraints.as_ref().map(|nc| nc.to_extension()),
        })),
        expected: Expected {
            subject: csr.subject.clone(),
            issuer,
            public_key: csr.public_key.clone(),
            algorithm: sub.signature,
            validity: sub.validity,
            path_len: Some(sub.path_len),
            digital_signature: sub.digital_signature,
            authority_key_id: Some(sub.issuer_key_id.clone()),
            crl_urls: sub.crl_urls.clone(),
            ca_issuers: sub.ca_issuers.clone(),
            policies: sub.policies.clone(),
            name_constraints: sub.name_constraints.is_some(),
        },
        subject_key: csr.public_key.clone(),
        validity: sub.validity,
        signature: sub.signature,
        issuer_key_algorithm: sub.issuer_key_algorithm,
    }
}
