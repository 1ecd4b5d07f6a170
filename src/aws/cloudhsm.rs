//! AWS CloudHSM v2 around the offline root, as a blocking API: read a
//! cluster with its HSMs, and its backups. What the state means for the
//! root (offline, held by which backup; online and costing money) is
//! judged in [`status`], from these values alone, so it is tested without
//! AWS.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use aws_config::ConfigLoader;
use aws_sdk_cloudhsmv2::Client;
use aws_sdk_cloudhsmv2::config::http::HttpResponse;
use aws_sdk_cloudhsmv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudhsmv2::operation::RequestId;
use aws_sdk_cloudhsmv2::primitives::DateTime;
use serde::Serialize;

use super::{
    AwsError, AwsSettings, AwsTimeouts, Context, Sorted, configured_endpoint, load_config,
    new_runtime, reject_async_caller, sort_sdk_error,
};

/// What can go wrong reading CloudHSM, for the officer.
#[derive(Debug, thiserror::Error)]
pub enum CloudHsmError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "{operation} on {target}: access denied. The IAM policy of the ceremony's role or user must allow `cloudhsm:{operation}`. AWS said: {message}"
    )]
    AccessDenied {
        operation: &'static str,
        target: String,
        message: String,
    },
    #[error(
        "{operation}: cluster {cluster} was not found in region {region} of the credentials' account. Check the cluster ID and the region"
    )]
    ClusterNotFound {
        operation: &'static str,
        cluster: String,
        region: String,
    },
    #[error("{operation} on {target}: CloudHSM refused the request ({code}: {message})")]
    Refused {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
    },
    #[error(
        "{operation} on {target}: no answer from {endpoint} within {seconds} s (the {which} timeout); nothing was changed by this read"
    )]
    Timeout {
        operation: &'static str,
        target: String,
        endpoint: String,
        which: String,
        seconds: f64,
    },
    #[error("{operation} on {target}: {endpoint} cannot be reached: {detail}")]
    Unreachable {
        operation: &'static str,
        target: String,
        endpoint: String,
        detail: String,
    },
    #[error("{operation} on {target}: the answer from {endpoint} cannot be read: {detail}")]
    UnexpectedResponse {
        operation: &'static str,
        target: String,
        endpoint: String,
        detail: String,
    },
}

/// An HSM of the cluster, as DescribeClusters reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HsmInfo {
    pub id: String,
    pub state: String,
    pub availability_zone: Option<String>,
    pub eni_ip: Option<String>,
    /// When it was created, when known: the API gives no creation time of
    /// an HSM; rootca learns it from the transcript of the reactivation
    /// that created it ([`Status::with_created`]).
    #[serde(serialize_with = "rfc3339_opt")]
    pub created: Option<SystemTime>,
}

/// A cluster, as DescribeClusters reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterInfo {
    pub id: String,
    pub state: String,
    pub hsm_type: Option<String>,
    pub mode: Option<String>,
    /// E.g. `DAYS 90`; None when the cluster has none.
    pub retention: Option<String>,
    pub hsms: Vec<HsmInfo>,
    pub tags: Vec<(String, String)>,
    /// Availability Zone -> subnet, sorted by zone.
    pub subnets: Vec<(String, String)>,
}

/// A backup, as DescribeBackups reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupInfo {
    pub id: String,
    pub state: String,
    pub cluster_id: Option<String>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub created: Option<SystemTime>,
    pub never_expires: bool,
    pub source_region: Option<String>,
    pub source_backup: Option<String>,
    pub hsm_type: Option<String>,
    pub mode: Option<String>,
    /// When a backup PENDING_DELETION is deleted for good.
    #[serde(serialize_with = "rfc3339_opt")]
    pub delete_at: Option<SystemTime>,
}

fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "?".into())
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// What the cluster's state means for the root.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// No HSM; the newest READY backup holds the key.
    Offline { backup: String, never_expires: bool },
    /// At least one HSM exists (costing money every hour).
    Online { hsms: usize },
    /// No HSM and no READY backup: nothing is known to hold the key.
    NoBackup,
}

/// `rootca hsm status`: the cluster, its backups newest first, the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub cluster: ClusterInfo,
    pub backups: Vec<BackupInfo>,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The hourly price of one HSM, when given, for the cost line.
    pub hourly_price: Option<f64>,
}

/// Judges the cluster from what AWS reported.
pub fn status(
    cluster: ClusterInfo,
    mut backups: Vec<BackupInfo>,
    hourly_price: Option<f64>,
) -> Status {
    // Newest first, whatever order the service used.
    backups.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    let live = cluster.hsms.iter().filter(|h| h.state != "DELETED").count();
    let verdict = if live > 0 {
        Verdict::Online { hsms: live }
    } else {
        match backups.iter().find(|b| b.state == "READY") {
            Some(b) => Verdict::Offline {
                backup: b.id.clone(),
                never_expires: b.never_expires,
            },
            None => Verdict::NoBackup,
        }
    };
    Status {
        cluster,
        backups,
        verdict,
        hourly_price,
    }
}

/// How long, as a person says it: "3 h 12 min", "47 min", "20 s".
fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}

impl Status {
    /// Sets the creation times the transcripts of reactivations give, as
    /// (HSM ID, created) pairs, for the running time and its cost.
    pub fn with_created(mut self, known: &[(String, SystemTime)]) -> Self {
        for h in &mut self.cluster.hsms {
            if let Some((_, t)) = known.iter().find(|(id, _)| *id == h.id) {
                h.created = Some(*t);
            }
        }
        self
    }

    /// The longest an HSM of the cluster has run, when known.
    fn running(&self) -> Option<Duration> {
        self.cluster
            .hsms
            .iter()
            .filter_map(|h| h.created)
            // A creation time ahead of this clock (another machine's) counts as just now.
            .map(|t| SystemTime::now().duration_since(t).unwrap_or_default())
            .max()
    }

    /// The one line that says where the root stands.
    pub fn verdict_line(&self) -> String {
        match &self.verdict {
            Verdict::Offline {
                backup,
                never_expires: true,
            } => format!("offline, key held by backup {backup} (never expires)"),
            Verdict::Offline {
                backup,
                never_expires: false,
            } => format!(
                "offline, key held by backup {backup}, which EXPIRES under the cluster's retention policy ({}): mark it never-expires (deactivate does)",
                self.cluster.retention.as_deref().unwrap_or("none set")
            ),
            Verdict::Online { hsms } => {
                let running = self.running();
                let time = running
                    .map(|d| format!(" for {}", duration_text(d)))
                    .unwrap_or_default();
                let cost = match (self.hourly_price, running) {
                    (Some(p), Some(d)) => format!(
                        ", {:.2} so far and {:.2} per hour at {p:.2} per HSM-hour",
                        p * d.as_secs_f64() / 3600.0,
                        p * *hsms as f64
                    ),
                    (Some(p), None) => {
                        format!(", {:.2} per hour at {p:.2} per HSM-hour", p * *hsms as f64)
                    }
                    (None, _) => String::new(),
                };
                format!(
                    "ONLINE: {hsms} HSM{} running{time}{cost}; take the root offline when the session ends (rootca run deactivate.toml)",
                    if *hsms == 1 { "" } else { "s" }
                )
            }
            Verdict::NoBackup => "NO BACKUP: the cluster has no HSM and no READY backup; nothing is known to hold the root key".into(),
        }
    }

    pub fn render_text(&self) -> String {
        use std::fmt::Write;
        let c = &self.cluster;
        let mut s = String::new();
        let _ = writeln!(s, "cluster     {} ({})", c.id, c.state);
        let _ = writeln!(
            s,
            "            type {}, mode {}, backup retention {}",
            c.hsm_type.as_deref().unwrap_or("?"),
            c.mode.as_deref().unwrap_or("?"),
            c.retention.as_deref().unwrap_or("none")
        );
        if c.hsms.is_empty() {
            let _ = writeln!(s, "HSMs        none");
        }
        for h in &c.hsms {
            let since = h
                .created
                .map(|t| {
                    let d = SystemTime::now().duration_since(t).unwrap_or_default();
                    format!(", created {} ({} ago)", rfc3339(t), duration_text(d))
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "HSM         {} {} in {} at {}{since}",
                h.id,
                h.state,
                h.availability_zone.as_deref().unwrap_or("?"),
                h.eni_ip.as_deref().unwrap_or("(no IP yet)")
            );
        }
        if self.backups.is_empty() {
            let _ = writeln!(s, "backups     none");
        }
        for b in &self.backups {
            let copy = match (&b.source_region, &b.source_backup) {
                (Some(r), Some(src)) => format!(", copy of {src} from {r}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "backup      {} {} created {}{}{copy}",
                b.id,
                b.state,
                b.created.map(rfc3339).unwrap_or_else(|| "?".into()),
                if b.never_expires {
                    ", never expires"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(s, "\n{}", self.verdict_line());
        s
    }
}

/// A CloudHSM v2 client for one region.
/// Cheap to clone: the clones share one runtime and one client.
#[derive(Clone)]
pub struct CloudHsm {
    runtime: std::sync::Arc<tokio::runtime::Runtime>,
    client: Client,
    ctx: Context,
}

fn backup_info(b: &aws_sdk_cloudhsmv2::types::Backup) -> BackupInfo {
    BackupInfo {
        id: b.backup_id().to_string(),
        state: b
            .backup_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        cluster_id: b.cluster_id().map(str::to_string),
        created: time_of(b.create_timestamp()),
        never_expires: b.never_expires().unwrap_or(false),
        source_region: b.source_region().map(str::to_string),
        source_backup: b.source_backup().map(str::to_string),
        hsm_type: b.hsm_type().map(str::to_string),
        mode: b.mode().map(|m| m.as_str().to_string()),
        delete_at: time_of(b.delete_timestamp()),
    }
}

fn cluster_info(id: &str, c: &aws_sdk_cloudhsmv2::types::Cluster) -> ClusterInfo {
    let mut subnets: Vec<(String, String)> = c
        .subnet_mapping()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    subnets.sort();
    ClusterInfo {
        id: id.to_string(),
        state: c
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        hsm_type: c.hsm_type().map(str::to_string),
        mode: c.mode().map(|m| m.as_str().to_string()),
        retention: c.backup_retention_policy().map(|p| {
            format!(
                "{} {}",
                p.r#type().map(|t| t.as_str()).unwrap_or("?"),
                p.value().unwrap_or("?")
            )
        }),
        hsms: c
            .hsms()
            .iter()
            .map(|h| HsmInfo {
                id: h.hsm_id().to_string(),
                state: h
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                availability_zone: h.availability_zone().map(str::to_string),
                eni_ip: h.eni_ip().map(str::to_string),
                created: None,
            })
            .collect(),
        tags: c
            .tag_list()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        subnets,
    }
}

fn time_of(t: Option<&DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

impl CloudHsm {
    pub fn connect(settings: &AwsSettings) -> Result<Self, CloudHsmError> {
        Self::connect_with(settings, |l| l)
    }

    pub fn connect_with(
        settings: &AwsSettings,
        adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<Self, CloudHsmError> {
        let timeouts = AwsTimeouts::from_env()?;
        let runtime = new_runtime()?;
        reject_async_caller("CloudHsm")?;
        let (client, ctx) = runtime.block_on(async {
            let loaded = load_config(settings, &timeouts, adjust).await?;
            let configured = configured_endpoint(settings, &loaded.sdk_config, "CloudHSMV2");
            let mut builder = aws_sdk_cloudhsmv2::config::Builder::from(&loaded.sdk_config);
            if let Some(provider) = &loaded.profile_credentials {
                builder = builder.credentials_provider(provider.clone());
            }
            if let Some(url) = &settings.endpoint_url {
                builder = builder.endpoint_url(url);
            }
            let client = Client::from_conf(builder.build());
            let endpoint = configured
                .unwrap_or_else(|| format!("https://cloudhsmv2.{}.amazonaws.com", loaded.region));
            let ctx = loaded.context(
                endpoint,
                client.config().retry_config(),
                client.config().timeout_config(),
            );
            Ok::<_, AwsError>((client, ctx))
        })?;
        Ok(Self {
            runtime: std::sync::Arc::new(runtime),
            client,
            ctx,
        })
    }

    fn block_on<F: Future>(&self, future: F) -> Result<(F::Output, Duration), CloudHsmError> {
        reject_async_caller("CloudHsm")?;
        let started = Instant::now();
        let output = self.runtime.block_on(future);
        Ok((output, started.elapsed()))
    }

    fn map_error<E>(
        &self,
        error: SdkError<E, HttpResponse>,
        operation: &'static str,
        target: &str,
        elapsed: Duration,
    ) -> CloudHsmError
    where
        E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    {
        let target = target.to_string();
        let endpoint = self.ctx.endpoint.clone();
        match sort_sdk_error(&error, elapsed, &self.ctx) {
            Sorted::Service { code, message, .. } => match code.as_str() {
                "CloudHsmAccessDeniedException" | "AccessDeniedException" => {
                    CloudHsmError::AccessDenied {
                        operation,
                        target,
                        message,
                    }
                }
                "CloudHsmResourceNotFoundException" if target.starts_with("cluster-") => {
                    CloudHsmError::ClusterNotFound {
                        operation,
                        cluster: target,
                        region: self.ctx.region.clone(),
                    }
                }
                _ => CloudHsmError::Refused {
                    operation,
                    target,
                    code,
                    message,
                },
            },
            Sorted::NoCredentials { detail } => CloudHsmError::Aws(AwsError::NoCredentials {
                operation,
                target,
                sources: self.ctx.credential_sources.clone(),
                detail,
            }),
            Sorted::Timeout { which, limit } => CloudHsmError::Timeout {
                operation,
                target,
                endpoint,
                which: format!("{which:?}").to_lowercase(),
                seconds: limit.as_secs_f64(),
            },
            Sorted::Unreachable { detail } => CloudHsmError::Unreachable {
                operation,
                target,
                endpoint,
                detail,
            },
            Sorted::UnexpectedResponse { detail, .. } | Sorted::Request { detail } => {
                CloudHsmError::UnexpectedResponse {
                    operation,
                    target,
                    endpoint,
                    detail,
                }
            }
        }
    }

    /// DescribeClusters for one cluster.
    pub fn cluster(&self, id: &str) -> Result<ClusterInfo, CloudHsmError> {
        const OP: &str = "DescribeClusters";
        let (out, elapsed) = self.block_on(
            self.client
                .describe_clusters()
                .filters("clusterIds", vec![id.to_string()])
                .send(),
        )?;
        let out = out.map_err(|e| self.map_error(e, OP, id, elapsed))?;
        let Some(c) = out.clusters().iter().find(|c| c.cluster_id() == Some(id)) else {
            return Err(CloudHsmError::ClusterNotFound {
                operation: OP,
                cluster: id.to_string(),
                region: self.ctx.region.clone(),
            });
        };
        Ok(cluster_info(id, c))
    }

    /// CreateHsm in `az`, at `ip` when given (the ENI IP of the HSM it
    /// replaces, so the client configuration stays valid).
    pub fn create_hsm(
        &self,
        cluster_id: &str,
        az: &str,
        ip: Option<&str>,
    ) -> Result<HsmInfo, CloudHsmError> {
        const OP: &str = "CreateHsm";
        let (out, elapsed) = self.block_on(
            self.client
                .create_hsm()
                .cluster_id(cluster_id)
                .availability_zone(az)
                .set_ip_address(ip.map(str::to_string))
                .send(),
        )?;
        let out = out.map_err(|e| self.map_error(e, OP, cluster_id, elapsed))?;
        let h = out.hsm().ok_or_else(|| CloudHsmError::UnexpectedResponse {
            operation: OP,
            target: cluster_id.to_string(),
            endpoint: self.ctx.endpoint.clone(),
            detail: "the answer has no Hsm".into(),
        })?;
        Ok(HsmInfo {
            id: h.hsm_id().to_string(),
            state: h
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            availability_zone: h.availability_zone().map(str::to_string),
            eni_ip: h.eni_ip().map(str::to_string),
            created: Some(SystemTime::now()),
        })
    }

    /// DeleteHsm by its ID.
    pub fn delete_hsm(&self, cluster_id: &str, hsm_id: &str) -> Result<(), CloudHsmError> {
        const OP: &str = "DeleteHsm";
        let (out, elapsed) = self.block_on(
            self.client
                .delete_hsm()
                .cluster_id(cluster_id)
                .hsm_id(hsm_id)
                .send(),
        )?;
        out.map_err(|e| self.map_error(e, OP, hsm_id, elapsed))?;
        Ok(())
    }

    /// ModifyBackupAttributes NeverExpires = true.
    pub fn keep_forever(&self, backup_id: &str) -> Result<BackupInfo, CloudHsmError> {
        const OP: &str = "ModifyBackupAttributes";
        let (out, elapsed) = self.block_on(
            self.client
                .modify_backup_attributes()
                .backup_id(backup_id)
                .never_expires(true)
                .send(),
        )?;
        let out = out.map_err(|e| self.map_error(e, OP, backup_id, elapsed))?;
        let b = out
            .backup()
            .ok_or_else(|| CloudHsmError::UnexpectedResponse {
                operation: OP,
                target: backup_id.to_string(),
                endpoint: self.ctx.endpoint.clone(),
                detail: "the answer has no Backup".into(),
            })?;
        Ok(backup_info(b))
    }

    /// The region this client calls.
    pub fn region(&self) -> &str {
        &self.ctx.region
    }

    /// DescribeBackups of one cluster, every page.
    pub fn backups(&self, cluster_id: &str) -> Result<Vec<BackupInfo>, CloudHsmError> {
        self.backups_by("clusterIds", cluster_id)
    }

    /// The copies in this region of the backup `source_id` of another
    /// region: CopyBackupToRegion answers without the copy's ID, and the
    /// `sourceBackupIds` filter is how AWS says to find it.
    pub fn copies_of(&self, source_id: &str) -> Result<Vec<BackupInfo>, CloudHsmError> {
        self.backups_by("sourceBackupIds", source_id)
    }

    /// CopyBackupToRegion: the copy starts CREATE_IN_PROGRESS in
    /// `destination`; the source's tags go with it.
    pub fn copy_backup(&self, backup_id: &str, destination: &str) -> Result<(), CloudHsmError> {
        const OP: &str = "CopyBackupToRegion";
        let (out, elapsed) = self.block_on(
            self.client
                .copy_backup_to_region()
                .backup_id(backup_id)
                .destination_region(destination)
                .send(),
        )?;
        out.map_err(|e| self.map_error(e, OP, backup_id, elapsed))?;
        Ok(())
    }

    /// CreateCluster from a backup of this region, with its HSM type and mode.
    pub fn create_cluster_from(
        &self,
        backup: &BackupInfo,
        subnets: &[String],
        tags: &[(String, String)],
    ) -> Result<ClusterInfo, CloudHsmError> {
        const OP: &str = "CreateCluster";
        let mut request = self
            .client
            .create_cluster()
            .source_backup_id(&backup.id)
            .set_subnet_ids(Some(subnets.to_vec()))
            .set_hsm_type(backup.hsm_type.clone())
            .set_mode(
                backup
                    .mode
                    .as_deref()
                    .map(aws_sdk_cloudhsmv2::types::ClusterMode::from),
            );
        for (k, v) in tags {
            request = request.tag_list(
                aws_sdk_cloudhsmv2::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| CloudHsmError::UnexpectedResponse {
                        operation: OP,
                        target: backup.id.clone(),
                        endpoint: self.ctx.endpoint.clone(),
                        detail: e.to_string(),
                    })?,
            );
        }
        let (out, elapsed) = self.block_on(request.send())?;
        let out = out.map_err(|e| self.map_error(e, OP, &backup.id, elapsed))?;
        let c = out
            .cluster()
            .ok_or_else(|| CloudHsmError::UnexpectedResponse {
                operation: OP,
                target: backup.id.clone(),
                endpoint: self.ctx.endpoint.clone(),
                detail: "the answer has no Cluster".into(),
            })?;
        let id = c.cluster_id().unwrap_or_default().to_string();
        Ok(cluster_info(&id, c))
    }

    /// DeleteCluster; it must have no HSM.
    pub fn delete_cluster(&self, cluster_id: &str) -> Result<(), CloudHsmError> {
        const OP: &str = "DeleteCluster";
        let (out, elapsed) =
            self.block_on(self.client.delete_cluster().cluster_id(cluster_id).send())?;
        out.map_err(|e| self.map_error(e, OP, cluster_id, elapsed))?;
        Ok(())
    }

    /// DeleteBackup: PENDING_DELETION, deleted for good seven days later.
    pub fn delete_backup(&self, backup_id: &str) -> Result<BackupInfo, CloudHsmError> {
        const OP: &str = "DeleteBackup";
        let (out, elapsed) =
            self.block_on(self.client.delete_backup().backup_id(backup_id).send())?;
        let out = out.map_err(|e| self.map_error(e, OP, backup_id, elapsed))?;
        let b = out
            .backup()
            .ok_or_else(|| CloudHsmError::UnexpectedResponse {
                operation: OP,
                target: backup_id.to_string(),
                endpoint: self.ctx.endpoint.clone(),
                detail: "the answer has no Backup".into(),
            })?;
        Ok(backup_info(b))
    }

    /// DescribeBackups with one filter, every page.
    fn backups_by(&self, filter: &str, value: &str) -> Result<Vec<BackupInfo>, CloudHsmError> {
        const OP: &str = "DescribeBackups";
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        // Bounded: 50 a page, and no cluster has thousands of backups.
        for _ in 0..100 {
            let (out, elapsed) = self.block_on(
                self.client
                    .describe_backups()
                    .filters(filter, vec![value.to_string()])
                    .sort_ascending(false)
                    .set_next_token(token.clone())
                    .send(),
            )?;
            let out = out.map_err(|e| self.map_error(e, OP, value, elapsed))?;
            all.extend(out.backups().iter().map(backup_info));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(hsms: &[&str]) -> ClusterInfo {
        ClusterInfo {
            id: "cluster-abcdefghijk".into(),
            state: "ACTIVE".into(),
            hsm_type: Some("hsm2m.medium".into()),
            mode: Some("FIPS".into()),
            retention: Some("DAYS 90".into()),
            hsms: hsms
                .iter()
                .map(|s| HsmInfo {
                    id: "hsm-abcdefghijk".into(),
                    state: s.to_string(),
                    availability_zone: Some("us-east-1a".into()),
                    eni_ip: Some("10.0.0.5".into()),
                    created: None,
                })
                .collect(),
            tags: Vec::new(),
            subnets: Vec::new(),
        }
    }

    fn backup(id: &str, state: &str, secs: u64, never: bool) -> BackupInfo {
        BackupInfo {
            id: id.into(),
            state: state.into(),
            cluster_id: Some("cluster-abcdefghijk".into()),
            created: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
            never_expires: never,
            source_region: None,
            source_backup: None,
            hsm_type: None,
            mode: None,
            delete_at: None,
        }
    }

    #[test]
    fn no_hsm_and_a_ready_backup_is_offline_held_by_the_newest_ready_backup() {
        let s = status(
            cluster(&[]),
            vec![
                backup("backup-old", "READY", 100, true),
                backup("backup-new", "READY", 300, true),
                backup("backup-making", "CREATE_IN_PROGRESS", 400, false),
            ],
            None,
        );
        assert_eq!(
            s.verdict_line(),
            "offline, key held by backup backup-new (never expires)"
        );
        assert_eq!(s.backups[0].id, "backup-making", "newest first");
    }

    #[test]
    fn a_backup_that_can_expire_is_said_to() {
        let s = status(
            cluster(&[]),
            vec![backup("backup-a", "READY", 1, false)],
            None,
        );
        assert!(
            s.verdict_line()
                .contains("EXPIRES under the cluster's retention policy (DAYS 90)")
        );
    }

    #[test]
    fn a_running_hsm_is_online_with_its_cost() {
        let s = status(cluster(&["ACTIVE"]), Vec::new(), Some(1.6));
        assert!(
            s.verdict_line()
                .starts_with("ONLINE: 1 HSM running, 1.60 per hour"),
            "{}",
            s.verdict_line()
        );
    }

    #[test]
    fn an_hsm_whose_creation_a_transcript_gives_shows_how_long_it_ran_and_its_cost() {
        let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600 + 5 * 60);
        let s = status(cluster(&["ACTIVE"]), Vec::new(), Some(2.0))
            .with_created(&[("hsm-abcdefghijk".into(), two_hours_ago)]);
        let line = s.verdict_line();
        assert!(
            line.starts_with("ONLINE: 1 HSM running for 2 h 5 min, 4.17 so far and 2.00 per hour"),
            "{line}"
        );
    }

    #[test]
    fn no_hsm_and_no_ready_backup_is_said_plainly() {
        let s = status(
            cluster(&[]),
            vec![backup("backup-x", "PENDING_DELETION", 1, false)],
            None,
        );
        assert!(s.verdict_line().starts_with("NO BACKUP"));
    }
}
