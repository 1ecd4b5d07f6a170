//! The ceremony transcript: JSON Lines, one entry per step, each entry
//! carrying the SHA-256 of the one before it, so that removing, reordering
//! or editing an entry breaks the chain.
//!
//! While the ceremony runs the entries go to `<transcript>.partial`,
//! flushed to disk one by one, so a crash still leaves the record of what
//! happened. A ceremony that ends well, or fails after changing something
//! (a key generated, a certificate imported), moves it to its final name;
//! one that fails before changing anything removes it.
//!
//! [`verify`] reads a transcript as bytes, line by line, within
//! [`MAX_LINE_BYTES`] and [`MAX_TRANSCRIPT_BYTES`]; every tampering it can
//! see is a [`TranscriptError::Broken`] naming the line.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
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
    /// The lasting effects of the step: what now exists, and what to do
    /// about it if the ceremony does not complete.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub changes: Vec<RecordedChange>,
    pub prev: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedChange {
    pub what: String,
    pub if_failed: String,
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
    pub changes: Vec<RecordedChange>,
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
    pub fn begin(path: &Path) -> Result<Self, TranscriptError> {
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
        // Held until the process ends: a second run of the same file sees
        // the journal locked and is refused instead of resuming it.
        lock_journal(&file, &journal)?;
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

    /// Reopens the journal of an interrupted ceremony to go on writing
    /// it, after checking its chain; hands back its entries.
    pub fn resume(path: &Path) -> Result<(Self, Vec<Entry>), TranscriptError> {
        let journal = journal_path(path);
        let read_error = |source| OutputError::Read {
            path: journal.clone(),
            source,
        };
        let meta = std::fs::symlink_metadata(&journal).map_err(read_error)?;
        if !meta.is_file() {
            return Err(TranscriptError::NotAFile {
                path: journal.clone(),
                kind: "not a regular file",
            });
        }
        ensure_absent(path)?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&journal)
            .map_err(read_error)?;
        lock_journal(&file, &journal)?;
        let entries = read_entries(&journal, &file)?;
        let Some((_, prev)) = entries.last() else {
            return Err(TranscriptError::Empty { path: journal });
        };
        let prev = prev.clone();
        let seq = entries.len() as u64;
        let transcript = Self {
            path: path.to_path_buf(),
            journal,
            file,
            prev,
            seq,
            // What the interrupted run did stays on record, whatever happens now.
            changed_something: true,
            created_dir: None,
        };
        Ok((transcript, entries.into_iter().map(|(e, _)| e).collect()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal(&self) -> &Path {
        &self.journal
    }

    /// The hash of the last entry written: what the witnesses write down.
    pub fn last_hash(&self) -> &str {
        &self.prev
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
            changes: r.changes,
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

    /// Ends a failed run: if it changed something the journal stays, with
    /// the failure recorded, for `rootca run` to resume or `--abandon` to
    /// close; if not, it is removed.
    pub fn stop(mut self, error: &str) -> Result<Option<PathBuf>, OutputError> {
        if self.changed_something {
            self.record(Record {
                event: STOPPED_EVENT.into(),
                status: "failed".into(),
                details: serde_json::json!({ "error": error }),
                ..Record::default()
            })?;
            Ok(Some(self.journal))
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
    /// Over [`MAX_TRANSCRIPT_BYTES`]: no ceremony writes that much.
    #[error(
        "{path} is larger than {limit}, the most a transcript may be: refused without reading further"
    )]
    TooLarge { path: PathBuf, limit: &'static str },
    /// A FIFO, socket or folder: reading it could wait forever or means nothing.
    #[error("{path} is {kind}, not a transcript file: refused without reading it")]
    NotAFile { path: PathBuf, kind: &'static str },
    /// Another process holds the journal: it is running this ceremony.
    #[error(
        "{path} is held by another rootca process: this ceremony is being run now; one run at a time"
    )]
    InUse { path: PathBuf },
    /// `--expect-last` is not a SHA-256 hash.
    #[error(
        "--expect-last {given:?} is not a SHA-256 hash: give the 64 hex digits the witnesses \
         wrote down (spaces between groups are fine)"
    )]
    InvalidExpectedHash { given: String },
}

/// The longest transcript line [`verify`] reads (1 MiB); an entry is a few KiB.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// The largest transcript [`verify`] reads (64 MiB).
pub const MAX_TRANSCRIPT_BYTES: u64 = 64 * 1024 * 1024;
/// The largest artifact [`verify`] hashes (64 MiB); certificates are a few KiB.
pub const MAX_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;

/// The events of an entry that closes a ceremony's transcript. ("ceremony
/// failed" closed the transcripts of rootca before resuming existed.)
pub const CLOSING_EVENTS: [&str; 3] = ["ceremony complete", ABANDONED_EVENT, "ceremony failed"];

/// A run that failed after a lasting effect: the journal stays open.
pub const STOPPED_EVENT: &str = "ceremony stopped";
/// Closed on purpose by `rootca run FILE --abandon`.
pub const ABANDONED_EVENT: &str = "ceremony abandoned";

fn lock_journal(file: &File, journal: &Path) -> Result<(), TranscriptError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(TranscriptError::InUse {
            path: journal.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => {
            Err(TranscriptError::Output(OutputError::Write {
                path: journal.to_path_buf(),
                source,
            }))
        }
    }
}

/// Checks one line of a transcript: its hash, its number and its link to
/// the entry before; hands back the entry and its hash, or the problem.
fn check_line(n: usize, line: &[u8], prev: &str) -> Result<(Entry, String), String> {
    if line.len() > MAX_LINE_BYTES {
        return Err(
            "longer than 1 MiB, the most a transcript line may be: refused without reading further"
                .into(),
        );
    }
    let line = std::str::from_utf8(line).map_err(|e| {
        let at = e.valid_up_to();
        format!(
            "not UTF-8 text: byte {} of the line is 0x{:02x} (edited?)",
            at + 1,
            line.get(at).copied().unwrap_or(0)
        )
    })?;
    let (body, hash) = line
        .rsplit_once(",\"hash\":\"")
        .and_then(|(b, h)| Some((b, h.strip_suffix("\"}")?)))
        .ok_or_else(|| "no hash at the end of the entry".to_string())?;
    let body = format!("{body}}}");
    if sha256_hex(body.as_bytes()) != hash {
        return Err("the entry does not match its hash (edited?)".into());
    }
    let entry: Entry =
        serde_json::from_str(&body).map_err(|e| format!("not a transcript entry: {e}"))?;
    let due = n as u64 - 1;
    if entry.seq != due {
        return Err(format!(
            "entry number {} where {due} was due (removed or reordered?)",
            entry.seq
        ));
    }
    if entry.prev != prev {
        return Err("does not chain to the entry before it (removed or reordered?)".into());
    }
    Ok((entry, hash.to_string()))
}

/// Every entry of an open journal, its chain checked.
fn read_entries(path: &Path, file: &File) -> Result<Vec<(Entry, String)>, TranscriptError> {
    let meta = file.metadata().map_err(|source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > MAX_TRANSCRIPT_BYTES {
        return Err(TranscriptError::TooLarge {
            path: path.to_path_buf(),
            limit: "64 MiB",
        });
    }
    let mut bytes = Vec::new();
    (&mut &*file)
        .take(MAX_TRANSCRIPT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| OutputError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let mut entries: Vec<(Entry, String)> = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let n = entries.len() + 1;
        let (line, after) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            // A crash mid-write leaves a last line without its newline.
            None => {
                return Err(TranscriptError::Broken {
                    path: path.to_path_buf(),
                    line: n,
                    problem: "the last line is incomplete (the run was cut off while writing it); \
                              the journal cannot be resumed, only read"
                        .into(),
                });
            }
        };
        let (entry, hash) =
            check_line(n, line, &prev).map_err(|problem| TranscriptError::Broken {
                path: path.to_path_buf(),
                line: n,
                problem,
            })?;
        prev = hash.clone();
        entries.push((entry, hash));
        rest = after;
    }
    Ok(entries)
}

/// The entries of a journal, read without taking it over: for `check`
/// and `--abandon` to say what an interrupted ceremony did.
pub fn read_journal(journal: &Path) -> Result<Vec<Entry>, TranscriptError> {
    let file = open_regular(journal)?;
    Ok(read_entries(journal, &file)?
        .into_iter()
        .map(|(e, _)| e)
        .collect())
}

/// Opens `path` for reading only if it is a regular file, not through a
/// link: opening a FIFO would wait for a writer for ever.
pub fn open_regular(path: &Path) -> Result<File, TranscriptError> {
    let read_error = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::symlink_metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(TranscriptError::NotAFile {
            path: path.to_path_buf(),
            kind: if meta.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "not a regular file"
            },
        });
    }
    Ok(File::open(path).map_err(read_error)?)
}

/// What `rootca transcript verify` found.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub entries: usize,
    pub last_hash: String,
    pub artifacts: Vec<(String, String)>,
    /// The files the first entry says the ceremony read (the ceremony file
    /// among them) that are present, with their SHA-256, which matched.
    pub inputs: Vec<(String, String)>,
    /// Those no longer present, not checked.
    pub inputs_absent: Vec<String>,
    /// The last entry is `ceremony complete`.
    pub complete: bool,
    /// The last entry closes the ceremony ([`CLOSING_EVENTS`]).
    pub closed: bool,
    /// The last hash was given with `--expect-last`, and it matched.
    pub last_hash_expected: bool,
    /// No closing entry, and no `--expect-last` to prove nothing was cut off.
    pub may_be_cut_off: bool,
    /// Regular files in the transcript's folder (not below it; not the
    /// transcript, its `.partial` journal or hidden files) that no entry
    /// names as an output, by name, sorted.
    pub not_vouched_for: Vec<String>,
}

/// The hash the witnesses wrote down, as compared: lowercase, without
/// spaces. `None` unless it is 64 hex digits.
pub fn normalize_hash(given: &str) -> Option<String> {
    let hash: String = given
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hash)
}

/// Checks the hash chain, and that every file an entry wrote is still
/// there with the same SHA-256 (paths are resolved against the
/// transcript's folder); with `expect_last`, that the last entry's hash is
/// that one (compared without spaces, in any case). Lists the files of the
/// folder no entry vouches for.
///
/// The file is read as bytes and split on `\n`; each line is decoded and
/// checked with its number, so every change to a line, an entry removed,
/// added or moved, a changed or missing artifact, or a last hash other
/// than the expected one is a [`TranscriptError::Broken`] naming the line.
/// Nothing is read past [`MAX_TRANSCRIPT_BYTES`] or a line past
/// [`MAX_LINE_BYTES`].
pub fn verify(path: &Path, expect_last: Option<&str>) -> Result<Verified, TranscriptError> {
    let expected = expect_last
        .map(|given| {
            normalize_hash(given).ok_or_else(|| TranscriptError::InvalidExpectedHash {
                given: given.to_string(),
            })
        })
        .transpose()?;
    let read_error = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let broken = |line: usize, problem: String| TranscriptError::Broken {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let too_large = || TranscriptError::TooLarge {
        path: path.to_path_buf(),
        limit: "64 MiB",
    };

    // Opening a FIFO waits for a writer: look before opening.
    let meta = std::fs::metadata(path).map_err(read_error)?;
    refuse_special(path, &meta)?;
    let file = File::open(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    refuse_special(path, &meta)?;
    if meta.is_file() && meta.len() > MAX_TRANSCRIPT_BYTES {
        return Err(too_large());
    }

    let base = folder_of(path);
    let mut reader = BufReader::new(file.take(MAX_TRANSCRIPT_BYTES + 1));
    let mut prev = GENESIS.to_string();
    let mut hashes: Vec<String> = Vec::new();
    let mut artifacts = Vec::new();
    let mut inputs = Vec::new();
    let mut inputs_absent = Vec::new();
    let mut vouched: Vec<PathBuf> = Vec::new();
    let mut total: u64 = 0;
    let mut last_event = String::new();
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(read_error)?;
        if read == 0 {
            break;
        }
        total += read as u64;
        let n = hashes.len() + 1;
        if total > MAX_TRANSCRIPT_BYTES {
            return Err(too_large());
        }
        let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let (entry, hash) = check_line(n, line, &prev).map_err(|problem| broken(n, problem))?;
        if n == 1 {
            for (file, want) in &entry.inputs {
                let full = base.join(file);
                // Inputs are checked where they are still present: a CSR
                // may rightly have been moved away after the ceremony.
                if full.exists() {
                    let got = hash_artifact(&full)
                        .map_err(|problem| broken(n, format!("the input {file} {problem}")))?;
                    if &got != want {
                        return Err(broken(
                            n,
                            format!(
                                "the input {file} is not the file the ceremony read (SHA-256 {got}, recorded {want})"
                            ),
                        ));
                    }
                    inputs.push((file.clone(), got));
                } else {
                    inputs_absent.push(file.clone());
                }
            }
        }
        for (file, want) in &entry.outputs {
            let full = base.join(file);
            let got = hash_artifact(&full)
                .map_err(|problem| broken(n, format!("the artifact {file} {problem}")))?;
            if &got != want {
                return Err(broken(
                    n,
                    format!(
                        "the artifact {file} has changed since the ceremony (SHA-256 {got}, recorded {want})"
                    ),
                ));
            }
            if let Ok(canonical) = full.canonicalize() {
                vouched.push(canonical);
            }
            artifacts.push((file.clone(), got));
        }
        last_event = entry.event;
        prev = hash;
        hashes.push(prev.clone());
    }
    let entries = hashes.len();
    if entries == 0 {
        return Err(TranscriptError::Empty {
            path: path.to_path_buf(),
        });
    }
    if let Some(expected) = &expected
        && *expected != prev
    {
        let problem = match hashes.iter().position(|h| h == expected) {
            Some(i) => format!(
                "the last entry's hash is {prev}, not {expected} as given with --expect-last: \
                 that is the hash of line {}, so {} entries were added after it",
                i + 1,
                entries - i - 1
            ),
            None => format!(
                "the last entry's hash is {prev}, not {expected} as given with --expect-last, \
                 and no entry has that hash: entries were cut off the end, or this is not the \
                 transcript the witnesses saw"
            ),
        };
        return Err(broken(entries, problem));
    }
    let closed = CLOSING_EVENTS.contains(&last_event.as_str());
    let not_vouched_for =
        unvouched_files(path, &base, &vouched).map_err(|source| OutputError::Read {
            path: base.clone(),
            source,
        })?;
    Ok(Verified {
        entries,
        last_hash: prev,
        artifacts,
        inputs,
        inputs_absent,
        complete: last_event == "ceremony complete",
        closed,
        last_hash_expected: expected.is_some(),
        may_be_cut_off: !closed && expected.is_none(),
        not_vouched_for,
    })
}

/// The folder a transcript's paths are relative to.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn refuse_special(path: &Path, meta: &std::fs::Metadata) -> Result<(), TranscriptError> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    let refused = if kind.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_dir() {
        Some("a folder")
    } else {
        None
    };
    match refused {
        Some(kind) => Err(TranscriptError::NotAFile {
            path: path.to_path_buf(),
            kind,
        }),
        None => Ok(()),
    }
}

/// The SHA-256 of a regular file of at most [`MAX_ARTIFACT_BYTES`], or
/// what keeps it from being one, worded to follow "the artifact NAME".
fn hash_artifact(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    let too_large = || "is larger than 64 MiB, more than any artifact of a ceremony".to_string();
    if meta.len() > MAX_ARTIFACT_BYTES {
        return Err(too_large());
    }
    let file = File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_ARTIFACT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_ARTIFACT_BYTES {
        return Err(too_large());
    }
    Ok(sha256_hex(&bytes))
}

/// The regular files directly in `base` that no entry vouched for, by
/// name: not the transcript itself, its journal (or, for a journal, the
/// final name), nor hidden files.
fn unvouched_files(
    path: &Path,
    base: &Path,
    vouched: &[PathBuf],
) -> Result<Vec<String>, std::io::Error> {
    let own = path.file_name().map(|n| n.to_os_string());
    let journal = journal_path(path).file_name().map(|n| n.to_os_string());
    let finished = own.as_ref().and_then(|n| {
        n.to_str()
            .and_then(|n| n.strip_suffix(".partial"))
            .map(std::ffi::OsString::from)
    });
    let mut found = Vec::new();
    for entry in std::fs::read_dir(base)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.')
            || Some(&name) == own.as_ref()
            || Some(&name) == journal.as_ref()
            || Some(&name) == finished.as_ref()
        {
            continue;
        }
        let full = entry.path();
        // Followed: a link to a regular file shows as that file.
        if !std::fs::metadata(&full).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let is_vouched = full
            .canonicalize()
            .is_ok_and(|canonical| vouched.contains(&canonical));
        if !is_vouched {
            found.push(name.to_string_lossy().into_owned());
        }
    }
    found.sort();
    Ok(found)
}
