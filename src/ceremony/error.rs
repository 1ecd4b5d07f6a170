//! One error path for every ceremony. A step's error carries its typed
//! source; each source says whether it rejects the input; the runner adds
//! the step, its title and what had changed before it, and only from all
//! of that decides refusal (exit 2, nothing changed) or failure (exit 1).

use std::path::PathBuf;

use crate::aws::AwsError;
use crate::hsm::HsmError;
use crate::output::OutputError;
use crate::profile::ProfileError;

/// Whether an error says "no" to the input (the file, the CSR, the state
/// of the world it names) rather than reporting that something broke.
pub trait RejectsInput {
    fn rejects_input(&self) -> bool;
}

impl RejectsInput for HsmError {
    fn rejects_input(&self) -> bool {
        matches!(
            self,
            HsmError::LabelExists { .. }
                | HsmError::TokenInUse { .. }
                | HsmError::NoSecurityOfficer { .. }
                | HsmError::MechanismMissing { .. }
        )
    }
}

impl RejectsInput for ProfileError {
    fn rejects_input(&self) -> bool {
        false
    }
}

impl RejectsInput for OutputError {
    fn rejects_input(&self) -> bool {
        matches!(self, OutputError::Exists(_))
    }
}

impl RejectsInput for AwsError {
    fn rejects_input(&self) -> bool {
        matches!(
            self,
            AwsError::NotFound { .. }
                | AwsError::InvalidArn { .. }
                | AwsError::WrongState { .. }
                | AwsError::InvalidTimeout { .. }
        )
    }
}

/// What a step can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    CloudHsm(#[from] crate::aws::cloudhsm::CloudHsmError),
    /// A wait ran out: what was waited for, and what was seen last.
    #[error("{0}")]
    TimedOut(String),
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
    /// The input or the outside world says no.
    #[error("{0}")]
    Refused(String),
    /// The outside world did not end up as the call said it would.
    #[error("{0}")]
    NotConfirmed(String),
    #[error("the officer stopped the ceremony at step {0}")]
    Stopped(u32),
    /// Ctrl-C (or SIGTERM, SIGHUP) during a ceremony that ends its own way.
    #[error("interrupted by Ctrl-C (or SIGTERM, SIGHUP) before this step could finish")]
    Interrupted,
    /// A ceremony a session ran did not complete: its file, how it ended
    /// (exit code or signal), and the last lines it printed.
    #[error("`rootca run {file}` {how}{}", if said.is_empty() { String::new() } else { format!(":\n    {}", said.join("\n    ")) })]
    Inner {
        file: String,
        how: String,
        /// It was refused: nothing was changed by it.
        refused: bool,
        said: Vec<String>,
    },
    /// A kind ran a step that has a lasting effect without telling it of
    /// the interrupted run: a bug, caught before the step acts again.
    #[error("internal error: step \"{0}\" cannot be resumed")]
    CannotResume(&'static str),
}

impl RejectsInput for StepError {
    fn rejects_input(&self) -> bool {
        match self {
            Self::Hsm(e) => e.rejects_input(),
            Self::Profile(e) => e.rejects_input(),
            Self::Output(e) => e.rejects_input(),
            Self::Aws(e) => e.rejects_input(),
            // AWS said no before acting: access denied performs nothing.
            Self::CloudHsm(e) => matches!(
                e,
                crate::aws::cloudhsm::CloudHsmError::ClusterNotFound { .. }
                    | crate::aws::cloudhsm::CloudHsmError::AccessDenied { .. }
            ),
            Self::TimedOut(_) => false,
            Self::IssuerKeyMismatch { .. } | Self::Refused(_) => true,
            Self::Inner { refused, .. } => *refused,
            Self::NotConfirmed(_)
            | Self::Stopped(_)
            | Self::CannotResume(_)
            | Self::Interrupted => false,
        }
    }
}

/// A lasting effect of a step: what now exists that did not before, and
/// what the officer should know to do about it if the ceremony fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub what: String,
    /// What the officer does with it if the ceremony does not complete.
    pub if_failed: String,
}

/// A ceremony that stopped at a step.
#[derive(Debug)]
pub struct StepFailure {
    pub step: u32,
    pub title: String,
    pub source: StepError,
    /// Every lasting effect of the steps before this one, in order.
    pub changes: Vec<Change>,
    /// The planned steps that did not run, as "N. title".
    pub not_done: Vec<String>,
    /// Where the journal of the stopped ceremony is kept, if it is.
    pub transcript: Option<PathBuf>,
    /// The ceremony file, for the commands that resume or abandon it.
    pub file: PathBuf,
    /// The failing step is one that can have a lasting effect (a key, a
    /// file, a call to AWS), so it may have had one before it failed.
    pub step_may_have_changed: bool,
    /// Decided by the runner: nothing had changed and the error rejects
    /// the input.
    pub refused: bool,
    /// What the ceremony did after the failure to undo its effects (a
    /// session taking the root offline again, a drill tearing down).
    pub afterwards: Vec<String>,
    /// The ceremony cleaned up after the failure and closed its
    /// transcript: there is nothing to resume.
    pub closed: bool,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            StepError::Stopped(_) => write!(f, "{}", self.source)?,
            source => {
                let verb = if self.refused { "refused" } else { "failed" };
                write!(f, "step {} ({}) {verb}: {source}", self.step, self.title)?;
            }
        }
        if self.step_may_have_changed {
            write!(
                f,
                "\nStep {} can change the HSM or the outside world and may have done so before it failed: check before running again.",
                self.step
            )?;
        }
        if !self.afterwards.is_empty() {
            write!(f, "\nAfter the failure:")?;
            for a in &self.afterwards {
                write!(f, "\n  - {a}")?;
            }
        }
        if self.closed {
            if self.changes.is_empty() {
                write!(f, "\nNothing the ceremony made is left to undo.")?;
            } else {
                write!(f, "\nWhat the ceremony changed and is left as it is:")?;
                for c in &self.changes {
                    write!(f, "\n  - {}", c.what)?;
                }
            }
            if let Some(t) = &self.transcript {
                write!(
                    f,
                    "\nThe transcript {} records every step and is closed: there is nothing to resume.",
                    t.display()
                )?;
            }
            if !self.changes.is_empty() {
                write!(f, "\nWhat to do next:")?;
                for c in &self.changes {
                    write!(f, "\n  - {}", c.if_failed)?;
                }
            }
            return Ok(());
        }
        if self.changes.is_empty() && !self.step_may_have_changed {
            return write!(
                f,
                "\nNothing was changed: no key generated, no file written, nothing sent that changes anything."
            );
        }
        if !self.changes.is_empty() {
            write!(f, "\nWhat the ceremony changed before it stopped:")?;
            for c in &self.changes {
                write!(f, "\n  - {}", c.what)?;
            }
        }
        if !self.not_done.is_empty() {
            write!(f, "\nNot done:")?;
            for s in &self.not_done {
                write!(f, "\n  - step {s}")?;
            }
        }
        write!(f, "\nWhat to do next:")?;
        if let Some(t) = &self.transcript {
            write!(
                f,
                "\n  - The journal of this ceremony is kept at {}: it records every change above. \
                 Run `rootca run {}` again to resume: it shows what was done, goes on after the last step done, \
                 and never makes a second key or a second certificate. Or close it on purpose, with the reason \
                 on record: `rootca run {} --abandon`",
                t.display(),
                self.file.display(),
                self.file.display()
            )?;
        }
        for c in &self.changes {
            write!(f, "\n  - {}", c.if_failed)?;
        }
        Ok(())
    }
}

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
    #[error("{0}")]
    Step(Box<StepFailure>),
    /// The kind ran its steps in another order than its plan: a bug.
    #[error("internal error: the ceremony ran step \"{ran}\" where its plan has {planned}")]
    OutOfPlan { ran: &'static str, planned: String },
    #[error("the transcript could not be written: {0}")]
    Transcript(#[source] OutputError),
    /// The journal could not be begun or taken over.
    #[error("{0}")]
    Journal(#[source] crate::output::transcript::TranscriptError),
    /// The HSM could not be opened, before the first entry.
    #[error("cannot open the HSM: {0}\nNothing was changed.")]
    Hsm(#[source] HsmError),
    /// The people given cannot run this ceremony.
    #[error("{0}")]
    Room(#[source] super::officers::RoomError),
    /// Declined before anything began.
    #[error("{0}")]
    NotStarted(String),
}

impl CeremonyError {
    /// True when the input was refused and nothing was changed.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Read { .. } | Self::Syntax { .. } | Self::Invalid { .. } => true,
            Self::Step(f) => f.refused,
            Self::OutOfPlan { .. } | Self::Transcript(_) => false,
            Self::Journal(e) => !matches!(
                e,
                crate::output::transcript::TranscriptError::Output(OutputError::Write { .. })
            ),
            Self::Hsm(e) => e.rejects_input(),
            Self::Room(_) | Self::NotStarted(_) => true,
        }
    }
}
