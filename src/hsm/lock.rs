//! The lock of one token on this machine: two rootca runs against one
//! token must not both find a label free and both generate, and SoftHSM
//! fails calls (even C_GetTokenInfo) while another process changes its
//! token. An advisory lock on a file named after the module, the token's
//! label and the module's configuration (SOFTHSM2_CONF: SoftHSM's token
//! store), taken before the module is initialised and held until it is
//! finalised; the kernel drops it when the process ends, however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::HsmError;

pub struct TokenLock {
    _file: File,
}

fn lock_path(module: &Path, token: &str) -> PathBuf {
    let module = std::fs::canonicalize(module).unwrap_or_else(|_| module.to_path_buf());
    let mut h = Sha256::new();
    h.update(module.as_os_str().as_encoded_bytes());
    h.update([0]);
    h.update(token.as_bytes());
    h.update([0]);
    if let Some(conf) = std::env::var_os("SOFTHSM2_CONF") {
        h.update(conf.as_encoded_bytes());
    }
    let name = format!("rootca-token-{}.lock", hex::encode(&h.finalize()[..12]));
    std::env::temp_dir().join(name)
}

impl TokenLock {
    /// Takes the lock, or refuses at once: another run holds it, and may
    /// be waiting for its officer for a long time.
    pub fn acquire(module: &Path, token: &str) -> Result<Self, HsmError> {
        let path = lock_path(module, token);
        let lock_err = |source| HsmError::Lock {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(HsmError::TokenInUse {
                token: token.into(),
                path,
            }),
            Err(TryLockError::Error(e)) => Err(lock_err(e)),
        }
    }
}
