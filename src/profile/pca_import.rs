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

/// One import rule: its identifier and description, as
/// docs/private-ca-import.md lists them (a test compares the two), and the
/// code that applies it.
pub struct Rule {
    pub id: &'static str,
    pub description: &'static str,
    apply: fn(&Import<'_>, &mut Vec<String>),
}

/// What the rules look at.
struct Import<'a> {
    cert: &'a Certificate,
    chain: &'a [Certificate],
    csr_key: &'a SubjectPublicKeyInfoOwned,
    signed: Signed,
}

/// Every rule, in the order they are applied and documented.
pub const RULES: &[Rule] = &[
    Rule {
        id: "P1",
        description: "the certificate's public key is the one in the CA's current CSR",
        apply: p1_csr_key,
    },
    Rule {
        id: "P2",
        description: "the certificate is not self-signed (only a root is imported self-signed)",
        apply: p2_not_self_signed,
    },
    Rule {
        id: "P3",
        description: "the chain is not empty and does not contain the certificate itself",
        apply: p3_chain_contents,
    },
    Rule {
        id: "P4",
        description: "the chain is ordered: each certificate is certified by the next one (by name and by signature)",
        apply: p4_chain_order,
    },
    Rule {
        id: "P5",
        description: "the chain ends with a self-signed root",
        apply: p5_chain_root,
    },
    Rule {
        id: "P6",
        description: "the certificate is at most 32 KB and the chain at most 2 MB, as PEM",
        apply: p6_sizes,
    },
    Rule {
        id: "P7",
        description: "the certificate's basicConstraints is present, critical and says CA",
        apply: p7_basic_constraints,
    },
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
    let import = Import {
        cert,
        chain,
        csr_key,
        signed,
    };
    let mut all = Vec::new();
    for rule in RULES {
        let mut found = Vec::new();
        (rule.apply)(&import, &mut found);
        all.extend(found.into_iter().map(|f| format!("{}: {f}", rule.id)));
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(ImportRefused(all))
    }
}

fn p1_csr_key(i: &Import<'_>, v: &mut Vec<String>) {
    if i.cert.tbs_certificate().subject_public_key_info() != i.csr_key {
        v.push("the certificate's public key is not the key of the CA's current CSR; fetch the CSR of this very CA and sign that".into());
    }
}

fn p2_not_self_signed(i: &Import<'_>, v: &mut Vec<String>) {
    let tbs = i.cert.tbs_certificate();
    if tbs.issuer() == tbs.subject() {
        v.push("the certificate is self-signed (issuer = subject); a subordinate must be signed by its parent".into());
    }
}

fn p3_chain_contents(i: &Import<'_>, v: &mut Vec<String>) {
    if i.chain.is_empty() {
        v.push(
            "the chain is empty; a subordinate CA needs its parent's certificate as CertificateChain"
                .into(),
        );
    }
    let der = i.cert.to_der().ok();
    if i.chain.iter().any(|c| c.to_der().ok() == der) {
        v.push("the chain contains the certificate being imported".into());
    }
}

fn p4_chain_order(i: &Import<'_>, v: &mut Vec<String>) {
    let mut child = i.cert;
    for (n, parent) in i.chain.iter().enumerate() {
        let names_link = child.tbs_certificate().issuer() == parent.tbs_certificate().subject();
        let check_signature = !(n == 0 && i.signed == Signed::ByLintKey);
        let signature_ok = !check_signature
            || verify_certificate(child, parent.tbs_certificate().subject_public_key_info())
                .is_ok();
        if !names_link || !signature_ok {
            v.push(format!(
                "chain certificate {} ({}) did not sign {} ({}); order the chain issuer first, root last",
                n + 1,
                parent.tbs_certificate().subject(),
                if n == 0 { "the certificate".to_string() } else { format!("chain certificate {n}") },
                child.tbs_certificate().subject()
            ));
        }
        child = parent;
    }
}

fn p5_chain_root(i: &Import<'_>, v: &mut Vec<String>) {
    if let Some(last) = i.chain.last()
        && !self_signed(last)
    {
        v.push(format!(
            "the chain ends with {}, which is not a self-signed root",
            last.tbs_certificate().subject()
        ));
    }
}

fn p6_sizes(i: &Import<'_>, v: &mut Vec<String>) {
    let cert_len = pem_len(i.cert);
    if cert_len > MAX_CERTIFICATE_BYTES {
        v.push(format!(
            "the certificate is {cert_len} bytes of PEM; Private CA takes at most {MAX_CERTIFICATE_BYTES}"
        ));
    }
    let chain_len: usize = i.chain.iter().map(pem_len).sum();
    if chain_len > MAX_CHAIN_BYTES {
        v.push(format!(
            "the chain is {chain_len} bytes of PEM; Private CA takes at most {MAX_CHAIN_BYTES}"
        ));
    }
}

fn p7_basic_constraints(i: &Import<'_>, v: &mut Vec<String>) {
    match i.cert.tbs_certificate().get_extension::<BasicConstraints>() {
        Ok(Some((true, bc))) if bc.ca => {}
        Ok(Some((false, _))) => v.push("basicConstraints is not critical".into()),
        Ok(Some(_)) => v.push("basicConstraints does not say CA".into()),
        _ => v.push("basicConstraints is missing".into()),
    }
}
