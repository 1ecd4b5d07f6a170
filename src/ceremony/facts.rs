//! What the first entry of a transcript says of where and by what the
//! ceremony ran: the build, the host, the operator's account, the HSM
//! module's SHA-256. Read from the system, never from the ceremony file.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The version and build of this rootca.
pub fn build() -> String {
    format!("{} {}", env!("CARGO_PKG_VERSION"), env!("ROOTCA_BUILD"))
}

pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The account the process runs as: its uid from the kernel, and the name
/// the password database gives that uid.
pub fn operator() -> serde_json::Value {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        });
    let name = uid.as_ref().and_then(|uid| {
        std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
            p.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)? == uid).then(|| name.to_string())
            })
        })
    });
    serde_json::json!({ "uid": uid, "name": name })
}

/// The SHA-256 of the PKCS#11 module file, or why it could not be read.
pub fn module_sha256(module: &Path) -> String {
    let hash = || -> std::io::Result<String> {
        let mut file = std::fs::File::open(module)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex::encode(hasher.finalize()))
    };
    hash().unwrap_or_else(|e| format!("unreadable: {e}"))
}
