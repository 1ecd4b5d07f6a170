//! Ceremonies: the file, the plan made from it, and the runner that
//! carries the plan out. Data flows one way: file -> `Ceremony` (validated)
//! -> `Plan` (numbered steps) -> HSM actions -> artifacts and transcript.

mod actions;
pub mod file;
pub mod install;
pub mod plan;
pub mod runner;

use std::path::PathBuf;

use const_oid::ObjectIdentifier;
use x509_cert::Certificate;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use crate::aws::{AwsError, AwsSettings};
use crate::hsm::{HsmError, PinSource};
use crate::output::OutputError;
use crate::profile::ProfileError;
use crate::profile::algorithm::{KeyAlgorithm, SignatureAlgorithm};
use crate::profile::csr::Csr;
use crate::profile::name_constraints::NameConstraints;

pub use file::{load, load_content};
pub use plan::{Plan, Step};

#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("cannot read the ceremony file {file}: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file} is refused:\n  - {}", .problems.join("\n  - "))]
    Invalid {
        file: PathBuf,
        problems: Vec<String>,
    },
    #[error("the officer stopped the ceremony at step {step}")]
    Stopped { step: u32 },
    #[error("step {step} ({title}) failed: {source}")]
    Hsm {
        step: u32,
        title: String,
        #[source]
        source: HsmError,
    },
    #[error("step {step} ({title}) failed: {source}")]
    Profile {
        step: u32,
        title: String,
        #[source]
        source: ProfileError,
    },
    #[error("step {step} ({title}) failed: {source}")]
    Output {
        step: u32,
        title: String,
        #[source]
        source: OutputError,
    },
    #[error("step {step} ({title}) failed: {source}")]
    Aws {
        step: u32,
        title: String,
        #[source]
        source: Box<AwsError>,
    },
    #[error("step {step} ({title}) failed: {message}")]
    NotConfirmed {
        step: u32,
        title: String,
        message: String,
    },
    #[error("step {step} ({title}) refused: {message}")]
    Refused {
        step: u32,
        title: String,
        message: String,
    },
    #[error("step {step} ({title}): internal error, {what} is missing")]
    Internal {
        step: u32,
        title: String,
        what: &'static str,
    },
    #[error("the transcript could not be written: {0}")]
    Transcript(#[source] OutputError),
}

impl CeremonyError {
    /// True when the input was refused before anything was touched.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Read { .. }
                | Self::Syntax { .. }
                | Self::Invalid { .. }
                | Self::Refused { .. }
                | Self::Hsm {
                    source: HsmError::LabelExists { .. },
                    ..
                }
        )
    }
}

/// A ceremony file after validation: every value typed and checked.
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub file: PathBuf,
    pub file_sha256: String,
    pub name: String,
    pub hsm: HsmSpec,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct HsmSpec {
    pub module: PathBuf,
    pub token: String,
    pub pin: PinSource,
}

#[derive(Debug, Clone)]
pub struct KeySpec {
    pub label: String,
    pub algorithm: KeyAlgorithm,
}

#[derive(Debug, Clone)]
pub enum Body {
    Key(KeyCeremony),
    Root(RootCeremony),
    Subordinate(Box<SubordinateCeremony>),
}

impl Body {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Key(_) => "key",
            Self::Root(_) => "root",
            Self::Subordinate(_) => "subordinate",
        }
    }

    /// The files the ceremony reads, with their SHA-256, for the transcript.
    pub fn inputs(&self) -> Vec<(PathBuf, String)> {
        match self {
            Self::Key(_) | Self::Root(_) => vec![],
            Self::Subordinate(s) => {
                let mut inputs = vec![(
                    s.issuer_path.clone(),
                    crate::output::sha256_hex(&s.issuer_file),
                )];
                if let CsrSource::File { path, bytes, .. } = &s.csr {
                    inputs.push((path.clone(), crate::output::sha256_hex(bytes)));
                }
                inputs
            }
        }
    }

    pub fn transcript(&self) -> &PathBuf {
        match self {
            Self::Key(k) => &k.transcript,
            Self::Root(r) => &r.transcript,
            Self::Subordinate(s) => &s.transcript,
        }
    }
}

/// `key`: generate the key pair and write its public key.
#[derive(Debug, Clone)]
pub struct KeyCeremony {
    pub key: KeySpec,
    pub public_key: PathBuf,
    pub transcript: PathBuf,
}

/// `root`: generate the key pair and self-sign the root certificate.
#[derive(Debug, Clone)]
pub struct RootCeremony {
    pub key: KeySpec,
    pub subject: Name,
    pub subject_text: String,
    pub validity: Validity,
    pub signature: SignatureAlgorithm,
    pub path_len: Option<u8>,
    pub crl_urls: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
    pub certificate: PathBuf,
    pub public_key: PathBuf,
    pub transcript: PathBuf,
}

/// `subordinate`: sign a subordinate CA's CSR with the root key.
#[derive(Debug, Clone)]
pub struct SubordinateCeremony {
    pub issuer_label: String,
    pub issuer_path: PathBuf,
    /// The issuer certificate file as read, hashed into the transcript.
    pub issuer_file: Vec<u8>,
    pub issuer: Certificate,
    pub issuer_key_algorithm: KeyAlgorithm,
    pub issuer_key_id: Vec<u8>,
    pub csr: CsrSource,
    /// Install the signed certificate in AWS Private CA.
    pub import: Option<ImportSpec>,
    pub aws: AwsSettings,
    pub validity: Validity,
    pub signature: SignatureAlgorithm,
    pub path_len: u8,
    pub digital_signature: bool,
    pub crl_urls: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
    pub name_constraints: Option<NameConstraints>,
    pub certificate: PathBuf,
    pub chain: PathBuf,
    pub transcript: PathBuf,
}

/// Where the subordinate's CSR comes from.
#[derive(Debug, Clone)]
pub enum CsrSource {
    /// Read and checked when the ceremony file is validated.
    File {
        path: PathBuf,
        bytes: Vec<u8>,
        csr: Box<Csr>,
        /// What the CSR asks for that the certificate will not carry.
        ignored: Vec<String>,
    },
    /// Fetched with GetCertificateAuthorityCsr during the ceremony's
    /// first step, and checked then, before the HSM is opened.
    PrivateCa { arn: String },
}

#[derive(Debug, Clone)]
pub struct ImportSpec {
    pub arn: String,
    /// Replace the certificate of a CA that is already ACTIVE.
    pub replace: bool,
}
