//! Carries a plan out step by step: prints each step, has the officers
//! confirm where the plan says so, records every step in the transcript as
//! it happens, and keeps the ledger of lasting effects from which a
//! failure is judged a refusal or not.
//!
//! A run that stopped after a lasting effect leaves its journal open. Run
//! again on the same file, the runner reads it, shows what was done, and
//! with the officer's confirmation goes on: steps done before are not
//! redone but re-established from the journal and the world (the key
//! found again by label and CKA_ID, the certificate taken from the
//! journal, the files checked by hash), so no second key and no second,
//! different certificate is ever made.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{CeremonyError, Change, RejectsInput, StepError, StepFailure};
use super::facts;
use super::officers::{People, Room};
use super::plan::{Plan, Step, StepId};
use super::resume::{self, Earlier, Interrupted};
use super::steps::Done;
use crate::hsm::Hsm;
use crate::output::hex_groups;
use crate::output::transcript::{ABANDONED_EVENT, Record, RecordedChange, Transcript};
use crate::text::shown;

pub type RunOptions = People;

/// A line for the officers: on stdout, or on stderr when stdout carries
/// the JSON outcome (`--json`).
macro_rules! outln {
    ($stderr:expr, $($arg:tt)*) => {
        if $stderr {
            eprintln!($($arg)*)
        } else {
            println!($($arg)*)
        }
    };
}

pub struct Summary {
    pub transcript: PathBuf,
    pub outputs: Vec<PathBuf>,
    /// The last entry's hash, for the witnesses to write down.
    pub last_hash: String,
    pub resumed: bool,
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

fn with(details: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    match details {
        serde_json::Value::Object(mut m) => {
            m.insert(key.into(), value);
            serde_json::Value::Object(m)
        }
        serde_json::Value::Null => serde_json::json!({ key: value }),
        other => serde_json::json!({ "value": other, key: value }),
    }
}

/// A ceremony being run: what a kind's `run` drives, one step at a time.
pub struct Run<'a> {
    plan: &'a Plan,
    room: Room,
    transcript: Transcript,
    base: PathBuf,
    next: usize,
    changes: Vec<Change>,
    outputs: Vec<PathBuf>,
    /// The journal of the run this one resumes.
    earlier: Option<Interrupted>,
    hsm: Option<Hsm>,
    /// The officers' lines go to stderr.
    json: bool,
}

impl Run<'_> {
    /// The HSM the runner opened for the first entry, for the login step.
    pub fn take_hsm(&mut self) -> Option<Hsm> {
        self.hsm.take()
    }

    /// What the interrupted run recorded of the planned step `id`.
    pub fn earlier(&self, id: StepId) -> Earlier {
        let Some(step) = self.plan.steps.iter().find(|s| s.id == id) else {
            return Earlier::NotRun;
        };
        self.earlier
            .as_ref()
            .map_or(Earlier::NotRun, |e| e.earlier(step.number))
    }

    /// The details the interrupted run first recorded for step `id`.
    pub fn first_recorded(&self, id: StepId) -> Option<serde_json::Value> {
        let step = self.plan.steps.iter().find(|s| s.id == id)?;
        self.earlier.as_ref()?.first_done(step.number)
    }

    /// Runs the plan's next step, which must be `id`, with `f`, and hands
    /// back what the step produced. A step that can have a lasting effect
    /// and that an interrupted run began must go through
    /// [`Run::resuming`], which tells it so.
    pub fn step<T>(
        &mut self,
        id: StepId,
        f: impl FnOnce() -> Result<Done<T>, StepError>,
    ) -> Result<T, CeremonyError> {
        self.resuming(id, |earlier| match earlier {
            Earlier::NotRun => f(),
            _ => Err(StepError::CannotResume(id)),
        })
    }

    /// Like [`Run::step`], telling `f` what the interrupted run did of
    /// the step: `f` re-establishes a step done before from the journal
    /// and the world instead of doing it again.
    pub fn resuming<T>(
        &mut self,
        id: StepId,
        f: impl FnOnce(Earlier) -> Result<Done<T>, StepError>,
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
        outln!(
            self.json,
            "\n[{}/{}] {}",
            step.number,
            plan.steps.len(),
            shown(&step.title)
        );
        let mut earlier = self
            .earlier
            .as_ref()
            .map_or(Earlier::NotRun, |e| e.earlier(step.number));
        // Only what has a lasting effect is carried over; anything else is
        // simply done again.
        if !(step.lasting || step.confirm || resumable(step.id)) {
            earlier = Earlier::NotRun;
        }
        let done_before = matches!(earlier, Earlier::Done(_));
        if done_before {
            outln!(
                self.json,
                "      done before the interruption: checking it, not doing it again"
            );
        }
        let mut confirmed_by = Vec::new();
        if step.confirm && !done_before {
            match self.room.confirm(step.number, &step.title) {
                Some(names) => confirmed_by = names,
                None => {
                    self.record(Record {
                        step: Some(step.number),
                        event: step.title.clone(),
                        status: "stopped by the officer".into(),
                        ..Record::default()
                    })?;
                    return Err(self.failure(step, StepError::Stopped(step.number), false));
                }
            }
        }
        if (step.lasting || step.confirm) && !done_before {
            // Written before the step acts, so a crash inside it is known.
            self.record(Record {
                step: Some(step.number),
                event: step.title.clone(),
                status: resume::STARTED.into(),
                details: if confirmed_by.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::json!({ "confirmed_by": confirmed_by })
                },
                ..Record::default()
            })?;
        }
        let done = match f(earlier) {
            Ok(done) => done,
            // An error that says no to the input comes before the step
            // acts; any other error of a step that acts may come after.
            Err(source) => {
                let may_have_changed = step.lasting && !source.rejects_input();
                return Err(self.failure(step, source, may_have_changed));
            }
        };
        for line in &done.say {
            outln!(self.json, "      {}", shown(line));
        }
        if !done.changes.is_empty() {
            self.transcript.changed_something();
        }
        let changes: Vec<RecordedChange> = done
            .changes
            .iter()
            .map(|c| RecordedChange {
                what: c.what.clone(),
                if_failed: c.if_failed.clone(),
            })
            .collect();
        for c in done.changes {
            if !self.changes.contains(&c) {
                self.changes.push(c);
            }
        }
        self.changes.retain(|c| !done.resolved.contains(&c.what));
        self.outputs.extend(done.outputs.keys().cloned());
        let outputs = done
            .outputs
            .iter()
            .map(|(p, h)| (recorded(&self.base, p), h.clone()))
            .collect();
        let mut details = done.details;
        if !confirmed_by.is_empty() {
            details = with(details, "confirmed_by", serde_json::json!(confirmed_by));
        }
        if done_before {
            details = with(
                details,
                "resumed",
                serde_json::json!("done before the interruption; checked, not done again"),
            );
        }
        self.record(Record {
            step: Some(step.number),
            event: step.title.clone(),
            status: resume::OK.into(),
            outputs,
            details,
            changes,
            ..Record::default()
        })?;
        crate::crash::point(&format!("after-step-{}", step.number));
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
        if !matches!(source, StepError::Stopped(_)) {
            // A failure is an outcome the step reported: a resume does the
            // step again (or refuses), it does not take over what it finds.
            let _ = self.transcript.record(Record {
                step: Some(step.number),
                event: step.title.clone(),
                status: resume::FAILED.into(),
                details: serde_json::json!({ "error": source.to_string() }),
                ..Record::default()
            });
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
            file: self.plan.ceremony.file.clone(),
            step_may_have_changed: may_have_changed,
            refused,
            afterwards: Vec::new(),
            closed: false,
        }))
    }

    /// Who runs the ceremony, for a kind that runs others (a session).
    pub fn people(&self) -> &People {
        self.room.people()
    }

    /// Passes over the planned steps before `id`, which an earlier failure
    /// leaves without purpose: each is shown and recorded as not run, with
    /// the reason, and the plan goes on at `id`.
    pub fn skip_to(&mut self, id: StepId, reason: &str) -> Result<(), CeremonyError> {
        let plan = self.plan;
        while let Some(step) = plan.steps.get(self.next).filter(|s| s.id != id) {
            self.next += 1;
            outln!(
                self.json,
                "\n[{}/{}] {}\n      not run: {}",
                step.number,
                plan.steps.len(),
                shown(&step.title),
                shown(reason)
            );
            self.record(Record {
                step: Some(step.number),
                event: step.title.clone(),
                status: resume::NOT_RUN.into(),
                details: serde_json::json!({ "reason": reason }),
                ..Record::default()
            })?;
        }
        if plan.steps.get(self.next).is_none() {
            return Err(CeremonyError::OutOfPlan {
                ran: id,
                planned: "no more steps".into(),
            });
        }
        Ok(())
    }

    /// The failure `err` after the kind has undone what it could: the
    /// ledger as it is now (what was undone is gone from it), and what was
    /// done after the failure. The transcript is closed with the failure,
    /// for there is nothing left to resume, when `closed`.
    pub fn after_cleanup(
        &mut self,
        err: CeremonyError,
        afterwards: Vec<String>,
        closed: bool,
    ) -> CeremonyError {
        match err {
            CeremonyError::Step(mut f) => {
                f.changes = self.changes.clone();
                f.afterwards = afterwards;
                f.closed = closed;
                CeremonyError::Step(f)
            }
            other => other,
        }
    }
}

/// Steps without a lasting effect whose product must not change on a
/// resume: the serial drawn (a second draw would make a second, different
/// certificate).
fn resumable(id: StepId) -> bool {
    id == super::steps::token::DRAW_SERIAL
}

/// The HSM opened for the first entry: module, its SHA-256, the token.
fn open_hsm(spec: &super::HsmSpec) -> Result<(Hsm, serde_json::Value), CeremonyError> {
    let hsm = Hsm::open(&spec.module, &spec.token).map_err(CeremonyError::Hsm)?;
    let token = hsm.token_facts(&spec.token).map_err(CeremonyError::Hsm)?;
    let facts = serde_json::json!({
        "module": spec.module,
        "module_sha256": facts::module_sha256(&spec.module),
        "token": token,
    });
    Ok((hsm, facts))
}

fn plan_lines(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| format!("{}. {}", s.number, s.title))
        .collect()
}

/// Takes the interrupted run's journal over, after checking that it ran
/// this plan, and has the officer confirm going on.
fn take_over(
    plan: &Plan,
    room: &mut Room,
) -> Result<Option<(Transcript, Interrupted)>, CeremonyError> {
    let c = &plan.ceremony;
    let json = room.people().json;
    if c.interrupted.is_none() {
        return Ok(None);
    }
    let path = c.kind.transcript();
    let (transcript, entries) = Transcript::resume(path).map_err(CeremonyError::Journal)?;
    let interrupted = Interrupted::from_entries(transcript.journal(), entries);
    if interrupted.planned() != plan_lines(plan) {
        return Err(CeremonyError::NotStarted(format!(
            "{} was written by a run with another plan (another rootca version?): it ran\n  {}\nwhere this one has\n  {}\nA ceremony resumes only under the plan it began with; close the journal with --abandon",
            transcript.journal().display(),
            interrupted.planned().join("\n  "),
            plan_lines(plan).join("\n  ")
        )));
    }
    outln!(
        json,
        "This ceremony was interrupted; its journal is {}.",
        transcript.journal().display()
    );
    let steps: Vec<(u32, String)> = plan
        .steps
        .iter()
        .map(|s| (s.number, s.title.clone()))
        .collect();
    for line in interrupted.describe(&steps) {
        outln!(json, "  {}", shown(&line));
    }
    for l in &c.leftovers {
        outln!(
            json,
            "  temporary copy left by the interrupted run, to be removed: {}",
            l.display()
        );
    }
    if !room.people().yes {
        let answer = room.ask(&format!(
            "\n  Resume the ceremony after step {}? Steps done are not done again. Type \"yes\" to resume: ",
            interrupted.last_done().unwrap_or(0)
        ));
        if answer.as_deref() != Some("yes") {
            return Err(CeremonyError::NotStarted(format!(
                "the officer did not resume the interrupted ceremony; its journal {} is as it was. \
                 To close it instead: rootca run {} --abandon",
                transcript.journal().display(),
                c.file.display()
            )));
        }
    }
    Ok(Some((transcript, interrupted)))
}

fn opening_details(plan: &Plan, room: &Room, hsm: &serde_json::Value) -> serde_json::Value {
    let c = &plan.ceremony;
    let people = room.people();
    serde_json::json!({
        "ceremony": c.kind.name(),
        "name": c.name,
        "rootca": env!("CARGO_PKG_VERSION"),
        "build": facts::build(),
        "file_sha256": c.file_sha256,
        "file_content": c.file_text,
        "host": facts::host(),
        "operator": facts::operator(),
        "officers": people.officers,
        "witnesses": people.witnesses,
        "confirm_by": room.confirm_by(),
        "confirmations": if people.yes { "not asked (--yes)" } else { "typed at the terminal" },
        "hsm": hsm,
        "steps": plan_lines(plan),
    })
}

pub fn run(plan: &Plan, options: &RunOptions) -> Result<Summary, CeremonyError> {
    let c = &plan.ceremony;
    let confirms = plan.steps.iter().any(|s| s.confirm) || c.interrupted.is_some();
    let mut room = Room::new(options, c.confirm_by, confirms).map_err(CeremonyError::Room)?;
    let transcript_path = c.kind.transcript();
    let base = transcript_path
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();

    // A resume takes the journal first: a second run of the same file is
    // refused on its lock before it opens anything.
    let resumed = take_over(plan, &mut room)?;
    let (hsm, hsm_facts) = match c.kind.hsm() {
        Some(spec) => {
            let (hsm, facts) = open_hsm(spec)?;
            (Some(hsm), facts)
        }
        None => (None, serde_json::Value::Null),
    };
    let mut inputs = BTreeMap::new();
    inputs.insert(recorded(&base, &c.file), c.file_sha256.clone());
    for (path, sha) in c.kind.inputs() {
        inputs.insert(recorded(&base, &path), sha);
    }
    let details = opening_details(plan, &room, &hsm_facts);
    let (transcript, earlier) = match resumed {
        Some((mut transcript, interrupted)) => {
            let mut removed = Vec::new();
            for l in &c.leftovers {
                if std::fs::remove_file(l).is_ok() {
                    removed.push(l.display().to_string());
                }
            }
            transcript
                .record(Record {
                    event: "ceremony resumed".into(),
                    status: resume::OK.into(),
                    inputs,
                    details: with(
                        with(
                            details,
                            "resumed_after_step",
                            interrupted.last_done().into(),
                        ),
                        "removed_temporary_copies",
                        removed.into(),
                    ),
                    ..Record::default()
                })
                .map_err(CeremonyError::Transcript)?;
            (transcript, Some(interrupted))
        }
        None => {
            let mut transcript =
                Transcript::begin(transcript_path).map_err(CeremonyError::Journal)?;
            transcript
                .record(Record {
                    event: "ceremony started".into(),
                    status: resume::OK.into(),
                    inputs,
                    details,
                    ..Record::default()
                })
                .map_err(CeremonyError::Transcript)?;
            (transcript, None)
        }
    };
    let changes = earlier
        .as_ref()
        .map(|e| {
            e.changes()
                .into_iter()
                .map(|c| Change {
                    what: c.what,
                    if_failed: c.if_failed,
                })
                .collect()
        })
        .unwrap_or_default();
    let is_resumed = earlier.is_some();

    outln!(
        options.json,
        "\nCeremony: {} ({})",
        shown(&c.name),
        c.kind.name()
    );
    let mut run = Run {
        plan,
        room,
        transcript,
        base,
        next: 0,
        changes,
        outputs: Vec::new(),
        earlier,
        hsm,
        json: options.json,
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
                    status: resume::OK.into(),
                    ..Record::default()
                })
                .map_err(CeremonyError::Transcript)?;
            let last_hash = transcript.last_hash().to_string();
            let transcript = transcript.finish().map_err(CeremonyError::Transcript)?;
            Ok(Summary {
                transcript,
                outputs,
                last_hash,
                resumed: is_resumed,
            })
        }
        Err(CeremonyError::Step(mut f)) if f.closed => {
            // Cleaned up after the failure: the record is complete.
            transcript
                .record(Record {
                    event: "ceremony failed".into(),
                    status: resume::FAILED.into(),
                    details: serde_json::json!({
                        "error": f.source.to_string(),
                        "step": f.step,
                        "afterwards": f.afterwards,
                        "left_as_it_is": f.changes.iter().map(|c| &c.what).collect::<Vec<_>>(),
                    }),
                    ..Record::default()
                })
                .map_err(CeremonyError::Transcript)?;
            f.transcript = Some(transcript.finish().map_err(CeremonyError::Transcript)?);
            Err(CeremonyError::Step(f))
        }
        Err(mut e) => {
            let kept = transcript.stop(&e.to_string());
            if let CeremonyError::Step(f) = &mut e {
                match kept {
                    Ok(Some(path)) => f.transcript = Some(path),
                    Ok(None) => {}
                    Err(t) => {
                        eprintln!(
                            "rootca: the journal of the failed ceremony could not be written: {t}"
                        )
                    }
                }
            }
            Err(e)
        }
    }
}

/// What `--abandon` closed and left behind.
pub struct Abandoned {
    pub transcript: PathBuf,
    pub left_behind: Vec<RecordedChange>,
    pub removed: Vec<PathBuf>,
    pub last_hash: String,
}

/// Closes an interrupted ceremony's journal on purpose, with the reason
/// the officer types, and says what it leaves behind. Deletes nothing of
/// what the ceremony made: only rootca's own temporary copies.
pub fn abandon(plan: &Plan, options: &RunOptions) -> Result<Abandoned, CeremonyError> {
    let c = &plan.ceremony;
    if c.interrupted.is_none() {
        return Err(CeremonyError::NotStarted(format!(
            "there is no interrupted ceremony to abandon: {} has no journal",
            c.kind.transcript().display()
        )));
    }
    let mut room = Room::new(
        &People {
            yes: false,
            ..options.clone()
        },
        1,
        true,
    )
    .map_err(CeremonyError::Room)?;
    let (mut transcript, entries) =
        Transcript::resume(c.kind.transcript()).map_err(CeremonyError::Journal)?;
    let interrupted = Interrupted::from_entries(transcript.journal(), entries);
    let steps: Vec<(u32, String)> = plan
        .steps
        .iter()
        .map(|s| (s.number, s.title.clone()))
        .collect();
    outln!(
        options.json,
        "Abandoning the interrupted ceremony of {}; its journal is {}.",
        c.file.display(),
        transcript.journal().display()
    );
    for line in interrupted.describe(&steps) {
        outln!(options.json, "  {}", shown(&line));
    }
    let reason = room
        .ask("\n  Why is it abandoned? Type the reason for the record (one line): ")
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            CeremonyError::NotStarted(
                "no reason was typed: a ceremony is abandoned only with the reason on record; the journal is as it was".into(),
            )
        })?;
    let mut removed = Vec::new();
    for l in &c.leftovers {
        if std::fs::remove_file(l).is_ok() {
            removed.push(l.clone());
        }
    }
    let left_behind = interrupted.changes();
    transcript
        .record(Record {
            event: ABANDONED_EVENT.into(),
            status: "abandoned".into(),
            details: serde_json::json!({
                "reason": reason,
                "host": facts::host(),
                "operator": facts::operator(),
                "officers": options.officers,
                "witnesses": options.witnesses,
                "build": facts::build(),
                "left_behind": left_behind,
                "removed_temporary_copies": removed,
            }),
            ..Record::default()
        })
        .map_err(CeremonyError::Transcript)?;
    let last_hash = transcript.last_hash().to_string();
    let path = transcript.finish().map_err(CeremonyError::Transcript)?;
    Ok(Abandoned {
        transcript: path,
        left_behind,
        removed,
        last_hash,
    })
}

/// The last hash as the witnesses write it down: groups of four.
pub fn hash_for_witnesses(hash: &str) -> String {
    hex::decode(hash)
        .map(|bytes| hex_groups(&bytes))
        .unwrap_or_else(|_| hash.to_string())
}
