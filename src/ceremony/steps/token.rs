//! Steps on the HSM token: log in, generate or find the key, read its
//! public key, draw a serial, log out.

use der::Encode;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::serial_number::SerialNumber;

use super::Done;
use crate::ceremony::error::{Change, StepError};
use crate::ceremony::plan::Step;
use crate::ceremony::resume::Earlier;
use crate::ceremony::{HsmSpec, KeySpec};
use crate::hsm::{Hsm, HsmError, KeyAttributes, KeyPair, Protection, Token};
use crate::output::{fingerprint_groups, sha256_hex};
use crate::profile::ProfileError;

pub const LOGIN: &str = "login";
pub const GENERATE_KEY: &str = "generate-key";
pub const FIND_KEY: &str = "find-key";
pub const READ_PUBLIC_KEY: &str = "read-public-key";
pub const FIND_ISSUER_KEY: &str = "find-issuer-key";
pub const DRAW_SERIAL: &str = "draw-serial";
pub const LOGOUT: &str = "logout";

/// An open, logged-in HSM session: made by `login`, ended by `logout`.
pub struct Session {
    hsm: Hsm,
    pub token: Token,
}

impl Session {
    /// The RFC 5649 key wrap this token offers for unwrapping a moved key.
    pub fn key_wrap_for_unwrap(&self) -> Result<crate::hsm::KeyWrapPad, StepError> {
        Ok(self.hsm.key_wrap(self.token.label(), true)?)
    }
}

/// A key on the token with its public half as the HSM reports it.
pub struct KeyInUse {
    pub key: KeyPair,
    pub public_key: SubjectPublicKeyInfoOwned,
}

pub fn spki_sha256(spki: &SubjectPublicKeyInfoOwned) -> Result<(String, String), StepError> {
    let der = spki.to_der().map_err(ProfileError::from)?;
    Ok((sha256_hex(&der), fingerprint_groups(&der)))
}

pub fn login_step(hsm: &HsmSpec) -> Step {
    let mut details = vec![
        format!("PKCS#11 module: {}", hsm.module.display()),
        format!("token label: \"{}\"", hsm.token),
        format!("PIN: {}", hsm.pin.describe()),
    ];
    details.extend(hsm.pin.warning());
    Step::new(LOGIN, "Open the HSM and log in")
        .details(details)
        .witness("Only the officer holding the PIN sees it; it is never shown or recorded.")
}

/// Logs in on `hsm`, the module the runner opened for the first entry
/// (opened here when there is none).
pub fn login(hsm: Option<Hsm>, spec: &HsmSpec) -> Result<Done<Session>, StepError> {
    let hsm = match hsm {
        Some(hsm) => hsm,
        None => Hsm::open(&spec.module, &spec.token)?,
    };
    // For kinds whose token appears only during the ceremony (reactivate),
    // the first entry could not record it: this entry does.
    let facts = hsm.token_facts(&spec.token).ok();
    let token = hsm.login(&spec.token, &spec.pin)?;
    let mut say = vec![format!("logged in to token \"{}\"", spec.token)];
    say.extend(spec.pin.warning());
    Ok(Done::new(Session { hsm, token })
        .say(say)
        .details(serde_json::json!({
            "module": spec.module,
            "token": spec.token,
            "token_facts": facts,
            "pin": spec.pin.describe(),
            // Who entered a part, by role; never the parts.
            "pin_parts_entered_by": match &spec.pin {
                crate::hsm::PinSource::Split(holders) => Some(holders),
                _ => None,
            },
        })))
}

/// The protection the attributes read back show, for the officer.
fn kept(attributes: &KeyAttributes) -> &'static str {
    attributes
        .protection()
        .map_or("attributes read back", Protection::describe)
}

pub fn generate_key_step(key: &KeySpec) -> Step {
    Step::new(GENERATE_KEY, "Generate the key pair in the HSM")
        .details(vec![
            format!(
                "label: \"{}\"; refused if any object on the token already has it",
                key.label
            ),
            format!("algorithm: {}", key.algorithm),
            format!("private key: token object, private, {}", key.protection().describe()),
            if key.portable {
                "portable = true: the key can later be wrapped out for another HSM, under a transport key the token's security officer marks trusted (export-key); this cannot be undone, and CloudHSM can never make a key extractable later, so without it the key leaves only in this HSM's own backups".into()
            } else {
                "never extractable: the key leaves this HSM only in its own backups and clones; it can never be moved to another make of HSM".into()
            },
            "the attributes are read back and the ceremony stops if any differs".into(),
        ])
        .witness(
            "Confirm the label and algorithm match the ceremony sheet before the officer confirms.",
        )
        .confirmed()
        .lasting()
}

/// Generates the key, or, on a resume, finds the one the interrupted run
/// generated: by label and CKA_ID when the journal recorded it, by label
/// alone when the run was cut off inside the generation.
pub fn generate_key(
    session: &Session,
    spec: &KeySpec,
    earlier: Earlier,
) -> Result<Done<KeyPair>, StepError> {
    let token = &session.token;
    let (key, attributes, found) = match earlier {
        Earlier::Done(details) => {
            let key = token.find_key(&spec.label)?;
            let recorded = details
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if hex::encode(&key.id) != recorded {
                return Err(StepError::NotConfirmed(format!(
                    "the key pair labelled \"{}\" on the token has CKA_ID {}, but the journal records that the interrupted run generated CKA_ID {recorded}: it is not the key this ceremony made, so the ceremony does not go on with it",
                    spec.label,
                    hex::encode(&key.id)
                )));
            }
            let attributes = token.check_attributes(&key, Some(spec.protection()))?;
            (
                key,
                attributes,
                Some("found again by label and CKA_ID, as the journal recorded it"),
            )
        }
        Earlier::Started => match token.ensure_label_free(&spec.label) {
            Ok(()) => {
                let (key, attributes) =
                    token.generate(&spec.label, spec.algorithm, spec.portable)?;
                (key, attributes, None)
            }
            Err(HsmError::LabelExists { .. }) => {
                let key = token.find_key(&spec.label)?;
                let attributes = token.check_attributes(&key, Some(spec.protection()))?;
                (
                    key,
                    attributes,
                    Some(
                        "the interrupted run was cut off after the HSM made it and before the journal recorded it; adopted, not generated again",
                    ),
                )
            }
            Err(e) => return Err(e.into()),
        },
        Earlier::NotRun => {
            let (key, attributes) = token.generate(&spec.label, spec.algorithm, spec.portable)?;
            crate::crash::point("generated-key");
            (key, attributes, None)
        }
    };
    let id = hex::encode(&key.id);
    let change = Change {
        what: format!(
            "generated {} key pair \"{}\" (CKA_ID {id}) on token \"{}\"",
            key.algorithm,
            key.label,
            session.token.label()
        ),
        if_failed: format!(
            "the key pair \"{}\" (CKA_ID {id}) stays on the token and its label is taken: run the ceremony again \
             under another label, or have the key removed under the ceremony's dual control \
             (pkcs11-tool --delete-object --type privkey --id {id}, and --type pubkey)",
            key.label
        ),
    };
    let kept = spec.protection().describe();
    let say = match found {
        None => format!(
            "generated {} key \"{}\" (id {id}); attributes read back: {kept}",
            key.algorithm, key.label
        ),
        Some(how) => format!(
            "{} key \"{}\" (id {id}) {how}; attributes read back: {kept}",
            key.algorithm, key.label
        ),
    };
    let uri = crate::hsm::key_uri(session.token.label(), &key.label, &key.id);
    let mut details = serde_json::json!({
        "label": key.label,
        "id": id,
        "uri": uri,
        "algorithm": key.algorithm.name(),
        "attributes": attributes,
        "protection": spec.protection(),
    });
    if let (Some(how), Some(obj)) = (found, details.as_object_mut()) {
        obj.insert("found".into(), how.into());
    }
    Ok(Done::new(key.clone())
        .say(vec![say, format!("key URI: {uri}")])
        .details(details)
        .changed(change))
}

pub fn find_key_step(key: &KeySpec) -> Step {
    Step::new(FIND_KEY, "Find the existing key pair in the HSM")
        .details(vec![
            format!(
                "label: \"{}\"; exactly one private and one public key must have it",
                key.label
            ),
            format!("algorithm: must be {}", key.algorithm),
            "private key: must be a token object, private, sensitive, sign only, and never extractable or portable, as at generation".into(),
            "nothing is generated: the key was made earlier, by a key ceremony".into(),
        ])
        .witness(
            "At the next step, compare the public key fingerprint with the one on the key ceremony's sheet.",
        )
}

/// Finds the key a `key` ceremony made, checked as `generate_key` checks
/// what it generates.
pub fn find_key(session: &Session, spec: &KeySpec) -> Result<Done<KeyPair>, StepError> {
    let token = &session.token;
    let key = token.find_key(&spec.label)?;
    if key.algorithm != spec.algorithm {
        return Err(StepError::Refused(format!(
            "the key pair \"{}\" on token \"{}\" is {}, but the ceremony file says key.algorithm = \"{}\"",
            spec.label,
            token.label(),
            key.algorithm,
            spec.algorithm.name()
        )));
    }
    let attributes = token.check_attributes(&key, None)?;
    let id = hex::encode(&key.id);
    let uri = crate::hsm::key_uri(token.label(), &key.label, &key.id);
    Ok(Done::new(key.clone())
        .say(vec![
            format!(
                "found existing {} key \"{}\" (id {id}); attributes read back: {}",
                key.algorithm,
                key.label,
                kept(&attributes)
            ),
            format!("key URI: {uri}"),
        ])
        .details(serde_json::json!({
            "label": key.label,
            "id": id,
            "uri": uri,
            "algorithm": key.algorithm.name(),
            "attributes": attributes,
            "existing": true,
            "protection": attributes.protection(),
        })))
}

pub fn read_public_key_step() -> Step {
    Step::new(READ_PUBLIC_KEY, "Read the public key")
        .details(vec![
            "the SHA-256 fingerprint of the public key (SubjectPublicKeyInfo) is printed".into(),
        ])
        .witness("Read the public key fingerprint aloud and write it on the ceremony sheet.")
}

pub fn read_public_key(session: &Session, key: KeyPair) -> Result<Done<KeyInUse>, StepError> {
    let public_key = session.token.public_key(&key)?;
    let (hex, groups) = spki_sha256(&public_key)?;
    Ok(Done::new(KeyInUse { key, public_key })
        .say(vec![format!("public key SHA-256: {groups}")])
        .details(serde_json::json!({ "public_key_sha256": hex })))
}

pub fn find_issuer_key_step(label: &str, certificate: &std::path::Path) -> Step {
    Step::new(
        FIND_ISSUER_KEY,
        "Find the root key and match it to the issuer certificate",
    )
    .details(vec![
        format!("label: \"{label}\"; exactly one key pair must have it"),
        format!(
            "its public key must be the one in {}",
            certificate.display()
        ),
        "its attributes must still be sensitive and sign only, and never extractable, portable or imported".into(),
    ])
    .witness(
        "Compare the public key fingerprint printed with the one on the root ceremony's sheet.",
    )
}

/// Finds the key by label and proves it is the issuer certificate's key.
pub fn find_issuer_key(
    session: &Session,
    label: &str,
    issuer: &Certificate,
    issuer_path: &std::path::Path,
) -> Result<Done<KeyInUse>, StepError> {
    let token = &session.token;
    let key = token.find_key(label)?;
    let attributes = token.check_attributes(&key, None)?;
    let public_key = token.public_key(&key)?;
    let (hex, groups) = spki_sha256(&public_key)?;
    let issuer_spki = issuer.tbs_certificate().subject_public_key_info();
    if &public_key != issuer_spki {
        return Err(StepError::IssuerKeyMismatch {
            label: label.into(),
            certificate: issuer_path.display().to_string(),
            hsm: hex,
            issuer: spki_sha256(issuer_spki)?.0,
        });
    }
    let uri = crate::hsm::key_uri(token.label(), &key.label, &key.id);
    let say = vec![
        format!(
            "found {} key \"{}\"; it is the issuer certificate's key; {}",
            key.algorithm,
            key.label,
            kept(&attributes)
        ),
        format!("public key SHA-256: {groups}"),
        format!("key URI: {uri}"),
    ];
    let details = serde_json::json!({
        "label": key.label,
        "id": hex::encode(&key.id),
        "uri": uri,
        "algorithm": key.algorithm.name(),
        "attributes": attributes,
        "protection": attributes.protection(),
        "public_key_sha256": hex,
    });
    Ok(Done::new(KeyInUse { key, public_key })
        .say(say)
        .details(details))
}

pub fn draw_serial_step() -> Step {
    Step::new(DRAW_SERIAL, "Draw the serial number").details(vec![
        "16 octets from the HSM's random number generator, 126 of them random bits".into(),
    ])
}

/// Draws the serial, or, on a resume, takes the one the interrupted run
/// drew: the certificate it signed, or would have, keeps its serial.
pub fn draw_serial(session: &Session, earlier: Earlier) -> Result<Done<SerialNumber>, StepError> {
    if let Earlier::Done(details) = earlier {
        let recorded = details
            .get("serial")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let bytes = hex::decode(recorded)
            .ok()
            .filter(|b| b.len() == 16)
            .ok_or_else(|| {
                StepError::NotConfirmed(format!(
                    "the journal's serial number {recorded:?} is not 16 octets in hex: the journal cannot be resumed"
                ))
            })?;
        let serial = SerialNumber::new(&bytes).map_err(ProfileError::from)?;
        return Ok(Done::new(serial)
            .say(vec![format!(
                "serial number 0x{recorded}, as the interrupted run drew it"
            )])
            .details(serde_json::json!({ "serial": recorded })));
    }
    let mut bytes = session.token.random(16)?;
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
    Ok(Done::new(serial)
        .say(vec![format!("serial number 0x{}", hex::encode(&bytes))])
        .details(serde_json::json!({ "serial": hex::encode(&bytes) })))
}

pub fn logout_step() -> Step {
    Step::new(LOGOUT, "Log out and close the session")
}

pub fn logout(session: Session) -> Result<Done<()>, StepError> {
    session.token.close()?;
    session.hsm.close()?;
    Ok(Done::new(()).say(vec!["logged out".into()]))
}

pub const PROVE_KEY: &str = "prove-key";

pub fn prove_key_step() -> Step {
    Step::new(
        PROVE_KEY,
        "Prove the key signs as the root certificate's key",
    )
    .details(vec![
        "32 random octets from the HSM are signed with the key".into(),
        "the signature is verified in software under the root certificate's public key".into(),
    ])
    .witness("A key that only looks like the root's cannot pass: watch for \"verified\".")
}

/// A test signature over a random challenge, verified under the
/// certificate's key: the restored key is the root's, not only its label.
pub fn prove_key(
    session: &Session,
    key: &KeyInUse,
    certificate: &Certificate,
) -> Result<Done<()>, StepError> {
    let challenge = session.token.random(32)?;
    let alg = crate::profile::algorithm::SignatureAlgorithm::from_identifier(
        certificate.signature_algorithm(),
    )?;
    let signature = session.token.sign(&key.key, alg, &challenge)?;
    crate::profile::verify::verify_signature(
        certificate.tbs_certificate().subject_public_key_info(),
        alg,
        &challenge,
        &signature,
    )
    .map_err(|e| {
        StepError::Refused(format!(
            "the key \"{}\" signed the challenge, but the signature does not verify under the root certificate's key ({e}): it is not the root key",
            key.key.label
        ))
    })?;
    Ok(Done::new(())
        .say(vec![format!(
            "signed a random challenge with \"{}\" ({alg}); verified under the root certificate's key",
            key.key.label
        )])
        .details(serde_json::json!({
            "challenge": hex::encode(&challenge),
            "signature": hex::encode(&signature),
            "algorithm": alg.name(),
        })))
}
