//! Root ceremonies on a real SoftHSM token, judged by openssl, pkilint and
//! pkcs11-tool rather than by our own code.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Practice, openssl, pkilint, root_toml};

fn root_ceremony_passes_independent_checks(algorithm: &str, signature: &str) {
    let p = Practice::new();
    let label = format!("root-{algorithm}-{signature}");
    p.write(
        "root.toml",
        &root_toml(&label, algorithm, signature, "root"),
    );
    p.rootca(&["check", "root.toml"]).ok();
    let run = p.rootca(&["run", "root.toml", "--yes", "--witness", "W. Itness"]);
    run.ok();
    assert!(
        run.stdout.contains("certificate SHA-256:"),
        "{}",
        run.stdout
    );

    // openssl: a strict self-signed CA certificate whose signature verifies.
    openssl(
        &[
            "verify",
            "-x509_strict",
            "-attime",
            common::VERIFY_AT,
            "-check_ss_sig",
            "-CAfile",
            "out/root.pem",
            "out/root.pem",
        ],
        p.path(),
    )
    .ok();
    let text = openssl(
        &["x509", "-in", "out/root.pem", "-noout", "-text"],
        p.path(),
    );
    assert!(
        text.stdout.contains("CA:TRUE, pathlen:1"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("Certificate Sign, CRL Sign"),
        "{}",
        text.stdout
    );

    // The fingerprint the officer read aloud is the one openssl computes.
    let fp = openssl(
        &[
            "x509",
            "-in",
            "out/root.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
        p.path(),
    );
    let hex: String = fp
        .stdout
        .split('=')
        .nth(1)
        .unwrap_or_default()
        .trim()
        .replace(':', "")
        .to_lowercase();
    let grouped: Vec<String> = hex
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(
        run.stdout.contains(&grouped.join(" ")),
        "fingerprint {hex} not printed:\n{}",
        run.stdout
    );

    // The public key written is the certificate's.
    let from_cert = openssl(
        &["x509", "-in", "out/root.pem", "-noout", "-pubkey"],
        p.path(),
    );
    let written = std::fs::read_to_string(p.path().join("out/root.pub.pem")).unwrap();
    assert_eq!(from_cert.stdout.trim(), written.trim());

    // pkilint: no finding at WARNING or above.
    let lint = pkilint("lint_pkix_cert", &["out/root.pem"], p.path());
    assert_eq!(
        lint.code, 0,
        "pkilint findings:\n{}{}",
        lint.stdout, lint.stderr
    );

    // pkcs11-tool, not our code, reads the key's attributes back.
    let objects = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    objects.ok();
    assert!(
        objects.stdout.contains(&format!("label:      {label}")),
        "{}",
        objects.stdout
    );
    assert!(
        objects
            .stdout
            .contains("Access:     sensitive, always sensitive, never extractable, local"),
        "{}",
        objects.stdout
    );
    assert!(
        objects.stdout.contains("Usage:      sign\n"),
        "{}",
        objects.stdout
    );

    // `rootca inspect` shows the officer the same certificate.
    let inspect = p.rootca(&["inspect", "out/root.pem"]);
    inspect.ok();
    assert!(
        inspect.stdout.contains(&format!(
            "Subject:              CN=Test Root CA {label},O=Example Corp,C=US"
        )),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect
            .stdout
            .contains("basicConstraints [critical]: CA: true, pathLen: 1"),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect.stdout.contains(&grouped.join(" ")),
        "{}",
        inspect.stdout
    );

    // The transcript's chain holds and names both artifacts.
    let verify = p.rootca(&["transcript", "verify", "out/root.transcript.jsonl"]);
    verify.ok();
    assert!(
        verify.stdout.contains("artifact unchanged: root.pem"),
        "{}",
        verify.stdout
    );
    assert!(
        verify.stdout.contains("artifact unchanged: root.pub.pem"),
        "{}",
        verify.stdout
    );
}

#[test]
fn ec_p256_root_with_ecdsa_sha256() {
    root_ceremony_passes_independent_checks("ec-p256", "ecdsa-sha256");
}

#[test]
fn ec_p384_root_with_ecdsa_sha384() {
    root_ceremony_passes_independent_checks("ec-p384", "ecdsa-sha384");
}

#[test]
fn ec_p384_root_with_ecdsa_sha512() {
    root_ceremony_passes_independent_checks("ec-p384", "ecdsa-sha512");
}

#[test]
fn rsa_2048_root_with_rsa_sha256() {
    root_ceremony_passes_independent_checks("rsa-2048", "rsa-sha256");
}

#[test]
fn rsa_2048_root_with_rsa_pss_sha256() {
    root_ceremony_passes_independent_checks("rsa-2048", "rsa-pss-sha256");
}

#[test]
fn rsa_3072_root_with_rsa_sha384() {
    root_ceremony_passes_independent_checks("rsa-3072", "rsa-sha384");
}

#[test]
fn rsa_3072_root_with_rsa_pss_sha384() {
    root_ceremony_passes_independent_checks("rsa-3072", "rsa-pss-sha384");
}

#[test]
fn rsa_4096_root_with_rsa_sha512() {
    root_ceremony_passes_independent_checks("rsa-4096", "rsa-sha512");
}

#[test]
fn rsa_4096_root_with_rsa_pss_sha512() {
    root_ceremony_passes_independent_checks("rsa-4096", "rsa-pss-sha512");
}

#[test]
fn key_ceremony_writes_the_public_key_of_a_sign_only_key() {
    let p = Practice::new();
    p.write(
        "key.toml",
        &format!(
            "ceremony = \"key\"\nname = \"key only\"\n[hsm]\nmodule = \"{}\"\ntoken = \"{}\"\npin = {{ env = \"TEST_PIN\" }}\n[key]\nlabel = \"k1\"\nalgorithm = \"ec-p256\"\n[outputs]\npublic_key = \"out/k1.pub.pem\"\ntranscript = \"out/k1.jsonl\"\n",
            common::MODULE,
            common::TOKEN
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"))
        .env("SOFTHSM2_CONF", &p.conf)
        .env("TEST_PIN", common::PIN)
        .current_dir(p.path())
        .args(["run", "key.toml", "--yes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = openssl(
        &["pkey", "-pubin", "-in", "out/k1.pub.pem", "-noout", "-text"],
        p.path(),
    );
    key.ok();
    assert!(key.stdout.contains("NIST CURVE: P-256"), "{}", key.stdout);
    let objects = p.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert!(
        objects.stdout.contains("never extractable"),
        "{}",
        objects.stdout
    );
}

#[test]
fn script_prints_the_same_steps_as_check() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("s", "ec-p384", "ecdsa-sha384", "root"),
    );
    let check = p.rootca(&["check", "root.toml"]);
    let script = p.rootca(&["script", "root.toml"]);
    check.ok();
    script.ok();
    let titles: Vec<&str> = check
        .stdout
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .split_once(". ")
                .filter(|(n, _)| n.parse::<u32>().is_ok())
                .map(|(_, t)| t)
        })
        .map(|t| t.trim_end_matches("  [officer confirms]"))
        .collect();
    assert_eq!(titles.len(), 8, "{}", check.stdout);
    for (i, title) in titles.iter().enumerate() {
        assert!(
            script.stdout.contains(&format!("### {}. {title}", i + 1)),
            "{title} missing in\n{}",
            script.stdout
        );
    }
    assert!(
        p.outputs().is_empty(),
        "check and script wrote {:?}",
        p.outputs()
    );
}

#[test]
fn without_yes_the_officer_can_stop_before_key_generation() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("stop", "ec-p256", "ecdsa-sha256", "root"),
    );
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(["run", "root.toml"]);
    let mut officer = common::Interactive::start(command);
    officer.wait_for(common::PROMPT, 1);
    officer.answer("no");
    let run = officer.finish();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("stopped the ceremony at step 2"),
        "{}",
        run.stderr
    );
    let objects = p.pkcs11_tool(&["--list-objects"]);
    assert!(
        !objects.stdout.contains("label:      stop"),
        "a key was generated:\n{}",
        objects.stdout
    );
    assert!(p.outputs().is_empty(), "left behind: {:?}", p.outputs());
}

#[test]
fn artifacts_and_the_finished_transcript_are_0644_as_documented() {
    use std::os::unix::fs::PermissionsExt;
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("modes", "ec-p256", "ecdsa-sha256", "root"),
    );
    p.rootca(&["run", "root.toml", "--yes"]).ok();
    for f in [
        "out/root.pem",
        "out/root.pub.pem",
        "out/root.transcript.jsonl",
    ] {
        let mode = std::fs::metadata(p.path().join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o644, "{f} is {mode:o}");
    }
}

#[test]
fn the_first_entry_records_the_build_the_host_the_operator_the_file_and_the_token() {
    let p = Practice::new();
    let text = root_toml("facts", "ec-p256", "ecdsa-sha256", "root");
    p.write("root.toml", &text);
    p.rootca(&["run", "root.toml", "--yes", "--witness", "Wendy"])
        .ok();
    let transcript = std::fs::read_to_string(p.path().join("out/root.transcript.jsonl")).unwrap();
    let first: serde_json::Value =
        serde_json::from_str(transcript.lines().next().unwrap()).unwrap();
    let d = &first["details"];
    assert_eq!(first["event"], "ceremony started");
    assert_eq!(d["file_content"], text.as_str());
    assert!(d["build"].as_str().unwrap().contains("commit "), "{d}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(d["host"], host.trim());
    let uid = String::from_utf8(
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(d["operator"]["uid"], uid.trim());
    assert_eq!(d["witnesses"], serde_json::json!(["Wendy"]));
    let module = std::fs::read(common::MODULE).unwrap();
    assert_eq!(
        d["hsm"]["module_sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&module))
    );
    // The token as pkcs11-tool sees it.
    let slots = p.pkcs11_tool(&["--list-token-slots"]).stdout;
    let token = &d["hsm"]["token"];
    assert_eq!(token["label"], "root-ca");
    for field in ["manufacturer", "model", "serial"] {
        let value = token[field].as_str().unwrap();
        assert!(
            !value.is_empty() && slots.contains(value),
            "{field} {value}:\n{slots}"
        );
    }
}

#[test]
fn the_last_hash_is_printed_in_groups_for_the_witnesses_and_verifies() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("groups", "ec-p256", "ecdsa-sha256", "root"),
    );
    let run = p.rootca(&["run", "root.toml", "--yes"]);
    run.ok();
    let after = run
        .stdout
        .split("Last entry hash, for the witnesses to write down:\n")
        .nth(1)
        .unwrap();
    let grouped = after.lines().next().unwrap().trim();
    assert_eq!(grouped.split(' ').count(), 16, "{grouped}");
    p.rootca(&[
        "transcript",
        "verify",
        "out/root.transcript.jsonl",
        "--expect-last",
        grouped,
    ])
    .ok();
}

#[test]
fn run_json_prints_the_outcome_on_stdout_and_the_steps_on_stderr() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("json", "ec-p256", "ecdsa-sha256", "root"),
    );
    let run = p.rootca(&["run", "root.toml", "--yes", "--json"]);
    run.ok();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["complete"], true);
    assert_eq!(v["resumed"], false);
    assert_eq!(v["transcript"], "out/root.transcript.jsonl");
    let verified = p.rootca(&[
        "transcript",
        "verify",
        "out/root.transcript.jsonl",
        "--expect-last",
        v["last_hash"].as_str().unwrap(),
    ]);
    verified.ok();
    assert!(
        run.stderr.contains("[1/8] Open the HSM and log in"),
        "{}",
        run.stderr
    );
}
