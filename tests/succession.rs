//! Root succession on SoftHSM: a `key` ceremony makes the next root's key,
//! a `root` ceremony with `existing = true` certifies it later, and a
//! `cross-certificate` ceremony has the current root sign it. Both trust
//! paths (leaf → subordinate → new root, and leaf → subordinate → new
//! root by cross-certificate → old root) are built by
//! `openssl verify -x509_strict` and by python-cryptography's verifier;
//! pkilint judges the cross-certificate; bad files are refused at `check`.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{MODULE, Practice, TOKEN, openssl, openssl_fixed, pkilint, root_toml};

/// 2026-01-15T00:00:00Z: inside every validity here.
const AT: &str = "1768435200";

fn key_toml(label: &str, algorithm: &str) -> String {
    format!(
        r#"ceremony = "key"
name = "Next root key {label}"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[key]
label = "{label}"
algorithm = "{algorithm}"

[outputs]
public_key = "keys/{label}.pub.pem"
transcript = "keys/{label}.transcript.jsonl"
"#
    )
}

/// The cross-certificate ceremony: G1 signs G2; `extra` replaces the
/// validity lines.
fn cross_toml(validity: &str) -> String {
    format!(
        r#"ceremony = "cross-certificate"
name = "G1 cross-signs G2"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "g1"
certificate = "ca/g1.pem"

[subject]
certificate = "ca/g2.pem"

[certificate]
{validity}
signature = "ecdsa-sha384"
path_len = 1
crl_urls = ["http://crl.example.com/g1.crl"]

[outputs]
certificate = "out/g2-by-g1.pem"
transcript = "out/cross-g2.transcript.jsonl"
"#
    )
}

const CROSS_VALIDITY: &str =
    "not_before = \"2026-01-01T00:00:00Z\"\nnot_after = \"2040-01-01T00:00:00Z\"";

/// G1 (no pathLen, so a cross-certified root with subordinates fits below
/// it), G2's key from a key ceremony, G2 certified from that key.
fn two_generations() -> Practice {
    let p = Practice::new();
    p.write(
        "g1.toml",
        &root_toml("g1", "ec-p384", "ecdsa-sha384", "g1")
            .replace("out/", "ca/")
            .replace("path_len = 1\n", ""),
    );
    p.rootca(&["run", "g1.toml", "--yes"]).ok();
    p.write("g2-key.toml", &key_toml("g2", "ec-p384"));
    p.rootca(&["run", "g2-key.toml", "--yes"]).ok();
    p.write(
        "g2.toml",
        &root_toml("g2", "ec-p384", "ecdsa-sha384", "g2")
            .replace("out/", "ca/")
            .replace(
                "algorithm = \"ec-p384\"",
                "algorithm = \"ec-p384\"\nexisting = true",
            ),
    );
    p
}

/// A subordinate (openssl key) under G2 and a leaf for www.example.com
/// that openssl issues under it.
fn subordinate_and_leaf(p: &Practice) {
    openssl(
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "sub.key",
            "-subj",
            "/CN=Issuing CA under G2/O=Example Corp",
            "-out",
            "sub.csr",
        ],
        p.path(),
    )
    .ok();
    p.write(
        "sub.toml",
        &common::subordinate_toml("file = \"sub.csr\"", "", "out/sub")
            .replace("key_label = \"root\"", "key_label = \"g2\"")
            .replace("ca/root.pem", "ca/g2.pem"),
    );
    p.rootca(&["run", "sub.toml", "--yes"]).ok();
    openssl(
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-subj",
            "/CN=www.example.com",
            "-out",
            "leaf.csr",
        ],
        p.path(),
    )
    .ok();
    p.write(
        "leaf.cnf",
        "[leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:www.example.com\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
    );
    openssl_fixed(
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "out/sub.pem",
            "-CAkey",
            "sub.key",
            "-set_serial",
            "0x3a4b5c6d7e8f",
            "-days",
            "90",
            "-sha256",
            "-extfile",
            "leaf.cnf",
            "-extensions",
            "leaf",
            "-out",
            "leaf.pem",
        ],
        p.path(),
    )
    .ok();
}

/// `openssl verify -x509_strict` of leaf.pem trusting `anchor`, with
/// `untrusted` concatenated as the intermediates.
fn strict_verify(p: &Practice, anchor: &str, untrusted: &[&str]) -> common::Run {
    let pool: String = untrusted
        .iter()
        .map(|f| std::fs::read_to_string(p.path().join(f)).unwrap())
        .collect();
    p.write("pool.pem", &pool);
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            AT,
            "-CAfile",
            anchor,
            "-untrusted",
            "pool.pem",
            "-show_chain",
            "leaf.pem",
        ],
        p.path(),
    )
}

/// python-cryptography's verifier: the chain it builds from leaf.pem to
/// `anchor` through `untrusted`, as subjects, or its error.
fn cryptography_chain(
    p: &Practice,
    anchor: &str,
    untrusted: &[&str],
) -> Result<Vec<String>, String> {
    let code = r#"
import sys, datetime
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store
load = lambda f: x509.load_pem_x509_certificates(open(f, 'rb').read())
store = Store(load(sys.argv[1]))
pool = [c for f in sys.argv[3:] for c in load(f)]
verifier = (PolicyBuilder().store(store)
    .time(datetime.datetime(2026, 1, 15, tzinfo=datetime.timezone.utc))
    .build_server_verifier(x509.DNSName("www.example.com")))
for cert in verifier.verify(load(sys.argv[2])[0], pool):
    print(cert.subject.rfc4514_string())
"#;
    let mut args = vec!["-c", code, anchor, "leaf.pem"];
    args.extend_from_slice(untrusted);
    let out = std::process::Command::new(common::venv_bin("python"))
        .current_dir(p.path())
        .args(&args)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn a_key_made_earlier_becomes_a_root_and_both_trust_paths_verify_through_the_cross_certificate() {
    let p = two_generations();
    let plan = p.rootca(&["check", "g2.toml"]);
    plan.ok();
    assert!(
        plan.stdout
            .contains("Find the existing key pair in the HSM")
            && !plan.stdout.contains("Generate the key pair"),
        "{}",
        plan.stdout
    );
    p.rootca(&["run", "g2.toml", "--yes"]).ok();
    // G2's certificate carries the key the key ceremony wrote.
    let g2_key = openssl(&["x509", "-in", "ca/g2.pem", "-noout", "-pubkey"], p.path()).stdout;
    let written = std::fs::read_to_string(p.path().join("keys/g2.pub.pem")).unwrap();
    assert_eq!(g2_key.trim(), written.trim());
    let listed = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert_eq!(
        listed.stdout.matches("label:      g2").count(),
        1,
        "one G2 key, never generated twice:\n{}",
        listed.stdout
    );

    p.write("cross.toml", &cross_toml(CROSS_VALIDITY));
    p.rootca(&["run", "cross.toml", "--yes"]).ok();
    subordinate_and_leaf(&p);

    // The cross-certificate: G2's subject and key, issued by G1.
    let cross = openssl(
        &[
            "x509",
            "-in",
            "out/g2-by-g1.pem",
            "-noout",
            "-subject",
            "-issuer",
            "-pubkey",
        ],
        p.path(),
    )
    .stdout;
    assert!(cross.contains("CN = Test Root CA g2"), "{cross}");
    assert!(
        cross.contains("issuer=C = US, O = Example Corp, CN = Test Root CA g1"),
        "{cross}"
    );
    assert!(cross.contains(g2_key.trim()), "{cross}");

    // Path 1: a relying party that already trusts G2.
    let new = strict_verify(&p, "ca/g2.pem", &["out/sub.pem"]);
    new.ok();
    // Path 2: one that trusts only G1 reaches G2's subordinate by the cross-certificate.
    let old = strict_verify(&p, "ca/g1.pem", &["out/sub.pem", "out/g2-by-g1.pem"]);
    old.ok();
    assert!(old.stdout.contains("Test Root CA g1"), "{}", old.stdout);
    // Without the cross-certificate G1 reaches nothing under G2.
    let without = strict_verify(&p, "ca/g1.pem", &["out/sub.pem"]);
    assert_ne!(without.code, 0, "{}", without.stdout);

    let chain = cryptography_chain(&p, "ca/g2.pem", &["out/sub.pem"]).unwrap();
    assert_eq!(chain.len(), 3, "{chain:?}");
    let chain = cryptography_chain(&p, "ca/g1.pem", &["out/sub.pem", "out/g2-by-g1.pem"]).unwrap();
    assert_eq!(chain.len(), 4, "{chain:?}");
    assert!(chain[3].contains("Test Root CA g1"), "{chain:?}");
    assert!(cryptography_chain(&p, "ca/g1.pem", &["out/sub.pem"]).is_err());

    for (cert, lint) in [
        ("out/g2-by-g1.pem", "lint_pkix_cert"),
        ("ca/g2.pem", "lint_pkix_cert"),
    ] {
        let run = pkilint(lint, &[cert], p.path());
        assert_eq!(run.code, 0, "pkilint {cert}:\n{}{}", run.stdout, run.stderr);
    }
    let chain = pkilint(
        "lint_pkix_signer_signee_cert_chain",
        &["ca/g1.pem", "out/g2-by-g1.pem"],
        p.path(),
    );
    assert_eq!(
        chain.code, 0,
        "pkilint chain:\n{}{}",
        chain.stdout, chain.stderr
    );
    let v = p.rootca(&["transcript", "verify", "out/cross-g2.transcript.jsonl"]);
    v.ok();
}

#[test]
fn a_cross_certificate_outliving_its_signer_is_refused_at_check() {
    let p = two_generations();
    p.rootca(&["run", "g2.toml", "--yes"]).ok();
    p.write(
        "cross.toml",
        &cross_toml("not_before = \"2026-01-01T00:00:00Z\"\nnot_after = \"2050-01-01T00:00:00Z\""),
    );
    common::refused_at_check(
        &p,
        "cross.toml",
        &[
            "certificate.not_after (line 18): 2050-01-01T00:00:00Z is later than the issuer's notAfter",
        ],
    );
}

#[test]
fn a_cross_certificate_of_the_signer_itself_or_of_no_root_is_refused_at_check() {
    let p = two_generations();
    p.rootca(&["run", "g2.toml", "--yes"]).ok();
    p.write(
        "cross.toml",
        &cross_toml(CROSS_VALIDITY)
            .replace("certificate = \"ca/g2.pem\"", "certificate = \"ca/g1.pem\""),
    );
    common::refused_at_check(
        &p,
        "cross.toml",
        &[
            "subject.certificate (line 14):",
            "carries the issuer's own key",
            "has the issuer's own subject",
        ],
    );
    // A subordinate is no root to cross-certify.
    subordinate_and_leaf(&p);
    p.write(
        "cross.toml",
        &cross_toml(CROSS_VALIDITY).replace(
            "certificate = \"ca/g2.pem\"",
            "certificate = \"out/sub.pem\"",
        ),
    );
    let run = p.rootca(&["check", "cross.toml"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("is not a self-signed root certificate"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_existing_key_that_is_missing_or_of_another_algorithm_is_not_certified() {
    let p = two_generations();
    p.write(
        "g2.toml",
        &std::fs::read_to_string(p.path().join("g2.toml"))
            .unwrap()
            .replace("label = \"g2\"", "label = \"g3\""),
    );
    let run = p.rootca(&["run", "g2.toml", "--yes"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.stderr.contains("g3"), "{}", run.stderr);
    assert!(!p.path().join("ca/g2.pem").exists(), "no certificate");
    let listed = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert!(
        !listed.stdout.contains("g3"),
        "nothing generated:\n{}",
        listed.stdout
    );

    p.write("g4-key.toml", &key_toml("g4", "ec-p256"));
    p.rootca(&["run", "g4-key.toml", "--yes"]).ok();
    p.write(
        "g4.toml",
        &root_toml("g4", "ec-p384", "ecdsa-sha384", "g4")
            .replace("out/", "ca/")
            .replace(
                "algorithm = \"ec-p384\"",
                "algorithm = \"ec-p384\"\nexisting = true",
            ),
    );
    let run = p.rootca(&["run", "g4.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("is ec-p256, but the ceremony file says key.algorithm = \"ec-p384\""),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("ca/g4.pem").exists(), "no certificate");

    // A key ceremony always generates.
    p.write(
        "k.toml",
        &key_toml("g5", "ec-p256").replace(
            "algorithm = \"ec-p256\"",
            "algorithm = \"ec-p256\"\nexisting = true",
        ),
    );
    common::refused_at_check(
        &p,
        "k.toml",
        &["key.existing (line 12): a key ceremony generates its key"],
    );
}

fn cross_csr_toml() -> String {
    format!(
        r#"ceremony = "cross-csr"
name = "G2 asks a partner root for a cross-signature"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[root]
key_label = "g2"
certificate = "ca/g2.pem"

[csr]
signature = "ecdsa-sha384"

[outputs]
csr = "out/g2-cross.csr"
transcript = "out/g2-cross-csr.transcript.jsonl"
"#
    )
}

#[test]
fn a_cross_csr_signed_in_the_hsm_is_cross_signed_by_another_ca_and_both_paths_verify() {
    let p = two_generations();
    p.rootca(&["run", "g2.toml", "--yes"]).ok();
    p.write("csr.toml", &cross_csr_toml());
    let plan = p.rootca(&["check", "csr.toml"]);
    plan.ok();
    assert!(
        plan.stdout
            .contains("Sign the certificate signing request with the root key"),
        "{}",
        plan.stdout
    );
    p.rootca(&["run", "csr.toml", "--yes"]).ok();

    // openssl checks its self-signature; it carries G2's subject and key.
    let req = openssl(
        &[
            "req",
            "-in",
            "out/g2-cross.csr",
            "-verify",
            "-noout",
            "-subject",
            "-pubkey",
        ],
        p.path(),
    );
    req.ok();
    assert!(
        req.stderr.contains("verify OK") || req.stdout.contains("verify OK"),
        "{}{}",
        req.stdout,
        req.stderr
    );
    assert!(
        req.stdout.contains("CN = Test Root CA g2"),
        "{}",
        req.stdout
    );
    let g2_key = openssl(&["x509", "-in", "ca/g2.pem", "-noout", "-pubkey"], p.path()).stdout;
    assert!(req.stdout.contains(g2_key.trim()), "{}", req.stdout);
    let valid = std::process::Command::new(common::venv_bin("python"))
        .current_dir(p.path())
        .args([
            "-c",
            "from cryptography import x509; r = x509.load_pem_x509_csr(open('out/g2-cross.csr','rb').read()); print(r.is_signature_valid)",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&valid.stdout).trim(), "True");

    // A partner root, kept in software by openssl, cross-signs the CSR.
    openssl_fixed(
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "partner.key",
            "-subj",
            "/CN=Partner Root CA/O=Partner",
            "-days",
            "7300",
            "-sha384",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "partner.pem",
        ],
        p.path(),
    )
    .ok();
    p.write(
        "cross.cnf",
        "[cross]\nbasicConstraints = critical, CA:TRUE, pathlen:1\n\
         keyUsage = critical, keyCertSign, cRLSign\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
    );
    openssl_fixed(
        &[
            "x509",
            "-req",
            "-in",
            "out/g2-cross.csr",
            "-CA",
            "partner.pem",
            "-CAkey",
            "partner.key",
            "-set_serial",
            "0x51a2b3c4d5e6",
            "-days",
            "3650",
            "-sha384",
            "-extfile",
            "cross.cnf",
            "-extensions",
            "cross",
            "-out",
            "g2-by-partner.pem",
        ],
        p.path(),
    )
    .ok();
    subordinate_and_leaf(&p);
    strict_verify(&p, "ca/g2.pem", &["out/sub.pem"]).ok();
    let partner = strict_verify(&p, "partner.pem", &["out/sub.pem", "g2-by-partner.pem"]);
    partner.ok();
    assert!(
        partner.stdout.contains("Partner Root CA"),
        "{}",
        partner.stdout
    );
    let chain =
        cryptography_chain(&p, "partner.pem", &["out/sub.pem", "g2-by-partner.pem"]).unwrap();
    assert_eq!(chain.len(), 4, "{chain:?}");
    let lint = pkilint("lint_pkix_cert", &["g2-by-partner.pem"], p.path());
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    p.rootca(&["transcript", "verify", "out/g2-cross-csr.transcript.jsonl"])
        .ok();
}

#[test]
fn a_cross_csr_for_a_key_that_is_not_the_certificates_is_refused_and_writes_nothing() {
    let p = two_generations();
    p.rootca(&["run", "g2.toml", "--yes"]).ok();
    // The file names G1's key with G2's certificate.
    p.write(
        "csr.toml",
        &cross_csr_toml().replace("key_label = \"g2\"", "key_label = \"g1\""),
    );
    let run = p.rootca(&["run", "csr.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("ca/g2.pem"), "{}", run.stderr);
    assert!(!p.path().join("out/g2-cross.csr").exists());
    // A signature the root's key cannot make is refused at check.
    p.write(
        "csr.toml",
        &cross_csr_toml().replace("ecdsa-sha384", "rsa-sha256"),
    );
    common::refused_at_check(
        &p,
        "csr.toml",
        &["csr.signature (line 14): rsa-sha256 cannot be made with the root's"],
    );
}
