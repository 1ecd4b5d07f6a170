//! The manifest that travels with a wrapped root key from the source room
//! to the target room: what was wrapped, for which transport key, how, and
//! the hashes the target checks before it unwraps anything.

use serde::{Deserialize, Serialize};

use crate::hsm::OaepHash;

pub const FORMAT: &str = "rootca key move 1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub key: MovedKey,
    pub source: Source,
    pub target: Target,
    pub wrapping: Wrapping,
    pub wrapped_key: WrappedFile,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovedKey {
    pub label: String,
    pub algorithm: String,
    /// SHA-256 of the SubjectPublicKeyInfo, as rootca prints it.
    pub public_key_sha256: String,
    pub certificate_subject: String,
    pub certificate_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub token: String,
    pub token_serial: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub transport_public_key_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wrapping {
    /// What the blob is: an RSA-OAEP block that holds an AES-256 key, then
    /// the private key (PKCS#8) under AES key wrap with padding (RFC 5649):
    /// CKM_RSA_AES_KEY_WRAP's layout.
    pub construction: String,
    pub oaep: OaepHash,
    pub oaep_block_octets: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedFile {
    pub file: String,
    pub octets: usize,
    pub sha256: String,
}

pub const CONSTRUCTION: &str =
    "rsa-oaep(aes-256) || aes-key-wrap-pad(pkcs8): the CKM_RSA_AES_KEY_WRAP layout";

impl Manifest {
    pub fn to_json(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }

    /// Reads a manifest, refusing one of another format.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Self = serde_json::from_slice(bytes)
            .map_err(|e| format!("is not a rootca key move manifest: {e}"))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "has format \"{}\"; this rootca reads \"{FORMAT}\"",
                manifest.format
            ));
        }
        Ok(manifest)
    }
}

/// A SHA-256 fingerprint as an officer may type it (any case, spaces or
/// colons between groups), as plain lowercase hex; None if it is not one.
pub fn normalise_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}
