//! `rootca inspect`: what a certificate, a CSR or a CRL says, for a ceremony officer.
//!
//! Reads PEM (the usual labels) or DER, decodes every extension it knows into words, and
//! prints the SHA-256 fingerprint of the DER both as one hex string and in groups of four
//! for reading aloud. Nothing here verifies a signature: inspecting is not trusting.

use der::asn1::{Any, GeneralizedTime, ObjectIdentifier, Uint};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use serde_json::{Value, json};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, CrlNumber, CrlReason, ExtendedKeyUsage, InhibitAnyPolicy,
    IssuingDistributionPoint, KeyUsage, PolicyConstraints, PolicyMappings, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::request::CertReq;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::Time;

use crate::output::{hex_groups, sha256_hex};
use crate::profile::name_constraints::NameConstraints;

const ACCEPTED: &str = "rootca inspect reads an X.509 certificate, a PKCS#10 certificate signing \
     request or a CRL, in PEM (labels CERTIFICATE, CERTIFICATE REQUEST, NEW CERTIFICATE REQUEST, \
     X509 CRL) or in DER";

/// Width of the label column in the text rendering.
const LABEL_WIDTH: usize = 22;

/// Longest extension value shown in hex when rootca cannot decode it.
const HEX_PREVIEW_BYTES: usize = 32;

/// Why a file could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    #[error("the file is empty: {ACCEPTED}")]
    Empty,
    #[error(
        "the file is PEM labelled {label:?}, which is not a certificate, CSR or CRL: {ACCEPTED}"
    )]
    UnsupportedPemLabel { label: String },
    #[error("the PEM block labelled {label:?} is damaged ({detail}): {ACCEPTED}")]
    BadPem { label: String, detail: String },
    #[error("the PEM block labelled {label:?} does not hold a valid {kind}: {detail}")]
    BadContent {
        label: String,
        kind: &'static str,
        detail: String,
    },
    #[error("the file is not a certificate, CSR or CRL ({detail}): {ACCEPTED}")]
    NotRecognised { detail: String },
}

/// What kind of document was inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Certificate,
    CertificateRequest,
    Crl,
}

impl DocumentKind {
    fn title(self) -> &'static str {
        match self {
            DocumentKind::Certificate => "Certificate",
            DocumentKind::CertificateRequest => "Certificate signing request, PKCS#10",
            DocumentKind::Crl => "Certificate revocation list",
        }
    }

    fn json_name(self) -> &'static str {
        match self {
            DocumentKind::Certificate => "certificate",
            DocumentKind::CertificateRequest => "csr",
            DocumentKind::Crl => "crl",
        }
    }
}

/// How the document was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    Pem { label: String },
    Der,
}

/// A time and the ASN.1 type that carries it (RFC 5280: UTCTime up to 2049, then
/// GeneralizedTime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeInfo {
    /// RFC 3339, UTC, e.g. `2046-01-01T00:00:00Z`.
    pub rfc3339: String,
    /// `UTCTime` or `GeneralizedTime`.
    pub asn1_type: &'static str,
}

/// One extension, named and decoded into readable lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionInfo {
    pub oid: String,
    /// The usual name (`basicConstraints`), or `unknown extension`.
    pub name: String,
    pub critical: bool,
    pub lines: Vec<String>,
}

/// A CSR attribute other than the extension request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    pub oid: String,
    pub name: String,
    pub values: Vec<String>,
}

/// One revoked certificate of a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedInfo {
    pub serial: String,
    pub date: TimeInfo,
    pub reason: Option<String>,
    /// Entry extensions other than the reason code.
    pub other_extensions: Vec<ExtensionInfo>,
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDetails {
    pub subject: String,
    pub public_key: String,
    pub public_key_sha256: String,
    pub signature_algorithm: String,
    pub requested_extensions: Vec<ExtensionInfo>,
    pub other_attributes: Vec<AttributeInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlDetails {
    pub issuer: String,
    pub this_update: TimeInfo,
    pub next_update: Option<TimeInfo>,
    pub signature_algorithm: String,
    pub crl_number: Option<String>,
    pub authority_key_identifier: Option<String>,
    pub extensions: Vec<ExtensionInfo>,
    pub revoked: Vec<RevokedInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Details {
    Certificate(CertificateDetails),
    Request(RequestDetails),
    Crl(CrlDetails),
}

/// Everything `rootca inspect` shows about one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: DocumentKind,
    pub encoding: Encoding,
    pub details: Details,
    /// SHA-256 of the document's DER, lowercase hex.
    pub sha256: String,
    /// Remarks about the file itself (e.g. further PEM blocks that were not shown).
    pub notes: Vec<String>,
}

/// Inspects a certificate, CSR or CRL in PEM or DER.
pub fn inspect(bytes: &[u8]) -> Result<Report, InspectError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InspectError::Empty);
    }
    match find_pem_block(bytes) {
        Some(block) => inspect_pem(bytes, block),
        None if find(bytes, b"-----BEGIN ").is_some() => Err(InspectError::NotRecognised {
            detail: "it has a -----BEGIN line but no matching -----END line".to_string(),
        }),
        None => inspect_der(bytes),
    }
}

/// The first `-----BEGIN X-----` ... `-----END X-----` block, if the file has one. Text before
/// it (as `openssl x509 -text` writes) and anything after it are left out, because the strict
/// RFC 7468 decoder refuses them.
fn find_pem_block(bytes: &[u8]) -> Option<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let start = find(bytes, BEGIN)?;
    let after_begin = bytes.get(start + BEGIN.len()..)?;
    let label_len = find(after_begin, b"-----")?;
    let label = after_begin.get(..label_len)?;
    let mut end_marker = b"-----END ".to_vec();
    end_marker.extend_from_slice(label);
    end_marker.extend_from_slice(b"-----");
    let rest = bytes.get(start..)?;
    let end = find(rest, &end_marker)? + end_marker.len();
    rest.get(..end)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn inspect_pem(file: &[u8], block: &[u8]) -> Result<Report, InspectError> {
    let (label, der_bytes) = der::pem::decode_vec(block).map_err(|e| {
        let label = der::pem::decode_label(block).unwrap_or("?").to_string();
        InspectError::BadPem {
            label,
            detail: e.to_string(),
        }
    })?;
    let label = label.to_string();
    let encoding = Encoding::Pem {
        label: label.clone(),
    };
    let bad = |kind: &'static str, e: der::Error| InspectError::BadContent {
        label: label.clone(),
        kind,
        detail: e.to_string(),
    };
    let mut report = match label.as_str() {
        "CERTIFICATE" => Certificate::from_der(&der_bytes)
            .map(|c| certificate_report(&c, &der_bytes, encoding))
            .map_err(|e| bad("certificate", e))?,
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => CertReq::from_der(&der_bytes)
            .map(|r| request_report(&r, &der_bytes, encoding))
            .map_err(|e| bad("certificate signing request", e))?,
        "X509 CRL" => CertificateList::from_der(&der_bytes)
            .map(|c| crl_report(&c, &der_bytes, encoding))
            .map_err(|e| bad("CRL", e))?,
        _ => return Err(InspectError::UnsupportedPemLabel { label }),
    };
    let blocks = file.windows(11).filter(|w| *w == b"-----BEGIN ").count();
    if blocks > 1 {
        report.notes.push(format!(
            "the file holds {blocks} PEM blocks; only the first ({label}) is shown"
        ));
    }
    Ok(report)
}

fn inspect_der(bytes: &[u8]) -> Result<Report, InspectError> {
    if bytes.first() != Some(&0x30) {
        let first = bytes.first().copied().unwrap_or(0);
        return Err(InspectError::NotRecognised {
            detail: format!(
                "it is neither PEM text nor DER: DER starts with byte 0x30, this file with 0x{first:02x}"
            ),
        });
    }
    let cert_err = match Certificate::from_der(bytes) {
        Ok(c) => return Ok(certificate_report(&c, bytes, Encoding::Der)),
        Err(e) => e,
    };
    let csr_err = match CertReq::from_der(bytes) {
        Ok(r) => return Ok(request_report(&r, bytes, Encoding::Der)),
        Err(e) => e,
    };
    let crl_err = match CertificateList::from_der(bytes) {
        Ok(c) => return Ok(crl_report(&c, bytes, Encoding::Der)),
        Err(e) => e,
    };
    Err(InspectError::NotRecognised {
        detail: format!(
            "read as DER: not a certificate ({cert_err}), not a CSR ({csr_err}), not a CRL ({crl_err})"
        ),
    })
}

fn certificate_report(cert: &Certificate, der_bytes: &[u8], encoding: Encoding) -> Report {
    let tbs = cert.tbs_certificate();
    let extensions: &[Extension] = tbs.extensions().map_or(&[], |e| e.as_slice());
    let details = CertificateDetails {
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
    };
    Report {
        kind: DocumentKind::Certificate,
        encoding,
        details: Details::Certificate(details),
        sha256: sha256_hex(der_bytes),
        notes: Vec::new(),
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

fn find_extension<'a>(extensions: Option<&'a Vec<Extension>>, oid: &str) -> Option<&'a Extension> {
    extensions?.iter().find(|e| e.extn_id.to_string() == oid)
}

fn request_report(req: &CertReq, der_bytes: &[u8], encoding: Encoding) -> Report {
    let mut requested_extensions = Vec::new();
    let mut other_attributes = Vec::new();
    for attr in req.info.attributes.iter() {
        let oid = attr.oid.to_string();
        // PKCS#9 extensionRequest, and Microsoft's older equivalent.
        if oid == "1.2.840.113549.1.9.14" || oid == "1.3.6.1.4.1.311.2.1.14" {
            for value in attr.values.iter() {
                match value.to_der().and_then(|d| Vec::<Extension>::from_der(&d)) {
                    Ok(exts) => requested_extensions.extend(exts.iter().map(describe_extension)),
                    Err(e) => other_attributes.push(AttributeInfo {
                        oid: oid.clone(),
                        name: "extensionRequest".to_string(),
                        values: vec![format!("could not decode: {e}")],
                    }),
                }
            }
        } else {
            other_attributes.push(AttributeInfo {
                name: attribute_name(&attr.oid),
                oid,
                values: attr.values.iter().map(any_to_text).collect(),
            });
        }
    }
    let details = RequestDetails {
        subject: req.info.subject.to_string(),
        public_key: public_key_description(&req.info.public_key),
        public_key_sha256: spki_sha256(&req.info.public_key),
        signature_algorithm: signature_algorithm_name(&req.algorithm),
        requested_extensions,
        other_attributes,
    };
    Report {
        kind: DocumentKind::CertificateRequest,
        encoding,
        details: Details::Request(details),
        sha256: sha256_hex(der_bytes),
        notes: Vec::new(),
    }
}

fn crl_report(crl: &CertificateList, der_bytes: &[u8], encoding: Encoding) -> Report {
    let tbs = &crl.tbs_cert_list;
    let extensions: &[Extension] = tbs.crl_extensions.as_deref().unwrap_or(&[]);
    let crl_number = find_extension(tbs.crl_extensions.as_ref(), "2.5.29.20")
        .and_then(|e| CrlNumber::from_der(e.extn_value.as_bytes()).ok())
        .map(|n| uint_text(&n.0));
    let authority_key_identifier = find_extension(tbs.crl_extensions.as_ref(), "2.5.29.35")
        .and_then(|e| AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .and_then(|a| a.key_identifier)
        .map(|k| colon_hex(k.as_bytes()));
    let revoked = tbs
        .revoked_certificates
        .iter()
        .flatten()
        .map(|entry| {
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
        })
        .collect();
    let details = CrlDetails {
        issuer: tbs.issuer.to_string(),
        this_update: time_info(&tbs.this_update),
        next_update: tbs.next_update.as_ref().map(time_info),
        signature_algorithm: signature_algorithm_name(&crl.signature_algorithm),
        crl_number,
        authority_key_identifier,
        extensions: extensions.iter().map(describe_extension).collect(),
        revoked,
    };
    Report {
        kind: DocumentKind::Crl,
        encoding,
        details: Details::Crl(details),
        sha256: sha256_hex(der_bytes),
        notes: Vec::new(),
    }
}

fn time_info(time: &Time) -> TimeInfo {
    TimeInfo {
        rfc3339: time.to_date_time().to_string(),
        asn1_type: match time {
            Time::UtcTime(_) => "UTCTime",
            Time::GeneralTime(_) => "GeneralizedTime",
        },
    }
}

/// `0x` and lowercase hex without leading zero octets (the DER sign octet included).
fn serial_hex(bytes: &[u8]) -> String {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return format!(
            "0x{} (negative, which RFC 5280 forbids)",
            hex::encode(bytes)
        );
    }
    let significant: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => bytes.get(i..).unwrap_or(bytes),
        None => &[0],
    };
    format!("0x{}", hex::encode(significant))
}

/// An unsigned integer in decimal when it fits 128 bits, in hex otherwise.
fn uint_text(n: &Uint) -> String {
    let bytes = n.as_bytes();
    if bytes.len() <= 16 {
        let value = bytes
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        value.to_string()
    } else {
        format!("0x{}", hex::encode(bytes))
    }
}

/// Key identifiers as OpenSSL prints them, so an officer can compare the two outputs.
fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn oid_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        "2.5.29.32.0" => "anyPolicy",
        "1.3.6.1.5.5.7.48.1" => "OCSP",
        "1.3.6.1.5.5.7.48.2" => "caIssuers",
        "1.3.6.1.5.5.7.2.1" => "CPS",
        "1.3.6.1.5.5.7.2.2" => "userNotice",
        _ => return None,
    })
}

/// A known name, else const-oid's database name, else the dotted OID alone.
fn oid_text(oid: &ObjectIdentifier) -> String {
    match oid_name(oid).or_else(|| const_oid::db::DB.by_oid(oid)) {
        Some(name) => name.to_string(),
        None => oid.to_string(),
    }
}

fn extension_name(oid: &ObjectIdentifier) -> String {
    let known = match oid.to_string().as_str() {
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "reasonCode",
        "2.5.29.24" => "invalidityDate",
        "2.5.29.27" => "deltaCRLIndicator",
        "2.5.29.28" => "issuingDistributionPoint",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.33" => "policyMappings",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.37" => "extendedKeyUsage",
        "2.5.29.46" => "freshestCRL",
        "2.5.29.54" => "inhibitAnyPolicy",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.1.11" => "subjectInfoAccess",
        "1.3.6.1.4.1.11129.2.4.2" => "signedCertificateTimestampList",
        _ => "",
    };
    if known.is_empty() {
        const_oid::db::DB
            .by_oid(oid)
            .map_or_else(|| "unknown extension".to_string(), str::to_string)
    } else {
        known.to_string()
    }
}

fn attribute_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.9.7" => "challengePassword".to_string(),
        "1.2.840.113549.1.9.2" => "unstructuredName".to_string(),
        _ => const_oid::db::DB
            .by_oid(oid)
            .map_or_else(|| "unknown attribute".to_string(), str::to_string),
    }
}

fn hash_name(oid: &ObjectIdentifier) -> String {
    match oid_name(oid) {
        Some(name) if name.starts_with("sha") => name.to_string(),
        _ => format!("unknown hash {oid}"),
    }
}

/// RSASSA-PSS-params (RFC 4055); absent fields take their DEFAULT (SHA-1, MGF1-SHA-1, 20).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_len: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer: Option<u32>,
}

/// Signature algorithms in the ceremony file's spelling (`ecdsa-sha384`, `rsa-pss-sha256`).
fn signature_algorithm_name(alg: &AlgorithmIdentifierOwned) -> String {
    let name = match alg.oid.to_string().as_str() {
        "1.2.840.10045.4.3.2" => "ecdsa-sha256",
        "1.2.840.10045.4.3.3" => "ecdsa-sha384",
        "1.2.840.10045.4.3.4" => "ecdsa-sha512",
        "1.2.840.113549.1.1.11" => "rsa-sha256",
        "1.2.840.113549.1.1.12" => "rsa-sha384",
        "1.2.840.113549.1.1.13" => "rsa-sha512",
        "1.2.840.113549.1.1.14" => "rsa-sha224",
        "1.2.840.113549.1.1.5" => "rsa-sha1 (weak)",
        "1.3.101.112" => "ed25519",
        "1.3.101.113" => "ed448",
        "1.2.840.113549.1.1.10" => return pss_name(alg.parameters.as_ref()),
        _ => return format!("{} ({})", oid_text(&alg.oid), alg.oid),
    };
    name.to_string()
}

fn pss_name(params: Option<&Any>) -> String {
    let Some(params) = params else {
        return "rsa-pss (parameters missing)".to_string();
    };
    let params = match params.decode_as::<PssParams>() {
        Ok(p) => p,
        Err(e) => return format!("rsa-pss (undecodable parameters: {e})"),
    };
    let hash = params
        .hash
        .as_ref()
        .map_or_else(|| "sha1".to_string(), |h| hash_name(&h.oid));
    let mgf = match &params.mask_gen {
        None => "MGF1 with sha1".to_string(),
        Some(m) if m.oid.to_string() == "1.2.840.113549.1.1.8" => {
            let inner = m
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok())
                .map_or_else(|| "unknown hash".to_string(), |h| hash_name(&h.oid));
            format!("MGF1 with {inner}")
        }
        Some(m) => format!("mask generation {}", m.oid),
    };
    let salt = params.salt_len.unwrap_or(20);
    format!("rsa-pss-{hash} (hash {hash}, {mgf}, salt {salt} bytes)")
}

/// RSAPublicKey (RFC 8017).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RsaPublicKey {
    modulus: Uint,
    public_exponent: Uint,
}

fn public_key_description(spki: &SubjectPublicKeyInfoOwned) -> String {
    let key_bits = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => rsa_description("RSA", key_bits),
        "1.2.840.113549.1.1.10" => rsa_description("RSA-PSS", key_bits),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            match curve.map(|c| (c.to_string(), c)) {
                Some((s, _)) if s == "1.2.840.10045.3.1.7" => "EC P-256".to_string(),
                Some((s, _)) if s == "1.3.132.0.34" => "EC P-384".to_string(),
                Some((s, _)) if s == "1.3.132.0.35" => "EC P-521".to_string(),
                Some((s, _)) if s == "1.3.132.0.10" => "EC secp256k1".to_string(),
                Some((_, c)) => format!("EC, curve {}", oid_text(&c)),
                None => "EC, explicit or missing curve parameters".to_string(),
            }
        }
        "1.3.101.112" => "Ed25519".to_string(),
        "1.3.101.113" => "Ed448".to_string(),
        _ => format!("{} ({})", oid_text(&spki.algorithm.oid), spki.algorithm.oid),
    }
}

fn rsa_description(family: &str, key: &[u8]) -> String {
    let Ok(key) = RsaPublicKey::from_der(key) else {
        return format!("{family}, undecodable key");
    };
    let modulus = key.modulus.as_bytes();
    let bits = match modulus.iter().position(|b| *b != 0) {
        Some(i) => {
            let lead = modulus.get(i).copied().unwrap_or(0);
            (modulus.len() - i - 1) * 8 + (8 - lead.leading_zeros() as usize)
        }
        None => 0,
    };
    format!(
        "{family} {bits} bits, e={}",
        uint_text(&key.public_exponent)
    )
}

fn spki_sha256(spki: &SubjectPublicKeyInfoOwned) -> String {
    spki.to_der()
        .map(|d| sha256_hex(&d))
        .unwrap_or_else(|e| format!("unavailable ({e})"))
}

/// A string-typed value as text, anything else by type and length.
fn any_to_text(value: &Any) -> String {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::VisibleString
        | Tag::TeletexString
        | Tag::NumericString => String::from_utf8_lossy(bytes).into_owned(),
        Tag::BmpString => {
            let units = bytes
                .chunks_exact(2)
                .filter_map(|c| <[u8; 2]>::try_from(c).ok())
                .map(u16::from_be_bytes);
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        Tag::ObjectIdentifier => value
            .decode_as::<ObjectIdentifier>()
            .map_or_else(|_| "malformed OID".to_string(), |o| oid_text(&o)),
        tag => format!("{tag} value, {} bytes", bytes.len()),
    }
}

fn general_name_text(name: &GeneralName) -> String {
    match name {
        GeneralName::DnsName(s) => format!("DNS:{}", s.as_str()),
        GeneralName::Rfc822Name(s) => format!("email:{}", s.as_str()),
        GeneralName::UniformResourceIdentifier(s) => format!("URI:{}", s.as_str()),
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        GeneralName::IpAddress(octets) => ip_text(octets.as_bytes()),
        GeneralName::RegisteredId(oid) => format!("RID:{}", oid_text(oid)),
        GeneralName::OtherName(other) => format!("otherName:{}", oid_text(&other.type_id)),
        GeneralName::EdiPartyName(_) => "ediPartyName".to_string(),
    }
}

/// An iPAddress: 4 or 16 octets in a subjectAltName, address and mask in name constraints.
fn ip_text(octets: &[u8]) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let addr = |b: &[u8]| -> Option<IpAddr> {
        if let Ok(v4) = <[u8; 4]>::try_from(b) {
            Some(IpAddr::V4(Ipv4Addr::from(v4)))
        } else {
            <[u8; 16]>::try_from(b)
                .ok()
                .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
        }
    };
    if let Some(ip) = addr(octets) {
        return format!("IP:{ip}");
    }
    let (a, m) = octets.split_at(octets.len() / 2);
    match (addr(a), addr(m)) {
        (Some(a), Some(m)) => format!("IP:{a}/{m}"),
        _ => format!("IP:malformed ({} octets)", octets.len()),
    }
}

fn crl_reason_name(reason: CrlReason) -> &'static str {
    match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}

fn describe_extension(ext: &Extension) -> ExtensionInfo {
    let value = ext.extn_value.as_bytes();
    let lines = match decode_extension(&ext.extn_id, value) {
        Some(Ok(lines)) => lines,
        Some(Err(e)) => vec![format!(
            "could not decode ({e}); {} bytes: {}",
            value.len(),
            hex_preview(value)
        )],
        None => vec![format!(
            "not decoded by rootca; {} bytes: {}",
            value.len(),
            hex_preview(value)
        )],
    };
    ExtensionInfo {
        oid: ext.extn_id.to_string(),
        name: extension_name(&ext.extn_id),
        critical: ext.critical,
        lines,
    }
}

fn hex_preview(bytes: &[u8]) -> String {
    match bytes.get(..HEX_PREVIEW_BYTES) {
        Some(head) if bytes.len() > HEX_PREVIEW_BYTES => format!("{}...", hex::encode(head)),
        _ => hex::encode(bytes),
    }
}

/// The readable value of an extension rootca knows, `None` for one it does not.
fn decode_extension(oid: &ObjectIdentifier, value: &[u8]) -> Option<Result<Vec<String>, String>> {
    let err = |e: der::Error| e.to_string();
    Some(match oid.to_string().as_str() {
        "2.5.29.19" => BasicConstraints::from_der(value).map_err(err).map(|bc| {
            let path = match (bc.ca, bc.path_len_constraint) {
                (false, _) => String::new(),
                (true, Some(n)) => format!(", pathLen: {n}"),
                (true, None) => ", pathLen: none (no limit)".to_string(),
            };
            vec![format!("CA: {}{path}", bc.ca)]
        }),
        "2.5.29.15" => KeyUsage::from_der(value)
            .map_err(err)
            .map(|ku| vec![key_usage_text(&ku)]),
        "2.5.29.14" => SubjectKeyIdentifier::from_der(value)
            .map_err(err)
            .map(|ski| vec![colon_hex(ski.0.as_bytes())]),
        "2.5.29.35" => AuthorityKeyIdentifier::from_der(value)
            .map_err(err)
            .map(|aki| {
                let mut lines = Vec::new();
                if let Some(id) = &aki.key_identifier {
                    lines.push(format!("keyid {}", colon_hex(id.as_bytes())));
                }
                for name in aki.authority_cert_issuer.iter().flatten() {
                    lines.push(format!("issuer {}", general_name_text(name)));
                }
                if let Some(serial) = &aki.authority_cert_serial_number {
                    lines.push(format!("serial {}", serial_hex(serial.as_bytes())));
                }
                if lines.is_empty() {
                    lines.push("empty".to_string());
                }
                lines
            }),
        "2.5.29.17" | "2.5.29.18" => SubjectAltName::from_der(value)
            .map_err(err)
            .map(|san| san.0.iter().map(general_name_text).collect()),
        "2.5.29.37" => ExtendedKeyUsage::from_der(value)
            .map_err(err)
            .map(|eku| vec![eku.0.iter().map(oid_text).collect::<Vec<_>>().join(", ")]),
        "2.5.29.31" | "2.5.29.46" => CrlDistributionPoints::from_der(value)
            .map_err(err)
            .map(|dps| dps.0.iter().flat_map(distribution_point_lines).collect()),
        "1.3.6.1.5.5.7.1.1" | "1.3.6.1.5.5.7.1.11" => AuthorityInfoAccessSyntax::from_der(value)
            .map_err(err)
            .map(|aia| {
                aia.0
                    .iter()
                    .map(|ad| {
                        format!(
                            "{} {}",
                            oid_text(&ad.access_method),
                            general_name_text(&ad.access_location)
                        )
                    })
                    .collect()
            }),
        // Qualifiers are read by hand: x509-cert's UserNotice types noticeRef as a time.
        "2.5.29.32" => CertificatePolicies::from_der(value).map_err(err).map(|cp| {
            let mut lines = Vec::new();
            for policy in &cp.0 {
                lines.push(oid_text(&policy.policy_identifier));
                for q in policy.policy_qualifiers.iter().flatten() {
                    let shown = match &q.qualifier {
                        Some(v) if v.tag() == Tag::Ia5String => any_to_text(v),
                        Some(v) => format!("{} bytes", v.value().len()),
                        None => "no value".to_string(),
                    };
                    lines.push(format!("  {}: {shown}", oid_text(&q.policy_qualifier_id)));
                }
            }
            lines
        }),
        "2.5.29.30" => x509_cert::ext::pkix::NameConstraints::from_der(value)
            .map_err(err)
            .map(|nc| name_constraint_lines(&nc)),
        "2.5.29.20" | "2.5.29.27" => CrlNumber::from_der(value)
            .map_err(err)
            .map(|n| vec![uint_text(&n.0)]),
        "2.5.29.21" => CrlReason::from_der(value)
            .map_err(err)
            .map(|r| vec![crl_reason_name(r).to_string()]),
        "2.5.29.24" => GeneralizedTime::from_der(value)
            .map_err(err)
            .map(|t| vec![t.to_date_time().to_string()]),
        // Decoded by type, not by x509-cert's `get_extension`: its IssuingDistributionPoint
        // carries the wrong OID.
        "2.5.29.28" => IssuingDistributionPoint::from_der(value)
            .map_err(err)
            .map(|idp| issuing_distribution_point_lines(&idp)),
        "2.5.29.36" => PolicyConstraints::from_der(value).map_err(err).map(|pc| {
            let show = |v: Option<u32>| v.map_or_else(|| "absent".to_string(), |n| n.to_string());
            vec![format!(
                "requireExplicitPolicy: {}, inhibitPolicyMapping: {}",
                show(pc.require_explicit_policy),
                show(pc.inhibit_policy_mapping)
            )]
        }),
        "2.5.29.54" => InhibitAnyPolicy::from_der(value)
            .map_err(err)
            .map(|n| vec![format!("skipCerts: {}", n.0)]),
        "2.5.29.33" => PolicyMappings::from_der(value).map_err(err).map(|pm| {
            pm.0.iter()
                .map(|m| {
                    format!(
                        "{} -> {}",
                        oid_text(&m.issuer_domain_policy),
                        oid_text(&m.subject_domain_policy)
                    )
                })
                .collect()
        }),
        _ => return None,
    })
}

fn key_usage_text(ku: &KeyUsage) -> String {
    let names: Vec<&str> = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    if names.is_empty() {
        "no usage bits set".to_string()
    } else {
        names.join(", ")
    }
}

fn distribution_point_name_lines(name: &DistributionPointName) -> Vec<String> {
    match name {
        DistributionPointName::FullName(names) => names.iter().map(general_name_text).collect(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            vec![format!("relative to the CRL issuer: {rdn}")]
        }
    }
}

fn distribution_point_lines(dp: &DistributionPoint) -> Vec<String> {
    let mut lines = dp
        .distribution_point
        .as_ref()
        .map(distribution_point_name_lines)
        .unwrap_or_default();
    if let Some(reasons) = &dp.reasons {
        lines.push(format!(
            "  only for reasons {:?}",
            reasons.into_iter().collect::<Vec<_>>()
        ));
    }
    for issuer in dp.crl_issuer.iter().flatten() {
        lines.push(format!("  CRL issuer {}", general_name_text(issuer)));
    }
    lines
}

fn issuing_distribution_point_lines(idp: &IssuingDistributionPoint) -> Vec<String> {
    let mut lines = idp
        .distribution_point
        .as_ref()
        .map(distribution_point_name_lines)
        .unwrap_or_default();
    for (set, text) in [
        (idp.only_contains_user_certs, "only user certificates"),
        (idp.only_contains_ca_certs, "only CA certificates"),
        (idp.indirect_crl, "indirect CRL"),
        (
            idp.only_contains_attribute_certs,
            "only attribute certificates",
        ),
    ] {
        if set {
            lines.push(text.to_string());
        }
    }
    if lines.is_empty() {
        lines.push("no restrictions".to_string());
    }
    lines
}

/// Name constraints in rootca's words, or, for an extension rootca would not accept, why
/// and what it holds.
fn name_constraint_lines(nc: &x509_cert::ext::pkix::NameConstraints) -> Vec<String> {
    match NameConstraints::from_extension(nc) {
        Ok(parsed) => parsed.describe(),
        Err(e) => {
            let mut lines = vec![format!("not readable as rootca name constraints: {e}")];
            for (side, subtrees) in [
                ("permitted", &nc.permitted_subtrees),
                ("excluded ", &nc.excluded_subtrees),
            ] {
                for s in subtrees.iter().flatten() {
                    lines.push(format!("{side} {}", general_name_text(&s.base)));
                }
            }
            lines
        }
    }
}

/// Renders the label column and its value(s); further values align under the first.
fn field(out: &mut String, indent: usize, label: &str, value: &str) {
    let label = format!("{label}:");
    out.push_str(&format!(
        "{:indent$}{label:<width$}{value}\n",
        "",
        width = LABEL_WIDTH
    ));
}

fn time_text(t: &TimeInfo) -> String {
    format!("{} ({})", t.rfc3339, t.asn1_type)
}

fn extension_block(out: &mut String, title: &str, extensions: &[ExtensionInfo]) {
    if extensions.is_empty() {
        field(out, 2, title, "none");
        return;
    }
    out.push_str(&format!("  {title} ({}):\n", extensions.len()));
    for ext in extensions {
        let critical = if ext.critical { " [critical]" } else { "" };
        let name = if ext.name == "unknown extension" {
            format!("unknown extension {}", ext.oid)
        } else {
            ext.name.clone()
        };
        match ext.lines.as_slice() {
            [one] => out.push_str(&format!("    {name}{critical}: {one}\n")),
            lines => {
                out.push_str(&format!("    {name}{critical}:\n"));
                for line in lines {
                    out.push_str(&format!("        {line}\n"));
                }
            }
        }
    }
}

fn extensions_json(extensions: &[ExtensionInfo]) -> Value {
    Value::Array(
        extensions
            .iter()
            .map(|e| {
                json!({
                    "oid": e.oid,
                    "name": e.name,
                    "critical": e.critical,
                    "value": e.lines,
                })
            })
            .collect(),
    )
}

fn time_json(t: &TimeInfo) -> Value {
    json!({ "time": t.rfc3339, "asn1_type": t.asn1_type })
}

impl Report {
    /// The SHA-256 fingerprint in groups of four hex characters.
    pub fn sha256_groups(&self) -> String {
        hex::decode(&self.sha256).map_or_else(|_| self.sha256.clone(), |d| hex_groups(&d))
    }

    /// The report as an officer reads it: one field per line, labels aligned.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let source = match &self.encoding {
            Encoding::Pem { label } => format!("PEM, label {label}"),
            Encoding::Der => "DER".to_string(),
        };
        out.push_str(&format!("{} ({source})\n", self.kind.title()));
        match &self.details {
            Details::Certificate(c) => {
                field(&mut out, 2, "Subject", &c.subject);
                field(&mut out, 2, "Issuer", &c.issuer);
                field(&mut out, 2, "Serial", &c.serial);
                field(&mut out, 2, "Not before", &time_text(&c.not_before));
                field(&mut out, 2, "Not after", &time_text(&c.not_after));
                field(&mut out, 2, "Signature algorithm", &c.signature_algorithm);
                field(&mut out, 2, "Public key", &c.public_key);
                field(&mut out, 2, "Public key SHA-256", &c.public_key_sha256);
                let self_signed = if c.self_signed {
                    "yes (issuer = subject; signature not verified here)"
                } else {
                    "no"
                };
                field(&mut out, 2, "Self-signed", self_signed);
                extension_block(&mut out, "Extensions", &c.extensions);
            }
            Details::Request(r) => {
                field(&mut out, 2, "Subject", &r.subject);
                field(&mut out, 2, "Public key", &r.public_key);
                field(&mut out, 2, "Public key SHA-256", &r.public_key_sha256);
                field(&mut out, 2, "Signature algorithm", &r.signature_algorithm);
                field(&mut out, 2, "Signature", "not verified here");
                extension_block(&mut out, "Requested extensions", &r.requested_extensions);
                if r.other_attributes.is_empty() {
                    field(&mut out, 2, "Other attributes", "none");
                } else {
                    out.push_str(&format!(
                        "  Other attributes ({}):\n",
                        r.other_attributes.len()
                    ));
                    for attr in &r.other_attributes {
                        out.push_str(&format!(
                            "    {} ({}): {}\n",
                            attr.name,
                            attr.oid,
                            attr.values.join(", ")
                        ));
                    }
                }
            }
            Details::Crl(c) => {
                field(&mut out, 2, "Issuer", &c.issuer);
                field(&mut out, 2, "This update", &time_text(&c.this_update));
                let next = c
                    .next_update
                    .as_ref()
                    .map_or_else(|| "absent".to_string(), time_text);
                field(&mut out, 2, "Next update", &next);
                field(&mut out, 2, "Signature algorithm", &c.signature_algorithm);
                field(
                    &mut out,
                    2,
                    "CRL number",
                    c.crl_number.as_deref().unwrap_or("absent"),
                );
                field(
                    &mut out,
                    2,
                    "Authority key ID",
                    c.authority_key_identifier.as_deref().unwrap_or("absent"),
                );
                extension_block(&mut out, "Extensions", &c.extensions);
                if c.revoked.is_empty() {
                    field(&mut out, 2, "Revoked", "none");
                } else {
                    out.push_str(&format!("  Revoked ({}):\n", c.revoked.len()));
                    for r in &c.revoked {
                        let reason = r.reason.as_deref().unwrap_or("no reason given");
                        out.push_str(&format!(
                            "    {}  revoked {}  reason: {reason}\n",
                            r.serial, r.date.rfc3339
                        ));
                        for ext in &r.other_extensions {
                            out.push_str(&format!(
                                "        {}: {}\n",
                                ext.name,
                                ext.lines.join("; ")
                            ));
                        }
                    }
                }
            }
        }
        field(&mut out, 2, "SHA-256 fingerprint", &self.sha256);
        field(&mut out, 2, "Read aloud", &self.sha256_groups());
        for note in &self.notes {
            field(&mut out, 2, "Note", note);
        }
        out
    }

    /// The same facts as JSON, for scripts and transcripts.
    pub fn to_json(&self) -> Value {
        let mut obj = json!({
            "kind": self.kind.json_name(),
            "encoding": match &self.encoding {
                Encoding::Pem { .. } => "PEM",
                Encoding::Der => "DER",
            },
            "sha256_fingerprint": self.sha256,
            "sha256_fingerprint_groups": self.sha256_groups(),
            "notes": self.notes,
        });
        let details = match &self.details {
            Details::Certificate(c) => json!({
                "subject": c.subject,
                "issuer": c.issuer,
                "serial": c.serial,
                "not_before": time_json(&c.not_before),
                "not_after": time_json(&c.not_after),
                "signature_algorithm": c.signature_algorithm,
                "public_key": c.public_key,
                "public_key_sha256": c.public_key_sha256,
                "self_signed": c.self_signed,
                "extensions": extensions_json(&c.extensions),
            }),
            Details::Request(r) => json!({
                "subject": r.subject,
                "public_key": r.public_key,
                "public_key_sha256": r.public_key_sha256,
                "signature_algorithm": r.signature_algorithm,
                "requested_extensions": extensions_json(&r.requested_extensions),
                "attributes": r.other_attributes.iter().map(|a| json!({
                    "oid": a.oid,
                    "name": a.name,
                    "values": a.values,
                })).collect::<Vec<_>>(),
            }),
            Details::Crl(c) => json!({
                "issuer": c.issuer,
                "this_update": time_json(&c.this_update),
                "next_update": c.next_update.as_ref().map(time_json),
                "signature_algorithm": c.signature_algorithm,
                "crl_number": c.crl_number,
                "authority_key_identifier": c.authority_key_identifier,
                "extensions": extensions_json(&c.extensions),
                "revoked": c.revoked.iter().map(|r| json!({
                    "serial": r.serial,
                    "date": time_json(&r.date),
                    "reason": r.reason,
                    "other_extensions": extensions_json(&r.other_extensions),
                })).collect::<Vec<_>>(),
            }),
        };
        if let (Some(target), Value::Object(fields)) = (obj.as_object_mut(), details) {
            target.extend(fields);
        }
        if let (Some(target), Encoding::Pem { label }) = (obj.as_object_mut(), &self.encoding) {
            target.insert("pem_label".to_string(), Value::String(label.clone()));
        }
        obj
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::OctetString;

    fn oid(s: &str) -> ObjectIdentifier {
        match ObjectIdentifier::new(s) {
            Ok(o) => o,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn alg(s: &str, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: oid(s),
            parameters,
        }
    }

    fn extension(oid_text: &str, critical: bool, value: &[u8]) -> Extension {
        match OctetString::new(value) {
            Ok(extn_value) => Extension {
                extn_id: oid(oid_text),
                critical,
                extn_value,
            },
            Err(e) => panic!("{e}"),
        }
    }

    fn refused(bytes: &[u8]) -> InspectError {
        match inspect(bytes) {
            Ok(r) => panic!("accepted: {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn serial_drops_the_der_sign_octet() {
        assert_eq!(serial_hex(&[0x00, 0xa1, 0xb2]), "0xa1b2");
    }

    #[test]
    fn serial_zero_is_shown_as_one_octet() {
        assert_eq!(serial_hex(&[0x00]), "0x00");
    }

    #[test]
    fn serial_negative_is_flagged() {
        assert!(serial_hex(&[0x80, 0x01]).contains("negative"));
    }

    #[test]
    fn integers_up_to_128_bits_are_decimal() {
        let n = Uint::new(&[0x01, 0x00]).map(|n| uint_text(&n));
        assert_eq!(n.as_deref(), Ok("256"));
    }

    #[test]
    fn integers_over_128_bits_are_hex() {
        let n = Uint::new(&[0x7f; 17]).map(|n| uint_text(&n));
        assert_eq!(n.map(|s| s.starts_with("0x7f7f")), Ok(true));
    }

    #[test]
    fn key_identifiers_are_uppercase_with_colons_like_openssl() {
        assert_eq!(colon_hex(&[0x30, 0x47, 0xe7]), "30:47:E7");
    }

    #[test]
    fn ip_text_reads_addresses_and_address_mask_pairs() {
        assert_eq!(ip_text(&[192, 0, 2, 7]), "IP:192.0.2.7");
        assert_eq!(
            ip_text(&[10, 0, 0, 0, 255, 0, 0, 0]),
            "IP:10.0.0.0/255.0.0.0"
        );
        assert!(ip_text(&[1, 2, 3]).contains("malformed"));
    }

    #[test]
    fn signature_algorithms_use_the_ceremony_file_spelling() {
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.10045.4.3.3", None)),
            "ecdsa-sha384"
        );
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.11", None)),
            "rsa-sha256"
        );
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.13", None)),
            "rsa-sha512"
        );
    }

    #[test]
    fn unknown_signature_algorithm_shows_its_oid() {
        assert!(signature_algorithm_name(&alg("1.2.3.4", None)).contains("1.2.3.4"));
    }

    #[test]
    fn pss_with_empty_parameters_takes_the_rfc_4055_defaults() {
        let params = Any::new(Tag::Sequence, Vec::new()).ok();
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.10", params)),
            "rsa-pss-sha1 (hash sha1, MGF1 with sha1, salt 20 bytes)"
        );
    }

    #[test]
    fn pss_without_parameters_says_so() {
        assert!(signature_algorithm_name(&alg("1.2.840.113549.1.1.10", None)).contains("missing"));
    }

    #[test]
    fn key_usage_without_bits_says_so() {
        // BIT STRING with no bits set.
        let lines = decode_extension(&oid("2.5.29.15"), &[0x03, 0x01, 0x00]);
        assert_eq!(lines, Some(Ok(vec!["no usage bits set".to_string()])));
    }

    #[test]
    fn basic_constraints_of_an_end_entity_show_ca_false() {
        let lines = decode_extension(&oid("2.5.29.19"), &[0x30, 0x00]);
        assert_eq!(lines, Some(Ok(vec!["CA: false".to_string()])));
    }

    #[test]
    fn unknown_extension_is_shown_by_oid_and_length() {
        let info = describe_extension(&extension("1.2.3.4.5", false, &[0x05, 0x00]));
        assert_eq!(info.name, "unknown extension");
        assert_eq!(info.lines, vec!["not decoded by rootca; 2 bytes: 0500"]);
    }

    #[test]
    fn long_unknown_extension_is_cut_in_the_preview() {
        let info = describe_extension(&extension("1.2.3.4.5", false, &[0u8; 40]));
        assert!(info.lines[0].starts_with("not decoded by rootca; 40 bytes: "));
        assert!(info.lines[0].ends_with("..."));
    }

    #[test]
    fn malformed_known_extension_says_it_could_not_be_decoded() {
        let info = describe_extension(&extension("2.5.29.19", true, &[0x04, 0x00]));
        assert!(
            info.lines[0].starts_with("could not decode"),
            "{:?}",
            info.lines
        );
        assert!(info.critical);
    }

    #[test]
    fn name_constraints_rootca_cannot_read_are_listed_raw_with_the_reason() {
        use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
        let nc = x509_cert::ext::pkix::NameConstraints {
            permitted_subtrees: Some(vec![GeneralSubtree {
                base: GeneralName::RegisteredId(oid("1.2.3.4")),
                minimum: 0,
                maximum: None,
            }]),
            excluded_subtrees: None,
        };
        let lines = name_constraint_lines(&nc);
        assert!(lines[0].contains("registeredID"), "{lines:?}");
        assert_eq!(lines[1], "permitted RID:1.2.3.4");
    }

    #[test]
    fn empty_file_is_refused_as_empty() {
        assert_eq!(refused(b""), InspectError::Empty);
    }

    #[test]
    fn whitespace_only_file_is_refused_as_empty() {
        assert_eq!(refused(b" \n\r\n\t"), InspectError::Empty);
    }

    #[test]
    fn empty_file_error_lists_the_accepted_formats() {
        let msg = InspectError::Empty.to_string();
        for format in [
            "CERTIFICATE REQUEST",
            "NEW CERTIFICATE REQUEST",
            "X509 CRL",
            "DER",
        ] {
            assert!(msg.contains(format), "{msg}");
        }
    }

    #[test]
    fn text_that_is_not_pem_is_refused_naming_the_accepted_formats() {
        let e = refused(b"hello, I am not a certificate\n");
        assert!(matches!(e, InspectError::NotRecognised { .. }));
        let msg = e.to_string();
        assert!(msg.contains("neither PEM text nor DER"), "{msg}");
        assert!(msg.contains("X509 CRL"), "{msg}");
    }

    #[test]
    fn der_sequence_that_is_nothing_known_is_refused() {
        let e = refused(&[0x30, 0x03, 0x02, 0x01, 0x05]);
        assert!(e.to_string().contains("not a certificate"), "{e}");
        assert!(e.to_string().contains("not a CRL"), "{e}");
    }

    #[test]
    fn pem_with_another_label_is_refused_naming_the_label() {
        let e = refused(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assert_eq!(
            e,
            InspectError::UnsupportedPemLabel {
                label: "PRIVATE KEY".into()
            }
        );
    }

    #[test]
    fn pem_with_broken_base64_is_refused_as_damaged() {
        let e = refused(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        assert!(matches!(e, InspectError::BadPem { .. }), "{e:?}");
    }

    #[test]
    fn pem_whose_content_is_not_its_label_is_refused() {
        // "MAMCAQU=" is the DER 30 03 02 01 05, an INTEGER in a SEQUENCE.
        let e = refused(b"-----BEGIN X509 CRL-----\nMAMCAQU=\n-----END X509 CRL-----\n");
        assert!(
            matches!(e, InspectError::BadContent { kind: "CRL", .. }),
            "{e:?}"
        );
    }

    #[test]
    fn pem_without_end_line_is_refused_saying_so() {
        let e = refused(b"-----BEGIN CERTIFICATE-----\nAAAA\n");
        assert!(e.to_string().contains("no matching -----END line"), "{e}");
    }
}
