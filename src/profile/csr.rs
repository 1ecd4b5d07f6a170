//! The subordinate CA's certificate signing request. Only its subject and
//! public key are used, and only after its self-signature verifies and its
//! key is one AWS Private CA can hold; everything else it asks for is
//! listed for the officer and ignored.

use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::name::Name;
use x509_cert::request::CertReq;

use x509_cert::Certificate;

use super::algorithm::{PublicKeyKind, SignatureAlgorithm};
use super::checks::subject_problems;
use super::document::{DocumentError, der_of};
use super::verify::verify_signature;

#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    #[error("{0}")]
    Document(#[from] DocumentError),
    #[error("is not a PKCS#10 certificate signing request: {0}")]
    NotCsr(String),
    #[error(
        "its self-signature does not verify ({0}): it was altered or not made with its own key"
    )]
    BadSignature(String),
    #[error(
        "its key ({0}) is not one AWS Private CA can hold: RSA 2048, 3072 or 4096 bits with exponent 65537, or EC P-256, P-384 or P-521"
    )]
    UnsupportedKey(String),
    #[error("its subject is empty; a CA certificate needs a subject")]
    EmptySubject,
}

#[derive(Debug, Clone)]
pub struct Csr {
    pub subject: Name,
    pub public_key: SubjectPublicKeyInfoOwned,
    pub key: PublicKeyKind,
    pub der: Vec<u8>,
}

pub const PEM_LABELS: &[&str] = &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

impl Csr {
    pub fn parse(bytes: &[u8]) -> Result<Self, CsrError> {
        let der = der_of(bytes, PEM_LABELS, "CSR")?;
        let req = CertReq::from_der(&der).map_err(|e| CsrError::NotCsr(e.to_string()))?;
        let alg = SignatureAlgorithm::from_identifier(&req.algorithm)
            .map_err(|e| CsrError::BadSignature(e.to_string()))?;
        let info = req
            .info
            .to_der()
            .map_err(|e| CsrError::NotCsr(e.to_string()))?;
        let signature = req
            .signature
            .as_bytes()
            .ok_or_else(|| CsrError::BadSignature("the signature is not whole octets".into()))?;
        verify_signature(&req.info.public_key, alg, &info, signature)
            .map_err(|e| CsrError::BadSignature(e.to_string()))?;
        let key = PublicKeyKind::of(&req.info.public_key)
            .map_err(|e| CsrError::UnsupportedKey(e.to_string()))?;
        let acceptable = match &key {
            PublicKeyKind::Rsa { bits, exponent } => {
                [2048, 3072, 4096].contains(bits) && exponent.as_slice() == [0x01, 0x00, 0x01]
            }
            PublicKeyKind::EcP256 | PublicKeyKind::EcP384 | PublicKeyKind::EcP521 => true,
            _ => false,
        };
        if !acceptable {
            return Err(CsrError::UnsupportedKey(key.to_string()));
        }
        if req.info.subject.is_empty() {
            return Err(CsrError::EmptySubject);
        }
        Ok(Self {
            subject: req.info.subject,
            public_key: req.info.public_key,
            key,
            der,
        })
    }
}

impl Csr {
    /// What makes this CSR unfit to be signed by `issuer`.
    pub fn problems_with(&self, issuer: &Certificate) -> Vec<String> {
        let mut problems: Vec<String> = subject_problems(&self.subject)
            .into_iter()
            .map(|p| format!("the CSR's subject: {p}"))
            .collect();
        let tbs = issuer.tbs_certificate();
        if &self.subject == tbs.subject() {
            problems.push(format!(
                "the CSR's subject {} is the issuer's own; a subordinate needs a name of its own",
                self.subject
            ));
        }
        if &self.public_key == tbs.subject_public_key_info() {
            problems.push("the CSR carries the issuer's own public key".into());
        }
        problems
    }
}

/// The CertificationRequestInfo (RFC 2986) for `subject` and `public_key`:
/// what the HSM signs, DER-encoded, for a CSR of the root's own key. It
/// asks for nothing beyond the name and key; the CA that cross-signs
/// dictates its extensions.
pub fn request_info(
    subject: &Name,
    public_key: &SubjectPublicKeyInfoOwned,
) -> x509_cert::request::CertReqInfo {
    x509_cert::request::CertReqInfo {
        version: x509_cert::request::Version::V1,
        subject: subject.clone(),
        public_key: public_key.clone(),
        attributes: Default::default(),
    }
}

/// The signed CSR, DER-encoded: `info` with the signature over its DER.
pub fn assemble(
    info: x509_cert::request::CertReqInfo,
    algorithm: SignatureAlgorithm,
    signature: &[u8],
) -> Result<Vec<u8>, CsrError> {
    let bad = |e: der::Error| CsrError::NotCsr(e.to_string());
    CertReq {
        info,
        algorithm: algorithm
            .identifier()
            .map_err(|e| CsrError::BadSignature(e.to_string()))?,
        signature: der::asn1::BitString::from_bytes(signature).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)
}
