//! `[hsm] uri` (RFC 7512) instead of `module` and `token`, on SoftHSM, and
//! the URI of every key the transcript names, matched against what
//! pkcs11-tool reads from the token.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{MODULE, Practice, TOKEN, root_toml};

/// The root file of `common::root_toml` with `[hsm]` given as `uri`.
fn uri_root(uri: &str) -> String {
    root_toml("uri-root", "ec-p256", "ecdsa-sha256", "root").replace(
        &format!("module = \"{MODULE}\"\ntoken = \"{TOKEN}\"\npin = {{ file = \"pin.txt\" }}"),
        &format!("uri = \"{uri}\""),
    )
}

fn entry(p: &Practice, transcript: &str, event: &str) -> serde_json::Value {
    std::fs::read_to_string(p.path().join(transcript))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == event && e["status"] == "ok")
        .unwrap_or_else(|| panic!("no {event:?} entry"))
}

#[test]
fn a_root_ceremony_names_its_token_by_uri_and_records_the_keys_uri() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &uri_root(&format!(
            "pkcs11:token={TOKEN}?module-path={MODULE}&pin-source=file:pin.txt"
        )),
    );
    let plan = p.rootca(&["check", "root.toml"]);
    plan.ok();
    assert!(
        plan.stdout.contains(&format!("\"{TOKEN}\"")),
        "{}",
        plan.stdout
    );
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    run.ok();

    let generated = entry(
        &p,
        "out/root.transcript.jsonl",
        "Generate the key pair in the HSM",
    );
    let uri = generated["details"]["uri"].as_str().unwrap().to_string();
    let id = generated["details"]["id"].as_str().unwrap();
    // What pkcs11-tool reads from the token: the same label and CKA_ID.
    let listed = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert!(
        listed.stdout.contains("label:      uri-root")
            && listed.stdout.contains(&format!("ID:         {id}")),
        "{}",
        listed.stdout
    );
    let id_pct: String = (0..id.len())
        .step_by(2)
        .map(|i| format!("%{}", id[i..i + 2].to_uppercase()))
        .collect();
    assert_eq!(
        uri,
        format!("pkcs11:token={TOKEN};object=uri-root;id={id_pct};type=private")
    );
    assert!(
        run.stdout.contains(&format!("key URI: {uri}")),
        "{}",
        run.stdout
    );
    p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"])
        .ok();
}

#[test]
fn a_uri_with_a_pin_value_is_refused_without_repeating_the_pin() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &uri_root(&format!(
            "pkcs11:token={TOKEN}?module-path={MODULE}&pin-value=s3cret-pin"
        )),
    );
    let message = common::refused(
        &p,
        "root.toml",
        &["hsm.uri (line 5): pin-value is refused: a PIN never goes into a ceremony file"],
    );
    assert!(!message.contains("s3cret-pin"), "{message}");
}

#[test]
fn a_uri_beside_module_or_without_module_path_is_refused_at_check() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("uri-root", "ec-p256", "ecdsa-sha256", "root").replace(
            "pin = { file = \"pin.txt\" }",
            &format!("pin = {{ file = \"pin.txt\" }}\nuri = \"pkcs11:token={TOKEN}?module-path={MODULE}\""),
        ),
    );
    common::refused_at_check(
        &p,
        "root.toml",
        &["hsm.uri (line 8): give either uri or module and token, not both"],
    );
    p.write(
        "root.toml",
        &uri_root(&format!("pkcs11:token={TOKEN};slot-id=0")),
    );
    common::refused_at_check(
        &p,
        "root.toml",
        &[
            "slot-id is not used: rootca finds the token by its label alone",
            "module-path=PATH is required",
        ],
    );
}

#[test]
fn a_uri_naming_a_token_that_does_not_exist_stops_at_login_and_writes_nothing() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &uri_root(&format!(
            "pkcs11:token=no-such-token?module-path={MODULE}&pin-source=file:pin.txt"
        )),
    );
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("no token labelled \"no-such-token\"") && run.stderr.contains(TOKEN),
        "{}",
        run.stderr
    );
    assert!(p.outputs().is_empty(), "{:?}", p.outputs());
}
