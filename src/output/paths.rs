//! Output paths as the file system will resolve them, so that `check`
//! refuses what would only fail after the key exists: two outputs that are
//! one file by another spelling, an output below a regular file, a name
//! that is a folder, a folder that cannot be written.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    #[error("ends with a slash, so it names a folder: name the file")]
    TrailingSlash,
    #[error("{} is a file, not a folder, so nothing can be written below it", .0.display())]
    BelowFile(PathBuf),
    #[error("cannot be written: creating a file in {} fails ({})", .0.display(), .1)]
    NotWritable(PathBuf, String),
    #[error(
        "names a file like rootca's own temporary files (.rootca-*.partial): choose another name"
    )]
    TemporaryName,
}

/// The absolute path the file system will use for `path`: symbolic links
/// resolved in the part that exists, `.` and `..` applied in the rest, as
/// the writer (which creates missing folders) will apply them.
pub fn resolved(path: &Path) -> Result<PathBuf, PathProblem> {
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(PathProblem::TrailingSlash);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if name.is_some_and(|n| n.starts_with(".rootca-") && n.ends_with(".partial")) {
        return Err(PathProblem::TemporaryName);
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let (mut base, rest) = abs
        .ancestors()
        .find_map(|a| {
            let canonical = std::fs::canonicalize(a).ok()?;
            Some((canonical, abs.strip_prefix(a).ok()?.to_path_buf()))
        })
        .unwrap_or_else(|| (PathBuf::from("/"), abs.clone()));
    if !rest.as_os_str().is_empty() && !base.is_dir() {
        return Err(PathProblem::BelowFile(base));
    }
    for c in rest.components() {
        match c {
            Component::Normal(n) => base.push(n),
            Component::ParentDir => {
                base.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(base)
}

/// The first symbolic link on the way to `path` as the file names it
/// (relative to `dir`, or from the root when absolute), the file itself
/// included; the folder the ceremony file sits in is taken as it is.
pub fn symlink_in(dir: &Path, path: &Path) -> Option<PathBuf> {
    let mut at = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        dir.to_path_buf()
    };
    for c in path.components() {
        match c {
            Component::Normal(n) => at.push(n),
            Component::ParentDir => {
                at.pop();
                continue;
            }
            _ => continue,
        }
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Some(at),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Proves a file can be created where `resolved` will be written, by
/// creating and removing one in its nearest existing folder.
pub fn probe_writable(resolved: &Path) -> Result<(), PathProblem> {
    let Some(dir) = resolved.ancestors().skip(1).find(|a| a.is_dir()) else {
        return Err(PathProblem::NotWritable(
            resolved.to_path_buf(),
            "no folder of it exists".into(),
        ));
    };
    tempfile::Builder::new()
        .prefix(".rootca-probe-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| PathProblem::NotWritable(dir.to_path_buf(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_through_a_missing_folder_lands_where_the_writer_puts_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = resolved(&dir.path().join("sub/../out/x.pem")).unwrap();
        let b = resolved(&dir.path().join("out/x.pem")).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_symlinked_folder_resolves_to_its_target() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        assert_eq!(
            resolved(&dir.path().join("link/x.pem")).unwrap(),
            resolved(&dir.path().join("real/x.pem")).unwrap()
        );
    }

    #[test]
    fn a_path_below_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), "x").unwrap();
        assert!(matches!(
            resolved(&dir.path().join("file/x.pem")),
            Err(PathProblem::BelowFile(_))
        ));
    }

    #[test]
    fn a_trailing_slash_is_refused() {
        assert_eq!(resolved(Path::new("out/")), Err(PathProblem::TrailingSlash));
    }

    #[test]
    fn proc_cannot_be_written() {
        let p = resolved(Path::new("/proc/rootca-test/x.pem")).unwrap();
        assert!(matches!(
            probe_writable(&p),
            Err(PathProblem::NotWritable(..))
        ));
    }
}
