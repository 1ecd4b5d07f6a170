//! Bad input: a clear message naming the file and field, exit status 2 for
//! refused input (1 for a device failure), and nothing written.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Practice, refused, root_toml};

fn key_count(p: &Practice, label: &str) -> usize {
    let objects = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    objects
        .stdout
        .matches(&format!("label:      {label}\n"))
        .count()
}

#[test]
fn an_unknown_key_is_refused_with_its_name_and_line() {
    let p = Practice::new();
    let text = root_toml("r", "ec-p256", "ecdsa-sha256", "root")
        .replace("path_len = 1", "path_len = 1\npathlen = 2");
    p.write("root.toml", &text);
    refused(&p, "root.toml", &["root.toml", "pathlen", "line 19"]);
    assert_eq!(p.rootca(&["check", "root.toml"]).code, 2);
}

#[test]
fn a_signature_of_the_other_key_family_is_refused_at_check() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("r", "ec-p384", "rsa-sha256", "root"),
    );
    let run = p.rootca(&["check", "root.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("certificate.signature (line 17)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("ecdsa-sha256, ecdsa-sha384, ecdsa-sha512"),
        "{}",
        run.stderr
    );
    refused(&p, "root.toml", &["certificate.signature"]);
    assert_eq!(key_count(&p, "r"), 0);
}

#[test]
fn not_after_before_not_before_is_refused() {
    let p = Practice::new();
    let text = root_toml("r", "ec-p256", "ecdsa-sha256", "root")
        .replace("2046-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
    p.write("root.toml", &text);
    refused(
        &p,
        "root.toml",
        &[
            "certificate.not_after (line 16)",
            "is not after certificate.not_before",
        ],
    );
}

#[test]
fn an_existing_output_is_refused_and_left_untouched() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("r", "ec-p256", "ecdsa-sha256", "root"),
    );
    std::fs::create_dir(p.path().join("out")).unwrap();
    std::fs::write(p.path().join("out/root.pem"), "precious").unwrap();
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("outputs.certificate (line 22)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/root.pem")).unwrap(),
        "precious"
    );
    assert_eq!(std::fs::read_dir(p.path().join("out")).unwrap().count(), 1);
    assert_eq!(key_count(&p, "r"), 0);
}

#[test]
fn the_same_ceremony_twice_leaves_exactly_one_key() {
    let p = Practice::new();
    p.write(
        "first.toml",
        &root_toml("twice", "ec-p256", "ecdsa-sha256", "first"),
    );
    p.rootca(&["run", "first.toml", "--yes"]).ok();
    let before = p.outputs();
    // Same ceremony, new output names: the label is what must stop it.
    p.write(
        "second.toml",
        &root_toml("twice", "ec-p256", "ecdsa-sha256", "second"),
    );
    let run = p.rootca(&["run", "second.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("a key labelled \"twice\" already exists"),
        "{}",
        run.stderr
    );
    assert_eq!(key_count(&p, "twice"), 1);
    assert_eq!(p.outputs(), before, "the second run wrote something");
    // And the first ceremony's own outputs stop the very same file.
    let again = p.rootca(&["run", "first.toml", "--yes"]);
    assert_eq!(again.code, 2);
    assert_eq!(key_count(&p, "twice"), 1);
}

#[test]
fn a_wrong_pin_fails_clearly_and_writes_nothing() {
    let p = Practice::new();
    p.write("pin.txt", "Wrong-PIN-Zz\n");
    p.write(
        "root.toml",
        &root_toml("r", "ec-p256", "ecdsa-sha256", "root"),
    );
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the PIN was refused by token \"root-ca\""),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("Wrong-PIN-Zz") && !run.stdout.contains("Wrong-PIN-Zz"),
        "PIN echoed"
    );
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
    assert!(!p.path().join("out").exists());
}

#[test]
fn a_missing_token_label_fails_and_lists_the_tokens_present() {
    let p = Practice::new();
    let text = root_toml("r", "ec-p256", "ecdsa-sha256", "root")
        .replace("token = \"root-ca\"", "token = \"no-such-token\"");
    p.write("root.toml", &text);
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no token labelled \"no-such-token\" (tokens present: \"root-ca\")"),
        "{}",
        run.stderr
    );
    assert!(p.outputs().is_empty());
}

#[test]
fn a_module_that_is_not_pkcs11_fails_clearly() {
    let p = Practice::new();
    let fake = p.write("not-a-module.so", "this is text, not a library");
    let text = root_toml("r", "ec-p256", "ecdsa-sha256", "root")
        .replace(common::MODULE, &fake.display().to_string());
    p.write("root.toml", &text);
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not a usable PKCS#11 library"),
        "{}",
        run.stderr
    );
    assert!(p.outputs().is_empty());
}

#[test]
fn a_pin_in_the_file_itself_is_refused() {
    let p = Practice::new();
    let text = root_toml("r", "ec-p256", "ecdsa-sha256", "root")
        .replace("pin = { file = \"pin.txt\" }", "pin = \"1234\"");
    p.write("root.toml", &text);
    refused(
        &p,
        "root.toml",
        &[
            "hsm.pin (line 7)",
            "a PIN itself never goes into a ceremony file",
        ],
    );
}

#[test]
fn a_tampered_transcript_is_detected() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("t", "ec-p256", "ecdsa-sha256", "root"),
    );
    p.rootca(&["run", "root.toml", "--yes"]).ok();
    let path = p.path().join("out/root.transcript.jsonl");
    let original = std::fs::read_to_string(&path).unwrap();

    std::fs::write(
        &path,
        original.replace("\"label\":\"t\"", "\"label\":\"u\""),
    )
    .unwrap();
    let edited = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
    assert_eq!(edited.code, 2);
    assert!(
        edited
            .stderr
            .contains("line 4: the entry does not match its hash"),
        "{}",
        edited.stderr
    );

    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(2);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let removed = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
    assert_eq!(removed.code, 2);
    assert!(removed.stderr.contains("line 3"), "{}", removed.stderr);

    std::fs::write(&path, &original).unwrap();
    std::fs::write(p.path().join("out/root.pem"), "swapped").unwrap();
    let swapped = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
    assert_eq!(swapped.code, 2);
    assert!(
        swapped
            .stderr
            .contains("the artifact root.pem has changed since the ceremony"),
        "{}",
        swapped.stderr
    );
}

#[test]
fn a_failure_after_key_generation_keeps_the_transcript_and_writes_no_certificate() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("late", "ec-p256", "ecdsa-sha256", "root"),
    );
    p.rootca(&["check", "root.toml"]).ok();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(["run", "root.toml"]);
    let mut officer = common::Interactive::start(command);
    officer.wait_for(common::PROMPT, 1);
    officer.answer("yes");
    // While the officer reads the certificate at the signing prompt, a
    // file appears where the certificate is to go: the write step fails.
    officer.wait_for(common::PROMPT, 2);
    p.write("out/root.pem", "someone else's file");
    officer.answer("yes");
    let run = officer.finish();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("step 7 (Write the certificate and the public key) failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("The journal of this ceremony is kept at out/root.transcript.jsonl.partial"),
        "{}",
        run.stderr
    );
    assert_eq!(
        key_count(&p, "late"),
        1,
        "the key stays, and the transcript says so"
    );
    says_what_the_key_generation_changed(
        &p,
        &run.stderr,
        "late",
        "out/root.transcript.jsonl.partial",
    );
    assert!(
        run.stderr.contains("signed the certificate with serial 0x"),
        "the signature is a change:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("step 8. Log out and close the session"),
        "the steps not done are listed:\n{}",
        run.stderr
    );
    assert!(
        !p.path().join("out/root.pub.pem").exists(),
        "no half of the outputs"
    );

    let verify = p.rootca(&[
        "transcript",
        "verify",
        "out/root.transcript.jsonl.partial",
        "--json",
    ]);
    // An open journal without its closing entry: verified, and flagged.
    assert!(
        verify.stdout.contains("\"closed\": false"),
        "{}",
        verify.stdout
    );
    assert!(
        verify.stdout.contains("\"complete\": false"),
        "{}",
        verify.stdout
    );
    let transcript =
        std::fs::read_to_string(p.path().join("out/root.transcript.jsonl.partial")).unwrap();
    let last = transcript.lines().last().unwrap();
    assert!(last.contains("\"event\":\"ceremony stopped\""), "{last}");
    assert!(transcript.contains("\"event\":\"Generate the key pair in the HSM\""));
    assert!(!p.path().join("out/root.transcript.jsonl").exists());
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/root.pem")).unwrap(),
        "someone else's file",
        "the other file is untouched"
    );
    // The certificate the key signed is in the transcript, whole.
    let signed = transcript
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "Sign the root certificate with the HSM key" && e["status"] == "ok")
        .unwrap();
    let pem = signed["details"]["certificate_pem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));

    // `check` says where the interrupted ceremony stands and still
    // refuses nothing: the file in the way is for the resume to judge.
    let check = p.rootca(&["check", "root.toml"]);
    check.ok();
    assert!(
        check
            .stdout
            .contains("6. Sign the root certificate with the HSM key: done")
            && check
                .stdout
                .contains("7. Write the certificate and the public key: to do"),
        "{}",
        check.stdout
    );
    // Resumed with the other file still there: refused at step 7 again,
    // the file untouched.
    let again = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/root.pem")).unwrap(),
        "someone else's file"
    );
    // Moved away, the resume writes the very certificate that was signed.
    std::fs::rename(
        p.path().join("out/root.pem"),
        p.path().join("elsewhere.pem"),
    )
    .unwrap();
    p.rootca(&["run", "root.toml", "--yes"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/root.pem")).unwrap(),
        pem,
        "the certificate signed before the interruption, not a second one"
    );
    assert_eq!(key_count(&p, "late"), 1);
    p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"])
        .ok();
}

/// The outputs of `root_toml`, with `from` replaced by `to`: refused at
/// `check` with exit 2, naming the field and `says`, and nothing written.
fn path_refused(from: &str, to: &str, field: &str, says: &str) {
    let p = Practice::new();
    let text = root_toml("paths", "ec-p256", "ecdsa-sha256", "root").replace(from, to);
    assert_ne!(text, root_toml("paths", "ec-p256", "ecdsa-sha256", "root"));
    p.write("root.toml", &text);
    let before = p.outputs();
    for command in ["check", "run"] {
        let run =
            p.rootca(&[command, "root.toml", "--yes"][..if command == "run" { 3 } else { 2 }]);
        assert_eq!(
            run.code, 2,
            "{command} {to}: {}\n{}",
            run.stdout, run.stderr
        );
        assert!(run.stderr.contains(field), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
    assert_eq!(key_count(&p, "paths"), 0, "no key for a refused file");
    assert_eq!(p.outputs(), before, "nothing written");
}

#[test]
fn two_outputs_that_are_one_file_by_another_spelling_are_refused_at_check() {
    path_refused(
        "public_key = \"out/root.pub.pem\"",
        "public_key = \"sub/../out/root.pem\"",
        "outputs.public_key",
        "is the same file as outputs.certificate",
    );
}

#[test]
fn the_transcript_as_the_certificate_is_refused_at_check() {
    path_refused(
        "transcript = \"out/root.transcript.jsonl\"",
        "transcript = \"./out/root.pem\"",
        "outputs.transcript",
        "is the same file as outputs.certificate",
    );
}

#[test]
fn an_output_named_like_the_transcripts_journal_is_refused_at_check() {
    path_refused(
        "public_key = \"out/root.pub.pem\"",
        "public_key = \"out/root.transcript.jsonl.partial\"",
        "outputs.public_key",
        "is the transcript's journal",
    );
}

#[test]
fn an_output_below_a_regular_file_is_refused_at_check() {
    path_refused(
        "certificate = \"out/root.pem\"",
        "certificate = \"pin.txt/root.pem\"",
        "outputs.certificate",
        "is a file, not a folder",
    );
}

#[test]
fn an_output_with_a_trailing_slash_is_refused_at_check() {
    path_refused(
        "certificate = \"out/root.pem\"",
        "certificate = \"out/root/\"",
        "outputs.certificate",
        "ends with a slash",
    );
}

#[test]
fn an_output_in_a_folder_that_cannot_be_written_is_refused_at_check() {
    path_refused(
        "certificate = \"out/root.pem\"",
        "certificate = \"/proc/rootca/root.pem\"",
        "outputs.certificate",
        "cannot be written",
    );
}

#[test]
fn an_output_named_like_rootcas_temporary_files_is_refused_at_check() {
    path_refused(
        "certificate = \"out/root.pem\"",
        "certificate = \"out/.rootca-x.partial\"",
        "outputs.certificate",
        "temporary files",
    );
}

/// A failure after key generation names the key (label and CKA_ID, as the
/// transcript recorded them), says what the officer does with it, and never
/// claims that nothing changed.
fn says_what_the_key_generation_changed(p: &Practice, stderr: &str, label: &str, transcript: &str) {
    let text = std::fs::read_to_string(p.path().join(transcript)).unwrap();
    let generated: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "Generate the key pair in the HSM" && e["status"] == "ok")
        .expect("the key generation is recorded");
    let id = generated["details"]["id"].as_str().unwrap();
    assert!(
        stderr.contains(&format!("key pair \"{label}\" (CKA_ID {id})")),
        "the key is named with its CKA_ID {id}:\n{stderr}"
    );
    assert!(stderr.contains("What the ceremony changed"), "{stderr}");
    assert!(stderr.contains("What to do next"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "pkcs11-tool --delete-object --type privkey --id {id}"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("Nothing was changed"), "{stderr}");
    assert!(!stderr.contains("refused"), "not a refusal:\n{stderr}");
}

#[test]
fn stopping_at_the_signature_after_key_generation_exits_1_and_names_the_key() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("halfway", "ec-p256", "ecdsa-sha256", "root"),
    );
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(["run", "root.toml"]);
    let mut officer = common::Interactive::start(command);
    officer.wait_for(common::PROMPT, 1);
    {
        // While the ceremony runs its journal is the officer's alone.
        use std::os::unix::fs::PermissionsExt;
        let journal = p.path().join("out/root.transcript.jsonl.partial");
        let mode = std::fs::metadata(journal).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the journal is {mode:o}");
    }
    officer.answer("yes");
    officer.wait_for(common::PROMPT, 2);
    officer.answer("no");
    let run = officer.finish();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the officer stopped the ceremony at step 6"),
        "{}",
        run.stderr
    );
    assert_eq!(key_count(&p, "halfway"), 1);
    says_what_the_key_generation_changed(
        &p,
        &run.stderr,
        "halfway",
        "out/root.transcript.jsonl.partial",
    );
    assert!(
        run.stderr
            .contains("step 7. Write the certificate and the public key"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("out/root.pem").exists());
    p.rootca(&["transcript", "verify", "out/root.transcript.jsonl.partial"])
        .ok();
}

#[test]
fn a_symbolic_link_on_the_way_to_an_output_is_refused_at_check() {
    let p = Practice::new();
    std::fs::create_dir_all(p.path().join("real")).unwrap();
    std::os::unix::fs::symlink(p.path().join("real"), p.path().join("linked")).unwrap();
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    // A link where the certificate would go, pointing at a file to clobber.
    std::os::unix::fs::symlink("/tmp/rootca-clobber-target", p.path().join("out/root.pem"))
        .unwrap();
    let base = root_toml("links", "ec-p256", "ecdsa-sha256", "root");
    for (text, field, link) in [
        (base.clone(), "outputs.certificate", "out/root.pem"),
        (
            base.replace(
                "public_key = \"out/root.pub.pem\"",
                "public_key = \"linked/root.pub.pem\"",
            ),
            "outputs.public_key",
            "linked",
        ),
    ] {
        p.write("root.toml", &text);
        for command in ["check", "run"] {
            let args: &[&str] = if command == "run" {
                &[command, "root.toml", "--yes"]
            } else {
                &[command, "root.toml"]
            };
            let run = p.rootca(args);
            assert_eq!(run.code, 2, "{command}: {}\n{}", run.stdout, run.stderr);
            assert!(
                run.stderr.contains(field)
                    && run.stderr.contains(&format!("{link} is a symbolic link")),
                "{}",
                run.stderr
            );
        }
    }
    assert_eq!(key_count(&p, "links"), 0);
    assert!(!std::path::Path::new("/tmp/rootca-clobber-target").exists());
    assert!(
        std::fs::read_dir(p.path().join("real"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn a_temporary_copy_left_without_a_journal_is_named_by_check() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("leftover", "ec-p256", "ecdsa-sha256", "root"),
    );
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    // Another ceremony's copy in the same folder is none of this one's business.
    p.write(
        "out/.rootca-issuing-ca.pem.XyZ789.partial",
        "another ceremony's",
    );
    p.rootca(&["check", "root.toml"]).ok();
    p.write("out/.rootca-root.pem.AbC123.partial", "half a certificate");
    let run = p.rootca(&["check", "root.toml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("out/.rootca-root.pem.AbC123.partial is a temporary copy left by a rootca run that was killed while writing"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("issuing-ca"), "{}", run.stderr);
}

#[test]
fn a_fifo_where_the_journal_goes_is_refused_without_waiting_on_it() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("fifo", "ec-p256", "ecdsa-sha256", "root"),
    );
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(p.path().join("out/root.transcript.jsonl.partial"))
        .status()
        .unwrap();
    assert!(made.success());
    for command in ["check", "run"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"))
            .env("SOFTHSM2_CONF", &p.conf)
            .current_dir(p.path())
            .args([command, "root.toml", "--yes"][..if command == "run" { 3 } else { 2 }].iter())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Opening a FIFO for reading waits for a writer: a minute means it did.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("rootca {command} waited on the FIFO");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let run: common::Run = child.wait_with_output().unwrap().into();
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("root.transcript.jsonl.partial is not a regular file"),
            "{command}: {}",
            run.stderr
        );
    }
    assert_eq!(key_count(&p, "fifo"), 0);
}
