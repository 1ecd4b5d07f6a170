//! `crl`: the root signs its CRL for its CA certificates (an ARL), carrying
//! over the previous CRL's entries, adding the newly revoked, numbering it
//! above the previous one.

use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};
use x509_cert::time::Time;

use super::Entry;
use crate::ceremony::file::{
    HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, distinct, hsm_spec, output,
    parse_time, plain_text, read_input, read_input_up_to, read_issuer, resolve, signature,
    time_text, urls,
};
use crate::ceremony::plan::Step;
use crate::ceremony::resume::Earlier;
use crate::ceremony::steps::Done;
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token::{self, KeyInUse, Session};
use crate::ceremony::{CeremonyError, Change, HsmSpec, Kind, Run, StepError};
use crate::output::{fingerprint_groups, sha256_hex};
use crate::profile::algorithm::SignatureAlgorithm;
use crate::profile::crl::{
    self as profile, CrlProfile, Reason, Revocation, serial_order, serial_text,
};
use crate::profile::document::{der_of, read_certificate};
use crate::profile::verify::{verify_certificate, verify_signature};

pub const ENTRY: Entry = Entry { name: "crl", load };

const PREPARE: &str = "prepare-crl";
const SIGN: &str = "sign-crl";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokedEntry {
    certificate: Option<PathBuf>,
    serial: Option<String>,
    date: toml::Value,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveEntry {
    serial: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrlSection {
    number: i64,
    previous: Option<PathBuf>,
    this_update: toml::Value,
    next_update: toml::Value,
    signature: String,
    distribution_point: Option<String>,
    #[serde(default)]
    revoked: Vec<RevokedEntry>,
    #[serde(default)]
    remove: Vec<RemoveEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrlOutputs {
    crl: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrlFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    issuer: IssuerSection,
    crl: CrlSection,
    outputs: CrlOutputs,
}

/// Where an entry of the new CRL comes from, for the plan and the transcript.
#[derive(Debug, Clone)]
pub enum Origin {
    CarriedOver,
    Certificate(PathBuf),
    Serial,
}

#[derive(Debug, Clone)]
pub struct Removal {
    pub serial: Vec<u8>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Previous {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub number: u64,
}

#[derive(Debug, Clone)]
pub struct CrlCeremony {
    pub hsm: HsmSpec,
    pub issuer_label: String,
    pub issuer_path: PathBuf,
    pub issuer_file: Vec<u8>,
    pub issuer: Certificate,
    pub profile: CrlProfile,
    /// Parallel to `profile.revoked`.
    pub origins: Vec<Origin>,
    pub removed: Vec<Removal>,
    pub previous: Option<Previous>,
    /// Certificate files named by `[[crl.revoked]]`, with their bytes.
    pub revoked_files: Vec<(PathBuf, Vec<u8>)>,
    pub crl: PathBuf,
    pub transcript: PathBuf,
}

/// A serial as the file writes it, `0x` and hex digits, as the content
/// octets of a positive INTEGER.
fn parse_serial(text: &str) -> Option<Vec<u8>> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits.to_string()
    };
    let mut bytes: Vec<u8> = hex::decode(padded).ok()?;
    while bytes.len() > 1 && bytes[0] == 0 && bytes[1] & 0x80 == 0 {
        bytes.remove(0);
    }
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    (bytes.iter().any(|b| *b != 0) && bytes.len() <= 20).then_some(bytes)
}

fn crl_number(crl: &CertificateList) -> Option<u64> {
    let ext = crl
        .tbs_cert_list
        .crl_extensions
        .as_deref()?
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_NUMBER)?;
    let n = CrlNumber::from_der(ext.extn_value.as_bytes()).ok()?;
    let bytes = n.0.as_bytes();
    (bytes.len() <= 8).then(|| bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// The previous CRL: read, from this issuer, signed by its key.
fn read_previous(
    path: &Path,
    issuer: &Certificate,
    p: &mut Problems<'_>,
) -> Option<(Previous, Vec<Revocation>, Time)> {
    let bytes = read_input_up_to(path, "crl.previous", crate::input::limit::DOCUMENT, p)?;
    let shown = path.display();
    let parsed = der_of(&bytes, &["X509 CRL"], "CRL")
        .ok()
        .and_then(|der| CertificateList::from_der(&der).ok());
    let Some(crl) = parsed else {
        p.add(
            "crl.previous",
            format!("{shown} is not a CRL (PEM X509 CRL or DER)"),
        );
        return None;
    };
    let tbs = &crl.tbs_cert_list;
    let root = issuer.tbs_certificate();
    if &tbs.issuer != root.subject() {
        p.add(
            "crl.previous",
            format!(
                "{shown} was issued by {}, not by the root {}",
                tbs.issuer,
                root.subject()
            ),
        );
        return None;
    }
    let verified = SignatureAlgorithm::from_identifier(&crl.signature_algorithm)
        .ok()
        .zip(tbs.to_der().ok())
        .is_some_and(|(alg, der)| {
            verify_signature(
                root.subject_public_key_info(),
                alg,
                &der,
                crl.signature.raw_bytes(),
            )
            .is_ok()
        });
    if !verified {
        p.add(
            "crl.previous",
            format!("{shown}: its signature does not verify under the root certificate's key"),
        );
        return None;
    }
    let Some(number) = crl_number(&crl) else {
        p.add("crl.previous", format!("{shown} has no readable cRLNumber"));
        return None;
    };
    let mut entries = Vec::new();
    for e in tbs.revoked_certificates.as_deref().unwrap_or_default() {
        let serial = e.serial_number.as_bytes().to_vec();
        let exts = e.crl_entry_extensions.as_deref().unwrap_or_default();
        let reason = match exts
            .iter()
            .find(|x| x.extn_id == const_oid::db::rfc5280::ID_CE_CRL_REASONS)
        {
            None => Some(Reason::Unspecified),
            Some(x) => CrlReason::from_der(x.extn_value.as_bytes())
                .ok()
                .and_then(Reason::from_code),
        };
        let Some(reason) = reason else {
            p.add(
                "crl.previous",
                format!(
                    "{shown}: entry {} has a reason code the root's CRL does not carry ({})",
                    serial_text(&serial),
                    Reason::ACCEPTED
                ),
            );
            continue;
        };
        entries.push(Revocation {
            serial,
            date: e.revocation_date,
            reason,
        });
    }
    Some((
        Previous {
            path: path.to_path_buf(),
            bytes,
            number,
        },
        entries,
        tbs.this_update,
    ))
}

/// A certificate named in `[[crl.revoked]]`: the root must have issued it.
fn revoked_certificate(
    path: &Path,
    field: &str,
    issuer: &Certificate,
    issuer_key_id: &[u8],
    p: &mut Problems<'_>,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let bytes = read_input(path, field, p)?;
    let shown = path.display();
    let Ok((cert, _)) = read_certificate(&bytes) else {
        p.add(field, format!("{shown} is not a certificate (PEM or DER)"));
        return None;
    };
    let tbs = cert.tbs_certificate();
    let root = issuer.tbs_certificate();
    let mut ok = true;
    if tbs.issuer() != root.subject() {
        p.add(
            field,
            format!(
                "{shown} was issued by {}, not by the root {}: the root's CRL lists only what the root issued",
                tbs.issuer(),
                root.subject()
            ),
        );
        ok = false;
    }
    let aki = tbs
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, aki)| aki.key_identifier.map(|k| k.as_bytes().to_vec()));
    if aki.as_deref() != Some(issuer_key_id) {
        p.add(
            field,
            format!(
                "{shown}: its authorityKeyIdentifier is {}, not the root's key identifier {}",
                aki.map_or("absent".into(), hex::encode),
                hex::encode(issuer_key_id)
            ),
        );
        ok = false;
    }
    if ok && verify_certificate(&cert, root.subject_public_key_info()).is_err() {
        p.add(
            field,
            format!("{shown}: its signature does not verify under the root certificate's key"),
        );
        ok = false;
    }
    ok.then(|| (tbs.serial_number().as_bytes().to_vec(), bytes))
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: CrlFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let IssuerRead {
        label: issuer_label,
        path: issuer_path,
        file: issuer_file,
        certificate: issuer,
        facts,
    } = read_issuer(f.issuer, "issuer", src.dir, IssuerUse::SignCrls, p);
    let c = f.crl;
    let signature = signature(
        &c.signature,
        "crl.signature",
        facts.as_ref().map(|f| (f.algorithm, "the issuer's")),
        p,
    );
    if c.number < 1 {
        p.add(
            "crl.number",
            format!("{} is not a CRL number: give 1 or more", c.number),
        );
    }
    let (tu_text, nu_text) = (time_text(&c.this_update), time_text(&c.next_update));
    let this_update = parse_time(&tu_text, "crl.this_update", p);
    let next_update = parse_time(&nu_text, "crl.next_update", p);
    if let (Some(tu), Some(nu)) = (&this_update, &next_update)
        && nu.to_unix_duration() <= tu.to_unix_duration()
    {
        p.add(
            "crl.next_update",
            format!("{nu_text} is not after crl.this_update {tu_text}"),
        );
    }
    if let (Some(cert), Some(nu)) = (&issuer, &next_update) {
        let v = cert.tbs_certificate().validity();
        if nu.to_unix_duration() > v.not_after.to_unix_duration() {
            p.add(
                "crl.next_update",
                format!(
                    "{nu_text} is after the root's notAfter {}: a CRL cannot promise an update the root will not be there to sign",
                    v.not_after
                ),
            );
        }
        if let Some(tu) = &this_update
            && tu.to_unix_duration() < v.not_before.to_unix_duration()
        {
            p.add(
                "crl.this_update",
                format!("{tu_text} is before the root's notBefore {}", v.not_before),
            );
        }
    }
    let distribution_point = c.distribution_point.inspect(|url| {
        urls(std::slice::from_ref(url), "crl.distribution_point", p);
    });
    // Under an mDL IACA, the IACA CRL profile: only authorityKeyIdentifier
    // and cRLNumber, and no CRL entry extensions.
    let mdl_iaca = issuer.as_ref().is_some_and(|cert| {
        crate::profile::ecosystem::check(crate::profile::ecosystem::Ecosystem::MdlIaca, cert, None)
            .is_empty()
    });
    if mdl_iaca && distribution_point.is_some() {
        p.add("crl.distribution_point", "mdl-iaca: the IACA CRL carries only authorityKeyIdentifier and cRLNumber (ISO/IEC 18013-5 Table B.10): leave distribution_point out");
    }

    // The previous CRL and what carries over from it.
    let mut entries: Vec<(Revocation, Origin)> = Vec::new();
    let mut previous = None;
    if let (Some(path), Some(cert)) = (&c.previous, &issuer) {
        let path = resolve(src.dir, path);
        if let Some((prev, carried, prev_this_update)) = read_previous(&path, cert, p) {
            if u64::try_from(c.number).is_ok_and(|n| n <= prev.number) {
                p.add(
                    "crl.number",
                    format!(
                        "{} must be greater than the previous CRL's number {} ({})",
                        c.number,
                        prev.number,
                        path.display()
                    ),
                );
            }
            if let Some(tu) = &this_update
                && tu.to_unix_duration() < prev_this_update.to_unix_duration()
            {
                p.add(
                    "crl.this_update",
                    format!("{tu_text} is before the previous CRL's thisUpdate {prev_this_update}"),
                );
            }
            entries.extend(carried.into_iter().map(|r| (r, Origin::CarriedOver)));
            previous = Some(prev);
        }
    } else if c.previous.is_none() && !c.remove.is_empty() {
        p.add(
            "crl.remove",
            "there is no previous CRL to remove entries from (crl.previous)",
        );
    }
    let mut removed = Vec::new();
    for (i, r) in c.remove.iter().enumerate() {
        let field = format!("crl.remove entry {}", i + 1);
        plain_text(&r.reason, &field, p);
        let Some(serial) = parse_serial(&r.serial) else {
            p.add(
                &field,
                format!("\"{}\" is not a serial such as \"0x4f2a\"", r.serial),
            );
            continue;
        };
        if r.reason.trim().is_empty() {
            p.add(
                &field,
                "give the reason for removing it: it goes into the transcript",
            );
        }
        let before = entries.len();
        entries.retain(|(e, _)| serial_order(&e.serial, &serial).is_ne());
        if previous.is_some() && entries.len() == before {
            p.add(
                &field,
                format!("{} is not on the previous CRL", serial_text(&serial)),
            );
        }
        removed.push(Removal {
            serial,
            reason: r.reason.clone(),
        });
    }

    // What carries over is signed again, so under an IACA it must fit the
    // IACA CRL profile too.
    if mdl_iaca {
        for (e, origin) in &entries {
            if matches!(origin, Origin::CarriedOver) && e.reason != Reason::Unspecified {
                p.add(
                    "crl.previous",
                    format!(
                        "mdl-iaca: entry {} carries reason \"{}\", a CRL entry extension the IACA CRL profile forbids (ISO/IEC 18013-5 Table B.10): drop it with [[crl.remove]] and list it again under [[crl.revoked]] with reason = \"unspecified\"",
                        serial_text(&e.serial),
                        e.reason.name()
                    ),
                );
            }
        }
    }

    // The newly revoked. `seen` maps each serial listed so far to whether
    // it carried over: one look-up per entry, not a scan.
    let mut seen: std::collections::HashMap<Vec<u8>, bool> = entries
        .iter()
        .map(|(e, _)| (e.serial.clone(), true))
        .collect();
    let mut revoked_files = Vec::new();
    for (i, r) in c.revoked.iter().enumerate() {
        let field = format!("crl.revoked entry {}", i + 1);
        let reason = Reason::parse(&r.reason);
        if mdl_iaca && reason.is_some_and(|r| r != Reason::Unspecified) {
            p.add(
                &field,
                format!("mdl-iaca: reason \"{}\" would be a CRL entry extension, which the IACA CRL profile forbids (ISO/IEC 18013-5 Table B.10): give reason = \"unspecified\"", r.reason.escape_debug()),
            );
        }
        if reason.is_none() {
            p.add(
                &field,
                format!(
                    "reason \"{}\" is not one of {}",
                    r.reason.escape_debug(),
                    Reason::ACCEPTED
                ),
            );
        }
        let date = parse_time(&time_text(&r.date), &format!("{field} date"), p);
        if let (Some(d), Some(tu)) = (&date, &this_update)
            && d.to_unix_duration() > tu.to_unix_duration()
        {
            p.add(&field, format!("its date is after crl.this_update {tu_text}: a CRL lists revocations up to its thisUpdate"));
        }
        let found = match (&r.certificate, &r.serial, &issuer, &facts) {
            (Some(cert_path), None, Some(cert), Some(fx)) => {
                let path = resolve(src.dir, cert_path);
                revoked_certificate(&path, &field, cert, &fx.key_id, p).map(|(serial, bytes)| {
                    revoked_files.push((path.clone(), bytes));
                    (serial, Origin::Certificate(path))
                })
            }
            (None, Some(text), _, _) => match parse_serial(text) {
                Some(s) => Some((s, Origin::Serial)),
                None => {
                    p.add(&field, format!("serial \"{}\" is not a serial such as \"0x4f2a\" (at most 20 octets, not zero)", text.escape_debug()));
                    None
                }
            },
            (Some(_), Some(_), _, _) | (None, None, _, _) => {
                p.add(
                    &field,
                    "give exactly one of certificate = \"path\" or serial = \"0x...\"",
                );
                None
            }
            // The issuer could not be read: already reported.
            (Some(_), None, _, _) => None,
        };
        if let (Some((serial, origin)), Some(date), Some(reason)) = (found, date, reason) {
            // Serials are minimal DER content octets: one integer, one spelling.
            if let Some(carried) = seen.get(&serial) {
                p.add(
                    &field,
                    if *carried {
                        format!(
                            "{} is already on the previous CRL and carries over",
                            serial_text(&serial)
                        )
                    } else {
                        format!("{} is listed twice", serial_text(&serial))
                    },
                );
                continue;
            }
            seen.insert(serial.clone(), false);
            entries.push((
                Revocation {
                    serial,
                    date,
                    reason,
                },
                origin,
            ));
        }
    }
    entries.sort_by(|a, b| serial_order(&a.0.serial, &b.0.serial));

    let crl = output(src.dir, &f.outputs.crl, "outputs.crl", p);
    let transcript = output(src.dir, &f.outputs.transcript, "outputs.transcript", p);
    distinct(
        &[("outputs.crl", &crl), ("outputs.transcript", &transcript)],
        p,
    );

    Ok((|| {
        let issuer = issuer?;
        let facts = facts?;
        let (revoked, origins): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
        let profile = CrlProfile {
            issuer: issuer.tbs_certificate().subject().clone(),
            issuer_key_id: facts.key_id,
            issuer_not_after: issuer.tbs_certificate().validity().not_after,
            number: u64::try_from(c.number).ok().filter(|n| *n > 0)?,
            this_update: this_update?,
            next_update: next_update?,
            signature: signature?,
            distribution_point,
            revoked,
            mdl_iaca,
        };
        Some(Box::new(CrlCeremony {
            hsm: hsm?,
            issuer_label,
            issuer_path,
            issuer_file: issuer_file?,
            issuer,
            profile,
            origins,
            removed,
            previous,
            revoked_files,
            crl,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

impl CrlCeremony {
    fn entry_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.previous {
            Some(prev) => lines.push(format!(
                "previous CRL: {} (number {}); its entries carry over unless removed",
                prev.path.display(),
                prev.number
            )),
            None => lines.push(
                "NO PREVIOUS CRL GIVEN: this CRL lists only the entries of this file. If the root has \
                 published a CRL before, its revocations are NOT carried over and those certificates \
                 become valid again to every relying party: stop and name it in crl.previous"
                    .into(),
            ),
        }
        lines.push(format!("revoked entries: {}", self.profile.revoked.len()));
        for (r, origin) in self.profile.revoked.iter().zip(&self.origins) {
            let from = match origin {
                Origin::CarriedOver => "carried over".to_string(),
                Origin::Certificate(p) => format!("added: certificate {}", p.display()),
                Origin::Serial => "added: by serial".to_string(),
            };
            lines.push(format!(
                "  {}  revoked {}  reason {}  ({from})",
                serial_text(&r.serial),
                r.date.to_date_time(),
                r.reason.name()
            ));
        }
        for r in &self.removed {
            lines.push(format!(
                "  removed: {} (reason: {})",
                serial_text(&r.serial),
                r.reason
            ));
        }
        lines
    }

    fn entries_json(&self) -> serde_json::Value {
        let (mut carried_over, mut added) = (Vec::new(), Vec::new());
        for (r, origin) in self.profile.revoked.iter().zip(&self.origins) {
            let entry = serde_json::json!({
                "serial": serial_text(&r.serial),
                "reason": r.reason.name(),
                "date": r.date.to_string(),
            });
            match origin {
                Origin::CarriedOver => carried_over.push(entry),
                Origin::Certificate(_) | Origin::Serial => added.push(entry),
            }
        }
        let removed: Vec<_> = self
            .removed
            .iter()
            .map(|r| serde_json::json!({ "serial": serial_text(&r.serial), "reason": r.reason }))
            .collect();
        serde_json::json!({
            "number": self.profile.number,
            "previous_number": self.previous.as_ref().map(|p| p.number),
            "carried_over": carried_over,
            "added": added,
            "removed": removed,
        })
    }
}

fn prepare(c: &CrlCeremony, key: &KeyInUse) -> Result<Done<Vec<u8>>, StepError> {
    let tbs = profile::prepare(&c.profile, key.key.algorithm)?;
    let mut details = c.entries_json();
    if let Some(obj) = details.as_object_mut() {
        obj.insert("tbs_sha256".into(), sha256_hex(&tbs).into());
    }
    Ok(Done::new(tbs)
        .say(vec![
            format!(
                "CRL number {} with {} entries, thisUpdate {}, nextUpdate {}",
                c.profile.number,
                c.profile.revoked.len(),
                c.profile.this_update.to_date_time(),
                c.profile.next_update.to_date_time()
            ),
            "the lint CRL passed every check (R1 to R12); the TBS for the HSM is byte-identical"
                .into(),
        ])
        .details(details))
}

fn sign(
    c: &CrlCeremony,
    session: &Session,
    key: &KeyInUse,
    tbs: Vec<u8>,
    earlier: Earlier,
) -> Result<Done<Vec<u8>>, StepError> {
    let der = match earlier {
        // Resumed after the signing: the CRL the journal recorded, once it
        // is shown to be of the TBS prepared now; never a second signature.
        Earlier::Done(details) => {
            let der = details
                .get("crl_der_hex")
                .and_then(|v| v.as_str())
                .and_then(|h| hex::decode(h).ok())
                .ok_or_else(|| {
                    StepError::NotConfirmed(
                        "the journal records the signing but not the signed CRL: the journal cannot be resumed".into(),
                    )
                })?;
            let (signed_tbs, signature) = profile::split_signed(&der)?;
            if signed_tbs != tbs {
                return Err(StepError::NotConfirmed(
                    "the CRL the interrupted run signed is not the one this run prepared (the inputs differ): rootca does not sign a second, different CRL for one ceremony; close the journal with --abandon".into(),
                ));
            }
            profile::finish(&c.profile, &tbs, &signature, &key.public_key)?.1
        }
        Earlier::NotRun | Earlier::Started => {
            let signature = session.token.sign(&key.key, c.profile.signature, &tbs)?;
            profile::finish(&c.profile, &tbs, &signature, &key.public_key)?.1
        }
    };
    let change = Change {
        what: format!(
            "the key \"{}\" signed CRL number {} (SHA-256 {})",
            key.key.label,
            c.profile.number,
            sha256_hex(&der)
        ),
        if_failed: "the signed CRL is recorded whole in the transcript (details.crl_der_hex of the signing step)".into(),
    };
    Ok(Done::new(der.clone())
        .say(vec![
            "signed; the signature verifies in software and the CRL passed every check again"
                .into(),
        ])
        .details(
            serde_json::json!({ "crl_sha256": sha256_hex(&der), "crl_der_hex": hex::encode(&der) }),
        )
        .changed(change))
}

impl Kind for CrlCeremony {
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
        if let Some(prev) = &self.previous {
            inputs.push((prev.path.clone(), sha256_hex(&prev.bytes)));
        }
        for (path, bytes) in &self.revoked_files {
            inputs.push((path.clone(), sha256_hex(bytes)));
        }
        inputs
    }

    fn steps(&self) -> Vec<Step> {
        let mut lines = self.profile.plan_lines();
        lines.extend(self.entry_lines());
        lines.push("signed first with a throwaway lint key and checked (R1 to R12)".into());
        vec![
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.issuer_label, &self.issuer_path),
            Step::new(PREPARE, "Build and check the CRL").details(lines),
            Step::new(SIGN, "Sign the CRL with the root key")
                .details(vec![
                    "the HSM signs the very bytes that passed the checks".into(),
                    "the signature is verified in software under the root certificate's key".into(),
                    "the signed CRL is parsed back and checked again".into(),
                ])
                .witness("Confirm the number, dates and entries printed at the previous step match the ceremony sheet.")
                .confirmed()
                .lasting(),
            certificate::write_step("Write the CRL", &[("CRL (DER)", &self.crl)]),
            token::logout_step(),
        ]
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
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
        let tbs = r.step(PREPARE, || prepare(self, &key))?;
        let der = r.resuming(SIGN, |earlier| sign(self, &session, &key, tbs, earlier))?;
        r.resuming(certificate::WRITE, |_| {
            let mut done = certificate::write(
                vec![Artifact {
                    path: self.crl.clone(),
                    bytes: der.clone(),
                }],
                None,
                format!(
                    "the CRL {} is written and complete; publish it (rootca crl publish)",
                    self.crl.display()
                ),
            )?;
            done.say
                .push(format!("CRL SHA-256: {}", fingerprint_groups(&der)));
            Ok(done)
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}
