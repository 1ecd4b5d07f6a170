//! Software verification of signatures: every signature the HSM makes is
//! checked here before anything is written, and so is every signature a
//! ceremony receives (a CSR's, an issuer certificate's).

use der::Encode;
use sha2::{Sha256, Sha384, Sha512};
use signature::Verifier;
use signature::hazmat::PrehashVerifier;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use super::ProfileError;
use super::algorithm::{Hash, PublicKeyKind, SignatureAlgorithm, rsa_public_key};

/// Verifies `signature` (as it stands in an X.509 BIT STRING) over `message`.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), ProfileError> {
    let kind = PublicKeyKind::of(spki)?;
    if kind.family() != Some(alg.family()) {
        return Err(ProfileError::KeyAlgorithmMismatch {
            key: kind.to_string(),
            signature: alg.name(),
        });
    }
    let bad = |_| ProfileError::BadSignature;
    match alg {
        SignatureAlgorithm::Ecdsa(hash) => {
            let point = spki.subject_public_key.raw_bytes();
            let digest = hash.digest(message);
            match kind {
                PublicKeyKind::EcP256 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| ProfileError::BadPublicKey("EC P-256 point".into()))?;
                    let sig = p256::ecdsa::DerSignature::try_from(signature).map_err(bad)?;
                    key.verify_prehash(&digest, &sig).map_err(bad)
                }
                PublicKeyKind::EcP384 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| ProfileError::BadPublicKey("EC P-384 point".into()))?;
                    let sig = p384::ecdsa::DerSignature::try_from(signature).map_err(bad)?;
                    key.verify_prehash(&digest, &sig).map_err(bad)
                }
                PublicKeyKind::EcP521 => {
                    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| ProfileError::BadPublicKey("EC P-521 point".into()))?;
                    let sig = p521::ecdsa::DerSignature::try_from(signature).map_err(bad)?;
                    key.verify_prehash(&digest, &sig).map_err(bad)
                }
                other => Err(ProfileError::UnsupportedKey(other.to_string())),
            }
        }
        SignatureAlgorithm::RsaPkcs1(hash) => {
            use rsa::pkcs1v15::{Signature, VerifyingKey};
            let key = rsa_public_key(spki)?;
            let sig = Signature::try_from(signature).map_err(bad)?;
            match hash {
                Hash::Sha256 => VerifyingKey::<Sha256>::new(key).verify(message, &sig),
                Hash::Sha384 => VerifyingKey::<Sha384>::new(key).verify(message, &sig),
                Hash::Sha512 => VerifyingKey::<Sha512>::new(key).verify(message, &sig),
            }
            .map_err(bad)
        }
        SignatureAlgorithm::RsaPss(hash) => {
            use rsa::pss::{Signature, VerifyingKey};
            let key = rsa_public_key(spki)?;
            let sig = Signature::try_from(signature).map_err(bad)?;
            match hash {
                Hash::Sha256 => VerifyingKey::<Sha256>::new(key).verify(message, &sig),
                Hash::Sha384 => VerifyingKey::<Sha384>::new(key).verify(message, &sig),
                Hash::Sha512 => VerifyingKey::<Sha512>::new(key).verify(message, &sig),
            }
            .map_err(bad)
        }
    }
}

/// Verifies a certificate's signature under the issuer's public key.
pub fn verify_certificate(
    cert: &Certificate,
    issuer: &SubjectPublicKeyInfoOwned,
) -> Result<(), ProfileError> {
    let alg = SignatureAlgorithm::from_identifier(cert.signature_algorithm())?;
    let tbs = cert
        .tbs_certificate()
        .to_der()
        .map_err(ProfileError::Encoding)?;
    let signature = cert
        .signature()
        .as_bytes()
        .ok_or(ProfileError::BadSignature)?;
    verify_signature(issuer, alg, &tbs, signature)
}
