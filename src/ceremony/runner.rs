//! Carries a plan out step by step: prints each step, stops for the
//! officer where the plan says so, records every step in the transcript as
//! it happens, and keeps the ledger of lasting effects from which a
//! failure is judged a refusal or not.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use super::error::{CeremonyError, Change, RejectsInput, StepError, StepFailure};
use super::plan::{Plan, Step, StepId};
use super::steps::Done;
use crate::output::transcript::{Record, Transcript};
use crate::text::shown;

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

/// A ceremony being run: what a kind's `run` drives, one step at a time.
pub struct Run<'a> {
    plan: &'a Plan,
    yes: bool,
    transcript: Transcript,
    base: PathBuf,
    next: usize,
    changes: Vec<Change>,
    outputs: Vec<PathBuf>,
}

impl Run<'_> {
    /// Runs the plan's next step, which must be `id`, with `f`, and hands
    /// back what the step produced.
    pub fn step<T>(
        &mut self,
        id: StepId,
        f: impl FnOnce() -> Result<Done<T>, StepError>,
    ) -> Result<T, CeremonyError> {
        let plan = self.plan;
        let Some(step) = plan.steps.get(self.next).filter(|s| s.id == id) else {
            return Err(CeremonyError::OutOfPlan {
                ran: id,
                planned: plan.steps.get(self.next).map_or_else(
                    || "no more steps".into(),
                    |s| format!("step {} \"{}\"", s.number, s.id),
                ),
            });
        };
        self.next += 1;
        println!(
            "\n[{}/{}] {}",
            step.number,
            plan.steps.len(),
            shown(&step.title)
        );
        if step.confirm && !self.yes && !confirm(step.number, &step.title) {
            self.record(Record {
                step: Some(step.number),
                event: step.title.clone(),
                status: "stopped by the officer".into(),
                ..Record::default()
            })?;
            return Err(self.failure(step, StepError::Stopped(step.number), false));
        }
        let done = match f() {
            Ok(done) => done,
            // An error that says no to the input comes before the step
            // acts; any other error of a step that acts may come after.
            Err(source) => {
                let may_have_changed = step.lasting && !source.rejects_input();
                return Err(self.failure(step, source, may_have_changed));
            }
        };
        for line in &done.say {
            println!("      {}", shown(line));
        }
        if !done.changes.is_empty() {
            self.transcript.changed_something();
        }
        self.changes.extend(done.changes);
        self.outputs.extend(done.outputs.keys().cloned());
        let outputs = done
            .outputs
            .iter()
            .map(|(p, h)| (recorded(&self.base, p), h.clone()))
            .collect();
        self.record(Record {
            step: Some(step.number),
            event: step.title.clone(),
            status: "ok".into(),
            outputs,
            details: done.details,
            ..Record::default()
        })?;
        Ok(done.value)
    }

    fn record(&mut self, r: Record) -> Result<(), CeremonyError> {
        self.transcript.record(r).map_err(CeremonyError::Transcript)
    }

    /// The one place where a failure becomes a refusal: only when nothing
    /// had changed, the failing step cannot have changed anything, and the
    /// error says no to the input.
    fn failure(&mut self, step: &Step, source: StepError, may_have_changed: bool) -> CeremonyError {
        if may_have_changed {
            // From a step that may have had an effect on, the record stays.
            self.transcript.changed_something();
        }
        let refused = self.changes.is_empty() && !may_have_changed && source.rejects_input();
        let not_done = self.plan.steps[self.next.saturating_sub(1)..]
            .iter()
            .map(|s| format!("{}. {}", s.number, s.title))
            .collect();
        CeremonyError::Step(Box::new(StepFailure {
            step: step.number,
            title: step.title.clone(),
            source,
            changes: self.changes.clone(),
            not_done,
            transcript: None,
            step_may_have_changed: may_have_changed,
            refused,
        }))
    }
}

pub fn run(plan: &Plan, options: &RunOptions) -> Result<Summary, CeremonyError> {
    let c = &plan.ceremony;
    let transcript_path = c.kind.transcript();
    let base = transcript_path
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut transcript = Transcript::begin(transcript_path).map_err(CeremonyError::Transcript)?;
    let mut inputs = BTreeMap::new();
    inputs.insert(recorded(&base, &c.file), c.file_sha256.clone());
    for (path, sha) in c.kind.inputs() {
        inputs.insert(recorded(&base, &path), sha);
    }
    transcript
        .record(Record {
            event: "ceremony started".into(),
            status: "ok".into(),
            inputs,
            details: serde_json::json!({
                "ceremony": c.kind.name(),
                "name": c.name,
                "rootca": env!("CARGO_PKG_VERSION"),
                "witnesses": options.witnesses,
                "steps": plan.steps.iter().map(|s| format!("{}. {}", s.number, s.title)).collect::<Vec<_>>(),
            }),
            ..Record::default()
        })
        .map_err(CeremonyError::Transcript)?;

    println!("Ceremony: {} ({})", shown(&c.name), c.kind.name());
    let mut run = Run {
        plan,
        yes: options.yes,
        transcript,
        base,
        next: 0,
        changes: Vec::new(),
        outputs: Vec::new(),
    };
    let mut result = c.kind.run(&mut run);
    if result.is_ok() && run.next != plan.steps.len() {
        result = Err(CeremonyError::OutOfPlan {
            ran: "the end",
            planned: format!("{} steps, of which {} ran", plan.steps.len(), run.next),
        });
    }
    let Run {
        mut transcript,
        outputs,
        ..
    } = run;
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
        Err(mut e) => {
            let kept = transcript.abandon(&e.to_string());
            if let CeremonyError::Step(f) = &mut e {
                match kept {
                    Ok(Some(path)) => f.transcript = Some(path),
                    Ok(None) => {}
                    Err(t) => {
                        eprintln!(
                            "rootca: the transcript of the failed ceremony could not be closed: {t}"
                        )
                    }
                }
            }
            Err(e)
        }
    }
}
