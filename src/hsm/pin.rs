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
}

impl PinSource {
    pub fn describe(&self) -> String {
        match self {
            Self::Prompt => "asked for on the terminal, not echoed".into(),
            Self::File(p) => format!("read from the file {}", p.display()),
            Self::Env(n) => format!("read from the environment variable {n}"),
        }
    }

    pub fn read(&self, token: &str) -> Result<AuthPin, HsmError> {
        let pin: Zeroizing<String> = match self {
            Self::Prompt => Zeroizing::new(
                rpassword::prompt_password(format!("PIN for token \"{token}\": ")).map_err(
                    |e| HsmError::Pin(format!("could not read the PIN from the terminal: {e}")),
                )?,
            ),
            Self::File(path) => {
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                    HsmError::Pin(format!(
                        "could not read the PIN file {}: {e}",
                        path.display()
                    ))
                })?);
                Zeroizing::new(text.lines().next().unwrap_or_default().to_string())
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
