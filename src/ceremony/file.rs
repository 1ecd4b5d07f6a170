//! Ceremony files: strict TOML mirrored by plain structs, then validated
//! completely into a `Ceremony` before anything is opened. Each mistake
//! becomes one sentence naming the file, the field, its line and what
//! would be accepted.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_cert::name::Name;
use x509_cert::time::{Time, Validity};

use super::{
    Body, Ceremony, CeremonyError, CsrSource, HsmSpec, ImportSpec, KeyCeremony, KeySpec,
    RootCeremony, SubordinateCeremony,
};
use crate::aws::AwsSettings;
use crate::hsm::PinSource;
use crate::output::{ensure_absent, sha256_hex};
use crate::profile::algorithm::{KeyAlgorithm, SignatureAlgorithm};
use crate::profile::checks::subject_problems;
use crate::profile::csr::Csr;
use crate::profile::document::read_certificate;
use crate::profile::name_constraints::{NameConstraintLists, NameConstraints};

pub const KINDS: &str =
    "root, key, subordinate (crl, deactivate, reactivate and dr-drill come in later versions)";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HsmSection {
    module: PathBuf,
    token: String,
    pin: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySection {
    label: String,
    algorithm: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootCertificateSection {
    subject: String,
    not_before: toml::Value,
    not_after: toml::Value,
    signature: String,
    path_len: Option<i64>,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    policies: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootOutputs {
    certificate: PathBuf,
    public_key: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyOutputs {
    public_key: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootFile {
    #[allow(dead_code)]
    ceremony: String,
    name: String,
    hsm: HsmSection,
    key: KeySection,
    certificate: RootCertificateSection,
    outputs: RootOutputs,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[allow(dead_code)]
    ceremony: String,
    name: String,
    hsm: HsmSection,
    key: KeySection,
    outputs: KeyOutputs,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerSection {
    key_label: String,
    certificate: PathBuf,
}

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportSection {
    private_ca_arn: String,
    #[serde(default)]
    replace: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AwsSection {
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
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
    name: String,
    hsm: HsmSection,
    issuer: IssuerSection,
    csr: CsrSection,
    certificate: SubordinateCertificateSection,
    import: Option<ImportSection>,
    aws: Option<AwsSection>,
    outputs: SubordinateOutputs,
}

/// Collects the problems of one file, each located by field and line.
struct Problems<'a> {
    text: &'a str,
    list: Vec<String>,
    /// False when only the plan's content matters (`rootca names`), not
    /// whether the ceremony could run now.
    outputs_must_be_absent: bool,
}

impl Problems<'_> {
    fn add(&mut self, field: &str, message: impl std::fmt::Display) {
        match line_of(self.text, field) {
            Some(line) => self.list.push(format!("{field} (line {line}): {message}")),
            None => self.list.push(format!("{field}: {message}")),
        }
    }
}

/// The line on which `section.key` is set, found by reading the text the
/// way a person would: the `[section]` header, then the key.
fn line_of(text: &str, field: &str) -> Option<usize> {
    let (section, key) = match field.rsplit_once('.') {
        Some((s, k)) => (s, k),
        None => ("", field),
    };
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        if current == section && k.trim() == key {
            return Some(i + 1);
        }
    }
    None
}

fn parse_strict<'de, T: Deserialize<'de>>(path: &Path, text: &'de str) -> Result<T, CeremonyError> {
    toml::from_str(text).map_err(|e| CeremonyError::Syntax {
        file: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads, parses and validates a ceremony file, as `check` and `run` do.
pub fn load(path: &Path) -> Result<Ceremony, CeremonyError> {
    load_with(path, true)
}

/// Validates everything but whether the outputs exist yet: for reading a
/// ceremony's content after it ran.
pub fn load_content(path: &Path) -> Result<Ceremony, CeremonyError> {
    load_with(path, false)
}

fn load_with(path: &Path, outputs_must_be_absent: bool) -> Result<Ceremony, CeremonyError> {
    let bytes = std::fs::read(path).map_err(|source| CeremonyError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| CeremonyError::Syntax {
        file: path.to_path_buf(),
        message: "the file is not UTF-8 text".into(),
    })?;
    let table: toml::Table = parse_strict(path, &text)?;
    let kind = match table.get("ceremony") {
        Some(toml::Value::String(k)) => k.clone(),
        Some(_) => {
            return Err(invalid(
                path,
                vec![format!("ceremony: must be a string, one of {KINDS}")],
            ));
        }
        None => {
            return Err(invalid(
                path,
                vec![format!(
                    "ceremony: missing; say which ceremony this is, one of {KINDS}"
                )],
            ));
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut p = Problems {
        text: &text,
        list: Vec::new(),
        outputs_must_be_absent,
    };
    let (name, hsm, body) = match kind.as_str() {
        "root" => {
            let f: RootFile = parse_strict(path, &text)?;
            let hsm = hsm_spec(&f.hsm, dir, &mut p);
            let key = key_spec(&f.key, &mut p);
            let body = root_body(f.certificate, f.outputs, key, dir, &mut p);
            (f.name, hsm, body.map(Body::Root))
        }
        "subordinate" => {
            let f: SubordinateFile = parse_strict(path, &text)?;
            let hsm = hsm_spec(&f.hsm, dir, &mut p);
            let body = subordinate_body(
                f.issuer,
                f.csr,
                f.certificate,
                (f.import, f.aws.unwrap_or_default()),
                f.outputs,
                dir,
                &mut p,
            );
            (f.name, hsm, body.map(|b| Body::Subordinate(Box::new(b))))
        }
        "key" => {
            let f: KeyFile = parse_strict(path, &text)?;
            let hsm = hsm_spec(&f.hsm, dir, &mut p);
            let key = key_spec(&f.key, &mut p);
            let public_key = output(dir, &f.outputs.public_key, "outputs.public_key", &mut p);
            let transcript = output(dir, &f.outputs.transcript, "outputs.transcript", &mut p);
            distinct(
                &[
                    ("outputs.public_key", &public_key),
                    ("outputs.transcript", &transcript),
                ],
                &mut p,
            );
            (
                f.name,
                hsm,
                key.map(|key| {
                    Body::Key(KeyCeremony {
                        key,
                        public_key,
                        transcript,
                    })
                }),
            )
        }
        other => {
            return Err(invalid(
                path,
                vec![format!(
                    "ceremony: \"{other}\" is not a ceremony this version runs; use one of {KINDS}"
                )],
            ));
        }
    };
    if name.trim().is_empty() {
        p.add(
            "name",
            "must not be empty: it names the ceremony in the transcript",
        );
    }
    match (hsm, body, p.list.is_empty()) {
        (Some(hsm), Some(body), true) => Ok(Ceremony {
            file: path.to_path_buf(),
            file_sha256: sha256_hex(&bytes),
            name,
            hsm,
            body,
        }),
        _ => Err(invalid(path, p.list)),
    }
}

fn invalid(file: &Path, problems: Vec<String>) -> CeremonyError {
    CeremonyError::Invalid {
        file: file.to_path_buf(),
        problems,
    }
}

fn resolve(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

fn output(dir: &Path, p: &Path, field: &str, problems: &mut Problems) -> PathBuf {
    let full = resolve(dir, p);
    if p.as_os_str().is_empty() {
        problems.add(field, "must name a file");
    } else if problems.outputs_must_be_absent && ensure_absent(&full).is_err() {
        problems.add(field, format!("{} already exists; rootca never overwrites a file, so move it away or name another", full.display()));
    } else if problems.outputs_must_be_absent && field == "outputs.transcript" {
        let journal = crate::output::transcript::journal_path(&full);
        if ensure_absent(&journal).is_err() {
            problems.add(field, format!(
                "{} is the journal of an interrupted ceremony; read it (rootca transcript verify), keep it with the ceremony records and move it away before running again",
                journal.display()
            ));
        }
    }
    full
}

fn hsm_spec(s: &HsmSection, dir: &Path, p: &mut Problems) -> Option<HsmSpec> {
    if s.token.trim().is_empty() {
        p.add(
            "hsm.token",
            "must be the token's label (slot numbers are never used)",
        );
    }
    let pin = match &s.pin {
        None => Some(PinSource::Prompt),
        Some(toml::Value::String(w)) if w == "prompt" => Some(PinSource::Prompt),
        Some(toml::Value::Table(t)) if t.len() == 1 => match t.iter().next() {
            Some((k, toml::Value::String(v))) if k == "file" => {
                Some(PinSource::File(resolve(dir, Path::new(v))))
            }
            Some((k, toml::Value::String(v))) if k == "env" => Some(PinSource::Env(v.clone())),
            _ => None,
        },
        _ => None,
    };
    if pin.is_none() {
        p.add("hsm.pin", "accepted: \"prompt\" (the default), { file = \"path\" } or { env = \"NAME\" }; a PIN itself never goes into a ceremony file");
    }
    Some(HsmSpec {
        module: resolve(dir, &s.module),
        token: s.token.clone(),
        pin: pin?,
    })
}

fn key_spec(s: &KeySection, p: &mut Problems) -> Option<KeySpec> {
    if s.label.trim().is_empty() || s.label.chars().count() > 64 {
        p.add(
            "key.label",
            "must be 1 to 64 characters: the key is found by this label",
        );
    }
    let algorithm = KeyAlgorithm::from_str(&s.algorithm).ok();
    if algorithm.is_none() {
        p.add(
            "key.algorithm",
            format!(
                "\"{}\" is not one of {}",
                s.algorithm,
                KeyAlgorithm::ACCEPTED
            ),
        );
    }
    Some(KeySpec {
        label: s.label.clone(),
        algorithm: algorithm?,
    })
}

/// A time as the file gives it: an RFC 3339 string, or a TOML date-time
/// written without quotes.
fn time_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// certificate.not_before and not_after, each valid and in order.
fn validity(nb_text: &str, na_text: &str, p: &mut Problems) -> (Option<Time>, Option<Time>) {
    let not_before = parse_time(nb_text, "certificate.not_before", p);
    let not_after = parse_time(na_text, "certificate.not_after", p);
    if let (Some(nb), Some(na)) = (&not_before, &not_after) {
        if na.to_unix_duration() <= nb.to_unix_duration() {
            p.add(
                "certificate.not_after",
                format!("{na_text} is not after certificate.not_before {nb_text}"),
            );
        }
    }
    (not_before, not_after)
}

fn parse_time(value: &str, field: &str, p: &mut Problems) -> Option<Time> {
    let parsed = OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .filter(|t| t.offset().is_utc());
    let Some(t) = parsed else {
        p.add(
            field,
            format!("\"{value}\" is not an RFC 3339 time in UTC, such as 2026-12-01T00:00:00Z"),
        );
        return None;
    };
    let secs = u64::try_from(t.unix_timestamp()).ok();
    let time = secs.and_then(|s| {
        Time::try_from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s)).ok()
    });
    if time.is_none() {
        p.add(
            field,
            format!("{value} cannot be put in a certificate (before 1970 or after 9999)"),
        );
    }
    // Whole seconds only: certificates cannot carry fractions.
    if t.nanosecond() != 0 {
        p.add(
            field,
            format!("{value} has fractions of a second; certificates hold whole seconds"),
        );
    }
    time
}

fn root_body(
    c: RootCertificateSection,
    o: RootOutputs,
    key: Option<KeySpec>,
    dir: &Path,
    p: &mut Problems,
) -> Option<RootCeremony> {
    let subject = Name::from_str(&c.subject).ok().filter(|n| !n.is_empty());
    if subject.is_none() {
        p.add("certificate.subject", format!("\"{}\" is not an RFC 4514 name such as \"CN=Example Root CA G1,O=Example Corp,C=US\"", c.subject));
    }
    for problem in subject.as_ref().map(subject_problems).unwrap_or_default() {
        p.add("certificate.subject", problem);
    }
    let (nb_text, na_text) = (time_text(&c.not_before), time_text(&c.not_after));
    let (not_before, not_after) = validity(&nb_text, &na_text, p);
    let signature = signature(
        &c.signature,
        key.as_ref().map(|k| (k.algorithm, "a key.algorithm =")),
        p,
    );
    let path_len = path_len(c.path_len, "certificate.path_len", p);
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let policies = policies(&c.policies, "certificate.policies", p);
    let certificate = output(dir, &o.certificate, "outputs.certificate", p);
    let public_key = output(dir, &o.public_key, "outputs.public_key", p);
    let transcript = output(dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.certificate", &certificate),
            ("outputs.public_key", &public_key),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Some(RootCeremony {
        key: key?,
        subject_text: c.subject,
        subject: subject?,
        validity: Validity::new(not_before?, not_after?),
        signature: signature?,
        path_len: path_len?,
        crl_urls,
        policies,
        certificate,
        public_key,
        transcript,
    })
}

fn subordinate_body(
    issuer: IssuerSection,
    csr: CsrSection,
    c: SubordinateCertificateSection,
    (import, aws): (Option<ImportSection>, AwsSection),
    o: SubordinateOutputs,
    dir: &Path,
    p: &mut Problems,
) -> Option<SubordinateCeremony> {
    if issuer.key_label.trim().is_empty() {
        p.add(
            "issuer.key_label",
            "must be the label of the root key in the HSM",
        );
    }
    let import = import.map(|i| {
        check_arn(&i.private_ca_arn, "import.private_ca_arn", p);
        ImportSpec {
            arn: i.private_ca_arn,
            replace: i.replace,
        }
    });
    if let Some(url) = &aws.endpoint_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            p.add(
                "aws.endpoint_url",
                format!("\"{url}\" is not an http:// or https:// URL"),
            );
        }
    }
    let aws = AwsSettings {
        region: aws.region,
        profile: aws.profile,
        endpoint_url: aws.endpoint_url,
    };
    let issuer_path = resolve(dir, &issuer.certificate);
    let issuer_file = read_input(&issuer_path, "issuer.certificate", p);
    let issuer_cert = issuer_file
        .as_ref()
        .and_then(|bytes| match read_certificate(bytes) {
            Ok((cert, _)) => Some(cert),
            Err(e) => {
                p.add(
                    "issuer.certificate",
                    format!("{} {e}", issuer_path.display()),
                );
                None
            }
        });
    let issuer_facts = issuer_cert
        .as_ref()
        .and_then(|cert| issuer_facts(cert, &issuer_path, p));

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
            if let Some(i) = &import {
                if i.arn != arn {
                    p.add("import.private_ca_arn", "must be the CA whose CSR is signed (csr.private_ca_arn): Private CA installs only a certificate for the key in its own CSR");
                }
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
        let v = cert.tbs_certificate().validity();
        if let Some(na) = &not_after {
            if na.to_unix_duration() > v.not_after.to_unix_duration() {
                p.add(
                    "certificate.not_after",
                    format!(
                        "{} is later than the issuer's notAfter; the latest allowed is {}",
                        na_text, v.not_after
                    ),
                );
            }
        }
        if let Some(nb) = &not_before {
            if nb.to_unix_duration() < v.not_before.to_unix_duration() {
                p.add(
                    "certificate.not_before",
                    format!(
                        "{} is earlier than the issuer's notBefore; the earliest allowed is {}",
                        nb_text, v.not_before
                    ),
                );
            }
        }
        if let Some(CsrSource::File { csr, .. }) = &csr {
            for problem in csr.problems_with(cert) {
                p.add("csr.file", problem);
            }
        }
    }
    let signature = signature(
        &c.signature,
        issuer_facts.as_ref().map(|f| (f.algorithm, "the issuer's")),
        p,
    );
    let path_len = match path_len(c.path_len, "certificate.path_len", p) {
        Some(Some(n)) => Some(n),
        Some(None) => {
            p.add("certificate.path_len", "is required for a subordinate: 0 lets it issue only end-entity certificates, which is what Private CA's issuing CAs need");
            None
        }
        None => None,
    };
    if let (Some(n), Some(f)) = (path_len, &issuer_facts) {
        match f.path_len {
            Some(0) => p.add(
                "issuer.certificate",
                "the issuer's pathLen is 0: it cannot sign CA certificates",
            ),
            Some(limit) if n >= limit => p.add(
                "certificate.path_len",
                format!(
                    "{n} must be below the issuer's pathLen {limit} (at most {})",
                    limit - 1
                ),
            ),
            _ => {}
        }
    }
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let ca_issuers = urls(&c.aia_ca_issuers, "certificate.aia_ca_issuers", p);
    let policies = policies(&c.policies, "certificate.policies", p);
    let nc = c.name_constraints.unwrap_or_default();
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
    Some(SubordinateCeremony {
        issuer_label: issuer.key_label,
        issuer_path,
        issuer_file: issuer_file?,
        issuer: issuer_cert?,
        issuer_key_algorithm: facts.algorithm,
        issuer_key_id: facts.key_id,
        csr: csr?,
        import,
        aws,
        validity: Validity::new(not_before?, not_after?),
        signature: signature?,
        path_len: path_len?,
        digital_signature: c.digital_signature,
        crl_urls,
        ca_issuers,
        policies,
        name_constraints: name_constraints?,
        certificate,
        chain,
        transcript,
    })
}

fn read_input(path: &Path, field: &str, p: &mut Problems) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            p.add(field, format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

struct IssuerFacts {
    algorithm: KeyAlgorithm,
    key_id: Vec<u8>,
    path_len: Option<u8>,
}

/// What the ceremony needs of the issuer certificate, refusing one that
/// cannot sign CA certificates.
fn issuer_facts(
    cert: &x509_cert::Certificate,
    path: &Path,
    p: &mut Problems,
) -> Option<IssuerFacts> {
    use der::referenced::OwnedToRef;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
    let tbs = cert.tbs_certificate();
    let shown = path.display();
    let bc = tbs
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .map(|(_, bc)| bc);
    let Some(bc) = bc.filter(|bc| bc.ca) else {
        p.add(
            "issuer.certificate",
            format!("{shown} is not a CA certificate (no basicConstraints CA:TRUE)"),
        );
        return None;
    };
    if let Ok(Some((_, ku))) = tbs.get_extension::<KeyUsage>() {
        if !ku.0.contains(KeyUsages::KeyCertSign) {
            p.add(
                "issuer.certificate",
                format!("{shown} may not sign certificates (keyUsage lacks keyCertSign)"),
            );
        }
    }
    let algorithm = match KeyAlgorithm::of_public_key(tbs.subject_public_key_info()) {
        Ok(a) => a,
        Err(e) => {
            p.add(
                "issuer.certificate",
                format!("{shown} has a key rootca cannot sign with: {e}"),
            );
            return None;
        }
    };
    // The subordinate's authorityKeyIdentifier must match the issuer's
    // subjectKeyIdentifier as written, however it was computed.
    let key_id = match tbs.get_extension::<SubjectKeyIdentifier>() {
        Ok(Some((_, ski))) => ski.0.as_bytes().to_vec(),
        _ => match crate::profile::extensions::key_identifier(
            tbs.subject_public_key_info().owned_to_ref(),
        ) {
            Ok(id) => id,
            Err(e) => {
                p.add("issuer.certificate", format!("{shown}: {e}"));
                return None;
            }
        },
    };
    Some(IssuerFacts {
        algorithm,
        key_id,
        path_len: bc.path_len_constraint,
    })
}

/// An ARN of a Private CA certificate authority, in form only.
fn check_arn(arn: &str, field: &str, p: &mut Problems) {
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
pub(super) fn ignored_by_csr(bytes: &[u8]) -> Vec<String> {
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

/// certificate.signature: a known algorithm, of the signing key's family.
fn signature(
    name: &str,
    key: Option<(KeyAlgorithm, &str)>,
    p: &mut Problems,
) -> Option<SignatureAlgorithm> {
    let Ok(alg) = SignatureAlgorithm::from_str(name) else {
        p.add(
            "certificate.signature",
            format!("\"{name}\" is not one of {}", SignatureAlgorithm::ACCEPTED),
        );
        return None;
    };
    if let Some((key, whose)) = key {
        if alg.family() != key.family() {
            p.add(
                "certificate.signature",
                format!(
                    "{alg} cannot be made with {whose} \"{key}\" key; use {}",
                    matching_signatures(key)
                ),
            );
        }
    }
    Some(alg)
}

fn matching_signatures(alg: KeyAlgorithm) -> String {
    SignatureAlgorithm::ACCEPTED
        .split(", ")
        .filter(|n| {
            n.parse::<SignatureAlgorithm>()
                .is_ok_and(|s| s.family() == alg.family())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn path_len(v: Option<i64>, field: &str, p: &mut Problems) -> Option<Option<u8>> {
    match v {
        None => Some(None),
        Some(n) => match u8::try_from(n) {
            Ok(n) if n <= 10 => Some(Some(n)),
            _ => {
                p.add(
                    field,
                    format!("{n} is not a path length from 0 to 10 (leave it out for no limit)"),
                );
                None
            }
        },
    }
}

/// The first entry that appears twice in a list.
fn repeated<T: PartialEq>(list: &[T]) -> Option<&T> {
    list.iter()
        .enumerate()
        .find(|(i, x)| list[..*i].contains(x))
        .map(|(_, x)| x)
}

fn urls(list: &[String], field: &str, p: &mut Problems) -> Vec<String> {
    if let Some(u) = repeated(list) {
        p.add(field, format!("\"{u}\" is listed twice"));
    }
    for u in list {
        let ok =
            (u.starts_with("http://") || u.starts_with("https://") || u.starts_with("ldap://"))
                && u.is_ascii()
                && !u.contains(char::is_whitespace);
        if !ok {
            p.add(
                field,
                format!("\"{u}\" is not an http://, https:// or ldap:// URL in ASCII"),
            );
        }
    }
    list.to_vec()
}

fn policies(list: &[String], field: &str, p: &mut Problems) -> Vec<ObjectIdentifier> {
    if let Some(oid) = repeated(list) {
        p.add(field, format!("\"{oid}\" is listed twice"));
    }
    list.iter()
        .filter_map(|s| match ObjectIdentifier::new(s) {
            Ok(oid) => Some(oid),
            Err(_) => {
                p.add(
                    field,
                    format!("\"{s}\" is not a dotted OID such as 2.23.140.1.2.1"),
                );
                None
            }
        })
        .collect()
}

fn distinct(outputs: &[(&str, &PathBuf)], p: &mut Problems) {
    for (i, (field, path)) in outputs.iter().enumerate() {
        if outputs[..i].iter().any(|(_, other)| other == path) {
            p.add(
                field,
                format!("{} is named twice among the outputs", path.display()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn line_of_finds_a_key_in_its_section() {
        let text = "ceremony = \"root\"\n[key]\nlabel = \"a\"\n[certificate]\nlabel = \"b\"\n";
        assert_eq!(line_of(text, "certificate.label"), Some(5));
        assert_eq!(line_of(text, "key.label"), Some(3));
        assert_eq!(line_of(text, "ceremony"), Some(1));
    }
}
