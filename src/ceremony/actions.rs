//! What each step of a plan does. Each action takes what earlier steps
//! left in `State` and reports what the transcript should record.

use std::collections::BTreeMap;

use der::pem::LineEnding;
use der::{Encode, EncodePem};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use super::plan::Action;
use super::{Body, Ceremony, RootCeremony, SubordinateCeremony};
use crate::hsm::{Hsm, HsmError, KeyPair, Token};
use crate::output::{OutputError, Staged, fingerprint_groups, sha256_hex};
use crate::profile::algorithm::{KeyAlgorithm, SignatureAlgorithm};
use crate::profile::checks::Expected;
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
            // Positive, and a fixed length so it never loses a leading octet.
            bytes[0] = (bytes[0] & 0x7f) | 0x40;
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
            let i = issuance(c, issuer_key, need(&s.key, "the key")?)?;
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
            let tbs = lint::prepare(make, issuer_key, i.issuer_key_algorithm, &i.expected)?;
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
            let i = issuance(c, issuer_key, key)?;
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
    issuer_key: &SubjectPublicKeyInfoOwned,
    key: &KeyPair,
) -> Result<Issuance, StepError> {
    match &c.body {
        Body::Root(r) => Ok(root_issuance(r, issuer_key, key.algorithm)),
        Body::Subordinate(sub) => Ok(subordinate_issuance(sub)),
        Body::Key(_) => Err(StepError::Order("a certificate to issue")),
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

fn subordinate_issuance(sub: &SubordinateCeremony) -> Issuance {
    let issuer = sub.issuer.tbs_certificate().subject().clone();
    Issuance {
        profile: CaProfile::Subordinate(Box::new(SubordinateProfile {
            subject: sub.csr.subject.clone(),
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
            subject: sub.csr.subject.clone(),
            issuer,
            public_key: sub.csr.public_key.clone(),
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
        subject_key: sub.csr.public_key.clone(),
        validity: sub.validity,
        signature: sub.signature,
        issuer_key_algorithm: sub.issuer_key_algorithm,
    }
}
