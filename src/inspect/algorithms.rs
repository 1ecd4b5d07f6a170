//! Signature algorithms and public keys named. What rootca itself signs with and holds is
//! named by `profile::algorithm`, so inspect and the ceremonies agree; anything else an
//! officer may be handed (SHA-1, Ed25519, other PSS parameters, other curves, RSA keys the
//! `rsa` crate refuses) is named here.

use der::asn1::{Any, ObjectIdentifier, Uint};
use der::{Decode, Encode, Sequence};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::values::{oid_name, oid_text, uint_text, unsigned_text};
use crate::output::sha256_hex;
use crate::profile::algorithm::{PublicKeyKind, SignatureAlgorithm};

/// Signature algorithms in the ceremony file's spelling (`ecdsa-sha384`, `rsa-pss-sha256`).
pub(super) fn signature_algorithm_name(alg: &AlgorithmIdentifierOwned) -> String {
    match SignatureAlgorithm::from_identifier(alg) {
        // The PSS parameters are spelled out: they are what an officer compares.
        Ok(pss @ SignatureAlgorithm::RsaPss(hash)) => format!(
            "{} (hash {h}, MGF1 with {h}, salt {} bytes)",
            pss.name(),
            hash.output_len(),
            h = hash.name()
        ),
        Ok(known) => known.name(),
        Err(_) => other_signature_algorithm_name(alg),
    }
}

/// Algorithms rootca does not sign with.
fn other_signature_algorithm_name(alg: &AlgorithmIdentifierOwned) -> String {
    let name = match alg.oid.to_string().as_str() {
        "1.2.840.113549.1.1.14" => "rsa-sha224",
        "1.2.840.113549.1.1.5" => "rsa-sha1 (weak)",
        "1.3.101.112" => "ed25519",
        "1.3.101.113" => "ed448",
        "1.2.840.113549.1.1.10" => return pss_name(alg.parameters.as_ref()),
        _ => return format!("{} ({})", oid_text(&alg.oid), alg.oid),
    };
    name.to_string()
}

fn hash_name(oid: &ObjectIdentifier) -> String {
    match oid_name(oid) {
        Some(name) if name.starts_with("sha") => name.to_string(),
        _ => format!("unknown hash {oid}"),
    }
}

/// RSASSA-PSS-params (RFC 4055); absent fields take their DEFAULT (SHA-1, MGF1-SHA-1, 20).
/// Not the `rsa` crate's type: that one refuses what it cannot use (a salt over 255 bytes,
/// another trailer field, mask-generation parameters that are no algorithm), and an officer
/// is shown those.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_len: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer: Option<u32>,
}

fn pss_name(params: Option<&Any>) -> String {
    let Some(params) = params else {
        return "rsa-pss (parameters missing)".to_string();
    };
    let params = match params.decode_as::<PssParams>() {
        Ok(p) => p,
        Err(e) => return format!("rsa-pss (undecodable parameters: {e})"),
    };
    let hash = params
        .hash
        .as_ref()
        .map_or_else(|| "sha1".to_string(), |h| hash_name(&h.oid));
    let mgf = match &params.mask_gen {
        None => "MGF1 with sha1".to_string(),
        Some(m) if m.oid == const_oid::db::rfc5912::ID_MGF_1 => {
            let inner = m
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok())
                .map_or_else(|| "unknown hash".to_string(), |h| hash_name(&h.oid));
            format!("MGF1 with {inner}")
        }
        Some(m) => format!("mask generation {}", m.oid),
    };
    let salt = params.salt_len.unwrap_or(20);
    format!("rsa-pss-{hash} (hash {hash}, {mgf}, salt {salt} bytes)")
}

pub(super) fn public_key_description(spki: &SubjectPublicKeyInfoOwned) -> String {
    match PublicKeyKind::of(spki) {
        Ok(PublicKeyKind::Rsa { bits, exponent }) => {
            format!("RSA {bits} bits, e={}", unsigned_text(&exponent))
        }
        Ok(named @ (PublicKeyKind::EcP256 | PublicKeyKind::EcP384 | PublicKeyKind::EcP521)) => {
            named.to_string()
        }
        _ => other_public_key_description(spki),
    }
}

/// Keys rootca has no name for, and RSA keys the `rsa` crate refuses (over 4096 bits).
fn other_public_key_description(spki: &SubjectPublicKeyInfoOwned) -> String {
    let key_bits = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => rsa_description("RSA", key_bits),
        "1.2.840.113549.1.1.10" => rsa_description("RSA-PSS", key_bits),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            match curve {
                Some(c) if c.to_string() == "1.3.132.0.10" => "EC secp256k1".to_string(),
                Some(c) => format!("EC, curve {}", oid_text(&c)),
                None => "EC, explicit or missing curve parameters".to_string(),
            }
        }
        "1.3.101.112" => "Ed25519".to_string(),
        "1.3.101.113" => "Ed448".to_string(),
        _ => format!("{} ({})", oid_text(&spki.algorithm.oid), spki.algorithm.oid),
    }
}

fn rsa_description(family: &str, key: &[u8]) -> String {
    let Ok(key) = rsa::pkcs1::RsaPublicKey::<Uint>::from_der(key) else {
        return format!("{family}, undecodable key");
    };
    let modulus = key.modulus.as_bytes();
    let bits = match modulus.iter().position(|b| *b != 0) {
        Some(i) => {
            let lead = modulus.get(i).copied().unwrap_or(0);
            (modulus.len() - i - 1) * 8 + (8 - lead.leading_zeros() as usize)
        }
        None => 0,
    };
    format!(
        "{family} {bits} bits, e={}",
        uint_text(&key.public_exponent)
    )
}

/// SHA-256 of the SubjectPublicKeyInfo DER, to compare keys across documents.
pub(super) fn spki_sha256(spki: &SubjectPublicKeyInfoOwned) -> String {
    spki.to_der()
        .map(|d| sha256_hex(&d))
        .unwrap_or_else(|e| format!("unavailable ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Tag;

    fn alg(s: &str, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
        match ObjectIdentifier::new(s) {
            Ok(oid) => AlgorithmIdentifierOwned { oid, parameters },
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn signature_algorithms_use_the_ceremony_file_spelling() {
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.10045.4.3.3", None)),
            "ecdsa-sha384"
        );
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.11", None)),
            "rsa-sha256"
        );
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.13", None)),
            "rsa-sha512"
        );
    }

    #[test]
    fn algorithms_rootca_does_not_sign_with_are_named_too() {
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.5", None)),
            "rsa-sha1 (weak)"
        );
        assert_eq!(
            signature_algorithm_name(&alg("1.3.101.112", None)),
            "ed25519"
        );
    }

    #[test]
    fn unknown_signature_algorithm_shows_its_oid() {
        assert!(signature_algorithm_name(&alg("1.2.3.4", None)).contains("1.2.3.4"));
    }

    #[test]
    fn pss_as_rootca_writes_it_shows_its_parameters() {
        let id = SignatureAlgorithm::RsaPss(crate::profile::algorithm::Hash::Sha384).identifier();
        assert_eq!(
            id.map(|id| signature_algorithm_name(&id)).ok().as_deref(),
            Some("rsa-pss-sha384 (hash sha384, MGF1 with sha384, salt 48 bytes)")
        );
    }

    #[test]
    fn pss_with_empty_parameters_takes_the_rfc_4055_defaults() {
        let params = Any::new(Tag::Sequence, Vec::new()).ok();
        assert_eq!(
            signature_algorithm_name(&alg("1.2.840.113549.1.1.10", params)),
            "rsa-pss-sha1 (hash sha1, MGF1 with sha1, salt 20 bytes)"
        );
    }

    #[test]
    fn pss_without_parameters_says_so() {
        assert!(signature_algorithm_name(&alg("1.2.840.113549.1.1.10", None)).contains("missing"));
    }
}
