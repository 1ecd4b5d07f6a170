//! Moving a portable root key from one SoftHSM token to another:
//! `import-key` stage "transport" on the target, `export-key` on the
//! source, `import-key` stage "unwrap" on the target; each token read
//! back with pkcs11-tool. Refusals: a non-portable key, and a wrapped key
//! that is not the root certificate's (removed again).

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::faulty::{self, Fault};
use common::{MODULE, PIN, Practice, TOKEN, openssl, root_toml};

const TARGET: &str = "target";

fn on_target(p: &Practice, args: &[&str]) -> common::Run {
    std::process::Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &p.conf)
        .args([
            "--module",
            MODULE,
            "--token-label",
            TARGET,
            "--login",
            "--pin",
            PIN,
        ])
        .args(args)
        .output()
        .unwrap()
        .into()
}

fn transport_toml() -> String {
    format!(
        r#"ceremony = "import-key"
name = "Target room: transport key"
stage = "transport"

[hsm]
module = "{MODULE}"
token = "{TARGET}"
pin = {{ file = "pin.txt" }}

[transport]
label = "transport-g1"

[outputs]
transport_public_key = "move/transport.pem"
transcript = "move/transport.transcript.jsonl"
"#
    )
}

fn export_toml(label: &str, fingerprint: &str) -> String {
    format!(
        r#"ceremony = "export-key"
name = "Source room: export"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[root]
key_label = "{label}"
certificate = "out/{label}.pem"

[target]
name = "SoftHSM token {TARGET}"
transport_public_key = "move/transport.pem"
transport_sha256 = "{fingerprint}"

[trust]
so_pin = {{ file = "so.txt" }}

[outputs]
wrapped_key = "move/{label}.wrapped"
manifest = "move/{label}.manifest.json"
transcript = "move/export.transcript.jsonl"
"#
    )
}

fn unwrap_toml(wrapped: &str, certificate: &str) -> String {
    format!(
        r#"ceremony = "import-key"
name = "Target room: unwrap"
stage = "unwrap"

[hsm]
module = "{MODULE}"
token = "{TARGET}"
pin = {{ file = "pin.txt" }}

[transport]
label = "transport-g1"

[wrapped]
key = "move/{wrapped}.wrapped"
manifest = "move/{wrapped}.manifest.json"

[root]
key_label = "g1"
certificate = "out/{certificate}.pem"

[outputs]
transcript = "move/unwrap.transcript.jsonl"
"#
    )
}

/// A source token with a root (portable or not) and a target token with
/// its transport key; returns the transport key's fingerprint.
fn rooms(label: &str, portable: bool) -> (Practice, String) {
    let p = Practice::new();
    p.init_token(TARGET);
    p.write("so.txt", "5678\n");
    let mut root = root_toml(label, "ec-p384", "ecdsa-sha384", label);
    if portable {
        root = root.replace(
            "algorithm = \"ec-p384\"",
            "algorithm = \"ec-p384\"\nportable = true",
        );
    }
    p.write(&format!("{label}.toml"), &root);
    let plan = p.rootca(&["check", &format!("{label}.toml")]);
    plan.ok();
    assert_eq!(
        plan.stdout
            .contains("portable = true: the key can later be wrapped out"),
        portable,
        "{}",
        plan.stdout
    );
    p.rootca(&["run", &format!("{label}.toml"), "--yes"]).ok();
    p.write("transport.toml", &transport_toml());
    let run = p.rootca(&["run", "transport.toml", "--yes"]);
    run.ok();
    let fp = common::openssl_sha256(p.path(), "pubkey", "move/transport.pem");
    (p, fp)
}

#[test]
fn a_portable_root_moves_to_another_token_and_proves_itself_there() {
    let (p, fp) = rooms("g1", true);
    let source = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert!(source.stdout.contains("extractable"), "{}", source.stdout);
    p.write("export.toml", &export_toml("g1", &fp));
    p.rootca(&["run", "export.toml", "--yes"]).ok();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path().join("move/g1.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["target"]["transport_public_key_sha256"],
        fp.as_str()
    );
    p.write("unwrap.toml", &unwrap_toml("g1", "g1"));
    let run = p.rootca(&["run", "unwrap.toml", "--yes"]);
    run.ok();
    assert!(
        run.stdout
            .contains("verified under the root certificate's key"),
        "{}",
        run.stdout
    );
    let target = on_target(&p, &["--list-objects"]);
    assert!(
        target.stdout.contains("label:      g1"),
        "{}",
        target.stdout
    );
    assert!(
        !target.stdout.contains("transport-g1"),
        "transport key destroyed:\n{}",
        target.stdout
    );
    let private = on_target(&p, &["--list-objects", "--type", "privkey"]);
    assert!(
        private.stdout.contains("Access:     sensitive"),
        "{}",
        private.stdout
    );
    assert!(
        !private.stdout.contains("extractable"),
        "{}",
        private.stdout
    );
    for t in ["export", "unwrap", "transport"] {
        p.rootca(&[
            "transcript",
            "verify",
            &format!("move/{t}.transcript.jsonl"),
        ])
        .ok();
    }
}

#[test]
fn a_key_generated_without_portable_is_refused_for_export_and_nothing_is_written() {
    let (p, fp) = rooms("g1", false);
    p.write("export.toml", &export_toml("g1", &fp));
    let run = p.rootca(&["run", "export.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not generated with portable = true"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("move/g1.wrapped").exists());
    assert!(!p.path().join("move/g1.manifest.json").exists());
}

#[test]
fn a_module_without_a_security_officer_login_is_refused_before_anything_is_wrapped() {
    // CloudHSM's PKCS#11 library has no SO login; the shim answers as it
    // would, in front of the real source token.
    let (p, fp) = rooms("g1", true);
    p.write("export.toml", &through_shim(&export_toml("g1", &fp)));
    let run = faulty::rootca(&p, &[Fault::NoSoLogin], &["run", "export.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    for m in [
        "does not accept a PKCS#11 security officer login (CKR_USER_TYPE_INVALID)",
        "nothing was wrapped",
        "docs/succession.md",
    ] {
        assert!(run.stderr.contains(m), "lacks {m:?}:\n{}", run.stderr);
    }
    assert!(!p.path().join("move/g1.wrapped").exists());
    assert!(!p.path().join("move/g1.manifest.json").exists());
    // The root key is still on the source, still the only one.
    let keys = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert_eq!(
        keys.stdout.matches("label:      g1").count(),
        1,
        "{}",
        keys.stdout
    );
}

/// `toml` with its `[hsm] module` replaced by the faulty shim.
fn through_shim(toml: &str) -> String {
    toml.replace(
        &format!("module = \"{MODULE}\""),
        &format!("module = \"{}\"", faulty::module().display()),
    )
}

#[test]
fn the_key_moves_between_tokens_that_name_rfc_5649_as_cloudhsm_does() {
    // CloudHSM Client SDK 5 has no CKM_AES_KEY_WRAP_PAD; the shim offers
    // SoftHSM's RFC 5649 only under CloudHSM's vendor name, on both sides.
    let (p, fp) = rooms("g1", true);
    let cloudhsm = [Fault::CloudHsmKeyWrap];
    p.write("export.toml", &through_shim(&export_toml("g1", &fp)));
    let export = faulty::rootca(&p, &cloudhsm, &["run", "export.toml", "--yes"]);
    export.ok();
    p.write("unwrap.toml", &through_shim(&unwrap_toml("g1", "g1")));
    let run = faulty::rootca(&p, &cloudhsm, &["run", "unwrap.toml", "--yes"]);
    run.ok();
    for m in [
        "the token unwraps RFC 5649 as CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD",
        "verified under the root certificate's key",
    ] {
        assert!(run.stdout.contains(m), "lacks {m:?}:\n{}", run.stdout);
    }
    for t in ["export", "unwrap"] {
        let path = p.path().join(format!("move/{t}.transcript.jsonl"));
        let transcript = std::fs::read_to_string(&path).unwrap();
        assert!(
            transcript.contains("\"aes_key_wrap\":\"CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD\""),
            "{}:\n{transcript}",
            path.display()
        );
    }
    let private = on_target(&p, &["--list-objects", "--type", "privkey"]);
    assert!(
        private.stdout.contains("label:      g1"),
        "{}",
        private.stdout
    );
}

#[test]
fn a_target_without_rfc_5649_key_wrap_is_refused_before_anything_is_unwrapped() {
    let (p, fp) = rooms("g1", true);
    p.write("export.toml", &export_toml("g1", &fp));
    p.rootca(&["run", "export.toml", "--yes"]).ok();
    p.write("unwrap.toml", &through_shim(&unwrap_toml("g1", "g1")));
    let run = faulty::rootca(&p, &[Fault::NoKeyWrapPad], &["run", "unwrap.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "token \"target\" cannot unwrap the key for a key move: it offers no AES key wrap with padding, RFC 5649"
        ),
        "{}",
        run.stderr
    );
    // The target holds its transport key and nothing of the root's.
    let target = on_target(&p, &["--list-objects"]);
    assert!(target.stdout.contains("transport-g1"), "{}", target.stdout);
    assert!(
        !target.stdout.contains("label:      g1\n"),
        "{}",
        target.stdout
    );
}

#[test]
fn a_source_without_rfc_5649_key_wrap_is_refused_before_the_security_officer_logs_in() {
    let (p, fp) = rooms("g1", true);
    p.write("export.toml", &through_shim(&export_toml("g1", &fp)));
    // C_Login as the SO would fail too: the check must come first.
    let run = faulty::rootca(
        &p,
        &[Fault::NoKeyWrapPad, Fault::NoSoLogin],
        &["run", "export.toml", "--yes"],
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "token \"root-ca\" cannot wrap the key for a key move: it offers no AES key wrap with padding, RFC 5649"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("security officer login"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("move/g1.wrapped").exists());
    assert!(!p.path().join("move/g1.manifest.json").exists());
}

#[test]
fn a_wrapped_key_that_is_not_the_root_certificates_is_refused_and_removed() {
    let (p, fp) = rooms("g1", true);
    // A second portable root on the source, exported instead of G1 …
    let g9 = root_toml("g9", "ec-p384", "ecdsa-sha384", "g9").replace(
        "algorithm = \"ec-p384\"",
        "algorithm = \"ec-p384\"\nportable = true",
    );
    p.write("g9.toml", &g9);
    p.rootca(&["run", "g9.toml", "--yes"]).ok();
    p.write("export.toml", &export_toml("g9", &fp));
    p.rootca(&["run", "export.toml", "--yes"]).ok();
    // Given G1's certificate with G9's manifest, check refuses the file.
    p.write("unwrap.toml", &unwrap_toml("g9", "g1"));
    let check = p.rootca(&["check", "unwrap.toml"]);
    assert_eq!(check.code, 2, "{}{}", check.stdout, check.stderr);
    for m in [
        "the key was wrapped for another root",
        "is not the certificate the key was exported with",
    ] {
        assert!(check.stderr.contains(m), "lacks {m:?}:\n{}", check.stderr);
    }
    // A forged manifest that claims G1's certificate and key gets past
    // check: the challenge catches it.
    let path = p.path().join("move/g9.manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m["key"]["certificate_sha256"] = common::openssl_sha256(p.path(), "x509", "out/g1.pem").into();
    let key = openssl(
        &["x509", "-in", "out/g1.pem", "-noout", "-pubkey"],
        p.path(),
    )
    .stdout;
    p.write("g1.pub.pem", &key);
    m["key"]["public_key_sha256"] = common::openssl_sha256(p.path(), "pubkey", "g1.pub.pem").into();
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    p.write("unwrap.toml", &unwrap_toml("g9", "g1"));
    let run = p.rootca(&["run", "unwrap.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not this root certificate's key"),
        "{}",
        run.stderr
    );
    let target = on_target(&p, &["--list-objects"]);
    assert!(
        !target.stdout.contains("label:      g1\n"),
        "removed:\n{}",
        target.stdout
    );
}
