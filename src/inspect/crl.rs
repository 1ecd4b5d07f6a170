//! What a CRL says: issuer, dates, number, and each revoked serial with its reason.

use der::Decode;
use serde::Serialize;
use x509_cert::crl::{CertificateList, RevokedCert};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};

use super::algorithms::signature_algorithm_name;
use super::extensions::{ExtensionInfo, crl_reason_name, describe_extension, find_extension};
use super::values::{TimeInfo, colon_hex, serial_hex, time_info, uint_text};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlDetails {
    pub issuer: String,
    pub this_update: TimeInfo,
    pub next_update: Option<TimeInfo>,
    /// Whole days from now until nextUpdate, negative once it has passed:
    /// when it passes, every chain under the issuer fails revocation checks.
    pub days_until_next_update: Option<i64>,
    pub signature_algorithm: String,
    pub crl_number: Option<String>,
    pub authority_key_identifier: Option<String>,
    pub extensions: Vec<ExtensionInfo>,
    pub revoked: Vec<RevokedInfo>,
}

/// One revoked certificate of a CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedInfo {
    pub serial: String,
    pub date: TimeInfo,
    pub reason: Option<String>,
    /// Entry extensions other than the reason code.
    pub other_extensions: Vec<ExtensionInfo>,
}

pub(super) fn details(crl: &CertificateList) -> CrlDetails {
    let tbs = &crl.tbs_cert_list;
    let extensions: &[Extension] = tbs.crl_extensions.as_deref().unwrap_or(&[]);
    let crl_number = find_extension(tbs.crl_extensions.as_ref(), "2.5.29.20")
        .and_then(|e| CrlNumber::from_der(e.extn_value.as_bytes()).ok())
        .map(|n| uint_text(&n.0));
    let authority_key_identifier = find_extension(tbs.crl_extensions.as_ref(), "2.5.29.35")
        .and_then(|e| AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .and_then(|a| a.key_identifier)
        .map(|k| colon_hex(k.as_bytes()));
    CrlDetails {
        issuer: tbs.issuer.to_string(),
        this_update: time_info(&tbs.this_update),
        next_update: tbs.next_update.as_ref().map(time_info),
        days_until_next_update: tbs.next_update.as_ref().and_then(days_from_now),
        signature_algorithm: signature_algorithm_name(&crl.signature_algorithm),
        crl_number,
        authority_key_identifier,
        extensions: extensions.iter().map(describe_extension).collect(),
        revoked: tbs
            .revoked_certificates
            .iter()
            .flatten()
            .map(revoked_info)
            .collect(),
    }
}

fn days_from_now(t: &x509_cert::time::Time) -> Option<i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let then = t.to_unix_duration().as_secs();
    let secs = i64::try_from(then).ok()? - i64::try_from(now).ok()?;
    Some(secs.div_euclid(86_400))
}

fn revoked_info(entry: &RevokedCert) -> RevokedInfo {
    let mut reason = None;
    let mut other_extensions = Vec::new();
    for ext in entry.crl_entry_extensions.iter().flatten() {
        if ext.extn_id.to_string() == "2.5.29.21" {
            reason = Some(match CrlReason::from_der(ext.extn_value.as_bytes()) {
                Ok(r) => crl_reason_name(r).to_string(),
                Err(e) => format!("undecodable reason ({e})"),
            });
        } else {
            other_extensions.push(describe_extension(ext));
        }
    }
    RevokedInfo {
        serial: serial_hex(entry.serial_number.as_bytes()),
        date: time_info(&entry.revocation_date),
        reason,
        other_extensions,
    }
}
