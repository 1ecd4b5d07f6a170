//! Writing artifacts: never over an existing file, never half written.
//! Every file of a ceremony is staged in its own folder first and only
//! then moved into place, without replacing anything; if one cannot be
//! placed, the ones already placed are removed again.

pub mod key_move;
pub mod paths;
pub mod transcript;

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{0} already exists; rootca never overwrites a file (move it away or choose another path)"
    )]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub fn ensure_absent(path: &Path) -> Result<(), OutputError> {
    // symlink_metadata: a dangling link is still something we would clobber.
    if path.symlink_metadata().is_ok() {
        Err(OutputError::Exists(path.to_path_buf()))
    } else {
        Ok(())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A digest in groups of four lowercase hex digits, for reading aloud:
/// `3f2a 9b10 ...`.
pub fn hex_groups(digest: &[u8]) -> String {
    let hex = hex::encode(digest);
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The SHA-256 fingerprint of `bytes`, grouped for reading aloud.
pub fn fingerprint_groups(bytes: &[u8]) -> String {
    hex_groups(&Sha256::digest(bytes))
}

/// The start of the name of rootca's temporary copy of `path`, beside it:
/// `.rootca-NAME.`, then random letters and `.partial`. It names the file it
/// is for, so leftovers are told apart from another ceremony's in the same
/// folder.
fn temporary_prefix(path: &Path) -> String {
    format!(
        ".rootca-{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// rootca's temporary copies of `outputs` that a killed run left beside
/// them (never those of other files in the same folders), sorted.
pub fn leftover_copies(outputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for output in outputs {
        let dir = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let prefix = temporary_prefix(output);
        let Ok(list) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in list.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix)
                && name.ends_with(".partial")
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Files written to temporary names beside their destinations, placed all
/// together by `commit`.
#[derive(Default)]
pub struct Staged {
    files: Vec<(PathBuf, NamedTempFile)>,
}

impl Staged {
    pub fn add(&mut self, path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        let write = |source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        };
        ensure_absent(path)?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(write)?;
        let prefix = temporary_prefix(path);
        let mut tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(write)?;
        // tempfile creates 0600; certificates and public keys are public.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(write)?;
        tmp.write_all(bytes).map_err(write)?;
        tmp.as_file().sync_all().map_err(write)?;
        self.files.push((path.to_path_buf(), tmp));
        Ok(())
    }

    pub fn commit(self) -> Result<Vec<PathBuf>, OutputError> {
        let mut placed: Vec<PathBuf> = Vec::new();
        crate::crash::point("staged-outputs");
        for (path, tmp) in self.files {
            if placed.len() == 1 {
                crate::crash::point("placed-first-output");
            }
            if let Err(e) = tmp.persist_noclobber(&path) {
                for p in &placed {
                    let _ = std::fs::remove_file(p);
                }
                return Err(if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    OutputError::Exists(path)
                } else {
                    OutputError::Write {
                        path,
                        source: e.error,
                    }
                });
            }
            placed.push(path);
        }
        Ok(placed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_writers_racing_for_one_path_exactly_one_places_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.pem");
        let results: Vec<Result<Vec<PathBuf>, OutputError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let path = path.clone();
                    s.spawn(move || {
                        let mut staged = Staged::default();
                        // Staged before any is placed: each saw the path free.
                        staged.add(&path, format!("writer {i}").as_bytes())?;
                        staged.commit()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let placed = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(OutputError::Exists(_))))
            .count();
        assert_eq!((placed, refused), (1, 7), "{results:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("writer "), "{text}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary copies left: {left:?}");
    }

    #[test]
    fn hex_groups_splits_into_groups_of_four_hex_characters() {
        assert_eq!(
            hex_groups(&[0x3f, 0x2a, 0x9b, 0x10, 0xAB, 0xCD]),
            "3f2a 9b10 abcd"
        );
    }

    #[test]
    fn hex_groups_keeps_a_short_last_group() {
        assert_eq!(hex_groups(&[0x3f, 0x2a, 0x9b]), "3f2a 9b");
    }

    #[test]
    fn a_sha256_fingerprint_has_sixteen_groups_of_four() {
        let groups = fingerprint_groups(b"rootca");
        assert_eq!(groups.split(' ').count(), 16);
        assert!(groups.split(' ').all(|g| g.len() == 4));
    }
}
