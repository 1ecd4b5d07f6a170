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
