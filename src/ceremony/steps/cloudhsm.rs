//! Steps on the CloudHSM cluster around the offline root: read it, delete
//! its HSMs, wait for the backup the deletion takes and keep it forever;
//! create an HSM and wait until it is ACTIVE.

use std::time::{Duration, Instant, SystemTime};

use super::Done;
use crate::aws::AwsSettings;
use crate::aws::cloudhsm::{BackupInfo, CloudHsm, ClusterInfo, HsmInfo};
use crate::ceremony::error::{Change, StepError};
use crate::ceremony::plan::Step;
use crate::ceremony::resume::Earlier;

pub const CHECK_CLUSTER: &str = "check-cluster";
pub const DELETE_HSMS: &str = "delete-hsms";
pub const WAIT_BACKUP: &str = "wait-backup";
pub const KEEP_BACKUP: &str = "keep-backup";
pub const KEEP_PREVIOUS: &str = "keep-previous-backup";
pub const CREATE_HSM: &str = "create-hsm";

/// The titles transcripts record these steps under, which later
/// ceremonies and `hsm status` read back.
pub const DELETE_HSMS_TITLE: &str = "Delete every HSM of the cluster";
pub const CREATE_HSM_TITLE: &str = "Create one HSM, restoring the newest backup";

/// `[cloudhsm]` of a lifecycle ceremony, validated.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    pub cluster_id: String,
    pub availability_zone: Option<String>,
    pub ip_address: Option<String>,
    /// How long each wait may take.
    pub wait: Duration,
}

/// How often the cluster is read while waiting: 15 s against AWS (as
/// slow as the service), `ROOTCA_CLOUDHSM_POLL_MS` for the emulator.
fn poll_interval() -> Duration {
    std::env::var("ROOTCA_CLOUDHSM_POLL_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(15), Duration::from_millis)
}

/// Polls `f` until it gives a value, within `timeout`, the wait shown as
/// [`crate::progress`] shows waits; a timeout names what was waited for
/// and the last state seen.
pub fn wait_for<T>(
    what: &str,
    target_state: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Result<(Option<T>, String), StepError>,
) -> Result<(T, Duration), StepError> {
    use crate::progress::{Poll, WaitError};
    let started = Instant::now();
    let value = crate::progress::wait_for(what, target_state, timeout, poll_interval(), || {
        if crate::interrupt::requested() {
            return Err(StepError::Interrupted);
        }
        Ok::<_, StepError>(match f()? {
            (Some(v), _) => Poll::Ready(v),
            (None, state) => Poll::Pending(state),
        })
    })
    .map_err(|e| match e {
        WaitError::Poll { source, .. } => source,
        e @ WaitError::TimedOut { .. } => {
            StepError::TimedOut(format!("{e} (the file's wait_minutes)"))
        }
        e @ WaitError::Stopped { .. } => StepError::NotConfirmed(e.to_string()),
    })?;
    Ok((value, started.elapsed()))
}

/// The cluster read at the first step, with a client for the next ones.
pub struct Cluster {
    pub hsm: CloudHsm,
    pub info: ClusterInfo,
    pub backups: Vec<BackupInfo>,
}

impl Cluster {
    /// DescribeClusters and DescribeBackups, the backups newest first.
    fn read(aws: &AwsSettings, spec: &ClusterSpec) -> Result<Self, StepError> {
        let hsm = CloudHsm::connect(aws)?;
        let info = hsm.cluster(&spec.cluster_id)?;
        let mut backups = hsm.backups(&spec.cluster_id)?;
        backups.sort_by_key(|b| std::cmp::Reverse(b.created));
        Ok(Self { hsm, info, backups })
    }

    /// The cluster as the first step shows and records it.
    fn done(self) -> Done<Self> {
        let say = describe(&self.info, &self.backups);
        let details = serde_json::json!({
            "cluster": self.info.id,
            "state": self.info.state,
            "hsms": hsms_json(&self.info.hsms),
            "newest_ready_backup": self.backups.iter().find(|b| b.state == "READY").map(|b| b.id.clone()),
        });
        Done::new(self).say(say).details(details)
    }
}

pub fn check_for_deactivation_step(spec: &ClusterSpec) -> Step {
    Step::new(CHECK_CLUSTER, "Read the cluster, its HSMs and its backups")
        .details(vec![
            format!("cluster: {}", spec.cluster_id),
            "DescribeClusters: it must be ACTIVE, with every HSM ACTIVE (removing an HSM from an active cluster is what makes CloudHSM back it up)".into(),
            "DescribeBackups: its backups, newest first".into(),
        ])
        .witness("Compare the cluster ID and the HSMs printed with the ceremony sheet.")
}

fn describe(cluster: &ClusterInfo, backups: &[BackupInfo]) -> Vec<String> {
    let mut say = vec![format!(
        "{} is {} ({} HSM{})",
        cluster.id,
        cluster.state,
        cluster.hsms.len(),
        if cluster.hsms.len() == 1 { "" } else { "s" }
    )];
    for h in &cluster.hsms {
        say.push(format!(
            "HSM {} {} in {} at {}",
            h.id,
            h.state,
            h.availability_zone.as_deref().unwrap_or("?"),
            h.eni_ip.as_deref().unwrap_or("(no IP)")
        ));
    }
    if let Some(b) = backups.iter().find(|b| b.state == "READY") {
        say.push(format!(
            "newest READY backup: {}{}",
            b.id,
            if b.never_expires {
                " (never expires)"
            } else {
                ""
            }
        ));
    }
    say
}

fn hsms_json(hsms: &[HsmInfo]) -> serde_json::Value {
    serde_json::json!(
        hsms.iter()
            .map(|h| serde_json::json!({
                "id": h.id,
                "state": h.state,
                "availability_zone": h.availability_zone,
                "eni_ip": h.eni_ip,
            }))
            .collect::<Vec<_>>()
    )
}

/// Reads the cluster and refuses what would not leave the key in a backup.
pub fn check_for_deactivation(
    aws: &AwsSettings,
    spec: &ClusterSpec,
    earlier_deletion: bool,
) -> Result<Done<Cluster>, StepError> {
    let Cluster { hsm, info, backups } = Cluster::read(aws, spec)?;
    let id = &spec.cluster_id;
    if info.state != "ACTIVE" {
        return Err(StepError::Refused(format!(
            "{id} is {}, not ACTIVE: CloudHSM backs up a cluster when an HSM is removed only while it is ACTIVE, so deleting its HSMs would not be known to leave the key in a backup; nothing was deleted",
            info.state
        )));
    }
    // On a resume after the deletion began, no HSM left is the expected state.
    if info.hsms.is_empty() && !earlier_deletion {
        let held = backups
            .iter()
            .find(|b| b.state == "READY")
            .map_or("no READY backup".to_string(), |b| {
                format!("backup {}", b.id)
            });
        return Err(StepError::Refused(format!(
            "{id} has no HSM: the root is offline already (its key is held by {held}); nothing to deactivate"
        )));
    }
    if let Some(h) = info.hsms.iter().find(|h| h.state != "ACTIVE") {
        return Err(StepError::Refused(format!(
            "HSM {} of {id} is {}, not ACTIVE: deactivate once every HSM is ACTIVE (or gone), so that the backup the deletion takes holds the key as it is; nothing was deleted",
            h.id, h.state
        )));
    }
    Ok(Cluster { hsm, info, backups }.done())
}

pub const CHECK_OFFLINE: &str = "check-before-offline";

pub fn check_for_offline_step(spec: &ClusterSpec) -> Step {
    Step::new(
        CHECK_OFFLINE,
        "Read the cluster before taking the root offline",
    )
    .details(vec![
        format!("cluster: {}", spec.cluster_id),
        "every HSM it has is deleted next, whatever its state: a session ends with the root offline, on every path".into(),
    ])
}

/// Reads the cluster for the end of a session: nothing is refused, for
/// taking the root offline again is the point.
pub fn check_for_offline(
    aws: &AwsSettings,
    spec: &ClusterSpec,
) -> Result<Done<Cluster>, StepError> {
    Ok(Cluster::read(aws, spec)?.done())
}

/// The deletion as a session does it: not confirmed, since a session
/// takes the root offline on every path, and no one may stop that.
pub fn take_offline_step(spec: &ClusterSpec) -> Step {
    let mut step = delete_hsms_step(spec);
    step.confirm = false;
    step.witness = Some(
        "Watch that every HSM is deleted: the root is offline again when the cluster has none."
            .into(),
    );
    step
}

pub fn delete_hsms_step(spec: &ClusterSpec) -> Step {
    Step::new(DELETE_HSMS, DELETE_HSMS_TITLE)
        .details(vec![
            "DeleteHsm for each HSM; their IDs, Availability Zones and ENI IPs are recorded, so reactivation can reuse the IP".into(),
            format!(
                "then DescribeClusters until the cluster has no HSM, at most {} minutes",
                spec.wait.as_secs() / 60
            ),
            "deleting the last HSM makes CloudHSM take a backup: from then on the key exists only in backups".into(),
        ])
        .witness("Confirm with the officer that every ceremony of this session is complete before the HSMs are deleted.")
        .confirmed()
        .lasting()
}

/// The HSMs were deleted at `deleted_at`; the cluster had the backups
/// `backups_before` then, so the backup the deletion takes is another.
pub struct Deleted {
    pub deleted_at: SystemTime,
    pub backups_before: Vec<String>,
    /// An ACTIVE HSM was deleted, so CloudHSM takes a backup: one that
    /// never became ACTIVE never held the key.
    pub backup_expected: bool,
    /// When the cluster had no HSM left.
    pub gone_at: SystemTime,
}

/// `first_seen`: the HSMs the first run of this ceremony found (from its
/// journal), which a resume deletes the rest of but records all of.
pub fn delete_hsms(
    cluster: &Cluster,
    spec: &ClusterSpec,
    earlier: Earlier,
    first_seen: Option<serde_json::Value>,
) -> Result<Done<Deleted>, StepError> {
    let id = &spec.cluster_id;
    // A resumed deletion keeps the time it began: the backup is looked
    // for from then.
    let deleted_at = match &earlier {
        Earlier::Done(d) => d
            .get("deleted_at_unix")
            .and_then(|v| v.as_f64())
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s)),
        _ => None,
    }
    .unwrap_or_else(SystemTime::now);
    let backups_before: Vec<String> = match &earlier {
        Earlier::Done(d) => d.get("backups_before").and_then(|v| v.as_array()).map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        }),
        _ => None,
    }
    .unwrap_or_else(|| cluster.backups.iter().map(|b| b.id.clone()).collect());
    let now = cluster.hsm.cluster(id)?;
    // A resume cannot know what the HSMs deleted before were: expect one.
    let backup_expected = match &earlier {
        Earlier::NotRun => now.hsms.iter().any(|h| h.state == "ACTIVE"),
        Earlier::Started => true,
        Earlier::Done(d) => d
            .get("backup_expected")
            .and_then(|v| v.as_bool())
            .unwrap_or(true),
    };
    let mut sent: Vec<&str> = Vec::new();
    for h in now.hsms.iter().filter(|h| h.state != "DELETE_IN_PROGRESS") {
        if let Err(e) = cluster.hsm.delete_hsm(id, &h.id) {
            // Past the first deletion, a refusal is no longer "nothing changed".
            return Err(if sent.is_empty() {
                e.into()
            } else {
                StepError::NotConfirmed(format!(
                    "DeleteHsm was sent for {} but then failed for {}: {e}",
                    sent.join(", "),
                    h.id
                ))
            });
        }
        sent.push(&h.id);
        crate::crash::point("deleted-an-hsm");
    }
    let (_, took) = wait_for(&format!("the HSMs of {id}"), "gone", spec.wait, || {
        let c = cluster.hsm.cluster(id)?;
        let state = if c.hsms.is_empty() {
            "no HSM".to_string()
        } else {
            c.hsms
                .iter()
                .map(|h| format!("{} {}", h.id, h.state))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ok((c.hsms.is_empty().then_some(()), state))
    })?;
    // What was deleted, as the journal knows it on a resume (the HSMs
    // deleted before the interruption are no longer in the cluster).
    let deleted = match &earlier {
        Earlier::Done(d) => d.get("deleted").cloned(),
        _ => None,
    }
    .or(first_seen)
    .unwrap_or_else(|| hsms_json(&cluster.info.hsms));
    let unix = deleted_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let ids: Vec<&str> = deleted
        .as_array()
        .map(|a| a.iter().filter_map(|h| h.get("id")?.as_str()).collect())
        .unwrap_or_default();
    let gone_at = SystemTime::now();
    let done = Done::new(Deleted {
        deleted_at,
        backups_before: backups_before.clone(),
        backup_expected,
        gone_at,
    })
    .details(serde_json::json!({
        "deleted": deleted,
        "deleted_at_unix": unix,
        "gone_at_unix": gone_at.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64()),
        "backups_before": backups_before,
        "backup_expected": backup_expected,
        "seconds_until_gone": took.as_secs_f64(),
    }));
    if ids.is_empty() {
        return Ok(done.say(vec![format!("{id} has no HSM: nothing to delete")]));
    }
    Ok(done
        .say(vec![format!(
            "deleted {} ({} s until the cluster had no HSM)",
            ids.join(", "),
            took.as_secs()
        )])
        .changed(Change {
            what: format!("deleted the HSMs {} of {id}", ids.join(", ")),
            if_failed: format!(
                "{id} has no HSM; the key is held by the backup CloudHSM takes at the deletion: check it with `rootca hsm status --cluster-id {id}`, and mark it never-expires (`aws cloudhsmv2 modify-backup-attributes --backup-id BACKUP --never-expires`) or run this ceremony again to finish"
            ),
        }))
}

pub fn wait_backup_step(spec: &ClusterSpec) -> Step {
    Step::new(
        WAIT_BACKUP,
        "Wait for the backup the deletion took to be READY",
    )
    .details(vec![
        "DescribeBackups until a backup of the cluster that was not there before the deletion is READY"
            .into(),
        format!("at most {} minutes", spec.wait.as_secs() / 60),
    ])
}

/// Clocks differ between this machine and AWS: a backup stamped a little
/// before the deletion call is still the deletion's.
const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// The backup the deletion took, once READY; None when no HSM deleted
/// was ACTIVE and no backup came of the deletion.
pub fn wait_backup(
    hsm: &CloudHsm,
    spec: &ClusterSpec,
    deleted: &Deleted,
) -> Result<Done<Option<BackupInfo>>, StepError> {
    let id = &spec.cluster_id;
    let since = deleted
        .deleted_at
        .checked_sub(CLOCK_SKEW)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let new_ones = |backups: Vec<BackupInfo>| -> Vec<BackupInfo> {
        let mut after: Vec<BackupInfo> = backups
            .into_iter()
            .filter(|b| !deleted.backups_before.contains(&b.id))
            .filter(|b| b.created.is_some_and(|c| c >= since))
            .collect();
        after.sort_by_key(|b| std::cmp::Reverse(b.created));
        after
    };
    if !deleted.backup_expected && new_ones(hsm.backups(id)?).is_empty() {
        return Ok(Done::new(None).say(vec![
            "no backup was taken: no HSM deleted had become ACTIVE, so none held the key; the backup the root was restored from still holds it".into(),
        ]));
    }
    let (backup, took) = wait_for(
        &format!("the backup of {id} taken at the deletion"),
        "READY",
        spec.wait,
        || {
            let after = new_ones(hsm.backups(id)?);
            let state = after.first().map_or("no backup yet".to_string(), |b| {
                format!("{} {}", b.id, b.state)
            });
            Ok((after.into_iter().find(|b| b.state == "READY"), state))
        },
    )?;
    Ok(Done::new(Some(backup.clone()))
        .say(vec![format!(
            "backup {} is READY ({} s after the deletion began)",
            backup.id,
            took.as_secs()
        )])
        .details(serde_json::json!({ "backup": backup })))
}

pub fn keep_backup_step() -> Step {
    Step::new(KEEP_BACKUP, "Mark the backup never-expires")
        .details(vec![
            "ModifyBackupAttributes NeverExpires = true: the cluster's retention policy can no longer delete it".into(),
            "its ID and timestamp are recorded: reactivation restores it".into(),
        ])
        .witness("Write the backup ID printed on the ceremony sheet.")
        .lasting()
}

pub fn keep_backup(
    cluster: &Cluster,
    backup: Option<&BackupInfo>,
) -> Result<Done<Option<BackupInfo>>, StepError> {
    let Some(backup) = backup else {
        return Ok(Done::new(None).say(vec!["no new backup to keep".into()]));
    };
    let kept = cluster.hsm.keep_forever(&backup.id)?;
    if !kept.never_expires {
        return Err(StepError::NotConfirmed(format!(
            "ModifyBackupAttributes answered, but backup {} is still not never-expires",
            kept.id
        )));
    }
    Ok(Done::new(Some(kept.clone()))
        .say(vec![format!(
            "backup {} never expires; the root is offline, its key held by that backup",
            kept.id
        )])
        .details(serde_json::json!({ "backup": kept }))
        .changed(Change {
            what: format!("marked backup {} never-expires", kept.id),
            if_failed:
                "nothing to undo: a never-expiring backup of the root is what an offline root needs"
                    .into(),
        }))
}

pub const WAIT_ACTIVE: &str = "wait-hsm-active";
pub const CONFIGURE_CLIENT: &str = "configure-client";

pub fn check_for_reactivation_step(spec: &ClusterSpec) -> Step {
    Step::new(CHECK_CLUSTER, "Read the cluster, its HSMs and its backups")
        .details(vec![
            format!("cluster: {}", spec.cluster_id),
            "DescribeClusters: it must be ACTIVE; an HSM it has already is used, never a second one made".into(),
            "DescribeBackups: without an HSM, a READY backup must be there for the new HSM to restore".into(),
        ])
        .witness("Compare the cluster ID and the backup printed with the ceremony sheet.")
}

pub fn check_for_reactivation(
    aws: &AwsSettings,
    spec: &ClusterSpec,
) -> Result<Done<Cluster>, StepError> {
    let Cluster { hsm, info, backups } = Cluster::read(aws, spec)?;
    let id = &spec.cluster_id;
    if info.state != "ACTIVE" {
        return Err(StepError::Refused(format!(
            "{id} is {}, not ACTIVE; nothing was created",
            info.state
        )));
    }
    let live: Vec<&HsmInfo> = info
        .hsms
        .iter()
        .filter(|h| h.state == "ACTIVE" || h.state == "CREATE_IN_PROGRESS")
        .collect();
    if live.is_empty() {
        if !backups.iter().any(|b| b.state == "READY") {
            return Err(StepError::Refused(format!(
                "{id} has no HSM and no READY backup: a new HSM would come up without the root key; nothing was created"
            )));
        }
        if spec.availability_zone.is_none() {
            return Err(StepError::Refused(format!(
                "{id} has no HSM, and the file names no cloudhsm.availability_zone to create one in; nothing was created"
            )));
        }
    }
    Ok(Cluster { hsm, info, backups }.done())
}

pub fn create_hsm_step(spec: &ClusterSpec) -> Step {
    Step::new(CREATE_HSM, CREATE_HSM_TITLE)
        .details(vec![
            format!(
                "CreateHsm in {}{}",
                spec.availability_zone.as_deref().unwrap_or("(the file's availability_zone)"),
                spec.ip_address
                    .as_deref()
                    .map(|ip| format!(" at {ip}, the IP the client is configured with"))
                    .unwrap_or_default()
            ),
            "CloudHSM restores the cluster's newest backup onto it: the root key comes back".into(),
            "an HSM the cluster has already (ACTIVE or coming up) is used instead: never a second one".into(),
            "from now on an HSM costs money every hour, until the deactivate ceremony deletes it".into(),
        ])
        .witness("Confirm the cluster and Availability Zone match the ceremony sheet.")
        .confirmed()
        .lasting()
}

/// The HSM the session uses, and whether this run made it.
#[derive(Clone)]
pub struct SessionHsm {
    pub id: String,
    pub created_here: bool,
    /// When it began to cost, as far as rootca knows: when CreateHsm
    /// answered, or when this run found it.
    pub since: SystemTime,
    /// When it was seen ACTIVE.
    pub active_at: Option<SystemTime>,
}

/// The ledger's entry for an HSM a ceremony created, which taking the
/// root offline again resolves.
pub fn created_hsm_what(hsm_id: &str, cluster_id: &str) -> String {
    format!("created HSM {hsm_id} in {cluster_id}")
}

pub fn create_hsm(
    cluster: &Cluster,
    spec: &ClusterSpec,
    earlier: Earlier,
) -> Result<Done<SessionHsm>, StepError> {
    let id = &spec.cluster_id;
    let now = cluster.hsm.cluster(id)?;
    let live = now
        .hsms
        .iter()
        .find(|h| h.state == "ACTIVE" || h.state == "CREATE_IN_PROGRESS");
    let recorded = match &earlier {
        Earlier::Done(d) => d.get("hsm").and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    };
    let (hsm, created_here, how) = match (live, recorded) {
        (Some(h), Some(r)) if h.id == r => (
            h.clone(),
            true,
            "the HSM this ceremony created, found again",
        ),
        (Some(h), _) => (
            h.clone(),
            matches!(earlier, Earlier::Started),
            if matches!(earlier, Earlier::Started) {
                "created by the interrupted run before the journal recorded it; used, not created again"
            } else {
                "already there; used, not created again"
            },
        ),
        (None, _) => {
            let az = spec.availability_zone.as_deref().ok_or_else(|| {
                StepError::Refused("no cloudhsm.availability_zone to create the HSM in".into())
            })?;
            let made = cluster.hsm.create_hsm(id, az, spec.ip_address.as_deref())?;
            crate::crash::point("created-hsm");
            (made, true, "created")
        }
    };
    let since = match &earlier {
        Earlier::Done(d) => d
            .get("created_at_unix")
            .and_then(|v| v.as_f64())
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s)),
        _ => None,
    }
    .unwrap_or_else(SystemTime::now);
    let mut done = Done::new(SessionHsm {
        id: hsm.id.clone(),
        created_here,
        since,
        active_at: None,
    })
    .say(vec![format!(
        "HSM {} in {}: {how}",
        hsm.id,
        hsm.availability_zone.as_deref().unwrap_or("?")
    )])
    .details(serde_json::json!({
        "hsm": hsm.id,
        "availability_zone": hsm.availability_zone,
        "how": how,
        // When the HSM began to cost: known for one created now (for one
        // adopted after a kill, a little later than the truth).
        "created_at_unix": created_here.then(|| since.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())),
    }));
    if created_here {
        done = done.changed(Change {
            what: created_hsm_what(&hsm.id, id),
            if_failed: format!(
                "HSM {} runs, and costs money every hour, until it is deleted: take the root offline with a deactivate ceremony, or `aws cloudhsmv2 delete-hsm --cluster-id {id} --hsm-id {}`",
                hsm.id, hsm.id
            ),
        });
    }
    Ok(done)
}

pub fn wait_active_step(spec: &ClusterSpec) -> Step {
    Step::new(WAIT_ACTIVE, "Wait for the HSM to be ACTIVE").details(vec![
        format!(
            "DescribeClusters until the HSM is ACTIVE with its ENI IP, at most {} minutes",
            spec.wait.as_secs() / 60
        ),
        "if it is not ACTIVE in time, an HSM this ceremony created is deleted again".into(),
    ])
}

pub fn wait_active(
    cluster: &Cluster,
    spec: &ClusterSpec,
    session: &SessionHsm,
) -> Result<Done<String>, StepError> {
    let id = &spec.cluster_id;
    let waited = wait_for(&format!("HSM {}", session.id), "ACTIVE", spec.wait, || {
        let c = cluster.hsm.cluster(id)?;
        let Some(h) = c.hsms.iter().find(|h| h.id == session.id) else {
            return Err(StepError::NotConfirmed(format!(
                "HSM {} is no longer in {id}",
                session.id
            )));
        };
        let ready = (h.state == "ACTIVE").then(|| h.eni_ip.clone()).flatten();
        Ok((ready, h.state.clone()))
    });
    let (ip, took) = match waited {
        Ok(v) => v,
        Err(e) => {
            // Never leave an HSM running that the ceremony cannot use.
            if session.created_here {
                return Err(match cluster.hsm.delete_hsm(id, &session.id) {
                    Ok(()) => StepError::TimedOut(format!(
                        "{e}; the HSM {} this ceremony created was deleted again (DeleteHsm sent)",
                        session.id
                    )),
                    Err(d) => StepError::TimedOut(format!(
                        "{e}; deleting the HSM {} this ceremony created failed too ({d}): delete it with `aws cloudhsmv2 delete-hsm --cluster-id {id} --hsm-id {}`",
                        session.id, session.id
                    )),
                });
            }
            return Err(e);
        }
    };
    Ok(Done::new(ip.clone())
        .say(vec![format!(
            "HSM {} is ACTIVE at {ip} ({} s)",
            session.id,
            took.as_secs()
        )])
        .details(serde_json::json!({ "eni_ip": ip, "seconds_until_active": took.as_secs_f64() })))
}

pub fn configure_client_step(command: Option<&[String]>) -> Step {
    let details = match command {
        Some(c) => vec![format!("runs: {} (with {{ip}} replaced by the HSM's ENI IP)", c.join(" "))],
        None => vec![
            "prints the CloudHSM client command for the officer to run: sudo /opt/cloudhsm/bin/configure-pkcs11 -a IP --disable-key-availability-check".into(),
            "--disable-key-availability-check: with one HSM, CloudHSM refuses to use any key without it".into(),
        ],
    };
    Step::new(
        CONFIGURE_CLIENT,
        "Configure the CloudHSM client for the HSM",
    )
    .details(details)
}

pub fn configure_client(command: Option<&[String]>, ip: &str) -> Result<Done<()>, StepError> {
    let Some(c) = command else {
        return Ok(Done::new(()).say(vec![
            "run on this machine, then go on:".into(),
            format!(
                "  sudo /opt/cloudhsm/bin/configure-pkcs11 -a {ip} --disable-key-availability-check"
            ),
        ]));
    };
    let args: Vec<String> = c.iter().map(|a| a.replace("{ip}", ip)).collect();
    let Some((program, rest)) = args.split_first() else {
        return Ok(Done::new(()));
    };
    let out = std::process::Command::new(program)
        .args(rest)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| StepError::NotConfirmed(format!("cannot run {program}: {e}")))?;
    if !out.status.success() {
        return Err(StepError::NotConfirmed(format!(
            "{} exited with {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(Done::new(())
        .say(vec![format!("ran {}", args.join(" "))])
        .details(serde_json::json!({ "command": args })))
}

pub fn keep_previous_step() -> Step {
    Step::new(
        KEEP_PREVIOUS,
        "Mark the newest backup never-expires before anything is deleted",
    )
    .details(vec![
        "ModifyBackupAttributes NeverExpires = true on the cluster's newest READY backup, if it is not already".into(),
        "so the deletion starts only once rootca is shown able to keep a backup from the retention policy; refused, nothing is deleted".into(),
    ])
    .lasting()
}

/// Keeps the newest READY backup forever, which also proves, before any
/// HSM is deleted, that the backup the deletion takes can be kept too.
pub fn keep_previous(cluster: &Cluster) -> Result<Done<()>, StepError> {
    let Some(newest) = cluster.backups.iter().find(|b| b.state == "READY") else {
        return Ok(Done::new(()).say(vec![
            "no READY backup yet: the one the deletion takes will be the first".into(),
        ]));
    };
    if newest.never_expires {
        return Ok(Done::new(())
            .say(vec![format!("backup {} never expires already", newest.id)])
            .details(serde_json::json!({ "backup": newest.id })));
    }
    let kept = cluster.hsm.keep_forever(&newest.id)?;
    Ok(Done::new(())
        .say(vec![format!("backup {} now never expires", kept.id)])
        .details(serde_json::json!({ "backup": kept }))
        .changed(Change {
            what: format!("marked backup {} never-expires", kept.id),
            if_failed: "nothing to undo: it is an older backup of the root, kept".into(),
        }))
}

/// The HSMs the reactivations whose transcripts are in `dir` created, with
/// when: only transcripts that verify count. The CloudHSM API gives no
/// creation time of an HSM; these are rootca's own records of it.
pub fn created_hsms(dir: &std::path::Path) -> std::io::Result<Vec<(String, SystemTime)>> {
    use crate::output::transcript::{read_journal, verify};
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if !path.to_string_lossy().ends_with(".transcript.jsonl") || verify(&path, None).is_err() {
            continue;
        }
        let Ok(entries) = read_journal(&path) else {
            continue;
        };
        for e in entries
            .iter()
            .filter(|e| e.event == CREATE_HSM_TITLE && e.status == crate::ceremony::resume::OK)
        {
            if let (Some(id), Some(at)) = (
                e.details.get("hsm").and_then(|v| v.as_str()),
                e.details.get("created_at_unix").and_then(|v| v.as_f64()),
            ) {
                found.push((
                    id.to_string(),
                    SystemTime::UNIX_EPOCH + Duration::from_secs_f64(at),
                ));
            }
        }
    }
    Ok(found)
}
