//! `import-key`: bring a root key wrapped by `export-key` into this HSM.
//! Stage "transport" makes the transport key pair whose public half the
//! source room wraps for; stage "unwrap" checks the manifest, unwraps the
//! key as sensitive, non-extractable and sign-only, proves it is the root
//! certificate's key by signing a challenge, and destroys the transport
//! key, whose work is done.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use x509_cert::Certificate;

use super::Entry;
use crate::ceremony::error::{Change, StepError};
use crate::ceremony::file::{
    HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, distinct, hsm_spec, output,
    plain_text, read_input, read_input_up_to, read_issuer, resolve,
};
use crate::ceremony::steps::Done;
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token::{self, KeyInUse, Session};
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step};
use crate::hsm::{KeyPair, KeyWrapPad, Protection, Wrapped};
use crate::output::key_move::Manifest;
use crate::output::sha256_hex;
use crate::profile::algorithm::KeyAlgorithm;

pub const ENTRY: Entry = Entry {
    name: "import-key",
    load,
};

pub const GENERATE_TRANSPORT: &str = "generate-transport-key";
pub const FIND_TRANSPORT: &str = "find-transport-key";
pub const UNWRAP: &str = "unwrap-key";
pub const DESTROY_TRANSPORT: &str = "destroy-transport-key";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransportSection {
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedSection {
    key: PathBuf,
    manifest: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportOutputs {
    /// Stage "transport": the transport public key for the source room.
    transport_public_key: Option<PathBuf>,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    /// "transport" or "unwrap".
    stage: String,
    hsm: HsmSection,
    transport: TransportSection,
    /// Stage "unwrap": the wrapped key and its manifest.
    wrapped: Option<WrappedSection>,
    /// Stage "unwrap": the label the key takes here and the root
    /// certificate it must prove to be the key of.
    root: Option<IssuerSection>,
    outputs: ImportOutputs,
}

#[derive(Debug, Clone)]
pub enum Stage {
    Transport {
        public_key: PathBuf,
    },
    Unwrap {
        wrapped_path: PathBuf,
        wrapped: Vec<u8>,
        manifest_path: PathBuf,
        manifest_file: Vec<u8>,
        manifest: Box<Manifest>,
        root_label: String,
        root_path: PathBuf,
        root_file: Vec<u8>,
        root: Box<Certificate>,
        algorithm: KeyAlgorithm,
    },
}

#[derive(Debug, Clone)]
pub struct ImportKeyCeremony {
    pub hsm: HsmSpec,
    pub transport_label: String,
    pub stage: Stage,
    pub transcript: PathBuf,
}

/// The wrapped key's size limit: an RSA-4096 private key in PKCS#8 under
/// key wrap, after a 4096-bit OAEP block, is well under 8 KiB.
const WRAPPED_LIMIT: u64 = 64 * 1024;

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: ImportFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let label = f.transport.label;
    plain_text(&label, "transport.label", p);
    if label.trim().is_empty() || label.len() > 64 {
        p.add(
            "transport.label",
            "must be 1 to 64 bytes of UTF-8: the transport key is found by this label in the second stage",
        );
    }
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    let stage = match f.stage.as_str() {
        "transport" => {
            for (given, field) in [(f.wrapped.is_some(), "wrapped"), (f.root.is_some(), "root")] {
                if given {
                    p.add(
                        field,
                        "belongs to stage \"unwrap\": the transport stage only makes the transport key",
                    );
                }
            }
            match &f.outputs.transport_public_key {
                Some(path) => {
                    let public_key = output(src.dir, path, "outputs.transport_public_key", p);
                    distinct(
                        &[
                            ("outputs.transport_public_key", &public_key),
                            ("outputs.transcript", &transcript),
                        ],
                        p,
                    );
                    Some(Stage::Transport { public_key })
                }
                None => {
                    p.add(
                        "outputs.transport_public_key",
                        "stage \"transport\" writes the transport public key for the source room: name its file",
                    );
                    None
                }
            }
        }
        "unwrap" => load_unwrap(f.wrapped, f.root, f.outputs.transport_public_key, src, p),
        other => {
            p.add(
                "stage",
                format!(
                    "\"{other}\" is not a stage of import-key: \"transport\" (make the transport key, in the target room, first) or \"unwrap\" (bring in the wrapped key, after export-key)"
                ),
            );
            None
        }
    };
    Ok((|| {
        Some(Box::new(ImportKeyCeremony {
            hsm: hsm?,
            transport_label: label,
            stage: stage?,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

fn load_unwrap(
    wrapped: Option<WrappedSection>,
    root: Option<IssuerSection>,
    transport_output: Option<PathBuf>,
    src: &Source<'_>,
    p: &mut Problems<'_>,
) -> Option<Stage> {
    if transport_output.is_some() {
        p.add(
            "outputs.transport_public_key",
            "belongs to stage \"transport\": the unwrap stage writes only its transcript",
        );
    }
    let (Some(w), Some(root)) = (wrapped, root) else {
        p.add(
            "wrapped",
            "stage \"unwrap\" needs [wrapped] (key, manifest: export-key's outputs) and [root] (key_label, certificate)",
        );
        return None;
    };
    let IssuerRead {
        label,
        path,
        file,
        certificate,
        facts,
    } = read_issuer(root, "root", src.dir, IssuerUse::SignCertificates, p);
    let wrapped_path = resolve(src.dir, &w.key);
    let wrapped = read_input_up_to(&wrapped_path, "wrapped.key", WRAPPED_LIMIT, p);
    let manifest_path = resolve(src.dir, &w.manifest);
    let manifest_file = read_input(&manifest_path, "wrapped.manifest", p);
    let manifest = manifest_file
        .as_ref()
        .and_then(|bytes| match Manifest::parse(bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                p.add(
                    "wrapped.manifest",
                    format!("{} {e}", manifest_path.display()),
                );
                None
            }
        });
    if let (Some(m), Some(blob)) = (&manifest, &wrapped) {
        let actual = sha256_hex(blob);
        if m.wrapped_key.sha256 != actual || m.wrapped_key.octets != blob.len() {
            p.add(
                "wrapped.key",
                format!(
                    "{} ({} octets, SHA-256 {actual}) is not the wrapped key the manifest describes ({} octets, SHA-256 {}): it was altered or is another export's",
                    wrapped_path.display(),
                    blob.len(),
                    m.wrapped_key.octets,
                    m.wrapped_key.sha256
                ),
            );
        }
        if m.wrapping.oaep_block_octets >= blob.len() {
            p.add(
                "wrapped.manifest",
                "its oaep_block_octets leaves nothing of the wrapped key after the OAEP block",
            );
        }
    }
    if let (Some(m), Some(cert)) = (&manifest, &certificate) {
        let der = der::Encode::to_der(cert).unwrap_or_default();
        let key = der::Encode::to_der(cert.tbs_certificate().subject_public_key_info())
            .unwrap_or_default();
        if m.key.public_key_sha256 != sha256_hex(&key) {
            p.add(
                "wrapped.manifest",
                format!(
                    "{} says the wrapped key's public key has SHA-256 {}, but {} carries {}: the key was wrapped for another root",
                    manifest_path.display(),
                    m.key.public_key_sha256,
                    path.display(),
                    sha256_hex(&key)
                ),
            );
        }
        if m.key.certificate_sha256 != sha256_hex(&der) {
            p.add(
                "root.certificate",
                format!(
                    "{} is not the certificate the key was exported with ({}, SHA-256 {})",
                    path.display(),
                    m.key.certificate_subject,
                    m.key.certificate_sha256
                ),
            );
        }
    }
    Some(Stage::Unwrap {
        wrapped_path,
        wrapped: wrapped?,
        manifest_path,
        manifest_file: manifest_file?,
        manifest: Box::new(manifest?),
        root_label: label,
        root_path: path,
        root_file: file?,
        root: Box::new(certificate?),
        algorithm: facts?.algorithm,
    })
}

impl Kind for ImportKeyCeremony {
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
        match &self.stage {
            Stage::Transport { .. } => Vec::new(),
            Stage::Unwrap {
                wrapped_path,
                wrapped,
                manifest_path,
                manifest_file,
                root_path,
                root_file,
                ..
            } => vec![
                (wrapped_path.clone(), sha256_hex(wrapped)),
                (manifest_path.clone(), sha256_hex(manifest_file)),
                (root_path.clone(), sha256_hex(root_file)),
            ],
        }
    }

    fn steps(&self) -> Vec<Step> {
        let label = &self.transport_label;
        match &self.stage {
            Stage::Transport { public_key } => vec![
                token::login_step(&self.hsm),
                Step::new(GENERATE_TRANSPORT, "Generate the transport key pair")
                    .details(vec![
                        format!("label: \"{label}\"; refused if any object on the token has it"),
                        format!(
                            "RSA {} bits; the private key may only unwrap and never leaves this HSM",
                            crate::hsm::TRANSPORT_BITS
                        ),
                    ])
                    .confirmed()
                    .lasting(),
                certificate::write_step(
                    "Write the transport public key for the source room",
                    &[("transport public key (PEM)", public_key)],
                )
                .witness("Read the transport key fingerprint aloud; it goes on this sheet, and the source room types it into its export-key file."),
                token::logout_step(),
            ],
            Stage::Unwrap {
                manifest,
                root_label,
                root_path,
                ..
            } => vec![
                token::login_step(&self.hsm),
                Step::new(FIND_TRANSPORT, "Find the transport key")
                    .details(vec![
                        format!("label: \"{label}\"; exactly one key pair must have it"),
                        format!(
                            "its public key must be the one the manifest names: SHA-256 {}",
                            manifest.target.transport_public_key_sha256
                        ),
                        "the token must offer RSA-OAEP and AES key wrap with padding (RFC 5649: CKM_AES_KEY_WRAP_PAD, or CloudHSM's CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD) to unwrap with".into(),
                    ]),
                Step::new(UNWRAP, "Unwrap the root key and prove it is the root certificate's")
                    .details(vec![
                        format!(
                            "the key \"{}\" of {} ({}), exported from token \"{}\"",
                            manifest.key.label,
                            manifest.key.certificate_subject,
                            manifest.key.algorithm,
                            manifest.source.token
                        ),
                        format!("it takes the label \"{root_label}\"; refused if any object has it"),
                        "private key: token object, private, sensitive, not extractable, sign only; its public key is made from the root certificate".into(),
                        format!(
                            "32 random octets from the HSM are signed with it and verified in software under the key of {}",
                            root_path.display()
                        ),
                        "a key that fails is removed again and the ceremony stops: only a proven key stays".into(),
                    ])
                    .witness("A key that only looks like the root's cannot pass: watch for \"verified\".")
                    .confirmed()
                    .lasting(),
                Step::new(DESTROY_TRANSPORT, "Destroy the transport key pair")
                    .details(vec![
                        "its one use is done; a copy of the wrapped key can then never be unwrapped again".into(),
                    ])
                    .lasting(),
                token::logout_step(),
            ],
        }
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        match &self.stage {
            Stage::Transport { public_key } => {
                let pem = r.step(GENERATE_TRANSPORT, || self.generate_transport(&session))?;
                r.resuming(certificate::WRITE, |_| {
                    let files = vec![Artifact {
                        path: public_key.clone(),
                        bytes: pem.clone(),
                    }];
                    certificate::write(
                        files,
                        None,
                        "the transport public key is written; give it to the source room with its fingerprint".into(),
                    )
                })?;
            }
            Stage::Unwrap {
                wrapped,
                manifest,
                root_label,
                root,
                algorithm,
                ..
            } => {
                let (transport, pad) =
                    r.step(FIND_TRANSPORT, || self.find_transport(&session, manifest))?;
                r.step(UNWRAP, || {
                    let wrapped = Wrapped {
                        blob: wrapped.clone(),
                        oaep_len: manifest.wrapping.oaep_block_octets,
                        oaep: manifest.wrapping.oaep,
                    };
                    unwrap(
                        &session, &transport, pad, &wrapped, root_label, root, *algorithm,
                    )
                })?;
                r.step(DESTROY_TRANSPORT, || {
                    let destroyed = session.token.destroy(&transport, "the transport key pair");
                    Ok(Done::new(()).say(vec![destroyed]))
                })?;
            }
        }
        r.step(token::LOGOUT, || token::logout(session))
    }
}

impl ImportKeyCeremony {
    fn generate_transport(&self, session: &Session) -> Result<Done<Vec<u8>>, StepError> {
        let pair = session
            .token
            .generate_transport_key(&self.transport_label)?;
        let spki = session.token.public_key(&pair)?;
        let (hex, groups) = token::spki_sha256(&spki)?;
        let id = hex::encode(&pair.id);
        Ok(Done::new(certificate::public_key_pem(&spki)?)
            .say(vec![
                format!("generated the transport key \"{}\" (id {id})", pair.label),
                format!("transport public key SHA-256: {groups}"),
            ])
            .details(serde_json::json!({
                "label": pair.label,
                "id": id,
                "transport_public_key_sha256": hex,
            }))
            .changed(Change {
                what: format!(
                    "generated the transport key pair \"{}\" (CKA_ID {id}) on token \"{}\"",
                    pair.label,
                    session.token.label()
                ),
                if_failed: format!(
                    "the transport key pair \"{}\" stays on the token: run the stage again under another label, or remove it (pkcs11-tool --delete-object --type privkey --id {id}, and --type pubkey)",
                    pair.label
                ),
            }))
    }

    fn find_transport(
        &self,
        session: &Session,
        manifest: &Manifest,
    ) -> Result<Done<(KeyPair, KeyWrapPad)>, StepError> {
        let pad = session.key_wrap_for_unwrap()?;
        let pair = session.token.find_key(&self.transport_label)?;
        let spki = session.token.public_key(&pair)?;
        let (hex, groups) = token::spki_sha256(&spki)?;
        if hex != manifest.target.transport_public_key_sha256 {
            return Err(StepError::Refused(format!(
                "the transport key \"{}\" on this token has SHA-256 {groups}, but the key was wrapped for {} ({}): it was exported for another HSM or another transport key",
                self.transport_label,
                manifest.target.transport_public_key_sha256,
                manifest.target.name
            )));
        }
        Ok(Done::new((pair, pad))
            .say(vec![
                format!(
                    "found the transport key \"{}\"; it is the one the key was wrapped for (SHA-256 {groups})",
                    self.transport_label
                ),
                format!("the token unwraps RFC 5649 as {}", pad.name()),
            ])
            .details(serde_json::json!({
                "transport_public_key_sha256": hex,
                "aes_key_wrap": pad.name(),
            })))
    }
}

fn unwrap(
    session: &Session,
    transport: &KeyPair,
    pad: KeyWrapPad,
    wrapped: &Wrapped,
    label: &str,
    root: &Certificate,
    algorithm: KeyAlgorithm,
) -> Result<Done<()>, StepError> {
    let token = &session.token;
    let spki = root.tbs_certificate().subject_public_key_info();
    let key = token.unwrap_root_key(transport, pad, wrapped, label, spki, algorithm)?;
    let attributes = match token.check_attributes(&key, Some(Protection::Imported)) {
        Ok(a) => a,
        Err(e) => {
            let removed = token.destroy(&key, "the key this run imported");
            return Err(StepError::Refused(format!("{e}; {removed}")));
        }
    };
    let key = KeyInUse {
        key,
        public_key: spki.clone(),
    };
    // Only a proven key stays: a failed proof removes it in this step, so
    // nothing is left for the officer to clean up.
    let proof = token::prove_key(session, &key, root).map_err(|e| {
        let removed = token.destroy(&key.key, "the key this run imported");
        StepError::Refused(format!(
            "{e}; {removed}: the wrapped key is not this root certificate's key"
        ))
    })?;
    let key = key.key;
    let id = hex::encode(&key.id);
    let uri = crate::hsm::key_uri(token.label(), &key.label, &key.id);
    let mut say = vec![
        format!(
            "unwrapped {} key \"{}\" (id {id}); attributes read back: {}",
            key.algorithm,
            key.label,
            Protection::Imported.describe()
        ),
        format!("key URI: {uri}"),
    ];
    say.extend(proof.say);
    Ok(Done::new(())
    .say(say)
    .details(serde_json::json!({
        "label": key.label,
        "id": id,
        "uri": uri,
        "algorithm": key.algorithm.name(),
        "attributes": attributes,
        "protection": Protection::Imported,
        "proof": proof.details,
    }))
    .changed(Change {
        what: format!(
            "unwrapped the root key \"{}\" (CKA_ID {id}) onto token \"{}\"",
            key.label,
            token.label()
        ),
        if_failed: format!(
            "the key \"{}\" (CKA_ID {id}) is proven to be the root's and stays: this HSM now holds the root key; if the transport key pair was not destroyed, remove it by hand under dual control (pkcs11-tool --delete-object --type privkey --label LABEL, and --type pubkey)",
            key.label
        ),
    }))
}
