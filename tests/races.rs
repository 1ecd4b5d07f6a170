//! Two ceremonies on one token at the same moment, as two real processes:
//! one key pair under the label, every time, and the other run refused with
//! nothing changed.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use common::{Practice, Run, root_toml};

fn private_keys(p: &Practice, label: &str) -> usize {
    p.pkcs11_tool(&["--list-objects", "--type", "privkey"])
        .stdout
        .matches(&format!("label:      {label}\n"))
        .count()
}

fn start(p: &Practice, file: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_rootca"))
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(["run", file, "--yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn two_root_ceremonies_started_together_make_one_key_pair() {
    let p = Practice::new();
    // RSA generation takes long enough on SoftHSM for the two runs to overlap.
    for round in 0..6 {
        let label = format!("race{round}");
        for side in ["a", "b"] {
            p.write(
                &format!("{side}{round}.toml"),
                &root_toml(&label, "rsa-2048", "rsa-sha256", &format!("{side}{round}")),
            );
        }
        let a = start(&p, &format!("a{round}.toml"));
        let b = start(&p, &format!("b{round}.toml"));
        let runs: Vec<Run> = [a, b]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap().into())
            .collect();
        assert_eq!(
            private_keys(&p, &label),
            1,
            "round {round}: not exactly one key pair\n{}\n{}",
            runs[0].stderr,
            runs[1].stderr
        );
        let mut codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
        codes.sort();
        assert_eq!(
            codes,
            vec![0, 2],
            "round {round}: one completes, the other is refused\n{}\n{}",
            runs[0].stderr,
            runs[1].stderr
        );
        // Refused for the label, or for the token being in use when the
        // two overlapped.
        let refused = runs.iter().find(|r| r.code == 2).unwrap();
        assert!(
            refused
                .stderr
                .contains(&format!("a key labelled \"{label}\" already exists"))
                || refused
                    .stderr
                    .contains("another rootca run on this machine is using token \"root-ca\""),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains("Nothing was changed"),
            "{}",
            refused.stderr
        );
    }
}
