//! `rootca pca import` and Private CA's import rules P1..P7
//! (src/profile/pca_import.rs), through the binary against the emulator.
//!
//! Each test creates its own subordinate CA in the emulator with
//! `rootca pca create-subordinate`, fetches its CSR with `rootca pca
//! fetch-csr`, and makes certificates with the `openssl` command line from
//! a software root: the right one, or one that breaks exactly one rule
//! where that is possible. A refused import exits 2, names the rule, and
//! leaves the CA PENDING_CERTIFICATE: nothing reached Private CA. Leaves
//! are issued by the emulated CA through boto3 and judged by openssl.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::emulator::Emulator;
use common::{Run, openssl_dates};
use der::{DecodePem, Encode};

const OPENSSL_CONFIG: &str = "\
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[sub]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[sub_bc_not_critical]
basicConstraints = CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[sub_no_bc]
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[sub_not_ca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
";

/// A subordinate CA in the emulator, PENDING_CERTIFICATE, with its CSR in
/// `ca.csr`, and a software root (`root.pem`, `root.key`) in a folder.
struct Setup {
    emulator: Arc<Emulator>,
    dir: tempfile::TempDir,
    arn: String,
}

impl Setup {
    fn new(common_name: &str) -> Setup {
        let emulator = Emulator::shared();
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("openssl.cnf"), OPENSSL_CONFIG).expect("openssl.cnf");
        std::fs::write(
            dir.path().join("spec.toml"),
            format!(
                "key_algorithm = \"EC_prime256v1\"\nsigning_algorithm = \"SHA256WITHECDSA\"\n\
                 [subject]\ncommon_name = \"{common_name}\"\norganization = \"Example Corp\"\ncountry = \"US\"\n"
            ),
        )
        .expect("spec.toml");
        let created = emulator.rootca(
            dir.path(),
            &["pca", "create-subordinate", "--spec", "spec.toml"],
        );
        created.ok();
        let arn = created.stdout.trim().to_string();
        assert!(
            arn.starts_with("arn:aws:acm-pca:") && !arn.contains('\n'),
            "create-subordinate printed no single ARN:\n{}",
            created.stdout
        );
        let setup = Setup { emulator, dir, arn };
        setup
            .rootca(&["pca", "fetch-csr", &setup.arn, "--out", "ca.csr"])
            .ok();
        setup.self_signed_root("root", "/CN=Software Root CA/O=Example Corp/C=US");
        assert_eq!(setup.status(), "PENDING_CERTIFICATE");
        setup
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn rootca(&self, args: &[&str]) -> Run {
        self.emulator.rootca(self.path(), args)
    }

    /// openssl at the fixture clock: certificates made here have the same
    /// dates whatever day the tests run.
    fn openssl(&self, args: &[&str]) {
        common::openssl_fixed(args, self.path()).ok();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    /// `NAME.key` and a self-signed `NAME.pem` for it.
    fn self_signed_root(&self, name: &str, subject: &str) {
        self.openssl(&[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-subj",
            subject,
            "-days",
            "3650",
            "-sha384",
            "-config",
            "openssl.cnf",
            "-extensions",
            "root",
        ]);
    }

    /// `NAME.key` and a CSR `NAME.csr` for it.
    fn key_and_csr(&self, name: &str, subject: &str) {
        self.openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            subject,
            "-config",
            "openssl.cnf",
        ]);
    }

    /// Signs the CSR `csr` with the CA `issuer` (`issuer.pem`,
    /// `issuer.key`), extensions from the section `extensions` of
    /// `extfile`, into `out`.
    fn sign_with(
        &self,
        csr: &str,
        issuer: &str,
        extfile: &str,
        extensions: &str,
        days: u32,
        out: &str,
    ) {
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-set_serial",
            &format!("0x{}", hex_serial(out)),
            "-days",
            &days.to_string(),
            "-sha384",
            "-extfile",
            extfile,
            "-extensions",
            extensions,
            "-out",
            out,
        ]);
    }

    fn sign(&self, csr: &str, issuer: &str, extensions: &str, out: &str) {
        self.sign_with(csr, issuer, "openssl.cnf", extensions, 365, out);
    }

    /// The right certificate for the CA's key, signed by the software root.
    fn good_certificate(&self, out: &str) {
        self.sign("ca.csr", "root", "sub", out);
    }

    fn import(&self, certificate: &str, chain: &str) -> Run {
        self.rootca(&[
            "pca",
            "import",
            &self.arn,
            "--certificate",
            certificate,
            "--chain",
            chain,
        ])
    }

    fn status(&self) -> String {
        self.emulator.status(&self.arn)
    }

    /// The refusal names `rule`, and the CA took nothing.
    fn assert_refused_for(&self, run: &Run, rule: &str) {
        assert_eq!(
            run.code, 2,
            "expected exit 2 (refused)\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr.contains("Private CA would refuse this import"),
            "{}",
            run.stderr
        );
        assert!(
            rules_named(&run.stderr).contains(rule),
            "{rule} is not named:\n{}",
            run.stderr
        );
        assert_eq!(
            self.status(),
            "PENDING_CERTIFICATE",
            "the refused import must not reach Private CA"
        );
    }

    /// The refusal names `rule` and no other: the input broke only it.
    fn assert_refused_for_only(&self, run: &Run, rule: &str) {
        self.assert_refused_for(run, rule);
        assert_eq!(
            rules_named(&run.stderr),
            BTreeSet::from([rule.to_string()]),
            "{}",
            run.stderr
        );
    }
}

/// A serial number of our own per output file, so that two certificates
/// for one key never coincide.
fn hex_serial(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{:016x}", h >> 1)
}

/// The rules a refusal lists, one `  - Pn: ...` line each.
fn rules_named(stderr: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .filter_map(|l| l.split_once(':'))
        .map(|(rule, _)| rule.to_string())
        .filter(|rule| rule.starts_with('P'))
        .collect()
}

fn der(pem: &str) -> Vec<u8> {
    x509_cert::Certificate::from_pem(pem.as_bytes())
        .expect("a PEM certificate")
        .to_der()
        .expect("DER")
}

// ---------------------------------------------------------------------------
// Each rule

#[test]
fn p1_certificate_for_another_key_is_refused() {
    let s = Setup::new("P1 CA");
    s.key_and_csr("other", "/CN=P1 CA/O=Example Corp/C=US");
    s.sign("other.csr", "root", "sub", "other.pem");

    let run = s.import("other.pem", "root.pem");

    s.assert_refused_for_only(&run, "P1");
}

#[test]
fn p2_certificate_whose_issuer_is_its_subject_is_refused() {
    let s = Setup::new("P2 CA");
    // A root made from the CA's own CSR, with a key of its own: its subject
    // is, byte for byte, the CA's subject. The certificate it signs for the
    // CA's key is then issued by its own subject, yet key, chain order,
    // signature and root are all right.
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-out",
        "same-name.key",
    ]);
    s.openssl(&[
        "x509",
        "-req",
        "-in",
        "ca.csr",
        "-key",
        "same-name.key",
        "-days",
        "3650",
        "-sha384",
        "-extfile",
        "openssl.cnf",
        "-extensions",
        "root",
        "-out",
        "same-name.pem",
    ]);
    s.sign("ca.csr", "same-name", "sub", "self-issued.pem");

    let run = s.import("self-issued.pem", "same-name.pem");
    s.assert_refused_for_only(&run, "P2");

    // A truly self-signed CA certificate, of a key of its own.
    s.self_signed_root("self-signed", "/CN=P2 CA/O=Example Corp/C=US");
    let run = s.import("self-signed.pem", "root.pem");
    s.assert_refused_for(&run, "P2");
}

#[test]
fn p3_empty_chain_is_refused() {
    let s = Setup::new("P3 empty CA");
    s.good_certificate("sub.pem");
    s.write("empty.pem", "");

    let run = s.import("sub.pem", "empty.pem");

    s.assert_refused_for_only(&run, "P3");
    assert!(run.stderr.contains("the chain is empty"), "{}", run.stderr);
}

#[test]
fn p3_chain_containing_the_certificate_is_refused() {
    let s = Setup::new("P3 contains CA");
    s.good_certificate("sub.pem");
    // No order of a chain holding the certificate is also a valid chain,
    // so P4 is broken too; P3 must be named all the same.
    s.write("chain.pem", &(s.read("sub.pem") + &s.read("root.pem")));

    let run = s.import("sub.pem", "chain.pem");

    s.assert_refused_for(&run, "P3");
    assert!(
        run.stderr
            .contains("the chain contains the certificate being imported"),
        "{}",
        run.stderr
    );
}

/// root -> intermediate -> the CA, all with openssl.
fn two_level(s: &Setup) {
    s.key_and_csr(
        "intermediate",
        "/CN=Software Intermediate CA/O=Example Corp/C=US",
    );
    s.sign(
        "intermediate.csr",
        "root",
        "intermediate",
        "intermediate.pem",
    );
    s.sign("ca.csr", "intermediate", "sub", "sub.pem");
}

#[test]
fn p4_chain_given_root_first_is_refused_and_the_same_chain_issuer_first_imports() {
    let s = Setup::new("P4 order CA");
    two_level(&s);
    s.write(
        "root-first.pem",
        &(s.read("root.pem") + &s.read("intermediate.pem")),
    );
    s.write(
        "issuer-first.pem",
        &(s.read("intermediate.pem") + &s.read("root.pem")),
    );

    let run = s.import("sub.pem", "root-first.pem");
    // The reversed chain also ends with the intermediate: P5 comes with it.
    s.assert_refused_for(&run, "P4");
    assert!(
        run.stderr
            .contains("order the chain issuer first, root last"),
        "{}",
        run.stderr
    );

    s.import("sub.pem", "issuer-first.pem").ok();
    assert_eq!(s.status(), "ACTIVE");
}

#[test]
fn p4_chain_whose_certificate_did_not_sign_the_one_before_is_refused() {
    let s = Setup::new("P4 signer CA");
    s.good_certificate("sub.pem");
    // Another root under the very same name: the names link, the signature does not.
    s.self_signed_root("impostor", "/CN=Software Root CA/O=Example Corp/C=US");
    // And a root under another name.
    s.self_signed_root("stranger", "/CN=Another Root CA/O=Example Corp/C=US");

    let run = s.import("sub.pem", "impostor.pem");
    s.assert_refused_for_only(&run, "P4");

    let run = s.import("sub.pem", "stranger.pem");
    s.assert_refused_for_only(&run, "P4");
}

#[test]
fn p5_chain_ending_in_a_certificate_that_is_not_self_signed_is_refused() {
    let s = Setup::new("P5 CA");
    two_level(&s);

    // The intermediate signed the certificate, but the root is left out.
    let run = s.import("sub.pem", "intermediate.pem");

    s.assert_refused_for_only(&run, "P5");
}

#[test]
fn p6_certificate_over_32_kb_is_refused() {
    let s = Setup::new("P6 CA");
    s.write(
        "big.cnf",
        &format!(
            "[big]\nbasicConstraints = critical, CA:TRUE, pathlen:0\n\
             keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n\
             authorityKeyIdentifier = keyid:always\nnsComment = \"{}\"\n",
            "x".repeat(30_000)
        ),
    );
    s.sign_with("ca.csr", "root", "big.cnf", "big", 365, "big.pem");
    assert!(s.read("big.pem").len() > 32 * 1024);

    let run = s.import("big.pem", "root.pem");

    s.assert_refused_for_only(&run, "P6");
    assert!(run.stderr.contains("32768"), "{}", run.stderr);
}

#[test]
fn p7_basic_constraints_not_critical_missing_or_not_ca_is_refused() {
    let s = Setup::new("P7 CA");
    for (section, says) in [
        ("sub_bc_not_critical", "basicConstraints is not critical"),
        ("sub_no_bc", "basicConstraints is missing"),
        ("sub_not_ca", "basicConstraints does not say CA"),
    ] {
        let pem = format!("{section}.pem");
        s.sign("ca.csr", "root", section, &pem);

        let run = s.import(&pem, "root.pem");

        s.assert_refused_for_only(&run, "P7");
        assert!(run.stderr.contains(says), "{section}: {}", run.stderr);
    }
}

// ---------------------------------------------------------------------------
// The right certificate

#[test]
fn right_certificate_and_chain_import_and_the_ca_is_active_with_its_dates() {
    let s = Setup::new("Good CA");
    s.good_certificate("sub.pem");

    let run = s.import("sub.pem", "root.pem");

    run.ok();
    assert!(
        run.stdout.contains(&format!("imported into {}", s.arn)),
        "{}",
        run.stdout
    );
    assert_eq!(s.status(), "ACTIVE");
    assert_eq!(
        s.emulator.validity(&s.arn),
        openssl_dates("sub.pem", s.path())
    );
    let (installed, chain) = s.emulator.ca_certificate(&s.arn);
    assert_eq!(der(&installed), der(&s.read("sub.pem")));
    assert_eq!(
        der(&chain.expect("a chain")),
        der(&s.read("root.pem")),
        "the chain is the root"
    );
}

#[test]
fn importing_the_same_certificate_again_reports_it_already_active_and_succeeds() {
    let s = Setup::new("Again CA");
    s.good_certificate("sub.pem");
    s.import("sub.pem", "root.pem").ok();

    let run = s.import("sub.pem", "root.pem");

    run.ok();
    assert!(
        run.stdout
            .contains("already ACTIVE with exactly this certificate"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("imported into"), "{}", run.stdout);
    assert_eq!(s.status(), "ACTIVE");
}

#[test]
fn another_certificate_for_the_same_key_replaces_the_installed_one_only_with_replace() {
    let s = Setup::new("Replace CA");
    s.good_certificate("first.pem");
    s.import("first.pem", "root.pem").ok();
    // Same key and issuer, another serial and validity.
    s.sign_with("ca.csr", "root", "openssl.cnf", "sub", 200, "second.pem");
    assert_ne!(
        openssl_dates("first.pem", s.path()).1,
        openssl_dates("second.pem", s.path()).1
    );

    let run = s.import("second.pem", "root.pem");
    assert_eq!(
        run.code, 2,
        "without --replace\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("ACTIVE with another certificate") && run.stderr.contains("--replace"),
        "{}",
        run.stderr
    );
    assert_eq!(
        der(&s.emulator.ca_certificate(&s.arn).0),
        der(&s.read("first.pem"))
    );

    let run = s.rootca(&[
        "pca",
        "import",
        &s.arn,
        "--certificate",
        "second.pem",
        "--chain",
        "root.pem",
        "--replace",
    ]);
    run.ok();
    assert!(
        run.stdout.contains("replacing its certificate"),
        "{}",
        run.stdout
    );
    assert_eq!(
        der(&s.emulator.ca_certificate(&s.arn).0),
        der(&s.read("second.pem"))
    );
    assert_eq!(s.status(), "ACTIVE");
    assert_eq!(
        s.emulator.validity(&s.arn),
        openssl_dates("second.pem", s.path())
    );
}

#[test]
fn leaf_issued_by_the_imported_ca_verifies_under_the_software_root() {
    let s = Setup::new("Issuing CA");
    s.good_certificate("sub.pem");
    s.import("sub.pem", "root.pem").ok();
    s.key_and_csr("leaf", "/CN=app.example.com");

    let issued = s
        .emulator
        .issue_leaf(s.path(), &s.arn, "leaf.csr", "leaf.pem");
    issued.ok();

    let verify = common::openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-CAfile",
            "root.pem",
            "-untrusted",
            "sub.pem",
            "leaf.pem",
        ],
        s.path(),
    );
    assert_eq!(
        (verify.code, verify.stdout.trim()),
        (0, "leaf.pem: OK"),
        "{}",
        verify.stderr
    );
    // Judged against another root, the same leaf fails: the check can fail.
    s.self_signed_root("stranger", "/CN=Another Root CA/O=Example Corp/C=US");
    let verify = common::openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-CAfile",
            "stranger.pem",
            "-untrusted",
            "sub.pem",
            "leaf.pem",
        ],
        s.path(),
    );
    assert_ne!(verify.code, 0, "{}", verify.stdout);
}
