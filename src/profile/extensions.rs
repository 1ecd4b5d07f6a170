//! The extensions rootca puts into CA certificates, each with the
//! criticality RFC 5280 and the CA/Browser Forum ask for, set here
//! explicitly rather than left to library defaults.

use const_oid::{AssociatedOid, ObjectIdentifier};
use der::Encode;
use der::asn1::{Ia5String, OctetString};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};

use super::ProfileError;

pub fn extension<T: Encode + AssociatedOid>(
    value: &T,
    critical: bool,
) -> Result<Extension, ProfileError> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

pub fn basic_constraints(path_len: Option<u8>) -> Result<Extension, ProfileError> {
    extension(
        &BasicConstraints {
            ca: true,
            path_len_constraint: path_len,
        },
        true,
    )
}

pub fn ca_key_usage(digital_signature: bool) -> Result<Extension, ProfileError> {
    let mut usages = KeyUsages::KeyCertSign | KeyUsages::CRLSign;
    if digital_signature {
        usages |= KeyUsages::DigitalSignature;
    }
    extension(&KeyUsage(usages), true)
}

/// RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. Private CA and
/// OpenSSL compute it the same way, so chains built by either match up.
pub fn key_identifier(spk: SubjectPublicKeyInfoRef<'_>) -> Result<Vec<u8>, ProfileError> {
    let ski = SubjectKeyIdentifier::try_from(spk)
        .map_err(|e| ProfileError::Builder(format!("subject key identifier: {e}")))?;
    Ok(ski.0.as_bytes().to_vec())
}

pub fn subject_key_identifier(key_id: &[u8]) -> Result<Extension, ProfileError> {
    extension(&SubjectKeyIdentifier(OctetString::new(key_id)?), false)
}

pub fn authority_key_identifier(key_id: &[u8]) -> Result<Extension, ProfileError> {
    extension(
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(key_id)?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
        false,
    )
}

fn uri(url: &str) -> Result<GeneralName, ProfileError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(url)?))
}

pub fn crl_distribution_points(urls: &[String]) -> Result<Extension, ProfileError> {
    let points = urls
        .iter()
        .map(|u| {
            Ok(DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![uri(u)?])),
                reasons: None,
                crl_issuer: None,
            })
        })
        .collect::<Result<Vec<_>, ProfileError>>()?;
    extension(&CrlDistributionPoints(points), false)
}

pub fn authority_info_access(ca_issuers: &[String]) -> Result<Extension, ProfileError> {
    let access = ca_issuers
        .iter()
        .map(|u| {
            Ok(AccessDescription {
                access_method: const_oid::db::rfc5280::ID_AD_CA_ISSUERS,
                access_location: uri(u)?,
            })
        })
        .collect::<Result<Vec<_>, ProfileError>>()?;
    extension(&AuthorityInfoAccessSyntax(access), false)
}

pub fn certificate_policies(oids: &[ObjectIdentifier]) -> Result<Extension, ProfileError> {
    let policies = oids
        .iter()
        .map(|oid| PolicyInformation {
            policy_identifier: *oid,
            policy_qualifiers: None,
        })
        .collect();
    extension(&CertificatePolicies(policies), false)
}

/// A name of the issuer for issuerAltName: `mailto:` gives an rfc822Name,
/// an `http://` or `https://` URL a URI (ISO/IEC 18013-5 allows those two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AltName {
    Email(String),
    Uri(String),
}

impl AltName {
    /// Reads "mailto:pki@dmv.example.gov" or "https://dmv.example.gov".
    pub fn parse(s: &str) -> Result<Self, String> {
        let printable = s.is_ascii() && !s.contains(char::is_whitespace) && !s.is_empty();
        if let Some(email) = s.strip_prefix("mailto:") {
            let ok = printable
                && email
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
            return if ok {
                Ok(Self::Email(email.to_string()))
            } else {
                Err(format!(
                    "\"{}\" is not an e-mail address such as mailto:pki@dmv.example.gov",
                    s.escape_debug()
                ))
            };
        }
        if printable && (s.starts_with("https://") || s.starts_with("http://")) {
            return Ok(Self::Uri(s.to_string()));
        }
        Err(format!(
            "\"{}\" is neither mailto:ADDRESS nor an http:// or https:// URL",
            s.escape_debug()
        ))
    }
}

impl std::fmt::Display for AltName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Email(e) => write!(f, "email:{e}"),
            Self::Uri(u) => write!(f, "URI:{u}"),
        }
    }
}

pub fn issuer_alt_name(names: &[AltName]) -> Result<Extension, ProfileError> {
    let names = names
        .iter()
        .map(|n| {
            Ok(match n {
                AltName::Email(e) => GeneralName::Rfc822Name(Ia5String::new(e)?),
                AltName::Uri(u) => uri(u)?,
            })
        })
        .collect::<Result<Vec<_>, ProfileError>>()?;
    extension(&x509_cert::ext::pkix::IssuerAltName(names), false)
}

/// keyUsage (critical) of an end-entity signer: digitalSignature only.
pub fn signer_key_usage() -> Result<Extension, ProfileError> {
    extension(&KeyUsage(KeyUsages::DigitalSignature.into()), true)
}

/// extKeyUsage (critical) with exactly `oids`.
pub fn extended_key_usage(oids: &[ObjectIdentifier]) -> Result<Extension, ProfileError> {
    extension(&x509_cert::ext::pkix::ExtendedKeyUsage(oids.to_vec()), true)
}
