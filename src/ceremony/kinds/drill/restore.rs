//! The drill's steps in AWS up to the key: the backup chosen, copied and
//! its copy found, the drill cluster made and waited for; and the check
//! at the end that the source region is as it was.

use std::time::{Duration, SystemTime};

use super::report::rfc3339_text;
use super::teardown::{delete_backup_command, delete_cluster_command};
use super::{DRILL_TAG, DrillCeremony};
use crate::aws::cloudhsm::{BackupInfo, CloudHsm, ClusterInfo};
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::Done;
use crate::ceremony::steps::cloudhsm;
use crate::ceremony::{Change, StepError};

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

pub(super) fn choose_backup(
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
pub(super) fn copy_backup(
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
pub(super) fn find_copy(
    drill: &CloudHsm,
    backup: &BackupInfo,
    before: &[String],
) -> Result<Option<BackupInfo>, StepError> {
    Ok(drill
        .copies_of(&backup.id)?
        .into_iter()
        .find(|b| !before.contains(&b.id)))
}

pub(super) fn wait_copy(
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

pub(super) fn create_cluster(
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

pub(super) fn wait_cluster(
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

pub(super) fn check_source(
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
