//! `session`: what an officer runs once a year. The root is brought back
//! as `reactivate` does, the ceremony files the session lists are run in
//! order (each as `rootca run FILE`, with its own transcript), and the
//! root is taken offline again on every path: success, a refused or
//! failing ceremony, Ctrl-C. Its transcript records what the HSM time
//! cost and where it went.

use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use super::Entry;
use super::deactivate::CloudHsmSection;
use super::reactivate::{Reactivation, reactivation, stop_if_interrupted};
use crate::ceremony::file::{
    AwsSection, HsmSection, IssuerSection, Problems, Source, distinct, output, resolve,
};
use crate::ceremony::officers::People;
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::Done;
use crate::ceremony::steps::cloudhsm::{self, SessionHsm};
use crate::ceremony::{CeremonyError, Change, Kind, Plan, Run, Step, StepError};

pub const ENTRY: Entry = Entry {
    name: "session",
    load,
};

pub const RUN_CEREMONY: &str = "run-ceremony";
pub const SESSION_COST: &str = "session-cost";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outputs {
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionSection {
    ceremonies: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    aws: Option<AwsSection>,
    cloudhsm: CloudHsmSection,
    verify: IssuerSection,
    session: SessionSection,
    outputs: Outputs,
}

/// A ceremony file the session runs, as checked when the session was.
#[derive(Debug)]
pub struct Inner {
    pub path: PathBuf,
    pub sha256: String,
    pub kind: &'static str,
    pub name: String,
    /// Its plan, as "N. title".
    pub plan: Vec<String>,
    pub transcript: PathBuf,
}

#[derive(Debug)]
pub struct SessionCeremony {
    pub back: Reactivation,
    pub ceremonies: Vec<Inner>,
    pub transcript: PathBuf,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: SessionFile = src.parse()?;
    let back = reactivation(src, &f.hsm, f.aws, f.cloudhsm, f.verify, p);
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(&[("outputs.transcript", &transcript)], p);
    let field = "session.ceremonies";
    if f.session.ceremonies.is_empty() {
        p.add(
            field,
            "lists no ceremony file: name the CRL (and any subordinate) ceremonies the session runs, e.g. [\"crl-4.toml\"]",
        );
    }
    let resuming = crate::output::transcript::journal_path(&transcript).exists();
    let mut ceremonies: Vec<Inner> = Vec::new();
    for given in &f.session.ceremonies {
        let path = resolve(src.dir, given);
        let shown = given.display();
        if path == src.path || std::path::absolute(&path).ok() == std::path::absolute(src.path).ok()
        {
            p.add(field, format!("{shown} is this session's own file"));
            continue;
        }
        if ceremonies.iter().any(|c| c.path == path) {
            p.add(
                field,
                format!("{shown} is listed twice: a ceremony runs once"),
            );
            continue;
        }
        // Resuming, a listed ceremony that completed has its outputs in
        // place: it is read for its plan, and not run again.
        let loaded = if resuming && completed(&path) {
            crate::ceremony::load_content(&path)
        } else {
            crate::ceremony::load(&path)
        };
        let c = match loaded {
            Ok(c) => c,
            Err(CeremonyError::Invalid { problems, .. }) => {
                for problem in problems {
                    p.add(field, format!("{shown} cannot be run: {problem}"));
                }
                continue;
            }
            Err(e) => {
                p.add(field, format!("{shown} cannot be run: {e}"));
                continue;
            }
        };
        let kind = c.kind.name();
        let Some(spec) = c.kind.hsm() else {
            p.add(
                field,
                format!(
                    "{shown} is a {kind} ceremony: a session runs the ceremonies that use the root's HSM (root, key, subordinate, document-signer, crl), and brings the root back and takes it offline itself"
                ),
            );
            continue;
        };
        if let Some(back) = &back
            && (spec.module != back.hsm.module || spec.token != back.hsm.token)
        {
            p.add(
                field,
                format!(
                    "{shown} uses token \"{}\" of {}, but the session brings back token \"{}\" of {}: a session's ceremonies use the HSM it brings back",
                    spec.token,
                    spec.module.display(),
                    back.hsm.token,
                    back.hsm.module.display()
                ),
            );
        }
        let inner_transcript = c.kind.transcript().to_path_buf();
        if inner_transcript == transcript {
            p.add(
                field,
                format!("{shown} writes its transcript where the session writes its own"),
            );
        }
        let sha256 = c.file_sha256.clone();
        let name = c.name.clone();
        let plan = Plan::new(c)
            .steps
            .iter()
            .map(|s| format!("{}. {}", s.number, s.title))
            .collect();
        ceremonies.push(Inner {
            path,
            sha256,
            kind,
            name,
            plan,
            transcript: inner_transcript,
        });
    }
    Ok(back.map(|back| {
        Box::new(SessionCeremony {
            back,
            ceremonies,
            transcript,
        }) as Box<dyn Kind>
    }))
}

impl Kind for SessionCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn inputs(&self) -> Vec<(PathBuf, String)> {
        let mut all = self.back.inputs.clone();
        all.extend(
            self.ceremonies
                .iter()
                .map(|c| (c.path.clone(), c.sha256.clone())),
        );
        all
    }

    fn steps(&self) -> Vec<Step> {
        let spec = &self.back.cluster;
        let mut steps = self.back.steps();
        steps.extend(self.ceremonies.iter().map(run_ceremony_step));
        steps.extend([
            cloudhsm::check_for_offline_step(spec),
            cloudhsm::keep_previous_step(),
            cloudhsm::take_offline_step(spec),
            cloudhsm::wait_backup_step(spec),
            cloudhsm::keep_backup_step(),
            Step::new(SESSION_COST, "Record the HSM time the session cost").details(vec![
                "from the HSM's creation to the cluster having none: in waits for AWS, in the ceremonies, and the rest".into(),
            ]),
        ]);
        steps
    }

    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        // From here on Ctrl-C stops the session, which then takes the
        // root offline, instead of ending the process.
        crate::interrupt::catch().map_err(|e| {
            CeremonyError::NotStarted(format!(
                "Ctrl-C cannot be taken over ({e}), and a session must be able to take the root offline after it; nothing was changed"
            ))
        })?;
        let back = &self.back;
        let cluster = r.step(cloudhsm::CHECK_CLUSTER, || {
            stop_if_interrupted()?;
            cloudhsm::check_for_reactivation(&back.aws, &back.cluster)
        })?;
        // The time the listed ceremonies took, for the HSM time's split.
        let mut in_ceremonies = Duration::ZERO;
        let mut hsm = None;
        let online = self.online(r, &cluster, &mut hsm, &mut in_ceremonies);
        let failure = match online {
            Ok(()) => None,
            // Refused with nothing changed: nothing to take offline.
            Err(e) if e.is_refusal() => return Err(e),
            Err(e) => Some(e),
        };
        crate::interrupt::cleaning_up();
        if let Some(failure) = &failure {
            let step = match failure {
                CeremonyError::Step(f) => format!("step {}", f.step),
                _ => "a step".into(),
            };
            let why = if crate::interrupt::came() {
                format!("the session was interrupted at {step}")
            } else {
                format!("{step} failed")
            };
            r.skip_to(
                cloudhsm::CHECK_OFFLINE,
                &format!("{why}; the root is taken offline now"),
            )?;
        }
        let offline = self.offline(r, hsm.as_ref(), in_ceremonies);
        match (failure, offline) {
            (None, result) => result.map(|_| ()),
            (Some(f), Ok(said)) => Err(r.after_cleanup(f, said, true)),
            (Some(f), Err(cleanup)) => {
                let first = f.to_string().lines().next().unwrap_or_default().to_string();
                Err(r.after_cleanup(
                    cleanup,
                    vec![format!(
                        "this failure came while taking the root offline after another: {first}"
                    )],
                    false,
                ))
            }
        }
    }
}

impl SessionCeremony {
    /// From the HSM to the last ceremony.
    fn online(
        &self,
        r: &mut Run<'_>,
        cluster: &cloudhsm::Cluster,
        hsm: &mut Option<SessionHsm>,
        in_ceremonies: &mut Duration,
    ) -> Result<(), CeremonyError> {
        self.back.bring_back(r, cluster, hsm)?;
        let people = r.people().clone();
        for inner in &self.ceremonies {
            let began = Instant::now();
            let result = r.resuming(RUN_CEREMONY, |earlier| {
                stop_if_interrupted()?;
                run_ceremony(inner, &people, earlier)
            });
            *in_ceremonies += began.elapsed();
            result?;
        }
        Ok(())
    }

    /// Takes the root offline; what it did, for the failure message.
    fn offline(
        &self,
        r: &mut Run<'_>,
        hsm: Option<&SessionHsm>,
        in_ceremonies: Duration,
    ) -> Result<Vec<String>, CeremonyError> {
        let back = &self.back;
        let spec = &back.cluster;
        let cluster = r.step(cloudhsm::CHECK_OFFLINE, || {
            cloudhsm::check_for_offline(&back.aws, spec)
        })?;
        r.resuming(cloudhsm::KEEP_PREVIOUS, |_| {
            cloudhsm::keep_previous(&cluster)
        })?;
        let first_seen = r
            .first_recorded(cloudhsm::CHECK_OFFLINE)
            .and_then(|d| d.get("hsms").cloned());
        let deleted = r.resuming(cloudhsm::DELETE_HSMS, |earlier| {
            let done = cloudhsm::delete_hsms(&cluster, spec, earlier, first_seen)?;
            Ok(match hsm {
                Some(h) => done.resolves(cloudhsm::created_hsm_what(&h.id, &spec.cluster_id)),
                None => done,
            })
        })?;
        let backup = r.step(cloudhsm::WAIT_BACKUP, || {
            cloudhsm::wait_backup(&cluster.hsm, spec, &deleted)
        })?;
        let kept = r.resuming(cloudhsm::KEEP_BACKUP, |_| {
            cloudhsm::keep_backup(&cluster, backup.as_ref())
        })?;
        r.step(SESSION_COST, || {
            Ok(session_cost(hsm, &deleted, in_ceremonies))
        })?;
        let mut said = vec![format!(
            "the root was taken offline again: {} has no HSM",
            spec.cluster_id
        )];
        if let Some(b) = kept {
            said.push(format!(
                "its key is held by backup {}, which never expires",
                b.id
            ));
        }
        Ok(said)
    }
}

/// Whether the ceremony file at `path` ran to completion: its transcript
/// verifies, is complete, and was written by a run of this very file.
fn completed(path: &Path) -> bool {
    let Ok(c) = crate::ceremony::load_content(path) else {
        return false;
    };
    completed_as(c.kind.transcript(), &c.file_sha256)
}

fn completed_as(transcript: &Path, file_sha256: &str) -> bool {
    let Ok(verified) = crate::output::transcript::verify(transcript, None) else {
        return false;
    };
    let by_this_file = crate::output::transcript::read_journal(transcript)
        .ok()
        .and_then(|e| e.first().map(|f| f.details.get("file_sha256").cloned()))
        .flatten()
        .is_some_and(|sha| sha == file_sha256);
    verified.complete && by_this_file
}

fn run_ceremony_step(inner: &Inner) -> Step {
    let file = inner.path.file_name().map_or_else(
        || inner.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut details = vec![
        format!(
            "rootca run {} ({}: {})",
            inner.path.display(),
            inner.kind,
            inner.name
        ),
        format!(
            "its own plan, confirmations and transcript ({}):",
            inner.transcript.display()
        ),
    ];
    details.extend(inner.plan.iter().map(|l| format!("  {l}")));
    details.push(
        "if it is refused or fails, the ceremonies after it are not run and the root is taken offline"
            .into(),
    );
    Step::new(
        RUN_CEREMONY,
        &format!("Run the {} ceremony {file}", inner.kind),
    )
    .details(details)
    .witness("Follow the ceremony's own plan; write down the last hash it prints.")
    .lasting()
}

/// The most of a ceremony's output kept for the session's message.
const KEPT_LINES: usize = 12;

/// Runs one ceremony file as its own `rootca run`, on this terminal; its
/// standard error is shown as it comes and its last lines kept.
fn run_ceremony(inner: &Inner, people: &People, earlier: Earlier) -> Result<Done<()>, StepError> {
    let shown = inner.path.display().to_string();
    // Killed after the ceremony ended but before the session recorded it:
    // its own transcript says it completed.
    let done_before = match earlier {
        Earlier::Done(_) => true,
        Earlier::Started => completed_as(&inner.transcript, &inner.sha256),
        Earlier::NotRun => false,
    };
    if done_before {
        crate::output::transcript::verify(&inner.transcript, None).map_err(|e| {
            StepError::NotConfirmed(format!(
                "{shown} completed before the interruption, but its transcript does not verify now: {e}"
            ))
        })?;
        return Ok(Done::new(()).say(vec![format!(
            "{shown} completed before the interruption; its transcript {} verifies",
            inner.transcript.display()
        )]));
    }
    let now = crate::input::read_bounded(&inner.path, crate::input::limit::CEREMONY_FILE)
        .map_err(|e| StepError::Refused(format!("{shown} cannot be read now: {e}")))?;
    if crate::output::sha256_hex(&now) != inner.sha256 {
        return Err(StepError::Refused(format!(
            "{shown} changed since the session began (SHA-256 {} then): the session runs only the files it checked",
            inner.sha256
        )));
    }
    let exe = std::env::current_exe()
        .map_err(|e| StepError::NotConfirmed(format!("cannot find the rootca program: {e}")))?;
    let mut command = std::process::Command::new(exe);
    command.arg("run").arg(&inner.path);
    // The tests' pause points are meant for the session, not for what it runs.
    command.env_remove("ROOTCA_TEST_PAUSE");
    if people.yes {
        command.arg("--yes");
    }
    for o in &people.officers {
        command.arg(format!("--officer={o}"));
    }
    for w in &people.witnesses {
        command.arg(format!("--witness={w}"));
    }
    if people.json {
        // stdout carries the session's JSON outcome alone.
        use std::os::fd::AsFd;
        let err = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| StepError::NotConfirmed(format!("cannot pass stderr on: {e}")))?;
        command.stdout(std::process::Stdio::from(err));
    }
    command.stderr(std::process::Stdio::piped());
    let began = SystemTime::now();
    let mut child = command
        .spawn()
        .map_err(|e| StepError::NotConfirmed(format!("cannot start rootca run {shown}: {e}")))?;
    let mut kept: Vec<String> = Vec::new();
    if let Some(err) = child.stderr.take() {
        let mut out = std::io::stderr();
        // Bytes, not lines of UTF-8: stopping at an invalid line would stop
        // draining the pipe, and the ceremony would block writing to it.
        for line in std::io::BufReader::new(err)
            .split(b'\n')
            .map_while(Result::ok)
        {
            let line = String::from_utf8_lossy(&line);
            let _ = writeln!(out, "{line}");
            kept.push(crate::text::shown(&line));
            if kept.len() > KEPT_LINES {
                kept.remove(0);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| StepError::NotConfirmed(format!("rootca run {shown}: {e}")))?;
    let seconds = began.elapsed().map_or(0.0, |d| d.as_secs_f64());
    if !status.success() {
        use std::os::unix::process::ExitStatusExt;
        let (how, refused) = match (status.code(), status.signal()) {
            (Some(2), _) => (
                "was refused (exit 2): nothing was changed by it".to_string(),
                true,
            ),
            (Some(code), _) => (format!("failed (exit {code})"), false),
            (None, Some(2)) => ("was interrupted by Ctrl-C".to_string(), false),
            (None, Some(sig)) => (format!("was ended by signal {sig}"), false),
            (None, None) => ("ended abnormally".to_string(), false),
        };
        return Err(StepError::Inner {
            file: shown,
            how,
            refused,
            said: kept,
        });
    }
    let verified = crate::output::transcript::verify(&inner.transcript, None).map_err(|e| {
        StepError::NotConfirmed(format!(
            "{shown} reported success, but its transcript {} does not verify: {e}",
            inner.transcript.display()
        ))
    })?;
    let last_hash = verified.last_hash.clone();
    Ok(Done::new(())
        .say(vec![format!(
            "{shown} complete ({seconds:.0} s); its transcript {} ends with {}",
            inner.transcript.display(),
            crate::ceremony::runner::hash_for_witnesses(&last_hash)
        )])
        .details(serde_json::json!({
            "file": shown,
            "file_sha256": inner.sha256,
            "kind": inner.kind,
            "transcript": inner.transcript,
            "last_hash": last_hash,
            "seconds": seconds,
        }))
        .changed(Change {
            what: format!("ran the {} ceremony {shown}", inner.kind),
            if_failed: format!(
                "nothing to undo: {shown} completed, and its transcript {} records what it made",
                inner.transcript.display()
            ),
        }))
}

/// The HSM's time from when it began to cost to the cluster having none:
/// the waits for AWS (for it to be ACTIVE, for it to be gone), the
/// ceremonies, and the rest, which is rootca's own (the key proven, the
/// cluster read): the idle time the session should keep near zero.
fn session_cost(
    hsm: Option<&SessionHsm>,
    deleted: &cloudhsm::Deleted,
    in_ceremonies: Duration,
) -> Done<()> {
    let Some(h) = hsm else {
        return Done::new(()).say(vec!["no HSM ran for this session".into()]);
    };
    let total = deleted.gone_at.duration_since(h.since).unwrap_or_default();
    let coming_up = h
        .active_at
        .and_then(|a| a.duration_since(h.since).ok())
        .unwrap_or_default();
    let going = deleted
        .gone_at
        .duration_since(deleted.deleted_at)
        .unwrap_or_default();
    let waiting_for_aws = coming_up + going;
    let rest = total.saturating_sub(waiting_for_aws + in_ceremonies);
    let minutes = |d: Duration| d.as_secs_f64() / 60.0;
    Done::new(())
        .say(vec![format!(
            "HSM {} ran {:.1} minutes: {:.1} waiting for AWS, {:.1} in the ceremonies, {:.1} otherwise",
            h.id,
            minutes(total),
            minutes(waiting_for_aws),
            minutes(in_ceremonies),
            minutes(rest)
        )])
        .details(serde_json::json!({
            "hsm": h.id,
            "hsm_minutes": minutes(total),
            "waiting_for_aws_minutes": minutes(waiting_for_aws),
            "in_ceremonies_minutes": minutes(in_ceremonies),
            "other_minutes": minutes(rest),
            "known_from": if h.created_here { "CreateHsm" } else { "when the session found it" },
        }))
}
