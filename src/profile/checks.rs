//! The checks every CA certificate passes twice: on the throwaway-key copy
//! before the HSM signs, and on the HSM-signed result before it is written.
//! docs/certificate-checks.md lists them for officers and auditors.

use std::collections::BTreeSet;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280;
use der::referenced::OwnedToRef;
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::time::{Time, Validity};

use super::ProfileError;
use super::algorithm::SignatureAlgorithm;
use super::extensions::key_identifier;
use super::verify::verify_certificate;

/// What the ceremony file and the issuer say the certificate must be.
#[derive(Debug, Clone)]
pub struct Expected {
    pub subject: Name,
    pub issuer: Name,
    pub public_key: SubjectPublicKeyInfoOwned,
    pub algorithm: SignatureAlgorithm,
    pub validity: Validity,
    pub path_len: Option<u8>,
    pub digital_signature: bool,
    /// The issuer's subjectKeyIdentifier; None for a self-signed root.
    pub authority_key_id: Option<Vec<u8>>,
    pub crl_urls: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
    pub name_constraints: bool,
}

/// Every check, by identifier, as docs/certificate-checks.md lists them.
pub const CHECKS: &[(&str, &str)] = &[
    ("C1", "version is v3"),
    ("C2", "serial number is positive, non-zero, 9 to 20 octets"),
    (
        "C3",
        "signature algorithm is the ceremony's, the same inside and outside the TBS",
    ),
    (
        "C4",
        "issuer and subject are the expected names, subject not empty",
    ),
    (
        "C5",
        "validity is the ceremony's, notBefore before notAfter, UTCTime through 2049 and GeneralizedTime from 2050",
    ),
    (
        "C6",
        "public key is the expected key (the HSM's, or the CSR's)",
    ),
    (
        "C7",
        "no unique identifiers; no extension twice; only extensions the profile adds",
    ),
    (
        "C8",
        "basicConstraints present, critical, CA true, pathLen as configured",
    ),
    (
        "C9",
        "keyUsage present, critical, keyCertSign and cRLSign, digitalSignature only if configured",
    ),
    (
        "C10",
        "subjectKeyIdentifier present, not critical, SHA-1 of the subject public key",
    ),
    (
        "C11",
        "authorityKeyIdentifier: absent on a root; otherwise not critical, the issuer's key identifier only",
    ),
    (
        "C12",
        "CRL distribution points, authority information access and policies exactly as configured, not critical",
    ),
    (
        "C13",
        "name constraints, when configured: present, critical, not empty",
    ),
    (
        "C14",
        "the signature verifies under the signer's public key",
    ),
];

/// What RFC 5280's upper bounds and the PKIX profile allow in a CA's name:
/// every value present, countryName two letters, lengths within bounds.
pub fn subject_problems(name: &Name) -> Vec<String> {
    use const_oid::db::rfc4519;
    let bounds = [
        (rfc4519::COMMON_NAME, "CN", 64),
        (rfc4519::ORGANIZATION_NAME, "O", 64),
        (rfc4519::ORGANIZATIONAL_UNIT_NAME, "OU", 64),
        (rfc4519::LOCALITY_NAME, "L", 128),
        (rfc4519::ST, "ST", 128),
        (rfc4519::SERIAL_NUMBER, "serialNumber", 64),
    ];
    let mut problems = Vec::new();
    for atv in name.iter() {
        let text = atv.value.decode_as::<String>().ok().or_else(|| {
            atv.value
                .decode_as::<der::asn1::PrintableString>()
                .ok()
                .map(|s| s.to_string())
        });
        let Some(text) = text else {
            problems.push(format!("attribute {} is not a text value", atv.oid));
            continue;
        };
        if text.trim().is_empty() {
            problems.push(format!("attribute {} is empty", atv.oid));
        }
        if atv.oid == rfc4519::COUNTRY_NAME
            && !(text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase()))
        {
            problems.push(format!(
                "C={text} is not a two-letter country code such as US"
            ));
        }
        for (oid, short, max) in bounds {
            if atv.oid == oid && text.chars().count() > max {
                problems.push(format!(
                    "{short} is {} characters long; at most {max} are allowed",
                    text.chars().count()
                ));
            }
        }
    }
    problems
}

struct Findings(Vec<String>);

impl Findings {
    fn require(&mut self, id: &str, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(format!("{id}: {}", what()));
        }
    }
}

fn time_encoding_ok(t: &Time) -> bool {
    let year = t.to_date_time().year();
    match t {
        Time::UtcTime(_) => year < 2050,
        Time::GeneralTime(_) => year >= 2050,
    }
}

/// Runs every check; `signer` is the key whose signature the certificate
/// carries (the lint key on the throwaway copy, the issuer's key after).
pub fn check(
    cert: &Certificate,
    expected: &Expected,
    signer: &SubjectPublicKeyInfoOwned,
) -> Result<(), ProfileError> {
    let tbs = cert.tbs_certificate();
    let mut f = Findings(Vec::new());

    f.require("C1", tbs.version() == Version::V3, || "not v3".into());

    let serial = tbs.serial_number().as_bytes();
    f.require(
        "C2",
        (9..=20).contains(&serial.len()) && serial[0] & 0x80 == 0 && serial.iter().any(|b| *b != 0),
        || {
            format!(
                "serial {} is not 9-20 octets, positive, non-zero",
                hex::encode(serial)
            )
        },
    );

    let alg_ok = expected
        .algorithm
        .identifier()
        .is_ok_and(|id| &id == tbs.signature() && &id == cert.signature_algorithm());
    f.require("C3", alg_ok, || {
        format!(
            "signature algorithm is not {} in both places",
            expected.algorithm
        )
    });

    f.require(
        "C4",
        tbs.subject() == &expected.subject && !tbs.subject().is_empty(),
        || {
            format!(
                "subject is {}, expected {}",
                tbs.subject(),
                expected.subject
            )
        },
    );
    for problem in subject_problems(tbs.subject()) {
        f.require("C4", false, || format!("subject: {problem}"));
    }
    f.require("C4", tbs.issuer() == &expected.issuer, || {
        format!("issuer is {}, expected {}", tbs.issuer(), expected.issuer)
    });

    let v = tbs.validity();
    f.require(
        "C5",
        v.not_before == expected.validity.not_before && v.not_after == expected.validity.not_after,
        || "validity differs from the ceremony's".into(),
    );
    f.require(
        "C5",
        v.not_before.to_unix_duration() < v.not_after.to_unix_duration(),
        || "notBefore is not before notAfter".into(),
    );
    f.require(
        "C5",
        time_encoding_ok(&v.not_before) && time_encoding_ok(&v.not_after),
        || "a validity time has the wrong ASN.1 type for its year".into(),
    );

    f.require(
        "C6",
        tbs.subject_public_key_info() == &expected.public_key,
        || "public key is not the expected key".into(),
    );

    f.require(
        "C7",
        tbs.issuer_unique_id().is_none() && tbs.subject_unique_id().is_none(),
        || "unique identifiers present".into(),
    );
    let exts = tbs.extensions().map(|e| e.as_slice()).unwrap_or_default();
    let mut seen = BTreeSet::new();
    for e in exts {
        f.require("C7", seen.insert(e.extn_id), || {
            format!("extension {} appears twice", e.extn_id)
        });
    }
    let mut allowed = vec![
        rfc5280::ID_CE_BASIC_CONSTRAINTS,
        rfc5280::ID_CE_KEY_USAGE,
        rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
    ];
    allowed.extend(
        expected
            .authority_key_id
            .is_some()
            .then_some(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER),
    );
    allowed
        .extend((!expected.crl_urls.is_empty()).then_some(rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS));
    allowed
        .extend((!expected.ca_issuers.is_empty()).then_some(rfc5280::ID_PE_AUTHORITY_INFO_ACCESS));
    allowed.extend((!expected.policies.is_empty()).then_some(rfc5280::ID_CE_CERTIFICATE_POLICIES));
    allowed.extend(
        expected
            .name_constraints
            .then_some(rfc5280::ID_CE_NAME_CONSTRAINTS),
    );
    for e in exts {
        f.require("C7", allowed.contains(&e.extn_id), || {
            format!("unexpected extension {}", e.extn_id)
        });
    }
    for oid in &allowed {
        f.require("C7", seen.contains(oid), || {
            format!("extension {oid} is missing")
        });
    }

    let find = |oid: ObjectIdentifier| exts.iter().find(|e| e.extn_id == oid);
    let decode = |oid| find(oid).map(|e| (e.critical, e.extn_value.as_bytes()));

    if let Some((critical, value)) = decode(rfc5280::ID_CE_BASIC_CONSTRAINTS) {
        let bc = BasicConstraints::from_der(value);
        f.require(
            "C8",
            critical
                && bc
                    .as_ref()
                    .is_ok_and(|bc| bc.ca && bc.path_len_constraint == expected.path_len),
            || {
                format!(
                    "basicConstraints must be critical, CA true, pathLen {:?}",
                    expected.path_len
                )
            },
        );
    }

    if let Some((critical, value)) = decode(rfc5280::ID_CE_KEY_USAGE) {
        let mut want = KeyUsages::KeyCertSign | KeyUsages::CRLSign;
        if expected.digital_signature {
            want |= KeyUsages::DigitalSignature;
        }
        let ok = KeyUsage::from_der(value).is_ok_and(|ku| ku.0 == want);
        f.require("C9", critical && ok, || {
            "keyUsage must be critical with exactly keyCertSign, cRLSign (and digitalSignature if configured)".into()
        });
    }

    let own_key_id = key_identifier(expected.public_key.owned_to_ref());
    if let Some((critical, value)) = decode(rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER) {
        let ski = SubjectKeyIdentifier::from_der(value);
        let ok = match (&ski, &own_key_id) {
            (Ok(ski), Ok(id)) => ski.0.as_bytes() == id.as_slice(),
            _ => false,
        };
        f.require("C10", !critical && ok, || {
            "subjectKeyIdentifier must be non-critical and the SHA-1 of the public key".into()
        });
    }

    if let (Some(want), Some((critical, value))) = (
        &expected.authority_key_id,
        decode(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER),
    ) {
        let ok = AuthorityKeyIdentifier::from_der(value).is_ok_and(|aki| {
            aki.key_identifier.as_ref().map(|k| k.as_bytes()) == Some(want.as_slice())
                && aki.authority_cert_issuer.is_none()
                && aki.authority_cert_serial_number.is_none()
        });
        f.require("C11", !critical && ok, || {
            format!("authorityKeyIdentifier must be non-critical and equal the issuer's key identifier {}", hex::encode(want))
        });
    }

    if let Some((critical, value)) = decode(rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS) {
        let ok = CrlDistributionPoints::from_der(value)
            .is_ok_and(|dp| uris_of_points(&dp) == expected.crl_urls);
        f.require("C12", !critical && ok, || {
            "CRL distribution points differ from the ceremony's".into()
        });
    }
    if let Some((critical, value)) = decode(rfc5280::ID_PE_AUTHORITY_INFO_ACCESS) {
        let ok = AuthorityInfoAccessSyntax::from_der(value).is_ok_and(|aia| {
            let got: Vec<String> = aia
                .0
                .iter()
                .filter(|a| a.access_method == rfc5280::ID_AD_CA_ISSUERS)
                .filter_map(|a| general_name_uri(&a.access_location))
                .collect();
            got == expected.ca_issuers && got.len() == aia.0.len()
        });
        f.require("C12", !critical && ok, || {
            "authority information access differs from the ceremony's".into()
        });
    }
    if let Some((critical, value)) = decode(rfc5280::ID_CE_CERTIFICATE_POLICIES) {
        let ok = CertificatePolicies::from_der(value).is_ok_and(|p| {
            p.0.iter()
                .map(|pi| pi.policy_identifier)
                .collect::<Vec<_>>()
                == expected.policies
        });
        f.require("C12", !critical && ok, || {
            "certificate policies differ from the ceremony's".into()
        });
    }

    if let Some((critical, value)) = decode(rfc5280::ID_CE_NAME_CONSTRAINTS) {
        let ok = x509_cert::ext::pkix::NameConstraints::from_der(value).is_ok_and(|nc| {
            nc.permitted_subtrees
                .as_ref()
                .is_some_and(|s| !s.is_empty())
                || nc.excluded_subtrees.as_ref().is_some_and(|s| !s.is_empty())
        });
        f.require("C13", critical && ok, || {
            "name constraints must be critical and not empty".into()
        });
    }

    let sig = verify_certificate(cert, signer);
    f.require("C14", sig.is_ok(), || {
        "the signature does not verify under the signer's key".into()
    });

    // A certificate that does not re-encode to itself would be read
    // differently by different verifiers.
    let reencoded = cert
        .to_der()
        .ok()
        .and_then(|d| Certificate::from_der(&d).ok());
    f.require("C7", reencoded.as_ref() == Some(cert), || {
        "the certificate does not re-encode to itself".into()
    });

    if f.0.is_empty() {
        Ok(())
    } else {
        Err(ProfileError::Checks(f.0))
    }
}

fn general_name_uri(name: &x509_cert::ext::pkix::name::GeneralName) -> Option<String> {
    match name {
        x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(u) => {
            Some(u.to_string())
        }
        _ => None,
    }
}

fn uris_of_points(dp: &CrlDistributionPoints) -> Vec<String> {
    use x509_cert::ext::pkix::name::DistributionPointName;
    dp.0.iter()
        .filter_map(|p| match &p.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(general_name_uri)
        .collect()
}
