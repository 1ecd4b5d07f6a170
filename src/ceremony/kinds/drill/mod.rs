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

mod report;
mod restore;
mod teardown;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use super::Entry;
use super::deactivate::CloudHsmSection;
use super::reactivate::{Reactivation, reactivation, stop_if_interrupted};
use crate::aws::AwsSettings;
use crate::aws::cloudhsm::{CloudHsm, CloudHsmError};
use crate::ceremony::file::{
    AwsSection, HsmSection, IssuerSection, Problems, Source, distinct, output, plain_text,
};
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::cloudhsm::{self, Cluster, ClusterSpec, SessionHsm};
use crate::ceremony::steps::{Done, token};
use crate::ceremony::{CeremonyError, Kind, Run, Step, StepError};
use report::{Log, Report, Resource, StepTime, report_line};
use restore::{check_source, choose_backup, copy_backup, create_cluster, wait_cluster, wait_copy};
use teardown::{
    delete_backup_command, delete_cluster_command, delete_drill_backups, delete_drill_cluster,
    delete_drill_hsm, delete_hsm_command,
};

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
        {
            let mut l = log.borrow_mut();
            l.copy_asked = true;
            l.copies_before = before.clone();
        }
        let copy = self.timed(log, r, WAIT_COPY, |r| {
            r.step(WAIT_COPY, || {
                wait_copy(drill, &backup, &before, self.back.cluster.wait)
            })
        })?;
        log.borrow_mut().copy = Some(copy.clone());
        log.borrow_mut().resource(Resource::new(
            "backup copy",
            copy.id.clone(),
            region,
            "made",
            Some(delete_backup_command(region, &copy.id)),
        ));
        let made = self.timed(log, r, CREATE_CLUSTER, |r| {
            r.resuming(CREATE_CLUSTER, |earlier| {
                stop_if_interrupted()?;
                create_cluster(drill, &copy, &self.subnets, earlier)
            })
        })?;
        log.borrow_mut().cluster = Some(made.id.clone());
        log.borrow_mut().resource(Resource::new(
            "cluster",
            made.id.clone(),
            region,
            "made",
            Some(delete_cluster_command(region, &made.id)),
        ));
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
        log.borrow_mut().resource(Resource::new(
            "HSM",
            hsm.id.clone(),
            region,
            "made",
            Some(delete_hsm_command(region, &made.id, &hsm.id)),
        ));
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
        let deleted = self.timed(log, r, DELETE_HSM, |r| {
            r.resuming(DELETE_HSM, |_| Ok(delete_drill_hsm(drill, self, log)))
        })?;
        self.timed(log, r, DELETE_BACKUPS, |r| {
            r.resuming(DELETE_BACKUPS, |_| {
                Ok(delete_drill_backups(drill, self, deleted.as_ref(), log))
            })
        })?;
        self.timed(log, r, DELETE_CLUSTER, |r| {
            r.resuming(DELETE_CLUSTER, |_| {
                Ok(delete_drill_cluster(drill, self, log))
            })
        })?;
        Ok(())
    }
}
