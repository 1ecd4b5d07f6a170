//! An HSM that misbehaves (the faulty PKCS#11 module of tests/faulty-hsm in
//! front of SoftHSM): from the first call that may have a lasting effect the
//! transcript is kept and says what may exist; a key rootca must not keep is
//! destroyed and that is recorded; every failure after a lasting effect
//! names what changed and exits 1.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::faulty::{self, Fault};
use common::{Practice, Run};

/// Private keys under `label`, seen through the real SoftHSM module.
fn private_keys(p: &Practice, label: &str) -> usize {
    p.pkcs11_tool(&["--list-objects", "--type", "privkey"])
        .stdout
        .matches(&format!("label:      {label}\n"))
        .count()
}

fn root_run(p: &Practice, label: &str, faults: &[Fault]) -> Run {
    p.write(
        "root.toml",
        &faulty::root_toml(label, "ec-p256", "ecdsa-sha256", "root"),
    );
    faulty::rootca(p, faults, &["run", "root.toml", "--yes"])
}

/// The run failed (exit 1), its journal is kept open for a resume or an
/// abandon, verifies, ends with a "ceremony stopped" entry whose error
/// holds `recorded`, and the message says where it is and how to go on.
fn kept_transcript_records(p: &Practice, run: &Run, recorded: &str) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("The journal of this ceremony is kept at out/root.transcript.jsonl.partial"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`rootca run root.toml --abandon`"),
        "{}",
        run.stderr
    );
    p.rootca(&["transcript", "verify", "out/root.transcript.jsonl.partial"])
        .ok();
    let text = std::fs::read_to_string(p.path().join("out/root.transcript.jsonl.partial")).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "ceremony stopped");
    let error = last["details"]["error"].as_str().unwrap();
    assert!(
        error.contains(recorded),
        "the transcript lacks {recorded:?}:\n{error}"
    );
    assert!(!p.path().join("out/root.pem").exists());
}

#[test]
fn an_extractable_key_is_destroyed_and_the_destruction_recorded() {
    let p = Practice::new();
    let run = root_run(&p, "leaky", &[Fault::Extractable]);
    assert!(
        run.stderr
            .contains("with attributes a root key must not have (extractable"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("was destroyed"), "{}", run.stderr);
    assert_eq!(private_keys(&p, "leaky"), 0, "the extractable key is gone");
    kept_transcript_records(&p, &run, "was destroyed");
}

#[test]
fn an_error_after_the_pair_was_made_is_followed_by_a_search_that_reports_it() {
    let p = Practice::new();
    let run = root_run(&p, "halfmade", &[Fault::ErrorAfterGenerate]);
    assert!(
        run.stderr
            .contains("generating the key pair \"halfmade\" failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the token now has under that label: 2 object(s): ")
            && run.stderr.contains("private key CKA_ID")
            && run.stderr.contains("public key CKA_ID"),
        "what exists is reported:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Step 2 can change the HSM"),
        "{}",
        run.stderr
    );
    assert_eq!(
        private_keys(&p, "halfmade"),
        1,
        "the pair the HSM made is still there"
    );
    kept_transcript_records(&p, &run, "the token now has under that label: 2 object(s)");
}

#[test]
fn another_client_generating_under_the_same_label_leaves_one_pair_and_names_both() {
    let p = Practice::new();
    let run = root_run(&p, "twins", &[Fault::DuplicateLabel]);
    assert!(
        run.stderr
            .contains("another key pair labelled \"twins\" appeared on the token"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the pair this run made (CKA_ID")
            && run.stderr.contains("was destroyed"),
        "{}",
        run.stderr
    );
    assert_eq!(
        private_keys(&p, "twins"),
        1,
        "exactly one pair under the label"
    );
    kept_transcript_records(&p, &run, "appeared on the token");
}

/// A failure at a step after key generation: exit 1, the key named with
/// its CKA_ID, the transcript kept, nothing written.
fn fails_after_key_generation(fault: Fault, step: &str) {
    let p = Practice::new();
    let run = root_run(&p, "late", &[fault]);
    assert!(
        run.stderr.contains(step),
        "expected {step:?}:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("generated ec-p256 key pair \"late\" (CKA_ID "),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("Nothing was changed"),
        "{}",
        run.stderr
    );
    assert_eq!(private_keys(&p, "late"), 1);
    kept_transcript_records(&p, &run, "failed");
    resumes_to_one_key_and_one_certificate(&p, "late");
}

/// Run again once the HSM behaves: the ceremony resumes, finds the key it
/// generated by label and CKA_ID, and ends with that one key certified.
fn resumes_to_one_key_and_one_certificate(p: &Practice, label: &str) {
    let again = faulty::rootca(p, &[], &["run", "root.toml", "--yes"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("found again by label and CKA_ID"),
        "{}",
        again.stdout
    );
    assert_eq!(private_keys(p, label), 1, "still one key");
    let cert = common::openssl(
        &["x509", "-in", "out/root.pem", "-noout", "-pubkey"],
        p.path(),
    );
    let public = std::fs::read_to_string(p.path().join("out/root.pub.pem")).unwrap();
    assert_eq!(
        cert.stdout.trim(),
        public.trim(),
        "the certificate is of that key"
    );
    let verify = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
    verify.ok();
    assert!(
        verify.stdout.contains("hash chain intact"),
        "{}",
        verify.stdout
    );
}

#[test]
fn a_failing_public_key_read_after_key_generation_names_the_key() {
    // The attribute read of the new key's check comes first (two calls:
    // size, then values); the third call is the public key's.
    fails_after_key_generation(
        Fault::Fail("C_GetAttributeValue", 3),
        "step 3 (Read the public key) failed",
    );
}

#[test]
fn a_failing_serial_draw_after_key_generation_names_the_key() {
    // The first C_GenerateRandom draws the CKA_ID, the second the serial.
    fails_after_key_generation(
        Fault::Fail("C_GenerateRandom", 2),
        "step 4 (Draw the serial number) failed",
    );
}

#[test]
fn a_failing_signature_after_key_generation_names_the_key() {
    fails_after_key_generation(
        Fault::Fail("C_Sign", 1),
        "step 6 (Sign the root certificate with the HSM key) failed",
    );
}

#[test]
fn a_failing_logout_after_the_files_are_written_names_them() {
    let p = Practice::new();
    let run = root_run(&p, "closing", &[Fault::Fail("C_Logout", 1)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("step 8 (Log out and close the session) failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("wrote out/root.pem, out/root.pub.pem"),
        "{}",
        run.stderr
    );
    assert!(p.path().join("out/root.pem").exists());
    p.rootca(&["transcript", "verify", "out/root.transcript.jsonl.partial"])
        .ok();
    // The resume finds the files written byte for byte and only logs out.
    let before = std::fs::read(p.path().join("out/root.pem")).unwrap();
    resumes_to_one_key_and_one_certificate(&p, "closing");
    assert_eq!(
        std::fs::read(p.path().join("out/root.pem")).unwrap(),
        before
    );
}
