//! An interrupted ceremony, as its journal tells it: which steps were
//! done, which began and did not finish, and what stayed changed. The
//! runner resumes from this; `check` and `--abandon` report it.

use std::path::{Path, PathBuf};

use crate::output::transcript::{
    Entry, RecordedChange, TranscriptError, open_regular, read_journal,
};

/// The statuses a step's entry can have.
pub const STARTED: &str = "started";
pub const OK: &str = "ok";
pub const FAILED: &str = "failed";
/// A step passed over because an earlier one failed.
pub const NOT_RUN: &str = "not run";

/// What the journal says of one planned step.
#[derive(Debug, Clone, PartialEq)]
pub enum Earlier {
    /// Never began.
    NotRun,
    /// Began and was cut off (no entry of its end, neither done nor
    /// failed): its effect, if any, is not recorded.
    Started,
    /// Done; the details its last entry recorded.
    Done(serde_json::Value),
}

#[derive(Debug, Clone)]
pub struct Interrupted {
    pub journal: PathBuf,
    pub entries: Vec<Entry>,
    /// Another rootca process holds the journal: the ceremony is not
    /// interrupted but running now.
    pub running: bool,
}

impl Interrupted {
    pub fn read(journal: &Path) -> Result<Self, TranscriptError> {
        let entries = read_journal(journal)?;
        // The running process holds it locked; a shared lock tells, and is
        // let go at once.
        let running = open_regular(journal)
            .map(|f| matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)))
            .unwrap_or(false);
        Ok(Self {
            journal: journal.to_path_buf(),
            entries,
            running,
        })
    }

    pub fn from_entries(journal: &Path, entries: Vec<Entry>) -> Self {
        Self {
            journal: journal.to_path_buf(),
            entries,
            running: false,
        }
    }

    fn first(&self) -> Option<&Entry> {
        self.entries.first()
    }

    /// The SHA-256 of the ceremony file the interrupted run read.
    pub fn file_sha256(&self) -> Option<&str> {
        self.first()?.details.get("file_sha256")?.as_str()
    }

    /// The plan it ran, as "N. title" lines.
    pub fn planned(&self) -> Vec<String> {
        self.first()
            .and_then(|e| e.details.get("steps"))
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the journal says of step `number`: done if an entry says so,
    /// else started if one began it.
    pub fn earlier(&self, number: u32) -> Earlier {
        let mut found = Earlier::NotRun;
        for e in self.entries.iter().filter(|e| e.step == Some(number)) {
            match e.status.as_str() {
                OK => found = Earlier::Done(e.details.clone()),
                STARTED if found == Earlier::NotRun => found = Earlier::Started,
                // It reported its failure: nothing of it to take over.
                FAILED if found == Earlier::Started => found = Earlier::NotRun,
                _ => {}
            }
        }
        found
    }

    /// The details of the first entry that says step `number` was done:
    /// what the world was when the ceremony first saw it.
    pub fn first_done(&self, number: u32) -> Option<serde_json::Value> {
        self.entries
            .iter()
            .find(|e| e.step == Some(number) && e.status == OK)
            .map(|e| e.details.clone())
    }

    /// The highest step number done.
    pub fn last_done(&self) -> Option<u32> {
        self.entries
            .iter()
            .filter(|e| e.status == OK)
            .filter_map(|e| e.step)
            .max()
    }

    /// Every lasting change the journal records, once each, in order.
    pub fn changes(&self) -> Vec<RecordedChange> {
        let mut all: Vec<RecordedChange> = Vec::new();
        for c in self.entries.iter().flat_map(|e| e.changes.iter()) {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
        all
    }

    /// The lines that tell the officer where the interrupted ceremony
    /// stands: what was done, what began, what remains.
    pub fn describe(&self, steps: &[(u32, String)]) -> Vec<String> {
        let mut lines = Vec::new();
        for (n, title) in steps {
            let state = match self.earlier(*n) {
                Earlier::Done(_) => "done",
                Earlier::Started => "began, not finished: the resume checks what it did",
                Earlier::NotRun => "to do",
            };
            lines.push(format!("{n:>2}. {title}: {state}"));
        }
        let changes = self.changes();
        if !changes.is_empty() {
            lines.push("What the interrupted run changed:".into());
            lines.extend(changes.iter().map(|c| format!("  - {}", c.what)));
        }
        lines
    }
}
