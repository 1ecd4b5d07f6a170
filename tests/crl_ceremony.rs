//! The root's CRL, signed in a `crl` ceremony on SoftHSM and judged by
//! openssl (signature and revocation checking), pkilint (the ARL profile)
//! and python-cryptography; and every bad input refused at `check`.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{MODULE, Practice, Run, TOKEN, openssl, openssl_fixed, pkilint, with_root};

/// A subordinate CA certificate signed by the root of `with_root`, as
/// `{name}.pem`.
fn subordinate(p: &Practice, name: &str) {
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
            &format!("{name}.key"),
            "-subj",
            &format!("/CN={name}"),
            "-out",
            &format!("{name}.csr"),
        ],
        p.path(),
    )
    .ok();
    p.write(
        &format!("{name}.toml"),
        &common::subordinate_toml(&format!("file = \"{name}.csr\""), "", name),
    );
    p.rootca(&["run", &format!("{name}.toml"), "--yes"]).ok();
}

/// A crl ceremony file under the root of `with_root`.
fn crl_toml(number: u32, previous: Option<&str>, entries: &str, out: &str) -> String {
    let previous = previous.map_or(String::new(), |p| format!("previous = \"{p}\"\n"));
    format!(
        r#"ceremony = "crl"
name = "Root CRL {number}"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "root"
certificate = "ca/root.pem"

[crl]
number = {number}
{previous}this_update = "2026-01-{day:02}T00:00:00Z"
next_update = "2026-07-01T00:00:00Z"
signature = "ecdsa-sha384"
distribution_point = "http://crl.example.com/root.crl"

{entries}

[outputs]
crl = "{out}.crl"
transcript = "{out}.transcript.jsonl"
"#,
        day = 9 + number
    )
}

fn revoke_cert(path: &str, reason: &str) -> String {
    format!(
        "[[crl.revoked]]\ncertificate = \"{path}\"\ndate = \"2026-01-05T00:00:00Z\"\nreason = \"{reason}\"\n"
    )
}

fn run_crl(p: &Practice, file: &str, text: &str) -> Run {
    p.write(file, text);
    let run = p.rootca(&["run", file, "--yes"]);
    run.ok();
    run
}

/// `{stem}.crl` (DER) as `{stem}.crl.pem`, and openssl's verdict on its
/// signature under the root.
fn openssl_verifies_the_crl(p: &Practice, stem: &str) {
    openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            &format!("{stem}.crl"),
            "-out",
            &format!("{stem}.crl.pem"),
        ],
        p.path(),
    )
    .ok();
    let run = openssl(
        &[
            "crl",
            "-in",
            &format!("{stem}.crl.pem"),
            "-CAfile",
            "ca/root.pem",
            "-noout",
            "-verify",
        ],
        p.path(),
    );
    run.ok();
    assert!(run.stderr.contains("verify OK"), "{}", run.stderr);
}

fn verify_with_crl(p: &Practice, stem: &str, cert: &str) -> Run {
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-crl_check",
            "-CAfile",
            "ca/root.pem",
            "-CRLfile",
            &format!("{stem}.crl.pem"),
            cert,
        ],
        p.path(),
    )
}

/// python-cryptography's reading of the CRL: number and (serial, reason) pairs.
fn cryptography_reads(p: &Practice, stem: &str) -> (u64, Vec<(String, String)>) {
    let code = r#"
import sys, json
from cryptography import x509
crl = x509.load_der_x509_crl(open(sys.argv[1], 'rb').read())
number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
entries = []
for r in crl:
    try:
        reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        reason = 'none'
    entries.append([format(r.serial_number, 'x'), reason])
print(json.dumps([number, sorted(entries)]))
"#;
    let out = std::process::Command::new(common::venv_bin("python"))
        .current_dir(p.path())
        .args(["-c", code, &format!("{stem}.crl")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: (u64, Vec<(String, String)>) = serde_json::from_slice(&out.stdout).unwrap();
    v
}

fn serial_of(p: &Practice, cert: &str) -> String {
    let run = openssl(&["x509", "-in", cert, "-noout", "-serial"], p.path());
    run.ok();
    run.stdout
        .trim()
        .trim_start_matches("serial=")
        .trim_start_matches('0')
        .to_lowercase()
}

#[test]
fn a_first_empty_crl_verifies_passes_pkilint_and_says_it_has_no_previous() {
    let p = with_root();
    p.write("crl1.toml", &crl_toml(1, None, "", "out/crl1"));
    let check = p.rootca(&["check", "crl1.toml"]);
    check.ok();
    assert!(
        check.stdout.contains("NO PREVIOUS CRL GIVEN"),
        "{}",
        check.stdout
    );
    run_crl(&p, "crl1.toml", &crl_toml(1, None, "", "out/crl1"));
    openssl_verifies_the_crl(&p, "out/crl1");
    let lint = pkilint(
        "lint_crl",
        &["-t", "ARL", "-p", "PKIX", "out/crl1.crl"],
        p.path(),
    );
    assert_eq!(lint.code, 0, "pkilint:\n{}{}", lint.stdout, lint.stderr);
    let (number, entries) = cryptography_reads(&p, "out/crl1");
    assert_eq!((number, entries), (1, vec![]));
    p.rootca(&["transcript", "verify", "out/crl1.transcript.jsonl"])
        .ok();
}

#[test]
fn a_revoked_subordinate_fails_openssl_revocation_checking_and_another_passes() {
    let p = with_root();
    subordinate(&p, "old-ca");
    subordinate(&p, "new-ca");
    run_crl(
        &p,
        "crl1.toml",
        &crl_toml(
            1,
            None,
            &revoke_cert("old-ca.pem", "superseded"),
            "out/crl1",
        ),
    );
    openssl_verifies_the_crl(&p, "out/crl1");
    let revoked = verify_with_crl(&p, "out/crl1", "old-ca.pem");
    assert_ne!(revoked.code, 0);
    assert!(
        revoked.stdout.contains("certificate revoked")
            || revoked.stderr.contains("certificate revoked"),
        "{}{}",
        revoked.stdout,
        revoked.stderr
    );
    verify_with_crl(&p, "out/crl1", "new-ca.pem").ok();
    let text = openssl(
        &["crl", "-in", "out/crl1.crl.pem", "-noout", "-text"],
        p.path(),
    );
    assert!(text.stdout.contains("Superseded"), "{}", text.stdout);
    let lint = pkilint(
        "lint_crl",
        &["-t", "ARL", "-p", "PKIX", "out/crl1.crl"],
        p.path(),
    );
    assert_eq!(lint.code, 0, "pkilint:\n{}{}", lint.stdout, lint.stderr);
    let (number, entries) = cryptography_reads(&p, "out/crl1");
    assert_eq!(number, 1);
    assert_eq!(
        entries,
        vec![(serial_of(&p, "old-ca.pem"), "superseded".into())]
    );
}

#[test]
fn a_second_crl_keeps_the_firsts_entries_adds_and_removes_as_told() {
    let p = with_root();
    subordinate(&p, "a-ca");
    subordinate(&p, "b-ca");
    run_crl(
        &p,
        "crl1.toml",
        &crl_toml(
            1,
            None,
            &format!(
                "{}[[crl.revoked]]\nserial = \"0x1234\"\ndate = \"2026-01-04T00:00:00Z\"\nreason = \"cessationOfOperation\"\n",
                revoke_cert("a-ca.pem", "keyCompromise")
            ),
            "out/crl1",
        ),
    );
    let second = crl_toml(
        2,
        Some("out/crl1.crl"),
        &format!(
            "{}[[crl.remove]]\nserial = \"0x1234\"\nreason = \"issued in error: never in use\"\n",
            revoke_cert("b-ca.pem", "unspecified")
        ),
        "out/crl2",
    );
    p.write("crl2.toml", &second);
    let check = p.rootca(&["check", "crl2.toml"]);
    check.ok();
    assert!(check.stdout.contains("(carried over)"), "{}", check.stdout);
    assert!(
        check.stdout.contains("added: certificate b-ca.pem"),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("removed: 0x1234 (reason: issued in error"),
        "{}",
        check.stdout
    );
    run_crl(&p, "crl2.toml", &second);
    openssl_verifies_the_crl(&p, "out/crl2");
    let (number, entries) = cryptography_reads(&p, "out/crl2");
    assert_eq!(number, 2);
    let mut want = vec![
        (serial_of(&p, "a-ca.pem"), "key_compromise".to_string()),
        (serial_of(&p, "b-ca.pem"), "none".to_string()),
    ];
    want.sort();
    assert_eq!(entries, want);
    assert_ne!(verify_with_crl(&p, "out/crl2", "a-ca.pem").code, 0);
    assert_ne!(verify_with_crl(&p, "out/crl2", "b-ca.pem").code, 0);
    // The transcript lists what carried over, what was added and removed.
    let t = std::fs::read_to_string(p.path().join("out/crl2.transcript.jsonl")).unwrap();
    let built: serde_json::Value = t
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "Build and check the CRL")
        .unwrap();
    assert_eq!(
        built["details"]["carried_over"].as_array().unwrap().len(),
        1
    );
    assert_eq!(built["details"]["added"].as_array().unwrap().len(), 1);
    assert_eq!(
        built["details"]["removed"][0]["reason"],
        "issued in error: never in use"
    );
}

/// `text` refused at check and at run with exit 2, naming `says`, and
/// nothing written.
fn refused(p: &Practice, text: &str, says: &[&str]) {
    p.write("bad.toml", text);
    for args in [
        &["check", "bad.toml"][..],
        &["run", "bad.toml", "--yes"][..],
    ] {
        let run = p.rootca(args);
        assert_eq!(run.code, 2, "{args:?}\n{}\n{}", run.stdout, run.stderr);
        for s in says {
            assert!(run.stderr.contains(s), "lacks {s:?}:\n{}", run.stderr);
        }
    }
    assert!(!p.path().join("out/bad.crl").exists());
    assert!(!p.path().join("out/bad.transcript.jsonl").exists());
}

#[test]
fn bad_crl_files_are_refused_at_check_and_nothing_is_written() {
    let p = with_root();
    run_crl(&p, "crl1.toml", &crl_toml(1, None, "", "out/crl1"));
    // A number not greater than the previous one.
    refused(
        &p,
        &crl_toml(1, Some("out/crl1.crl"), "", "out/bad"),
        &[
            "crl.number",
            "must be greater than the previous CRL's number 1",
        ],
    );
    // nextUpdate before thisUpdate, and past the root's notAfter.
    let base = crl_toml(2, None, "", "out/bad");
    refused(
        &p,
        &base.replace(
            "next_update = \"2026-07-01T00:00:00Z\"",
            "next_update = \"2026-01-02T00:00:00Z\"",
        ),
        &["crl.next_update", "is not after crl.this_update"],
    );
    refused(
        &p,
        &base.replace(
            "next_update = \"2026-07-01T00:00:00Z\"",
            "next_update = \"2047-01-01T00:00:00Z\"",
        ),
        &["crl.next_update", "after the root's notAfter"],
    );
    // A signature the root's key cannot make, named by its own field.
    refused(
        &p,
        &base.replace("signature = \"ecdsa-sha384\"", "signature = \"rsa-sha256\""),
        &[
            "crl.signature",
            "rsa-sha256 cannot be made with the issuer's",
        ],
    );
    // An unknown reason; a serial listed twice.
    refused(
        &p,
        &crl_toml(
            2,
            None,
            "[[crl.revoked]]\nserial = \"0x10\"\ndate = \"2026-01-05T00:00:00Z\"\nreason = \"certificateHold\"\n",
            "out/bad",
        ),
        &["crl.revoked entry 1", "certificateHold", "is not one of"],
    );
    let twice = "[[crl.revoked]]\nserial = \"0x10\"\ndate = \"2026-01-05T00:00:00Z\"\nreason = \"superseded\"\n";
    refused(
        &p,
        &crl_toml(2, None, &format!("{twice}{twice}"), "out/bad"),
        &["crl.revoked entry 2", "0x10 is listed twice"],
    );
}

#[test]
fn a_previous_crl_of_another_issuer_or_with_a_bad_signature_is_refused() {
    let p = with_root();
    run_crl(&p, "crl1.toml", &crl_toml(1, None, "", "out/crl1"));
    // A bad signature: one bit of the signature flipped.
    let mut der = std::fs::read(p.path().join("out/crl1.crl")).unwrap();
    let last = der.len() - 1;
    der[last] ^= 1;
    std::fs::write(p.path().join("tampered.crl"), der).unwrap();
    refused(
        &p,
        &crl_toml(2, Some("tampered.crl"), "", "out/bad"),
        &[
            "crl.previous",
            "does not verify under the root certificate's key",
        ],
    );
    // Another issuer's CRL, made with openssl.
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
            "/CN=Other Root",
            "-days",
            "3650",
            "-out",
            "other.pem",
        ],
        p.path(),
    )
    .ok();
    p.write("ca.cnf", "[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\ndefault_md = sha384\ncrlnumber = crlnumber\ndefault_crl_days = 30\n");
    p.write("index.txt", "");
    p.write("crlnumber", "01\n");
    openssl_fixed(
        &[
            "ca",
            "-config",
            "ca.cnf",
            "-gencrl",
            "-keyfile",
            "other.key",
            "-cert",
            "other.pem",
            "-out",
            "other.crl",
        ],
        p.path(),
    )
    .ok();
    refused(
        &p,
        &crl_toml(2, Some("other.crl"), "", "out/bad"),
        &[
            "crl.previous",
            "was issued by CN=Other Root, not by the root",
        ],
    );
}

#[test]
fn a_revoked_certificate_the_root_did_not_issue_is_refused() {
    let p = with_root();
    openssl_fixed(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "stranger.key",
            "-subj",
            "/CN=Stranger",
            "-days",
            "30",
            "-out",
            "stranger.pem",
        ],
        p.path(),
    )
    .ok();
    refused(
        &p,
        &crl_toml(
            1,
            None,
            &revoke_cert("stranger.pem", "superseded"),
            "out/bad",
        ),
        &[
            "crl.revoked entry 1",
            "was issued by CN=Stranger, not by the root",
        ],
    );
}

#[test]
fn inspect_shows_the_number_dates_days_left_the_idp_and_each_reason() {
    let p = with_root();
    subordinate(&p, "old-ca");
    run_crl(
        &p,
        "crl1.toml",
        &crl_toml(
            1,
            None,
            &revoke_cert("old-ca.pem", "cACompromise"),
            "out/crl1",
        ),
    );
    // The clock fixed at 2026-06-01, a month before nextUpdate.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .current_dir(p.path())
        .args(["inspect", "out/crl1.crl"]);
    let run: Run = common::at_clock(&mut command, "2026-06-01 00:00:00")
        .output()
        .unwrap()
        .into();
    run.ok();
    for want in [
        "CRL number:           1",
        "Next update:          2026-07-01T00:00:00Z",
        "Until next update:    30 days from now",
        "issuingDistributionPoint [critical]",
        "http://crl.example.com/root.crl",
        "reason: cACompromise",
    ] {
        assert!(run.stdout.contains(want), "lacks {want:?}:\n{}", run.stdout);
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .current_dir(p.path())
        .args(["inspect", "out/crl1.crl", "--json"]);
    let json: Run = common::at_clock(&mut command, "2026-07-03 00:00:00")
        .output()
        .unwrap()
        .into();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["days_until_next_update"], -2, "{v}");
    assert_eq!(v["crl_number"], "1");
    assert_eq!(v["revoked"][0]["reason"], "cACompromise");
}
