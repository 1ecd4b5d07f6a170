//! Pre-issuance linting: the certificate is first signed by a throwaway
//! software key of the same type and checked; only then does the HSM sign
//! the identical TBS, and the result is checked again.
//!
//! The lint keys are shipped with the binary. They sign certificates that
//! never leave the process, so they need no secrecy, and shipping them
//! spares every RSA-4096 ceremony a second of key generation.

use der::Decode;
use pkcs8::DecodePrivateKey;
use sha2::{Sha256, Sha384, Sha512};
use signature::hazmat::PrehashSigner;
use signature::{RandomizedSigner, SignatureEncoding, Signer};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;

use super::algorithm::{Hash, KeyAlgorithm, SignatureAlgorithm};
use super::checks::{Expected, check};
use super::verify::verify_signature;
use super::{ProfileError, Tbs};

const RSA_2048: &str = include_str!("lint_keys/rsa-2048.pem");
const RSA_3072: &str = include_str!("lint_keys/rsa-3072.pem");
const RSA_4096: &str = include_str!("lint_keys/rsa-4096.pem");
const EC_P256: &str = include_str!("lint_keys/ec-p256.pem");
const EC_P384: &str = include_str!("lint_keys/ec-p384.pem");

fn lint_err(e: impl std::fmt::Display) -> ProfileError {
    ProfileError::LintKey(e.to_string())
}

enum LintKey {
    Rsa(rsa::RsaPrivateKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl LintKey {
    fn load(alg: KeyAlgorithm) -> Result<Self, ProfileError> {
        Ok(match alg {
            KeyAlgorithm::Rsa2048 => {
                Self::Rsa(rsa::RsaPrivateKey::from_pkcs8_pem(RSA_2048).map_err(lint_err)?)
            }
            KeyAlgorithm::Rsa3072 => {
                Self::Rsa(rsa::RsaPrivateKey::from_pkcs8_pem(RSA_3072).map_err(lint_err)?)
            }
            KeyAlgorithm::Rsa4096 => {
                Self::Rsa(rsa::RsaPrivateKey::from_pkcs8_pem(RSA_4096).map_err(lint_err)?)
            }
            KeyAlgorithm::EcP256 => {
                Self::P256(p256::ecdsa::SigningKey::from_pkcs8_pem(EC_P256).map_err(lint_err)?)
            }
            KeyAlgorithm::EcP384 => {
                Self::P384(p384::ecdsa::SigningKey::from_pkcs8_pem(EC_P384).map_err(lint_err)?)
            }
        })
    }

    fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, ProfileError> {
        let der = match self {
            Self::Rsa(k) => k.to_public_key().to_public_key_der(),
            Self::P256(k) => k.verifying_key().to_public_key_der(),
            Self::P384(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(lint_err)?;
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(ProfileError::Encoding)
    }

    fn sign(&self, alg: SignatureAlgorithm, tbs: &[u8]) -> Result<Vec<u8>, ProfileError> {
        let digest = alg.hash().digest(tbs);
        let mut rng = getrandom::SysRng;
        match (self, alg) {
            (Self::P256(k), SignatureAlgorithm::Ecdsa(_)) => {
                let sig: p256::ecdsa::Signature = k.sign_prehash(&digest).map_err(lint_err)?;
                Ok(sig.to_der().to_vec())
            }
            (Self::P384(k), SignatureAlgorithm::Ecdsa(_)) => {
                let sig: p384::ecdsa::Signature = k.sign_prehash(&digest).map_err(lint_err)?;
                Ok(sig.to_der().to_vec())
            }
            (Self::Rsa(k), SignatureAlgorithm::RsaPkcs1(h)) => {
                use rsa::pkcs1v15::SigningKey;
                let k = k.clone();
                Ok(match h {
                    Hash::Sha256 => SigningKey::<Sha256>::new(k).try_sign(tbs),
                    Hash::Sha384 => SigningKey::<Sha384>::new(k).try_sign(tbs),
                    Hash::Sha512 => SigningKey::<Sha512>::new(k).try_sign(tbs),
                }
                .map_err(lint_err)?
                .to_vec())
            }
            (Self::Rsa(k), SignatureAlgorithm::RsaPss(h)) => {
                use rsa::pss::SigningKey;
                let k = k.clone();
                Ok(match h {
                    Hash::Sha256 => SigningKey::<Sha256>::new(k).try_sign_with_rng(&mut rng, tbs),
                    Hash::Sha384 => SigningKey::<Sha384>::new(k).try_sign_with_rng(&mut rng, tbs),
                    Hash::Sha512 => SigningKey::<Sha512>::new(k).try_sign_with_rng(&mut rng, tbs),
                }
                .map_err(lint_err)?
                .to_vec())
            }
            _ => Err(ProfileError::KeyAlgorithmMismatch {
                key: "lint".into(),
                signature: alg.name(),
            }),
        }
    }
}

/// Builds the TBS twice, once for the lint key and once for the issuer's
/// key; signs and checks the lint copy; returns the issuer's TBS, which is
/// refused unless byte-identical to the one that passed the checks, and
/// the lint certificate for any further pre-issuance rules.
pub fn prepare<P: BuilderProfile>(
    make: impl Fn(SubjectPublicKeyInfoOwned) -> Result<Tbs<P>, ProfileError>,
    issuer_key: &SubjectPublicKeyInfoOwned,
    issuer_key_algorithm: KeyAlgorithm,
    expected: &Expected,
) -> Result<(Tbs<P>, Certificate), ProfileError> {
    let lint_key = LintKey::load(issuer_key_algorithm)?;
    let lint_public = lint_key.public_key()?;
    let lint_tbs = make(lint_public.clone())?;
    let lint_signature = lint_key.sign(lint_tbs.algorithm(), &lint_tbs.der)?;
    let linted_der = lint_tbs.der.clone();
    let lint_cert = lint_tbs.assemble(&lint_signature)?;
    check(&lint_cert, expected, &lint_public)?;

    let tbs = make(issuer_key.clone())?;
    if tbs.der != linted_der {
        return Err(ProfileError::Builder(
            "the TBS for the HSM differs from the one that passed the checks".into(),
        ));
    }
    Ok((tbs, lint_cert))
}

/// Takes the HSM's signature: verifies it in software, assembles the
/// certificate, parses it back and checks it again.
pub fn finish<P: BuilderProfile>(
    tbs: Tbs<P>,
    signature: &[u8],
    issuer_key: &SubjectPublicKeyInfoOwned,
    expected: &Expected,
) -> Result<Certificate, ProfileError> {
    verify_signature(issuer_key, tbs.algorithm(), &tbs.der, signature)?;
    let cert = tbs.assemble(signature)?;
    let der = der::Encode::to_der(&cert)?;
    let parsed = Certificate::from_der(&der)?;
    check(&parsed, expected, issuer_key)?;
    Ok(parsed)
}

/// Signs `tbs` (any to-be-signed bytes: a CRL's) with the lint key of
/// `key_algorithm`, returning the signature and the lint key's public key.
pub fn lint_sign(
    key_algorithm: KeyAlgorithm,
    signature: SignatureAlgorithm,
    tbs: &[u8],
) -> Result<(Vec<u8>, SubjectPublicKeyInfoOwned), ProfileError> {
    let key = LintKey::load(key_algorithm)?;
    Ok((key.sign(signature, tbs)?, key.public_key()?))
}

/// Checks a certificate signed earlier (by an interrupted run of the same
/// ceremony) as `finish` checks a fresh one: its signature under the
/// issuer's key, then every check.
pub fn check_signed(
    cert: &Certificate,
    algorithm: crate::profile::algorithm::SignatureAlgorithm,
    issuer_key: &SubjectPublicKeyInfoOwned,
    expected: &Expected,
) -> Result<(), ProfileError> {
    let tbs = der::Encode::to_der(cert.tbs_certificate())?;
    verify_signature(issuer_key, algorithm, &tbs, cert.signature().raw_bytes())?;
    check(cert, expected, issuer_key)?;
    Ok(())
}
