//! `cross-csr`: a certificate signing request for the root's own key and
//! subject, signed in the HSM, for another CA to cross-sign. The CA that
//! signs it decides the extensions; the CSR carries name and key only.

use std::path::{Path, PathBuf};

use der::Encode;
use der::pem::LineEnding;
use serde::Deserialize;
use x509_cert::Certificate;

use super::Entry;
use crate::ceremony::error::StepError;
use crate::ceremony::file::{
    HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, distinct, hsm_spec, output,
    read_issuer, signature,
};
use crate::ceremony::steps::Done;
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token::{self, KeyInUse, Session};
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step};
use crate::output::{fingerprint_groups, sha256_hex};
use crate::profile::ProfileError;
use crate::profile::algorithm::SignatureAlgorithm;
use crate::profile::csr::{self, Csr};

pub const ENTRY: Entry = Entry {
    name: "cross-csr",
    load,
};

pub const SIGN_CSR: &str = "sign-csr";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrSection {
    signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrOutputs {
    csr: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossCsrFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    /// The root whose key signs: its label and its self-signed certificate.
    root: IssuerSection,
    csr: CsrSection,
    outputs: CsrOutputs,
}

#[derive(Debug, Clone)]
pub struct CrossCsrCeremony {
    pub hsm: HsmSpec,
    pub root_label: String,
    pub root_path: PathBuf,
    pub root_file: Vec<u8>,
    pub root: Certificate,
    pub signature: SignatureAlgorithm,
    pub csr: PathBuf,
    pub transcript: PathBuf,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: CrossCsrFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let IssuerRead {
        label,
        path,
        file,
        certificate,
        facts,
    } = read_issuer(f.root, "root", src.dir, IssuerUse::SignCertificates, p);
    let signature = signature(
        &f.csr.signature,
        "csr.signature",
        facts.as_ref().map(|f| (f.algorithm, "the root's")),
        p,
    );
    let csr = output(src.dir, &f.outputs.csr, "outputs.csr", p);
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(
        &[("outputs.csr", &csr), ("outputs.transcript", &transcript)],
        p,
    );
    Ok((|| {
        Some(Box::new(CrossCsrCeremony {
            hsm: hsm?,
            root_label: label,
            root_path: path,
            root_file: file?,
            root: certificate?,
            signature: signature?,
            csr,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

impl Kind for CrossCsrCeremony {
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
        vec![(self.root_path.clone(), sha256_hex(&self.root_file))]
    }

    fn steps(&self) -> Vec<Step> {
        let tbs = self.root.tbs_certificate();
        vec![
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.root_label, &self.root_path),
            Step::new(
                SIGN_CSR,
                "Sign the certificate signing request with the root key",
            )
            .details(vec![
                format!(
                    "subject (from {}): {}",
                    self.root_path.display(),
                    tbs.subject()
                ),
                format!(
                    "public key: the root's, SHA-256 {}",
                    token::spki_sha256(tbs.subject_public_key_info())
                        .map(|(_, groups)| groups)
                        .unwrap_or_default()
                ),
                format!("signature: {}", self.signature),
                "no attributes and no requested extensions: the cross-signing CA sets them".into(),
                "the CSR's signature is verified in software before it is written".into(),
            ])
            .witness("Confirm the subject printed is the root's, as its ceremony sheet records it.")
            .confirmed(),
            certificate::write_step(
                "Write the certificate signing request",
                &[("CSR (PEM)", &self.csr)],
            ),
            token::logout_step(),
        ]
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        let key = r.step(token::FIND_ISSUER_KEY, || {
            token::find_issuer_key(&session, &self.root_label, &self.root, &self.root_path)
        })?;
        let pem = r.step(SIGN_CSR, || self.sign(&session, &key))?;
        r.resuming(certificate::WRITE, |_| {
            let files = vec![Artifact {
                path: self.csr.clone(),
                bytes: pem.clone(),
            }];
            certificate::write(
                files,
                None,
                format!("the CSR {} is written and complete", self.csr.display()),
            )
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}

impl CrossCsrCeremony {
    /// Has the HSM sign the request info, then reads the CSR back as any
    /// CA would: its self-signature must verify under the root's key.
    fn sign(&self, session: &Session, key: &KeyInUse) -> Result<Done<Vec<u8>>, StepError> {
        let subject = self.root.tbs_certificate().subject();
        let info = csr::request_info(subject, &key.public_key);
        let tbs = info.to_der().map_err(ProfileError::from)?;
        let signature = session.token.sign(&key.key, self.signature, &tbs)?;
        let der = csr::assemble(info, self.signature, &signature)
            .map_err(|e| StepError::Refused(format!("the signed CSR {e}")))?;
        let read = Csr::parse(&der)
            .map_err(|e| StepError::Refused(format!("the CSR the HSM signed {e}")))?;
        if &read.subject != subject || read.public_key != key.public_key {
            return Err(StepError::Refused(
                "the CSR read back does not carry the root's subject and key".into(),
            ));
        }
        let pem = der::pem::encode_string("CERTIFICATE REQUEST", LineEnding::LF, &der)
            .map_err(|e| ProfileError::from(der::Error::from(e)))?;
        Ok(Done::new(pem.into_bytes())
            .say(vec![
                format!("signed the CSR for {subject} ({})", self.signature),
                "its signature verifies under the root's public key".into(),
                format!("CSR SHA-256: {}", fingerprint_groups(&der)),
            ])
            .details(serde_json::json!({
                "subject": subject.to_string(),
                "signature": self.signature.name(),
                "csr_sha256": sha256_hex(&der),
            })))
    }
}
