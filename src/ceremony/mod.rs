//! Ceremonies: the file, the plan made from it, and the runner that
//! carries the plan out. Data flows one way: file -> `Ceremony` (validated)
//! -> `Plan` (numbered steps) -> HSM and AWS actions -> artifacts and
//! transcript.
//!
//! Each ceremony kind is a module of `kinds/` that holds its file
//! sections, their validation, its steps and what they execute, and is
//! listed once in `kinds::REGISTRY`. Nothing else knows the kinds.

pub mod error;
mod facts;
mod file;
pub mod install;
pub mod kinds;
pub mod officers;
pub mod plan;
pub mod resume;
pub mod runner;
pub mod steps;

use std::path::{Path, PathBuf};

use crate::hsm::PinSource;
use crate::profile::algorithm::KeyAlgorithm;
use crate::profile::name_constraints::NameConstraints;

pub use error::{CeremonyError, Change, RejectsInput, StepError, StepFailure};
pub use file::{load, load_content};
pub use plan::{Plan, Step};
pub use runner::Run;

/// A ceremony file after validation: every value typed and checked.
#[derive(Debug)]
pub struct Ceremony {
    pub file: PathBuf,
    pub file_sha256: String,
    /// The file as read, for the transcript's first entry.
    pub file_text: String,
    pub name: String,
    pub kind: Box<dyn Kind>,
    /// How many named officers confirm each step the officer confirms.
    pub confirm_by: u32,
    /// The journal of an earlier run of this file that did not end.
    pub interrupted: Option<resume::Interrupted>,
    /// Outputs present already: an interrupted run may have written them.
    pub existing: Vec<PathBuf>,
    /// rootca's temporary copies in the outputs' folders, left by a killed run.
    pub leftovers: Vec<PathBuf>,
}

/// What every ceremony kind provides.
pub trait Kind: std::fmt::Debug {
    /// The `ceremony = "..."` value of its files.
    fn name(&self) -> &'static str;
    fn transcript(&self) -> &Path;
    /// The HSM it works on: opened by the runner before the first entry,
    /// which records the token.
    fn hsm(&self) -> Option<&HsmSpec> {
        None
    }
    /// The files the ceremony reads, with their SHA-256, for the transcript.
    fn inputs(&self) -> Vec<(PathBuf, String)> {
        Vec::new()
    }
    /// Its steps, in order, unnumbered: the plan.
    fn steps(&self) -> Vec<Step>;
    /// Carries the plan out, one `run.step` per planned step, in order.
    fn run(&self, run: &mut Run<'_>) -> Result<(), CeremonyError>;
    /// For `rootca names`: Some for a kind that signs name constraints
    /// (with None when the file sets none), None for every other kind.
    fn name_constraints(&self) -> Option<Option<&NameConstraints>> {
        None
    }
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
    /// The key exists already (made by a `key` ceremony): found, not generated.
    pub existing: bool,
    /// Generated extractable under a trusted wrapping key only, so that it
    /// can be moved to another HSM (`export-key`).
    pub portable: bool,
}

impl KeySpec {
    /// What generation must give the key.
    pub fn protection(&self) -> crate::hsm::Protection {
        if self.portable {
            crate::hsm::Protection::Portable
        } else {
            crate::hsm::Protection::NeverExtractable
        }
    }
}
