//! The ceremony as an officer runs it at a terminal: the PIN asked for
//! without echo, each confirmation typed. `script` (util-linux) gives the
//! binary a real pseudo-terminal.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{PIN, Practice, root_toml};

#[test]
fn at_a_terminal_the_pin_is_asked_for_without_echo_and_never_recorded() {
    let p = Practice::new();
    let text = root_toml("tty", "ec-p256", "ecdsa-sha256", "root")
        .replace("pin = { file = \"pin.txt\" }", "pin = \"prompt\"");
    p.write("root.toml", &text);
    let rootca = env!("CARGO_BIN_EXE_rootca");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("{rootca} run root.toml --witness W"),
            "/dev/null",
        ])
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) must be installed");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Each answer is typed once its prompt is on the screen, as an officer
    // would: typed earlier, the terminal would still echo it.
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen_bytes = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    for (prompt, count, answer) in [
        ("PIN for token", 1, PIN),
        ("Type \"yes\"", 1, "yes"),
        ("Type \"yes\"", 2, "yes"),
    ] {
        while String::from_utf8_lossy(&screen_bytes)
            .matches(prompt)
            .count()
            < count
        {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => screen_bytes.extend(chunk),
                Err(_) => panic!(
                    "no {prompt:?} prompt; the screen:\n{}",
                    String::from_utf8_lossy(&screen_bytes)
                ),
            }
        }
        // The prompt is printed just before echo is switched off; leave
        // that a moment, as a person's typing would.
        std::thread::sleep(std::time::Duration::from_millis(200));
        writeln!(stdin, "{answer}").unwrap();
    }
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    screen_bytes.extend(rx.try_iter().flatten());
    let out = std::process::Output {
        status,
        stdout: screen_bytes,
        stderr: Vec::new(),
    };
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("PIN for token \"root-ca\": "), "{screen}");
    assert!(!screen.contains(PIN), "the PIN was echoed:\n{screen}");
    assert!(screen.contains("Type \"yes\" to go on"), "{screen}");
    assert!(screen.contains("Ceremony complete."), "{screen}");
    let transcript = std::fs::read_to_string(p.path().join("out/root.transcript.jsonl")).unwrap();
    assert!(!transcript.contains(PIN), "the PIN is in the transcript");
    assert!(transcript.contains("\"witnesses\":[\"W\"]"), "{transcript}");
}
