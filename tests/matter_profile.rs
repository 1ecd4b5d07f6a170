//! The Matter attestation profiles: a PAA made by a root ceremony on
//! SoftHSM, a PAI it signs for an openssl CSR, and a DAC openssl issues
//! under the PAI, judged by rs-matter 0.4.1 (`PaaCert`, `PaiCert`,
//! `DacCert`), `openssl verify -x509_strict` at the DAC's notBefore and
//! pkilint; certificates that break the profile, built with openssl,
//! rejected by those judges; and ceremony files that break it refused at
//! `check`.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{MODULE, Practice, TOKEN, openssl, openssl_fixed, pkilint};
use rs_matter::cert::x509::cert::{DacCert, PaaCert, PaiCert};

/// 2026-01-01T00:00:00Z, where the fixture DAC starts (FIXTURE_CLOCK).
const DAC_NOT_BEFORE: &str = "1767225600";

/// A root ceremony file with `profile = "matter-paa"`; `extra` lines go
/// at the end of [certificate].
fn paa_toml(algorithm: &str, signature: &str, extra: &str) -> String {
    format!(
        r#"ceremony = "root"
name = "Matter PAA"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[key]
label = "paa"
algorithm = "{algorithm}"

[certificate]
profile = "matter-paa"
subject = "CN=Example Matter PAA,O=Example Corp"
not_before = "2026-01-01T00:00:00Z"
not_after = "2046-01-01T00:00:00Z"
signature = "{signature}"
{extra}

[outputs]
certificate = "ca/paa.pem"
public_key = "ca/paa.pub.pem"
transcript = "ca/paa.transcript.jsonl"
"#
    )
}

/// A subordinate ceremony file with `profile = "matter-pai"` under the
/// PAA in ca/paa.pem; `extra` lines go at the end of [certificate].
fn pai_toml(csr: &str, extra: &str) -> String {
    format!(
        r#"ceremony = "subordinate"
name = "Matter PAI"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "paa"
certificate = "ca/paa.pem"

[csr]
file = "{csr}"

[certificate]
profile = "matter-pai"
not_before = "2026-01-01T00:00:00Z"
not_after = "2036-01-01T00:00:00Z"
signature = "ecdsa-sha256"
path_len = 0
{extra}

[outputs]
certificate = "out/pai.pem"
chain = "out/pai.chain.pem"
transcript = "out/pai.transcript.jsonl"
"#
    )
}

/// A token with a PAA of Vendor ID FFF1 made by a root ceremony.
fn with_paa() -> Practice {
    let p = Practice::new();
    p.write(
        "paa.toml",
        &paa_toml("ec-p256", "ecdsa-sha256", "vendor_id = 0xFFF1"),
    );
    p.rootca(&["run", "paa.toml", "--yes"]).ok();
    p
}

/// An EC key and CSR for `subject`; Matter's attributes are given by OID
/// (known to openssl through OPENSSL_MATTER's oid_section, without which
/// it drops them) and written as UTF8String.
fn csr(p: &Practice, name: &str, curve: &str, subject: &str) {
    p.write("matter.cnf", OPENSSL_MATTER);
    openssl(
        &[
            "req",
            "-new",
            "-config",
            "matter.cnf",
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

const VID: &str = "1.3.6.1.4.1.37244.2.1";
const PID: &str = "1.3.6.1.4.1.37244.2.2";

fn der(p: &Practice, pem: &str) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .current_dir(p.path())
        .args(["x509", "-in", pem, "-outform", "DER"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{pem}");
    out.stdout
}

const OPENSSL_MATTER: &str = "\
oid_section = matter_oids
[matter_oids]
matterVID = 1.3.6.1.4.1.37244.2.1
matterPID = 1.3.6.1.4.1.37244.2.2
[req]
distinguished_name = dn
string_mask = utf8only
[dn]
[paa]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[pai]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[pai_nopathlen]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[pai_nc]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
nameConstraints = critical, permitted;DNS:example.com
[dac]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
";

/// A DAC for Vendor FFF1, Product 8000, signed by the PAI's key with
/// openssl, starting 2026-01-01.
fn dac(p: &Practice, pai: &str, pai_key: &str) {
    p.write("matter.cnf", OPENSSL_MATTER);
    csr(
        p,
        "dac",
        "P-256",
        &format!("/CN=Example DAC/{VID}=FFF1/{PID}=8000"),
    );
    openssl_fixed(
        &[
            "x509",
            "-req",
            "-in",
            "dac.csr",
            "-CA",
            pai,
            "-CAkey",
            pai_key,
            "-set_serial",
            "0x1234567890abcdef01",
            "-days",
            "3650",
            "-sha256",
            "-extfile",
            "matter.cnf",
            "-extensions",
            "dac",
            "-out",
            "dac.pem",
        ],
        p.path(),
    )
    .ok();
}

#[test]
fn paa_and_pai_pass_rs_matter_openssl_and_pkilint_and_a_dac_chains_under_them() {
    let p = with_paa();
    csr(
        &p,
        "pai",
        "P-256",
        &format!("/CN=Example Matter PAI/{VID}=FFF1"),
    );
    p.write("pai.toml", &pai_toml("pai.csr", "vendor_id = 0xFFF1"));
    p.rootca(&["check", "pai.toml"]).ok();
    p.rootca(&["run", "pai.toml", "--yes"]).ok();
    dac(&p, "out/pai.pem", "pai.key");

    // rs-matter, the Matter SDK in Rust: each certificate parses as its type.
    let (paa_der, pai_der, dac_der) = (
        der(&p, "ca/paa.pem"),
        der(&p, "out/pai.pem"),
        der(&p, "dac.pem"),
    );
    let paa = PaaCert::new(&paa_der).expect("rs-matter accepts the PAA");
    let pai = PaiCert::new(&pai_der).expect("rs-matter accepts the PAI");
    let dac = DacCert::new(&dac_der).expect("rs-matter accepts the DAC");
    assert_eq!(paa.vendor_id().unwrap(), 0xFFF1);
    assert_eq!(pai.vendor_id().unwrap(), 0xFFF1);
    assert_eq!(dac.product_id().unwrap(), 0x8000);
    assert_eq!(
        pai.authority_key_id().unwrap(),
        paa.subject_key_id().unwrap()
    );
    assert_eq!(
        dac.authority_key_id().unwrap(),
        pai.subject_key_id().unwrap()
    );

    // openssl, as the Matter SDK verifies: strict, at the DAC's notBefore.
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            DAC_NOT_BEFORE,
            "-CAfile",
            "ca/paa.pem",
            "-untrusted",
            "out/pai.pem",
            "dac.pem",
        ],
        p.path(),
    )
    .ok();

    // At most 600 bytes each, and keyUsage in minimal DER (03 02 01 06).
    for (name, d) in [("PAA", &paa_der), ("PAI", &pai_der)] {
        assert!(d.len() <= 600, "{name} is {} bytes", d.len());
        let ku = [
            0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x06,
        ];
        assert!(d.windows(ku.len()).any(|w| w == ku), "{name} keyUsage");
        // The Vendor ID as a UTF8String "FFF1".
        let vid = [
            0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xa2, 0x7c, 0x02, 0x01, 0x0c, 0x04,
            b'F', b'F', b'F', b'1',
        ];
        assert!(d.windows(vid.len()).any(|w| w == vid), "{name} VID");
    }
    let text = openssl(&["x509", "-in", "ca/paa.pem", "-noout", "-text"], p.path()).stdout;
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    assert!(!text.contains("pathlen"), "{text}");
    let text = openssl(&["x509", "-in", "out/pai.pem", "-noout", "-text"], p.path()).stdout;
    assert!(text.contains("CA:TRUE, pathlen:0"), "{text}");

    // pkilint: nothing on the PAA, the PAI, or the pair.
    for cert in ["ca/paa.pem", "out/pai.pem"] {
        let lint = pkilint("lint_pkix_cert", &[cert], p.path());
        assert_eq!(
            lint.code, 0,
            "pkilint on {cert}:\n{}{}",
            lint.stdout, lint.stderr
        );
    }
    let lint = pkilint(
        "lint_pkix_signer_signee_cert_chain",
        &["ca/paa.pem", "out/pai.pem"],
        p.path(),
    );
    assert_eq!(
        lint.code, 0,
        "pkilint chain:\n{}{}",
        lint.stdout, lint.stderr
    );

    // rootca's own verdict, for the record.
    let paa = p.rootca(&["inspect", "ca/paa.pem", "--profile", "matter-paa"]);
    paa.ok();
    assert!(
        paa.stdout.contains("satisfies matter-paa"),
        "{}",
        paa.stdout
    );
    let pai = p.rootca(&[
        "inspect",
        "out/pai.pem",
        "--profile",
        "matter-pai",
        "--issuer",
        "ca/paa.pem",
    ]);
    pai.ok();
    assert!(
        pai.stdout.contains("satisfies matter-pai"),
        "{}",
        pai.stdout
    );
}

#[test]
fn a_paa_without_vendor_id_and_a_pai_with_product_id_pass_rs_matter() {
    let p = Practice::new();
    p.write(
        "paa.toml",
        &paa_toml("ec-p256", "ecdsa-sha256", "path_len = 1"),
    );
    p.rootca(&["run", "paa.toml", "--yes"]).ok();
    csr(
        &p,
        "pai",
        "P-256",
        &format!("/CN=Example Matter PAI/{VID}=FFF2/{PID}=8001"),
    );
    p.write(
        "pai.toml",
        &pai_toml(
            "pai.csr",
            "vendor_id = 0xFFF2\nproduct_id = 0x8001\ncrl_urls = [\"http://crl.example.com/paa.crl\"]",
        ),
    );
    p.rootca(&["run", "pai.toml", "--yes"]).ok();
    let paa_der = der(&p, "ca/paa.pem");
    let pai_der = der(&p, "out/pai.pem");
    let paa = PaaCert::new(&paa_der).expect("rs-matter accepts the PAA");
    assert!(paa.vendor_id().is_err(), "the PAA has no VID");
    let pai = PaiCert::new(&pai_der).expect("rs-matter accepts the PAI");
    assert_eq!(pai.product_id().unwrap(), 0x8001);
    let text = openssl(&["x509", "-in", "ca/paa.pem", "-noout", "-text"], p.path()).stdout;
    assert!(text.contains("CA:TRUE, pathlen:1"), "{text}");
}

/// A software PAA made by openssl (with the `paa` extensions) for
/// `subject` on a key of `curve`, at ca/bad-paa.pem.
fn openssl_paa(p: &Practice, curve: &str, subject: &str) {
    p.write("matter.cnf", OPENSSL_MATTER);
    openssl_fixed(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-nodes",
            "-keyout",
            "bad-paa.key",
            "-subj",
            subject,
            "-days",
            "3650",
            "-sha256",
            "-config",
            "matter.cnf",
            "-extensions",
            "paa",
            "-out",
            "bad-paa.pem",
        ],
        p.path(),
    )
    .ok();
}

/// A PAI made by openssl under bad-paa.pem, with `ext` extensions, for a
/// CSR of `subject`.
fn openssl_pai(p: &Practice, ext: &str, subject: &str) {
    csr(p, "bad-pai", "P-256", subject);
    openssl_fixed(
        &[
            "x509",
            "-req",
            "-in",
            "bad-pai.csr",
            "-CA",
            "bad-paa.pem",
            "-CAkey",
            "bad-paa.key",
            "-set_serial",
            "0x2234567890abcdef01",
            "-days",
            "3650",
            "-sha256",
            "-extfile",
            "matter.cnf",
            "-extensions",
            ext,
            "-out",
            "bad-pai.pem",
        ],
        p.path(),
    )
    .ok();
}

fn inspect_refuses(p: &Practice, args: &[&str], rule: &str) {
    let run = p.rootca(args);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(rule), "no {rule}:\n{}", run.stdout);
}

#[test]
fn openssl_certificates_within_the_profile_pass_rs_matter_so_the_negative_cases_mean_something() {
    let p = Practice::new();
    openssl_paa(&p, "P-256", &format!("/CN=Good PAA/{VID}=FFF1"));
    openssl_pai(&p, "pai", &format!("/CN=Good PAI/{VID}=FFF1"));
    assert!(PaaCert::new(&der(&p, "bad-paa.pem")).is_ok());
    assert!(PaiCert::new(&der(&p, "bad-pai.pem")).is_ok());
    p.rootca(&["inspect", "bad-paa.pem", "--profile", "matter-paa"])
        .ok();
    p.rootca(&[
        "inspect",
        "bad-pai.pem",
        "--profile",
        "matter-pai",
        "--issuer",
        "bad-paa.pem",
    ])
    .ok();
}

#[test]
fn a_paa_with_a_product_id_is_rejected_by_rs_matter_and_by_inspect() {
    let p = Practice::new();
    openssl_paa(&p, "P-256", &format!("/CN=Bad PAA/{VID}=FFF1/{PID}=8000"));
    assert!(PaaCert::new(&der(&p, "bad-paa.pem")).is_err());
    inspect_refuses(
        &p,
        &["inspect", "bad-paa.pem", "--profile", "matter-paa"],
        "PAA-2",
    );
}

#[test]
fn a_p384_paa_is_rejected_by_rs_matter_and_by_inspect() {
    let p = Practice::new();
    openssl_paa(&p, "P-384", &format!("/CN=Bad PAA/{VID}=FFF1"));
    assert!(PaaCert::new(&der(&p, "bad-paa.pem")).is_err());
    inspect_refuses(
        &p,
        &["inspect", "bad-paa.pem", "--profile", "matter-paa"],
        "PAA-1",
    );
}

#[test]
fn a_pai_without_path_length_or_with_name_constraints_is_rejected_by_rs_matter_and_by_inspect() {
    for (ext, rule) in [("pai_nopathlen", "PAI-3"), ("pai_nc", "PAI-6")] {
        let p = Practice::new();
        openssl_paa(&p, "P-256", &format!("/CN=Good PAA/{VID}=FFF1"));
        openssl_pai(&p, ext, &format!("/CN=Bad PAI/{VID}=FFF1"));
        assert!(PaiCert::new(&der(&p, "bad-pai.pem")).is_err(), "{ext}");
        inspect_refuses(
            &p,
            &[
                "inspect",
                "bad-pai.pem",
                "--profile",
                "matter-pai",
                "--issuer",
                "bad-paa.pem",
            ],
            rule,
        );
    }
}

#[test]
fn a_pai_with_a_lower_case_vendor_id_is_rejected_by_inspect_though_rs_matter_accepts_it() {
    let p = Practice::new();
    openssl_paa(&p, "P-256", &format!("/CN=Good PAA/{VID}=FFF1"));
    openssl_pai(&p, "pai", &format!("/CN=Bad PAI/{VID}=fff1"));
    // rs-matter 0.4.1 reads hex in either case (x509.rs parse_hex_u16):
    // the upper-case rule is the Matter SDK's (CHIPCryptoPAL
    // UppercaseHexToUint16), which cannot be built here.
    assert!(PaiCert::new(&der(&p, "bad-pai.pem")).is_ok());
    inspect_refuses(
        &p,
        &[
            "inspect",
            "bad-pai.pem",
            "--profile",
            "matter-pai",
            "--issuer",
            "bad-paa.pem",
        ],
        "PAI-2",
    );
}

#[test]
fn check_refuses_a_p384_paa_and_a_product_id_on_a_paa() {
    let p = Practice::new();
    p.write(
        "paa.toml",
        &paa_toml(
            "ec-p384",
            "ecdsa-sha384",
            "vendor_id = 0xFFF1\nproduct_id = 0x8000\npath_len = 2",
        )
        .replace("ca/", "out/"),
    );
    common::refused_at_check(
        &p,
        "paa.toml",
        &[
            "key.algorithm (line 11): matter-paa: ec-p384 is not allowed: Matter takes only EC P-256 keys",
            "certificate.signature (line 18): matter-paa: ecdsa-sha384 is not allowed",
            "certificate.product_id (line 20): matter-paa: a PAA carries no Product ID",
            "certificate.path_len (line 21): matter-paa: 2 is not allowed",
        ],
    );
}

#[test]
fn check_refuses_a_lower_case_vendor_id_in_the_file() {
    let p = Practice::new();
    p.write(
        "paa.toml",
        &paa_toml("ec-p256", "ecdsa-sha256", "vendor_id = 0xfff1").replace("ca/", "out/"),
    );
    common::refused_at_check(
        &p,
        "paa.toml",
        &["certificate.vendor_id (line 19): 0xfff1 is in lower case: write 0xFFF1"],
    );
    p.write(
        "paa.toml",
        &paa_toml("ec-p256", "ecdsa-sha256", "vendor_id = \"fff1\"").replace("ca/", "out/"),
    );
    common::refused_at_check(
        &p,
        "paa.toml",
        &["certificate.vendor_id (line 19): \"fff1\" is not four upper-case hexadecimal digits"],
    );
}

#[test]
fn check_refuses_a_pai_csr_with_a_lower_case_or_other_vendor_id_or_a_p384_key() {
    let p = with_paa();
    csr(
        &p,
        "pai",
        "P-384",
        &format!("/CN=Example Matter PAI/{VID}=fff1"),
    );
    p.write("pai.toml", &pai_toml("pai.csr", "vendor_id = 0xFFF1"));
    common::refused_at_check(
        &p,
        "pai.toml",
        &[
            "csr.file (line 14): matter-pai: the CSR's key is EC P-384; Matter takes only EC P-256",
            "the CSR's Vendor ID \"fff1\" is not four upper-case hexadecimal digits",
        ],
    );
    csr(
        &p,
        "pai2",
        "P-256",
        &format!("/CN=Example Matter PAI/{VID}=FFF2"),
    );
    p.write("pai.toml", &pai_toml("pai2.csr", "vendor_id = 0xFFF2"));
    common::refused_at_check(
        &p,
        "pai.toml",
        &["certificate.vendor_id (line 22): matter-pai: 0xFFF2 is not the PAA's Vendor ID 0xFFF1"],
    );
}

#[test]
fn check_refuses_name_constraints_and_a_path_length_on_a_pai() {
    let p = with_paa();
    csr(
        &p,
        "pai",
        "P-256",
        &format!("/CN=Example Matter PAI/{VID}=FFF1"),
    );
    p.write(
        "pai.toml",
        &pai_toml(
            "pai.csr",
            "vendor_id = 0xFFF1\n\n[certificate.name_constraints]\npermitted_dns = [\"example.com\"]",
        )
        .replace("path_len = 0", "path_len = 1"),
    );
    common::refused_at_check(
        &p,
        "pai.toml",
        &[
            "certificate.name_constraints: matter-pai: a PAI carries no name constraints",
            "certificate.path_len (line 21): matter-pai: 1 is not allowed",
        ],
    );
}

/// A PAI created in the Private CA emulator with `rootca pca
/// create-subordinate`, its subject carrying the Vendor ID `vid` as a
/// custom attribute; returns its ARN.
fn pai_in_private_ca(p: &Practice, emulator: &common::emulator::Emulator, vid: &str) -> String {
    p.write(
        "pai-ca.toml",
        &format!(
            r#"key_algorithm = "EC_prime256v1"
signing_algorithm = "SHA256WITHECDSA"

[subject]
common_name = "Example Matter PAI"

[[subject.custom_attributes]]
oid = "{VID}"
value = "{vid}"
"#
        ),
    );
    let created = p.rootca_aws(
        emulator,
        &["pca", "create-subordinate", "--spec", "pai-ca.toml"],
    );
    created.ok();
    let arn = created.stdout.trim().to_string();
    assert!(arn.starts_with("arn:aws:acm-pca:"), "{}", created.stdout);
    assert_eq!(emulator.status(&arn), "PENDING_CERTIFICATE");
    arn
}

/// The PAI ceremony for the Private CA `arn`: its CSR fetched, the
/// certificate imported.
fn pai_from_private_ca_toml(arn: &str, vid: &str) -> String {
    pai_toml("pai.csr", &format!("vendor_id = {vid}"))
        .replace("file = \"pai.csr\"", &format!("private_ca_arn = \"{arn}\""))
        + &format!("\n[import]\nprivate_ca_arn = \"{arn}\"\n")
}

#[test]
fn a_pai_created_in_private_ca_is_signed_from_its_csr_imported_and_accepted_by_rs_matter() {
    let emulator = common::emulator::Emulator::shared();
    let p = with_paa();
    let arn = pai_in_private_ca(&p, &emulator, "FFF1");
    p.write("pai.toml", &pai_from_private_ca_toml(&arn, "0xFFF1"));

    let plan = p.rootca_aws(&emulator, &["check", "pai.toml"]);
    plan.ok();
    assert!(
        plan.stdout
            .contains("the CSR's key must be EC P-256 and its subject must carry Vendor ID FFF1"),
        "{}",
        plan.stdout
    );
    let run = p.rootca_aws(&emulator, &["run", "pai.toml", "--yes"]);
    run.ok();

    assert_eq!(emulator.status(&arn), "ACTIVE");
    let (installed, _) = emulator.ca_certificate(&arn);
    let written = std::fs::read_to_string(p.path().join("out/pai.pem")).unwrap();
    assert_eq!(
        installed.trim(),
        written.trim(),
        "Private CA holds the certificate written"
    );
    let pai_der = der(&p, "out/pai.pem");
    let paa_der = der(&p, "ca/paa.pem");
    let pai = PaiCert::new(&pai_der).expect("rs-matter accepts the PAI");
    let paa = PaaCert::new(&paa_der).expect("rs-matter accepts the PAA");
    assert_eq!(pai.vendor_id().unwrap(), 0xFFF1);
    assert_eq!(
        pai.authority_key_id().unwrap(),
        paa.subject_key_id().unwrap()
    );
    assert!(pai_der.len() <= 600, "the PAI is {} bytes", pai_der.len());
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            DAC_NOT_BEFORE,
            "-CAfile",
            "ca/paa.pem",
            "out/pai.pem",
        ],
        p.path(),
    )
    .ok();
    let lint = pkilint("lint_pkix_cert", &["out/pai.pem"], p.path());
    assert_eq!(lint.code, 0, "pkilint:\n{}{}", lint.stdout, lint.stderr);
}

#[test]
fn a_private_ca_pai_whose_csr_carries_another_vendor_id_is_refused_before_the_hsm_is_opened() {
    let emulator = common::emulator::Emulator::shared();
    let p = with_paa();
    let arn = pai_in_private_ca(&p, &emulator, "FFF2");
    p.write("pai.toml", &pai_from_private_ca_toml(&arn, "0xFFF1"));

    let run = p.rootca_aws(&emulator, &["run", "pai.toml", "--yes"]);

    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the CSR's subject carries the Vendor ID FFF2; the file expects FFF1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("step 1 ("), "{}", run.stderr);
    assert!(
        !run.stdout.contains("[2/") && !run.stdout.contains("logged in"),
        "the ceremony went past step 1:\n{}",
        run.stdout
    );
    assert!(!p.path().join("out/pai.pem").exists(), "nothing is written");
    assert_eq!(emulator.status(&arn), "PENDING_CERTIFICATE");
}

#[test]
fn inspect_json_gives_the_verdict_and_the_broken_rules_to_a_script() {
    let p = Practice::new();
    openssl_paa(&p, "P-256", &format!("/CN=Good PAA/{VID}=FFF1"));
    let good = p.rootca(&[
        "inspect",
        "bad-paa.pem",
        "--profile",
        "matter-paa",
        "--json",
    ]);
    good.ok();
    let v: serde_json::Value = serde_json::from_str(&good.stdout).expect("JSON");
    assert_eq!(v["profile"]["name"], "matter-paa", "{v}");
    assert_eq!(v["profile"]["satisfied"], true, "{v}");
    assert_eq!(v["profile"]["findings"], serde_json::json!([]), "{v}");

    openssl_paa(&p, "P-384", &format!("/CN=Bad PAA/{VID}=FFF1/{PID}=8000"));
    let bad = p.rootca(&[
        "inspect",
        "bad-paa.pem",
        "--profile",
        "matter-paa",
        "--json",
    ]);
    assert_eq!(bad.code, 2, "{}{}", bad.stdout, bad.stderr);
    let v: serde_json::Value = serde_json::from_str(&bad.stdout).expect("JSON");
    assert_eq!(v["profile"]["satisfied"], false, "{v}");
    let rules: Vec<&str> = v["profile"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("a rule id"))
        .collect();
    assert!(
        rules.contains(&"PAA-1") && rules.contains(&"PAA-2"),
        "{rules:?}"
    );
    assert!(
        bad.stderr.contains("does not satisfy matter-paa"),
        "{}",
        bad.stderr
    );
}
