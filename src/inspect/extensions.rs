//! Extensions decoded into words: each one rootca knows, line by line; any other by OID,
//! length and the first bytes in hex.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use der::Decode;
use der::asn1::{GeneralizedTime, ObjectIdentifier};
use der::{Tag, Tagged};
use serde::Serialize;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, CrlNumber, CrlReason, ExtendedKeyUsage, InhibitAnyPolicy,
    IssuingDistributionPoint, KeyUsage, PolicyConstraints, PolicyMappings, SubjectAltName,
    SubjectKeyIdentifier,
};

use super::values::{any_to_text, colon_hex, oid_text, serial_hex, uint_text};
use crate::profile::name_constraints::NameConstraints;

/// Longest extension value shown in hex when rootca cannot decode it.
const HEX_PREVIEW_BYTES: usize = 32;

/// The name `ExtensionInfo` carries for an extension neither rootca nor const-oid knows.
pub(super) const UNKNOWN_EXTENSION: &str = "unknown extension";

/// One extension, named and decoded into readable lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionInfo {
    pub oid: String,
    /// The usual name (`basicConstraints`), or `unknown extension`.
    pub name: String,
    pub critical: bool,
    #[serde(rename = "value")]
    pub lines: Vec<String>,
}

pub(super) fn find_extension<'a>(
    extensions: Option<&'a Vec<Extension>>,
    oid: &str,
) -> Option<&'a Extension> {
    extensions?.iter().find(|e| e.extn_id.to_string() == oid)
}

pub(super) fn describe_extension(ext: &Extension) -> ExtensionInfo {
    let value = ext.extn_value.as_bytes();
    let lines = match decode_extension(&ext.extn_id, value) {
        Some(Ok(lines)) => lines,
        Some(Err(e)) => vec![format!(
            "could not decode ({e}); {} bytes: {}",
            value.len(),
            hex_preview(value)
        )],
        None => vec![format!(
            "not decoded by rootca; {} bytes: {}",
            value.len(),
            hex_preview(value)
        )],
    };
    ExtensionInfo {
        oid: ext.extn_id.to_string(),
        name: extension_name(&ext.extn_id),
        critical: ext.critical,
        lines,
    }
}

fn extension_name(oid: &ObjectIdentifier) -> String {
    let known = match oid.to_string().as_str() {
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "reasonCode",
        "2.5.29.24" => "invalidityDate",
        "2.5.29.27" => "deltaCRLIndicator",
        "2.5.29.28" => "issuingDistributionPoint",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.33" => "policyMappings",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.37" => "extendedKeyUsage",
        "2.5.29.46" => "freshestCRL",
        "2.5.29.54" => "inhibitAnyPolicy",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.1.11" => "subjectInfoAccess",
        "1.3.6.1.4.1.11129.2.4.2" => "signedCertificateTimestampList",
        _ => "",
    };
    if known.is_empty() {
        const_oid::db::DB
            .by_oid(oid)
            .map_or_else(|| UNKNOWN_EXTENSION.to_string(), str::to_string)
    } else {
        known.to_string()
    }
}

fn hex_preview(bytes: &[u8]) -> String {
    match bytes.get(..HEX_PREVIEW_BYTES) {
        Some(head) if bytes.len() > HEX_PREVIEW_BYTES => format!("{}...", hex::encode(head)),
        _ => hex::encode(bytes),
    }
}

/// The readable value of an extension rootca knows, `None` for one it does not.
fn decode_extension(oid: &ObjectIdentifier, value: &[u8]) -> Option<Result<Vec<String>, String>> {
    let err = |e: der::Error| e.to_string();
    Some(match oid.to_string().as_str() {
        "2.5.29.19" => BasicConstraints::from_der(value).map_err(err).map(|bc| {
            let path = match (bc.ca, bc.path_len_constraint) {
                (false, _) => String::new(),
                (true, Some(n)) => format!(", pathLen: {n}"),
                (true, None) => ", pathLen: none (no limit)".to_string(),
            };
            vec![format!("CA: {}{path}", bc.ca)]
        }),
        "2.5.29.15" => KeyUsage::from_der(value)
            .map_err(err)
            .map(|ku| vec![key_usage_text(&ku)]),
        "2.5.29.14" => SubjectKeyIdentifier::from_der(value)
            .map_err(err)
            .map(|ski| vec![colon_hex(ski.0.as_bytes())]),
        "2.5.29.35" => AuthorityKeyIdentifier::from_der(value)
            .map_err(err)
            .map(|aki| {
                let mut lines = Vec::new();
                if let Some(id) = &aki.key_identifier {
                    lines.push(format!("keyid {}", colon_hex(id.as_bytes())));
                }
                for name in aki.authority_cert_issuer.iter().flatten() {
                    lines.push(format!("issuer {}", general_name_text(name)));
                }
                if let Some(serial) = &aki.authority_cert_serial_number {
                    lines.push(format!("serial {}", serial_hex(serial.as_bytes())));
                }
                if lines.is_empty() {
                    lines.push("empty".to_string());
                }
                lines
            }),
        "2.5.29.17" | "2.5.29.18" => SubjectAltName::from_der(value)
            .map_err(err)
            .map(|san| san.0.iter().map(general_name_text).collect()),
        "2.5.29.37" => ExtendedKeyUsage::from_der(value)
            .map_err(err)
            .map(|eku| vec![eku.0.iter().map(oid_text).collect::<Vec<_>>().join(", ")]),
        "2.5.29.31" | "2.5.29.46" => CrlDistributionPoints::from_der(value)
            .map_err(err)
            .map(|dps| dps.0.iter().flat_map(distribution_point_lines).collect()),
        "1.3.6.1.5.5.7.1.1" | "1.3.6.1.5.5.7.1.11" => AuthorityInfoAccessSyntax::from_der(value)
            .map_err(err)
            .map(|aia| {
                aia.0
                    .iter()
                    .map(|ad| {
                        format!(
                            "{} {}",
                            oid_text(&ad.access_method),
                            general_name_text(&ad.access_location)
                        )
                    })
                    .collect()
            }),
        // Qualifiers are read by hand: x509-cert's UserNotice types noticeRef as a time.
        "2.5.29.32" => CertificatePolicies::from_der(value).map_err(err).map(|cp| {
            let mut lines = Vec::new();
            for policy in &cp.0 {
                lines.push(oid_text(&policy.policy_identifier));
                for q in policy.policy_qualifiers.iter().flatten() {
                    let shown = match &q.qualifier {
                        Some(v) if v.tag() == Tag::Ia5String => any_to_text(v),
                        Some(v) => format!("{} bytes", v.value().len()),
                        None => "no value".to_string(),
                    };
                    lines.push(format!("  {}: {shown}", oid_text(&q.policy_qualifier_id)));
                }
            }
            lines
        }),
        "2.5.29.30" => x509_cert::ext::pkix::NameConstraints::from_der(value)
            .map_err(err)
            .map(|nc| name_constraint_lines(&nc)),
        "2.5.29.20" | "2.5.29.27" => CrlNumber::from_der(value)
            .map_err(err)
            .map(|n| vec![uint_text(&n.0)]),
        "2.5.29.21" => CrlReason::from_der(value)
            .map_err(err)
            .map(|r| vec![crl_reason_name(r).to_string()]),
        "2.5.29.24" => GeneralizedTime::from_der(value)
            .map_err(err)
            .map(|t| vec![t.to_date_time().to_string()]),
        // Decoded by type, not by x509-cert's `get_extension`: its IssuingDistributionPoint
        // carries the wrong OID.
        "2.5.29.28" => IssuingDistributionPoint::from_der(value)
            .map_err(err)
            .map(|idp| issuing_distribution_point_lines(&idp)),
        "2.5.29.36" => PolicyConstraints::from_der(value).map_err(err).map(|pc| {
            let show = |v: Option<u32>| v.map_or_else(|| "absent".to_string(), |n| n.to_string());
            vec![format!(
                "requireExplicitPolicy: {}, inhibitPolicyMapping: {}",
                show(pc.require_explicit_policy),
                show(pc.inhibit_policy_mapping)
            )]
        }),
        "2.5.29.54" => InhibitAnyPolicy::from_der(value)
            .map_err(err)
            .map(|n| vec![format!("skipCerts: {}", n.0)]),
        "2.5.29.33" => PolicyMappings::from_der(value).map_err(err).map(|pm| {
            pm.0.iter()
                .map(|m| {
                    format!(
                        "{} -> {}",
                        oid_text(&m.issuer_domain_policy),
                        oid_text(&m.subject_domain_policy)
                    )
                })
                .collect()
        }),
        _ => return None,
    })
}

pub(super) fn crl_reason_name(reason: CrlReason) -> &'static str {
    match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}

fn key_usage_text(ku: &KeyUsage) -> String {
    let names: Vec<&str> = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    if names.is_empty() {
        "no usage bits set".to_string()
    } else {
        names.join(", ")
    }
}

fn general_name_text(name: &GeneralName) -> String {
    match name {
        GeneralName::DnsName(s) => format!("DNS:{}", s.as_str()),
        GeneralName::Rfc822Name(s) => format!("email:{}", s.as_str()),
        GeneralName::UniformResourceIdentifier(s) => format!("URI:{}", s.as_str()),
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        GeneralName::IpAddress(octets) => ip_text(octets.as_bytes()),
        GeneralName::RegisteredId(oid) => format!("RID:{}", oid_text(oid)),
        GeneralName::OtherName(other) => format!("otherName:{}", oid_text(&other.type_id)),
        GeneralName::EdiPartyName(_) => "ediPartyName".to_string(),
    }
}

/// An iPAddress: 4 or 16 octets in a subjectAltName, address and mask in name constraints.
fn ip_text(octets: &[u8]) -> String {
    let addr = |b: &[u8]| -> Option<IpAddr> {
        if let Ok(v4) = <[u8; 4]>::try_from(b) {
            Some(IpAddr::V4(Ipv4Addr::from(v4)))
        } else {
            <[u8; 16]>::try_from(b)
                .ok()
                .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
        }
    };
    if let Some(ip) = addr(octets) {
        return format!("IP:{ip}");
    }
    let (a, m) = octets.split_at(octets.len() / 2);
    match (addr(a), addr(m)) {
        (Some(a), Some(m)) => format!("IP:{a}/{m}"),
        _ => format!("IP:malformed ({} octets)", octets.len()),
    }
}

fn distribution_point_name_lines(name: &DistributionPointName) -> Vec<String> {
    match name {
        DistributionPointName::FullName(names) => names.iter().map(general_name_text).collect(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            vec![format!("relative to the CRL issuer: {rdn}")]
        }
    }
}

fn distribution_point_lines(dp: &DistributionPoint) -> Vec<String> {
    let mut lines = dp
        .distribution_point
        .as_ref()
        .map(distribution_point_name_lines)
        .unwrap_or_default();
    if let Some(reasons) = &dp.reasons {
        lines.push(format!(
            "  only for reasons {:?}",
            reasons.into_iter().collect::<Vec<_>>()
        ));
    }
    for issuer in dp.crl_issuer.iter().flatten() {
        lines.push(format!("  CRL issuer {}", general_name_text(issuer)));
    }
    lines
}

fn issuing_distribution_point_lines(idp: &IssuingDistributionPoint) -> Vec<String> {
    let mut lines = idp
        .distribution_point
        .as_ref()
        .map(distribution_point_name_lines)
        .unwrap_or_default();
    for (set, text) in [
        (idp.only_contains_user_certs, "only user certificates"),
        (idp.only_contains_ca_certs, "only CA certificates"),
        (idp.indirect_crl, "indirect CRL"),
        (
            idp.only_contains_attribute_certs,
            "only attribute certificates",
        ),
    ] {
        if set {
            lines.push(text.to_string());
        }
    }
    if lines.is_empty() {
        lines.push("no restrictions".to_string());
    }
    lines
}

/// Name constraints in rootca's words, or, for an extension rootca would not accept, why
/// and what it holds.
fn name_constraint_lines(nc: &x509_cert::ext::pkix::NameConstraints) -> Vec<String> {
    match NameConstraints::from_extension(nc) {
        Ok(parsed) => parsed.describe(),
        Err(e) => {
            let mut lines = vec![format!("not readable as rootca name constraints: {e}")];
            for (side, subtrees) in [
                ("permitted", &nc.permitted_subtrees),
                ("excluded ", &nc.excluded_subtrees),
            ] {
                for s in subtrees.iter().flatten() {
                    lines.push(format!("{side} {}", general_name_text(&s.base)));
                }
            }
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::OctetString;

    fn oid(s: &str) -> ObjectIdentifier {
        match ObjectIdentifier::new(s) {
            Ok(o) => o,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn extension(oid_text: &str, critical: bool, value: &[u8]) -> Extension {
        match OctetString::new(value) {
            Ok(extn_value) => Extension {
                extn_id: oid(oid_text),
                critical,
                extn_value,
            },
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn ip_text_reads_addresses_and_address_mask_pairs() {
        assert_eq!(ip_text(&[192, 0, 2, 7]), "IP:192.0.2.7");
        assert_eq!(
            ip_text(&[10, 0, 0, 0, 255, 0, 0, 0]),
            "IP:10.0.0.0/255.0.0.0"
        );
        assert!(ip_text(&[1, 2, 3]).contains("malformed"));
    }

    #[test]
    fn key_usage_without_bits_says_so() {
        // BIT STRING with no bits set.
        let lines = decode_extension(&oid("2.5.29.15"), &[0x03, 0x01, 0x00]);
        assert_eq!(lines, Some(Ok(vec!["no usage bits set".to_string()])));
    }

    #[test]
    fn basic_constraints_of_an_end_entity_show_ca_false() {
        let lines = decode_extension(&oid("2.5.29.19"), &[0x30, 0x00]);
        assert_eq!(lines, Some(Ok(vec!["CA: false".to_string()])));
    }

    #[test]
    fn unknown_extension_is_shown_by_oid_and_length() {
        let info = describe_extension(&extension("1.2.3.4.5", false, &[0x05, 0x00]));
        assert_eq!(info.name, UNKNOWN_EXTENSION);
        assert_eq!(info.lines, vec!["not decoded by rootca; 2 bytes: 0500"]);
    }

    #[test]
    fn long_unknown_extension_is_cut_in_the_preview() {
        let info = describe_extension(&extension("1.2.3.4.5", false, &[0u8; 40]));
        assert!(info.lines[0].starts_with("not decoded by rootca; 40 bytes: "));
        assert!(info.lines[0].ends_with("..."));
    }

    #[test]
    fn malformed_known_extension_says_it_could_not_be_decoded() {
        let info = describe_extension(&extension("2.5.29.19", true, &[0x04, 0x00]));
        assert!(
            info.lines[0].starts_with("could not decode"),
            "{:?}",
            info.lines
        );
        assert!(info.critical);
    }

    #[test]
    fn name_constraints_rootca_cannot_read_are_listed_raw_with_the_reason() {
        use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
        let nc = x509_cert::ext::pkix::NameConstraints {
            permitted_subtrees: Some(vec![GeneralSubtree {
                base: GeneralName::RegisteredId(oid("1.2.3.4")),
                minimum: 0,
                maximum: None,
            }]),
            excluded_subtrees: None,
        };
        let lines = name_constraint_lines(&nc);
        assert!(lines[0].contains("registeredID"), "{lines:?}");
        assert_eq!(lines[1], "permitted RID:1.2.3.4");
    }
}
