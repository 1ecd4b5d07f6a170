//! `dr-drill`: prove, without touching production, that the root can be
//! restored from its backup in another region. The backup is copied to
//! the drill region, a cluster is created from the copy with its HSM type
//! and mode, an HSM is created in it and the key proven as `reactivate`
//! proves it; then everything the drill made is torn down (unless the file
//! says to keep it) and a report is written, in Markdown and JSON, with
//! every step's times, the recovery time and a verdict. On every path:
//! a drill that fails tears down what it made and still writes the
//! report, naming whatever it could not remove and the command that would.
//!
//! The only call to the source region that is not a read is
//! CopyBackupToRegion, which changes nothing there.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::Entry;
use super::deactivate::CloudHsmSection;
use super::reactivate::{Reactivation, reactivation, stop_if_interrupted};
use crate::aws::AwsSettings;
use crate::aws::cloudhsm::{BackupInfo, CloudHsm, CloudHsmError, ClusterInfo};
use crate::ceremony::file::{
    AwsSection, HsmSection, IssuerSection, Problems, Source, distinct, output, plain_text,
};
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::cloudhsm::{self, Cluster, ClusterSpec, SessionHsm};
use crate::ceremony::steps::{Done, token};
use crate::ceremony::{CeremonyError, Change, Kind, Run, Step, StepError};
use crate::output::Staged;

pub const ENTRY: Entry = Entry {
    name: "dr-drill",
    load,
};

pub const CHOOSE_BACKUP: &str = "choose-backup";
pub const COPY_BACKUP: &str = "copy-backup";
pub const WAIT_COPY: &str = "wait-copy";
pub const CREATE_CLUSTER: &str = "create-drill-cluster";
pub const WAIT_CLUSTER: &str = "wait-drill-cluster";
pub const CREATE_HSM: &str = "create-drill-hsm";
pub const WAIT_HSM: &str = "wait-drill-hsm";
pub const DELETE_HSM: &str = "delete-drill-hsm";
pub const DELETE_BACKUPS: &str = "delete-drill-backups";
pub const DELETE_CLUSTER: &str = "delete-drill-cluster";
pub const CHECK_SOURCE: &str = "check-source";
pub const WRITE_REPORT: &str = "write-report";
pub const VERDICT: &str = "verdict";

/// The tag on what a drill creates, so a person can tell it from production.
pub const DRILL_TAG: &str = "rootca-dr-drill";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DrillSection {
    cluster_id: String,
    drill_region: String,
    drill_subnet_ids: Vec<String>,
    drill_availability_zone: Option<String>,
    backup_id: Option<String>,
    wait_minutes: Option<toml::Value>,
    client_command: Option<Vec<String>>,
    keep: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outputs {
    report: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DrillFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    aws: Option<AwsSection>,
    cloudhsm: DrillSection,
    verify: IssuerSection,
    outputs: Outputs,
}

#[derive(Debug)]
pub struct DrillCeremony {
    /// The source cluster and the key to prove; its `cluster` is the
    /// source cluster's spec, with the drill's Availability Zone.
    pub back: Reactivation,
    pub drill_region: String,
    pub subnets: Vec<String>,
    pub backup_id: Option<String>,
    pub keep: bool,
    pub report: PathBuf,
    pub report_json: PathBuf,
    pub transcript: PathBuf,
}

fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: DrillFile = src.parse()?;
    let c = f.cloudhsm;
    plain_text(&c.drill_region, "cloudhsm.drill_region", p);
    if !is_region(&c.drill_region) {
        p.add(
            "cloudhsm.drill_region",
            format!(
                "\"{}\" is not an AWS region such as \"us-west-2\"",
                c.drill_region
            ),
        );
    }
    let source_region = f.aws.as_ref().and_then(|a| a.region.clone());
    if source_region.as_deref() == Some(c.drill_region.as_str()) {
        p.add(
            "cloudhsm.drill_region",
            format!(
                "is the source region {}: a drill restores in another region, so that production is never touched",
                c.drill_region
            ),
        );
    }
    if c.drill_subnet_ids.is_empty() {
        p.add(
            "cloudhsm.drill_subnet_ids",
            "must name at least one subnet of the drill region for the drill cluster, e.g. [\"subnet-0a1b2c3d4e5f60718\"]",
        );
    }
    for s in &c.drill_subnet_ids {
        let ok = s.strip_prefix("subnet-").is_some_and(|h| {
            (8..=17).contains(&h.len()) && h.chars().all(|ch| ch.is_ascii_hexdigit())
        });
        if !ok {
            p.add(
                "cloudhsm.drill_subnet_ids",
                format!("\"{s}\" is not a subnet ID such as \"subnet-0a1b2c3d4e5f60718\""),
            );
        }
    }
    if let Some(b) = &c.backup_id {
        let ok = b.strip_prefix("backup-").is_some_and(|h| {
            (11..=16).contains(&h.len()) && h.chars().all(|ch| ch.is_ascii_alphanumeric())
        });
        if !ok {
            p.add(
                "cloudhsm.backup_id",
                format!("\"{b}\" is not a CloudHSM backup ID such as \"backup-rtq2dwi2gq6\""),
            );
        }
    }
    if let Some(az) = &c.drill_availability_zone {
        plain_text(az, "cloudhsm.drill_availability_zone", p);
        if !az.starts_with(&c.drill_region) {
            p.add(
                "cloudhsm.drill_availability_zone",
                format!(
                    "\"{az}\" is not a zone of the drill region {}",
                    c.drill_region
                ),
            );
        }
    }
    let section = CloudHsmSection {
        cluster_id: c.cluster_id,
        availability_zone: c.drill_availability_zone,
        ip_address: None,
        wait_minutes: c.wait_minutes,
        client_command: c.client_command,
        previous_deactivation: None,
    };
    let back = reactivation(src, &f.hsm, f.aws, section, f.verify, p);
    let report = output(src.dir, &f.outputs.report, "outputs.report", p);
    if report.extension().and_then(|e| e.to_str()) != Some("md") {
        p.add(
            "outputs.report",
            "must end in .md: the report is written as Markdown there, and as JSON beside it with .json",
        );
    }
    let report_json = output(
        src.dir,
        &f.outputs.report.with_extension("json"),
        "outputs.report",
        p,
    );
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.report", &report),
            ("outputs.report (its .json)", &report_json),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Ok(back.map(|back| {
        Box::new(DrillCeremony {
            back,
            drill_region: c.drill_region,
            subnets: c.drill_subnet_ids,
            backup_id: c.backup_id,
            keep: c.keep.unwrap_or(false),
            report,
            report_json,
            transcript,
        }) as Box<dyn Kind>
    }))
}

/// One step as the report shows it.
#[derive(Serialize, Clone)]
struct StepTime {
    number: u32,
    title: String,
    #[serde(serialize_with = "rfc3339")]
    started: SystemTime,
    #[serde(serialize_with = "rfc3339")]
    ended: SystemTime,
    seconds: f64,
    outcome: String,
}

fn rfc3339_text(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn rfc3339<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_text(*t))
}

/// A resource the drill made, and what became of it.
#[derive(Serialize, Clone)]
struct Resource {
    kind: &'static str,
    id: String,
    region: String,
    /// `deleted`, `PENDING_DELETION until ...`, `kept`, `left: why`.
    fate: String,
    /// The command that removes it, for what is left.
    remove_with: Option<String>,
}

/// What the drill learnt, step by step, for the report.
#[derive(Default)]
struct Log {
    steps: Vec<StepTime>,
    backup: Option<BackupInfo>,
    copy: Option<BackupInfo>,
    cluster: Option<String>,
    /// The copies of the backup the drill region had before this drill's.
    copies_before: Vec<String>,
    hsm: Option<SessionHsm>,
    eni_ip: Option<String>,
    key_proven_at: Option<SystemTime>,
    resources: Vec<Resource>,
    source_before: Option<serde_json::Value>,
    source_unchanged: Option<Result<(), String>>,
    failure: Option<String>,
}

impl Log {
    fn resource(&mut self, r: Resource) {
        match self
            .resources
            .iter_mut()
            .find(|x| x.id == r.id && x.kind == r.kind)
        {
            Some(x) => *x = r,
            None => self.resources.push(r),
        }
    }
}

impl Kind for DrillCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn inputs(&self) -> Vec<(PathBuf, String)> {
        self.back.inputs.clone()
    }

    fn steps(&self) -> Vec<Step> {
        let source = &self.back.cluster.cluster_id;
        let region = &self.drill_region;
        let wait = self.back.cluster.wait.as_secs() / 60;
        let keep = |what: &str| {
            if self.keep {
                format!(
                    "keep = true: {what} is kept, and the report says what it costs and how to remove it"
                )
            } else {
                format!("{what} is removed whatever happened before")
            }
        };
        vec![
            Step::new(CHOOSE_BACKUP, "Choose the backup to restore").details(vec![
                format!("DescribeClusters and DescribeBackups of {source} in the source region: reads only"),
                match &self.backup_id {
                    Some(b) => format!("the file names backup {b}: it must be a READY backup of {source}"),
                    None => "the newest READY backup that never expires".into(),
                },
                "the source cluster and its backups are recorded, to show at the end that the drill changed nothing there".into(),
            ]).witness("Compare the backup ID with the one written on the last deactivation's sheet."),
            Step::new(COPY_BACKUP, &format!("Copy the backup to {region}")).details(vec![
                format!("CopyBackupToRegion to {region}: the only call to the source region that is not a read; it changes nothing there"),
                "a copy in another region is billed and never expires until deleted: the teardown deletes it".into(),
            ]).lasting(),
            Step::new(WAIT_COPY, "Wait for the copy to be READY").details(vec![
                format!("DescribeBackups in {region} with the sourceBackupIds filter (CopyBackupToRegion gives no ID), at most {wait} minutes"),
            ]),
            Step::new(CREATE_CLUSTER, &format!("Create a drill cluster in {region} from the copy")).details(vec![
                "CreateCluster with the backup's HSM type and mode, in the file's drill_subnet_ids".into(),
                format!("tagged {DRILL_TAG}: a drill cluster uses one of the region's cluster quota"),
            ]).lasting(),
            Step::new(WAIT_CLUSTER, "Wait for the drill cluster to be ACTIVE")
                .details(vec![format!("DescribeClusters, at most {wait} minutes")]),
            Step::new(CREATE_HSM, "Create an HSM in the drill cluster").details(vec![
                format!("CreateHsm in {}", self.back.cluster.availability_zone.as_deref().unwrap_or("the drill cluster's first Availability Zone")),
                "CloudHSM restores the copy onto it: the root key comes back, in the drill region".into(),
                "from now on it costs money every hour, until the teardown deletes it".into(),
            ]).lasting(),
            Step::new(WAIT_HSM, "Wait for the drill HSM to be ACTIVE")
                .details(vec![format!("DescribeClusters, at most {wait} minutes")]),
            cloudhsm::configure_client_step(self.back.client_command.as_deref()),
            token::login_step(&self.back.hsm),
            token::find_issuer_key_step(&self.back.key_label, &self.back.certificate_path),
            token::prove_key_step(),
            token::logout_step(),
            Step::new(DELETE_HSM, "Tear down: delete the drill HSM").details(vec![
                keep("the drill HSM"),
                "DeleteHsm, then DescribeClusters until the drill cluster has none; CloudHSM backs the drill cluster up as it does".into(),
            ]).lasting(),
            Step::new(DELETE_BACKUPS, "Tear down: delete the copy and the drill cluster's backups").details(vec![
                keep("the copy and the drill cluster's backups"),
                "DeleteBackup: each is PENDING_DELETION, and gone for good seven days later".into(),
            ]).lasting(),
            Step::new(DELETE_CLUSTER, "Tear down: delete the drill cluster").details(vec![
                keep("the drill cluster"),
                "DeleteCluster, then DescribeClusters until it is gone".into(),
            ]).lasting(),
            Step::new(CHECK_SOURCE, "Check the source region is as it was").details(vec![
                format!("DescribeClusters and DescribeBackups of {source} again: its HSMs and backups must be those of step 1"),
            ]),
            Step::new(WRITE_REPORT, "Write the drill report").details(vec![
                format!("{} and {}", self.report.display(), self.report_json.display()),
                "every step with its times, the recovery time, the resources, the fingerprints, what was torn down, the verdict".into(),
            ]).lasting(),
            Step::new(VERDICT, "Give the verdict").details(vec![
                "pass: the key was proven in the drill region, everything the drill made was removed (or kept as the file says), and the source region is unchanged".into(),
            ]),
        ]
    }

    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        crate::interrupt::catch().map_err(|e| {
            CeremonyError::NotStarted(format!(
                "Ctrl-C cannot be taken over ({e}), and a drill must be able to tear down after it; nothing was changed"
            ))
        })?;
        let log = RefCell::new(Log::default());
        let began = SystemTime::now();
        let source = CloudHsm::connect(&self.back.aws).map_err(|e| self.not_started(e))?;
        let drill = CloudHsm::connect(&AwsSettings {
            region: Some(self.drill_region.clone()),
            ..self.back.aws.clone()
        })
        .map_err(|e| self.not_started(e))?;
        let result = self.restore(r, &source, &drill, &log);
        let failure = match result {
            Ok(()) => None,
            Err(e) if e.is_refusal() => return Err(e),
            Err(e) => {
                log.borrow_mut().failure = Some(first_line(&e));
                Some(e)
            }
        };
        crate::interrupt::cleaning_up();
        if failure.is_some() {
            r.skip_to(
                DELETE_HSM,
                "an earlier step failed; the drill tears down what it made",
            )?;
        }
        self.tear_down(r, &drill, &log)?;
        let snapshot = log.borrow().source_before.clone();
        self.timed(&log, r, CHECK_SOURCE, |r| {
            r.step(CHECK_SOURCE, || {
                check_source(&source, self, snapshot.as_ref())
            })
        })
        .map(|unchanged| log.borrow_mut().source_unchanged = Some(unchanged))
        .ok();
        let report = Report::new(self, &log.borrow(), began);
        let verdict = report.verdict.clone();
        let reasons = report.reasons.clone();
        r.resuming(WRITE_REPORT, |earlier| match earlier {
            Earlier::Done(_) => Ok(Done::new(()).say(vec![format!(
                "{} was written before the interruption; kept as it is",
                self.report.display()
            )])),
            _ => report.write(self),
        })?;
        let said = vec![format!(
            "the drill report {} says {verdict}",
            self.report.display()
        )];
        let judged = r.step(VERDICT, || {
            if reasons.is_empty() {
                Ok(Done::new(()).say(vec![format!("PASS: {}", report_line(&log.borrow()))]))
            } else {
                Err(StepError::NotConfirmed(format!(
                    "the drill failed: {}",
                    reasons.join("; ")
                )))
            }
        });
        match (failure, judged) {
            (None, Ok(())) => Ok(()),
            (Some(f), _) => Err(r.after_cleanup(f, said, true)),
            (None, Err(e)) => Err(r.after_cleanup(e, said, true)),
        }
    }
}

fn first_line(e: &CeremonyError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn report_line(log: &Log) -> String {
    format!(
        "the root key was proven in the drill region{}",
        log.hsm
            .as_ref()
            .map(|h| format!(" on HSM {}", h.id))
            .unwrap_or_default()
    )
}

impl DrillCeremony {
    fn not_started(&self, e: CloudHsmError) -> CeremonyError {
        CeremonyError::NotStarted(format!("cannot reach CloudHSM: {e}; nothing was changed"))
    }

    /// Runs step `id` through `f`, noting its times and outcome for the report.
    fn timed<T>(
        &self,
        log: &RefCell<Log>,
        r: &mut Run<'_>,
        id: &str,
        f: impl FnOnce(&mut Run<'_>) -> Result<T, CeremonyError>,
    ) -> Result<T, CeremonyError> {
        let steps = self.steps();
        let (number, title) = steps
            .iter()
            .enumerate()
            .find(|(_, s)| s.id == id)
            .map(|(i, s)| (i as u32 + 1, s.title.clone()))
            .unwrap_or_default();
        let started = SystemTime::now();
        let result = f(r);
        let ended = SystemTime::now();
        log.borrow_mut().steps.push(StepTime {
            number,
            title,
            started,
            ended,
            seconds: ended
                .duration_since(started)
                .unwrap_or_default()
                .as_secs_f64(),
            outcome: match &result {
                Ok(_) => "ok".into(),
                Err(e) => first_line(e),
            },
        });
        result
    }

    fn drill_spec(&self, cluster_id: &str, az: Option<String>) -> ClusterSpec {
        ClusterSpec {
            cluster_id: cluster_id.to_string(),
            availability_zone: az,
            ip_address: None,
            wait: self.back.cluster.wait,
        }
    }

    /// Copy, cluster, HSM, key proven.
    fn restore(
        &self,
        r: &mut Run<'_>,
        source: &CloudHsm,
        drill: &CloudHsm,
        log: &RefCell<Log>,
    ) -> Result<(), CeremonyError> {
        let region = self.drill_region.as_str();
        let backup = self.timed(log, r, CHOOSE_BACKUP, |r| {
            r.step(CHOOSE_BACKUP, || {
                stop_if_interrupted()?;
                choose_backup(source, self)
            })
        })?;
        log.borrow_mut().source_before = Some(backup.1.clone());
        let backup = backup.0;
        log.borrow_mut().backup = Some(backup.clone());
        let before = self.timed(log, r, COPY_BACKUP, |r| {
            r.resuming(COPY_BACKUP, |earlier| {
                stop_if_interrupted()?;
                copy_backup(source, drill, &backup, region, earlier)
            })
        })?;
        log.borrow_mut().copies_before = before.clone();
        let copy = self.timed(log, r, WAIT_COPY, |r| {
            r.step(WAIT_COPY, || {
                wait_copy(drill, &backup, &before, self.back.cluster.wait)
            })
        })?;
        log.borrow_mut().copy = Some(copy.clone());
        log.borrow_mut().resource(Resource {
            kind: "backup copy",
            id: copy.id.clone(),
            region: region.into(),
            fate: "made".into(),
            remove_with: Some(delete_backup_command(region, &copy.id)),
        });
        let made = self.timed(log, r, CREATE_CLUSTER, |r| {
            r.resuming(CREATE_CLUSTER, |earlier| {
                stop_if_interrupted()?;
                create_cluster(drill, &copy, &self.subnets, earlier)
            })
        })?;
        log.borrow_mut().cluster = Some(made.id.clone());
        log.borrow_mut().resource(Resource {
            kind: "cluster",
            id: made.id.clone(),
            region: region.into(),
            fate: "made".into(),
            remove_with: Some(delete_cluster_command(region, &made.id)),
        });
        let info = self.timed(log, r, WAIT_CLUSTER, |r| {
            r.step(WAIT_CLUSTER, || {
                wait_cluster(drill, &made.id, self.back.cluster.wait)
            })
        })?;
        let az = self
            .back
            .cluster
            .availability_zone
            .clone()
            .or_else(|| info.subnets.first().map(|(az, _)| az.clone()));
        let spec = self.drill_spec(&made.id, az);
        let cluster = Cluster {
            hsm: drill.clone(),
            info,
            backups: Vec::new(),
        };
        let hsm = self.timed(log, r, CREATE_HSM, |r| {
            r.resuming(CREATE_HSM, |earlier| {
                stop_if_interrupted()?;
                cloudhsm::create_hsm(&cluster, &spec, earlier)
            })
        })?;
        log.borrow_mut().resource(Resource {
            kind: "HSM",
            id: hsm.id.clone(),
            region: region.into(),
            fate: "made".into(),
            remove_with: Some(format!(
                "aws cloudhsmv2 delete-hsm --region {region} --cluster-id {} --hsm-id {}",
                made.id, hsm.id
            )),
        });
        let hsm = log.borrow_mut().hsm.insert(hsm).clone();
        let ip = self.timed(log, r, WAIT_HSM, |r| {
            r.step(WAIT_HSM, || {
                // Not deleted here on a timeout: the teardown does it.
                cloudhsm::wait_active(
                    &cluster,
                    &spec,
                    &SessionHsm {
                        created_here: false,
                        ..hsm
                    },
                )
            })
        })?;
        log.borrow_mut().eni_ip = Some(ip.clone());
        let back = &self.back;
        self.timed(log, r, cloudhsm::CONFIGURE_CLIENT, |r| {
            r.step(cloudhsm::CONFIGURE_CLIENT, || {
                stop_if_interrupted()?;
                cloudhsm::configure_client(back.client_command.as_deref(), &ip)
            })
        })?;
        let session = self.timed(log, r, token::LOGIN, |r| {
            r.step(token::LOGIN, || {
                stop_if_interrupted()?;
                token::login(None, &back.hsm)
            })
        })?;
        let key = self.timed(log, r, token::FIND_ISSUER_KEY, |r| {
            r.step(token::FIND_ISSUER_KEY, || {
                token::find_issuer_key(
                    &session,
                    &back.key_label,
                    &back.certificate,
                    &back.certificate_path,
                )
            })
        })?;
        self.timed(log, r, token::PROVE_KEY, |r| {
            r.step(token::PROVE_KEY, || {
                token::prove_key(&session, &key, &back.certificate)
            })
        })?;
        log.borrow_mut().key_proven_at = Some(SystemTime::now());
        self.timed(log, r, token::LOGOUT, |r| {
            r.step(token::LOGOUT, || token::logout(session))
        })
    }

    /// The three teardown steps; each looks at the drill region afresh (so
    /// doing one again after an interruption is safe), does what it can
    /// and never stops the others: what it cannot remove is named in the report and left
    /// in the ledger with the command that removes it.
    fn tear_down(
        &self,
        r: &mut Run<'_>,
        drill: &CloudHsm,
        log: &RefCell<Log>,
    ) -> Result<(), CeremonyError> {
        let region = self.drill_region.clone();
        let cluster_id = log.borrow().cluster.clone();
        let hsm = log.borrow().hsm.clone();
        let keep = self.keep;
        let deleted = self.timed(log, r, DELETE_HSM, |r| {
            r.resuming(DELETE_HSM, |_| {
                Ok(delete_drill_hsm(
                    drill,
                    self,
                    cluster_id.as_deref(),
                    hsm.as_ref(),
                    keep,
                    log,
                ))
            })
        })?;
        let copy = log.borrow().copy.clone();
        let backup = log.borrow().backup.clone();
        self.timed(log, r, DELETE_BACKUPS, |r| {
            r.resuming(DELETE_BACKUPS, |_| {
                Ok(delete_drill_backups(
                    drill,
                    self,
                    cluster_id.as_deref(),
                    copy.as_ref(),
                    backup.as_ref(),
                    deleted.as_ref(),
                    keep,
                    log,
                ))
            })
        })?;
        self.timed(log, r, DELETE_CLUSTER, |r| {
            r.resuming(DELETE_CLUSTER, |_| {
                Ok(delete_drill_cluster(
                    drill,
                    &region,
                    cluster_id.as_deref(),
                    self.back.cluster.wait,
                    keep,
                    log,
                ))
            })
        })?;
        Ok(())
    }
}

fn delete_backup_command(region: &str, id: &str) -> String {
    format!("aws cloudhsmv2 delete-backup --region {region} --backup-id {id}")
}

fn delete_cluster_command(region: &str, id: &str) -> String {
    format!(
        "aws cloudhsmv2 delete-cluster --region {region} --cluster-id {id} (once it has no HSM)"
    )
}

/// The source cluster as the drill must leave it: its HSMs and backups.
fn source_snapshot(info: &ClusterInfo, backups: &[BackupInfo]) -> serde_json::Value {
    let mut hsms: Vec<(String, String)> = info
        .hsms
        .iter()
        .map(|h| (h.id.clone(), h.state.clone()))
        .collect();
    hsms.sort();
    let mut b: Vec<(String, String, bool)> = backups
        .iter()
        .map(|b| (b.id.clone(), b.state.clone(), b.never_expires))
        .collect();
    b.sort();
    serde_json::json!({ "cluster": info.id, "state": info.state, "hsms": hsms, "backups": b })
}

fn choose_backup(
    source: &CloudHsm,
    d: &DrillCeremony,
) -> Result<Done<(BackupInfo, serde_json::Value)>, StepError> {
    let id = &d.back.cluster.cluster_id;
    let info = source.cluster(id)?;
    let mut backups = source.backups(id)?;
    backups.sort_by_key(|b| std::cmp::Reverse(b.created));
    if source.region() == d.drill_region {
        return Err(StepError::Refused(format!(
            "the source region is {}, the drill region too: a drill restores in another region, so that production is never touched; nothing was changed",
            d.drill_region
        )));
    }
    let chosen = match &d.backup_id {
        Some(want) => {
            let b = backups.iter().find(|b| &b.id == want).ok_or_else(|| {
                StepError::Refused(format!(
                    "backup {want} is not a backup of {id} in {}: cloudhsm.backup_id must name one of {}",
                    source.region(),
                    backups.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?;
            if b.state != "READY" {
                return Err(StepError::Refused(format!(
                    "backup {want} is {}, not READY: only a READY backup can be copied; nothing was changed",
                    b.state
                )));
            }
            b.clone()
        }
        None => backups
            .iter()
            .find(|b| b.state == "READY" && b.never_expires)
            .cloned()
            .ok_or_else(|| {
                StepError::Refused(format!(
                    "{id} has no READY backup that never expires: the root's offline backup is one (deactivate marks it so); name another with cloudhsm.backup_id; nothing was changed"
                ))
            })?,
    };
    if chosen.hsm_type.is_none() || chosen.mode.is_none() {
        return Err(StepError::Refused(format!(
            "backup {} does not say its HSM type and mode, which the drill cluster must have; nothing was changed",
            chosen.id
        )));
    }
    let snapshot = source_snapshot(&info, &backups);
    Ok(Done::new((chosen.clone(), snapshot.clone()))
        .say(vec![format!(
            "backup {} of {id}, taken {}, {} {}{}",
            chosen.id,
            chosen
                .created
                .map(rfc3339_text)
                .unwrap_or_else(|| "at an unknown time".into()),
            chosen.hsm_type.as_deref().unwrap_or("?"),
            chosen.mode.as_deref().unwrap_or("?"),
            if chosen.never_expires {
                ", never expires"
            } else {
                ""
            }
        )])
        .details(serde_json::json!({ "backup": chosen, "source": snapshot })))
}

/// The copies of `backup` the drill region had before: a kept copy of an
/// earlier drill is not this drill's.
fn copy_backup(
    source: &CloudHsm,
    drill: &CloudHsm,
    backup: &BackupInfo,
    region: &str,
    earlier: Earlier,
) -> Result<Done<Vec<String>>, StepError> {
    if let Earlier::Done(d) = &earlier {
        let before = d
            .get("copies_before")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Done::new(before).say(vec!["copied before the interruption".into()]));
    }
    let before: Vec<String> = drill
        .copies_of(&backup.id)?
        .into_iter()
        .map(|b| b.id)
        .collect();
    source.copy_backup(&backup.id, region)?;
    Ok(Done::new(before.clone())
        .say(vec![format!("CopyBackupToRegion {} -> {region} accepted", backup.id)])
        .details(serde_json::json!({ "backup": backup.id, "destination": region, "copies_before": before }))
        .changed(Change {
            what: format!("asked CloudHSM to copy backup {} to {region}", backup.id),
            if_failed: format!(
                "a copy may be in {region}, billed and never expiring: find it with `aws cloudhsmv2 describe-backups --region {region} --filters sourceBackupIds={}` and delete it with `aws cloudhsmv2 delete-backup --region {region} --backup-id ID`",
                backup.id
            ),
        }))
}

/// The copy this drill made: a copy of `backup` in the drill region that
/// was not there before the call.
fn find_copy(
    drill: &CloudHsm,
    backup: &BackupInfo,
    before: &[String],
) -> Result<Option<BackupInfo>, StepError> {
    Ok(drill
        .copies_of(&backup.id)?
        .into_iter()
        .find(|b| !before.contains(&b.id)))
}

fn wait_copy(
    drill: &CloudHsm,
    backup: &BackupInfo,
    before: &[String],
    wait: Duration,
) -> Result<Done<BackupInfo>, StepError> {
    let region = drill.region().to_string();
    let (copy, took) = cloudhsm::wait_for(
        &format!("the copy of {} in {region}", backup.id),
        "READY",
        wait,
        || {
            let found = find_copy(drill, backup, before)?;
            match found {
                Some(c) if c.state == "READY" => Ok((Some(c), "READY".into())),
                Some(c) if c.state == "DELETED" => Err(StepError::NotConfirmed(format!(
                    "the copy {} of {} in {region} went to DELETED: CloudHSM could not copy it",
                    c.id, backup.id
                ))),
                Some(c) => Ok((None, format!("{} {}", c.id, c.state))),
                None => Ok((None, "no copy yet".into())),
            }
        },
    )?;
    Ok(Done::new(copy.clone())
        .say(vec![format!(
            "copy {} in {region} is READY ({} s)",
            copy.id,
            took.as_secs()
        )])
        .details(serde_json::json!({ "copy": copy, "seconds": took.as_secs_f64() }))
        .resolves(format!(
            "asked CloudHSM to copy backup {} to {region}",
            backup.id
        ))
        .changed(Change {
            what: format!("copied backup {} to {region} as {}", backup.id, copy.id),
            if_failed: format!(
                "the copy {} is billed and never expires until deleted: `{}`",
                copy.id,
                delete_backup_command(&region, &copy.id)
            ),
        }))
}

fn create_cluster(
    drill: &CloudHsm,
    copy: &BackupInfo,
    subnets: &[String],
    earlier: Earlier,
) -> Result<Done<ClusterInfo>, StepError> {
    let region = drill.region().to_string();
    match &earlier {
        // Made before the interruption: found again, never made twice.
        Earlier::Done(d) => {
            if let Some(id) = d.get("cluster").and_then(|v| v.as_str()) {
                let found = drill.cluster(id)?;
                return Ok(Done::new(found).say(vec![format!(
                    "cluster {id} in {region}: made before the interruption, found again"
                )]));
            }
        }
        Earlier::Started => {
            return Err(StepError::NotConfirmed(format!(
                "the drill was interrupted while CreateCluster was being sent: a cluster from {} may be in {region}; look with `aws cloudhsmv2 describe-clusters --region {region}` for a cluster tagged {DRILL_TAG}, and delete it with `aws cloudhsmv2 delete-cluster --region {region} --cluster-id ID`",
                copy.id
            )));
        }
        Earlier::NotRun => {}
    }
    let tags = vec![(
        DRILL_TAG.to_string(),
        rfc3339_text(SystemTime::now()).replace(':', "."),
    )];
    let made = drill.create_cluster_from(copy, subnets, &tags)?;
    Ok(Done::new(made.clone())
        .say(vec![format!(
            "cluster {} in {region}, from {}",
            made.id, copy.id
        )])
        .details(serde_json::json!({ "cluster": made.id, "state": made.state, "from": copy.id }))
        .changed(Change {
            what: format!("created drill cluster {} in {region}", made.id),
            if_failed: format!(
                "the drill cluster {} uses one of {region}'s cluster quota: `{}`",
                made.id,
                delete_cluster_command(&region, &made.id)
            ),
        }))
}

fn wait_cluster(
    drill: &CloudHsm,
    id: &str,
    wait: Duration,
) -> Result<Done<ClusterInfo>, StepError> {
    let (info, took) = cloudhsm::wait_for(&format!("drill cluster {id}"), "ACTIVE", wait, || {
        let c = drill.cluster(id)?;
        Ok(match c.state.as_str() {
            "ACTIVE" => (Some(c), "ACTIVE".into()),
            s => (None, s.to_string()),
        })
    })?;
    Ok(Done::new(info)
        .say(vec![format!("{id} is ACTIVE ({} s)", took.as_secs())])
        .details(serde_json::json!({ "seconds": took.as_secs_f64() })))
}

/// What the HSM deletion leaves for the backup step: when it began and
/// the drill cluster's backups then.
struct HsmDeleted {
    at: SystemTime,
    backups_before: Vec<String>,
    backup_expected: bool,
}

fn delete_drill_hsm(
    drill: &CloudHsm,
    d: &DrillCeremony,
    cluster_id: Option<&str>,
    hsm: Option<&SessionHsm>,
    keep: bool,
    log: &RefCell<Log>,
) -> Done<Option<HsmDeleted>> {
    let region = &d.drill_region;
    let Some(cluster_id) = cluster_id else {
        return Done::new(None).say(vec!["no drill cluster was made: no HSM to delete".into()]);
    };
    if keep {
        let mut say = vec![format!("kept (keep = true): the HSMs of {cluster_id}")];
        if let Some(h) = hsm {
            say.push(format!("HSM {} costs money every hour until deleted", h.id));
            log.borrow_mut().resource(Resource {
                kind: "HSM",
                id: h.id.clone(),
                region: region.clone(),
                fate: "kept (keep = true)".into(),
                remove_with: Some(format!("aws cloudhsmv2 delete-hsm --region {region} --cluster-id {cluster_id} --hsm-id {}", h.id)),
            });
        }
        return Done::new(None).say(say);
    }
    let spec = d.drill_spec(cluster_id, None);
    let attempt = || -> Result<Done<cloudhsm::Deleted>, StepError> {
        let info = drill.cluster(cluster_id)?;
        let backups = drill.backups(cluster_id)?;
        let cluster = Cluster {
            hsm: drill.clone(),
            info,
            backups,
        };
        cloudhsm::delete_hsms(&cluster, &spec, Earlier::NotRun, None)
    };
    match attempt() {
        Ok(done) => {
            let mut out = Done::new(Some(HsmDeleted {
                at: done.value.deleted_at,
                backups_before: done.value.backups_before.clone(),
                backup_expected: done.value.backup_expected,
            }))
            .say(done.say)
            .details(done.details);
            if let Some(h) = hsm {
                out = out.resolves(cloudhsm::created_hsm_what(&h.id, cluster_id));
                log.borrow_mut().resource(Resource {
                    kind: "HSM",
                    id: h.id.clone(),
                    region: region.clone(),
                    fate: "deleted".into(),
                    remove_with: None,
                });
            }
            out
        }
        Err(e) => {
            let left = hsm
                .map(|h| h.id.clone())
                .unwrap_or_else(|| "its HSMs".into());
            let command = format!(
                "aws cloudhsmv2 delete-hsm --region {region} --cluster-id {cluster_id} --hsm-id {left}"
            );
            if let Some(h) = hsm {
                log.borrow_mut().resource(Resource {
                    kind: "HSM",
                    id: h.id.clone(),
                    region: region.clone(),
                    fate: format!("left: {e}"),
                    remove_with: Some(command.clone()),
                });
            }
            Done::new(None)
                .say(vec![
                    format!("could not delete {left}: {e}"),
                    format!("to delete it: {command}"),
                ])
                .details(serde_json::json!({ "error": e.to_string(), "remove_with": command }))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn delete_drill_backups(
    drill: &CloudHsm,
    d: &DrillCeremony,
    cluster_id: Option<&str>,
    copy: Option<&BackupInfo>,
    source_backup: Option<&BackupInfo>,
    deleted: Option<&HsmDeleted>,
    keep: bool,
    log: &RefCell<Log>,
) -> Done<()> {
    let region = &d.drill_region;
    let mut say = Vec::new();
    let mut resolved = Vec::new();
    // The copy: the one this drill found, or, if the drill stopped before
    // it was found, one that has appeared since the call.
    let mut targets: Vec<(&'static str, String)> = Vec::new();
    let mut searched_for: Option<String> = None;
    match (copy, source_backup) {
        (Some(c), _) => targets.push(("backup copy", c.id.clone())),
        (None, Some(b)) => {
            let asked = format!("asked CloudHSM to copy backup {} to {region}", b.id);
            let was_asked = log
                .borrow()
                .steps
                .iter()
                .any(|s| s.title.starts_with("Copy the backup") && s.outcome == "ok");
            if was_asked {
                let before = log.borrow().copies_before.clone();
                match find_copy(drill, b, &before) {
                    Ok(Some(c)) => {
                        targets.push(("backup copy", c.id));
                        searched_for = Some(asked);
                    }
                    Ok(None) => {
                        say.push(format!("no copy of {} appeared in {region}", b.id));
                        resolved.push(asked);
                    }
                    Err(e) => say.push(format!("could not look for the copy of {}: {e}; look with `aws cloudhsmv2 describe-backups --region {region} --filters sourceBackupIds={}`", b.id, b.id)),
                }
            }
        }
        (None, None) => {}
    }
    if let Some(cid) = cluster_id {
        // The backup CloudHSM took when the drill HSM was deleted (and any other of the drill cluster).
        if let Some(del) = deleted {
            let spec = d.drill_spec(cid, None);
            let cluster = Cluster {
                hsm: drill.clone(),
                info: ClusterInfo {
                    id: cid.to_string(),
                    state: String::new(),
                    hsm_type: None,
                    mode: None,
                    retention: None,
                    hsms: Vec::new(),
                    tags: Vec::new(),
                    subnets: Vec::new(),
                },
                backups: Vec::new(),
            };
            let gone = cloudhsm::Deleted {
                deleted_at: del.at,
                backups_before: del.backups_before.clone(),
                backup_expected: del.backup_expected,
                gone_at: SystemTime::now(),
            };
            if let Err(e) = cloudhsm::wait_backup(&cluster, &spec, &gone) {
                say.push(format!(
                    "the backup of the drill HSM's deletion did not become READY: {e}"
                ));
            }
        }
        match drill.backups(cid) {
            Ok(backups) => targets.extend(
                backups
                    .into_iter()
                    .filter(|b| b.state != "PENDING_DELETION" && b.state != "DELETED")
                    .map(|b| ("drill cluster backup", b.id)),
            ),
            Err(e) => say.push(format!("could not list the backups of {cid}: {e}; list them with `aws cloudhsmv2 describe-backups --region {region} --filters clusterIds={cid}`")),
        }
    }
    if targets.is_empty() && say.is_empty() {
        say.push("no backup was made in the drill region".into());
    }
    for (kind, id) in targets {
        let command = delete_backup_command(region, &id);
        let fate = if keep {
            say.push(format!(
                "kept (keep = true): {kind} {id}, billed and never expiring until deleted"
            ));
            "kept (keep = true)".to_string()
        } else {
            match drill.delete_backup(&id) {
                Ok(b) => {
                    let until = b.delete_at.map(rfc3339_text).unwrap_or_else(|| "?".into());
                    say.push(format!(
                        "{kind} {id} is {} (gone for good {until})",
                        b.state
                    ));
                    if kind == "backup copy" {
                        if let (Some(c), Some(b)) = (copy, source_backup) {
                            resolved
                                .push(format!("copied backup {} to {region} as {}", b.id, c.id));
                        }
                        resolved.extend(searched_for.take());
                    }
                    format!("{} until {until}", b.state)
                }
                Err(e) => {
                    say.push(format!(
                        "could not delete {kind} {id}: {e}; to delete it: {command}"
                    ));
                    format!("left: {e}")
                }
            }
        };
        let left = !fate.starts_with("PENDING_DELETION");
        log.borrow_mut().resource(Resource {
            kind,
            id,
            region: region.clone(),
            fate,
            remove_with: left.then_some(command),
        });
    }
    let mut done = Done::new(()).say(say);
    for r in resolved {
        done = done.resolves(r);
    }
    done
}

fn delete_drill_cluster(
    drill: &CloudHsm,
    region: &str,
    cluster_id: Option<&str>,
    wait: Duration,
    keep: bool,
    log: &RefCell<Log>,
) -> Done<()> {
    let Some(id) = cluster_id else {
        return Done::new(()).say(vec!["no drill cluster was made".into()]);
    };
    let command = delete_cluster_command(region, id);
    if keep {
        log.borrow_mut().resource(Resource {
            kind: "cluster",
            id: id.into(),
            region: region.into(),
            fate: "kept (keep = true)".into(),
            remove_with: Some(command),
        });
        return Done::new(()).say(vec![format!("kept (keep = true): cluster {id}")]);
    }
    let attempt = || -> Result<Duration, StepError> {
        drill.delete_cluster(id)?;
        let (_, took) =
            cloudhsm::wait_for(&format!("drill cluster {id}"), "gone", wait, || match drill
                .cluster(id)
            {
                Err(CloudHsmError::ClusterNotFound { .. }) => Ok((Some(()), "gone".into())),
                Err(e) => Err(e.into()),
                Ok(c) if c.state == "DELETED" => Ok((Some(()), "DELETED".into())),
                Ok(c) => Ok((None, c.state)),
            })?;
        Ok(took)
    };
    match attempt() {
        Ok(took) => {
            log.borrow_mut().resource(Resource {
                kind: "cluster",
                id: id.into(),
                region: region.into(),
                fate: "deleted".into(),
                remove_with: None,
            });
            Done::new(())
                .say(vec![format!("cluster {id} deleted ({} s)", took.as_secs())])
                .resolves(format!("created drill cluster {id} in {region}"))
        }
        Err(e) => {
            log.borrow_mut().resource(Resource {
                kind: "cluster",
                id: id.into(),
                region: region.into(),
                fate: format!("left: {e}"),
                remove_with: Some(command.clone()),
            });
            Done::new(()).say(vec![
                format!("could not delete cluster {id}: {e}"),
                format!("to delete it: {command}"),
            ])
        }
    }
}

fn check_source(
    source: &CloudHsm,
    d: &DrillCeremony,
    before: Option<&serde_json::Value>,
) -> Result<Done<Result<(), String>>, StepError> {
    let id = &d.back.cluster.cluster_id;
    let Some(before) = before else {
        return Ok(Done::new(Err(
            "the source was not read at step 1".to_string()
        )));
    };
    let info = source.cluster(id)?;
    let backups = source.backups(id)?;
    let now = source_snapshot(&info, &backups);
    let verdict = if &now == before {
        Ok(())
    } else {
        Err(format!(
            "the source cluster {id} changed during the drill: {before} before, {now} after"
        ))
    };
    let say = match &verdict {
        Ok(()) => format!("{id} and its backups are as they were at step 1"),
        Err(e) => e.clone(),
    };
    Ok(Done::new(verdict)
        .say(vec![say])
        .details(serde_json::json!({ "source": now })))
}

/// The drill report, as both files hold it.
#[derive(Serialize)]
struct Report {
    drill: String,
    verdict: String,
    reasons: Vec<String>,
    source_region: String,
    source_cluster: String,
    drill_region: String,
    backup: Option<BackupInfo>,
    copy: Option<BackupInfo>,
    drill_cluster: Option<String>,
    hsm: Option<String>,
    hsm_eni_ip: Option<String>,
    key_label: String,
    certificate: String,
    certificate_sha256: String,
    public_key_sha256: String,
    #[serde(serialize_with = "rfc3339")]
    started: SystemTime,
    /// From the drill's start to the key proven.
    recovery_seconds: Option<f64>,
    /// The waits for AWS (copy, cluster, HSM): what the recovery time is
    /// made of when rootca adds nothing.
    waits_seconds: f64,
    steps: Vec<StepTime>,
    resources: Vec<Resource>,
    source_unchanged: bool,
    transcript: PathBuf,
}

impl Report {
    fn new(d: &DrillCeremony, log: &Log, started: SystemTime) -> Self {
        let der = der::Encode::to_der(&d.back.certificate).unwrap_or_default();
        let spki = der::Encode::to_der(
            d.back
                .certificate
                .tbs_certificate()
                .subject_public_key_info(),
        )
        .unwrap_or_default();
        let mut reasons = Vec::new();
        if let Some(f) = &log.failure {
            reasons.push(f.clone());
        }
        if log.key_proven_at.is_none() && log.failure.is_none() {
            reasons.push("the key was not proven".into());
        }
        for r in &log.resources {
            if r.fate.starts_with("left") || (r.fate == "made") {
                reasons.push(format!(
                    "{} {} in {} is left: {}",
                    r.kind, r.id, r.region, r.fate
                ));
            }
        }
        match &log.source_unchanged {
            Some(Ok(())) => {}
            Some(Err(e)) => reasons.push(e.clone()),
            None => reasons.push("the source region could not be read again at the end".into()),
        }
        let waits: f64 = log
            .steps
            .iter()
            .filter(|s| s.title.starts_with("Wait for"))
            .map(|s| s.seconds)
            .sum();
        Report {
            drill: d.transcript.display().to_string(),
            verdict: if reasons.is_empty() {
                "PASS".into()
            } else {
                "FAIL".into()
            },
            reasons,
            source_region: d.back.aws.region.clone().unwrap_or_default(),
            source_cluster: d.back.cluster.cluster_id.clone(),
            drill_region: d.drill_region.clone(),
            backup: log.backup.clone(),
            copy: log.copy.clone(),
            drill_cluster: log.cluster.clone(),
            hsm: log.hsm.as_ref().map(|h| h.id.clone()),
            hsm_eni_ip: log.eni_ip.clone(),
            key_label: d.back.key_label.clone(),
            certificate: d.back.certificate_path.display().to_string(),
            certificate_sha256: crate::output::sha256_hex(&der),
            public_key_sha256: crate::output::sha256_hex(&spki),
            started,
            recovery_seconds: log
                .key_proven_at
                .and_then(|t| t.duration_since(started).ok())
                .map(|d| d.as_secs_f64()),
            waits_seconds: waits,
            steps: log.steps.clone(),
            resources: log.resources.clone(),
            source_unchanged: matches!(log.source_unchanged, Some(Ok(()))),
            transcript: d.transcript.clone(),
        }
    }

    fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut m = String::new();
        let _ = writeln!(m, "# Disaster-recovery drill: {}\n", self.verdict);
        if self.reasons.is_empty() {
            let _ = writeln!(
                m,
                "The root key was restored from its backup in {} and proven; everything the drill made was removed (or kept as the file says); the source region is unchanged.\n",
                self.drill_region
            );
        } else {
            let _ = writeln!(m, "Why it failed:\n");
            for r in &self.reasons {
                let _ = writeln!(m, "- {}", crate::text::shown(r));
            }
            let _ = writeln!(m);
        }
        let _ = writeln!(m, "| | |\n|---|---|");
        let row = |m: &mut String, k: &str, v: &str| {
            let _ = writeln!(m, "| {k} | {} |", crate::text::shown(v).replace('|', "\\|"));
        };
        row(
            &mut m,
            "Source",
            &format!("{} in {}", self.source_cluster, self.source_region),
        );
        row(&mut m, "Drill region", &self.drill_region);
        if let Some(b) = &self.backup {
            row(
                &mut m,
                "Backup restored",
                &format!(
                    "{} ({} {})",
                    b.id,
                    b.hsm_type.as_deref().unwrap_or("?"),
                    b.mode.as_deref().unwrap_or("?")
                ),
            );
        }
        if let Some(c) = &self.copy {
            row(&mut m, "Copy", &c.id);
        }
        if let Some(c) = &self.drill_cluster {
            row(&mut m, "Drill cluster", c);
        }
        if let Some(h) = &self.hsm {
            row(
                &mut m,
                "Drill HSM",
                &format!("{h} at {}", self.hsm_eni_ip.as_deref().unwrap_or("?")),
            );
        }
        row(
            &mut m,
            "Key",
            &format!(
                "\"{}\", proven against {}",
                self.key_label, self.certificate
            ),
        );
        row(&mut m, "Certificate SHA-256", &self.certificate_sha256);
        row(&mut m, "Public key SHA-256", &self.public_key_sha256);
        row(&mut m, "Started", &rfc3339_text(self.started));
        row(
            &mut m,
            "Recovery time",
            &match self.recovery_seconds {
                Some(s) => format!(
                    "{s:.1} s from the start to the key proven ({:.1} s of it waiting for AWS)",
                    self.waits_seconds
                ),
                None => "not reached: the key was not proven".into(),
            },
        );
        row(
            &mut m,
            "Source region unchanged",
            if self.source_unchanged { "yes" } else { "NO" },
        );
        row(&mut m, "Transcript", &self.transcript.display().to_string());
        let _ = writeln!(
            m,
            "\n## Steps\n\n| # | Step | Started | Ended | Seconds | Outcome |\n|---|---|---|---|---|---|"
        );
        for s in &self.steps {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {:.2} | {} |",
                s.number,
                crate::text::shown(&s.title),
                rfc3339_text(s.started),
                rfc3339_text(s.ended),
                s.seconds,
                crate::text::shown(&s.outcome).replace('|', "\\|")
            );
        }
        let _ = writeln!(m, "\n## What the drill made, and what became of it\n");
        if self.resources.is_empty() {
            let _ = writeln!(m, "Nothing.");
        } else {
            let _ = writeln!(
                m,
                "| Resource | ID | Region | Now | To remove it |\n|---|---|---|---|---|"
            );
            for r in &self.resources {
                let _ = writeln!(
                    m,
                    "| {} | {} | {} | {} | {} |",
                    r.kind,
                    r.id,
                    r.region,
                    crate::text::shown(&r.fate).replace('|', "\\|"),
                    r.remove_with
                        .as_deref()
                        .map(|c| format!("`{c}`"))
                        .unwrap_or_else(|| "nothing to do".into())
                );
            }
        }
        m
    }

    fn write(&self, d: &DrillCeremony) -> Result<Done<()>, StepError> {
        let md = self.markdown();
        let json = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        let mut staged = Staged::default();
        staged.add(&d.report, md.as_bytes())?;
        staged.add(&d.report_json, json.as_bytes())?;
        staged.commit()?;
        let mut done = Done::new(())
            .say(vec![
                format!(
                    "wrote {} and {}",
                    d.report.display(),
                    d.report_json.display()
                ),
                format!("verdict: {}", self.verdict),
            ])
            .changed(Change {
                what: format!(
                    "wrote {} and {}",
                    d.report.display(),
                    d.report_json.display()
                ),
                if_failed: "keep the report with the drill's records".into(),
            });
        done.outputs
            .insert(d.report.clone(), crate::output::sha256_hex(md.as_bytes()));
        done.outputs.insert(
            d.report_json.clone(),
            crate::output::sha256_hex(json.as_bytes()),
        );
        Ok(done)
    }
}
