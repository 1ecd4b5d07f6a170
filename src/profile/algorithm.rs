//! Key and signature algorithms as a ceremony file names them, with the
//! identifiers X.509 uses for them.

use std::fmt;
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::{Any, Decode, Encode, asn1::Null};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::ProfileError;

/// The key types the root may have. P-521 is not offered for the root:
/// the ceremony tools and Private CA regions do not all take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcP256,
    EcP384,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    Ec,
}

impl KeyAlgorithm {
    pub const ACCEPTED: &'static str = "rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384";

    pub fn family(self) -> KeyFamily {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => KeyFamily::Rsa,
            Self::EcP256 | Self::EcP384 => KeyFamily::Ec,
        }
    }

    pub fn rsa_bits(self) -> Option<u32> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::EcP256 | Self::EcP384 => None,
        }
    }

    pub fn curve(self) -> Option<ObjectIdentifier> {
        match self {
            Self::EcP256 => Some(rfc5912::SECP_256_R_1),
            Self::EcP384 => Some(rfc5912::SECP_384_R_1),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Rsa2048 => "rsa-2048",
            Self::Rsa3072 => "rsa-3072",
            Self::Rsa4096 => "rsa-4096",
            Self::EcP256 => "ec-p256",
            Self::EcP384 => "ec-p384",
        }
    }

    /// The algorithm of a public key, when it is one the root may have.
    pub fn of_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<Self, ProfileError> {
        match PublicKeyKind::of(spki)? {
            PublicKeyKind::Rsa { bits: 2048, .. } => Ok(Self::Rsa2048),
            PublicKeyKind::Rsa { bits: 3072, .. } => Ok(Self::Rsa3072),
            PublicKeyKind::Rsa { bits: 4096, .. } => Ok(Self::Rsa4096),
            PublicKeyKind::EcP256 => Ok(Self::EcP256),
            PublicKeyKind::EcP384 => Ok(Self::EcP384),
            other => Err(ProfileError::UnsupportedKey(other.to_string())),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "rsa-2048" => Self::Rsa2048,
            "rsa-3072" => Self::Rsa3072,
            "rsa-4096" => Self::Rsa4096,
            "ec-p256" => Self::EcP256,
            "ec-p384" => Self::EcP384,
            _ => return Err(()),
        })
    }
}

/// What a public key is, as far as the ceremonies care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyKind {
    Rsa { bits: usize, exponent: Vec<u8> },
    EcP256,
    EcP384,
    EcP521,
    EcOther(String),
    Other(String),
}

impl PublicKeyKind {
    pub fn of(spki: &SubjectPublicKeyInfoOwned) -> Result<Self, ProfileError> {
        let oid = spki.algorithm.oid;
        if oid == rfc5912::RSA_ENCRYPTION {
            let key = rsa_public_key(spki)?;
            use rsa::traits::PublicKeyParts;
            let bits = key.n().bits() as usize;
            let exponent = key.e().to_be_bytes_trimmed_vartime().to_vec();
            Ok(Self::Rsa { bits, exponent })
        } else if oid == rfc5912::ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            Ok(match curve {
                Some(c) if c == rfc5912::SECP_256_R_1 => Self::EcP256,
                Some(c) if c == rfc5912::SECP_384_R_1 => Self::EcP384,
                Some(c) if c == rfc5912::SECP_521_R_1 => Self::EcP521,
                Some(c) => Self::EcOther(c.to_string()),
                None => Self::EcOther("without named curve".into()),
            })
        } else {
            Ok(Self::Other(oid.to_string()))
        }
    }

    pub fn family(&self) -> Option<KeyFamily> {
        match self {
            Self::Rsa { .. } => Some(KeyFamily::Rsa),
            Self::EcP256 | Self::EcP384 | Self::EcP521 => Some(KeyFamily::Ec),
            _ => None,
        }
    }
}

impl fmt::Display for PublicKeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits, exponent } => {
                write!(f, "RSA {bits} bits, e=0x{}", hex::encode(exponent))
            }
            Self::EcP256 => f.write_str("EC P-256"),
            Self::EcP384 => f.write_str("EC P-384"),
            Self::EcP521 => f.write_str("EC P-521"),
            Self::EcOther(c) => write!(f, "EC curve {c}"),
            Self::Other(oid) => write!(f, "key algorithm {oid}"),
        }
    }
}

pub(crate) fn rsa_public_key(
    spki: &SubjectPublicKeyInfoOwned,
) -> Result<rsa::RsaPublicKey, ProfileError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    rsa::RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes())
        .map_err(|e| ProfileError::BadPublicKey(format!("RSA key: {e}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => rfc5912::ID_SHA_256,
            Self::Sha384 => rfc5912::ID_SHA_384,
            Self::Sha512 => rfc5912::ID_SHA_512,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    fn from_oid(oid: ObjectIdentifier) -> Option<Self> {
        [Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|h| h.oid() == oid)
    }
}

/// A signature algorithm as the ceremony file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Hash),
}

impl SignatureAlgorithm {
    pub const ACCEPTED: &'static str = "rsa-sha256, rsa-sha384, rsa-sha512, rsa-pss-sha256, \
         rsa-pss-sha384, rsa-pss-sha512, ecdsa-sha256, ecdsa-sha384, ecdsa-sha512";

    pub fn family(self) -> KeyFamily {
        match self {
            Self::RsaPkcs1(_) | Self::RsaPss(_) => KeyFamily::Rsa,
            Self::Ecdsa(_) => KeyFamily::Ec,
        }
    }

    pub fn hash(self) -> Hash {
        match self {
            Self::RsaPkcs1(h) | Self::RsaPss(h) | Self::Ecdsa(h) => h,
        }
    }

    pub fn name(self) -> String {
        match self {
            Self::RsaPkcs1(h) => format!("rsa-{}", h.name()),
            Self::RsaPss(h) => format!("rsa-pss-{}", h.name()),
            Self::Ecdsa(h) => format!("ecdsa-{}", h.name()),
        }
    }

    /// The AlgorithmIdentifier in the encodings the CA/Browser Forum
    /// requires byte for byte (NULL parameters for PKCS#1 v1.5, none for
    /// ECDSA, explicit PSS parameters with salt = hash length).
    pub fn identifier(self) -> Result<AlgorithmIdentifierOwned, ProfileError> {
        let (oid, parameters) = match self {
            Self::RsaPkcs1(h) => (
                match h {
                    Hash::Sha256 => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                    Hash::Sha384 => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
                    Hash::Sha512 => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
                },
                Some(Any::from(Null)),
            ),
            Self::Ecdsa(h) => (
                match h {
                    Hash::Sha256 => rfc5912::ECDSA_WITH_SHA_256,
                    Hash::Sha384 => rfc5912::ECDSA_WITH_SHA_384,
                    Hash::Sha512 => rfc5912::ECDSA_WITH_SHA_512,
                },
                None,
            ),
            Self::RsaPss(h) => {
                let params = match h {
                    Hash::Sha256 => rsa::pkcs1::RsaPssParams::new::<Sha256>(32),
                    Hash::Sha384 => rsa::pkcs1::RsaPssParams::new::<Sha384>(48),
                    Hash::Sha512 => rsa::pkcs1::RsaPssParams::new::<Sha512>(64),
                };
                let der = params.to_der().map_err(ProfileError::Encoding)?;
                (
                    rfc5912::ID_RSASSA_PSS,
                    Some(Any::from_der(&der).map_err(ProfileError::Encoding)?),
                )
            }
        };
        Ok(AlgorithmIdentifierOwned { oid, parameters })
    }

    /// Reads an AlgorithmIdentifier back; PSS parameters must be the ones
    /// this tool writes (MGF1 with the same hash, salt = hash length).
    pub fn from_identifier(id: &AlgorithmIdentifierOwned) -> Result<Self, ProfileError> {
        let unsupported = || ProfileError::UnsupportedSignature(id.oid.to_string());
        let candidates = [Hash::Sha256, Hash::Sha384, Hash::Sha512]
            .into_iter()
            .flat_map(|h| [Self::RsaPkcs1(h), Self::Ecdsa(h), Self::RsaPss(h)]);
        for alg in candidates {
            let known = alg.identifier()?;
            if known.oid != id.oid {
                continue;
            }
            match alg {
                Self::RsaPss(_) => {
                    let params = id.parameters.as_ref().ok_or_else(unsupported)?;
                    let der = params.to_der().map_err(ProfileError::Encoding)?;
                    let parsed = rsa::pkcs1::RsaPssParams::<Any>::from_der(&der)
                        .map_err(|_| unsupported())?;
                    let hash = Hash::from_oid(parsed.hash.oid).ok_or_else(unsupported)?;
                    // MGF1 is the only mask generation RFC 8017 defines; another OID
                    // with a hash for parameters is not this tool's encoding.
                    let mgf_hash = parsed
                        .mask_gen
                        .parameters
                        .as_ref()
                        .filter(|_| parsed.mask_gen.oid == rfc5912::ID_MGF_1)
                        .and_then(|p| Hash::from_oid(p.oid));
                    if mgf_hash == Some(hash) && usize::from(parsed.salt_len) == hash.output_len() {
                        return Ok(Self::RsaPss(hash));
                    }
                    return Err(ProfileError::UnsupportedSignature(format!(
                        "RSA-PSS with parameters other than MGF1-{0} and salt length {1} ({0})",
                        hash.name(),
                        hash.output_len()
                    )));
                }
                _ => return Ok(alg),
            }
        }
        Err(unsupported())
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (kind, hash) = s.rsplit_once('-').ok_or(())?;
        let hash = match hash {
            "sha256" => Hash::Sha256,
            "sha384" => Hash::Sha384,
            "sha512" => Hash::Sha512,
            _ => return Err(()),
        };
        match kind {
            "rsa" => Ok(Self::RsaPkcs1(hash)),
            "rsa-pss" => Ok(Self::RsaPss(hash)),
            "ecdsa" => Ok(Self::Ecdsa(hash)),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_name_round_trips() {
        for name in SignatureAlgorithm::ACCEPTED.split(", ") {
            let alg: SignatureAlgorithm = name.trim().parse().expect(name);
            assert_eq!(alg.name(), name.trim());
            let id = alg.identifier().unwrap();
            assert_eq!(SignatureAlgorithm::from_identifier(&id).unwrap(), alg);
        }
    }

    #[test]
    fn pss_sha256_identifier_is_the_cabf_encoding() {
        let id = SignatureAlgorithm::RsaPss(Hash::Sha256)
            .identifier()
            .unwrap();
        assert_eq!(
            hex::encode(id.to_der().unwrap()),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120"
        );
    }

    #[test]
    fn pkcs1_identifier_carries_null_parameters() {
        let id = SignatureAlgorithm::RsaPkcs1(Hash::Sha256)
            .identifier()
            .unwrap();
        assert_eq!(
            hex::encode(id.to_der().unwrap()),
            "300d06092a864886f70d01010b0500"
        );
    }

    #[test]
    fn ecdsa_identifier_has_no_parameters() {
        let id = SignatureAlgorithm::Ecdsa(Hash::Sha384)
            .identifier()
            .unwrap();
        assert_eq!(
            hex::encode(id.to_der().unwrap()),
            "300a06082a8648ce3d040303"
        );
    }

    #[test]
    fn pss_with_a_mask_generation_other_than_mgf1_is_refused() {
        let mut id = SignatureAlgorithm::RsaPss(Hash::Sha256)
            .identifier()
            .unwrap();
        let der = id.parameters.unwrap().to_der().unwrap();
        let mut params = rsa::pkcs1::RsaPssParams::<Any>::from_der(&der).unwrap();
        params.mask_gen.oid = ObjectIdentifier::new_unwrap("1.2.3.4");
        id.parameters = Some(Any::from_der(&params.to_der().unwrap()).unwrap());
        assert!(SignatureAlgorithm::from_identifier(&id).is_err());
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!("ecdsa-sha1".parse::<SignatureAlgorithm>().is_err());
        assert!("ed25519".parse::<SignatureAlgorithm>().is_err());
        assert!("rsa-1024".parse::<KeyAlgorithm>().is_err());
    }
}
