//! What the witnesses read cannot be forged by the file, the CSR or the
//! certificate: a newline, a terminal escape, a bidirectional override or a
//! NUL in a subject or a name is refused at `check`, naming its code point,
//! and whatever such text is shown anyway is shown escaped.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Practice, Run, openssl, root_toml};

/// No byte of the output may be a control character other than a newline,
/// nor a bidirectional override: nothing can rewrite the screen.
fn assert_inert(what: &str, out: &str) {
    for c in out.chars() {
        assert!(
            c == '\n' || !rootca::text::is_deceptive(c),
            "{what} printed U+{:04X} raw:\n{out}",
            u32::from(c)
        );
    }
}

fn refused_at_check(p: &Practice, file: &str, must_mention: &[&str]) -> Run {
    let run = p.rootca(&["check", file]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    for m in must_mention {
        assert!(run.stderr.contains(m), "lacks {m:?}:\n{}", run.stderr);
    }
    assert_inert("check", &run.stdout);
    assert_inert("check", &run.stderr);
    let run = p.rootca(&["run", file, "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_inert("run", &run.stderr);
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
    run
}

/// A root file whose subject's CN is `cn`, written as a TOML basic string
/// (so `\n`, `\u001b` and `\u202e` escapes are the characters themselves).
fn root_with_cn(p: &Practice, cn_toml: &str) {
    let text = root_toml("text", "ec-p256", "ecdsa-sha256", "root");
    let start = text.find("subject = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let text = format!(
        "{}subject = \"CN={cn_toml},O=Example Corp,C=US\"{}",
        &text[..start],
        &text[end..]
    );
    p.write("root.toml", &text);
}

#[test]
fn a_newline_in_the_subject_cannot_print_a_forged_line_into_the_plan() {
    let p = Practice::new();
    root_with_cn(&p, "Root\\n\\n  PIN: never asked");
    let run = refused_at_check(
        &p,
        "root.toml",
        &["certificate.subject", "U+000A LINE FEED"],
    );
    assert!(
        !run.stderr.contains("\n  PIN: never asked"),
        "{}",
        run.stderr
    );
}

#[test]
fn terminal_escapes_in_the_subject_are_refused_and_never_printed_raw() {
    let p = Practice::new();
    root_with_cn(&p, "Root\\u001b[2K\\u001b[1A");
    refused_at_check(&p, "root.toml", &["U+001B ESCAPE"]);
}

#[test]
fn a_right_to_left_override_in_the_subject_is_named() {
    let p = Practice::new();
    root_with_cn(&p, "bank\\u202emoc.evil");
    refused_at_check(&p, "root.toml", &["U+202E RIGHT-TO-LEFT OVERRIDE"]);
}

#[test]
fn an_embedded_nul_in_the_subject_is_named() {
    let p = Practice::new();
    root_with_cn(&p, "bank.example.com\\u0000.evil.example");
    refused_at_check(&p, "root.toml", &["U+0000 NUL"]);
}

#[test]
fn a_newline_in_the_ceremony_name_is_refused() {
    let p = Practice::new();
    let text = root_toml("text", "ec-p256", "ecdsa-sha256", "root");
    let start = text.find("name = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    p.write(
        "root.toml",
        &format!(
            "{}name = \"Root\\n\\n  PIN: never asked\"{}",
            &text[..start],
            &text[end..]
        ),
    );
    refused_at_check(&p, "root.toml", &["name", "U+000A LINE FEED"]);
}

#[test]
fn an_escape_in_the_key_label_is_refused() {
    let p = Practice::new();
    let text = root_toml("text", "ec-p256", "ecdsa-sha256", "root")
        .replace("label = \"text\"", "label = \"te\\u001b[2Kxt\"");
    p.write("root.toml", &text);
    refused_at_check(&p, "root.toml", &["key.label", "U+001B ESCAPE"]);
}

#[test]
fn a_csr_whose_subject_carries_a_bidi_override_is_refused_at_check() {
    let p = common::with_root();
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
            "sub.key",
            "-utf8",
            "-subj",
            "/CN=Issuing\u{202E}AC",
            "-out",
            "sub.csr",
        ],
        p.path(),
    )
    .ok();
    p.write(
        "sub.toml",
        &common::subordinate_toml("file = \"sub.csr\"", "", "out/sub"),
    );
    let run = p.rootca(&["check", "sub.toml"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("csr.file"), "{}", run.stderr);
    assert!(run.stderr.contains("U+202E"), "{}", run.stderr);
    assert_inert("check", &run.stderr);
}

#[test]
fn inspect_shows_a_certificate_with_escapes_in_its_subject_escaped() {
    let p = Practice::new();
    common::openssl_fixed(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-utf8",
            "-subj",
            "/CN=evil\u{1b}[2K\u{1b}[1Aroot",
            "-days",
            "1",
            "-out",
            "c.pem",
        ],
        p.path(),
    )
    .ok();
    let run = p.rootca(&["inspect", "c.pem"]);
    run.ok();
    assert_inert("inspect", &run.stdout);
    // RFC 4514 writes it \1b; anything else rootca shows as \u{001b}.
    assert!(
        run.stdout.contains("CN=evil\\1b[2K") || run.stdout.contains("\\u{001b}[2K"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_name_constraint_entry_with_a_nul_is_refused() {
    let p = common::with_root();
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
            "sub.key",
            "-subj",
            "/CN=Issuing CA",
            "-out",
            "sub.csr",
        ],
        p.path(),
    )
    .ok();
    p.write(
        "sub.toml",
        &common::subordinate_toml(
            "file = \"sub.csr\"",
            "[certificate.name_constraints]\npermitted_dn = [\"O=Example\\u0000Corp,C=US\"]\n",
            "out/sub",
        ),
    );
    let run = p.rootca(&["check", "sub.toml"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("permitted_dn"), "{}", run.stderr);
    assert!(run.stderr.contains("U+0000 NUL"), "{}", run.stderr);
    assert_inert("check", &run.stderr);
}

#[test]
fn domain_components_are_accepted_and_an_email_address_is_refused_in_a_subject() {
    let p = Practice::new();
    root_with_cn(&p, "Root,DC=example,DC=com");
    let check = p.rootca(&["check", "root.toml"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    root_with_cn(&p, "Root,emailAddress=pki@example.com");
    let run = p.rootca(&["check", "root.toml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("emailAddress does not belong in a CA's name"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_label_is_limited_in_bytes_as_documented() {
    let p = Practice::new();
    // 32 two-byte characters: 32 characters, 64 bytes, accepted.
    let ok = "é".repeat(32);
    let text = root_toml("text", "ec-p256", "ecdsa-sha256", "root")
        .replace("label = \"text\"", &format!("label = \"{ok}\""));
    p.write("root.toml", &text);
    assert_eq!(p.rootca(&["check", "root.toml"]).code, 0);
    // 33 of them: 66 bytes, refused though only 33 characters.
    let long = "é".repeat(33);
    let text = root_toml("text", "ec-p256", "ecdsa-sha256", "root")
        .replace("label = \"text\"", &format!("label = \"{long}\""));
    p.write("root.toml", &text);
    let run = p.rootca(&["check", "root.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("1 to 64 bytes of UTF-8 (this one is 66)"),
        "{}",
        run.stderr
    );
}
