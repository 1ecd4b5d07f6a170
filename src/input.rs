//! Reading what comes from outside: every read is bounded by what the
//! input can legitimately be, so that `/dev/zero` or a huge file named by
//! mistake is refused with the limit named instead of filling memory.

use std::io::Read;
use std::path::Path;

/// The largest legitimate size of each kind of input.
pub mod limit {
    /// A ceremony file: a CRL ceremony may list a hundred thousand entries.
    pub const CEREMONY_FILE: u64 = 32 * 1024 * 1024;
    /// A certificate or a CSR, PEM or DER (Private CA takes 32 KB).
    pub const CERTIFICATE: u64 = 1024 * 1024;
    /// A chain of certificates (Private CA takes 2 MB).
    pub const CHAIN: u64 = 4 * 1024 * 1024;
    /// A CRL, and anything `rootca inspect` reads: a CRL of a few hundred
    /// thousand entries.
    pub const DOCUMENT: u64 = 64 * 1024 * 1024;
    /// A PIN file.
    pub const PIN_FILE: u64 = 4 * 1024;
    /// A small TOML spec (`pca create-subordinate`).
    pub const SPEC: u64 = 1024 * 1024;
}

/// Reads at most `limit` bytes of `path`; a longer input is an error that
/// names the limit.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is longer than {} bytes, more than such a file can legitimately be",
                limit
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_is_refused_with_the_limit() {
        let e = read_bounded(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(e.to_string().contains("longer than 1000 bytes"), "{e}");
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, [7u8; 100]).unwrap();
        assert_eq!(read_bounded(&p, 100).unwrap().len(), 100);
        assert!(read_bounded(&p, 99).is_err());
    }
}
