//! What a certificate says, and whether it is self-signed.

use der::Decode;
use serde::Serialize;
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

use super::algorithms::{public_key_description, signature_algorithm_name, spki_sha256};
use super::extensions::{ExtensionInfo, describe_extension, find_extension};
use super::values::{TimeInfo, serial_hex, time_info};
use crate::profile::ProfileError;
use crate::profile::algorithm::PublicKeyKind;
use crate::profile::verify::verify_certificate;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateDetails {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: TimeInfo,
    pub not_after: TimeInfo,
    pub signature_algorithm: String,
    pub public_key: String,
    /// SHA-256 of the SubjectPublicKeyInfo DER, to compare keys across documents.
    pub public_key_sha256: String,
    /// Issuer equals subject and the signature verifies under the certificate's own key; for
    /// a signature rootca cannot check, issuer equals subject and the key identifiers (when
    /// both present) agree. `self_signature` says which.
    pub self_signed: bool,
    /// How `self_signed` was decided; the text shows it, the JSON keeps `self_signed` alone.
    #[serde(skip)]
    pub self_signature: SelfSignature,
    pub extensions: Vec<ExtensionInfo>,
}

/// Whether a certificate is signed by its own key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelfSignature {
    /// Issuer and subject differ.
    OtherIssuer,
    /// Issuer equals subject and the signature verifies under the certificate's own key.
    Verified,
    /// Issuer equals subject but the signature does not verify under the certificate's own
    /// key: another key of that name signed it (a re-keyed CA), or it was altered.
    OtherKey,
    /// Issuer equals subject; rootca cannot check this signature, so only the key identifiers
    /// were compared (they agree when either is absent).
    Unchecked { key_ids_agree: bool, reason: String },
}

impl SelfSignature {
    fn of(cert: &Certificate) -> Self {
        let tbs = cert.tbs_certificate();
        if tbs.issuer() != tbs.subject() {
            return SelfSignature::OtherIssuer;
        }
        let own_key = tbs.subject_public_key_info();
        match verify_certificate(cert, own_key) {
            Ok(()) => SelfSignature::Verified,
            Err(ProfileError::BadSignature) => SelfSignature::OtherKey,
            // A key of the other family cannot have made the signature; a key of no family
            // rootca knows (another curve) only cannot be checked.
            Err(ProfileError::KeyAlgorithmMismatch { .. })
                if PublicKeyKind::of(own_key).is_ok_and(|k| k.family().is_some()) =>
            {
                SelfSignature::OtherKey
            }
            Err(e) => SelfSignature::Unchecked {
                key_ids_agree: key_identifiers_agree(tbs.extensions()),
                reason: e.to_string(),
            },
        }
    }

    pub fn is_self_signed(&self) -> bool {
        match self {
            SelfSignature::Verified => true,
            SelfSignature::Unchecked { key_ids_agree, .. } => *key_ids_agree,
            SelfSignature::OtherIssuer | SelfSignature::OtherKey => false,
        }
    }
}

/// The subject and authority key identifiers agree, or one of them is absent.
fn key_identifiers_agree(extensions: Option<&Vec<Extension>>) -> bool {
    let ski = find_extension(extensions, "2.5.29.14")
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok());
    let aki = find_extension(extensions, "2.5.29.35")
        .and_then(|e| AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .and_then(|a| a.key_identifier);
    match (ski, aki) {
        (Some(ski), Some(aki)) => ski.0 == aki,
        _ => true,
    }
}

pub(super) fn details(cert: &Certificate) -> CertificateDetails {
    let tbs = cert.tbs_certificate();
    let extensions: &[Extension] = tbs.extensions().map_or(&[], |e| e.as_slice());
    let self_signature = SelfSignature::of(cert);
    CertificateDetails {
        subject: tbs.subject().to_string(),
        issuer: tbs.issuer().to_string(),
        serial: serial_hex(tbs.serial_number().as_bytes()),
        not_before: time_info(&tbs.validity().not_before),
        not_after: time_info(&tbs.validity().not_after),
        signature_algorithm: signature_algorithm_name(cert.signature_algorithm()),
        public_key: public_key_description(tbs.subject_public_key_info()),
        public_key_sha256: spki_sha256(tbs.subject_public_key_info()),
        self_signed: self_signature.is_self_signed(),
        self_signature,
        extensions: extensions.iter().map(describe_extension).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC_ROOT: &[u8] = include_bytes!("../../tests/fixtures/ec-root.der");
    const RSA_ROOT: &[u8] = include_bytes!("../../tests/fixtures/gt-2050.der");
    const ISSUED_CA: &[u8] = include_bytes!("../../tests/fixtures/rsa-nc-ca.der");
    /// ecdsa-with-SHA384, as the EC root's signatureAlgorithm.
    const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];

    fn self_signature(der: &[u8]) -> SelfSignature {
        match Certificate::from_der(der) {
            Ok(cert) => SelfSignature::of(&cert),
            Err(e) => panic!("{e}"),
        }
    }

    /// `der` with the last occurrence of `from` replaced by the same-length `to`.
    fn replace_last(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = der.windows(from.len()).rposition(|w| w == from);
        let Some(at) = at else {
            panic!("{from:02x?} not found")
        };
        let mut out = der.to_vec();
        out[at..at + to.len()].copy_from_slice(to);
        out
    }

    /// The EC root under a signature algorithm rootca does not know (1.2.840.10045.4.3.9).
    fn with_unknown_signature_algorithm(der: &[u8]) -> Vec<u8> {
        let mut unknown = ECDSA_SHA384.to_vec();
        unknown[7] = 0x09;
        replace_last(der, ECDSA_SHA384, &unknown)
    }

    #[test]
    fn roots_whose_signature_verifies_are_self_signed() {
        assert_eq!(self_signature(EC_ROOT), SelfSignature::Verified);
        assert_eq!(self_signature(RSA_ROOT), SelfSignature::Verified);
    }

    #[test]
    fn a_certificate_from_another_issuer_is_not_self_signed() {
        assert_eq!(self_signature(ISSUED_CA), SelfSignature::OtherIssuer);
        assert!(!SelfSignature::OtherIssuer.is_self_signed());
    }

    #[test]
    fn a_root_whose_signature_fails_is_not_self_signed() {
        let mut altered = EC_ROOT.to_vec();
        if let Some(last) = altered.last_mut() {
            *last ^= 0x01;
        }
        let s = self_signature(&altered);
        assert_eq!(s, SelfSignature::OtherKey);
        assert!(!s.is_self_signed());
    }

    #[test]
    fn an_uncheckable_signature_falls_back_on_the_key_identifiers() {
        let s = self_signature(&with_unknown_signature_algorithm(EC_ROOT));
        assert!(
            matches!(
                s,
                SelfSignature::Unchecked {
                    key_ids_agree: true,
                    ..
                }
            ),
            "{s:?}"
        );
        assert!(s.is_self_signed());
    }

    #[test]
    fn an_uncheckable_signature_with_differing_key_identifiers_is_not_self_signed() {
        let Some(ski) = Certificate::from_der(EC_ROOT).ok().and_then(|c| {
            find_extension(c.tbs_certificate().extensions(), "2.5.29.14")
                .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        }) else {
            panic!("the EC root has no subjectKeyIdentifier")
        };
        let ski = ski.0.as_bytes().to_vec();
        let mut other = ski.clone();
        other[0] ^= 0x01;
        // Whichever copy (SKI or AKI) is changed, the two now differ.
        let der = replace_last(&with_unknown_signature_algorithm(EC_ROOT), &ski, &other);
        let s = self_signature(&der);
        assert!(
            matches!(
                s,
                SelfSignature::Unchecked {
                    key_ids_agree: false,
                    ..
                }
            ),
            "{s:?}"
        );
        assert!(!s.is_self_signed());
    }
}
