//! Ceremony files: strict TOML mirrored by plain structs, then validated
//! completely into a `Ceremony` before anything is opened. Each mistake
//! becomes one sentence naming the file, the field, its line and what
//! would be accepted. This file holds what every ceremony kind shares;
//! each kind's module in `kinds/` holds its own sections.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_cert::time::Time;

use super::kinds::{self, REGISTRY};
use super::resume::Interrupted;
use super::{Ceremony, CeremonyError, KeySpec};
use crate::input::{limit, read_bounded};
use crate::output::{ensure_absent, paths, sha256_hex};
use crate::profile::algorithm::{KeyAlgorithm, SignatureAlgorithm};

mod hsm;
mod issuer;

pub(super) use hsm::{HsmSection, hsm_spec, pin_source};
pub(super) use issuer::{
    IssuerRead, IssuerSection, IssuerUse, ca_path_len, inside_issuer, read_issuer,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KeySection {
    label: String,
    algorithm: String,
    /// Certify a key made earlier (by a `key` ceremony) instead of generating one.
    #[serde(default)]
    existing: bool,
    /// Generate the key extractable only under a trusted wrapping key, so
    /// that `export-key` can move it to another HSM.
    #[serde(default)]
    portable: bool,
}

/// The file being read, for a kind's loader.
pub(super) struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// The file's folder: relative paths are relative to it.
    pub dir: &'a Path,
}

impl Source<'_> {
    /// Parses the whole file into a kind's file struct.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, CeremonyError> {
        parse_strict(self.path, self.text)
    }
}

/// Collects the problems of one file, each located by field and line.
pub(super) struct Problems<'a> {
    text: &'a str,
    list: Vec<String>,
    /// False when only the plan's content matters (`rootca names`), not
    /// whether the ceremony could run now.
    outputs_must_be_absent: bool,
    /// Every output the kind names, as resolved: where leftovers are looked for.
    outputs: Vec<PathBuf>,
    /// Outputs that exist already, by field: a problem, unless an
    /// interrupted ceremony's journal is there to account for them.
    existing: Vec<(String, PathBuf)>,
}

impl Problems<'_> {
    /// One sentence per mistake; whatever of the file it quotes is shown
    /// escaped, so a value cannot add lines of its own.
    pub fn add(&mut self, field: &str, message: impl std::fmt::Display) {
        let message = crate::text::shown(&message.to_string());
        let field = crate::text::shown(field);
        let field = field.as_str();
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

pub(super) fn parse_strict<'de, T: Deserialize<'de>>(
    path: &Path,
    text: &'de str,
) -> Result<T, CeremonyError> {
    toml::from_str(text).map_err(|e| CeremonyError::Syntax {
        file: path.to_path_buf(),
        message: syntax_message(text, &e),
    })
}

/// A parse error without the source line it is in: the line may hold a
/// PIN written where none belongs (`pin = secret`), and a message is seen
/// by everyone in the room. Inside `[hsm]` even the values the parser
/// quotes are left out.
fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', "; ");
    let Some(span) = e.span() else {
        return format!("not valid TOML: {message}");
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    let in_hsm = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .is_some_and(|header| header.trim_matches(|c| c == '[' || c == ']').trim() == "hsm");
    let message = if in_hsm {
        redact_quoted(&message)
    } else {
        message
    };
    format!(
        "line {line}, column {column}: {message} (the line itself is not shown: it may hold a secret)"
    )
}

/// Replaces what a message quotes between backticks by an ellipsis.
fn redact_quoted(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        out.push_str(if i % 2 == 1 { "`…`" } else { part });
    }
    out
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
    let bytes = read_bounded(path, limit::CEREMONY_FILE).map_err(|source| CeremonyError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| CeremonyError::Syntax {
        file: path.to_path_buf(),
        message: "the file is not UTF-8 text".into(),
    })?;
    let table: toml::Table = parse_strict(path, &text)?;
    let accepted = kinds::names();
    let kind = match table.get("ceremony") {
        Some(toml::Value::String(k)) => k.clone(),
        Some(_) => {
            return Err(invalid(
                path,
                vec![format!("ceremony: must be a string, one of {accepted}")],
            ));
        }
        None => {
            return Err(invalid(
                path,
                vec![format!(
                    "ceremony: missing; say which ceremony this is, one of {accepted}"
                )],
            ));
        }
    };
    let Some(entry) = REGISTRY.iter().find(|k| k.name == kind) else {
        return Err(invalid(
            path,
            vec![format!(
                "ceremony: \"{kind}\" is not a ceremony this version runs; use one of {accepted}"
            )],
        ));
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut p = Problems {
        text: &text,
        list: Vec::new(),
        outputs_must_be_absent,
        outputs: Vec::new(),
        existing: Vec::new(),
    };
    let source = Source {
        path,
        text: &text,
        dir,
    };
    let body = (entry.load)(&source, &mut p)?;
    // Every kind's file struct has `name`, so strict parsing has passed it.
    let name = match table.get("name") {
        Some(toml::Value::String(n)) => n.clone(),
        _ => String::new(),
    };
    if name.trim().is_empty() {
        p.add(
            "name",
            "must not be empty: it names the ceremony in the transcript",
        );
    }
    plain_text(&name, "name", &mut p);
    let confirm_by = confirm_by(table.get("confirm_by"), &mut p);
    let file_sha256 = sha256_hex(&bytes);
    let mut interrupted = None;
    let mut leftovers_found = Vec::new();
    if let Some(kind) = body.as_ref().filter(|_| outputs_must_be_absent) {
        let journal = crate::output::transcript::journal_path(kind.transcript());
        if journal.symlink_metadata().is_ok() {
            match Interrupted::read(&journal) {
                Ok(i) => {
                    if let Some(then) = i.file_sha256().filter(|then| *then != file_sha256) {
                        p.add("outputs.transcript", format!(
                            "{} is the journal of an interrupted run of another version of this file (SHA-256 {then} then, {file_sha256} now): a ceremony resumes only from the file it began with; restore that file, or close the journal with rootca run FILE --abandon using it",
                            journal.display()
                        ));
                    }
                    interrupted = Some(i);
                }
                Err(e) => p.add("outputs.transcript", format!(
                    "{} is the journal of an interrupted ceremony but cannot be resumed: {e}; keep it with the ceremony records and move it away before running again",
                    journal.display()
                )),
            }
        }
        leftovers_found = crate::output::leftover_copies(&p.outputs);
        if interrupted.is_none() {
            for (field, path) in std::mem::take(&mut p.existing) {
                p.add(&field, format!("{} already exists; rootca never overwrites a file, so move it away or name another", path.display()));
            }
            for l in &leftovers_found {
                p.add("outputs", format!("{} is a temporary copy left by a rootca run that was killed while writing, and no journal is there to resume it: remove it", l.display()));
            }
        }
    }
    match (body, p.list.is_empty()) {
        (Some(kind), true) => Ok(Ceremony {
            file: path.to_path_buf(),
            file_sha256,
            file_text: text.clone(),
            name,
            kind,
            confirm_by,
            interrupted,
            existing: p.existing.into_iter().map(|(_, path)| path).collect(),
            leftovers: leftovers_found,
        }),
        _ => Err(invalid(path, p.list)),
    }
}

/// `confirm_by = N`: how many named officers confirm each irreversible step.
fn confirm_by(value: Option<&toml::Value>, p: &mut Problems) -> u32 {
    match value {
        None => 1,
        Some(toml::Value::Integer(n)) if (1..=4).contains(n) => *n as u32,
        Some(_) => {
            p.add("confirm_by", "must be the number of officers who each confirm every irreversible step, 1 to 4 (2 for two-person control)");
            1
        }
    }
}

fn invalid(file: &Path, problems: Vec<String>) -> CeremonyError {
    CeremonyError::Invalid {
        file: file.to_path_buf(),
        problems,
    }
}

/// Text the witnesses will read: refused if it holds a character that
/// changes how it looks (a newline, a terminal escape, a bidirectional
/// override, NUL), named by its code point.
pub(super) fn plain_text(value: &str, field: &str, p: &mut Problems) {
    if let Some(c) = crate::text::deceptive_char(value) {
        p.add(
            field,
            format!(
                "contains {c}: it would change what the officers and witnesses read; remove it"
            ),
        );
    }
}

pub(super) fn resolve(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

pub(super) fn output(dir: &Path, p: &Path, field: &str, problems: &mut Problems) -> PathBuf {
    let full = resolve(dir, p);
    if p.as_os_str().is_empty() {
        problems.add(field, "must name a file");
        return full;
    }
    match paths::resolved(&full) {
        Err(e) => problems.add(field, format!("{}: {e}", full.display())),
        Ok(real) if problems.outputs_must_be_absent => {
            problems.outputs.push(full.clone());
            if let Some(link) = paths::symlink_in(dir, p) {
                problems.add(field, format!("{} is a symbolic link; rootca writes outputs only through real folders and never through a link, which could point anywhere: name the real path", link.display()));
            } else if ensure_absent(&full).is_err() {
                if field == "outputs.transcript" {
                    problems.add(field, format!("{} already exists: it is the transcript of a ceremony that ended; rootca never overwrites a file, so move it away or name another", full.display()));
                } else {
                    problems.existing.push((field.to_string(), full.clone()));
                }
            } else if let Err(e) = paths::probe_writable(&real) {
                problems.add(field, format!("{}: {e}", full.display()));
            }
        }
        Ok(_) => {}
    }
    full
}

pub(super) fn key_spec(s: &KeySection, p: &mut Problems) -> Option<KeySpec> {
    plain_text(&s.label, "key.label", p);
    // CKA_LABEL is a byte string: the limit is in bytes of UTF-8.
    if s.label.trim().is_empty() || s.label.len() > 64 {
        p.add(
            "key.label",
            format!(
                "must be 1 to 64 bytes of UTF-8 (this one is {}): the key is found by this label",
                s.label.len()
            ),
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
    if s.existing && s.portable {
        p.add(
            "key.portable",
            "portability is decided when a key is generated: an existing key is found as it was made (leave portable out)",
        );
    }
    Some(KeySpec {
        label: s.label.clone(),
        algorithm: algorithm?,
        existing: s.existing,
        portable: s.portable,
    })
}

/// A time as the file gives it: an RFC 3339 string, or a TOML date-time
/// written without quotes.
pub(super) fn time_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// certificate.not_before and not_after, each valid and in order.
pub(super) fn validity(
    nb_text: &str,
    na_text: &str,
    p: &mut Problems,
) -> (Option<Time>, Option<Time>) {
    let not_before = parse_time(nb_text, "certificate.not_before", p);
    let not_after = parse_time(na_text, "certificate.not_after", p);
    if let (Some(nb), Some(na)) = (&not_before, &not_after)
        && na.to_unix_duration() <= nb.to_unix_duration()
    {
        p.add(
            "certificate.not_after",
            format!("{na_text} is not after certificate.not_before {nb_text}"),
        );
    }
    (not_before, not_after)
}

pub(super) fn parse_time(value: &str, field: &str, p: &mut Problems) -> Option<Time> {
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

pub(super) fn read_input(path: &Path, field: &str, p: &mut Problems) -> Option<Vec<u8>> {
    read_input_up_to(path, field, limit::CERTIFICATE, p)
}

/// `read_input` for a kind of input that may be larger than a certificate.
pub(super) fn read_input_up_to(
    path: &Path,
    field: &str,
    limit: u64,
    p: &mut Problems,
) -> Option<Vec<u8>> {
    match read_bounded(path, limit) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            p.add(field, format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

/// A `signature` field (`field` names it: certificate.signature,
/// crl.signature, csr.signature): a known algorithm, of the signing key's
/// family.
pub(super) fn signature(
    name: &str,
    field: &str,
    key: Option<(KeyAlgorithm, &str)>,
    p: &mut Problems,
) -> Option<SignatureAlgorithm> {
    let Ok(alg) = SignatureAlgorithm::from_str(name) else {
        p.add(
            field,
            format!("\"{name}\" is not one of {}", SignatureAlgorithm::ACCEPTED),
        );
        return None;
    };
    if let Some((key, whose)) = key
        && alg.family() != key.family()
    {
        p.add(
            field,
            format!(
                "{alg} cannot be made with {whose} \"{key}\" key; use {}",
                matching_signatures(key)
            ),
        );
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

pub(super) fn path_len(v: Option<i64>, field: &str, p: &mut Problems) -> Option<Option<u8>> {
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

pub(super) fn urls(list: &[String], field: &str, p: &mut Problems) -> Vec<String> {
    if let Some(u) = repeated(list) {
        p.add(field, format!("\"{u}\" is listed twice"));
    }
    for u in list {
        let ok =
            (u.starts_with("http://") || u.starts_with("https://") || u.starts_with("ldap://"))
                && u.is_ascii()
                && !u.contains(char::is_whitespace)
                && crate::text::deceptive_char(u).is_none();
        if !ok {
            p.add(
                field,
                format!(
                    "\"{}\" is not an http://, https:// or ldap:// URL in printable ASCII",
                    u.escape_debug()
                ),
            );
        }
    }
    list.to_vec()
}

pub(super) fn policies(list: &[String], field: &str, p: &mut Problems) -> Vec<ObjectIdentifier> {
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

/// No two outputs may be one file, however they are spelt, nor may an
/// output be the transcript's journal (`outputs.transcript` + `.partial`).
pub(super) fn distinct(outputs: &[(&str, &PathBuf)], p: &mut Problems) {
    let journal = outputs
        .iter()
        .find(|(field, _)| *field == "outputs.transcript")
        .and_then(|(_, t)| paths::resolved(&crate::output::transcript::journal_path(t)).ok());
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for (field, path) in outputs {
        let Ok(real) = paths::resolved(path) else {
            continue; // already reported by `output`
        };
        if journal.as_ref() == Some(&real) {
            p.add(
                field,
                format!(
                    "{} is the transcript's journal, which rootca writes while the ceremony runs: name another file",
                    path.display()
                ),
            );
        } else if let Some((other, _)) = seen.iter().find(|(_, r)| *r == real) {
            p.add(
                field,
                format!(
                    "{} is the same file as {other} ({})",
                    path.display(),
                    real.display()
                ),
            );
        }
        seen.push((field, real));
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

/// `[aws]`: where the AWS calls of a ceremony go.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct AwsSection {
    pub(super) region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
}

pub(super) fn aws_settings(aws: AwsSection, p: &mut Problems) -> crate::aws::AwsSettings {
    for (field, value) in [
        ("aws.region", &aws.region),
        ("aws.profile", &aws.profile),
        ("aws.endpoint_url", &aws.endpoint_url),
    ] {
        if let Some(v) = value {
            plain_text(v, field, p);
        }
    }
    if let Some(url) = &aws.endpoint_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        p.add(
            "aws.endpoint_url",
            format!("\"{url}\" is not an http:// or https:// URL"),
        );
    }
    crate::aws::AwsSettings {
        region: aws.region,
        profile: aws.profile,
        endpoint_url: aws.endpoint_url,
    }
}

/// `certificate.profile`: pkix when absent.
pub(super) fn ecosystem(
    value: Option<&str>,
    p: &mut Problems,
) -> Option<crate::profile::ecosystem::Ecosystem> {
    use crate::profile::ecosystem::Ecosystem;
    match value {
        None => Some(Ecosystem::Pkix),
        Some(v) => match v.parse::<Ecosystem>() {
            Ok(e) => Some(e),
            Err(e) => {
                p.add("certificate.profile", e);
                None
            }
        },
    }
}

/// `issuer_alt_name = ["mailto:...", "https://..."]`.
pub(super) fn alt_names(
    list: &[String],
    field: &str,
    p: &mut Problems,
) -> Option<Vec<crate::profile::extensions::AltName>> {
    use crate::profile::extensions::AltName;
    if let Some(n) = repeated(list) {
        p.add(field, format!("\"{n}\" is listed twice"));
    }
    let mut names = Vec::new();
    let mut ok = true;
    for entry in list {
        match AltName::parse(entry) {
            Ok(n) => names.push(n),
            Err(e) => {
                p.add(field, e);
                ok = false;
            }
        }
    }
    ok.then_some(names)
}

/// `vendor_id = 0xFFF1`: a Matter id, written in upper case as it will
/// appear in the certificate. None when refused.
pub(super) fn matter_id(
    value: Option<&toml::Value>,
    field: &str,
    text: &str,
    p: &mut Problems,
) -> Option<Option<u16>> {
    let Some(value) = value else {
        return Some(None);
    };
    match crate::profile::ecosystem::file_rules::matter_id_value(value) {
        Ok(id) => {
            // TOML reads 0xfff1 as 0xFFF1; the officers read the file, and
            // Matter writes the id in upper case only.
            let written = line_of(text, field)
                .and_then(|l| text.lines().nth(l - 1))
                .and_then(|l| l.split_once('='))
                .map(|(_, v)| v.split('#').next().unwrap_or_default().trim().to_string())
                .unwrap_or_default();
            let digits = written.trim_start_matches("0x").trim_matches('"');
            if digits.bytes().any(|b| b.is_ascii_lowercase()) {
                p.add(
                    field,
                    format!(
                        "{written} is in lower case: write 0x{id:04X}, as the certificate carries it (Matter Core 6.2.2.3: four upper-case hexadecimal digits)"
                    ),
                );
                return None;
            }
            Some(Some(id))
        }
        Err(e) => {
            p.add(field, e);
            None
        }
    }
}
