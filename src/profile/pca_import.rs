//! AWS Private CA's rules for ImportCertificateAuthorityCertificate,
//! applied locally: before the HSM signs (on the lint copy) and again
//! before the import call, so a certificate Private CA would refuse is
//! never signed, and never sent.

use der::Encode;
use der::EncodePem;
use der::pem::LineEnding;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

use super::verify::verify_certificate;

/// Private CA's documented limits, on the PEM it receives.
pub const MAX_CERTIFICATE_BYTES: usize = 32 * 1024;
pub const MAX_CHAIN_BYTES: usize = 2 * 1024 * 1024;

/// Every rule, as docs/private-ca-import.md lists them.
pub const RULES: &[(&str, &str)] = &[
    (
        "P1",
        "the certificate's public key is the one in the CA's current CSR",
    ),
    (
        "P2",
        "the certificate is not self-signed: only a root is imported self-signed",
    ),
    (
        "P3",
        "the chain is not empty and does not contain the certificate itself",
    ),
    (
        "P4",
        "the chain is ordered: each certificate is certified by the next one",
    ),
    ("P5", "the chain ends with a self-signed root"),
    (
        "P6",
        "the certificate is at most 32 KB and the chain at most 2 MB (PEM)",
    ),
    (
        "P7",
        "the certificate's basicConstraints is present, critical and CA",
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("Private CA would refuse this import:\n  - {}", .0.join("\n  - "))]
pub struct ImportRefused(pub Vec<String>);

/// Whether the certificate's own signature is final. On the lint copy it
/// is not (the lint key made it), so P4's first link is then judged by
/// names only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    ByLintKey,
    Final,
}

fn pem_len(cert: &Certificate) -> usize {
    cert.to_pem(LineEnding::LF)
        .map(|p| p.len())
        .unwrap_or(usize::MAX)
}

fn self_signed(cert: &Certificate) -> bool {
    let tbs = cert.tbs_certificate();
    tbs.issuer() == tbs.subject() && verify_certificate(cert, tbs.subject_public_key_info()).is_ok()
}

/// Checks `cert` and `chain` (issuer first, root last) against the CA's
/// current CSR key.
pub fn preflight(
    cert: &Certificate,
    chain: &[Certificate],
    csr_key: &SubjectPublicKeyInfoOwned,
    signed: Signed,
) -> Result<(), ImportRefused> {
    let mut v = Vec::new();
    let tbs = cert.tbs_certificate();

    if tbs.subject_public_key_info() != csr_key {
        v.push("P1: the certificate's public key is not the key of the CA's current CSR; fetch the CSR of this very CA and sign that".into());
    }
    if tbs.issuer() == tbs.subject() {
        v.push("P2: the certificate is self-signed (issuer = subject); a subordinate must be signed by its parent".into());
    }
    let der = cert.to_der().unwrap_or_default();
    if chain.is_empty() {
        v.push("P3: the chain is empty; a subordinate CA needs its parent's certificate as CertificateChain".into());
    }
    if chain
        .iter()
        .any(|c| c.to_der().ok().as_deref() == Some(der.as_slice()))
    {
        v.push("P3: the chain contains the certificate being imported".into());
    }
    let mut child = cert;
    for (i, parent) in chain.iter().enumerate() {
        let names_link = child.tbs_certificate().issuer() == parent.tbs_certificate().subject();
        let check_signature = !(i == 0 && signed == Signed::ByLintKey);
        let signature_ok = !check_signature
            || verify_certificate(child, parent.tbs_certificate().subject_public_key_info())
                .is_ok();
        if !names_link || !signature_ok {
            v.push(format!(
                "P4: chain certificate {} ({}) did not sign {} ({}); order the chain issuer first, root last",
                i + 1,
                parent.tbs_certificate().subject(),
                if i == 0 { "the certificate".to_string() } else { format!("chain certificate {i}") },
                child.tbs_certificate().subject()
            ));
        }
        child = parent;
    }
    if let Some(last) = chain.last() {
        if !self_signed(last) {
            v.push(format!(
                "P5: the chain ends with {}, which is not a self-signed root",
                last.tbs_certificate().subject()
            ));
        }
    }
    let cert_len = pem_len(cert);
    if cert_len > MAX_CERTIFICATE_BYTES {
        v.push(format!("P6: the certificate is {cert_len} bytes of PEM; Private CA takes at most {MAX_CERTIFICATE_BYTES}"));
    }
    let chain_len: usize = chain.iter().map(pem_len).sum();
    if chain_len > MAX_CHAIN_BYTES {
        v.push(format!(
            "P6: the chain is {chain_len} bytes of PEM; Private CA takes at most {MAX_CHAIN_BYTES}"
        ));
    }
    match tbs.get_extension::<BasicConstraints>() {
        Ok(Some((true, bc))) if bc.ca => {}
        Ok(Some((false, _))) => v.push("P7: basicConstraints is not critical".into()),
        Ok(Some(_)) => v.push("P7: basicConstraints does not say CA".into()),
        _ => v.push("P7: basicConstraints is missing".into()),
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(ImportRefused(v))
    }
}
