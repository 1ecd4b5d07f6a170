//! What a certificate says.

use der::Decode;
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

use super::algorithms::{public_key_description, signature_algorithm_name, spki_sha256};
use super::extensions::{ExtensionInfo, describe_extension, find_extension};
use super::values::{TimeInfo, serial_hex, time_info};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDetails {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: TimeInfo,
    pub not_after: TimeInfo,
    pub signature_algorithm: String,
    pub public_key: String,
    /// SHA-256 of the SubjectPublicKeyInfo DER, to compare keys across documents.
    pub public_key_sha256: String,
    /// Issuer equals subject and the key identifiers (when both present) agree. The signature
    /// is not verified here.
    pub self_signed: bool,
    pub extensions: Vec<ExtensionInfo>,
}

pub(super) fn details(cert: &Certificate) -> CertificateDetails {
    let tbs = cert.tbs_certificate();
    let extensions: &[Extension] = tbs.extensions().map_or(&[], |e| e.as_slice());
    CertificateDetails {
        subject: tbs.subject().to_string(),
        issuer: tbs.issuer().to_string(),
        serial: serial_hex(tbs.serial_number().as_bytes()),
        not_before: time_info(&tbs.validity().not_before),
        not_after: time_info(&tbs.validity().not_after),
        signature_algorithm: signature_algorithm_name(cert.signature_algorithm()),
        public_key: public_key_description(tbs.subject_public_key_info()),
        public_key_sha256: spki_sha256(tbs.subject_public_key_info()),
        self_signed: looks_self_signed(cert),
        extensions: extensions.iter().map(describe_extension).collect(),
    }
}

/// Issuer equals subject, and where both key identifiers exist they agree.
fn looks_self_signed(cert: &Certificate) -> bool {
    let tbs = cert.tbs_certificate();
    if tbs.issuer() != tbs.subject() {
        return false;
    }
    let ski = find_extension(tbs.extensions(), "2.5.29.14")
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok());
    let aki = find_extension(tbs.extensions(), "2.5.29.35")
        .and_then(|e| AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .and_then(|a| a.key_identifier);
    match (ski, aki) {
        (Some(ski), Some(aki)) => ski.0 == aki,
        _ => true,
    }
}
