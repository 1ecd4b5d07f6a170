//! A ceremony killed (SIGKILL) at any point and run again: the resume ends
//! with exactly one key under the label, exactly one certificate (the one
//! signed before the kill when there was one), no temporary copies, the CA
//! imported once, and a transcript that verifies. Also: `--abandon`, two
//! runs of one file at once, a run without a terminal.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::emulator::Emulator;
use common::{Practice, Run, openssl, root_toml, with_root};

fn private_keys(p: &Practice, label: &str) -> usize {
    p.pkcs11_tool(&["--list-objects", "--type", "privkey"])
        .stdout
        .matches(&format!("label:      {label}\n"))
        .count()
}

/// Starts `rootca run FILE --yes` stopped at `point` (the debug build's
/// crash points), waits until it is there, and kills it with SIGKILL.
fn kill_at(command: Command, point: &str) {
    let mut child = pause_at(command, point);
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs.
    child.wait().unwrap();
}

/// Starts `command` stopped at `point` and hands back the process there.
fn pause_at(mut command: Command, point: &str) -> std::process::Child {
    command
        .env("ROOTCA_TEST_PAUSE", point)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start rootca");
    let mut stderr = child.stderr.take().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = seen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let wanted = format!("paused at {point} ");
    while !seen.lock().unwrap().contains(&wanted) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "rootca ended ({status}) before {point}:\n{}",
                seen.lock().unwrap()
            );
        }
        assert!(Instant::now() < deadline, "never reached {point}");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(reader);
    child
}

fn rootca_command(p: &Practice, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(args);
    command
}

/// Files under `dir` (recursively) whose name is rootca's temporary one.
fn temporary_copies(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(list) = std::fs::read_dir(dir) {
        for e in list.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                found.extend(temporary_copies(&e.path()));
            } else if name.starts_with(".rootca-") || name.ends_with(".partial") {
                found.push(e.path().display().to_string());
            }
        }
    }
    found
}

fn entries(p: &Practice, transcript: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p.path().join(transcript))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The serial the journal says the killed run drew, if it drew one.
fn drawn_serial(p: &Practice, journal: &str) -> Option<String> {
    let text = std::fs::read_to_string(p.path().join(journal)).ok()?;
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "Draw the serial number" && e["status"] == "ok")
        .map(|e| e["details"]["serial"].as_str().unwrap().to_string())
}

/// Every point of a root ceremony at which a kill is tried: after each of
/// its 8 steps, inside the key generation (the pair made, not recorded),
/// with every output staged and none placed, and with one placed.
const ROOT_POINTS: [&str; 11] = [
    "after-step-1",
    "generated-key",
    "after-step-2",
    "after-step-3",
    "after-step-4",
    "after-step-5",
    "after-step-6",
    "staged-outputs",
    "placed-first-output",
    "after-step-7",
    "after-step-8",
];

#[test]
fn a_root_ceremony_killed_at_any_point_resumes_to_one_key_and_one_certificate() {
    for (n, point) in ROOT_POINTS.iter().enumerate() {
        let p = Practice::new();
        let label = format!("killed{n}");
        p.write(
            "root.toml",
            &root_toml(&label, "ec-p256", "ecdsa-sha256", "root"),
        );
        kill_at(rootca_command(&p, &["run", "root.toml", "--yes"]), point);
        let journal = "out/root.transcript.jsonl.partial";
        assert!(p.path().join(journal).exists(), "{point}: no journal");
        let serial = drawn_serial(&p, journal);

        // `check` names what the killed run left.
        let check = p.rootca(&["check", "root.toml"]);
        check.ok();
        assert!(
            check.stdout.contains("An interrupted run of this ceremony"),
            "{point}: {}",
            check.stdout
        );
        if *point == "staged-outputs" {
            assert!(
                check
                    .stdout
                    .contains("temporary copy left by the interrupted run"),
                "{point}: {}",
                check.stdout
            );
        }

        let again = p.rootca(&["run", "root.toml", "--yes"]);
        assert_eq!(
            again.code, 0,
            "{point}: the resume failed\n{}\n{}",
            again.stdout, again.stderr
        );
        assert!(
            again.stdout.contains("This ceremony was interrupted"),
            "{point}: {}",
            again.stdout
        );
        assert_eq!(private_keys(&p, &label), 1, "{point}: not one key");
        assert_eq!(
            temporary_copies(&p.path().join("out")),
            Vec::<String>::new(),
            "{point}: leftovers"
        );
        // One certificate, of that key, with the serial drawn before the kill.
        let cert_key = openssl(
            &["x509", "-in", "out/root.pem", "-noout", "-pubkey"],
            p.path(),
        );
        let public = std::fs::read_to_string(p.path().join("out/root.pub.pem")).unwrap();
        assert_eq!(cert_key.stdout.trim(), public.trim(), "{point}");
        if let Some(serial) = serial {
            let got = openssl(
                &["x509", "-in", "out/root.pem", "-noout", "-serial"],
                p.path(),
            );
            assert_eq!(
                got.stdout.trim().to_lowercase(),
                format!("serial={serial}"),
                "{point}: a second serial"
            );
        }
        let verify = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
        verify.ok();
        let e = entries(&p, "out/root.transcript.jsonl");
        let generated = e
            .iter()
            .filter(|e| {
                e["event"] == "Generate the key pair in the HSM"
                    && e["status"] == "ok"
                    && e["details"].get("resumed").is_none()
            })
            .count();
        // Made once: recorded when made, or, when the kill came between
        // the HSM making it and the journal, adopted once by the resume.
        assert_eq!(
            generated, 1,
            "{point}: the key was generated {generated} times"
        );
        if *point == "generated-key" {
            assert!(
                again.stdout.contains("adopted, not generated again"),
                "{}",
                again.stdout
            );
        }
        assert!(
            e.iter().any(|e| e["event"] == "ceremony resumed"),
            "{point}"
        );
        assert_eq!(e.last().unwrap()["event"], "ceremony complete");
    }
}

/// A subordinate ceremony for the CA `arn` with outputs under `out`.
fn subordinate(arn: &str, out: &str) -> String {
    common::subordinate_toml(
        &format!("private_ca_arn = \"{arn}\""),
        &format!(
            "[certificate.name_constraints]
permitted_dns = [\"example.com\"]

[import]
private_ca_arn = \"{arn}\"
"
        ),
        &format!("{out}/issuing-ca-1"),
    )
}

fn new_ca(p: &Practice, emulator: &Emulator) -> String {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("ceremony/practice/issuing-ca.toml");
    let created = p.rootca_aws(
        emulator,
        &[
            "pca",
            "create-subordinate",
            "--spec",
            spec.to_str().unwrap(),
        ],
    );
    created.ok();
    created.stdout.trim().to_string()
}

#[test]
fn a_subordinate_ceremony_with_import_killed_after_any_step_resumes_and_imports_once() {
    let emulator = Emulator::shared();
    let p = with_root();
    let points = [
        "after-step-1",
        "after-step-2",
        "after-step-3",
        "after-step-4",
        "after-step-5",
        "after-step-6",
        "placed-first-output",
        "after-step-7",
        "after-step-8",
        "after-step-9",
    ];
    for (n, point) in points.iter().enumerate() {
        let arn = new_ca(&p, &emulator);
        let out = format!("sub{n}");
        let file = format!("sub{n}.toml");
        p.write(&file, &subordinate(&arn, &out));
        let mut command = rootca_command(&p, &["run", &file, "--yes"]);
        emulator.apply(&mut command);
        kill_at(command, point);
        let journal = format!("{out}/issuing-ca-1.transcript.jsonl.partial");
        let serial = drawn_serial(&p, &journal);

        let again = p.rootca_aws(&emulator, &["run", &file, "--yes"]);
        assert_eq!(
            again.code, 0,
            "{point}: the resume failed\n{}\n{}",
            again.stdout, again.stderr
        );
        assert_eq!(private_keys(&p, "root"), 1, "{point}");
        assert_eq!(
            temporary_copies(&p.path().join(&out)),
            Vec::<String>::new(),
            "{point}: leftovers"
        );
        assert_eq!(emulator.status(&arn), "ACTIVE", "{point}");
        let written =
            std::fs::read_to_string(p.path().join(format!("{out}/issuing-ca-1.pem"))).unwrap();
        assert_eq!(
            emulator.ca_certificate(&arn).0.trim(),
            written.trim(),
            "{point}: the CA does not have the written certificate"
        );
        if let Some(serial) = serial {
            let got = openssl(
                &[
                    "x509",
                    "-in",
                    &format!("{out}/issuing-ca-1.pem"),
                    "-noout",
                    "-serial",
                ],
                p.path(),
            );
            assert_eq!(
                got.stdout.trim().to_lowercase(),
                format!("serial={serial}"),
                "{point}"
            );
        }
        let transcript = format!("{out}/issuing-ca-1.transcript.jsonl");
        p.rootca(&["transcript", "verify", &transcript]).ok();
        let e = entries(&p, &transcript);
        let imports = e
            .iter()
            .filter(|e| {
                e["event"] == "Import the certificate into AWS Private CA"
                    && e["status"] == "ok"
                    && e["details"]["already_installed"] == false
            })
            .count();
        assert_eq!(imports, 1, "{point}: imported {imports} times");
        let signed = e
            .iter()
            .filter(|e| {
                e["event"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("Sign the subordinate")
                    && e["status"] == "ok"
            })
            .filter_map(|e| e["details"]["certificate_sha256"].as_str())
            .collect::<std::collections::BTreeSet<_>>();
        assert!(
            signed.len() <= 1,
            "{point}: two certificates signed: {signed:?}"
        );
    }
}

#[test]
fn abandon_closes_the_journal_with_the_reason_and_names_the_key_left_behind() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("orphan", "ec-p256", "ecdsa-sha256", "root"),
    );
    kill_at(
        rootca_command(&p, &["run", "root.toml", "--yes"]),
        "after-step-3",
    );
    let mut officer = common::Interactive::start(rootca_command(
        &p,
        &["run", "root.toml", "--abandon", "--officer", "Alice"],
    ));
    officer.wait_for("Why is it abandoned?", 1);
    officer.answer("rehearsal stopped by the ceremony lead");
    let run = officer.finish();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let e = entries(&p, "out/root.transcript.jsonl");
    let generated = e
        .iter()
        .find(|e| e["event"] == "Generate the key pair in the HSM" && e["status"] == "ok")
        .unwrap();
    let id = generated["details"]["id"].as_str().unwrap();
    for says in [
        "The ceremony is abandoned",
        "key pair \"orphan\"",
        &format!("pkcs11-tool --delete-object --type privkey --id {id}"),
        "rootca deletes none of it",
        "Last entry hash",
    ] {
        assert!(run.stdout.contains(says), "{says:?}:\n{}", run.stdout);
    }
    let last = e.last().unwrap();
    assert_eq!(last["event"], "ceremony abandoned");
    assert_eq!(
        last["details"]["reason"],
        "rehearsal stopped by the ceremony lead"
    );
    assert_eq!(last["details"]["officers"], serde_json::json!(["Alice"]));
    assert_eq!(private_keys(&p, "orphan"), 1, "rootca deleted nothing");
    assert!(!p.path().join("out/root.transcript.jsonl.partial").exists());
    let verify = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
    verify.ok();
    // Closed: the file may now be run only as a new ceremony, whose
    // outputs it would have to name anew.
    let check = p.rootca(&["check", "root.toml"]);
    assert_eq!(check.code, 2, "{}", check.stdout);
}

#[test]
fn a_resume_of_a_changed_file_or_a_tampered_journal_is_refused() {
    let p = Practice::new();
    let text = root_toml("edited", "ec-p256", "ecdsa-sha256", "root");
    p.write("root.toml", &text);
    kill_at(
        rootca_command(&p, &["run", "root.toml", "--yes"]),
        "after-step-2",
    );
    p.write("root.toml", &text.replace("Example", "Exemplary"));
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("a ceremony resumes only from the file it began with"),
        "{}",
        run.stderr
    );
    p.write("root.toml", &text);
    let journal = p.path().join("out/root.transcript.jsonl.partial");
    let original = std::fs::read_to_string(&journal).unwrap();
    std::fs::write(
        &journal,
        original.replace("\"status\":\"ok\"", "\"status\":\"OK\""),
    )
    .unwrap();
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 1: the entry does not match its hash"),
        "{}",
        run.stderr
    );
    assert_eq!(private_keys(&p, "edited"), 1, "no second key");
    std::fs::write(&journal, original).unwrap();
    p.rootca(&["run", "root.toml", "--yes"]).ok();
    assert_eq!(private_keys(&p, "edited"), 1);
}

#[test]
fn two_runs_of_one_file_started_together_make_one_key_and_one_certificate() {
    let p = Practice::new();
    for round in 0..4 {
        let label = format!("same{round}");
        let file = format!("same{round}.toml");
        p.write(
            &file,
            &root_toml(&label, "rsa-2048", "rsa-sha256", &format!("same{round}")),
        );
        let start = || {
            rootca_command(&p, &["run", &file, "--yes"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (start(), start());
        let runs: Vec<Run> = [a, b]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap().into())
            .collect();
        assert_eq!(private_keys(&p, &label), 1, "round {round}");
        let mut codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
        codes.sort();
        assert_eq!(
            codes,
            vec![0, 2],
            "round {round}\n{}\n{}",
            runs[0].stderr,
            runs[1].stderr
        );
        let refused = runs.iter().find(|r| r.code == 2).unwrap();
        assert!(
            refused.stderr.contains("Nothing was changed")
                || refused.stderr.contains("already exists")
                || refused.stderr.contains("is held by another rootca process"),
            "{}",
            refused.stderr
        );
        p.rootca(&[
            "transcript",
            "verify",
            &format!("out/same{round}.transcript.jsonl"),
        ])
        .ok();
        assert!(p.path().join(format!("out/same{round}.pem")).exists());
    }
}

#[test]
fn without_a_terminal_and_without_yes_no_key_is_generated() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("notty", "ec-p256", "ecdsa-sha256", "root"),
    );
    // setsid: no controlling terminal, whatever the test runner has; the
    // confirmations are offered on stdin, as a script would.
    let mut child = Command::new("setsid")
        .args(["-w", env!("CARGO_BIN_EXE_rootca"), "run", "root.toml"])
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(b"yes\nyes\nyes\n");
    }
    let run: Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("no terminal to confirm at")
            && run.stderr.contains("Nothing was changed"),
        "{}",
        run.stderr
    );
    assert_eq!(private_keys(&p, "notty"), 0);
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
}

#[test]
fn the_officer_confirms_the_resume_at_the_terminal_and_a_no_changes_nothing() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("confirmed", "ec-p256", "ecdsa-sha256", "root"),
    );
    kill_at(
        rootca_command(&p, &["run", "root.toml", "--yes"]),
        "after-step-6",
    );
    let journal = p.path().join("out/root.transcript.jsonl.partial");
    let before = std::fs::read(&journal).unwrap();

    let mut officer = common::Interactive::start(rootca_command(&p, &["run", "root.toml"]));
    officer.wait_for("Resume the ceremony after step 6?", 1);
    officer.answer("no");
    let run = officer.finish();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the officer did not resume the interrupted ceremony"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the journal is as it was"
    );

    let mut officer = common::Interactive::start(rootca_command(&p, &["run", "root.toml"]));
    officer.wait_for("Resume the ceremony after step 6?", 1);
    officer.answer("yes");
    let (run, terminal) = officer.finish_with_terminal();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Steps 2 and 6 were confirmed before the kill: not asked again.
    assert!(!terminal.contains(common::PROMPT), "{terminal}");
    assert!(
        run.stdout
            .contains("done before the interruption: checking it, not doing it again"),
        "{}",
        run.stdout
    );
    assert_eq!(private_keys(&p, "confirmed"), 1);
    p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"])
        .ok();
}

#[test]
fn check_tells_a_running_ceremony_from_an_interrupted_one() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("busy", "ec-p256", "ecdsa-sha256", "root"),
    );
    let mut child = pause_at(
        rootca_command(&p, &["run", "root.toml", "--yes"]),
        "after-step-2",
    );
    let check = p.rootca(&["check", "root.toml"]);
    check.ok();
    assert!(
        check
            .stdout
            .contains("A rootca process is running this ceremony now"),
        "{}",
        check.stdout
    );
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is held by another rootca process"),
        "{}",
        run.stderr
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let check = p.rootca(&["check", "root.toml"]);
    assert!(
        check.stdout.contains("An interrupted run of this ceremony"),
        "{}",
        check.stdout
    );
    assert_eq!(private_keys(&p, "busy"), 1);
}
