//! The mDL profiles (ISO/IEC 18013-5 Annex B): an IACA root made by a root
//! ceremony on SoftHSM and a Document Signer it signs, judged by isomdl
//! 0.2.0, `openssl verify -x509_strict` and pkilint; certificates that
//! break the profile, built with openssl, rejected by those judges; and
//! ceremony files that break it refused at `check`.
//!
//! isomdl checks validity against the wall clock, so the ceremonies here
//! are dated from the day the test runs (under scripts/test's faked
//! clocks too), not from fixed dates.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{MODULE, Practice, TOKEN, openssl, pkilint};
use isomdl::definitions::x509::X5Chain;
use isomdl::definitions::x509::trust_anchor::{PemTrustAnchor, TrustAnchorRegistry, TrustPurpose};
use isomdl::definitions::x509::validation::ValidationRuleset;
use time::OffsetDateTime;

/// Midnight UTC of the day the test runs, plus `days`.
fn day(days: i64) -> String {
    let now = OffsetDateTime::now_utc();
    let t = now.replace_time(time::Time::MIDNIGHT) + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A root ceremony file with `profile = "mdl-iaca"`; `certificate` holds
/// the [certificate] lines after subject and validity.
fn iaca_toml(algorithm: &str, subject: &str, years: i64, certificate: &str) -> String {
    format!(
        r#"ceremony = "root"
name = "IACA root"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[key]
label = "iaca"
algorithm = "{algorithm}"

[certificate]
profile = "mdl-iaca"
subject = "{subject}"
not_before = "{nb}"
not_after = "{na}"
{certificate}

[outputs]
certificate = "out/iaca.pem"
public_key = "out/iaca.pub.pem"
transcript = "out/iaca.transcript.jsonl"
"#,
        nb = day(-1),
        na = day(-1 + years * 365),
    )
}

const IACA_SUBJECT: &str = "CN=Example DMV IACA,O=Example DMV,ST=US-CA,C=US";
const IACA_P256: &str = r#"signature = "ecdsa-sha256"
crl_urls = ["http://crl.dmv.example.gov/iaca.crl"]
issuer_alt_name = ["mailto:pki@dmv.example.gov", "https://dmv.example.gov/iaca"]"#;

/// A document-signer ceremony file under the IACA in `ca/iaca.pem`.
fn ds_toml(csr: &str, days: i64, certificate: &str) -> String {
    format!(
        r#"ceremony = "document-signer"
name = "Document Signer 2027"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "iaca"
certificate = "ca/iaca.pem"

[csr]
file = "{csr}"

[certificate]
not_before = "{nb}"
not_after = "{na}"
{certificate}

[outputs]
certificate = "out/ds.pem"
chain = "out/ds.chain.pem"
transcript = "out/ds.transcript.jsonl"
"#,
        nb = day(-1),
        na = day(-1 + days),
    )
}

const DS_P256: &str = r#"signature = "ecdsa-sha256"
crl_urls = ["http://crl.dmv.example.gov/iaca.crl"]
issuer_alt_name = ["mailto:pki@dmv.example.gov"]"#;

/// A token with an IACA made by a root ceremony, its files under ca/.
fn with_iaca(algorithm: &str, certificate: &str) -> Practice {
    let p = Practice::new();
    p.write(
        "iaca.toml",
        &iaca_toml(algorithm, IACA_SUBJECT, 5, certificate).replace("out/", "ca/"),
    );
    p.rootca(&["run", "iaca.toml", "--yes"]).ok();
    p
}

/// An EC key and a CSR for `subject` (openssl's /C=US/... form).
fn csr(p: &Practice, name: &str, curve: &str, subject: &str) {
    openssl(
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ],
        p.path(),
    )
    .ok();
}

/// isomdl's verdict on the chain DS + IACA anchor, under `rules`.
fn isomdl(p: &Practice, ds: &str, iaca: &str, rules: ValidationRuleset) -> Vec<String> {
    let ds = std::fs::read(p.path().join(ds)).unwrap();
    let iaca = std::fs::read_to_string(p.path().join(iaca)).unwrap();
    let chain = X5Chain::builder()
        .with_pem_certificate(&ds)
        .unwrap()
        .build()
        .unwrap();
    let anchors = TrustAnchorRegistry::from_pem_certificates(vec![PemTrustAnchor {
        certificate_pem: iaca,
        purpose: TrustPurpose::Iaca,
    }])
    .unwrap();
    rules.validate(&chain, &anchors).errors
}

fn now_secs() -> String {
    OffsetDateTime::now_utc().unix_timestamp().to_string()
}

fn strict_verify(p: &Practice, ca: &str, cert: &str) -> common::Run {
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            &now_secs(),
            "-CAfile",
            ca,
            cert,
        ],
        p.path(),
    )
}

#[test]
fn p256_iaca_and_its_document_signer_pass_isomdl_openssl_and_pkilint() {
    let p = with_iaca("ec-p256", IACA_P256);
    csr(
        &p,
        "ds",
        "P-256",
        "/C=US/ST=US-CA/O=Example DMV/CN=Example DMV DS 1",
    );
    p.write("ds.toml", &ds_toml("ds.csr", 365, DS_P256));
    p.rootca(&["check", "ds.toml"]).ok();
    let run = p.rootca(&["run", "ds.toml", "--yes"]);
    run.ok();

    // isomdl, the ISO 18013-5 reader library: both rulesets, no error.
    assert_eq!(
        isomdl(&p, "out/ds.pem", "ca/iaca.pem", ValidationRuleset::Mdl),
        Vec::<String>::new()
    );
    assert_eq!(
        isomdl(&p, "out/ds.pem", "ca/iaca.pem", ValidationRuleset::AamvaMdl),
        Vec::<String>::new()
    );
    // openssl: a strict chain, and the IACA's self-signature.
    strict_verify(&p, "ca/iaca.pem", "out/ds.pem").ok();
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-check_ss_sig",
            "-attime",
            &now_secs(),
            "-CAfile",
            "ca/iaca.pem",
            "ca/iaca.pem",
        ],
        p.path(),
    )
    .ok();
    // The chain written is the IACA.
    assert_eq!(
        std::fs::read(p.path().join("out/ds.chain.pem")).unwrap(),
        std::fs::read(p.path().join("ca/iaca.pem")).unwrap()
    );
    // pkilint: nothing on either certificate nor on the pair.
    for cert in ["ca/iaca.pem", "out/ds.pem"] {
        let lint = pkilint("lint_pkix_cert", &[cert], p.path());
        assert_eq!(
            lint.code, 0,
            "pkilint on {cert}:\n{}{}",
            lint.stdout, lint.stderr
        );
    }
    let lint = pkilint(
        "lint_pkix_signer_signee_cert_chain",
        &["ca/iaca.pem", "out/ds.pem"],
        p.path(),
    );
    assert_eq!(
        lint.code, 0,
        "pkilint chain:\n{}{}",
        lint.stdout, lint.stderr
    );

    // The bytes the profile demands, read by openssl rather than by us.
    let iaca = openssl(&["x509", "-in", "ca/iaca.pem", "-noout", "-text"], p.path()).stdout;
    for want in [
        "CA:TRUE, pathlen:0",
        "Certificate Sign, CRL Sign",
        "X509v3 Issuer Alternative Name",
        "email:pki@dmv.example.gov, URI:https://dmv.example.gov/iaca",
        "URI:http://crl.dmv.example.gov/iaca.crl",
        "ecdsa-with-SHA256",
    ] {
        assert!(iaca.contains(want), "IACA lacks {want:?}:\n{iaca}");
    }
    let ds = openssl(&["x509", "-in", "out/ds.pem", "-noout", "-text"], p.path()).stdout;
    for want in [
        "X509v3 Key Usage: critical\n                Digital Signature",
        "X509v3 Extended Key Usage: critical\n                1.0.18013.5.1.2",
        "email:pki@dmv.example.gov",
        "Issuer: C = US, ST = US-CA, O = Example DMV, CN = Example DMV IACA",
    ] {
        assert!(ds.contains(want), "DS lacks {want:?}:\n{ds}");
    }
    assert!(!ds.contains("Basic Constraints"), "{ds}");
    // The DS's authorityKeyIdentifier is the IACA's subjectKeyIdentifier.
    let ski = openssl(
        &[
            "x509",
            "-in",
            "ca/iaca.pem",
            "-noout",
            "-ext",
            "subjectKeyIdentifier",
        ],
        p.path(),
    )
    .stdout;
    let ski = ski.lines().nth(1).unwrap().trim().to_string();
    assert!(ds.contains(&ski), "AKI is not {ski}:\n{ds}");
}

#[test]
fn p384_iaca_and_document_signer_pass_openssl_and_pkilint() {
    let p = with_iaca(
        "ec-p384",
        &IACA_P256.replace("ecdsa-sha256", "ecdsa-sha384"),
    );
    csr(&p, "ds", "P-256", "/C=US/ST=US-CA/CN=Example DMV DS 2");
    p.write(
        "ds.toml",
        &ds_toml(
            "ds.csr",
            457,
            &DS_P256.replace("ecdsa-sha256", "ecdsa-sha384"),
        ),
    );
    p.rootca(&["run", "ds.toml", "--yes"]).ok();
    strict_verify(&p, "ca/iaca.pem", "out/ds.pem").ok();
    for cert in ["ca/iaca.pem", "out/ds.pem"] {
        let lint = pkilint("lint_pkix_cert", &[cert], p.path());
        assert_eq!(
            lint.code, 0,
            "pkilint on {cert}:\n{}{}",
            lint.stdout, lint.stderr
        );
    }
    // isomdl 0.2.0 verifies only P-256 issuer signatures
    // (validation/signature.rs: VerifyingKey<NistP256>), so it finds no
    // trust anchor for a P-384 IACA: a limit of the judge, not of the
    // profile. Every rule but the signature passes.
    let errors = isomdl(&p, "out/ds.pem", "ca/iaca.pem", ValidationRuleset::Mdl);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("no valid trust anchor found"),
        "{errors:?}"
    );
}

/// An openssl configuration for IACA-like roots: `[iaca]` is the profile,
/// `[iaca_nc]` adds name constraints, `[ds]` a Document Signer.
const OPENSSL_MDL: &str = "\
[req]
distinguished_name = dn
[dn]
[iaca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
issuerAltName = email:pki@dmv.example.gov
crlDistributionPoints = URI:http://crl.dmv.example.gov/iaca.crl
[iaca_nc]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
issuerAltName = email:pki@dmv.example.gov
crlDistributionPoints = URI:http://crl.dmv.example.gov/iaca.crl
nameConstraints = critical, permitted;DNS:dmv.example.gov
[ds]
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, 1.0.18013.5.1.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
issuerAltName = email:pki@dmv.example.gov
crlDistributionPoints = URI:http://crl.dmv.example.gov/iaca.crl
";

/// A software IACA (`ext` section of OPENSSL_MDL) and a DS it signs for
/// `ds_subject`, valid `ds_days` from now, all made by openssl.
fn openssl_chain(p: &Practice, ext: &str, ds_subject: &str, ds_days: u32) {
    p.write("mdl.cnf", OPENSSL_MDL);
    // `req -x509` and `x509 -req` date from now, as isomdl judges them.
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "bad-iaca.key",
            "-subj",
            "/C=US/ST=US-CA/CN=Bad IACA",
            "-days",
            "1825",
            "-sha256",
            "-config",
            "mdl.cnf",
            "-extensions",
            ext,
            "-out",
            "bad-iaca.pem",
        ],
        p.path(),
    )
    .ok();
    csr(p, "bad-ds", "P-256", ds_subject);
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "bad-ds.csr",
            "-CA",
            "bad-iaca.pem",
            "-CAkey",
            "bad-iaca.key",
            "-CAcreateserial",
            "-days",
            &ds_days.to_string(),
            "-sha256",
            "-extfile",
            "mdl.cnf",
            "-extensions",
            "ds",
            "-out",
            "bad-ds.pem",
        ],
        p.path(),
    )
    .ok();
}

#[test]
fn openssl_chain_within_the_profile_passes_isomdl_so_the_negative_cases_below_mean_something() {
    let p = Practice::new();
    openssl_chain(&p, "iaca", "/C=US/ST=US-CA/CN=Good DS", 365);
    assert_eq!(
        isomdl(&p, "bad-ds.pem", "bad-iaca.pem", ValidationRuleset::Mdl),
        Vec::<String>::new()
    );
    let inspect = p.rootca(&["inspect", "bad-iaca.pem", "--profile", "mdl-iaca"]);
    inspect.ok();
    assert!(
        inspect.stdout.contains("satisfies mdl-iaca"),
        "{}",
        inspect.stdout
    );
}

#[test]
fn an_iaca_with_name_constraints_is_rejected_by_isomdl_and_by_inspect() {
    let p = Practice::new();
    openssl_chain(&p, "iaca_nc", "/C=US/ST=US-CA/CN=Good DS", 365);
    let errors = isomdl(&p, "bad-ds.pem", "bad-iaca.pem", ValidationRuleset::Mdl);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("extension is not allowed: id-ce-nameConstraints")),
        "{errors:?}"
    );
    let inspect = p.rootca(&["inspect", "bad-iaca.pem", "--profile", "mdl-iaca"]);
    assert_eq!(inspect.code, 2, "{}{}", inspect.stdout, inspect.stderr);
    assert!(inspect.stdout.contains("IACA-10"), "{}", inspect.stdout);
    assert!(
        inspect
            .stdout
            .contains("nameConstraints is forbidden by ISO/IEC 18013-5 B.1.1"),
        "{}",
        inspect.stdout
    );
}

#[test]
fn a_document_signer_whose_country_differs_from_the_iaca_is_rejected_by_isomdl_and_by_inspect() {
    let p = Practice::new();
    openssl_chain(&p, "iaca", "/C=CA/CN=Foreign DS", 365);
    let errors = isomdl(&p, "bad-ds.pem", "bad-iaca.pem", ValidationRuleset::Mdl);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("subject 'c' does not match: CA != US")),
        "{errors:?}"
    );
    let inspect = p.rootca(&[
        "inspect",
        "bad-ds.pem",
        "--profile",
        "mdl-ds",
        "--issuer",
        "bad-iaca.pem",
    ]);
    assert_eq!(inspect.code, 2, "{}{}", inspect.stdout, inspect.stderr);
    assert!(inspect.stdout.contains("DS-3"), "{}", inspect.stdout);
}

#[test]
fn a_document_signer_valid_458_days_is_rejected_by_inspect_though_isomdl_0_2_0_does_not_check_it() {
    let p = Practice::new();
    openssl_chain(&p, "iaca", "/C=US/ST=US-CA/CN=Long DS", 458);
    // isomdl 0.2.0 has no rule on the DS's lifetime: it accepts this one.
    // The 457 days come from walt.id's validator (../shared/spec/profiles.md,
    // S4), the only public implementation that enforces them.
    assert_eq!(
        isomdl(&p, "bad-ds.pem", "bad-iaca.pem", ValidationRuleset::Mdl),
        Vec::<String>::new()
    );
    let inspect = p.rootca(&[
        "inspect",
        "bad-ds.pem",
        "--profile",
        "mdl-ds",
        "--issuer",
        "bad-iaca.pem",
    ]);
    assert_eq!(inspect.code, 2, "{}{}", inspect.stdout, inspect.stderr);
    assert!(inspect.stdout.contains("DS-4"), "{}", inspect.stdout);
    assert!(
        inspect.stdout.contains("longer than 457 days"),
        "{}",
        inspect.stdout
    );
}

#[test]
fn check_refuses_name_constraints_on_an_iaca() {
    let p = Practice::new();
    let text = iaca_toml(
        "ec-p256",
        IACA_SUBJECT,
        5,
        &format!(
            "{IACA_P256}\n\n[certificate.name_constraints]\npermitted_dns = [\"dmv.example.gov\"]"
        ),
    );
    p.write("iaca.toml", &text);
    common::refused_at_check(
        &p,
        "iaca.toml",
        &["mdl-iaca: name_constraints are forbidden by ISO/IEC 18013-5 B.1.1"],
    );
}

#[test]
fn check_refuses_an_iaca_key_signature_subject_path_length_and_validity_off_the_profile() {
    let p = Practice::new();
    let text = iaca_toml(
        "rsa-2048",
        "CN=Example DMV IACA,ST=California,C=us",
        21,
        "signature = \"rsa-sha256\"\npath_len = 1",
    );
    p.write("iaca.toml", &text);
    common::refused_at_check(
        &p,
        "iaca.toml",
        &[
            "key.algorithm (line 11): mdl-iaca: rsa-2048 is not allowed",
            "certificate.subject (line 15): mdl-iaca: C=us is not an ISO 3166-1 alpha-2 code",
            "ST=California is not an ISO 3166-2 code",
            "certificate.not_after (line 17): mdl-iaca: the validity may be at most 20 years",
            "certificate.path_len (line 19): mdl-iaca: 1 is not allowed",
            "certificate.issuer_alt_name: mdl-iaca: is required",
            "certificate.crl_urls: mdl-iaca: is required",
        ],
    );
}

#[test]
fn check_refuses_an_iaca_signature_of_the_other_hash_and_a_subject_without_country() {
    let p = Practice::new();
    let text = iaca_toml(
        "ec-p256",
        "CN=Example DMV IACA,O=Example DMV",
        5,
        &IACA_P256.replace("ecdsa-sha256", "ecdsa-sha384"),
    );
    p.write("iaca.toml", &text);
    common::refused_at_check(
        &p,
        "iaca.toml",
        &[
            "mdl-iaca: ecdsa-sha384 is not allowed with a ec-p256 key: use ecdsa-sha256",
            "the name has no C; C is required",
        ],
    );
}

#[test]
fn check_refuses_a_document_signer_valid_458_days() {
    let p = with_iaca("ec-p256", IACA_P256);
    csr(&p, "ds", "P-256", "/C=US/ST=US-CA/CN=Example DMV DS");
    p.write("ds.toml", &ds_toml("ds.csr", 458, DS_P256));
    common::refused_at_check(
        &p,
        "ds.toml",
        &[
            "certificate.not_after (line 18): mdl-ds: the validity is 458 days; a Document Signer's is at most 457 days (ISO/IEC 18013-5 B.1.4, rule DS-4)",
        ],
    );
}

#[test]
fn check_refuses_a_document_signer_whose_country_or_state_differs_from_the_iacas() {
    let p = with_iaca("ec-p256", IACA_P256);
    csr(&p, "ds", "P-256", "/C=CA/ST=CA-ON/CN=Example DMV DS");
    p.write("ds.toml", &ds_toml("ds.csr", 365, DS_P256));
    common::refused_at_check(
        &p,
        "ds.toml",
        &[
            "csr.file (line 14): mdl-ds: the CSR's subject has C=CA, the IACA's C=US: they must be equal",
            "ST=CA-ON, the IACA's ST=US-CA",
        ],
    );
}

#[test]
fn check_refuses_a_document_signer_under_a_root_that_is_no_iaca() {
    let p = common::with_root();
    std::fs::copy(p.path().join("ca/root.pem"), p.path().join("ca/iaca.pem")).unwrap();
    csr(&p, "ds", "P-256", "/C=US/CN=Example DMV DS");
    p.write(
        "ds.toml",
        &ds_toml(
            "ds.csr",
            365,
            &DS_P256.replace("ecdsa-sha256", "ecdsa-sha384"),
        )
        .replace("\"iaca\"", "\"root\""),
    );
    common::refused_at_check(
        &p,
        "ds.toml",
        &["issuer.certificate (line 11): mdl-ds: is not an mDL IACA: IACA-6"],
    );
}

#[test]
fn check_refuses_a_document_signer_without_crl_url_or_issuer_alt_name() {
    let p = with_iaca("ec-p256", IACA_P256);
    csr(&p, "ds", "P-256", "/C=US/ST=US-CA/CN=Example DMV DS");
    p.write(
        "ds.toml",
        &ds_toml("ds.csr", 365, "signature = \"ecdsa-sha256\""),
    );
    common::refused_at_check(
        &p,
        "ds.toml",
        &[
            "certificate.crl_urls: mdl-ds: is required",
            "certificate.issuer_alt_name: mdl-ds: is required",
        ],
    );
}

/// A CRL ceremony file under the IACA; `revoked` follows [crl].
fn iaca_crl_toml(revoked: &str) -> String {
    format!(
        r#"ceremony = "crl"
name = "IACA CRL 1"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "iaca"
certificate = "ca/iaca.pem"

[crl]
number = 1
this_update = "{tu}"
next_update = "{nu}"
signature = "ecdsa-sha256"

{revoked}

[outputs]
crl = "out/iaca.crl"
transcript = "out/iaca-crl.transcript.jsonl"
"#,
        tu = day(0),
        nu = day(30),
    )
}

#[test]
fn a_crl_under_an_iaca_follows_the_iaca_crl_profile() {
    let p = with_iaca("ec-p256", IACA_P256);
    let revoked = format!(
        "[[crl.revoked]]\nserial = \"0x4f2a\"\ndate = \"{}\"\nreason = \"keyCompromise\"",
        day(-1)
    );
    // A reason code would be a CRL entry extension; an IDP a third CRL extension.
    p.write(
        "crl.toml",
        &iaca_crl_toml(&revoked).replace(
            "signature = \"ecdsa-sha256\"",
            "signature = \"ecdsa-sha256\"\ndistribution_point = \"http://crl.dmv.example.gov/iaca.crl\"",
        ),
    );
    common::refused_at_check(
        &p,
        "crl.toml",
        &[
            "crl.distribution_point (line 18): mdl-iaca: the IACA CRL carries only authorityKeyIdentifier and cRLNumber",
            "crl.revoked entry 1: mdl-iaca: reason \"keyCompromise\" would be a CRL entry extension",
        ],
    );
    p.write(
        "crl.toml",
        &iaca_crl_toml(&revoked.replace("keyCompromise", "unspecified")),
    );
    let check = p.rootca(&["check", "crl.toml"]);
    check.ok();
    assert!(
        check.stdout.contains("profile: mDL IACA CRL"),
        "{}",
        check.stdout
    );
    p.rootca(&["run", "crl.toml", "--yes"]).ok();
    openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "out/iaca.crl",
            "-CAfile",
            "ca/iaca.pem",
            "-noout",
            "-verify",
        ],
        p.path(),
    )
    .ok();
    let text = openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "out/iaca.crl",
            "-noout",
            "-text",
        ],
        p.path(),
    )
    .stdout;
    assert!(!text.contains("CRL entry extensions"), "{text}");
    assert!(!text.contains("Issuing Distribution Point"), "{text}");
    assert!(text.contains("Next Update"), "{text}");
    let lint = pkilint(
        "lint_crl",
        &["-t", "CRL", "-p", "PKIX", "out/iaca.crl"],
        p.path(),
    );
    assert_eq!(lint.code, 0, "pkilint:\n{}{}", lint.stdout, lint.stderr);
}

/// crl1/iaca.crl signed again on the token with a reasonCode
/// (keyCompromise) on its first entry, as another tool might have made
/// it; written to prev.crl (DER).
fn crl_with_a_reason_code(p: &Practice) {
    use der::{Decode, Encode, asn1::BitString, asn1::OctetString};
    use x509_cert::crl::CertificateList;
    use x509_cert::ext::Extension;
    let bytes = std::fs::read(p.path().join("crl1/iaca.crl")).unwrap();
    let mut crl: CertificateList = CertificateList::from_der(&bytes).unwrap();
    let entry = &mut crl.tbs_cert_list.revoked_certificates.as_mut().unwrap()[0];
    // CRLReason ::= ENUMERATED; keyCompromise (1).
    entry.crl_entry_extensions = Some(vec![Extension {
        extn_id: const_oid::db::rfc5280::ID_CE_CRL_REASONS,
        critical: false,
        extn_value: OctetString::new(vec![0x0a, 0x01, 0x01]).unwrap(),
    }]);
    // SoftHSM 2.6 offers raw CKM_ECDSA only: the digest is made here.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(crl.tbs_cert_list.to_der().unwrap());
    std::fs::write(p.path().join("tbs.sha256"), digest).unwrap();
    p.pkcs11_tool(&[
        "--sign",
        "--mechanism",
        "ECDSA",
        "--signature-format",
        "openssl",
        "--label",
        "iaca",
        "-i",
        &p.path().join("tbs.sha256").display().to_string(),
        "-o",
        &p.path().join("sig.der").display().to_string(),
    ])
    .ok();
    let sig = std::fs::read(p.path().join("sig.der")).unwrap();
    crl.signature = BitString::from_bytes(&sig).unwrap();
    std::fs::write(p.path().join("prev.crl"), crl.to_der().unwrap()).unwrap();
    openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "prev.crl",
            "-CAfile",
            "ca/iaca.pem",
            "-noout",
            "-verify",
        ],
        p.path(),
    )
    .ok();
}

#[test]
fn entries_carried_over_from_a_previous_crl_must_fit_the_iaca_crl_profile_too() {
    let p = with_iaca("ec-p256", IACA_P256);
    let revoked = format!(
        "[[crl.revoked]]\nserial = \"0x4f2a\"\ndate = \"{}\"\nreason = \"unspecified\"",
        day(-1)
    );
    // CRL 1 outside out/, which must stay empty while CRL 2 is refused.
    p.write(
        "crl.toml",
        &iaca_crl_toml(&revoked).replace("out/", "crl1/"),
    );
    p.rootca(&["run", "crl.toml", "--yes"]).ok();
    crl_with_a_reason_code(&p);
    let second = |sections: &str| {
        iaca_crl_toml(sections)
            .replace("number = 1", "number = 2\nprevious = \"prev.crl\"")
            .replace("out/iaca", "out/iaca-2")
    };

    p.write("crl2.toml", &second(""));
    common::refused_at_check(
        &p,
        "crl2.toml",
        &[
            "crl.previous (line 15): mdl-iaca: entry 0x4f2a carries reason \"keyCompromise\", a CRL entry extension the IACA CRL profile forbids",
        ],
    );

    // Dropped and listed again as unspecified, it is signed without one.
    p.write(
        "crl2.toml",
        &second(&format!(
            "[[crl.remove]]\nserial = \"0x4f2a\"\nreason = \"re-listed without its reason code (IACA CRL profile)\"\n\n{revoked}"
        )),
    );
    p.rootca(&["run", "crl2.toml", "--yes"]).ok();
    let text = openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "out/iaca-2.crl",
            "-noout",
            "-text",
        ],
        p.path(),
    )
    .stdout;
    assert!(text.contains("Serial Number: 4F2A"), "{text}");
    assert!(!text.contains("CRL entry extensions"), "{text}");
}
