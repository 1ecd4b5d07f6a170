//! Certificate profiles and the checks every certificate passes before and
//! after the HSM signs it. Nothing here talks to the HSM or to AWS: a
//! profile turns validated ceremony values into a to-be-signed certificate,
//! and the ceremony hands the bytes to whichever signer it has.

pub mod algorithm;
pub mod checks;
pub mod crl;
pub mod csr;
pub mod describe;
pub mod document;
pub mod document_signer;
pub mod ecosystem;
pub mod extensions;
pub mod lint;
pub mod name_constraints;
pub mod pca_import;
pub mod root;
pub mod subordinate;
pub mod verify;

use der::Encode;
use der::asn1::BitString;
use signature::Keypair;
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SubjectPublicKeyInfoOwned,
};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use algorithm::SignatureAlgorithm;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("DER encoding failed: {0}")]
    Encoding(der::Error),
    #[error("the certificate builder refused: {0}")]
    Builder(String),
    #[error("unsupported public key: {0}")]
    UnsupportedKey(String),
    #[error("malformed public key: {0}")]
    BadPublicKey(String),
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignature(String),
    #[error("a {signature} signature cannot be made or checked with an {key} key")]
    KeyAlgorithmMismatch { key: String, signature: String },
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the lint key could not sign: {0}")]
    LintKey(String),
    #[error("certificate checks failed:\n  - {}", .0.join("\n  - "))]
    Checks(Vec<String>),
}

impl From<der::Error> for ProfileError {
    fn from(e: der::Error) -> Self {
        Self::Encoding(e)
    }
}

/// A certificate profile: the one statement of what a certificate holds.
/// The builder takes its extensions from it, the checks their `Expected`,
/// and the plan its lines, so none of them can say something else.
pub trait CertificateProfile: BuilderProfile + Clone {
    fn validity(&self) -> Validity;
    fn signature(&self) -> algorithm::SignatureAlgorithm;
    /// What the checks expect of the certificate for `subject_key`.
    fn expected(
        &self,
        subject_key: &SubjectPublicKeyInfoOwned,
    ) -> Result<checks::Expected, ProfileError>;
    /// The plan's lines: what the certificate will hold.
    fn plan_lines(&self) -> Vec<String>;
}

/// Profiles report their own errors through the builder's error type.
pub(crate) fn builder_error(e: ProfileError) -> x509_cert::builder::Error {
    match e {
        ProfileError::Encoding(d) => x509_cert::builder::Error::Asn1(d),
        other => {
            x509_cert::builder::Error::Signature(signature::Error::from_source(other.to_string()))
        }
    }
}

/// What the builder needs to know of a signer: its public key and the
/// AlgorithmIdentifier. The signature itself is made outside the builder,
/// by the lint key or by the HSM, over the bytes `finalize` returns.
pub struct SignerInfo {
    pub public_key: SubjectPublicKeyInfoOwned,
    pub algorithm: SignatureAlgorithm,
}

#[derive(Clone)]
pub struct PublicKeyDer(SubjectPublicKeyInfoOwned);

impl EncodePublicKey for PublicKeyDer {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::encode_msg(&self.0)?)
    }
}

impl Keypair for SignerInfo {
    type VerifyingKey = PublicKeyDer;
    fn verifying_key(&self) -> PublicKeyDer {
        PublicKeyDer(self.public_key.clone())
    }
}

impl DynSignatureAlgorithmIdentifier for SignerInfo {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        self.algorithm
            .identifier()
            .map_err(|_| spki::Error::AlgorithmParametersMissing)
    }
}

/// A to-be-signed certificate: the profile has decided every byte.
pub struct Tbs<P: BuilderProfile> {
    builder: CertificateBuilder<P>,
    signer: SignerInfo,
    pub der: Vec<u8>,
}

impl<P: BuilderProfile> Tbs<P> {
    /// Builds the TBS for `subject_key`, to be signed with `algorithm` by
    /// the key `issuer_key`. Profiles take the issuer's identifiers from the
    /// ceremony, never from `issuer_key`, so the lint key and the HSM key
    /// yield the same bytes.
    pub fn new(
        profile: P,
        serial: SerialNumber,
        validity: Validity,
        subject_key: SubjectPublicKeyInfoOwned,
        issuer_key: SubjectPublicKeyInfoOwned,
        algorithm: SignatureAlgorithm,
    ) -> Result<Self, ProfileError> {
        let mut builder = CertificateBuilder::new(profile, serial, validity, subject_key)
            .map_err(|e| ProfileError::Builder(e.to_string()))?;
        let signer = SignerInfo {
            public_key: issuer_key,
            algorithm,
        };
        let der = builder
            .finalize(&signer)
            .map_err(|e| ProfileError::Builder(e.to_string()))?;
        Ok(Self {
            builder,
            signer,
            der,
        })
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.signer.algorithm
    }

    /// Puts the signature on the TBS.
    pub fn assemble(self, signature: &[u8]) -> Result<Certificate, ProfileError> {
        let bits = BitString::from_bytes(signature)?;
        let cert = self
            .builder
            .assemble(bits, &self.signer)
            .map_err(|e| ProfileError::Builder(e.to_string()))?;
        // The certificate must hold exactly the bytes that were signed.
        if cert.tbs_certificate().to_der()? != self.der {
            return Err(ProfileError::Builder(
                "the assembled certificate differs from the signed TBS".into(),
            ));
        }
        Ok(cert)
    }
}
