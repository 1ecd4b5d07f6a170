//! The HSM, through PKCS#11. One module context per process (a second
//! C_Initialize fails on CloudHSM); the token is found by label, never by
//! slot number; the root key never leaves the token.

mod keys;
mod lock;
mod pin;
mod sign;
mod uri;
mod wrap;

use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};

pub use keys::{KeyAttributes, KeyPair, Protection};
pub use pin::{PinSource, SPLIT_PARTS};
pub use uri::{TokenUri, key_uri, parse_token_uri};
pub use wrap::{KeyWrapPad, OaepHash, TRANSPORT_BITS, Trusted, Wrapped};

#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    #[error("{path} is not a usable PKCS#11 library: {reason}")]
    Module { path: PathBuf, reason: String },
    #[error("no token labelled \"{label}\" (tokens present: {})", list_or_none(.present))]
    TokenNotFound { label: String, present: Vec<String> },
    #[error("{count} tokens are labelled \"{label}\"; labels must identify one token")]
    TokenAmbiguous { label: String, count: usize },
    #[error("the PIN was refused by token \"{0}\"")]
    WrongPin(String),
    #[error("token \"{0}\" has locked the PIN after too many failures")]
    PinLocked(String),
    #[error("{0}")]
    Pin(String),
    #[error(
        "a key labelled \"{label}\" already exists on the token ({found}); refusing to generate another"
    )]
    LabelExists { label: String, found: String },
    #[error(
        "expected exactly one private and one public key labelled \"{label}\", found {private} private and {public} public"
    )]
    KeyLookup {
        label: String,
        private: usize,
        public: usize,
    },
    #[error("the key \"{label}\" does not have the attributes a root key must have: {problems}")]
    KeyAttributes { label: String, problems: String },
    #[error(
        "the HSM made the key pair \"{label}\" with attributes a root key must not have ({problems}); {destroyed}"
    )]
    KeyNotKept {
        label: String,
        problems: String,
        destroyed: String,
    },
    #[error(
        "another key pair labelled \"{label}\" appeared on the token while this one was generated \
         (another client of the HSM?); refusing to keep two: {destroyed}; {found}"
    )]
    LabelRace {
        label: String,
        destroyed: String,
        found: String,
    },
    #[error(
        "generating the key pair \"{label}\" failed ({source}); the token now has under that label: {found}"
    )]
    GenerateFailed {
        label: String,
        found: String,
        #[source]
        source: CkError,
    },
    #[error(
        "another rootca run on this machine is using token \"{token}\" (it holds {path}); one ceremony at a time: run this one when that one has ended"
    )]
    TokenInUse { token: String, path: PathBuf },
    #[error("cannot use the lock file {path}: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the key \"{label}\" is {found}, not {expected}")]
    KeyType {
        label: String,
        found: String,
        expected: String,
    },
    #[error(
        "token \"{token}\" does not accept a PKCS#11 security officer login ({code}), which export-key needs to mark the transport and wrapping keys trusted; nothing was wrapped. CloudHSM's PKCS#11 library has no such login: there the key moves with CloudHSM CLI's `key wrap rsa-aes` (docs/succession.md, \"SoftHSM 2.6 and CloudHSM\")"
    )]
    NoSecurityOfficer { token: String, code: &'static str },
    #[error(
        "token \"{token}\" cannot {operation} the key for a key move: it offers no {missing}; nothing was changed on it"
    )]
    MechanismMissing {
        token: String,
        operation: &'static str,
        missing: &'static str,
    },
    #[error("the HSM returned an unusable {what}: {reason}")]
    BadResponse { what: &'static str, reason: String },
    #[error("PKCS#11 call failed while {during}: {source}")]
    Call {
        during: &'static str,
        #[source]
        source: CkError,
    },
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(|l| format!("\"{l}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) fn call(during: &'static str) -> impl FnOnce(CkError) -> HsmError {
    move |source| HsmError::Call { during, source }
}

/// A loaded and initialised PKCS#11 module.
pub struct Hsm {
    ctx: Pkcs11,
    /// Held until the module is finalised (dropped after `ctx`).
    _lock: lock::TokenLock,
}

impl Hsm {
    /// Loads and initialises the module for work on the token `token`,
    /// holding this machine's lock for that token until it is finalised.
    pub fn open(module: &Path, token: &str) -> Result<Self, HsmError> {
        let module_err = |reason: String| HsmError::Module {
            path: module.to_path_buf(),
            reason,
        };
        if !module.is_file() {
            return Err(module_err("no such file".into()));
        }
        let lock = lock::TokenLock::acquire(module, token)?;
        let ctx = Pkcs11::new(module).map_err(|e| module_err(e.to_string()))?;
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| module_err(format!("C_Initialize failed: {e}")))?;
        Ok(Self { ctx, _lock: lock })
    }

    /// Finalises the module: the last PKCS#11 call of a ceremony.
    pub fn close(self) -> Result<(), HsmError> {
        self.ctx.finalize().map_err(call("finalising the module"))
    }

    /// What the token with this label says of itself, for the transcript.
    pub fn token_facts(&self, label: &str) -> Result<TokenFacts, HsmError> {
        let slot = self.slot(label)?;
        let info = self
            .ctx
            .get_token_info(slot)
            .map_err(call("reading token information"))?;
        Ok(TokenFacts {
            label: info.label().trim_end().to_string(),
            manufacturer: info.manufacturer_id().trim_end().to_string(),
            model: info.model().trim_end().to_string(),
            serial: info.serial_number().trim_end().to_string(),
        })
    }

    /// Opens a read-write session on the token with this label and logs in
    /// as the user. (CloudHSM cannot open read-only sessions.)
    pub fn login(&self, label: &str, pin: &PinSource) -> Result<Token, HsmError> {
        let slot = self.slot(label)?;
        let session = self
            .ctx
            .open_rw_session(slot)
            .map_err(call("opening a session"))?;
        let secret = pin.read(label)?;
        session
            .login(UserType::User, Some(&secret))
            .map_err(|e| match e {
                CkError::Pkcs11(RvError::PinIncorrect, _) => HsmError::WrongPin(label.into()),
                CkError::Pkcs11(RvError::PinLocked, _) => HsmError::PinLocked(label.into()),
                other => HsmError::Call {
                    during: "logging in",
                    source: other,
                },
            })?;
        drop(secret);
        Ok(Token {
            session,
            label: label.into(),
        })
    }

    /// The slot of the one initialised token with this label.
    fn slot(&self, label: &str) -> Result<cryptoki::slot::Slot, HsmError> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(call("listing slots"))?;
        let mut present = Vec::new();
        let mut matching = Vec::new();

        for slot in slots {
            let info = self
                .ctx
                .get_token_info(slot)
                .map_err(call("reading token information"))?;
            // SoftHSM always offers one uninitialised token with an empty label.
            if !info.token_initialized() {
                continue;
            }
            let found = info.label().trim_end().to_string();
            if found == label {
                matching.push(slot);
            }
            present.push(found);
        }
        match matching.as_slice() {
            [slot] => Ok(*slot),
            [] => Err(HsmError::TokenNotFound {
                label: label.into(),
                present,
            }),
            many => Err(HsmError::TokenAmbiguous {
                label: label.into(),
                count: many.len(),
            }),
        }
    }
}

/// The token as it describes itself (CK_TOKEN_INFO).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenFacts {
    pub label: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
}

/// A logged-in session on one token.
pub struct Token {
    session: Session,
    label: String,
}

impl Token {
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Random bytes from the HSM's RNG.
    pub fn random(&self, len: u32) -> Result<Vec<u8>, HsmError> {
        self.session
            .generate_random_vec(len)
            .map_err(call("drawing random bytes"))
    }

    /// Logs out and closes the session, so that the end of a ceremony is
    /// an explicit, recorded step rather than whatever happens at exit.
    pub fn close(self) -> Result<(), HsmError> {
        self.session.logout().map_err(call("logging out"))?;
        self.session.close().map_err(call("closing the session"))
    }
}
