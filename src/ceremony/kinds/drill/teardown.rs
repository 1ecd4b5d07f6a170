//! The drill's teardown: the HSM, then the copy and the drill cluster's
//! backups, then the cluster. Each step reads the drill region afresh (so
//! doing it again after an interruption is safe), does what it can and
//! never fails: what it cannot remove is named in the report with the
//! command that removes it, and stays in the ledger.

use std::cell::RefCell;

use super::DrillCeremony;
use super::report::{Log, Resource, rfc3339_text};
use crate::aws::cloudhsm::{CloudHsm, CloudHsmError};
use crate::ceremony::StepError;
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::Done;
use crate::ceremony::steps::cloudhsm::{self, Cluster, Deleted};

pub(super) fn delete_backup_command(region: &str, id: &str) -> String {
    format!("aws cloudhsmv2 delete-backup --region {region} --backup-id {id}")
}

pub(super) fn delete_cluster_command(region: &str, id: &str) -> String {
    format!(
        "aws cloudhsmv2 delete-cluster --region {region} --cluster-id {id} (once it has no HSM)"
    )
}

pub(super) fn delete_hsm_command(region: &str, cluster: &str, hsm: &str) -> String {
    format!("aws cloudhsmv2 delete-hsm --region {region} --cluster-id {cluster} --hsm-id {hsm}")
}

/// Deletes the drill cluster's HSMs; the deletion, for the backup step.
pub(super) fn delete_drill_hsm(
    drill: &CloudHsm,
    d: &DrillCeremony,
    log: &RefCell<Log>,
) -> Done<Option<Deleted>> {
    let region = &d.drill_region;
    let (cluster_id, hsm) = {
        let l = log.borrow();
        (l.cluster.clone(), l.hsm.clone())
    };
    let Some(cluster_id) = cluster_id else {
        return Done::new(None).say(vec!["no drill cluster was made: no HSM to delete".into()]);
    };
    let hsm_id = hsm.as_ref().map(|h| h.id.clone());
    let command = delete_hsm_command(region, &cluster_id, hsm_id.as_deref().unwrap_or("ID"));
    if d.keep {
        let mut say = vec![format!("kept (keep = true): the HSMs of {cluster_id}")];
        if let Some(id) = hsm_id {
            say.push(format!("HSM {id} costs money every hour until deleted"));
            log.borrow_mut().resource(Resource::new(
                "HSM",
                id,
                region,
                "kept (keep = true)",
                Some(command),
            ));
        }
        return Done::new(None).say(say);
    }
    let spec = d.drill_spec(&cluster_id, None);
    let attempt = || -> Result<Done<Deleted>, StepError> {
        let cluster = Cluster {
            hsm: drill.clone(),
            info: drill.cluster(&cluster_id)?,
            backups: drill.backups(&cluster_id)?,
        };
        cloudhsm::delete_hsms(&cluster, &spec, Earlier::NotRun, None)
    };
    match attempt() {
        Ok(done) => {
            let mut out = Done::new(Some(done.value))
                .say(done.say)
                .details(done.details);
            if let Some(id) = hsm_id {
                out = out.resolves(cloudhsm::created_hsm_what(&id, &cluster_id));
                log.borrow_mut()
                    .resource(Resource::new("HSM", id, region, "deleted", None));
            }
            out
        }
        Err(e) => {
            if let Some(id) = hsm_id.clone() {
                log.borrow_mut().resource(Resource::new(
                    "HSM",
                    id,
                    region,
                    &format!("left: {e}"),
                    Some(command.clone()),
                ));
            }
            Done::new(None)
                .say(vec![
                    format!(
                        "could not delete {}: {e}",
                        hsm_id.as_deref().unwrap_or("the drill cluster's HSMs")
                    ),
                    format!("to delete it: {command}"),
                ])
                .details(serde_json::json!({ "error": e.to_string(), "remove_with": command }))
        }
    }
}

/// Deletes the copy and the drill cluster's backups, once the backup the
/// HSM's deletion takes (`deleted`) is READY.
pub(super) fn delete_drill_backups(
    drill: &CloudHsm,
    d: &DrillCeremony,
    deleted: Option<&Deleted>,
    log: &RefCell<Log>,
) -> Done<()> {
    let region = &d.drill_region;
    let (cluster_id, copy, source_backup, copies_before, copy_asked) = {
        let l = log.borrow();
        (
            l.cluster.clone(),
            l.copy.clone(),
            l.backup.clone(),
            l.copies_before.clone(),
            l.copy_asked,
        )
    };
    let mut say = Vec::new();
    let mut resolved = Vec::new();
    // The copy: the one this drill found, or, if the drill stopped before
    // it was found, one that has appeared since the call.
    let mut targets: Vec<(&'static str, String)> = Vec::new();
    let mut searched_for: Option<String> = None;
    match (&copy, &source_backup) {
        (Some(c), _) => targets.push(("backup copy", c.id.clone())),
        (None, Some(b)) if copy_asked => {
            let asked = format!("asked CloudHSM to copy backup {} to {region}", b.id);
            match super::restore::find_copy(drill, b, &copies_before) {
                Ok(Some(c)) => {
                    targets.push(("backup copy", c.id));
                    searched_for = Some(asked);
                }
                Ok(None) => {
                    say.push(format!("no copy of {} appeared in {region}", b.id));
                    resolved.push(asked);
                }
                Err(e) => say.push(format!(
                    "could not look for the copy of {}: {e}; look with `aws cloudhsmv2 describe-backups --region {region} --filters sourceBackupIds={}`",
                    b.id, b.id
                )),
            }
        }
        _ => {}
    }
    if let Some(cid) = &cluster_id {
        if let Some(del) = deleted {
            let spec = d.drill_spec(cid, None);
            if let Err(e) = cloudhsm::wait_backup(drill, &spec, del) {
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
            Err(e) => say.push(format!(
                "could not list the backups of {cid}: {e}; list them with `aws cloudhsmv2 describe-backups --region {region} --filters clusterIds={cid}`"
            )),
        }
    }
    if targets.is_empty() && say.is_empty() {
        say.push("no backup was made in the drill region".into());
    }
    for (kind, id) in targets {
        let command = delete_backup_command(region, &id);
        let (fate, left) = if d.keep {
            say.push(format!(
                "kept (keep = true): {kind} {id}, billed and never expiring until deleted"
            ));
            ("kept (keep = true)".to_string(), true)
        } else {
            match drill.delete_backup(&id) {
                Ok(b) => {
                    let until = b.delete_at.map(rfc3339_text).unwrap_or_else(|| "?".into());
                    say.push(format!(
                        "{kind} {id} is {} (gone for good {until})",
                        b.state
                    ));
                    if kind == "backup copy" {
                        if let (Some(c), Some(b)) = (&copy, &source_backup) {
                            resolved
                                .push(format!("copied backup {} to {region} as {}", b.id, c.id));
                        }
                        resolved.extend(searched_for.take());
                    }
                    (format!("{} until {until}", b.state), false)
                }
                Err(e) => {
                    say.push(format!(
                        "could not delete {kind} {id}: {e}; to delete it: {command}"
                    ));
                    (format!("left: {e}"), true)
                }
            }
        };
        log.borrow_mut().resource(Resource::new(
            kind,
            id,
            region,
            &fate,
            left.then_some(command),
        ));
    }
    let mut done = Done::new(()).say(say);
    for r in resolved {
        done = done.resolves(r);
    }
    done
}

/// Deletes the drill cluster and waits until it is gone.
pub(super) fn delete_drill_cluster(
    drill: &CloudHsm,
    d: &DrillCeremony,
    log: &RefCell<Log>,
) -> Done<()> {
    let region = &d.drill_region;
    let Some(id) = log.borrow().cluster.clone() else {
        return Done::new(()).say(vec!["no drill cluster was made".into()]);
    };
    let command = delete_cluster_command(region, &id);
    if d.keep {
        let say = vec![format!("kept (keep = true): cluster {id}")];
        log.borrow_mut().resource(Resource::new(
            "cluster",
            id,
            region,
            "kept (keep = true)",
            Some(command),
        ));
        return Done::new(()).say(say);
    }
    let attempt = || -> Result<std::time::Duration, StepError> {
        drill.delete_cluster(&id)?;
        let (_, took) = cloudhsm::wait_for(
            &format!("drill cluster {id}"),
            "gone",
            d.back.cluster.wait,
            || match drill.cluster(&id) {
                Err(CloudHsmError::ClusterNotFound { .. }) => Ok((Some(()), "gone".into())),
                Err(e) => Err(e.into()),
                Ok(c) if c.state == "DELETED" => Ok((Some(()), "DELETED".into())),
                Ok(c) => Ok((None, c.state)),
            },
        )?;
        Ok(took)
    };
    match attempt() {
        Ok(took) => {
            let done = Done::new(())
                .say(vec![format!("cluster {id} deleted ({} s)", took.as_secs())])
                .resolves(format!("created drill cluster {id} in {region}"));
            log.borrow_mut()
                .resource(Resource::new("cluster", id, region, "deleted", None));
            done
        }
        Err(e) => {
            let say = vec![
                format!("could not delete cluster {id}: {e}"),
                format!("to delete it: {command}"),
            ];
            log.borrow_mut().resource(Resource::new(
                "cluster",
                id,
                region,
                &format!("left: {e}"),
                Some(command),
            ));
            Done::new(()).say(say)
        }
    }
}
