//! ISO/IEC 18013-5 Annex B: the IACA root and the Document Signer.

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5280};
use der::Decode;
use der::referenced::OwnedToRef;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage,
    IssuerAltName, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::time::Validity;

use super::names::{self, is_country_code, is_subdivision_of};
use super::{Subject, require};
use crate::profile::algorithm::{Hash, PublicKeyKind, SignatureAlgorithm};
use crate::profile::extensions::key_identifier;

/// id-mdl-kp-mdlDS, the Document Signer's extended key usage.
pub const MDL_DS_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.2");

/// The most an IACA's validity may span, in years.
pub const IACA_MAX_YEARS: i32 = 20;
/// The most a Document Signer's validity may span, in days.
pub const DS_MAX_DAYS: u64 = 457;

/// The extensions B.1.1 forbids in every Annex B certificate.
pub const FORBIDDEN: &[(ObjectIdentifier, &str)] = &[
    (rfc5280::ID_CE_POLICY_MAPPINGS, "policyMappings"),
    (rfc5280::ID_CE_NAME_CONSTRAINTS, "nameConstraints"),
    (rfc5280::ID_CE_POLICY_CONSTRAINTS, "policyConstraints"),
    (rfc5280::ID_CE_INHIBIT_ANY_POLICY, "inhibitAnyPolicy"),
    (rfc5280::ID_CE_FRESHEST_CRL, "freshestCRL"),
];

/// The signature an mDL certificate may carry from a key of `key`:
/// ecdsa-with-SHA256 from P-256, ecdsa-with-SHA384 from P-384.
pub fn signature_for(key: &PublicKeyKind) -> Option<SignatureAlgorithm> {
    match key {
        PublicKeyKind::EcP256 => Some(SignatureAlgorithm::Ecdsa(Hash::Sha256)),
        PublicKeyKind::EcP384 => Some(SignatureAlgorithm::Ecdsa(Hash::Sha384)),
        _ => None,
    }
}

fn key_of(spki: &spki::SubjectPublicKeyInfoOwned) -> Option<PublicKeyKind> {
    PublicKeyKind::of(spki).ok()
}

fn signature_of(s: &Subject<'_>) -> Option<SignatureAlgorithm> {
    SignatureAlgorithm::from_identifier(s.cert.signature_algorithm()).ok()
}

pub fn iaca_algorithm(s: &Subject<'_>, f: &mut Vec<String>) {
    let key = key_of(s.cert.tbs_certificate().subject_public_key_info());
    let want = key.as_ref().and_then(signature_for);
    let got = signature_of(s);
    require(f, want.is_some() && want == got, || {
        format!(
            "the key is {} signing with {}; an IACA is EC P-256 with ecdsa-sha256 or EC P-384 with ecdsa-sha384",
            key.map_or("unreadable".into(), |k| k.to_string()),
            got.map_or("an unknown algorithm".into(), |a| a.to_string())
        )
    });
}

/// C and CN present once each, C a country code, ST a subdivision of it.
fn subject_fields(name: &x509_cert::name::Name, f: &mut Vec<String>) {
    match names::single(name, rfc4519::COUNTRY_NAME, "countryName (C)") {
        Ok(c) => require(f, is_country_code(&c), || {
            format!("C={c} is not an ISO 3166-1 alpha-2 code in upper case such as US")
        }),
        Err(e) => f.push(format!("the subject: {e}, which is required")),
    }
    if let Err(e) = names::single(name, rfc4519::COMMON_NAME, "commonName (CN)") {
        f.push(format!("the subject: {e}, which is required"));
    }
    let country = names::country(name).unwrap_or_default();
    match names::state(name).as_slice() {
        [] => {}
        [Some(st)] => require(f, is_subdivision_of(st, &country), || {
            format!(
                "ST={st} is not an ISO 3166-2 code of {country} in upper case such as {country}-CA"
            )
        }),
        _ => f.push("the subject has more than one stateOrProvinceName (ST)".into()),
    }
}

pub fn iaca_subject(s: &Subject<'_>, f: &mut Vec<String>) {
    subject_fields(s.cert.tbs_certificate().subject(), f);
}

pub fn iaca_issuer(s: &Subject<'_>, f: &mut Vec<String>) {
    let tbs = s.cert.tbs_certificate();
    let same = der::Encode::to_der(tbs.issuer()).ok() == der::Encode::to_der(tbs.subject()).ok();
    require(f, same, || {
        format!(
            "the issuer {} is not byte-identical to the subject {}",
            tbs.issuer(),
            tbs.subject()
        )
    });
}

/// notBefore plus `years` calendar years (29 February goes to 28).
pub fn add_years(t: time::OffsetDateTime, years: i32) -> Option<time::OffsetDateTime> {
    let year = t.year() + years;
    t.replace_year(year).ok().or_else(|| {
        t.replace_day(28)
            .ok()
            .and_then(|d| d.replace_year(year).ok())
    })
}

pub fn offset(t: &x509_cert::time::Time) -> Option<time::OffsetDateTime> {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).ok()?;
    time::OffsetDateTime::from_unix_timestamp(secs).ok()
}

pub fn iaca_validity(s: &Subject<'_>, f: &mut Vec<String>) {
    let v = s.cert.tbs_certificate().validity();
    require(f, iaca_validity_ok(v), || {
        format!(
            "the validity {} to {} is longer than {IACA_MAX_YEARS} years",
            v.not_before, v.not_after
        )
    });
}

pub fn iaca_validity_ok(v: &Validity) -> bool {
    let limit = offset(&v.not_before).and_then(|nb| add_years(nb, IACA_MAX_YEARS));
    match (limit, offset(&v.not_after)) {
        (Some(limit), Some(na)) => na <= limit,
        _ => false,
    }
}

fn key_usage_is(s: &Subject<'_>, want: der::flagset::FlagSet<KeyUsages>) -> bool {
    s.extension(rfc5280::ID_CE_KEY_USAGE).is_some_and(|e| {
        e.critical && KeyUsage::from_der(e.extn_value.as_bytes()).is_ok_and(|ku| ku.0 == want)
    })
}

pub fn iaca_key_usage(s: &Subject<'_>, f: &mut Vec<String>) {
    require(
        f,
        key_usage_is(s, KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        || "keyUsage must be critical with exactly keyCertSign and cRLSign".into(),
    );
}

pub fn iaca_basic_constraints(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s
        .extension(rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .is_some_and(|e| {
            e.critical
                && BasicConstraints::from_der(e.extn_value.as_bytes())
                    .is_ok_and(|bc| bc.ca && bc.path_len_constraint == Some(0))
        });
    require(f, ok, || {
        "basicConstraints must be critical, cA TRUE, pathLenConstraint 0: an IACA signs Document Signers directly".into()
    });
}

pub fn subject_key_identifier(s: &Subject<'_>, f: &mut Vec<String>) {
    let own = key_identifier(
        s.cert
            .tbs_certificate()
            .subject_public_key_info()
            .owned_to_ref(),
    );
    let ok = s
        .extension(rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .is_some_and(|e| {
            !e.critical
                && match (
                    SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()),
                    &own,
                ) {
                    (Ok(ski), Ok(id)) => ski.0.as_bytes() == id.as_slice(),
                    _ => false,
                }
        });
    require(f, ok, || {
        "subjectKeyIdentifier must be present, not critical, and the SHA-1 of the public key".into()
    });
}

pub fn issuer_alt_name(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s
        .extension(rfc5280::ID_CE_ISSUER_ALT_NAME)
        .is_some_and(|e| {
            !e.critical
                && IssuerAltName::from_der(e.extn_value.as_bytes()).is_ok_and(|ian| {
                    !ian.0.is_empty()
                        && ian.0.iter().all(|n| {
                            matches!(
                                n,
                                GeneralName::Rfc822Name(_)
                                    | GeneralName::UniformResourceIdentifier(_)
                            )
                        })
                })
        });
    require(f, ok, || {
        "issuerAltName must be present and not critical, with rfc822Name or URI names only".into()
    });
}

pub fn crl_distribution_points(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s
        .extension(rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS)
        .is_some_and(|e| {
            !e.critical
                && CrlDistributionPoints::from_der(e.extn_value.as_bytes()).is_ok_and(|dps| {
                    !dps.0.is_empty()
                        && dps.0.iter().all(|p| {
                            p.reasons.is_none()
                                && p.crl_issuer.is_none()
                                && matches!(&p.distribution_point,
                                    Some(DistributionPointName::FullName(names))
                                        if names.iter().any(|n| matches!(n, GeneralName::UniformResourceIdentifier(_))))
                        })
                })
        });
    require(f, ok, || {
        "cRLDistributionPoints must be present and not critical, each point a URI, without reasons or cRLIssuer".into()
    });
}

pub fn forbidden_extensions(s: &Subject<'_>, f: &mut Vec<String>) {
    for (oid, name) in FORBIDDEN {
        require(f, s.extension(*oid).is_none(), || {
            format!("{name} is forbidden by ISO/IEC 18013-5 B.1.1")
        });
    }
}

fn only_critical(s: &Subject<'_>, allowed: &[ObjectIdentifier], f: &mut Vec<String>) {
    for e in s.extensions() {
        require(f, !e.critical || allowed.contains(&e.extn_id), || {
            format!(
                "extension {} is critical; verifiers reject a critical extension the profile does not name",
                e.extn_id
            )
        });
    }
}

pub fn iaca_critical(s: &Subject<'_>, f: &mut Vec<String>) {
    only_critical(
        s,
        &[rfc5280::ID_CE_KEY_USAGE, rfc5280::ID_CE_BASIC_CONSTRAINTS],
        f,
    );
}

pub fn ds_algorithm(s: &Subject<'_>, f: &mut Vec<String>) {
    let key = key_of(s.cert.tbs_certificate().subject_public_key_info());
    require(
        f,
        matches!(
            key,
            Some(PublicKeyKind::EcP256 | PublicKeyKind::EcP384 | PublicKeyKind::EcP521)
        ),
        || {
            format!(
                "the key is {}; a Document Signer's is EC P-256, P-384 or P-521",
                key.as_ref().map_or("unreadable".into(), |k| k.to_string())
            )
        },
    );
    let got = signature_of(s);
    let want = match s.issuer {
        Some(iaca) => key_of(iaca.tbs_certificate().subject_public_key_info())
            .as_ref()
            .and_then(signature_for),
        None => got.filter(|g| matches!(g, SignatureAlgorithm::Ecdsa(Hash::Sha256 | Hash::Sha384))),
    };
    require(f, want.is_some() && want == got, || {
        format!(
            "the signature is {}; the IACA signs with ecdsa-sha256 (P-256) or ecdsa-sha384 (P-384)",
            got.map_or("an unknown algorithm".into(), |a| a.to_string())
        )
    });
}

pub fn ds_issuer(s: &Subject<'_>, f: &mut Vec<String>) {
    let Some(iaca) = s.issuer else { return };
    let tbs = s.cert.tbs_certificate();
    let same = der::Encode::to_der(tbs.issuer()).ok()
        == der::Encode::to_der(iaca.tbs_certificate().subject()).ok();
    require(f, same, || {
        format!(
            "the issuer {} is not the IACA's subject {}",
            tbs.issuer(),
            iaca.tbs_certificate().subject()
        )
    });
}

pub fn ds_subject(s: &Subject<'_>, f: &mut Vec<String>) {
    let name = s.cert.tbs_certificate().subject();
    match names::single(name, rfc4519::COUNTRY_NAME, "countryName (C)") {
        Ok(c) => require(f, is_country_code(&c), || {
            format!("C={c} is not an ISO 3166-1 alpha-2 code in upper case")
        }),
        Err(e) => f.push(format!("the subject: {e}, which is required")),
    }
    if let Err(e) = names::single(name, rfc4519::COMMON_NAME, "commonName (CN)") {
        f.push(format!("the subject: {e}, which is required"));
    }
    let Some(iaca) = s.issuer else { return };
    let theirs = iaca.tbs_certificate().subject();
    let (c, iaca_c) = (names::country(name), names::country(theirs));
    require(f, c.is_some() && c == iaca_c, || {
        format!(
            "C={} differs from the IACA's C={}",
            c.unwrap_or_default(),
            iaca_c.unwrap_or_default()
        )
    });
    let (st, iaca_st) = (names::state(name), names::state(theirs));
    if !(st.is_empty() && iaca_st.is_empty()) {
        require(f, st.len() == 1 && st == iaca_st, || {
            format!(
                "ST={} differs from the IACA's ST={}",
                st.iter().flatten().cloned().collect::<Vec<_>>().join("+"),
                iaca_st
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("+")
            )
        });
    }
}

pub fn ds_validity_days_ok(v: &Validity) -> bool {
    let (nb, na) = (
        v.not_before.to_unix_duration(),
        v.not_after.to_unix_duration(),
    );
    na > nb && (na - nb).as_secs() <= DS_MAX_DAYS * 86_400
}

pub fn ds_validity(s: &Subject<'_>, f: &mut Vec<String>) {
    let v = s.cert.tbs_certificate().validity();
    require(f, ds_validity_days_ok(v), || {
        format!(
            "the validity {} to {} is longer than {DS_MAX_DAYS} days",
            v.not_before, v.not_after
        )
    });
    let Some(iaca) = s.issuer else { return };
    let i = iaca.tbs_certificate().validity();
    let inside = v.not_before.to_unix_duration() >= i.not_before.to_unix_duration()
        && v.not_after.to_unix_duration() <= i.not_after.to_unix_duration();
    require(f, inside, || {
        format!(
            "the validity {} to {} is not inside the IACA's {} to {}",
            v.not_before, v.not_after, i.not_before, i.not_after
        )
    });
}

pub fn ds_key_usage(s: &Subject<'_>, f: &mut Vec<String>) {
    require(
        f,
        key_usage_is(s, KeyUsages::DigitalSignature.into()),
        || "keyUsage must be critical with exactly digitalSignature".into(),
    );
}

pub fn ds_extended_key_usage(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s.extension(rfc5280::ID_CE_EXT_KEY_USAGE).is_some_and(|e| {
        e.critical
            && ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
                .is_ok_and(|eku| eku.0 == [MDL_DS_EKU])
    });
    require(f, ok, || {
        format!("extKeyUsage must be critical with exactly {MDL_DS_EKU} (id-mdl-kp-mdlDS)")
    });
}

pub fn ds_authority_key_identifier(s: &Subject<'_>, f: &mut Vec<String>) {
    let found = s
        .extension(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .filter(|e| !e.critical)
        .and_then(|e| AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .and_then(|aki| aki.key_identifier.map(|k| k.as_bytes().to_vec()));
    let Some(iaca) = s.issuer else {
        require(f, found.is_some(), || {
            "authorityKeyIdentifier must be present, not critical, with a keyIdentifier".into()
        });
        return;
    };
    let ski = iaca
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, ski)| ski.0.as_bytes().to_vec());
    require(f, found.is_some() && found == ski, || {
        format!(
            "authorityKeyIdentifier must be present, not critical, and the IACA's subjectKeyIdentifier {}",
            ski.map(hex::encode)
                .unwrap_or_else(|| "(the IACA has none)".into())
        )
    });
}

pub fn ds_forbidden(s: &Subject<'_>, f: &mut Vec<String>) {
    if let Some(e) = s.extension(rfc5280::ID_CE_BASIC_CONSTRAINTS) {
        require(
            f,
            BasicConstraints::from_der(e.extn_value.as_bytes()).is_ok_and(|bc| !bc.ca),
            || "a Document Signer is not a CA: basicConstraints cA TRUE is not allowed".into(),
        );
    }
    forbidden_extensions(s, f);
    only_critical(
        s,
        &[
            rfc5280::ID_CE_KEY_USAGE,
            rfc5280::ID_CE_EXT_KEY_USAGE,
            rfc5280::ID_CE_BASIC_CONSTRAINTS,
        ],
        f,
    );
}
