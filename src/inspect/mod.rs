//! `rootca inspect`: what a certificate, a CSR or a CRL says, for a ceremony officer.
//!
//! Reads PEM (the usual labels) or DER, decodes every extension it knows into words, and
//! prints the SHA-256 fingerprint of the DER both as one hex string and in groups of four
//! for reading aloud. Inspecting is not trusting: the one signature checked is a
//! certificate's own, to tell whether it is self-signed; a CSR's or a CRL's is not.
//!
//! - this file: the entry point, the report, reading PEM or DER, the JSON form;
//! - `certificate`, `request`, `crl`: the facts of each kind of document;
//! - `extensions`: extensions decoded into words;
//! - `algorithms`: signature algorithms and public keys named;
//! - `values`: single values (times, serials, OIDs, strings) as text;
//! - `render`: the text an officer reads.

mod algorithms;
mod certificate;
mod crl;
mod extensions;
mod render;
mod request;
mod values;

use der::Decode;
use serde::Serialize;
use serde_json::Value;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::request::CertReq;

use crate::output::{hex_groups, sha256_hex};
use crate::profile::document::first_pem_block;

pub use certificate::{CertificateDetails, SelfSignature};
pub use crl::{CrlDetails, RevokedInfo};
pub use extensions::ExtensionInfo;
pub use request::{AttributeInfo, RequestDetails};
pub use values::TimeInfo;

const ACCEPTED: &str = "rootca inspect reads an X.509 certificate, a PKCS#10 certificate signing \
     request or a CRL, in PEM (labels CERTIFICATE, CERTIFICATE REQUEST, NEW CERTIFICATE REQUEST, \
     X509 CRL) or in DER";

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DocumentKind {
    #[serde(rename = "certificate")]
    Certificate,
    #[serde(rename = "csr")]
    CertificateRequest,
    #[serde(rename = "crl")]
    Crl,
}

/// How the document was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    Pem { label: String },
    Der,
}

impl Encoding {
    fn name(&self) -> &'static str {
        match self {
            Encoding::Pem { .. } => "PEM",
            Encoding::Der => "DER",
        }
    }

    fn pem_label(&self) -> Option<&str> {
        match self {
            Encoding::Pem { label } => Some(label),
            Encoding::Der => None,
        }
    }
}

/// The facts of the document, by kind. In JSON its fields stand beside the report's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
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

/// The report's JSON form. Field order is the output order when serde_json keeps it.
#[derive(Serialize)]
struct ReportJson<'a> {
    kind: DocumentKind,
    encoding: &'static str,
    sha256_fingerprint: &'a str,
    sha256_fingerprint_groups: String,
    notes: &'a [String],
    #[serde(flatten)]
    details: &'a Details,
    #[serde(skip_serializing_if = "Option::is_none")]
    pem_label: Option<&'a str>,
}

impl Report {
    fn new(details: Details, der_bytes: &[u8], encoding: Encoding) -> Self {
        let kind = match details {
            Details::Certificate(_) => DocumentKind::Certificate,
            Details::Request(_) => DocumentKind::CertificateRequest,
            Details::Crl(_) => DocumentKind::Crl,
        };
        Report {
            kind,
            encoding,
            details,
            sha256: sha256_hex(der_bytes),
            notes: Vec::new(),
        }
    }

    /// The SHA-256 fingerprint in groups of four hex characters.
    pub fn sha256_groups(&self) -> String {
        hex::decode(&self.sha256).map_or_else(|_| self.sha256.clone(), |d| hex_groups(&d))
    }

    /// The same facts as JSON, for scripts and transcripts.
    pub fn to_json(&self) -> Value {
        let json = ReportJson {
            kind: self.kind,
            encoding: self.encoding.name(),
            sha256_fingerprint: &self.sha256,
            sha256_fingerprint_groups: self.sha256_groups(),
            notes: &self.notes,
            details: &self.details,
            pem_label: self.encoding.pem_label(),
        };
        // Cannot fail: every key is a string and every value a plain one.
        serde_json::to_value(json).unwrap_or_else(|e| Value::String(format!("no JSON: {e}")))
    }
}

/// Inspects a certificate, CSR or CRL in PEM or DER.
pub fn inspect(bytes: &[u8]) -> Result<Report, InspectError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InspectError::Empty);
    }
    match first_pem_block(bytes) {
        Ok(Some(block)) => inspect_pem(bytes, block),
        Ok(None) => inspect_der(bytes),
        Err(_) => Err(InspectError::NotRecognised {
            detail: "it has a -----BEGIN line but no matching -----END line".to_string(),
        }),
    }
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
    let bad = |kind: &'static str, e: der::Error| InspectError::BadContent {
        label: label.clone(),
        kind,
        detail: e.to_string(),
    };
    let details = match label.as_str() {
        "CERTIFICATE" => Certificate::from_der(&der_bytes)
            .map(|c| Details::Certificate(certificate::details(&c)))
            .map_err(|e| bad("certificate", e))?,
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => CertReq::from_der(&der_bytes)
            .map(|r| Details::Request(request::details(&r)))
            .map_err(|e| bad("certificate signing request", e))?,
        "X509 CRL" => CertificateList::from_der(&der_bytes)
            .map(|c| Details::Crl(crl::details(&c)))
            .map_err(|e| bad("CRL", e))?,
        _ => return Err(InspectError::UnsupportedPemLabel { label }),
    };
    let blocks = file.windows(11).filter(|w| *w == b"-----BEGIN ").count();
    let mut report = Report::new(
        details,
        &der_bytes,
        Encoding::Pem {
            label: label.clone(),
        },
    );
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
    let found = |details| Ok(Report::new(details, bytes, Encoding::Der));
    let cert_err = match Certificate::from_der(bytes) {
        Ok(c) => return found(Details::Certificate(certificate::details(&c))),
        Err(e) => e,
    };
    let csr_err = match CertReq::from_der(bytes) {
        Ok(r) => return found(Details::Request(request::details(&r))),
        Err(e) => e,
    };
    let crl_err = match CertificateList::from_der(bytes) {
        Ok(c) => return found(Details::Crl(crl::details(&c))),
        Err(e) => e,
    };
    Err(InspectError::NotRecognised {
        detail: format!(
            "read as DER: not a certificate ({cert_err}), not a CSR ({csr_err}), not a CRL ({crl_err})"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(bytes: &[u8]) -> InspectError {
        match inspect(bytes) {
            Ok(r) => panic!("accepted: {r:?}"),
            Err(e) => e,
        }
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

    fn json_keys(bytes: &[u8]) -> Vec<String> {
        match inspect(bytes).map(|r| r.to_json()) {
            Ok(Value::Object(map)) => map.keys().cloned().collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_has_the_report_fields_beside_the_details_and_nothing_else() {
        let mut keys = json_keys(include_bytes!("../../tests/fixtures/ec-root.pem"));
        keys.sort();
        assert_eq!(
            keys,
            [
                "encoding",
                "extensions",
                "issuer",
                "kind",
                "not_after",
                "not_before",
                "notes",
                "pem_label",
                "public_key",
                "public_key_sha256",
                "self_signed",
                "serial",
                "sha256_fingerprint",
                "sha256_fingerprint_groups",
                "signature_algorithm",
                "subject",
            ]
        );
    }

    #[test]
    fn pem_without_end_line_is_refused_saying_so() {
        let e = refused(b"-----BEGIN CERTIFICATE-----\nAAAA\n");
        assert!(e.to_string().contains("no matching -----END line"), "{e}");
    }
}
