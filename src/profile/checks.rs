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
use super::ecosystem::Ecosystem;
use super::extensions::key_identifier;
use super::verify::verify_certificate;

/// What the ceremony file and the issuer say the certificate must be.
/// Made by the certificate's profile (`CertificateProfile::expected`).
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
    /// The extensions the profile adds, and no others.
    pub extensions: Vec<ObjectIdentifier>,
    /// An end-entity certificate (a Document Signer): no basicConstraints,
    /// keyUsage digitalSignature only.
    pub end_entity: bool,
    /// The ecosystem profile whose rules the certificate also passes, and
    /// the issuer certificate those rules compare it with (None for a root).
    pub ecosystem: Ecosystem,
    pub ecosystem_issuer: Option<Certificate>,
}

/// One check: its identifier and description, as docs/certificate-checks.md
/// lists them (a test compares the two), and the code that runs it.
pub struct Check {
    pub id: &'static str,
    pub description: &'static str,
    run: fn(&Subject<'_>, &mut Vec<String>),
}

/// What a check looks at.
struct Subject<'a> {
    cert: &'a Certificate,
    expected: &'a Expected,
    signer: &'a SubjectPublicKeyInfoOwned,
}

impl Subject<'_> {
    fn extensions(&self) -> &[x509_cert::ext::Extension] {
        self.cert
            .tbs_certificate()
            .extensions()
            .map(|e| e.as_slice())
            .unwrap_or_default()
    }

    /// The extension with this OID: its criticality and value.
    fn extension(&self, oid: ObjectIdentifier) -> Option<(bool, &[u8])> {
        self.extensions()
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| (e.critical, e.extn_value.as_bytes()))
    }
}

fn require(findings: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        findings.push(what());
    }
}

/// Every check, in the order they run and are documented.
pub const CHECKS: &[Check] = &[
    Check {
        id: "C1",
        description: "the version is v3",
        run: c1_version,
    },
    Check {
        id: "C2",
        description: "the serial number is positive, not zero, 9 to 20 octets",
        run: c2_serial,
    },
    Check {
        id: "C3",
        description: "the signature algorithm is the ceremony's, identical inside the TBS and in the outer certificate, in the exact encoding rootca writes",
        run: c3_algorithm,
    },
    Check {
        id: "C4",
        description: "the subject is the expected name and not empty; the issuer is the expected issuer (for a root: the subject)",
        run: c4_names,
    },
    Check {
        id: "C5",
        description: "the validity is exactly the ceremony's; notBefore is before notAfter; each time uses UTCTime through 2049 and GeneralizedTime from 2050",
        run: c5_validity,
    },
    Check {
        id: "C6",
        description: "the public key is the expected key: for a root the one read from the HSM, for a subordinate the CSR's",
        run: c6_public_key,
    },
    Check {
        id: "C7",
        description: "no issuer or subject unique identifiers; no extension appears twice; only the extensions the profile adds, and all of them (a root: basicConstraints, keyUsage, subjectKeyIdentifier, plus CRL distribution points and certificate policies when configured; a subordinate also authorityKeyIdentifier, and authority information access and name constraints when configured); the certificate re-encodes to exactly itself",
        run: c7_structure,
    },
    Check {
        id: "C8",
        description: "basicConstraints present, critical, CA true, pathLenConstraint as configured (absent when `path_len` is absent); on a Document Signer, absent",
        run: c8_basic_constraints,
    },
    Check {
        id: "C9",
        description: "keyUsage present, critical, exactly keyCertSign and cRLSign (plus digitalSignature only when a subordinate's `digital_signature = true`; a root never has it); on a Document Signer, exactly digitalSignature",
        run: c9_key_usage,
    },
    Check {
        id: "C10",
        description: "subjectKeyIdentifier present, not critical, equal to the SHA-1 of the subject public key",
        run: c10_subject_key_id,
    },
    Check {
        id: "C11",
        description: "authorityKeyIdentifier: absent on a root; on a subordinate, not critical and holding only the issuer's key identifier",
        run: c11_authority_key_id,
    },
    Check {
        id: "C12",
        description: "CRL distribution points, authority information access and certificate policies exactly as configured (same URIs and OIDs, same order) and not critical",
        run: c12_lists,
    },
    Check {
        id: "C13",
        description: "name constraints, when configured (subordinates only; a root carries none): present, critical, not empty",
        run: c13_name_constraints,
    },
    Check {
        id: "C14",
        description: "the signature verifies under the signer's public key (the lint key on the lint copy, the HSM key on the final certificate)",
        run: c14_signature,
    },
    Check {
        id: "C15",
        description: "the rules of the ceremony's profile (`profile = \"mdl-iaca\"`, `\"matter-paa\"`, `\"matter-pai\"`, and a Document Signer's), each named by its id (docs/profiles.md)",
        run: c15_ecosystem,
    },
];

/// PKCS #9 emailAddress, which RFC 5280 (4.1.2.6) keeps only for legacy
/// end-entity names: a CA's name does without it.
const EMAIL_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// What RFC 5280's upper bounds and the PKIX profile allow in a CA's name:
/// every value present, countryName two letters, lengths within bounds, no
/// emailAddress, nothing that changes how the name looks.
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
        if atv.oid == EMAIL_ADDRESS {
            problems.push(
                "emailAddress does not belong in a CA's name (RFC 5280 4.1.2.6 keeps it for legacy end-entity names; pkilint reports it): leave it out".into(),
            );
            continue;
        }
        // UTF8String, PrintableString, or IA5String (domainComponent).
        let text = atv
            .value
            .decode_as::<String>()
            .ok()
            .or_else(|| {
                atv.value
                    .decode_as::<der::asn1::PrintableString>()
                    .ok()
                    .map(|s| s.to_string())
            })
            .or_else(|| {
                atv.value
                    .decode_as::<der::asn1::Ia5String>()
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
        if let Some(c) = crate::text::deceptive_char(&text) {
            problems.push(format!(
                "attribute {} contains {c}, which would change what the witnesses read",
                atv.oid
            ));
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
    let subject = Subject {
        cert,
        expected,
        signer,
    };
    let mut all = Vec::new();
    for c in CHECKS {
        let mut found = Vec::new();
        (c.run)(&subject, &mut found);
        all.extend(found.into_iter().map(|f| format!("{}: {f}", c.id)));
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(ProfileError::Checks(all))
    }
}

fn c1_version(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, s.cert.tbs_certificate().version() == Version::V3, || {
        "not v3".into()
    });
}

fn c2_serial(s: &Subject<'_>, f: &mut Vec<String>) {
    let serial = s.cert.tbs_certificate().serial_number().as_bytes();
    require(
        f,
        (9..=20).contains(&serial.len()) && serial[0] & 0x80 == 0 && serial.iter().any(|b| *b != 0),
        || {
            format!(
                "serial {} is not 9-20 octets, positive, non-zero",
                hex::encode(serial)
            )
        },
    );
}

fn c3_algorithm(s: &Subject<'_>, f: &mut Vec<String>) {
    let tbs = s.cert.tbs_certificate();
    let ok = s
        .expected
        .algorithm
        .identifier()
        .is_ok_and(|id| &id == tbs.signature() && &id == s.cert.signature_algorithm());
    require(f, ok, || {
        format!(
            "signature algorithm is not {} in both places",
            s.expected.algorithm
        )
    });
}

fn c4_names(s: &Subject<'_>, f: &mut Vec<String>) {
    let (tbs, expected) = (s.cert.tbs_certificate(), s.expected);
    require(
        f,
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
        f.push(format!("subject: {problem}"));
    }
    require(f, tbs.issuer() == &expected.issuer, || {
        format!("issuer is {}, expected {}", tbs.issuer(), expected.issuer)
    });
}

fn c5_validity(s: &Subject<'_>, f: &mut Vec<String>) {
    let v = s.cert.tbs_certificate().validity();
    let want = &s.expected.validity;
    require(
        f,
        v.not_before == want.not_before && v.not_after == want.not_after,
        || "validity differs from the ceremony's".into(),
    );
    require(
        f,
        v.not_before.to_unix_duration() < v.not_after.to_unix_duration(),
        || "notBefore is not before notAfter".into(),
    );
    require(
        f,
        time_encoding_ok(&v.not_before) && time_encoding_ok(&v.not_after),
        || "a validity time has the wrong ASN.1 type for its year".into(),
    );
}

fn c6_public_key(s: &Subject<'_>, f: &mut Vec<String>) {
    require(
        f,
        s.cert.tbs_certificate().subject_public_key_info() == &s.expected.public_key,
        || "public key is not the expected key".into(),
    );
}

fn c7_structure(s: &Subject<'_>, f: &mut Vec<String>) {
    let tbs = s.cert.tbs_certificate();
    require(
        f,
        tbs.issuer_unique_id().is_none() && tbs.subject_unique_id().is_none(),
        || "unique identifiers present".into(),
    );
    let mut seen = BTreeSet::new();
    for e in s.extensions() {
        require(f, seen.insert(e.extn_id), || {
            format!("extension {} appears twice", e.extn_id)
        });
    }
    let allowed = &s.expected.extensions;
    for e in s.extensions() {
        require(f, allowed.contains(&e.extn_id), || {
            format!("unexpected extension {}", e.extn_id)
        });
    }
    for oid in allowed {
        require(f, seen.contains(oid), || {
            format!("extension {oid} is missing")
        });
    }
    // A certificate that does not re-encode to itself would be read
    // differently by different verifiers.
    let reencoded = s
        .cert
        .to_der()
        .ok()
        .and_then(|d| Certificate::from_der(&d).ok());
    require(f, reencoded.as_ref() == Some(s.cert), || {
        "the certificate does not re-encode to itself".into()
    });
}

fn c8_basic_constraints(s: &Subject<'_>, f: &mut Vec<String>) {
    if s.expected.end_entity {
        require(
            f,
            s.extension(rfc5280::ID_CE_BASIC_CONSTRAINTS).is_none(),
            || "an end-entity certificate carries no basicConstraints here".into(),
        );
        return;
    }
    let want = s.expected.path_len;
    let ok = s
        .extension(rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .is_some_and(|(critical, value)| {
            critical
                && BasicConstraints::from_der(value)
                    .is_ok_and(|bc| bc.ca && bc.path_len_constraint == want)
        });
    require(f, ok, || {
        format!("basicConstraints must be present, critical, CA true, pathLen {want:?}")
    });
}

fn c9_key_usage(s: &Subject<'_>, f: &mut Vec<String>) {
    let mut want = KeyUsages::KeyCertSign | KeyUsages::CRLSign;
    if s.expected.digital_signature {
        want |= KeyUsages::DigitalSignature;
    }
    if s.expected.end_entity {
        want = KeyUsages::DigitalSignature.into();
    }
    let ok = s
        .extension(rfc5280::ID_CE_KEY_USAGE)
        .is_some_and(|(critical, value)| {
            critical && KeyUsage::from_der(value).is_ok_and(|ku| ku.0 == want)
        });
    require(f, ok, || {
        "keyUsage must be present and critical with exactly keyCertSign, cRLSign (and digitalSignature if configured)".into()
    });
}

fn c10_subject_key_id(s: &Subject<'_>, f: &mut Vec<String>) {
    let own = key_identifier(s.expected.public_key.owned_to_ref());
    let ok = s
        .extension(rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .is_some_and(|(critical, value)| {
            !critical
                && match (SubjectKeyIdentifier::from_der(value), &own) {
                    (Ok(ski), Ok(id)) => ski.0.as_bytes() == id.as_slice(),
                    _ => false,
                }
        });
    require(f, ok, || {
        "subjectKeyIdentifier must be present, non-critical and the SHA-1 of the public key".into()
    });
}

fn c11_authority_key_id(s: &Subject<'_>, f: &mut Vec<String>) {
    let found = s.extension(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER);
    match &s.expected.authority_key_id {
        None => require(f, found.is_none(), || {
            "a self-signed root carries no authorityKeyIdentifier".into()
        }),
        Some(want) => {
            let ok = found.is_some_and(|(critical, value)| {
                !critical
                    && AuthorityKeyIdentifier::from_der(value).is_ok_and(|aki| {
                        aki.key_identifier.as_ref().map(|k| k.as_bytes()) == Some(want.as_slice())
                            && aki.authority_cert_issuer.is_none()
                            && aki.authority_cert_serial_number.is_none()
                    })
            });
            require(f, ok, || {
                format!(
                    "authorityKeyIdentifier must be present, non-critical and equal the issuer's key identifier {}",
                    hex::encode(want)
                )
            });
        }
    }
}

fn c12_lists(s: &Subject<'_>, f: &mut Vec<String>) {
    let e = s.expected;
    let crl = s.extension(rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS);
    let ok = match crl {
        None => e.crl_urls.is_empty(),
        Some((critical, value)) => {
            !critical
                && CrlDistributionPoints::from_der(value)
                    .is_ok_and(|dp| uris_of_points(&dp) == e.crl_urls)
        }
    };
    require(f, ok, || {
        "CRL distribution points differ from the ceremony's".into()
    });
    let aia = s.extension(rfc5280::ID_PE_AUTHORITY_INFO_ACCESS);
    let ok = match aia {
        None => e.ca_issuers.is_empty(),
        Some((critical, value)) => {
            !critical
                && AuthorityInfoAccessSyntax::from_der(value).is_ok_and(|aia| {
                    let got: Vec<String> = aia
                        .0
                        .iter()
                        .filter(|a| a.access_method == rfc5280::ID_AD_CA_ISSUERS)
                        .filter_map(|a| general_name_uri(&a.access_location))
                        .collect();
                    got == e.ca_issuers && got.len() == aia.0.len()
                })
        }
    };
    require(f, ok, || {
        "authority information access differs from the ceremony's".into()
    });
    let policies = s.extension(rfc5280::ID_CE_CERTIFICATE_POLICIES);
    let ok = match policies {
        None => e.policies.is_empty(),
        Some((critical, value)) => {
            !critical
                && CertificatePolicies::from_der(value).is_ok_and(|p| {
                    p.0.iter()
                        .map(|pi| pi.policy_identifier)
                        .collect::<Vec<_>>()
                        == e.policies
                })
        }
    };
    require(f, ok, || {
        "certificate policies differ from the ceremony's".into()
    });
}

fn c13_name_constraints(s: &Subject<'_>, f: &mut Vec<String>) {
    let configured = s
        .expected
        .extensions
        .contains(&rfc5280::ID_CE_NAME_CONSTRAINTS);
    let found = s.extension(rfc5280::ID_CE_NAME_CONSTRAINTS);
    let ok = match found {
        None => !configured,
        Some((critical, value)) => {
            critical
                && x509_cert::ext::pkix::NameConstraints::from_der(value).is_ok_and(|nc| {
                    nc.permitted_subtrees
                        .as_ref()
                        .is_some_and(|s| !s.is_empty())
                        || nc.excluded_subtrees.as_ref().is_some_and(|s| !s.is_empty())
                })
        }
    };
    require(f, ok, || {
        "name constraints must be critical and not empty".into()
    });
}

fn c14_signature(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, verify_certificate(s.cert, s.signer).is_ok(), || {
        "the signature does not verify under the signer's key".into()
    });
}

fn c15_ecosystem(s: &Subject<'_>, f: &mut Vec<String>) {
    let e = s.expected;
    for finding in super::ecosystem::check(e.ecosystem, s.cert, e.ecosystem_issuer.as_ref()) {
        f.push(finding.to_string());
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
