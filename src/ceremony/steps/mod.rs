//! The step library: the steps several ceremony kinds share. Each step is
//! a pair: a function that makes its plan entry (`Step`, what `check` and
//! `script` show) and one that carries it out, taking what earlier steps
//! produced as typed values and handing its own on in `Done::value`.

pub mod certificate;
pub mod cloudhsm;
pub mod private_ca;
pub mod token;

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::Change;

/// What a step did: its product for the next steps, what is printed for
/// the officer and recorded in the transcript, and its lasting effects.
pub struct Done<T> {
    pub value: T,
    pub say: Vec<String>,
    pub details: serde_json::Value,
    pub outputs: BTreeMap<PathBuf, String>,
    pub changes: Vec<Change>,
    /// The `what` of earlier changes this step undid (an HSM deleted
    /// again): they leave the ledger.
    pub resolved: Vec<String>,
}

impl<T> Done<T> {
    pub fn new(value: T) -> Self {
        Self {
            value,
            say: Vec::new(),
            details: serde_json::Value::Null,
            outputs: BTreeMap::new(),
            changes: Vec::new(),
            resolved: Vec::new(),
        }
    }

    pub fn say(mut self, lines: Vec<String>) -> Self {
        self.say = lines;
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn changed(mut self, change: Change) -> Self {
        self.changes.push(change);
        self
    }

    pub fn resolves(mut self, what: String) -> Self {
        self.resolved.push(what);
        self
    }
}
