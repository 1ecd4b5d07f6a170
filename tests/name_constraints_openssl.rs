//! OpenSSL is the judge: for every name in tests/fixtures/nc-verify.tsv, make.sh issued a leaf
//! carrying that name under a name-constrained CA and recorded what `openssl verify` said.
//! The matcher must reach the same verdict from the CA's extension alone, and the extension
//! rootca encodes must be byte for byte the one openssl encoded from the same lists.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use der::{DecodePem, Encode};
use rootca::profile::name_constraints::{NameConstraintLists, NameConstraints, TestName};
use x509_cert::Certificate;

const VERIFY_TSV: &str = include_str!("fixtures/nc-verify.tsv");
const RSA_NC_PEM: &str = include_str!("fixtures/rsa-nc-ca.pem");
const MAIL_URI_NC_PEM: &str = include_str!("fixtures/mail-uri-nc-ca.pem");
const DN_NC_PEM: &str = include_str!("fixtures/dn-nc-ca.pem");

fn ca_pem(name: &str) -> &'static str {
    match name {
        "rsa-nc-ca" => RSA_NC_PEM,
        "mail-uri-nc-ca" => MAIL_URI_NC_PEM,
        "dn-nc-ca" => DN_NC_PEM,
        other => panic!("unknown CA {other} in nc-verify.tsv"),
    }
}

/// The CA's name constraints extension: criticality and the raw value.
fn extension(pem: &str) -> (bool, Vec<u8>) {
    let cert = match Certificate::from_pem(pem) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let exts = cert
        .tbs_certificate()
        .extensions()
        .cloned()
        .unwrap_or_default();
    match exts.iter().find(|e| e.extn_id.to_string() == "2.5.29.30") {
        Some(e) => (e.critical, e.extn_value.as_bytes().to_vec()),
        None => panic!("no name constraints"),
    }
}

fn constraints(pem: &str) -> NameConstraints {
    let cert = match Certificate::from_pem(pem) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let ext = cert
        .tbs_certificate()
        .get_extension::<x509_cert::ext::pkix::NameConstraints>();
    match ext {
        Ok(Some((_, nc))) => match NameConstraints::from_extension(&nc) {
            Ok(parsed) => parsed,
            Err(e) => panic!("{e}"),
        },
        other => panic!("no readable name constraints: {other:?}"),
    }
}

fn issue_lists() -> NameConstraintLists {
    NameConstraintLists {
        permitted_dns: vec!["dev.example.com".into(), ".test.example.com".into()],
        excluded_dns: vec![".prod.dev.example.com".into()],
        excluded_ip: vec!["0.0.0.0/0".into(), "::/0".into()],
        ..NameConstraintLists::default()
    }
}

fn rows() -> Vec<(&'static str, &'static str, &'static str)> {
    VERIFY_TSV
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            match (cols.next(), cols.next(), cols.next()) {
                (Some(ca), Some(name), Some(verdict)) => (ca, name, verdict),
                _ => panic!("bad row {l:?}"),
            }
        })
        .collect()
}

#[test]
fn the_openssl_verdicts_cover_every_kind_of_name() {
    let rows = rows();
    assert!(rows.len() >= 40, "only {} rows", rows.len());
    for prefix in ["dns:", "ip:", "email:", "uri:", "dn:"] {
        assert!(
            rows.iter().any(|(_, n, _)| n.starts_with(prefix)),
            "{prefix}"
        );
    }
    for verdict in [
        "OK",
        "permitted subtree violation",
        "excluded subtree violation",
    ] {
        assert!(rows.iter().any(|(_, _, v)| *v == verdict), "{verdict}");
    }
}

#[test]
fn every_verdict_agrees_with_openssl_verify() {
    let mut disagreements = Vec::new();
    for (ca, name, verdict) in rows() {
        let nc = constraints(ca_pem(ca));
        let test_name = match TestName::parse(name) {
            Ok(t) => t,
            Err(e) => panic!("{name}: {e}"),
        };
        let decision = nc.test(&test_name);
        let agrees = match verdict {
            "OK" => decision.permitted,
            // OpenSSL looks at permitted subtrees first, rootca at excluded first: a name
            // both outside the permitted and inside the excluded gets either reason.
            "permitted subtree violation" => {
                !decision.permitted
                    && (decision.reason.starts_with("not inside any permitted_")
                        || decision.reason.starts_with("excluded by "))
            }
            "excluded subtree violation" => {
                !decision.permitted && decision.reason.starts_with("excluded by ")
            }
            other => panic!("{ca} {name}: openssl said {other:?}"),
        };
        if !agrees {
            disagreements.push(format!(
                "{ca} {name}: openssl {verdict:?}, rootca {decision:?}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn issue_extension_is_byte_identical_to_openssls() {
    let ours = match NameConstraints::from_lists(&issue_lists()) {
        Ok(nc) => nc.to_extension().to_der(),
        Err(e) => panic!("{e}"),
    };
    let (_, theirs) = extension(RSA_NC_PEM);
    assert_eq!(ours.as_deref().ok(), Some(theirs.as_slice()));
}

#[test]
fn openssl_marks_the_extension_critical() {
    assert!(extension(RSA_NC_PEM).0);
}

#[test]
fn issue_extension_reads_back_as_the_issue_lists() {
    assert_eq!(constraints(RSA_NC_PEM).to_lists(), issue_lists());
}

#[test]
fn mail_and_uri_extension_reads_back_as_lists() {
    let expected = NameConstraintLists {
        permitted_email: vec![
            "ops@example.com".into(),
            "example.net".into(),
            ".example.org".into(),
        ],
        excluded_email: vec![".bad.example.org".into()],
        permitted_uri: vec!["x.example.com".into(), ".example.org".into()],
        excluded_uri: vec![".bad.example.org".into()],
        ..NameConstraintLists::default()
    };
    assert_eq!(constraints(MAIL_URI_NC_PEM).to_lists(), expected);
}

#[test]
fn mail_and_uri_extension_is_byte_identical_to_openssls() {
    let lists = constraints(MAIL_URI_NC_PEM).to_lists();
    let ours = NameConstraints::from_lists(&lists).map(|nc| nc.to_extension().to_der());
    let (_, theirs) = extension(MAIL_URI_NC_PEM);
    assert!(matches!(ours, Ok(Ok(ref d)) if *d == theirs));
}

#[test]
fn dn_extension_reads_back_as_rfc4514_lists() {
    let lists = constraints(DN_NC_PEM).to_lists();
    assert_eq!(lists.permitted_dn, vec!["O=Example Corp,C=US"]);
    assert_eq!(lists.excluded_dn, vec!["OU=Prod,O=Example Corp,C=US"]);
}

#[test]
fn dn_extension_is_byte_identical_to_openssls_from_the_same_lists() {
    let lists = constraints(DN_NC_PEM).to_lists();
    let ours = NameConstraints::from_lists(&lists).map(|nc| nc.to_extension().to_der());
    let (_, theirs) = extension(DN_NC_PEM);
    assert!(matches!(ours, Ok(Ok(ref d)) if *d == theirs));
}
