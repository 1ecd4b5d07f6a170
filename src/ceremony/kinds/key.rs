//! `key`: generate a key pair in the HSM and write its public key, to be
//! certified later (in another room, by another ceremony).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Entry;
use crate::ceremony::file::{
    HsmSection, KeySection, Problems, Source, distinct, hsm_spec, key_spec, output,
};
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token;
use crate::ceremony::{CeremonyError, HsmSpec, KeySpec, Kind, Run, Step};

pub const ENTRY: Entry = Entry { name: "key", load };

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyOutputs {
    public_key: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    key: KeySection,
    outputs: KeyOutputs,
}

#[derive(Debug, Clone)]
pub struct KeyCeremony {
    pub hsm: HsmSpec,
    pub key: KeySpec,
    pub public_key: PathBuf,
    pub transcript: PathBuf,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: KeyFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let key = key_spec(&f.key, p);
    if key.as_ref().is_some_and(|k| k.existing) {
        p.add(
            "key.existing",
            "a key ceremony generates its key: leave existing out (a root ceremony takes existing = true to certify this key later)",
        );
    }
    let public_key = output(src.dir, &f.outputs.public_key, "outputs.public_key", p);
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.public_key", &public_key),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Ok((|| {
        Some(Box::new(KeyCeremony {
            hsm: hsm?,
            key: key?,
            public_key,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

impl Kind for KeyCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn hsm(&self) -> Option<&HsmSpec> {
        Some(&self.hsm)
    }

    fn steps(&self) -> Vec<Step> {
        vec![
            token::login_step(&self.hsm),
            token::generate_key_step(&self.key),
            token::read_public_key_step(),
            certificate::write_step(
                "Write the public key",
                &[("public key (PEM)", &self.public_key)],
            ),
            token::logout_step(),
        ]
    }

    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        let key = r.resuming(token::GENERATE_KEY, |earlier| {
            token::generate_key(&session, &self.key, earlier)
        })?;
        let key = r.step(token::READ_PUBLIC_KEY, || {
            token::read_public_key(&session, key)
        })?;
        r.resuming(certificate::WRITE, |_| {
            let files = vec![Artifact {
                path: self.public_key.clone(),
                bytes: certificate::public_key_pem(&key.public_key)?,
            }];
            certificate::write(
                files,
                None,
                "the public key file is the key's only certificate so far; keep it for the ceremony that certifies the key".into(),
            )
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}
