//! What each step of a plan does. Each action takes what earlier steps
//! left in `State` and reports what the transcript should record.

use std::collections::BTreeMap;

use der::pem::LineEnding;
use der::{Encode, EncodePem};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::serial_number::SerialNumber;

use super::plan::Action;
use super::{Body, Ceremony, RootCeremony};
use crate::hsm::{Hsm, HsmError, KeyPair, Token};
use crate::output::{OutputError, Staged, fingerprint_groups, sha256_hex};
use crate::profile::checks::Expected;
use crate::profile::root::RootProfile;
use crate::profile::{ProfileError, Tbs, lint};

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("internal error: {0} is not available at this step")]
    Order(&'static str),
}

#[derive(Default)]
pub(super) struct State {
    hsm: Option<Hsm>,
    token: Option<Token>,
    key: Option<KeyPair>,
    public_key: Option<SubjectPublicKeyInfoOwned>,
    serial: Option<SerialNumber>,
    tbs: Option<Tbs<RootProfile>>,
    certificate: Option<Certificate>,
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

pub(super) fn execute(action: Action, c: &Ceremony, s: &mut State) -> Result<Done, StepError> {
    let key_spec = match &c.body {
        Body::Key(k) => &k.key,
        Body::Root(r) => &r.key,
    };
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
            let der = spki.to_der().map_err(ProfileError::from)?;
            let done = Done {
                say: vec![format!("public key SHA-256: {}", fingerprint_groups(&der))],
                details: serde_json::json!({ "public_key_sha256": sha256_hex(&der) }),
                ..Done::default()
            };
            s.public_key = Some(spki);
            Ok(done)
        }
        Action::DrawSerial => {
            let token = need(&s.token, "the HSM session")?;
            let mut bytes = token.random(16)?;
            // Positive, and a fixed length so it never loses a leading octet.
            bytes[0] = (bytes[0] & 0x7f) | 0x40;
            let serial = SerialNumber::new(&bytes).map_err(ProfileError::from)?;
            let done = Done {
                say: vec![format!("serial number 0x{}", hex::encode(&bytes))],
                details: serde_json::json!({ "serial": hex::encode(&bytes) }),
                ..Done::default()
            };
            s.serial = Some(serial);
            Ok(done)
        }
        Action::PrepareRootCertificate => {
            let Body::Root(r) = &c.body else {
                return Err(StepError::Order("a root ceremony"));
            };
            let spki = need(&s.public_key, "the public key")?;
            let serial = need(&s.serial, "the serial number")?;
            let key = need(&s.key, "the key")?;
            let make = |signer_key| {
                Tbs::new(
                    root_profile(r),
                    serial.clone(),
                    r.validity,
                    spki.clone(),
                    signer_key,
                    r.signature,
                )
            };
            let tbs = lint::prepare(make, spki, key.algorithm, &root_expected(r, spki))?;
            let done = Done {
                say: vec![
                    format!("subject {}", r.subject),
                    "the lint certificate passed every check; the TBS for the HSM is byte-identical".into(),
                ],
                details: serde_json::json!({ "tbs_sha256": sha256_hex(&tbs.der) }),
                ..Done::default()
            };
            s.tbs = Some(tbs);
            Ok(done)
        }
        Action::SignRootCertificate => {
            let Body::Root(r) = &c.body else {
                return Err(StepError::Order("a root ceremony"));
            };
            let token = need(&s.token, "the HSM session")?;
            let key = need(&s.key, "the key")?;
            let spki = need(&s.public_key, "the public key")?;
            let tbs = s.tbs.take().ok_or(StepError::Order("the checked TBS"))?;
            let signature = token.sign(key, r.signature, &tbs.der)?;
            let cert = lint::finish(tbs, &signature, spki, &root_expected(r, spki))?;
            let der = cert.to_der().map_err(ProfileError::from)?;
            s.certificate = Some(cert);
            Ok(Done {
                say: vec![
                    "signed; the signature verifies in software and the certificate passed every check again".into(),
                    format!("certificate SHA-256: {}", fingerprint_groups(&der)),
                ],
                details: serde_json::json!({ "certificate_sha256": sha256_hex(&der) }),
                ..Done::default()
            })
        }
        Action::WriteArtifacts => {
            let spki = need(&s.public_key, "the public key")?;
            let pub_pem = spki.to_pem(LineEnding::LF).map_err(ProfileError::from)?;
            let mut files = vec![];
            match &c.body {
                Body::Key(k) => files.push((k.public_key.clone(), pub_pem.into_bytes())),
                Body::Root(r) => {
                    let cert = need(&s.certificate, "the certificate")?;
                    let pem = cert.to_pem(LineEnding::LF).map_err(ProfileError::from)?;
                    files.push((r.certificate.clone(), pem.into_bytes()));
                    files.push((r.public_key.clone(), pub_pem.into_bytes()));
                }
            }
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
            Ok(done)
        }
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

fn root_profile(r: &RootCeremony) -> RootProfile {
    RootProfile {
        subject: r.subject.clone(),
        path_len: r.path_len,
        crl_urls: r.crl_urls.clone(),
        policies: r.policies.clone(),
    }
}

fn root_expected(r: &RootCeremony, spki: &SubjectPublicKeyInfoOwned) -> Expected {
    Expected {
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
    }
}
