//! Signing with the root key. The digest is computed here and the HSM
//! signs it in one call: CloudHSM has no multi-part signing and SoftHSM no
//! ECDSA-with-hash mechanisms, so this is the form every module accepts.

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use der::Encode;
use der::asn1::OctetStringRef;
use spki::AlgorithmIdentifierRef;

use super::{HsmError, KeyPair, Token, call};
use crate::profile::algorithm::{Hash, SignatureAlgorithm};

/// DigestInfo (RFC 8017 section 9.2), what CKM_RSA_PKCS signs.
#[derive(der::Sequence)]
struct DigestInfo<'a> {
    algorithm: AlgorithmIdentifierRef<'a>,
    digest: &'a OctetStringRef,
}

fn bad_signature(reason: impl ToString) -> HsmError {
    HsmError::BadResponse {
        what: "signature",
        reason: reason.to_string(),
    }
}

impl Token {
    /// Signs `message` with `alg`; returns the signature as X.509 carries
    /// it (DER ECDSA-Sig-Value for ECDSA, the raw block for RSA).
    pub fn sign(
        &self,
        key: &KeyPair,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        if alg.family() != key.algorithm.family() {
            return Err(HsmError::KeyType {
                label: key.label.clone(),
                found: key.algorithm.to_string(),
                expected: format!("a key that can make {alg} signatures"),
            });
        }
        let hash = alg.hash();
        let digest = hash.digest(message);
        let sign = |mechanism: &Mechanism, data: &[u8]| {
            self.session
                .sign(mechanism, key.private, data)
                .map_err(call("signing"))
        };
        match alg {
            SignatureAlgorithm::Ecdsa(_) => {
                let raw = sign(&Mechanism::Ecdsa, &digest)?;
                ecdsa_raw_to_der(key, &raw)
            }
            SignatureAlgorithm::RsaPkcs1(_) => {
                let info = DigestInfo {
                    algorithm: AlgorithmIdentifierRef {
                        oid: hash.oid(),
                        parameters: Some(der::asn1::AnyRef::NULL),
                    },
                    digest: OctetStringRef::new(&digest).map_err(bad_signature)?,
                }
                .to_der()
                .map_err(bad_signature)?;
                sign(&Mechanism::RsaPkcs, &info)
            }
            SignatureAlgorithm::RsaPss(_) => {
                let (hash_alg, mgf) = match hash {
                    Hash::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
                    Hash::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
                    Hash::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
                };
                let params = PkcsPssParams {
                    hash_alg,
                    mgf,
                    s_len: (hash.output_len() as u64).into(),
                };
                sign(&Mechanism::RsaPkcsPss(params), &digest)
            }
        }
    }
}

/// PKCS#11 returns r||s; X.509 wants the DER SEQUENCE of two INTEGERs.
fn ecdsa_raw_to_der(key: &KeyPair, raw: &[u8]) -> Result<Vec<u8>, HsmError> {
    use crate::profile::algorithm::KeyAlgorithm;
    let der = match key.algorithm {
        KeyAlgorithm::EcP256 => {
            p256::ecdsa::Signature::from_slice(raw).map(|s| s.to_der().as_bytes().to_vec())
        }
        KeyAlgorithm::EcP384 => {
            p384::ecdsa::Signature::from_slice(raw).map(|s| s.to_der().as_bytes().to_vec())
        }
        _ => return Err(bad_signature("ECDSA signature from a non-EC key")),
    };
    der.map_err(|e| bad_signature(format!("ECDSA r||s of {} bytes: {e}", raw.len())))
}
