//! The command line as people expect it, through the real binary: shell
//! completions and the man page generated from the same clap definition
//! (judged by `bash -n` and groff), `--json` on the Private CA commands and
//! for errors (parsed), no colour when piped or under NO_COLOR, and the wait
//! for an imported CA to become ACTIVE shown as plain lines. The waits run
//! against a small fake Private CA in this file that keeps a CA
//! PENDING_CERTIFICATE for a while, which the emulator never does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use common::emulator::Emulator;
use common::{Run, openssl_fixed};
use der::DecodePem;

const ESC: char = '\u{1b}';

/// The binary with `args` in `dir`, no terminal anywhere (stdin null,
/// stdout and stderr piped), `env` set and NO_COLOR as the caller says.
fn rootca(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    // Nothing of a developer's AWS set-up plays a part.
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).stdin(Stdio::null());
    command.output().expect("run rootca").into()
}

fn no_escape(run: &Run, what: &str) {
    assert!(
        !run.stdout.contains(ESC) && !run.stderr.contains(ESC),
        "{what}: an escape sequence in the output\nstdout: {:?}\nstderr: {:?}",
        run.stdout,
        run.stderr
    );
}

fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}):\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    })
}

/// Every command path below `rootca`, as its own --help lists them:
/// ["check", ..., "pca describe", ...].
fn command_paths() -> Vec<String> {
    fn walk(prefix: &[String], found: &mut Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> = prefix.iter().map(String::as_str).collect();
        args.push("--help");
        let help = rootca(dir.path(), &args, &[]);
        help.ok();
        let mut in_commands = false;
        for line in help.stdout.lines() {
            if line.starts_with("Commands:") {
                in_commands = true;
                continue;
            }
            if in_commands {
                let Some(name) = line
                    .strip_prefix("  ")
                    .and_then(|l| l.split_whitespace().next())
                else {
                    break;
                };
                if name == "help" {
                    continue;
                }
                let mut path = prefix.to_vec();
                path.push(name.to_string());
                found.push(path.join(" "));
                walk(&path, found);
            }
        }
    }
    let mut found = Vec::new();
    walk(&[], &mut found);
    found
}

#[test]
fn every_command_is_found_in_the_help() {
    let paths = command_paths();
    for expected in [
        "check",
        "run",
        "script",
        "pca import",
        "pca create-subordinate",
        "crl publish",
        "transcript verify",
        "completions",
        "man",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} not in {paths:?}"
        );
    }
}

#[test]
fn bash_completion_is_valid_bash_and_names_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let run = rootca(dir.path(), &["completions", "bash"], &[]);
    run.ok();
    no_escape(&run, "completions bash");
    let script = dir.path().join("rootca.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // Sourced, it registers a completion function for rootca.
    let sourced = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p rootca", script.display()))
        .output()
        .unwrap();
    assert!(
        sourced.status.success() && String::from_utf8_lossy(&sourced.stdout).contains("rootca"),
        "complete -p rootca: {}",
        String::from_utf8_lossy(&sourced.stderr)
    );
    for path in command_paths() {
        let last = path.rsplit(' ').next().unwrap();
        assert!(run.stdout.contains(last), "bash completion lacks {path}");
    }
    for option in ["--json", "--witness", "--certificate", "--endpoint-url"] {
        assert!(
            run.stdout.contains(option),
            "bash completion lacks {option}"
        );
    }
}

#[test]
fn completions_for_the_other_shells() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let run = rootca(dir.path(), &["completions", shell], &[]);
        run.ok();
        assert!(
            run.stdout.contains("rootca") && run.stdout.contains("create-subordinate"),
            "{shell}:\n{}",
            run.stdout
        );
    }
    let unknown = rootca(dir.path(), &["completions", "tcsh"], &[]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
}

/// groff's rendering of `page` as plain UTF-8 text (no overstrike or
/// escapes), with the hyphens and minus signs groff may typeset as ASCII.
fn render_man(page: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rootca.1");
    std::fs::write(&file, page).unwrap();
    // groff and man judge the page; under the suite's faketime runs man's
    // pipeline cannot start (libfaketime's sem_open), so they get the real clock.
    let out = Command::new("groff")
        .env_remove("LD_PRELOAD")
        // No hyphenation, long lines: names stay whole for the search.
        .args([
            "-man",
            "-Tutf8",
            "-ww",
            "-rHY=0",
            "-rLL=200n",
            "-P",
            "-cbou",
        ])
        .arg(&file)
        .output()
        .expect("groff must be installed (groff-base, scripts/bootstrap)");
    assert!(out.status.success(), "groff failed");
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(warnings.trim().is_empty(), "groff warns:\n{warnings}");
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(['\u{2010}', '\u{2212}', '\u{2011}'], "-")
}

#[test]
fn the_man_page_renders_and_holds_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let run = rootca(dir.path(), &["man"], &[]);
    run.ok();
    no_escape(&run, "man");
    assert!(run.stdout.starts_with(".ie") || run.stdout.starts_with(".TH"));
    let text = render_man(&run.stdout);
    for path in command_paths() {
        assert!(
            text.contains(&format!("rootca {path}")),
            "the man page has no rootca {path}:\n{text}"
        );
    }
    for needle in [
        "EXIT STATUS",
        "ENVIRONMENT",
        "NO_COLOR",
        "ROOTCA_AWS_ACTIVE_TIMEOUT_SECS",
        "--json",
        "--expect-last",
    ] {
        assert!(
            text.contains(needle),
            "the man page lacks {needle}:\n{text}"
        );
    }
    // man itself reads it too.
    let file = dir.path().join("rootca.1");
    std::fs::write(&file, &run.stdout).unwrap();
    let man = Command::new("man")
        .env_remove("LD_PRELOAD")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man must be installed (man-db)");
    assert!(
        man.status.success(),
        "{}",
        String::from_utf8_lossy(&man.stderr)
    );
}

#[test]
fn nothing_is_coloured_when_piped_or_under_no_color() {
    let dir = tempfile::tempdir().unwrap();
    for env in [&[][..], &[("NO_COLOR", "1")][..]] {
        for args in [
            &["--help"][..],
            &["pca", "import", "--help"][..],
            &["inspect", "no-such-file.pem"][..],
            &["inspect", "no-such-file.pem", "--json"][..],
            &["no-such-command"][..],
            &["check"][..],
        ] {
            let run = rootca(dir.path(), args, env);
            assert!(!run.stdout.is_empty() || !run.stderr.is_empty(), "{args:?}");
            no_escape(&run, &format!("{args:?} with {env:?}"));
        }
    }
    // Forced colour (CLICOLOR_FORCE) would colour the error word: NO_COLOR
    // still wins.
    let forced = rootca(
        dir.path(),
        &["inspect", "no-such-file.pem"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(
        forced.stderr.contains(ESC),
        "the error word is coloured when forced: {forced:?}",
        forced = forced.stderr
    );
    let both = rootca(
        dir.path(),
        &["inspect", "no-such-file.pem"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    no_escape(&both, "NO_COLOR with CLICOLOR_FORCE");
    assert!(
        both.stderr.starts_with("rootca: refused: "),
        "{}",
        both.stderr
    );
}

#[test]
fn errors_under_json_are_a_json_object_and_text_with_the_same_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    // Refused: exit 2.
    let refused = rootca(dir.path(), &["inspect", "no-such-file.pem", "--json"], &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let v = json_of(&refused);
    assert_eq!(v["error"]["refused"], true, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("no-such-file.pem"), "{v}");
    assert_eq!(
        refused.stderr.trim_end(),
        format!("rootca: refused: {message}")
    );

    // A bad ceremony file is refused alike.
    std::fs::write(
        dir.path().join("bad.toml"),
        "ceremony = \"root\"\nnot_a_key = 1\n",
    )
    .unwrap();
    let check = rootca(dir.path(), &["check", "bad.toml", "--json"], &[]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    assert_eq!(json_of(&check)["error"]["refused"], true);

    // Without --json, stdout stays empty.
    let text = rootca(dir.path(), &["inspect", "no-such-file.pem"], &[]);
    assert_eq!((text.code, text.stdout.as_str()), (2, ""));

    // Failed: exit 1 (nothing listens on the endpoint).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let failed = rootca(
        dir.path(),
        &[
            "pca",
            "describe",
            FAKE_ARN,
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
        ],
        &dummy_aws(),
    );
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    let v = json_of(&failed);
    assert_eq!(v["error"]["refused"], false, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not reach"),
        "{v}"
    );
}

// ---------------------------------------------------------------------------
// --json of the Private CA commands, against the emulator

use common::OPENSSL_CA_CONFIG as OPENSSL_CONFIG;

/// A software root (`root.pem`, `root.key`) in `dir`, at the fixture clock.
fn software_root(dir: &Path) {
    std::fs::write(dir.join("openssl.cnf"), OPENSSL_CONFIG).unwrap();
    openssl_fixed(
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-subj",
            "/CN=rootca cli test root/O=Example Corp/C=US",
            "-days",
            "3650",
            "-sha384",
            "-config",
            "openssl.cnf",
            "-extensions",
            "root",
        ],
        dir,
    )
    .ok();
}

/// `csr` in `dir` signed by the software root into `out`.
fn sign(dir: &Path, csr: &str, out: &str) {
    openssl_fixed(
        &[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-set_serial",
            "0x4242",
            "-days",
            "365",
            "-sha384",
            "-extfile",
            "openssl.cnf",
            "-extensions",
            "sub",
            "-out",
            out,
        ],
        dir,
    )
    .ok();
}

fn sha256_of(path: &Path) -> String {
    rootca::output::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn pca_create_fetch_and_import_report_in_json() {
    let emulator = Emulator::shared();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("spec.toml"),
        "key_algorithm = \"EC_prime256v1\"\nsigning_algorithm = \"SHA256WITHECDSA\"\n\
         [subject]\ncommon_name = \"CLI JSON CA\"\norganization = \"Example Corp\"\ncountry = \"US\"\n",
    )
    .unwrap();

    let created = emulator.rootca(
        d,
        &["pca", "create-subordinate", "--spec", "spec.toml", "--json"],
    );
    created.ok();
    let v = json_of(&created);
    let arn = v["arn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:acm-pca:"), "{v}");
    assert_eq!(v["spec"], "spec.toml");
    assert_eq!(v["key_algorithm"], "EC_prime256v1");
    assert_eq!(v["signing_algorithm"], "SHA256WITHECDSA");
    assert_eq!(v["common_name"], "CLI JSON CA");

    let fetched = emulator.rootca(d, &["pca", "fetch-csr", &arn, "--out", "ca.csr", "--json"]);
    fetched.ok();
    let v = json_of(&fetched);
    assert_eq!(v["arn"], arn.as_str());
    assert_eq!(v["csr"], "ca.csr");
    assert_eq!(v["sha256"], sha256_of(&d.join("ca.csr")).as_str());

    // A second fetch to the same file is refused: nothing is overwritten.
    let again = emulator.rootca(d, &["pca", "fetch-csr", &arn, "--out", "ca.csr", "--json"]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert_eq!(json_of(&again)["error"]["refused"], true);

    software_root(d);
    sign(d, "ca.csr", "ca.pem");
    let imported = emulator.rootca(
        d,
        &[
            "pca",
            "import",
            &arn,
            "--certificate",
            "ca.pem",
            "--chain",
            "root.pem",
            "--json",
        ],
    );
    imported.ok();
    // The emulator is ACTIVE at once: the wait shows nothing.
    assert!(
        !imported.stderr.contains("waiting for"),
        "{}",
        imported.stderr
    );
    let v = json_of(&imported);
    assert_eq!(v["arn"], arn.as_str());
    assert_eq!(v["outcome"], "imported");
    assert_eq!(v["status"], "ACTIVE");
    assert_eq!(v["certificate"]["path"], "ca.pem");
    assert_eq!(
        v["certificate"]["sha256"],
        sha256_of(&d.join("ca.pem")).as_str()
    );
    assert_eq!(v["chain"]["path"], "root.pem");
    assert_eq!(
        v["chain"]["sha256"],
        sha256_of(&d.join("root.pem")).as_str()
    );
    assert!(
        v["messages"][0]
            .as_str()
            .unwrap()
            .starts_with("imported into "),
        "{v}"
    );
    assert_eq!(emulator.status(&arn), "ACTIVE");

    let repeated = emulator.rootca(
        d,
        &[
            "pca",
            "import",
            &arn,
            "--certificate",
            "ca.pem",
            "--chain",
            "root.pem",
            "--json",
        ],
    );
    repeated.ok();
    assert_eq!(json_of(&repeated)["outcome"], "already_installed");

    // A spec refused before any call: exit 2, in JSON.
    std::fs::write(d.join("bad-spec.toml"), "key_algorithm = \"DSA\"\n").unwrap();
    let bad = emulator.rootca(
        d,
        &[
            "pca",
            "create-subordinate",
            "--spec",
            "bad-spec.toml",
            "--json",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert_eq!(json_of(&bad)["error"]["refused"], true);
}

// ---------------------------------------------------------------------------
// The wait for ACTIVE after an import, against a fake Private CA

const FAKE_ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/33333333-3333-3333-3333-333333333333";

/// AWS settings for the binary that reach nothing of a developer's own.
fn dummy_aws() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_CONFIG_FILE", "/nonexistent/rootca-test-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/rootca-test-credentials",
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

/// What the fake Private CA serves and how long it stays pending.
struct FakeCa {
    csr: String,
    certificate: String,
    chain: String,
    /// The certificate's validity, in seconds since the epoch.
    not_before: u64,
    not_after: u64,
    /// How many DescribeCertificateAuthority calls after the import still
    /// say PENDING_CERTIFICATE; `None`: all of them.
    pending_after_import: Option<usize>,
    imported: bool,
    describes_after_import: usize,
    /// Set once a DescribeCertificateAuthority said ACTIVE.
    active: bool,
}

impl FakeCa {
    fn status(&mut self) -> &'static str {
        if !self.imported {
            return "PENDING_CERTIFICATE";
        }
        self.describes_after_import += 1;
        match self.pending_after_import {
            Some(n) if self.describes_after_import > n => {
                self.active = true;
                "ACTIVE"
            }
            _ => "PENDING_CERTIFICATE",
        }
    }

    fn answer(&mut self, target: &str) -> (u16, String) {
        let operation = target.rsplit('.').next().unwrap_or_default();
        match operation {
            "GetCertificateAuthorityCsr" => (200, serde_json::json!({"Csr": self.csr}).to_string()),
            "DescribeCertificateAuthority" => {
                let status = self.status();
                let mut ca = serde_json::json!({
                    "Arn": FAKE_ARN,
                    "Status": status,
                    "Type": "SUBORDINATE",
                    "CertificateAuthorityConfiguration": {
                        "KeyAlgorithm": "EC_prime256v1",
                        "SigningAlgorithm": "SHA256WITHECDSA",
                        "Subject": {"CommonName": "Fake Issuing CA"}
                    }
                });
                if status == "ACTIVE" {
                    ca["NotBefore"] = self.not_before.into();
                    ca["NotAfter"] = self.not_after.into();
                }
                (200, serde_json::json!({"CertificateAuthority": ca}).to_string())
            }
            "ImportCertificateAuthorityCertificate" => {
                self.imported = true;
                (200, "{}".to_string())
            }
            "GetCertificateAuthorityCertificate" if self.active => (
                200,
                serde_json::json!({"Certificate": self.certificate, "CertificateChain": self.chain})
                    .to_string(),
            ),
            "GetCertificateAuthorityCertificate" => (
                400,
                serde_json::json!({
                    "__type": "InvalidStateException",
                    "message": "The certificate authority is not in a valid state"
                })
                .to_string(),
            ),
            other => (
                400,
                serde_json::json!({"__type": "ValidationException", "message": format!("fake: no {other}")})
                    .to_string(),
            ),
        }
    }
}

/// Serves `ca` as awsJson 1.1 on a free loopback port; returns the endpoint.
fn serve(ca: FakeCa) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let ca = Arc::new(Mutex::new(ca));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let ca = Arc::clone(&ca);
            std::thread::spawn(move || connection(stream, &ca));
        }
    });
    endpoint
}

/// One keep-alive connection: requests until the client closes it.
fn connection(stream: TcpStream, ca: &Mutex<FakeCa>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut target = String::new();
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "x-amz-target" => target = value.trim().to_string(),
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, answer) = ca.lock().unwrap().answer(&target);
        let reason = if status == 200 { "OK" } else { "Bad Request" };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n\
             x-amzn-RequestId: fake-{status}\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A fake CA whose CSR the software root in `dir` signed into `ca.pem`.
fn fake_ca(dir: &Path, pending_after_import: Option<usize>) -> FakeCa {
    software_root(dir);
    openssl_fixed(
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.csr",
            "-subj",
            "/CN=Fake Issuing CA",
            "-config",
            "openssl.cnf",
        ],
        dir,
    )
    .ok();
    sign(dir, "ca.csr", "ca.pem");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let certificate = read("ca.pem");
    let parsed = x509_cert::Certificate::from_pem(certificate.as_bytes()).unwrap();
    let validity = parsed.tbs_certificate().validity();
    FakeCa {
        csr: read("ca.csr"),
        chain: read("root.pem"),
        not_before: validity.not_before.to_unix_duration().as_secs(),
        not_after: validity.not_after.to_unix_duration().as_secs(),
        certificate,
        pending_after_import,
        imported: false,
        describes_after_import: 0,
        active: false,
    }
}

fn import_from_fake(dir: &Path, endpoint: &str, env: &[(&str, &str)]) -> Run {
    let mut all = dummy_aws();
    all.extend_from_slice(env);
    rootca(
        dir,
        &[
            "pca",
            "import",
            FAKE_ARN,
            "--certificate",
            "ca.pem",
            "--chain",
            "root.pem",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            endpoint,
        ],
        &all,
    )
}

#[test]
fn an_import_that_settles_late_is_waited_for_and_the_wait_shown_in_plain_lines() {
    let dir = tempfile::tempdir().unwrap();
    // One DescribeCertificateAuthority after the import still says
    // PENDING_CERTIFICATE: the next poll, two seconds on, sees ACTIVE.
    let endpoint = serve(fake_ca(dir.path(), Some(1)));
    let run = import_from_fake(dir.path(), &endpoint, &[("NO_COLOR", "1")]);
    run.ok();
    no_escape(&run, "a wait");
    let v = json_of(&run);
    assert_eq!(
        (v["outcome"].as_str(), v["status"].as_str()),
        (Some("imported"), Some("ACTIVE"))
    );
    let waiting = format!(
        "waiting for certificate authority {FAKE_ARN} to be ACTIVE: now PENDING_CERTIFICATE, "
    );
    assert!(run.stderr.contains(&waiting), "{}", run.stderr);
    assert!(
        run.stderr.contains(" of 120 s"),
        "the default timeout: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "certificate authority {FAKE_ARN} is ACTIVE after "
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn an_import_that_never_settles_gives_up_at_the_timeout_naming_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = serve(fake_ca(dir.path(), None));
    let run = import_from_fake(
        dir.path(),
        &endpoint,
        &[("ROOTCA_AWS_ACTIVE_TIMEOUT_SECS", "2.5")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    no_escape(&run, "a wait that times out");
    assert!(
        run.stderr.contains("now PENDING_CERTIFICATE, "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(" of 2.5 s"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "gave up waiting for certificate authority {FAKE_ARN} to be ACTIVE after 2.5 s: it is still PENDING_CERTIFICATE"
        )),
        "{}",
        run.stderr
    );
    // The import was accepted: the failure says so, and what to do.
    let v = json_of(&run);
    assert_eq!(v["error"]["refused"], false, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("accepted the import")
            && message.contains("PENDING_CERTIFICATE, not ACTIVE"),
        "{message}"
    );
}

#[test]
fn an_unusable_active_timeout_is_refused_before_any_call() {
    // Nothing listens on the endpoint: a call would fail, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let run = import_from_fake(
        dir.path(),
        &endpoint,
        &[("ROOTCA_AWS_ACTIVE_TIMEOUT_SECS", "soon")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("ROOTCA_AWS_ACTIVE_TIMEOUT_SECS=\"soon\""),
        "{}",
        run.stderr
    );
}

#[test]
fn command_paths_are_unique() {
    let paths = command_paths();
    let unique: BTreeSet<&String> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len(), "{paths:?}");
}

#[test]
fn hsm_status_refuses_an_hourly_price_that_is_not_one_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    for price in ["-1", "0", "NaN"] {
        let arg = format!("--hourly-price={price}");
        let run = rootca(
            dir.path(),
            &["hsm", "status", "--cluster-id", "cluster-jxhlf7644ne", &arg],
            &[],
        );
        assert_eq!(run.code, 2, "{price}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a price"),
            "{price}: {}",
            run.stderr
        );
    }
}
