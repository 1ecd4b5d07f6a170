//! `deactivate`: take the root offline. Every HSM of its CloudHSM cluster
//! is deleted (an HSM costs money every hour), once it is established that
//! the backup CloudHSM takes at the deletion will hold the key; that
//! backup is waited for until READY and marked never-expires.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Entry;
use crate::aws::AwsSettings;
use crate::ceremony::file::{AwsSection, Problems, Source, aws_settings, distinct, output};
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::cloudhsm::{self, ClusterSpec};
use crate::ceremony::{CeremonyError, Kind, Run, Step};

pub const ENTRY: Entry = Entry {
    name: "deactivate",
    load,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CloudHsmSection {
    pub cluster_id: String,
    pub availability_zone: Option<String>,
    pub ip_address: Option<String>,
    pub wait_minutes: Option<toml::Value>,
    pub client_command: Option<Vec<String>>,
    /// reactivate: the transcript of the deactivation that deleted the
    /// last HSM, whose Availability Zone and ENI IP the new HSM reuses.
    pub previous_deactivation: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outputs {
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeactivateFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    aws: Option<AwsSection>,
    cloudhsm: CloudHsmSection,
    outputs: Outputs,
}

#[derive(Debug)]
pub struct DeactivateCeremony {
    pub aws: AwsSettings,
    pub cluster: ClusterSpec,
    pub transcript: PathBuf,
}

/// `[cloudhsm]`, validated: the cluster ID's pattern, the wait.
pub(super) fn cluster_spec(c: CloudHsmSection, p: &mut Problems) -> ClusterSpec {
    let id_ok = c.cluster_id.strip_prefix("cluster-").is_some_and(|rest| {
        (11..=16).contains(&rest.len()) && rest.chars().all(|ch| ch.is_ascii_alphanumeric())
    });
    if !id_ok {
        p.add(
            "cloudhsm.cluster_id",
            format!(
                "\"{}\" is not a CloudHSM cluster ID such as \"cluster-jxhlf7644ne\"",
                c.cluster_id
            ),
        );
    }
    let minutes = match &c.wait_minutes {
        None => Some(30.0),
        Some(toml::Value::Integer(n)) => Some(*n as f64),
        Some(toml::Value::Float(f)) => Some(*f),
        Some(_) => None,
    }
    .filter(|m| *m > 0.0 && *m <= 24.0 * 60.0);
    if minutes.is_none() {
        p.add(
            "cloudhsm.wait_minutes",
            "must be a number of minutes from above 0 to 1440: how long each wait (an HSM coming up or going, a backup becoming READY) may take",
        );
    }
    for (field, v) in [
        ("cloudhsm.availability_zone", &c.availability_zone),
        ("cloudhsm.ip_address", &c.ip_address),
    ] {
        if let Some(v) = v {
            crate::ceremony::file::plain_text(v, field, p);
        }
    }
    if let Some(ip) = &c.ip_address
        && ip.parse::<std::net::Ipv4Addr>().is_err()
    {
        p.add(
            "cloudhsm.ip_address",
            format!("\"{ip}\" is not an IPv4 address such as \"10.0.1.25\""),
        );
    }
    ClusterSpec {
        cluster_id: c.cluster_id,
        availability_zone: c.availability_zone,
        ip_address: c.ip_address,
        wait: std::time::Duration::from_secs_f64(minutes.unwrap_or(30.0) * 60.0),
    }
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: DeactivateFile = src.parse()?;
    let aws = aws_settings(f.aws.unwrap_or_default(), p);
    for (field, set) in [
        (
            "cloudhsm.availability_zone",
            f.cloudhsm.availability_zone.is_some(),
        ),
        ("cloudhsm.ip_address", f.cloudhsm.ip_address.is_some()),
        (
            "cloudhsm.client_command",
            f.cloudhsm.client_command.is_some(),
        ),
        (
            "cloudhsm.previous_deactivation",
            f.cloudhsm.previous_deactivation.is_some(),
        ),
    ] {
        if set {
            p.add(
                field,
                "belongs to a reactivate ceremony; a deactivate ceremony creates no HSM: remove it",
            );
        }
    }
    let cluster = cluster_spec(f.cloudhsm, p);
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(&[("outputs.transcript", &transcript)], p);
    Ok(Some(Box::new(DeactivateCeremony {
        aws,
        cluster,
        transcript,
    })))
}

impl Kind for DeactivateCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn steps(&self) -> Vec<Step> {
        vec![
            cloudhsm::check_for_deactivation_step(&self.cluster),
            cloudhsm::keep_previous_step(),
            cloudhsm::delete_hsms_step(&self.cluster),
            cloudhsm::wait_backup_step(&self.cluster),
            cloudhsm::keep_backup_step(),
        ]
    }

    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let began = r.earlier(cloudhsm::DELETE_HSMS) != Earlier::NotRun;
        let cluster = r.step(cloudhsm::CHECK_CLUSTER, || {
            cloudhsm::check_for_deactivation(&self.aws, &self.cluster, began)
        })?;
        r.resuming(cloudhsm::KEEP_PREVIOUS, |_| {
            cloudhsm::keep_previous(&cluster)
        })?;
        let first_seen = r
            .first_recorded(cloudhsm::CHECK_CLUSTER)
            .and_then(|d| d.get("hsms").cloned());
        let deleted = r.resuming(cloudhsm::DELETE_HSMS, |earlier| {
            cloudhsm::delete_hsms(&cluster, &self.cluster, earlier, first_seen)
        })?;
        let backup = r.step(cloudhsm::WAIT_BACKUP, || {
            cloudhsm::wait_backup(&cluster.hsm, &self.cluster, &deleted)
        })?;
        r.resuming(cloudhsm::KEEP_BACKUP, |_| {
            cloudhsm::keep_backup(&cluster, backup.as_ref())
        })?;
        Ok(())
    }
}
