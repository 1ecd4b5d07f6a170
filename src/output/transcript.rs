//! The ceremony transcript: JSON Lines, one entry per step, each entry
//! carrying the SHA-256 of the one before it, so that removing, reordering
//! or editing an entry breaks the chain.
//!
//! While the ceremony runs the entries go to `<transcript>.partial`,
//! flushed to disk one by one, so a crash still leaves the record of what
//! happened. A ceremony that ends well, or fails after changing something
//! (a key generated, a certificate imported), moves it to its final name;
//! one that fails before changing anything removes it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{OutputError, ensure_absent, sha256_hex};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub time: String,
    /// The plan's step number; absent for the opening and closing entries.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<u32>,
    pub event: String,
    pub status: String,
    /// File path -> SHA-256 of what the step read.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub inputs: BTreeMap<String, String>,
    /// File path -> SHA-256 of what the step wrote.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub outputs: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null", default)]
    pub details: serde_json::Value,
    pub prev: String,
}

/// What a step reports to the transcript.
#[derive(Debug, Default, Clone)]
pub struct Record {
    pub step: Option<u32>,
    pub event: String,
    pub status: String,
    pub inputs: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
    pub details: serde_json::Value,
}

pub struct Transcript {
    path: PathBuf,
    journal: PathBuf,
    file: File,
    prev: String,
    seq: u64,
    changed_something: bool,
    /// The folder `begin` had to create, removed again if nothing is kept.
    created_dir: Option<PathBuf>,
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// Where the journal of a running ceremony's transcript is kept.
pub fn journal_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Serialises an entry with its hash as the last member. The hash covers
/// the exact bytes of the line without it.
fn seal(entry: &Entry) -> Result<(String, String), serde_json::Error> {
    let body = serde_json::to_string(entry)?;
    let hash = sha256_hex(body.as_bytes());
    let line = format!("{},\"hash\":\"{hash}\"}}", &body[..body.len() - 1]);
    Ok((line, hash))
}

impl Transcript {
    pub fn begin(path: &Path) -> Result<Self, OutputError> {
        let write = |source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        };
        ensure_absent(path)?;
        let journal = journal_path(path);
        let mut created_dir = None;
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(write)?;
            created_dir = Some(dir.to_path_buf());
        }
        // The journal of a running ceremony is the officer's alone; the
        // finished transcript is a public record (0644, like the artifacts).
        use std::os::unix::fs::OpenOptionsExt;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&journal)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    OutputError::Exists(journal.clone())
                } else {
                    write(e)
                }
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            journal,
            file,
            prev: GENESIS.into(),
            seq: 0,
            changed_something: false,
            created_dir,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// From now on a failure must leave the transcript behind.
    pub fn changed_something(&mut self) {
        self.changed_something = true;
    }

    pub fn record(&mut self, r: Record) -> Result<(), OutputError> {
        let entry = Entry {
            seq: self.seq,
            time: now(),
            step: r.step,
            event: r.event,
            status: r.status,
            inputs: r.inputs,
            outputs: r.outputs,
            details: r.details,
            prev: self.prev.clone(),
        };
        let (line, hash) = seal(&entry).map_err(|e| OutputError::Write {
            path: self.journal.clone(),
            source: std::io::Error::other(e),
        })?;
        let write = |source| OutputError::Write {
            path: self.journal.clone(),
            source,
        };
        writeln!(self.file, "{line}").map_err(write)?;
        self.file.sync_data().map_err(write)?;
        self.prev = hash;
        self.seq += 1;
        Ok(())
    }

    /// Moves the journal to its final name, refusing to replace anything.
    pub fn finish(self) -> Result<PathBuf, OutputError> {
        let write = |source| OutputError::Write {
            path: self.path.clone(),
            source,
        };
        self.file.sync_all().map_err(write)?;
        // hard_link fails if the target exists: no replacement possible.
        std::fs::hard_link(&self.journal, &self.path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists(self.path.clone())
            } else {
                write(e)
            }
        })?;
        std::fs::remove_file(&self.journal).map_err(write)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o644))
            .map_err(write)?;
        Ok(self.path)
    }

    /// Ends a failed ceremony: kept if it changed something, else removed.
    pub fn abandon(mut self, error: &str) -> Result<Option<PathBuf>, OutputError> {
        if self.changed_something {
            self.record(Record {
                event: "ceremony failed".into(),
                status: "failed".into(),
                details: serde_json::json!({ "error": error }),
                ..Record::default()
            })?;
            self.finish().map(Some)
        } else {
            let _ = std::fs::remove_file(&self.journal);
            if let Some(dir) = &self.created_dir {
                // Only removes it if it is still empty.
                let _ = std::fs::remove_dir(dir);
            }
            Ok(None)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{path} is empty: it records no ceremony")]
    Empty { path: PathBuf },
    #[error("{path} line {line}: {problem}")]
    Broken {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

/// What `rootca transcript verify` found.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub entries: usize,
    pub last_hash: String,
    pub artifacts: Vec<(String, String)>,
    pub complete: bool,
}

/// Checks the hash chain, and that every file an entry wrote is still
/// there with the same SHA-256. Paths are resolved against the
/// transcript's folder.
pub fn verify(path: &Path) -> Result<Verified, TranscriptError> {
    let text = std::fs::read_to_string(path).map_err(|source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let broken = |line: usize, problem: String| TranscriptError::Broken {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut prev = GENESIS.to_string();
    let mut artifacts = Vec::new();
    let mut entries = 0;
    let mut complete = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let (body, hash) = line
            .rsplit_once(",\"hash\":\"")
            .and_then(|(b, h)| Some((b, h.strip_suffix("\"}")?)))
            .ok_or_else(|| broken(n, "no hash at the end of the entry".into()))?;
        let body = format!("{body}}}");
        if sha256_hex(body.as_bytes()) != hash {
            return Err(broken(
                n,
                "the entry does not match its hash (edited?)".into(),
            ));
        }
        let entry: Entry = serde_json::from_str(&body)
            .map_err(|e| broken(n, format!("not a transcript entry: {e}")))?;
        if entry.seq != i as u64 {
            return Err(broken(
                n,
                format!(
                    "entry number {} where {i} was due (removed or reordered?)",
                    entry.seq
                ),
            ));
        }
        if entry.prev != prev {
            return Err(broken(
                n,
                "does not chain to the entry before it (removed or reordered?)".into(),
            ));
        }
        for (file, want) in &entry.outputs {
            let full = base.join(file);
            let bytes = std::fs::read(&full)
                .map_err(|e| broken(n, format!("the artifact {file} cannot be read: {e}")))?;
            let got = sha256_hex(&bytes);
            if &got != want {
                return Err(broken(
                    n,
                    format!(
                        "the artifact {file} has changed since the ceremony (SHA-256 {got}, recorded {want})"
                    ),
                ));
            }
            artifacts.push((file.clone(), got));
        }
        complete = entry.event == "ceremony complete";
        prev = hash.to_string();
        entries += 1;
    }
    if entries == 0 {
        return Err(TranscriptError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(Verified {
        entries,
        last_hash: prev,
        artifacts,
        complete,
    })
}
