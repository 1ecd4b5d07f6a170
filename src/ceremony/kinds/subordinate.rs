//! `subordinate`: sign the CSR of an AWS Private CA subordinate CA with the
//! root key, with the extensions and name constraints the ceremony file
//! dictates, optionally fetching the CSR from and importing the result into
//! Private CA.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::time::Validity;

use super::Entry;
use crate::aws::AwsSettings;
use crate::ceremony::file::{
    AwsSection, HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, aws_settings,
    ca_path_len, distinct, ecosystem, hsm_spec, inside_issuer, matter_id, output, plain_text,
    policies, read_input, read_issuer, resolve, signature, time_text, urls, validity,
};
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::private_ca::{self, CaExpectations, CheckedCa};
use crate::ceremony::steps::token;
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step, StepError};
use crate::output::sha256_hex;
use crate::profile::csr::Csr;
use crate::profile::ecosystem::Ecosystem;
use crate::profile::ecosystem::file_rules::{self, SubordinateValues};
use crate::profile::name_constraints::{NameConstraintLists, NameConstraints};
use crate::profile::pca_import::{Signed, preflight};
use crate::profile::subordinate::SubordinateTemplate;

pub const ENTRY: Entry = Entry {
    name: "subordinate",
    load,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrSection {
    file: Option<PathBuf>,
    private_ca_arn: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NameConstraintsSection {
    #[serde(default)]
    permitted_dns: Vec<String>,
    #[serde(default)]
    excluded_dns: Vec<String>,
    #[serde(default)]
    permitted_ip: Vec<String>,
    #[serde(default)]
    excluded_ip: Vec<String>,
    #[serde(default)]
    permitted_email: Vec<String>,
    #[serde(default)]
    excluded_email: Vec<String>,
    #[serde(default)]
    permitted_uri: Vec<String>,
    #[serde(default)]
    excluded_uri: Vec<String>,
    #[serde(default)]
    permitted_dn: Vec<String>,
    #[serde(default)]
    excluded_dn: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubordinateCertificateSection {
    not_before: toml::Value,
    not_after: toml::Value,
    signature: String,
    path_len: Option<i64>,
    #[serde(default)]
    digital_signature: bool,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    aia_ca_issuers: Vec<String>,
    #[serde(default)]
    policies: Vec<String>,
    name_constraints: Option<NameConstraintsSection>,
    /// pkix (default) or matter-pai.
    profile: Option<String>,
    vendor_id: Option<toml::Value>,
    product_id: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportSection {
    private_ca_arn: String,
    #[serde(default)]
    replace: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubordinateOutputs {
    certificate: PathBuf,
    chain: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubordinateFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    issuer: IssuerSection,
    csr: CsrSection,
    certificate: SubordinateCertificateSection,
    import: Option<ImportSection>,
    aws: Option<AwsSection>,
    outputs: SubordinateOutputs,
}

/// `subordinate`: sign a subordinate CA's CSR with the root key.
#[derive(Debug, Clone)]
pub struct SubordinateCeremony {
    pub hsm: HsmSpec,
    pub issuer_label: String,
    pub issuer_path: PathBuf,
    /// The issuer certificate file as read, hashed into the transcript.
    pub issuer_file: Vec<u8>,
    pub issuer: Certificate,
    pub csr: CsrSource,
    /// Install the signed certificate in AWS Private CA.
    pub import: Option<ImportSpec>,
    pub aws: AwsSettings,
    /// The certificate, but for the subject the CSR gives.
    pub template: SubordinateTemplate,
    pub certificate: PathBuf,
    pub chain: PathBuf,
    pub transcript: PathBuf,
}

/// Where the subordinate's CSR comes from.
#[derive(Debug, Clone)]
pub enum CsrSource {
    /// Read and checked when the ceremony file is validated.
    File {
        path: PathBuf,
        bytes: Vec<u8>,
        csr: Box<Csr>,
        /// What the CSR asks for that the certificate will not carry.
        ignored: Vec<String>,
    },
    /// Fetched with GetCertificateAuthorityCsr during the ceremony's
    /// first step, and checked then, before anyone logs in to the HSM.
    PrivateCa { arn: String },
}

#[derive(Debug, Clone)]
pub struct ImportSpec {
    pub arn: String,
    /// Replace the certificate of a CA that is already ACTIVE.
    pub replace: bool,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: SubordinateFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let body = subordinate_body(
        f.issuer,
        f.csr,
        f.certificate,
        (f.import, f.aws.unwrap_or_default()),
        f.outputs,
        (src.dir, src.text),
        p,
    );
    Ok((|| {
        let (issuer_label, issuer_path, issuer_file, issuer, csr, import, aws, template, outputs) =
            body?;
        Some(Box::new(SubordinateCeremony {
            hsm: hsm?,
            issuer_label,
            issuer_path,
            issuer_file,
            issuer,
            csr,
            import,
            aws,
            template,
            certificate: outputs.0,
            chain: outputs.1,
            transcript: outputs.2,
        }) as Box<dyn Kind>)
    })())
}

type Body = (
    String,
    PathBuf,
    Vec<u8>,
    Certificate,
    CsrSource,
    Option<ImportSpec>,
    AwsSettings,
    SubordinateTemplate,
    (PathBuf, PathBuf, PathBuf),
);

fn subordinate_body(
    issuer: IssuerSection,
    csr: CsrSection,
    c: SubordinateCertificateSection,
    (import, aws): (Option<ImportSection>, AwsSection),
    o: SubordinateOutputs,
    (dir, text): (&Path, &str),
    p: &mut Problems,
) -> Option<Body> {
    let aws = aws_settings(aws, p);
    let import = import.map(|i| {
        check_arn(&i.private_ca_arn, "import.private_ca_arn", p);
        ImportSpec {
            arn: i.private_ca_arn,
            replace: i.replace,
        }
    });
    let IssuerRead {
        label: issuer_label,
        path: issuer_path,
        file: issuer_file,
        certificate: issuer_cert,
        facts: issuer_facts,
    } = read_issuer(issuer, "issuer", dir, IssuerUse::SignCertificates, p);

    let csr = match (csr.file, csr.private_ca_arn) {
        (Some(f), None) => {
            let path = resolve(dir, &f);
            read_input(&path, "csr.file", p).and_then(|bytes| match Csr::parse(&bytes) {
                Ok(parsed) => Some(CsrSource::File {
                    ignored: ignored_by_csr(&bytes),
                    path,
                    bytes,
                    csr: Box::new(parsed),
                }),
                Err(e) => {
                    p.add("csr.file", format!("{} {e}", path.display()));
                    None
                }
            })
        }
        (None, Some(arn)) => {
            check_arn(&arn, "csr.private_ca_arn", p);
            if let Some(i) = &import
                && i.arn != arn
            {
                p.add("import.private_ca_arn", "must be the CA whose CSR is signed (csr.private_ca_arn): Private CA installs only a certificate for the key in its own CSR");
            }
            Some(CsrSource::PrivateCa { arn })
        }
        _ => {
            p.add(
                "csr",
                "give exactly one of file = \"path\" or private_ca_arn = \"arn:...\"",
            );
            None
        }
    };
    let (nb_text, na_text) = (time_text(&c.not_before), time_text(&c.not_after));
    let (not_before, not_after) = validity(&nb_text, &na_text, p);
    if let Some(cert) = &issuer_cert {
        inside_issuer(
            (not_before.as_ref(), &nb_text),
            (not_after.as_ref(), &na_text),
            cert,
            p,
        );
        if let Some(CsrSource::File { csr, .. }) = &csr {
            for problem in csr.problems_with(cert) {
                p.add("csr.file", problem);
            }
        }
    }
    let signature = signature(
        &c.signature,
        "certificate.signature",
        issuer_facts.as_ref().map(|f| (f.algorithm, "the issuer's")),
        p,
    );
    let path_len = ca_path_len(
        c.path_len,
        "is required for a subordinate: 0 lets it issue only end-entity certificates, which is what Private CA's issuing CAs need",
        issuer_facts.as_ref(),
        p,
    );
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let ca_issuers = urls(&c.aia_ca_issuers, "certificate.aia_ca_issuers", p);
    let policies = policies(&c.policies, "certificate.policies", p);
    let nc = c.name_constraints.unwrap_or_default();
    for (list, entries) in [
        ("permitted_dns", &nc.permitted_dns),
        ("excluded_dns", &nc.excluded_dns),
        ("permitted_ip", &nc.permitted_ip),
        ("excluded_ip", &nc.excluded_ip),
        ("permitted_email", &nc.permitted_email),
        ("excluded_email", &nc.excluded_email),
        ("permitted_uri", &nc.permitted_uri),
        ("excluded_uri", &nc.excluded_uri),
        ("permitted_dn", &nc.permitted_dn),
        ("excluded_dn", &nc.excluded_dn),
    ] {
        for (i, entry) in entries.iter().enumerate() {
            plain_text(
                entry,
                &format!("certificate.name_constraints.{list} entry {}", i + 1),
                p,
            );
        }
    }
    let lists = NameConstraintLists {
        permitted_dns: nc.permitted_dns,
        excluded_dns: nc.excluded_dns,
        permitted_ip: nc.permitted_ip,
        excluded_ip: nc.excluded_ip,
        permitted_email: nc.permitted_email,
        excluded_email: nc.excluded_email,
        permitted_uri: nc.permitted_uri,
        excluded_uri: nc.excluded_uri,
        permitted_dn: nc.permitted_dn,
        excluded_dn: nc.excluded_dn,
    };
    let name_constraints = match NameConstraints::from_lists(&lists) {
        Ok(nc) => Some((!nc.is_empty()).then_some(nc)),
        Err(e) => {
            p.add("certificate.name_constraints", e);
            None
        }
    };
    let profile = ecosystem(c.profile.as_deref(), p);
    let vendor_id = matter_id(c.vendor_id.as_ref(), "certificate.vendor_id", text, p);
    let product_id = matter_id(c.product_id.as_ref(), "certificate.product_id", text, p);
    if let Some(profile) = profile {
        let values = SubordinateValues {
            profile,
            signature,
            issuer: issuer_cert.as_ref(),
            path_len: c.path_len.map(|n| u8::try_from(n).ok()),
            name_constraints: matches!(&name_constraints, Some(Some(_))),
            vendor_id: vendor_id.flatten(),
            product_id: product_id.flatten(),
            csr: match &csr {
                Some(CsrSource::File { csr, .. }) => Some((&csr.subject, &csr.key)),
                _ => None,
            },
        };
        for (field, problem) in file_rules::subordinate(&values) {
            p.add(field, problem);
        }
    }
    let certificate = output(dir, &o.certificate, "outputs.certificate", p);
    let chain = output(dir, &o.chain, "outputs.chain", p);
    let transcript = output(dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.certificate", &certificate),
            ("outputs.chain", &chain),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    let facts = issuer_facts?;
    let issuer = issuer_cert?;
    let tbs = issuer.tbs_certificate();
    let template = SubordinateTemplate {
        issuer: tbs.subject().clone(),
        issuer_validity: *tbs.validity(),
        issuer_key_id: facts.key_id,
        validity: Validity::new(not_before?, not_after?),
        signature: signature?,
        path_len: path_len?,
        digital_signature: c.digital_signature,
        crl_urls,
        ca_issuers,
        policies,
        name_constraints: name_constraints?,
        ecosystem: profile?,
        issuer_certificate: Some(issuer.clone()),
        vendor_id: vendor_id?,
        product_id: product_id?,
    };
    Some((
        issuer_label,
        issuer_path,
        issuer_file?,
        issuer,
        csr?,
        import,
        aws,
        template,
        (certificate, chain, transcript),
    ))
}

/// An ARN of a Private CA certificate authority, in form only.
fn check_arn(arn: &str, field: &str, p: &mut Problems) {
    plain_text(arn, field, p);
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "acm-pca"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("certificate-authority/")
            .is_some_and(|id| !id.is_empty());
    if !ok {
        p.add(field, format!("\"{arn}\" is not a Private CA ARN such as arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"));
    }
}

/// What a CSR asks for besides its subject and key, for the officer to see
/// being left out.
pub fn ignored_by_csr(bytes: &[u8]) -> Vec<String> {
    let Ok(report) = crate::inspect::inspect(bytes) else {
        return vec![];
    };
    let crate::inspect::Details::Request(r) = report.details else {
        return vec![];
    };
    let mut ignored: Vec<String> = r
        .requested_extensions
        .iter()
        .map(|e| {
            format!(
                "requested extension {}{}: {}",
                e.name,
                if e.critical { " [critical]" } else { "" },
                e.lines.join("; ")
            )
        })
        .collect();
    ignored.extend(
        r.other_attributes
            .iter()
            .map(|a| format!("attribute {}: {}", a.name, a.values.join("; "))),
    );
    ignored
}

impl SubordinateCeremony {
    /// For a Matter PAI: what the CSR breaks of the profile (its key, its
    /// Vendor and Product ID against the file's), as a refusal.
    fn matter_pai_refusal(&self, csr: &Csr) -> Result<(), StepError> {
        let (Ecosystem::MatterPai, Some(vid)) = (self.template.ecosystem, self.template.vendor_id)
        else {
            return Ok(());
        };
        let problems =
            file_rules::pai_csr_problems(&csr.subject, &csr.key, vid, self.template.product_id);
        if problems.is_empty() {
            return Ok(());
        }
        Err(StepError::Refused(format!(
            "matter-pai: {}",
            problems.join("; ")
        )))
    }

    /// The CA the ceremony talks to, if any: the one whose CSR it fetches
    /// or the one it imports into (the same one when it does both).
    fn private_ca_arn(&self) -> Option<&str> {
        match (&self.csr, &self.import) {
            (CsrSource::PrivateCa { arn }, _) => Some(arn),
            (_, Some(i)) => Some(&i.arn),
            _ => None,
        }
    }

    fn expectations<'a>(&'a self, arn: &'a str) -> CaExpectations<'a> {
        CaExpectations {
            arn,
            csr_from_file: match &self.csr {
                CsrSource::File { csr, .. } => Some(csr),
                CsrSource::PrivateCa { .. } => None,
            },
            issuer: &self.issuer,
            import_replace: self.import.as_ref().map(|i| i.replace),
            signed_before: None,
        }
    }

    fn prepare_lines(&self) -> Vec<String> {
        let mut lines = match &self.csr {
            CsrSource::File { csr, .. } => vec![
                format!("subject (from the CSR): {}", csr.subject),
                format!("public key (from the CSR): {}", csr.key),
            ],
            CsrSource::PrivateCa { .. } => vec![
                "subject and public key: from the CSR fetched at step 1, nothing else of it".into(),
            ],
        };
        lines.extend(self.template.plan_lines());
        if let CsrSource::File { ignored, .. } = &self.csr {
            if ignored.is_empty() {
                lines.push("the CSR asks for nothing beyond its subject and key".into());
            } else {
                lines.push(
                    "ignored from the CSR (the ceremony file decides the extensions):".into(),
                );
                lines.extend(ignored.iter().map(|l| format!("  {l}")));
            }
        }
        if self.import.is_some() {
            lines.push(
                "the lint certificate also passes Private CA's import rules (P1 to P7)".into(),
            );
        }
        lines
    }

    /// What the officer does with the written files should a later step
    /// fail: install them by hand once the cause is fixed.
    fn if_written_but_not_installed(&self) -> String {
        match &self.import {
            Some(i) => format!(
                "the certificate {} and chain {} are written but not installed in {}: once the cause is fixed, \
                 install them with `rootca pca import {} --certificate {} --chain {}`",
                self.certificate.display(),
                self.chain.display(),
                i.arn,
                i.arn,
                self.certificate.display(),
                self.chain.display()
            ),
            None => format!(
                "the certificate {} and chain {} are written and complete",
                self.certificate.display(),
                self.chain.display()
            ),
        }
    }
}

impl Kind for SubordinateCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn hsm(&self) -> Option<&HsmSpec> {
        Some(&self.hsm)
    }

    fn inputs(&self) -> Vec<(PathBuf, String)> {
        let mut inputs = vec![(self.issuer_path.clone(), sha256_hex(&self.issuer_file))];
        if let CsrSource::File { path, bytes, .. } = &self.csr {
            inputs.push((path.clone(), sha256_hex(bytes)));
        }
        inputs
    }

    fn name_constraints(&self) -> Option<Option<&NameConstraints>> {
        Some(self.template.name_constraints.as_ref())
    }

    fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        if let Some(arn) = self.private_ca_arn() {
            let mut check = private_ca::check_step(&self.expectations(arn));
            if let (Ecosystem::MatterPai, Some(vid)) =
                (self.template.ecosystem, self.template.vendor_id)
            {
                check.details.push(format!(
                    "matter-pai: the CSR's key must be EC P-256 and its subject must carry Vendor ID {vid:04X}{}",
                    self.template
                        .product_id
                        .map(|pid| format!(" and Product ID {pid:04X}"))
                        .unwrap_or_default()
                ));
            }
            steps.push(check);
        }
        steps.extend([
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.issuer_label, &self.issuer_path),
            token::draw_serial_step(),
            certificate::prepare_step("subordinate", self.prepare_lines()),
            certificate::sign_step("subordinate", "root key", "under the issuer certificate's key")
                .witness("Confirm the subject, validity and name constraints printed at the previous step match the ceremony sheet."),
            certificate::write_step(
                "Write the certificate and the chain",
                &[
                    ("certificate (PEM)", &self.certificate),
                    ("chain for Private CA (PEM, the issuer certificate)", &self.chain),
                ],
            ),
            token::logout_step(),
        ]);
        if let Some(i) = &self.import {
            steps.push(private_ca::import_step(&i.arn));
        }
        steps
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        // Everything Private CA could refuse is learnt before anyone logs in to the HSM (the runner has only read the token's description for the first entry).
        let checked: Option<CheckedCa> = match self.private_ca_arn() {
            Some(arn) => {
                // On a resume after the signing, the CA may already be
                // ACTIVE with the very certificate this ceremony signed.
                let signed_before = match r.earlier(certificate::SIGN) {
                    Earlier::Done(d) => d
                        .get("certificate_sha256")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    _ => None,
                };
                Some(r.step(private_ca::CHECK_CA, || {
                    let ca = private_ca::check(
                        &self.aws,
                        &CaExpectations {
                            signed_before,
                            ..self.expectations(arn)
                        },
                    )?;
                    // A file's CSR was judged at `check`; Private CA's is judged here.
                    self.matter_pai_refusal(&ca.value.csr)?;
                    Ok(ca)
                })?)
            }
            None => None,
        };
        let csr: &Csr = match (&self.csr, &checked) {
            (CsrSource::File { csr, .. }, _) => csr,
            (CsrSource::PrivateCa { .. }, Some(ca)) => &ca.csr,
            (CsrSource::PrivateCa { .. }, None) => {
                return Err(CeremonyError::OutOfPlan {
                    ran: token::LOGIN,
                    planned: "the Private CA check first".into(),
                });
            }
        };
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        let key = r.step(token::FIND_ISSUER_KEY, || {
            token::find_issuer_key(
                &session,
                &self.issuer_label,
                &self.issuer,
                &self.issuer_path,
            )
        })?;
        let serial = r.resuming(token::DRAW_SERIAL, |earlier| {
            token::draw_serial(&session, earlier)
        })?;
        let profile = self.template.for_subject(csr.subject.clone());
        let prepared = r.step(certificate::PREPARE, || {
            let mut done = certificate::prepare(&profile, &serial, &csr.public_key, &key)?;
            if self.import.is_some() {
                preflight(
                    &done.value.lint_certificate,
                    std::slice::from_ref(&self.issuer),
                    &csr.public_key,
                    Signed::ByLintKey,
                )
                .map_err(|e| StepError::Refused(e.to_string()))?;
            }
            if let Some(nc) = &self.template.name_constraints {
                let at = done.say.len() - 1;
                let mut lines = vec!["name constraints:".to_string()];
                lines.extend(nc.describe().into_iter().map(|l| format!("  {l}")));
                done.say.splice(at..at, lines);
            }
            Ok(done)
        })?;
        let cert = r.resuming(certificate::SIGN, |earlier| {
            certificate::sign(&session, &key, prepared, earlier)
        })?;
        r.resuming(certificate::WRITE, |_| {
            // The chain is what Private CA takes as CertificateChain: the issuer.
            let files = vec![
                Artifact {
                    path: self.certificate.clone(),
                    bytes: certificate::certificate_pem(&cert)?,
                },
                Artifact {
                    path: self.chain.clone(),
                    bytes: certificate::certificate_pem(&self.issuer)?,
                },
            ];
            certificate::write(files, Some(&cert), self.if_written_but_not_installed())
        })?;
        r.step(token::LOGOUT, || token::logout(session))?;
        if let (Some(i), Some(ca)) = (&self.import, &checked) {
            r.resuming(private_ca::IMPORT, |_| {
                private_ca::import(
                    ca,
                    &i.arn,
                    &cert,
                    std::slice::from_ref(&self.issuer),
                    &csr.public_key,
                    i.replace,
                )
            })?;
        }
        Ok(())
    }
}
