//! Signature algorithms and public keys named.

use der::asn1::{Any, ObjectIdentifier, Uint};
use der::{Decode, Encode, Sequence};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::values::{oid_name, oid_text, uint_text};
use crate::output::sha256_hex;

fn hash_name(oid: &ObjectIdentifier) -> String {
    match oid_name(oid) {
        Some(name) if name.starts_with("sha") => name.to_string(),
        _ => format!("unknown hash {oid}"),
    }
}

/// RSASSA-PSS-params (RFC 4055); absent fields take their DEFAULT (SHA-1, MGF1-SHA-1, 20).
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

/// Signature algorithms in the ceremony file's spelling (`ecdsa-sha384`, `rsa-pss-sha256`).
pub(super) fn signature_algorithm_name(alg: &AlgorithmIdentifierOwned) -> String {
    let name = match alg.oid.to_string().as_str() {
        "1.2.840.10045.4.3.2" => "ecdsa-sha256",
        "1.2.840.10045.4.3.3" => "ecdsa-sha384",
        "1.2.840.10045.4.3.4" => "ecdsa-sha512",
        "1.2.840.113549.1.1.11" => "rsa-sha256",
        "1.2.840.113549.1.1.12" => "rsa-sha384",
        "1.2.840.113549.1.1.13" => "rsa-sha512",
        "1.2.840.113549.1.1.14" => "rsa-sha224",
        "1.2.840.113549.1.1.5" => "rsa-sha1 (weak)",
        "1.3.101.112" => "ed25519",
        "1.3.101.113" => "ed448",
        "1.2.840.113549.1.1.10" => return pss_name(alg.parameters.as_ref()),
        _ => return format!("{} ({})", oid_text(&alg.oid), alg.oid),
    };
    name.to_string()
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
        Some(m) if m.oid.to_string() == "1.2.840.113549.1.1.8" => {
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

/// RSAPublicKey (RFC 8017).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RsaPublicKey {
    modulus: Uint,
    public_exponent: Uint,
}

pub(super) fn public_key_description(spki: &SubjectPublicKeyInfoOwned) -> String {
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
            match curve.map(|c| (c.to_string(), c)) {
                Some((s, _)) if s == "1.2.840.10045.3.1.7" => "EC P-256".to_string(),
                Some((s, _)) if s == "1.3.132.0.34" => "EC P-384".to_string(),
                Some((s, _)) if s == "1.3.132.0.35" => "EC P-521".to_string(),
                Some((s, _)) if s == "1.3.132.0.10" => "EC secp256k1".to_string(),
                Some((_, c)) => format!("EC, curve {}", oid_text(&c)),
                None => "EC, explicit or missing curve parameters".to_string(),
            }
        }
        "1.3.101.112" => "Ed25519".to_string(),
        "1.3.101.113" => "Ed448".to_string(),
        _ => format!("{} ({})", oid_text(&spki.algorithm.oid), spki.algorithm.oid),
    }
}

fn rsa_description(family: &str, key: &[u8]) -> String {
    let Ok(key) = RsaPublicKey::from_der(key) else {
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
    fn unknown_signature_algorithm_shows_its_oid() {
        assert!(signature_algorithm_name(&alg("1.2.3.4", None)).contains("1.2.3.4"));
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
