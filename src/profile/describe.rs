//! The plan's words for what a profile puts into a certificate, shared by
//! the profiles so that one fact is phrased one way everywhere.

use const_oid::ObjectIdentifier;
use x509_cert::time::Validity;

pub fn validity(v: &Validity, issuer: Option<&Validity>) -> String {
    let mut line = format!(
        "validity: {} to {}",
        v.not_before.to_date_time(),
        v.not_after.to_date_time()
    );
    if let Some(i) = issuer {
        line.push_str(&format!(
            " (the issuer's ends {})",
            i.not_after.to_date_time()
        ));
    }
    line
}

pub fn basic_constraints(path_len: Option<u8>) -> String {
    match path_len {
        Some(n) => format!("basicConstraints (critical): CA, pathLen {n}"),
        None => "basicConstraints (critical): CA, no path length limit".into(),
    }
}

pub fn key_usage(digital_signature: bool) -> String {
    format!(
        "keyUsage (critical): keyCertSign, cRLSign{}",
        if digital_signature {
            ", digitalSignature"
        } else {
            ""
        }
    )
}

/// CRL distribution points, caIssuers and policies, each only when set.
pub fn optional_lists(
    crl_urls: &[String],
    ca_issuers: &[String],
    policies: &[ObjectIdentifier],
) -> Vec<String> {
    let mut lines = Vec::new();
    if !crl_urls.is_empty() {
        lines.push(format!("CRL distribution points: {}", crl_urls.join(", ")));
    }
    if !ca_issuers.is_empty() {
        lines.push(format!(
            "authority information access (caIssuers): {}",
            ca_issuers.join(", ")
        ));
    }
    if !policies.is_empty() {
        let p: Vec<String> = policies.iter().map(|o| o.to_string()).collect();
        lines.push(format!("certificate policies: {}", p.join(", ")));
    }
    lines
}

pub fn profile(e: crate::profile::ecosystem::Ecosystem) -> String {
    use crate::profile::ecosystem::Ecosystem;
    let what = match e {
        Ecosystem::Pkix => "RFC 5280",
        Ecosystem::MdlIaca => "ISO/IEC 18013-5 IACA root (mDL)",
        Ecosystem::MdlDocumentSigner => "ISO/IEC 18013-5 Document Signer (mDL)",
        Ecosystem::MatterPaa => "Matter Product Attestation Authority",
        Ecosystem::MatterPai => "Matter Product Attestation Intermediate",
    };
    format!("{e} ({what})")
}

pub fn matter_id(what: &str, id: u16) -> String {
    format!("{what}: {id:04X} (subject attribute, UTF8String)")
}

pub fn issuer_alt_name(names: &[crate::profile::extensions::AltName]) -> String {
    let n: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    format!("issuerAltName: {}", n.join(", "))
}
