//! Matter device attestation: the PAA root and the PAI intermediate.

use const_oid::db::rfc5280;
use der::asn1::BitString;
use der::{Decode, Encode};
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};

use super::names::{MATTER_PID, MATTER_VID, matter_ids};
use super::{Subject, require};
use crate::profile::algorithm::{Hash, PublicKeyKind, SignatureAlgorithm};

/// The most DER an attestation certificate may take (Matter Core 6.1.3).
pub const MAX_DER: usize = 600;

pub fn algorithm(s: &Subject<'_>, f: &mut Vec<String>) {
    let tbs = s.cert.tbs_certificate();
    require(f, tbs.version() == Version::V3, || "not X.509 v3".into());
    let key = PublicKeyKind::of(tbs.subject_public_key_info()).ok();
    let point = tbs.subject_public_key_info().subject_public_key.raw_bytes();
    require(
        f,
        key == Some(PublicKeyKind::EcP256) && point.len() == 65 && point.first() == Some(&4),
        || {
            format!(
                "the key is {}; Matter takes only an uncompressed EC P-256 key",
                key.map_or("unreadable".into(), |k| k.to_string())
            )
        },
    );
    let sig = SignatureAlgorithm::from_identifier(s.cert.signature_algorithm()).ok();
    require(
        f,
        sig == Some(SignatureAlgorithm::Ecdsa(Hash::Sha256)),
        || {
            format!(
                "the signature is {}; Matter takes only ecdsa-with-SHA256",
                sig.map_or("an unknown algorithm".into(), |a| a.to_string())
            )
        },
    );
}

/// The VIDs (or PIDs) of a name, reporting any that is badly encoded.
fn ids(
    name: &x509_cert::name::Name,
    oid: const_oid::ObjectIdentifier,
    what: &str,
    f: &mut Vec<String>,
) -> Vec<u16> {
    let mut good = Vec::new();
    for id in matter_ids(name, oid) {
        match id {
            Ok(v) => good.push(v),
            Err(e) => f.push(format!("the {what} ({oid}) {e}")),
        }
    }
    good
}

pub fn paa_names(s: &Subject<'_>, f: &mut Vec<String>) {
    let tbs = s.cert.tbs_certificate();
    require(
        f,
        tbs.issuer().to_der().ok() == tbs.subject().to_der().ok(),
        || "a PAA's issuer must be its subject, byte for byte".into(),
    );
    let vids = ids(tbs.subject(), MATTER_VID, "Vendor ID", f);
    require(f, vids.len() <= 1, || {
        "a PAA has at most one Vendor ID".into()
    });
    let pids = matter_ids(tbs.subject(), MATTER_PID);
    require(f, pids.is_empty(), || {
        "a PAA carries no Product ID: commissioners reject it".into()
    });
}

pub fn pai_names(s: &Subject<'_>, f: &mut Vec<String>) {
    let subject = s.cert.tbs_certificate().subject();
    let vids = ids(subject, MATTER_VID, "Vendor ID", f);
    let n = matter_ids(subject, MATTER_VID).len();
    require(f, n == 1, || {
        format!("a PAI has exactly one Vendor ID; this one has {n}")
    });
    let pids = matter_ids(subject, MATTER_PID);
    ids(subject, MATTER_PID, "Product ID", f);
    require(f, pids.len() <= 1, || {
        "a PAI has at most one Product ID".into()
    });
    let Some(paa) = s.issuer else { return };
    let mut ignore = Vec::new();
    let paa_vids = ids(paa.tbs_certificate().subject(), MATTER_VID, "", &mut ignore);
    if let (Some(paa_vid), Some(vid)) = (paa_vids.first(), vids.first()) {
        require(f, paa_vid == vid, || {
            format!("the Vendor ID {vid:04X} is not the PAA's {paa_vid:04X}")
        });
    }
}

fn basic_constraints(s: &Subject<'_>, ok: impl Fn(Option<u8>) -> bool) -> bool {
    s.extension(rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .is_some_and(|e| {
            e.critical
                && BasicConstraints::from_der(e.extn_value.as_bytes())
                    .is_ok_and(|bc| bc.ca && ok(bc.path_len_constraint))
        })
}

pub fn paa_basic_constraints(s: &Subject<'_>, f: &mut Vec<String>) {
    require(
        f,
        basic_constraints(s, |p| p.is_none() || p == Some(1)),
        || "basicConstraints must be critical, cA TRUE, pathLenConstraint absent or 1".into(),
    );
}

pub fn pai_basic_constraints(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, basic_constraints(s, |p| p == Some(0)), || {
        "basicConstraints must be critical, cA TRUE, pathLenConstraint 0 present".into()
    });
}

/// A BIT STRING in minimal DER: no trailing zero bit is encoded.
fn minimal(bits: &BitString) -> bool {
    match bits.raw_bytes().last() {
        None => bits.unused_bits() == 0,
        Some(last) => *last != 0 && last.trailing_zeros() == u32::from(bits.unused_bits()),
    }
}

pub fn key_usage(s: &Subject<'_>, f: &mut Vec<String>) {
    let Some(e) = s.extension(rfc5280::ID_CE_KEY_USAGE) else {
        f.push("keyUsage is missing".into());
        return;
    };
    let need = KeyUsages::KeyCertSign | KeyUsages::CRLSign;
    let allowed = need | KeyUsages::DigitalSignature;
    let ok = e.critical
        && KeyUsage::from_der(e.extn_value.as_bytes())
            .is_ok_and(|ku| ku.0.contains(need) && (ku.0 & !allowed).is_empty());
    require(f, ok, || {
        "keyUsage must be critical with keyCertSign and cRLSign, and nothing but digitalSignature besides".into()
    });
    let bits = BitString::from_der(e.extn_value.as_bytes());
    require(f, bits.as_ref().is_ok_and(minimal), || {
        format!(
            "keyUsage is not in minimal DER ({}): Matter verifiers compare it byte for byte",
            hex::encode(e.extn_value.as_bytes())
        )
    });
}

fn key_id_20(s: &Subject<'_>, ski: bool) -> Option<Result<Vec<u8>, ()>> {
    if ski {
        s.extension(rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER).map(|e| {
            SubjectKeyIdentifier::from_der(e.extn_value.as_bytes())
                .ok()
                .filter(|k| !e.critical && k.0.as_bytes().len() == 20)
                .map(|k| k.0.as_bytes().to_vec())
                .ok_or(())
        })
    } else {
        s.extension(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
            .map(|e| {
                AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes())
                    .ok()
                    .filter(|_| !e.critical)
                    .and_then(|a| a.key_identifier)
                    .filter(|k| k.as_bytes().len() == 20)
                    .map(|k| k.as_bytes().to_vec())
                    .ok_or(())
            })
    }
}

pub fn paa_key_identifiers(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, matches!(key_id_20(s, true), Some(Ok(_))), || {
        "subjectKeyIdentifier must be present, not critical, 20 octets".into()
    });
    require(f, !matches!(key_id_20(s, false), Some(Err(()))), || {
        "authorityKeyIdentifier, when present, must be not critical with a 20-octet keyIdentifier"
            .into()
    });
}

pub fn pai_key_identifiers(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, matches!(key_id_20(s, true), Some(Ok(_))), || {
        "subjectKeyIdentifier must be present, not critical, 20 octets".into()
    });
    let aki = key_id_20(s, false);
    require(f, matches!(aki, Some(Ok(_))), || {
        "authorityKeyIdentifier must be present, not critical, with a 20-octet keyIdentifier".into()
    });
    let Some(paa) = s.issuer else { return };
    let paa_ski = paa
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, k)| k.0.as_bytes().to_vec());
    if let Some(Ok(aki)) = aki {
        require(f, Some(&aki) == paa_ski.as_ref(), || {
            format!(
                "authorityKeyIdentifier {} is not the PAA's subjectKeyIdentifier",
                hex::encode(&aki)
            )
        });
    }
}

fn only_critical(s: &Subject<'_>, f: &mut Vec<String>) {
    for e in s.extensions() {
        require(
            f,
            !e.critical
                || [rfc5280::ID_CE_BASIC_CONSTRAINTS, rfc5280::ID_CE_KEY_USAGE]
                    .contains(&e.extn_id),
            || {
                format!(
                    "extension {} is critical; Matter verifiers reject a critical extension they do not know",
                    e.extn_id
                )
            },
        );
    }
}

pub fn critical(s: &Subject<'_>, f: &mut Vec<String>) {
    only_critical(s, f);
}

pub fn pai_extensions(s: &Subject<'_>, f: &mut Vec<String>) {
    require(
        f,
        s.extension(rfc5280::ID_CE_NAME_CONSTRAINTS).is_none(),
        || "a PAI carries no nameConstraints".into(),
    );
    only_critical(s, f);
}

pub fn size(s: &Subject<'_>, f: &mut Vec<String>) {
    let len = s.cert.to_der().map(|d| d.len()).unwrap_or(usize::MAX);
    require(f, len <= MAX_DER, || {
        format!("the certificate is {len} bytes of DER; Matter allows at most {MAX_DER}")
    });
}
