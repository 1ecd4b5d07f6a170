//! `reactivate`: bring the root back for a session. One HSM is created in
//! the cluster (CloudHSM restores the newest backup onto it), waited for
//! until ACTIVE, the client configured, and the key labelled as the file
//! says is proven to be the root certificate's key by a signature over a
//! random challenge. An HSM the cluster has already is used instead.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use x509_cert::Certificate;

use super::Entry;
use super::deactivate::{CloudHsmSection, cluster_spec};
use crate::aws::AwsSettings;
use crate::ceremony::file::{
    AwsSection, HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, aws_settings,
    distinct, hsm_spec, output, read_issuer,
};
use crate::ceremony::steps::cloudhsm::{self, ClusterSpec};
use crate::ceremony::steps::token;
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step};

pub const ENTRY: Entry = Entry {
    name: "reactivate",
    load,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outputs {
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactivateFile {
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
    outputs: Outputs,
}

/// What bringing the root back needs, as `reactivate` and `session`
/// files give it: `[hsm]`, `[aws]`, `[cloudhsm]`, `[verify]`.
#[derive(Debug)]
pub struct Reactivation {
    pub hsm: HsmSpec,
    pub aws: AwsSettings,
    pub cluster: ClusterSpec,
    pub client_command: Option<Vec<String>>,
    pub key_label: String,
    pub certificate_path: PathBuf,
    pub certificate: Certificate,
    pub inputs: Vec<(PathBuf, String)>,
}

#[derive(Debug)]
pub struct ReactivateCeremony {
    pub back: Reactivation,
    pub transcript: PathBuf,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: ReactivateFile = src.parse()?;
    let back = reactivation(src, &f.hsm, f.aws, f.cloudhsm, f.verify, p);
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(&[("outputs.transcript", &transcript)], p);
    Ok(back.map(|back| Box::new(ReactivateCeremony { back, transcript }) as Box<dyn Kind>))
}

/// Reads and checks the sections that bring the root back.
pub(super) fn reactivation(
    src: &Source<'_>,
    hsm: &HsmSection,
    aws: Option<AwsSection>,
    section: CloudHsmSection,
    verify: IssuerSection,
    p: &mut Problems<'_>,
) -> Option<Reactivation> {
    let hsm = hsm_spec(hsm, src.dir, p);
    let aws = aws_settings(aws.unwrap_or_default(), p);
    let client_command = section.client_command.clone();
    if client_command.as_ref().is_some_and(|c| c.is_empty()) {
        p.add(
            "cloudhsm.client_command",
            "must name a program and its arguments, e.g. [\"sudo\", \"/opt/cloudhsm/bin/configure-pkcs11\", \"-a\", \"{ip}\", \"--disable-key-availability-check\"]",
        );
    }
    for arg in client_command.iter().flatten() {
        crate::ceremony::file::plain_text(arg, "cloudhsm.client_command", p);
    }
    let mut inputs = Vec::new();
    let mut section = section;
    if let Some(previous) = section.previous_deactivation.take() {
        let path = crate::ceremony::file::resolve(src.dir, &previous);
        match previous_hsm(&path, &section.cluster_id) {
            Ok((az, ip, sha)) => {
                section.availability_zone = section.availability_zone.or(az);
                section.ip_address = section.ip_address.or(ip);
                inputs.push((path, sha));
            }
            Err(problem) => p.add(
                "cloudhsm.previous_deactivation",
                format!("{}: {problem}", path.display()),
            ),
        }
    }
    let cluster = cluster_spec(section, p);
    let IssuerRead {
        label,
        path,
        file,
        certificate,
        ..
    } = read_issuer(verify, "verify", src.dir, IssuerUse::SignCertificates, p);
    inputs.push((path.clone(), crate::output::sha256_hex(&file?)));
    Some(Reactivation {
        hsm: hsm?,
        aws,
        cluster,
        client_command,
        key_label: label,
        inputs,
        certificate_path: path,
        certificate: certificate?,
    })
}

/// The Availability Zone and ENI IP of the HSM a deactivation of this
/// cluster deleted, from its transcript, which must verify; with the
/// transcript's SHA-256.
fn previous_hsm(
    path: &Path,
    cluster: &str,
) -> Result<(Option<String>, Option<String>, String), String> {
    crate::output::transcript::verify(path, None).map_err(|e| e.to_string())?;
    let entries = crate::output::transcript::read_journal(path).map_err(|e| e.to_string())?;
    let of_cluster = entries
        .first()
        .and_then(|e| e.details.get("file_content"))
        .and_then(|c| c.as_str())
        .is_some_and(|c| c.contains(cluster));
    if !of_cluster {
        return Err(format!(
            "is not the transcript of a deactivation of {cluster}"
        ));
    }
    let deleted = entries
        .iter()
        .rfind(|e| {
            e.event == cloudhsm::DELETE_HSMS_TITLE && e.status == crate::ceremony::resume::OK
        })
        .ok_or("is not the transcript of a deactivation that deleted HSMs")?;
    let hsm = &deleted.details["deleted"][0];
    let text_of = |k: &str| hsm.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let bytes = crate::input::read_bounded(path, crate::input::limit::DOCUMENT)
        .map_err(|e| format!("cannot be read: {e}"))?;
    Ok((
        text_of("availability_zone"),
        text_of("eni_ip"),
        crate::output::sha256_hex(&bytes),
    ))
}

impl Kind for ReactivateCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn inputs(&self) -> Vec<(PathBuf, String)> {
        self.back.inputs.clone()
    }

    // No `hsm()`: the token is there only once the HSM is ACTIVE; the
    // login step opens it.

    fn steps(&self) -> Vec<Step> {
        self.back.steps()
    }

    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let cluster = r.step(cloudhsm::CHECK_CLUSTER, || {
            cloudhsm::check_for_reactivation(&self.back.aws, &self.back.cluster)
        })?;
        self.back.bring_back(r, &cluster, &mut None)
    }
}

impl Reactivation {
    /// The steps that bring the root back and prove its key.
    pub fn steps(&self) -> Vec<Step> {
        vec![
            cloudhsm::check_for_reactivation_step(&self.cluster),
            cloudhsm::create_hsm_step(&self.cluster),
            cloudhsm::wait_active_step(&self.cluster),
            cloudhsm::configure_client_step(self.client_command.as_deref()),
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.key_label, &self.certificate_path),
            token::prove_key_step(),
            token::logout_step(),
        ]
    }

    /// The steps after the cluster was read: an HSM, the client, the key
    /// proven. `hsm` is set as soon as the session's HSM is known, so a
    /// caller that must take the root offline again on failure knows it.
    pub fn bring_back(
        &self,
        r: &mut Run<'_>,
        cluster: &cloudhsm::Cluster,
        hsm: &mut Option<cloudhsm::SessionHsm>,
    ) -> Result<(), CeremonyError> {
        let made = r.resuming(cloudhsm::CREATE_HSM, |earlier| {
            stop_if_interrupted()?;
            cloudhsm::create_hsm(cluster, &self.cluster, earlier)
        })?;
        let made = hsm.insert(made);
        let ip = r.step(cloudhsm::WAIT_ACTIVE, || {
            cloudhsm::wait_active(cluster, &self.cluster, made)
        })?;
        made.active_at = Some(std::time::SystemTime::now());
        r.step(cloudhsm::CONFIGURE_CLIENT, || {
            stop_if_interrupted()?;
            cloudhsm::configure_client(self.client_command.as_deref(), &ip)
        })?;
        let session = r.step(token::LOGIN, || {
            stop_if_interrupted()?;
            token::login(None, &self.hsm)
        })?;
        let key = r.step(token::FIND_ISSUER_KEY, || {
            token::find_issuer_key(
                &session,
                &self.key_label,
                &self.certificate,
                &self.certificate_path,
            )
        })?;
        r.step(token::PROVE_KEY, || {
            stop_if_interrupted()?;
            token::prove_key(&session, &key, &self.certificate)
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}

/// A step of a ceremony that ends its own way stops here on Ctrl-C.
pub(super) fn stop_if_interrupted() -> Result<(), crate::ceremony::StepError> {
    if crate::interrupt::requested() {
        Err(crate::ceremony::StepError::Interrupted)
    } else {
        Ok(())
    }
}
