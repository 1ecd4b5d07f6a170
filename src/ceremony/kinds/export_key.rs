//! `export-key`: wrap a portable root key for a named target HSM, under
//! the transport key that target made (`import-key`, stage "transport"),
//! and write the wrapped key with a manifest of hashes.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use super::Entry;
use crate::ceremony::error::StepError;
use crate::ceremony::file::{
    HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, distinct, hsm_spec, output,
    pin_source, plain_text, read_input, read_issuer, resolve,
};
use crate::ceremony::steps::Done;
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token::{self, KeyInUse, Session};
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step};
use crate::hsm::{Hsm, PinSource, Protection, TRANSPORT_BITS, Trusted, Wrapped};
use crate::output::key_move::{self, Manifest};
use crate::output::{fingerprint_groups, sha256_hex};

pub const ENTRY: Entry = Entry {
    name: "export-key",
    load,
};

pub const TRUST: &str = "trust-transport-key";
pub const WRAP: &str = "wrap-key";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSection {
    /// The HSM the key goes to, as the ceremony sheets name it.
    name: String,
    /// The target's transport public key (PEM), from its import-key
    /// ceremony's first stage.
    transport_public_key: PathBuf,
    /// Its SHA-256 as read aloud in the target room.
    transport_sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustSection {
    /// How the source token's security officer PIN is given.
    so_pin: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportOutputs {
    wrapped_key: PathBuf,
    manifest: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    root: IssuerSection,
    target: TargetSection,
    trust: TrustSection,
    outputs: ExportOutputs,
}

#[derive(Debug, Clone)]
pub struct ExportKeyCeremony {
    pub hsm: HsmSpec,
    pub root_label: String,
    pub root_path: PathBuf,
    pub root_file: Vec<u8>,
    pub root: Certificate,
    pub target: String,
    pub transport_path: PathBuf,
    pub transport_file: Vec<u8>,
    pub transport: SubjectPublicKeyInfoOwned,
    pub so_pin: PinSource,
    pub wrapped_key: PathBuf,
    pub manifest: PathBuf,
    pub transcript: PathBuf,
}

/// Reads the transport public key, checking it is RSA of at least the
/// size rootca makes and that its fingerprint is the one read aloud.
fn read_transport(
    path: &Path,
    bytes: &[u8],
    spoken: &str,
    p: &mut Problems,
) -> Option<SubjectPublicKeyInfoOwned> {
    use der::DecodePem;
    let field = "target.transport_public_key";
    let spki = match SubjectPublicKeyInfoOwned::from_pem(bytes) {
        Ok(k) => k,
        Err(e) => {
            p.add(
                field,
                format!(
                    "{} is not a PEM public key (\"BEGIN PUBLIC KEY\"): {e}",
                    path.display()
                ),
            );
            return None;
        }
    };
    let bits = crate::profile::algorithm::PublicKeyKind::of(&spki).ok();
    match bits {
        Some(crate::profile::algorithm::PublicKeyKind::Rsa { bits, .. })
            if bits as u64 >= TRANSPORT_BITS => {}
        other => p.add(
            field,
            format!(
                "{} holds {}; a transport key is RSA of {TRANSPORT_BITS} bits or more, as import-key makes it",
                path.display(),
                other.map_or("a key rootca cannot read".into(), |k| k.to_string())
            ),
        ),
    }
    let der = match der::Encode::to_der(&spki) {
        Ok(der) => der,
        Err(e) => {
            p.add(field, format!("{}: {e}", path.display()));
            return None;
        }
    };
    let actual = sha256_hex(&der);
    match key_move::normalise_fingerprint(spoken) {
        None => p.add(
            "target.transport_sha256",
            format!(
                "\"{spoken}\" is not a SHA-256 fingerprint: 64 hex digits, as import-key printed it (spaces allowed)"
            ),
        ),
        Some(heard) if heard != actual => p.add(
            "target.transport_sha256",
            format!(
                "{spoken} is not the fingerprint of {} ({}): the key file is not the one the target room read aloud; stop and find out why",
                path.display(),
                fingerprint_groups(&der)
            ),
        ),
        Some(_) => {}
    }
    Some(spki)
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: ExportFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let IssuerRead {
        label,
        path,
        file,
        certificate,
        ..
    } = read_issuer(f.root, "root", src.dir, IssuerUse::SignCertificates, p);
    plain_text(&f.target.name, "target.name", p);
    if f.target.name.trim().is_empty() {
        p.add(
            "target.name",
            "must name the HSM the key goes to, as the ceremony sheets do",
        );
    }
    let transport_path = resolve(src.dir, &f.target.transport_public_key);
    let transport_file = read_input(&transport_path, "target.transport_public_key", p);
    let transport = transport_file
        .as_ref()
        .and_then(|b| read_transport(&transport_path, b, &f.target.transport_sha256, p));
    let so_pin = pin_source(f.trust.so_pin.as_ref(), src.dir, "trust.so_pin", p);
    let o = f.outputs;
    let wrapped_key = output(src.dir, &o.wrapped_key, "outputs.wrapped_key", p);
    let manifest = output(src.dir, &o.manifest, "outputs.manifest", p);
    let transcript = output(src.dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.wrapped_key", &wrapped_key),
            ("outputs.manifest", &manifest),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Ok((|| {
        Some(Box::new(ExportKeyCeremony {
            hsm: hsm?,
            root_label: label,
            root_path: path,
            root_file: file?,
            root: certificate?,
            target: f.target.name,
            transport_path,
            transport_file: transport_file?,
            transport: transport?,
            so_pin: so_pin?,
            wrapped_key,
            manifest,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

impl Kind for ExportKeyCeremony {
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
            (self.root_path.clone(), sha256_hex(&self.root_file)),
            (
                self.transport_path.clone(),
                sha256_hex(&self.transport_file),
            ),
        ]
    }

    fn steps(&self) -> Vec<Step> {
        let transport = token::spki_sha256(&self.transport)
            .map(|(_, groups)| groups)
            .unwrap_or_default();
        vec![
            Step::new(
                TRUST,
                "The security officer marks the target's transport key trusted",
            )
            .details(vec![
                format!("target HSM: {}", self.target),
                format!(
                    "transport public key (from {}): SHA-256 {transport}",
                    self.transport_path.display()
                ),
                "before the officer logs in, the token must offer RSA-OAEP and AES key wrap with padding (RFC 5649: CKM_AES_KEY_WRAP_PAD, or CloudHSM's CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD) to wrap with".into(),
                format!("security officer PIN: {}", self.so_pin.describe()),
                "the transport key and an ephemeral AES-256 key are put on the token as trusted session objects, for this export only; the officer logs out at once".into(),
            ])
            .witness("Compare the transport key fingerprint with the one read aloud in the target room and written on both sheets.")
            .confirmed(),
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.root_label, &self.root_path),
            Step::new(WRAP, "Wrap the root key for the target HSM")
                .details(vec![
                    "the key must have been generated portable (CKA_EXTRACTABLE, CKA_WRAP_WITH_TRUSTED): any other is refused".into(),
                    "the AES key wraps the root key (AES key wrap with padding, RFC 5649); the transport key wraps the AES key (RSA-OAEP)".into(),
                    "the trusted objects are destroyed right after".into(),
                ])
                .confirmed(),
            certificate::write_step(
                "Write the wrapped key and its manifest",
                &[
                    ("wrapped key", &self.wrapped_key),
                    ("manifest (JSON)", &self.manifest),
                ],
            ),
            token::logout_step(),
        ]
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let (hsm, trusted, serial) = r.step(TRUST, || self.trust(hsm))?;
        let session = r.step(token::LOGIN, || token::login(Some(hsm), &self.hsm))?;
        let key = r.step(token::FIND_ISSUER_KEY, || {
            token::find_issuer_key(&session, &self.root_label, &self.root, &self.root_path)
        })?;
        let wrapped = r.step(WRAP, || self.wrap(&session, &key, trusted))?;
        r.resuming(certificate::WRITE, |_| {
            let manifest = self.manifest_of(&key, &wrapped, serial.clone())?;
            let files = vec![
                Artifact {
                    path: self.wrapped_key.clone(),
                    bytes: wrapped.blob.clone(),
                },
                Artifact {
                    path: self.manifest.clone(),
                    bytes: manifest.to_json(),
                },
            ];
            certificate::write(
                files,
                None,
                "the wrapped key and its manifest are written and complete".into(),
            )
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}

impl ExportKeyCeremony {
    fn trust(&self, hsm: Option<Hsm>) -> Result<Done<(Hsm, Trusted, Option<String>)>, StepError> {
        let hsm = match hsm {
            Some(hsm) => hsm,
            None => Hsm::open(&self.hsm.module, &self.hsm.token)?,
        };
        let serial = hsm.token_facts(&self.hsm.token).ok().map(|f| f.serial);
        let trusted = hsm.trust_for_export(&self.hsm.token, &self.so_pin, &self.transport)?;
        let (hex, groups) = token::spki_sha256(&self.transport)?;
        Ok(Done::new((hsm, trusted, serial))
            .say(vec![
                format!("transport key SHA-256 {groups} marked trusted for this export"),
                "the security officer logged out".into(),
            ])
            .details(serde_json::json!({
                "target": self.target,
                "transport_public_key_sha256": hex,
                "so_pin": self.so_pin.describe(),
            })))
    }

    fn wrap(
        &self,
        session: &Session,
        key: &KeyInUse,
        trusted: Trusted,
    ) -> Result<Done<Wrapped>, StepError> {
        let attributes = match session.token.check_attributes(&key.key, None) {
            Ok(a) => a,
            Err(e) => {
                trusted.close();
                return Err(e.into());
            }
        };
        if attributes.protection() != Some(Protection::Portable) {
            let kept = attributes
                .protection()
                .map_or("not portable", Protection::describe);
            trusted.close();
            return Err(StepError::Refused(format!(
                "the key \"{}\" is {kept}: it was not generated with portable = true, and CKA_EXTRACTABLE cannot be made true afterwards, so it cannot be wrapped for another HSM; it moves only in its own HSM's backups and clones",
                key.key.label
            )));
        }
        let wrapped = session.token.wrap_for_transport(&trusted, &key.key);
        let pad = trusted.key_wrap();
        let closed = trusted.close();
        let wrapped = wrapped?;
        Ok(Done::new(wrapped)
            .say(vec![format!("wrapped \"{}\"; {closed}", key.key.label)])
            .details(serde_json::json!({
                "label": key.key.label,
                "protection": attributes.protection(),
                "construction": key_move::CONSTRUCTION,
                "aes_key_wrap": pad.name(),
            })))
    }

    fn manifest_of(
        &self,
        key: &KeyInUse,
        wrapped: &Wrapped,
        serial: Option<String>,
    ) -> Result<Manifest, StepError> {
        let (public_key_sha256, _) = token::spki_sha256(&key.public_key)?;
        let (transport_sha256, _) = token::spki_sha256(&self.transport)?;
        Ok(Manifest {
            format: key_move::FORMAT.into(),
            key: key_move::MovedKey {
                label: key.key.label.clone(),
                algorithm: key.key.algorithm.name().into(),
                public_key_sha256,
                certificate_subject: self.root.tbs_certificate().subject().to_string(),
                certificate_sha256: sha256_hex(
                    &der::Encode::to_der(&self.root).map_err(crate::profile::ProfileError::from)?,
                ),
            },
            source: key_move::Source {
                token: self.hsm.token.clone(),
                token_serial: serial,
            },
            target: key_move::Target {
                name: self.target.clone(),
                transport_public_key_sha256: transport_sha256,
            },
            wrapping: key_move::Wrapping {
                construction: key_move::CONSTRUCTION.into(),
                oaep: wrapped.oaep,
                oaep_block_octets: wrapped.oaep_len,
            },
            wrapped_key: key_move::WrappedFile {
                file: self
                    .wrapped_key
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                octets: wrapped.blob.len(),
                sha256: sha256_hex(&wrapped.blob),
            },
        })
    }
}
