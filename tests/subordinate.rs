//! Subordinate ceremonies on a real SoftHSM token. openssl and pkilint
//! judge the result; openssl also enforces the name constraints on leaf
//! certificates the test issues under the subordinate's own key.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Practice, openssl, openssl_fixed, pkilint, refused, subordinate_toml, with_root};

/// A subordinate ceremony for the CSR file `csr` with these name-constraint
/// lists, its outputs out/sub.pem, out/sub.chain.pem, out/sub.transcript.jsonl.
fn sub_toml(csr: &str, constraints: &str) -> String {
    subordinate_toml(
        &format!("file = \"{csr}\""),
        &format!("[certificate.name_constraints]\n{constraints}"),
        "out/sub",
    )
}

const ISSUE_CONSTRAINTS: &str = r#"permitted_dns = ["dev.example.com", ".test.example.com"]
excluded_dns = [".prod.dev.example.com"]
excluded_ip = ["0.0.0.0/0", "::/0"]"#;

const RFC_CONSTRAINTS: &str = r#"permitted_dns = ["dev.example.com"]
excluded_dns = ["prod.dev.example.com"]
excluded_ip = ["0.0.0.0/0", "::/0"]"#;

fn key_and_csr(p: &Practice, name: &str, genpkey: &[&str], subject: &str) {
    let key = format!("{name}.key");
    let mut args = vec!["genpkey", "-out", &key];
    args.extend_from_slice(genpkey);
    openssl(&args, p.path()).ok();
    openssl(
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ],
        p.path(),
    )
    .ok();
}

fn verify_chain(p: &Practice, leaf: &str) -> common::Run {
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-CAfile",
            "ca/root.pem",
            "-untrusted",
            "out/sub.pem",
            leaf,
        ],
        p.path(),
    )
}

/// A leaf for `san` (e.g. "DNS:a.dev.example.com"), signed by the
/// subordinate's key with openssl.
fn leaf(p: &Practice, n: usize, san: &str) -> String {
    let name = format!("leaf{n}");
    key_and_csr(
        p,
        &name,
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/CN=leaf",
    );
    p.write(
        &format!("{name}.ext"),
        &format!("basicConstraints=critical,CA:FALSE\nsubjectAltName={san}\n"),
    );
    let pem = format!("{name}.pem");
    openssl_fixed(
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "out/sub.pem",
            "-CAkey",
            "sub.key",
            "-days",
            "30",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &pem,
        ],
        p.path(),
    )
    .ok();
    pem
}

#[test]
fn openssl_enforces_the_name_constraints_the_ceremony_file_dictates() {
    let p = with_root();
    key_and_csr(
        &p,
        "sub",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/C=US/O=Example Corp/CN=Dev Issuing CA",
    );
    p.write("sub.toml", &sub_toml("sub.csr", ISSUE_CONSTRAINTS));
    p.rootca(&["run", "sub.toml", "--yes"]).ok();
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-check_ss_sig",
            "-CAfile",
            "ca/root.pem",
            "out/sub.pem",
        ],
        p.path(),
    )
    .ok();

    let cases = [
        ("DNS:dev.example.com", None),
        ("DNS:a.dev.example.com", None),
        ("DNS:x.test.example.com", None),
        ("DNS:test.example.com", Some("permitted subtree violation")),
        (
            "DNS:x.prod.dev.example.com",
            Some("excluded subtree violation"),
        ),
        ("DNS:example.org", Some("permitted subtree violation")),
        (
            "DNS:a.dev.example.com,IP:10.1.2.3",
            Some("excluded subtree violation"),
        ),
    ];
    for (n, (san, refusal)) in cases.iter().enumerate() {
        let pem = leaf(&p, n, san);
        let verdict = verify_chain(&p, &pem);
        match refusal {
            None => assert_eq!(
                verdict.code, 0,
                "{san} refused:\n{}{}",
                verdict.stdout, verdict.stderr
            ),
            Some(why) => {
                assert_ne!(verdict.code, 0, "{san} accepted");
                let said = format!("{}{}", verdict.stdout, verdict.stderr);
                assert!(
                    said.contains(why),
                    "{san}: expected {why:?}, openssl said:\n{said}"
                );
            }
        }
    }

    // `rootca names` agrees with openssl before the ceremony would run.
    let names = p.rootca(&[
        "names",
        "sub.toml",
        "--test",
        "x.test.example.com",
        "--test",
        "test.example.com",
        "--test",
        "10.1.2.3",
    ]);
    names.ok();
    assert!(
        names.stdout.contains("permitted  x.test.example.com"),
        "{}",
        names.stdout
    );
    assert!(
        names.stdout.contains("REFUSED    test.example.com"),
        "{}",
        names.stdout
    );
    assert!(
        names
            .stdout
            .contains("REFUSED    10.1.2.3  (excluded by excluded_ip \"0.0.0.0/0\")"),
        "{}",
        names.stdout
    );

    // The chain file is what Private CA takes: the root certificate.
    let chain = std::fs::read_to_string(p.path().join("out/sub.chain.pem")).unwrap();
    let root = std::fs::read_to_string(p.path().join("ca/root.pem")).unwrap();
    assert_eq!(chain, root);

    // inspect shows the constraints readably.
    let inspect = p.rootca(&["inspect", "out/sub.pem"]);
    assert!(
        inspect.stdout.contains("nameConstraints [critical]"),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect
            .stdout
            .contains("excluded  IP   0.0.0.0/0 (every IPv4 address)"),
        "{}",
        inspect.stdout
    );
}

/// An exclusion one label below a permitted name: the wildcard gap.
const WILDCARD_GAP_CONSTRAINTS: &str = r#"permitted_dns = ["dev.example.com"]
excluded_dns = ["www.dev.example.com"]"#;

#[test]
fn names_prints_a_warning_under_a_wildcard_that_openssl_lets_past_an_exclusion() {
    let p = with_root_and_csr();
    p.write("sub.toml", &sub_toml("sub.csr", WILDCARD_GAP_CONSTRAINTS));
    let names = p.rootca(&[
        "names",
        "sub.toml",
        "--test",
        "*.dev.example.com",
        "--test",
        "cn:127.0.0.1",
    ]);
    names.ok();
    assert!(
        names.stdout.contains(
            "permitted  *.dev.example.com  (permitted by permitted_dns \"dev.example.com\")\n           \
             warning: *.dev.example.com also covers www.dev.example.com"
        ),
        "{}",
        names.stdout
    );
    assert!(
        names
            .stdout
            .contains("REFUSED    cn:127.0.0.1  (not inside any permitted_dns subtree"),
        "{}",
        names.stdout
    );
}

#[test]
fn check_warns_of_an_exclusion_a_wildcard_certificate_would_cover() {
    let p = with_root_and_csr();
    p.write("sub.toml", &sub_toml("sub.csr", WILDCARD_GAP_CONSTRAINTS));
    let check = p.rootca(&["check", "sub.toml"]);
    check.ok();
    assert!(
        check.stdout.contains(
            "warning: excluded_dns entry 1 (\"www.dev.example.com\") does not stop a wildcard"
        ),
        "{}",
        check.stdout
    );
    // Without an exclusion below the permitted name there is no warning.
    p.write(
        "plain.toml",
        &sub_toml(
            "sub.csr",
            "permitted_dns = [\"dev.example.com\"]\nexcluded_ip = [\"0.0.0.0/0\", \"::/0\"]",
        )
        .replace("out/sub", "out/plain"),
    );
    let plain = p.rootca(&["check", "plain.toml"]);
    plain.ok();
    assert!(!plain.stdout.contains("warning:"), "{}", plain.stdout);
}

#[test]
fn names_json_carries_the_verdict_and_its_warnings() {
    let p = with_root_and_csr();
    p.write("sub.toml", &sub_toml("sub.csr", WILDCARD_GAP_CONSTRAINTS));
    let names = p.rootca(&[
        "names",
        "sub.toml",
        "--json",
        "--test",
        "*.dev.example.com",
        "--test",
        "www.dev.example.com",
    ]);
    names.ok();
    let json: serde_json::Value = serde_json::from_str(&names.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {
                "name": "*.dev.example.com",
                "kind": "DNS name *.dev.example.com",
                "permitted": true,
                "reason": "permitted by permitted_dns \"dev.example.com\"",
                "warnings": [
                    "*.dev.example.com also covers www.dev.example.com, which excluded_dns \
                     \"www.dev.example.com\" excludes: OpenSSL compares the wildcard as written \
                     and accepts the certificate; rustls-webpki, Go (CVE-2025-61727) and \
                     BoringSSL refuse such a certificate"
                ]
            },
            {
                "name": "www.dev.example.com",
                "kind": "DNS name www.dev.example.com",
                "permitted": false,
                "reason": "excluded by excluded_dns \"www.dev.example.com\"",
                "warnings": []
            }
        ])
    );
}

#[test]
fn names_refuses_to_judge_an_email_address_that_is_no_mailbox() {
    let p = with_root_and_csr();
    p.write("sub.toml", &sub_toml("sub.csr", RFC_CONSTRAINTS));
    let names = p.rootca(&["names", "sub.toml", "--test", "invalid@address@example.com"]);
    assert_eq!(names.code, 2, "{}{}", names.stdout, names.stderr);
    assert!(
        names.stderr.contains(
            "\"invalid@address@example.com\" is not an email address (an RFC 5321 mailbox, \
             local-part@domain): it has more than one '@'"
        ),
        "{}",
        names.stderr
    );
}

#[test]
fn pkilint_finds_nothing_in_root_to_subordinate() {
    let p = with_root();
    key_and_csr(
        &p,
        "sub",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "/C=US/O=Example Corp/CN=Issuing CA",
    );
    p.write("sub.toml", &sub_toml("sub.csr", RFC_CONSTRAINTS));
    p.rootca(&["run", "sub.toml", "--yes"]).ok();
    let cert = pkilint("lint_pkix_cert", &["out/sub.pem"], p.path());
    assert_eq!(cert.code, 0, "{}{}", cert.stdout, cert.stderr);
    let chain = pkilint(
        "lint_pkix_signer_signee_cert_chain",
        &["ca/root.pem", "out/sub.pem"],
        p.path(),
    );
    assert_eq!(chain.code, 0, "{}{}", chain.stdout, chain.stderr);
}

#[test]
fn pkilint_reports_only_the_leading_dot_dns_entries() {
    // The leading-dot form is OpenSSL's "names below only"; it is not RFC
    // 5280 dNSName syntax, and the plan says so. This pins down that it is
    // the only thing pkilint objects to.
    let p = with_root();
    key_and_csr(
        &p,
        "sub",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/C=US/O=Example Corp/CN=Issuing CA",
    );
    p.write("sub.toml", &sub_toml("sub.csr", ISSUE_CONSTRAINTS));
    let check = p.rootca(&["check", "sub.toml"]);
    assert!(
        check.stdout.contains("it is not RFC 5280 dNSName syntax"),
        "{}",
        check.stdout
    );
    p.rootca(&["run", "sub.toml", "--yes"]).ok();
    let cert = pkilint("lint_pkix_cert", &["out/sub.pem"], p.path());
    assert_eq!(cert.code, 2, "{}", cert.stdout);
    assert_eq!(
        cert.stdout
            .matches("pkix.invalid_domain_name_syntax")
            .count(),
        2,
        "{}",
        cert.stdout
    );
    assert!(
        cert.stdout.contains("\".test.example.com\"")
            && cert.stdout.contains("\".prod.dev.example.com\"")
    );
    let chain = pkilint(
        "lint_pkix_signer_signee_cert_chain",
        &["ca/root.pem", "out/sub.pem"],
        p.path(),
    );
    assert_eq!(chain.code, 0, "{}{}", chain.stdout, chain.stderr);
}

fn signs_a_csr_of(genpkey: &[&str], signature_check: &str) {
    let p = with_root();
    key_and_csr(&p, "sub", genpkey, "/C=US/O=Example Corp/CN=Issuing CA");
    p.write("sub.toml", &sub_toml("sub.csr", RFC_CONSTRAINTS));
    let run = p.rootca(&["run", "sub.toml", "--yes"]);
    run.ok();
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-check_ss_sig",
            "-CAfile",
            "ca/root.pem",
            "out/sub.pem",
        ],
        p.path(),
    )
    .ok();
    let text = openssl(&["x509", "-in", "out/sub.pem", "-noout", "-text"], p.path());
    assert!(text.stdout.contains(signature_check), "{}", text.stdout);
    // The certificate carries the CSR's key, and nothing else of the CSR.
    let cert_key = openssl(
        &["x509", "-in", "out/sub.pem", "-noout", "-pubkey"],
        p.path(),
    );
    let csr_key = openssl(&["req", "-in", "sub.csr", "-noout", "-pubkey"], p.path());
    assert_eq!(cert_key.stdout, csr_key.stdout);
}

#[test]
fn signs_an_rsa_2048_csr() {
    signs_a_csr_of(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "Public-Key: (2048 bit)",
    );
}

#[test]
fn signs_an_rsa_3072_csr() {
    signs_a_csr_of(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        "Public-Key: (3072 bit)",
    );
}

#[test]
fn signs_an_rsa_4096_csr() {
    signs_a_csr_of(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        "Public-Key: (4096 bit)",
    );
}

#[test]
fn signs_an_ec_p256_csr() {
    signs_a_csr_of(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "NIST CURVE: P-256",
    );
}

#[test]
fn signs_an_ec_p384_csr() {
    signs_a_csr_of(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "NIST CURVE: P-384",
    );
}

#[test]
fn signs_an_ec_p521_csr() {
    signs_a_csr_of(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "NIST CURVE: P-521",
    );
}

#[test]
fn signs_csrs_shaped_like_private_cas() {
    // Made by the project's Private CA emulator (tests/fixtures/make-private-ca-csrs.py).
    for fixture in ["private-ca-ec-p384.csr", "private-ca-rsa-2048.csr"] {
        let p = with_root();
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(fixture),
            p.path().join("sub.csr"),
        )
        .unwrap();
        p.write("sub.toml", &sub_toml("sub.csr", RFC_CONSTRAINTS));
        p.rootca(&["run", "sub.toml", "--yes"]).ok();
        openssl(
            &[
                "verify",
                "-x509_strict",
                "-attime",
                common::VERIFY_AT,
                "-check_ss_sig",
                "-CAfile",
                "ca/root.pem",
                "out/sub.pem",
            ],
            p.path(),
        )
        .ok();
    }
}

#[test]
fn the_csrs_requested_extensions_are_shown_and_ignored() {
    let p = with_root();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "sub.key",
        ],
        p.path(),
    )
    .ok();
    openssl(
        &[
            "req",
            "-new",
            "-key",
            "sub.key",
            "-subj",
            "/CN=Greedy CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "subjectAltName=DNS:evil.example.org",
            "-out",
            "sub.csr",
        ],
        p.path(),
    )
    .ok();
    p.write("sub.toml", &sub_toml("sub.csr", RFC_CONSTRAINTS));
    let check = p.rootca(&["check", "sub.toml"]);
    check.ok();
    assert!(
        check.stdout.contains("ignored from the CSR"),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("requested extension subjectAltName: DNS:evil.example.org"),
        "{}",
        check.stdout
    );
    p.rootca(&["run", "sub.toml", "--yes"]).ok();
    let text = openssl(&["x509", "-in", "out/sub.pem", "-noout", "-text"], p.path());
    assert!(!text.stdout.contains("evil.example.org"), "{}", text.stdout);
    assert!(
        text.stdout.contains("CA:TRUE, pathlen:0"),
        "{}",
        text.stdout
    );
}

fn sub_refused(p: &Practice, toml: &str, must_mention: &[&str]) {
    p.write("sub.toml", toml);
    refused(p, "sub.toml", must_mention);
}

fn with_root_and_csr() -> Practice {
    let p = with_root();
    key_and_csr(
        &p,
        "sub",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/CN=Issuing CA",
    );
    p
}

#[test]
fn a_csr_with_a_broken_signature_is_refused() {
    let p = with_root_and_csr();
    openssl(
        &[
            "req", "-in", "sub.csr", "-outform", "DER", "-out", "sub.der",
        ],
        p.path(),
    )
    .ok();
    let mut der = std::fs::read(p.path().join("sub.der")).unwrap();
    let last = der.len() - 3;
    der[last] ^= 0x01;
    std::fs::write(p.path().join("broken.der"), der).unwrap();
    sub_refused(
        &p,
        &sub_toml("broken.der", RFC_CONSTRAINTS),
        &["csr.file", "self-signature does not verify"],
    );
}

#[test]
fn an_rsa_1024_csr_is_refused() {
    let p = with_root();
    key_and_csr(
        &p,
        "weak",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        "/CN=Weak CA",
    );
    sub_refused(
        &p,
        &sub_toml("weak.csr", RFC_CONSTRAINTS),
        &[
            "csr.file",
            "RSA 1024 bits",
            "not one AWS Private CA can hold",
        ],
    );
}

#[test]
fn a_file_that_is_neither_pem_nor_der_is_refused() {
    let p = with_root();
    p.write("junk.csr", "this is not a CSR\n");
    sub_refused(
        &p,
        &sub_toml("junk.csr", RFC_CONSTRAINTS),
        &["csr.file", "is not a PKCS#10 certificate signing request"],
    );
}

#[test]
fn not_after_beyond_the_roots_is_refused_with_the_latest_allowed_date() {
    let p = with_root_and_csr();
    let toml = sub_toml("sub.csr", RFC_CONSTRAINTS)
        .replace("2036-01-01T00:00:00Z", "2047-01-01T00:00:00Z");
    sub_refused(
        &p,
        &toml,
        &[
            "certificate.not_after (line 18)",
            "the latest allowed is 2046-01-01T00:00:00Z",
        ],
    );
}

#[test]
fn malformed_constraints_are_refused() {
    for (bad, says) in [
        (r#"permitted_dns = ["*.example.com"]"#, "permitted_dns"),
        (r#"permitted_ip = ["10.0.0.0/33"]"#, "permitted_ip"),
        (r#"excluded_dns = [""]"#, "excluded_dns"),
    ] {
        let p = with_root_and_csr();
        sub_refused(
            &p,
            &sub_toml("sub.csr", bad),
            &["certificate.name_constraints", says],
        );
    }
}

#[test]
fn a_path_len_is_required_and_must_be_below_the_roots() {
    let p = with_root_and_csr();
    let missing = sub_toml("sub.csr", RFC_CONSTRAINTS).replace("path_len = 0\n", "");
    sub_refused(
        &p,
        &missing,
        &["certificate.path_len", "is required for a subordinate"],
    );
    let too_long = sub_toml("sub.csr", RFC_CONSTRAINTS).replace("path_len = 0\n", "path_len = 1\n");
    sub_refused(
        &p,
        &too_long,
        &[
            "certificate.path_len (line 20)",
            "must be below the issuer's pathLen 1 (at most 0)",
        ],
    );
}

#[test]
fn an_issuer_certificate_of_another_key_is_refused_before_signing() {
    let p = with_root_and_csr();
    // A look-alike root made in software, carrying the same subject.
    openssl_fixed(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "other.key",
            "-subj",
            "/C=US/O=Example Corp/CN=Test Root CA root",
            "-days",
            "7300",
            "-addext",
            "basicConstraints=critical,CA:TRUE,pathlen:1",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "other-root.pem",
        ],
        p.path(),
    )
    .ok();
    // Dates inside both roots' validity, so the key check is what speaks.
    let toml = sub_toml("sub.csr", RFC_CONSTRAINTS)
        .replace("ca/root.pem", "other-root.pem")
        .replace("2036-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
        .replace("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    p.write("sub.toml", &toml);
    p.rootca(&["check", "sub.toml"]).ok();
    let run = p.rootca(&["run", "sub.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the key labelled \"root\" is not the key of the issuer certificate"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was changed"), "{}", run.stderr);
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
}
