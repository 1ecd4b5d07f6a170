//! A PIN written where none belongs never reaches a message, a PIN file
//! others can read is warned of, and every input is read only up to what
//! it can legitimately be.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Practice, root_toml};

const SECRET: &str = "Sekret-Qz-4711";

fn with_pin_line(line: &str) -> String {
    root_toml("r", "ec-p256", "ecdsa-sha256", "root").replace("pin = { file = \"pin.txt\" }", line)
}

/// `check` and `run` refuse the file with exit 2 and the secret appears
/// in neither output.
fn refused_without_the_secret(text: &str, line: u32) {
    let p = Practice::new();
    p.write("root.toml", text);
    for args in [
        &["check", "root.toml"][..],
        &["run", "root.toml", "--yes"][..],
    ] {
        let run = p.rootca(args);
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert!(
            !run.stderr.contains(SECRET) && !run.stdout.contains(SECRET),
            "the PIN is shown:\n{}{}",
            run.stdout,
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("line {line},")),
            "the line is named:\n{}",
            run.stderr
        );
    }
}

#[test]
fn an_unquoted_pin_is_refused_without_echoing_its_line() {
    refused_without_the_secret(&with_pin_line(&format!("pin = {SECRET}")), 7);
}

#[test]
fn a_pin_with_a_broken_quote_is_refused_without_echoing_its_line() {
    refused_without_the_secret(&with_pin_line(&format!("pin = \"{SECRET}")), 7);
}

#[test]
fn a_pin_as_a_number_is_refused_without_echoing_it() {
    let p = Practice::new();
    p.write("root.toml", &with_pin_line("pin = 47114711"));
    let run = p.rootca(&["check", "root.toml"]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains("47114711"), "{}", run.stderr);
}

#[test]
fn a_pin_under_another_key_of_hsm_is_refused_without_echoing_it() {
    refused_without_the_secret(
        &with_pin_line(&format!(
            "pin = {{ file = \"pin.txt\" }}
password = {SECRET}"
        )),
        8,
    );
}

#[test]
fn a_pin_file_others_can_read_is_warned_of_and_a_private_one_is_not() {
    use std::os::unix::fs::PermissionsExt;
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("r", "ec-p256", "ecdsa-sha256", "root"),
    );
    let pin = p.path().join("pin.txt");
    std::fs::set_permissions(&pin, std::fs::Permissions::from_mode(0o644)).unwrap();
    let check = p.rootca(&["check", "root.toml"]);
    check.ok();
    assert!(
        check
            .stdout
            .contains("can be read by others than its owner (mode 0644)"),
        "{}",
        check.stdout
    );
    std::fs::set_permissions(&pin, std::fs::Permissions::from_mode(0o600)).unwrap();
    let check = p.rootca(&["check", "root.toml"]);
    check.ok();
    assert!(
        !check.stdout.contains("can be read by others"),
        "{}",
        check.stdout
    );
}

/// `args` with /dev/zero as input end quickly, non-zero, naming the limit.
fn bounded(p: &Practice, args: &[&str], code: i32) {
    let start = Instant::now();
    let run = p.rootca(args);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{args:?} took {:?}",
        start.elapsed()
    );
    assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    assert!(
        run.stderr.contains("longer than"),
        "{args:?}: {}",
        run.stderr
    );
}

#[test]
fn inspect_of_dev_zero_is_refused_with_the_limit() {
    bounded(&Practice::new(), &["inspect", "/dev/zero"], 2);
}

#[test]
fn a_ceremony_file_that_is_dev_zero_is_refused_with_the_limit() {
    bounded(&Practice::new(), &["check", "/dev/zero"], 2);
}

#[test]
fn a_csr_or_issuer_certificate_that_is_dev_zero_is_refused_at_check() {
    let p = common::with_root();
    p.write(
        "sub.toml",
        &common::subordinate_toml("file = \"/dev/zero\"", "", "out/sub"),
    );
    bounded(&p, &["check", "sub.toml"], 2);
    p.write(
        "sub2.toml",
        &common::subordinate_toml("file = \"sub.csr\"", "", "out/sub2")
            .replace("ca/root.pem", "/dev/zero"),
    );
    bounded(&p, &["check", "sub2.toml"], 2);
}

#[test]
fn a_pin_file_that_is_dev_zero_fails_at_login_with_the_limit_and_makes_no_key() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &with_pin_line("pin = { file = \"/dev/zero\" }"),
    );
    bounded(&p, &["run", "root.toml", "--yes"], 1);
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
}
