//! What a drill learns as it goes (`Log`) and the report it writes from
//! it, in Markdown and JSON: every step's times, the resources and what
//! became of them, the fingerprints, the recovery time and the verdict.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;

use super::DrillCeremony;
use crate::aws::cloudhsm::BackupInfo;
use crate::ceremony::steps::Done;
use crate::ceremony::steps::cloudhsm::SessionHsm;
use crate::ceremony::{Change, StepError};
use crate::output::Staged;

/// One step as the report shows it.
#[derive(Serialize, Clone)]
pub(super) struct StepTime {
    pub number: u32,
    pub title: String,
    #[serde(serialize_with = "rfc3339")]
    pub started: SystemTime,
    #[serde(serialize_with = "rfc3339")]
    pub ended: SystemTime,
    pub seconds: f64,
    pub outcome: String,
}

pub(super) fn rfc3339_text(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn rfc3339<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_text(*t))
}

/// A resource the drill made, and what became of it.
#[derive(Serialize, Clone)]
pub(super) struct Resource {
    kind: &'static str,
    id: String,
    region: String,
    /// `made`, `deleted`, `PENDING_DELETION until ...`, `kept (keep = true)`, `left: why`.
    fate: String,
    /// The command that removes it, for what is left.
    remove_with: Option<String>,
}

impl Resource {
    pub fn new(
        kind: &'static str,
        id: String,
        region: &str,
        fate: &str,
        remove_with: Option<String>,
    ) -> Self {
        Self {
            kind,
            id,
            region: region.to_string(),
            fate: fate.to_string(),
            remove_with,
        }
    }
}

/// What the drill learnt, step by step, for the report.
#[derive(Default)]
pub(super) struct Log {
    pub steps: Vec<StepTime>,
    pub backup: Option<BackupInfo>,
    /// CopyBackupToRegion was answered.
    pub copy_asked: bool,
    pub copy: Option<BackupInfo>,
    pub cluster: Option<String>,
    /// The copies of the backup the drill region had before this drill's.
    pub copies_before: Vec<String>,
    pub hsm: Option<SessionHsm>,
    pub eni_ip: Option<String>,
    pub key_proven_at: Option<SystemTime>,
    pub resources: Vec<Resource>,
    pub source_before: Option<serde_json::Value>,
    pub source_unchanged: Option<Result<(), String>>,
    pub failure: Option<String>,
}

impl Log {
    pub fn resource(&mut self, r: Resource) {
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

pub(super) fn report_line(log: &Log) -> String {
    format!(
        "the root key was proven in the drill region{}",
        log.hsm
            .as_ref()
            .map(|h| format!(" on HSM {}", h.id))
            .unwrap_or_default()
    )
}

/// The drill report, as both files hold it.
#[derive(Serialize)]
pub(super) struct Report {
    pub verdict: String,
    pub reasons: Vec<String>,
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
    pub fn new(d: &DrillCeremony, log: &Log, started: SystemTime) -> Self {
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

    pub fn write(&self, d: &DrillCeremony) -> Result<Done<()>, StepError> {
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
