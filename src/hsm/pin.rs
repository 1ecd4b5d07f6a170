//! Where the PIN comes from. It is read at the moment of login, held only
//! in zeroizing memory, and never printed, logged or put in the transcript.

use std::path::PathBuf;

use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use super::HsmError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// Asked for on the terminal, without echo.
    Prompt,
    /// The first line of a file (a practice token's PIN, or a PIN delivered
    /// on removable media).
    File(PathBuf),
    /// An environment variable, for automated practice runs.
    Env(String),
    /// Split knowledge: 2 to 4 parts, each typed by its holder at its own
    /// prompt, without echo, and joined (in order) only in memory.
    Split(Vec<String>),
}

/// The fewest and most parts a split PIN may have.
pub const SPLIT_PARTS: std::ops::RangeInclusive<usize> = 2..=4;

impl PinSource {
    pub fn describe(&self) -> String {
        match self {
            Self::Prompt => "asked for on the terminal, not echoed".into(),
            Self::File(p) => format!("read from the file {}", p.display()),
            Self::Env(n) => format!("read from the environment variable {n}"),
            Self::Split(holders) => format!(
                "split in {} parts, each typed without echo by its holder ({}), joined only in memory",
                holders.len(),
                holders.join(", ")
            ),
        }
    }

    /// A warning for the officer when the PIN is less protected than it
    /// should be: a PIN file that others than its owner can read.
    pub fn warning(&self) -> Option<String> {
        use std::os::unix::fs::PermissionsExt;
        let Self::File(path) = self else {
            return None;
        };
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "warning: the PIN file {} can be read by others than its owner (mode {mode:04o}): chmod 600 {}",
                path.display(),
                path.display()
            )
        })
    }

    pub fn read(&self, token: &str) -> Result<AuthPin, HsmError> {
        self.read_as("PIN", token)
    }

    /// Reads the PIN `what` names ("PIN", "security officer PIN") at its
    /// prompts.
    pub fn read_as(&self, what: &str, token: &str) -> Result<AuthPin, HsmError> {
        let pin: Zeroizing<String> = match self {
            Self::Prompt => Zeroizing::new(
                rpassword::prompt_password(format!("{what} for token \"{token}\": ")).map_err(
                    |e| HsmError::Pin(format!("could not read the PIN from the terminal: {e}")),
                )?,
            ),
            Self::File(path) => {
                let bytes = Zeroizing::new(
                    crate::input::read_bounded(path, crate::input::limit::PIN_FILE).map_err(
                        |e| {
                            HsmError::Pin(format!(
                                "could not read the PIN file {}: {e}",
                                path.display()
                            ))
                        },
                    )?,
                );
                let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
                Zeroizing::new(text.lines().next().unwrap_or_default().to_string())
            }
            Self::Split(holders) => {
                let mut joined = Zeroizing::new(String::new());
                for (i, holder) in holders.iter().enumerate() {
                    let part = Zeroizing::new(
                        rpassword::prompt_password(format!(
                            "{what} part {} of {} for token \"{token}\" ({holder}): ",
                            i + 1,
                            holders.len()
                        ))
                        .map_err(|e| {
                            HsmError::Pin(format!(
                                "could not read PIN part {} from the terminal: {e}",
                                i + 1
                            ))
                        })?,
                    );
                    if part.is_empty() {
                        return Err(HsmError::Pin(format!(
                            "PIN part {} ({holder}) is empty",
                            i + 1
                        )));
                    }
                    joined.push_str(&part);
                }
                joined
            }
            Self::Env(name) => Zeroizing::new(std::env::var(name).map_err(|_| {
                HsmError::Pin(format!(
                    "the environment variable {name} holding the PIN is not set"
                ))
            })?),
        };
        if pin.is_empty() {
            return Err(HsmError::Pin(format!(
                "the PIN {} is empty",
                self.describe()
            )));
        }
        // AuthPin zeroizes its copy when dropped; ours is zeroized here.
        Ok(AuthPin::from(pin.as_str()))
    }
}
