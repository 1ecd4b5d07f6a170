//! Split knowledge and two-person control through a real terminal (a pty
//! from util-linux `script`): each PIN part typed at its own prompt and
//! seen nowhere (screen, outputs, transcript, the process's arguments and
//! environment); each irreversible step confirmed by two named officers.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{Interactive, PIN, Practice, root_toml};

fn command(p: &Practice, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(args);
    command
}

/// The rootca processes running in `dir`, by pid.
fn rootca_in(dir: &std::path::Path) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let exe = std::fs::read_link(e.path().join("exe")).ok();
        let cwd = std::fs::read_link(e.path().join("cwd")).ok();
        let is_rootca = exe.is_some_and(|x| x.file_name().is_some_and(|n| n == "rootca"));
        if is_rootca && cwd.as_deref() == Some(dir) {
            found.push(pid);
        }
    }
    found
}

fn two_person_toml(label: &str) -> String {
    format!(
        "confirm_by = 2\n{}",
        root_toml(label, "ec-p256", "ecdsa-sha256", "root").replace(
            "pin = { file = \"pin.txt\" }",
            "pin = { split = 2, holders = [\"security officer A\", \"security officer B\"] }"
        )
    )
}

#[test]
fn a_split_pin_is_typed_in_parts_and_seen_nowhere_and_two_officers_confirm() {
    let p = Practice::new();
    p.write("root.toml", &two_person_toml("split"));
    let check = p.rootca(&["check", "root.toml"]);
    check.ok();
    assert!(
        check
            .stdout
            .contains("2. Generate the key pair in the HSM  [2 officers confirm]")
            && check.stdout.contains("PIN: split in 2 parts"),
        "{}",
        check.stdout
    );
    let (first, second) = PIN.split_at(PIN.len() / 2);
    let mut officer = Interactive::start(command(
        &p,
        &[
            "run",
            "root.toml",
            "--officer",
            "Alice",
            "--officer",
            "Bob",
            "--witness",
            "Wendy",
        ],
    ));
    officer.wait_for(
        "PIN part 1 of 2 for token \"root-ca\" (security officer A)",
        1,
    );
    officer.answer(first);
    officer.wait_for(
        "PIN part 2 of 2 for token \"root-ca\" (security officer B)",
        1,
    );
    officer.answer(second);
    // Logged in with the joined parts; the first irreversible step asks
    // for two officers.
    officer.wait_for("Officer 1 of 2, your name (Alice, Bob)", 1);
    let dir = p.path().canonicalize().unwrap();
    let pids = rootca_in(&dir);
    assert_eq!(pids.len(), 1, "{pids:?}");
    for what in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{}/{what}", pids[0])).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for part in [first, second, PIN] {
            assert!(
                !text.contains(part),
                "a PIN part is in the process's {what}"
            );
        }
    }
    officer.answer("Alice");
    officer.wait_for("Alice, type \"yes\"", 1);
    officer.answer("yes");
    officer.wait_for("Officer 2 of 2, your name (Bob)", 1);
    officer.answer("Bob");
    officer.wait_for("Bob, type \"yes\"", 1);
    officer.answer("yes");
    // The signing: two officers again.
    officer.wait_for("Officer 1 of 2, your name (Alice, Bob)", 2);
    officer.answer("Bob");
    officer.wait_for("Bob, type \"yes\"", 2);
    officer.answer("yes");
    officer.wait_for("Officer 2 of 2, your name (Alice)", 1);
    officer.answer("Alice");
    officer.wait_for("Alice, type \"yes\"", 2);
    officer.answer("yes");
    let (run, terminal) = officer.finish_with_terminal();
    assert_eq!(run.code, 0, "{}\n{}\n{terminal}", run.stdout, run.stderr);

    let transcript = std::fs::read_to_string(p.path().join("out/root.transcript.jsonl")).unwrap();
    for part in [first, second, PIN] {
        assert!(!terminal.contains(part), "a PIN part was on the screen");
        assert!(!run.stdout.contains(part) && !run.stderr.contains(part));
        assert!(
            !transcript.contains(part),
            "a PIN part is in the transcript"
        );
    }
    let entries: Vec<serde_json::Value> = transcript
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first_entry = &entries[0];
    assert_eq!(
        first_entry["details"]["officers"],
        serde_json::json!(["Alice", "Bob"])
    );
    assert_eq!(first_entry["details"]["confirm_by"], 2);
    let confirmed = |event: &str| {
        entries
            .iter()
            .find(|e| e["event"] == event && e["status"] == "ok")
            .unwrap()["details"]["confirmed_by"]
            .clone()
    };
    assert_eq!(
        confirmed("Generate the key pair in the HSM"),
        serde_json::json!(["Alice", "Bob"])
    );
    assert_eq!(
        confirmed("Sign the root certificate with the HSM key"),
        serde_json::json!(["Bob", "Alice"])
    );
    // Which roles entered a part is recorded at the login.
    let login = entries
        .iter()
        .find(|e| e["event"] == "Open the HSM and log in" && e["status"] == "ok")
        .unwrap();
    assert_eq!(
        login["details"]["pin_parts_entered_by"],
        serde_json::json!(["security officer A", "security officer B"])
    );
}

#[test]
fn the_same_officer_twice_or_a_stranger_stops_the_ceremony_before_the_key() {
    let p = Practice::new();
    p.write("root.toml", &two_person_toml("twice"));
    let (first, second) = PIN.split_at(PIN.len() / 2);
    let mut officer = Interactive::start(command(
        &p,
        &["run", "root.toml", "--officer", "Alice", "--officer", "Bob"],
    ));
    officer.wait_for("PIN part 1 of 2", 1);
    officer.answer(first);
    officer.wait_for("PIN part 2 of 2", 1);
    officer.answer(second);
    officer.wait_for("Officer 1 of 2, your name", 1);
    officer.answer("Alice");
    officer.wait_for("Alice, type \"yes\"", 1);
    officer.answer("yes");
    officer.wait_for("Officer 2 of 2, your name (Bob)", 1);
    // Alice again: she has confirmed already.
    officer.answer("Alice");
    let run = officer.finish();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the officer stopped the ceremony at step 2"),
        "{}",
        run.stderr
    );
    let keys = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert!(
        !keys.stdout.contains("label:      twice"),
        "{}",
        keys.stdout
    );
}

#[test]
fn two_person_control_refuses_yes_and_too_few_officers_before_anything() {
    let p = Practice::new();
    p.write("root.toml", &two_person_toml("few"));
    let yes = p.rootca(&[
        "run",
        "root.toml",
        "--yes",
        "--officer",
        "A",
        "--officer",
        "B",
    ]);
    assert_eq!(yes.code, 2, "{}", yes.stderr);
    assert!(
        yes.stderr.contains("--yes cannot stand in for them"),
        "{}",
        yes.stderr
    );
    let one = p.rootca(&["run", "root.toml", "--officer", "A"]);
    assert_eq!(one.code, 2, "{}", one.stderr);
    assert!(
        one.stderr
            .contains("name at least 2 distinct officers with --officer NAME (named: A)"),
        "{}",
        one.stderr
    );
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
}

#[test]
fn a_split_pin_and_confirm_by_are_checked_in_the_file() {
    let p = Practice::new();
    for (from, to, says) in [
        (
            "split = 2,",
            "split = 5,",
            "split must be a number of parts from 2 to 4",
        ),
        (
            "holders = [\"security officer A\", \"security officer B\"]",
            "holders = [\"A\"]",
            "holders must name the 2 holders' roles",
        ),
        ("confirm_by = 2", "confirm_by = 9", "confirm_by"),
    ] {
        let text = two_person_toml("bad").replace(from, to);
        p.write("root.toml", &text);
        let run = p.rootca(&["check", "root.toml"]);
        assert_eq!(run.code, 2, "{from} -> {to}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{says}: {}", run.stderr);
    }
}
