//! Carries a plan out step by step: prints each step, stops for the
//! officer where the plan says so, and records every step in the
//! transcript as it happens.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use super::actions::{self, StepError};
use super::{CeremonyError, Plan};
use crate::output::transcript::{Record, Transcript};

pub struct RunOptions {
    /// Run without stopping at confirmation points.
    pub yes: bool,
    pub witnesses: Vec<String>,
}

pub struct Summary {
    pub transcript: PathBuf,
    pub outputs: Vec<PathBuf>,
}

/// A path as the transcript records it: relative to the transcript's
/// folder where it lies below it, so the folder can be moved as a whole.
fn recorded(base: &Path, path: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (base, path) = (abs(base), abs(path));
    path.strip_prefix(&base)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

fn confirm(step: u32, title: &str) -> bool {
    print!(
        "\n  Step {step}: {title}.\n  Type \"yes\" to go on, anything else stops the ceremony: "
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(n) if n > 0 => answer.trim() == "yes",
        _ => false,
    }
}

pub fn run(plan: &Plan, options: &RunOptions) -> Result<Summary, CeremonyError> {
    let c = &plan.ceremony;
    let transcript_path = c.body.transcript();
    let base = transcript_path
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut transcript = Transcript::begin(transcript_path).map_err(CeremonyError::Transcript)?;
    let mut inputs = BTreeMap::new();
    inputs.insert(recorded(&base, &c.file), c.file_sha256.clone());
    for (path, sha) in c.body.inputs() {
        inputs.insert(recorded(&base, &path), sha);
    }
    transcript
        .record(Record {
            event: "ceremony started".into(),
            status: "ok".into(),
            inputs,
            details: serde_json::json!({
                "ceremony": c.body.kind(),
                "name": c.name,
                "rootca": env!("CARGO_PKG_VERSION"),
                "witnesses": options.witnesses,
                "steps": plan.steps.iter().map(|s| format!("{}. {}", s.number, s.title)).collect::<Vec<_>>(),
            }),
            ..Record::default()
        })
        .map_err(CeremonyError::Transcript)?;

    println!("Ceremony: {} ({})", c.name, c.body.kind());
    let mut state = actions::State::default();
    let mut outputs = Vec::new();
    let total = plan.steps.len();
    let result = (|| -> Result<(), CeremonyError> {
        for step in &plan.steps {
            println!("\n[{}/{total}] {}", step.number, step.title);
            if step.confirm && !options.yes && !confirm(step.number, &step.title) {
                transcript
                    .record(Record {
                        step: Some(step.number),
                        event: step.title.clone(),
                        status: "stopped by the officer".into(),
                        ..Record::default()
                    })
                    .map_err(CeremonyError::Transcript)?;
                return Err(CeremonyError::Stopped { step: step.number });
            }
            let done = actions::execute(step.action, c, &mut state).map_err(|e| {
                let (step, title) = (step.number, step.title.clone());
                match e {
                    StepError::Hsm(source) => CeremonyError::Hsm {
                        step,
                        title,
                        source,
                    },
                    StepError::Profile(source) => CeremonyError::Profile {
                        step,
                        title,
                        source,
                    },
                    StepError::Output(source) => CeremonyError::Output {
                        step,
                        title,
                        source,
                    },
                    StepError::Aws(source) => CeremonyError::Aws {
                        step,
                        title,
                        source: Box::new(source),
                    },
                    e @ (StepError::IssuerKeyMismatch { .. } | StepError::Refused(_)) => {
                        CeremonyError::Refused {
                            step,
                            title,
                            message: e.to_string(),
                        }
                    }
                    StepError::NotConfirmed(message) => CeremonyError::NotConfirmed {
                        step,
                        title,
                        message,
                    },
                    StepError::Order(what) => CeremonyError::Internal { step, title, what },
                }
            })?;
            for line in &done.say {
                println!("      {line}");
            }
            if done.changed {
                transcript.changed_something();
            }
            outputs.extend(done.outputs.keys().cloned());
            transcript
                .record(Record {
                    step: Some(step.number),
                    event: step.title.clone(),
                    status: "ok".into(),
                    outputs: done
                        .outputs
                        .iter()
                        .map(|(p, h)| (recorded(&base, p), h.clone()))
                        .collect(),
                    details: done.details,
                    ..Record::default()
                })
                .map_err(CeremonyError::Transcript)?;
        }
        Ok(())
    })();

    match result {
        Ok(()) => {
            transcript
                .record(Record {
                    event: "ceremony complete".into(),
                    status: "ok".into(),
                    ..Record::default()
                })
                .map_err(CeremonyError::Transcript)?;
            let transcript = transcript.finish().map_err(CeremonyError::Transcript)?;
            Ok(Summary {
                transcript,
                outputs,
            })
        }
        Err(e) => {
            if let Ok(Some(kept)) = transcript.abandon(&e.to_string()) {
                eprintln!(
                    "The transcript of the failed ceremony is kept at {}",
                    kept.display()
                );
            }
            Err(e)
        }
    }
}
