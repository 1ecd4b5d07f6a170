//! The hybrid loop through the `rootca` binary: a root ceremony on SoftHSM,
//! a subordinate created in the Private CA emulator with `rootca pca
//! create-subordinate`, a subordinate ceremony that fetches that CA's CSR,
//! signs it with name constraints and imports the certificate, then leaves
//! issued by the emulated CA judged by openssl, and the ceremonies that
//! must not touch the key or write anything.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::emulator::Emulator;
use common::{Practice, Run, openssl, openssl_dates, with_root};
use der::{DecodePem, Encode};

/// A subordinate ceremony for the CA `arn`, with its outputs under `out`.
fn subordinate_toml(csr_arn: &str, import_arn: &str, replace: bool, out: &str) -> String {
    let replace = if replace { "replace = true\n" } else { "" };
    common::subordinate_toml(
        &format!("private_ca_arn = \"{csr_arn}\""),
        &format!(
            "[certificate.name_constraints]
permitted_dns = [\"example.com\"]
excluded_dns = [\"prod.example.com\"]
excluded_ip = [\"0.0.0.0/0\", \"::/0\"]

[import]
private_ca_arn = \"{import_arn}\"
{replace}"
        ),
        &format!("{out}/issuing-ca-1"),
    )
}

/// A SoftHSM token with a root (label "root", artifacts under ca/) and a
/// subordinate CA created in the emulator from ceremony/practice/issuing-ca.toml.
struct Loop {
    emulator: Arc<Emulator>,
    p: Practice,
    arn: String,
}

impl Loop {
    fn new() -> Loop {
        let emulator = Emulator::shared();
        let p = with_root();
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("ceremony/practice/issuing-ca.toml");
        let created = p.rootca_aws(
            &emulator,
            &[
                "pca",
                "create-subordinate",
                "--spec",
                spec.to_str().expect("UTF-8 path"),
            ],
        );
        created.ok();
        let arn = created.stdout.trim().to_string();
        assert!(
            arn.starts_with("arn:aws:acm-pca:") && !arn.contains('\n'),
            "create-subordinate printed no single ARN:\n{}",
            created.stdout
        );
        assert_eq!(emulator.status(&arn), "PENDING_CERTIFICATE");
        Loop { emulator, p, arn }
    }

    fn rootca(&self, args: &[&str]) -> Run {
        self.p.rootca_aws(&self.emulator, args)
    }

    /// Writes FILE.toml for a ceremony with outputs under OUT and runs it.
    fn ceremony(&self, file: &str, toml: &str) -> Run {
        self.p.write(file, toml);
        self.rootca(&["run", file, "--yes"])
    }

    /// The first ceremony, which must succeed; its outputs under out/.
    fn first_import(&self) -> Run {
        let run = self.ceremony(
            "sub.toml",
            &subordinate_toml(&self.arn, &self.arn, false, "out"),
        );
        run.ok();
        run
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.p.path().join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    fn installed(&self) -> Vec<u8> {
        der(&self.emulator.ca_certificate(&self.arn).0)
    }

    /// A leaf for `name` from the emulated CA: Ok(path) or Err(stderr).
    fn issue_leaf(&self, n: usize, name: &str) -> Result<String, String> {
        let key = format!("leaf{n}.key");
        let csr = format!("leaf{n}.csr");
        let pem = format!("leaf{n}.pem");
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
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
                "-addext",
                &format!("subjectAltName=DNS:{name}"),
            ],
            self.p.path(),
        )
        .ok();
        let run = self
            .emulator
            .issue_leaf(self.p.path(), &self.arn, &csr, &pem);
        match run.code {
            0 => Ok(pem),
            3 => Err(run.stderr),
            _ => panic!(
                "issuing a leaf for {name} failed otherwise:\nstdout:\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            ),
        }
    }

    fn verify(&self, leaf: &str) -> Run {
        openssl(
            &[
                "verify",
                "-x509_strict",
                "-attime",
                common::VERIFY_AT,
                "-CAfile",
                "ca/root.pem",
                "-untrusted",
                "out/issuing-ca-1.pem",
                leaf,
            ],
            self.p.path(),
        )
    }

    /// Every file below the folder `dir` of the practice folder.
    fn files_under(&self, dir: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![self.p.path().join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    found.push(e.path().display().to_string());
                }
            }
        }
        found
    }

    /// The transcript's entry for the import step.
    fn import_entry(&self, transcript: &str) -> serde_json::Value {
        self.read(transcript)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
            .find(|e| {
                e["event"] == "Import the certificate into AWS Private CA" && e["status"] == "ok"
            })
            .unwrap_or_else(|| panic!("no import entry in {transcript}"))
    }
}

fn der(pem: &str) -> Vec<u8> {
    x509_cert::Certificate::from_pem(pem.as_bytes())
        .expect("a PEM certificate")
        .to_der()
        .expect("DER")
}

fn assert_refused_at_step_1_before_the_hsm(run: &Run) {
    assert!(
        run.stderr.contains("step 1 ("),
        "not stopped at step 1:\n{}",
        run.stderr
    );
    assert!(run.stdout.contains("[1/"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("[2/") && !run.stdout.contains("logged in"),
        "the ceremony went past step 1 (the HSM was opened):\n{}",
        run.stdout
    );
}

#[test]
fn subordinate_ceremony_imports_into_private_ca_which_is_active_with_the_written_certificate() {
    let l = Loop::new();

    let run = l.first_import();

    assert!(
        run.stdout.contains(&format!("imported into {}", l.arn)),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Ceremony complete."), "{}", run.stdout);
    assert_eq!(l.emulator.status(&l.arn), "ACTIVE");
    assert_eq!(
        l.emulator.validity(&l.arn),
        openssl_dates("out/issuing-ca-1.pem", l.p.path()),
        "Private CA's NotBefore/NotAfter are the written certificate's"
    );
    let (installed, chain) = l.emulator.ca_certificate(&l.arn);
    assert_eq!(der(&installed), der(&l.read("out/issuing-ca-1.pem")));
    assert_eq!(
        der(&chain.expect("a chain")),
        der(&l.read("ca/root.pem")),
        "the chain imported is the root"
    );
    assert_eq!(
        l.read("out/issuing-ca-1.chain.pem"),
        l.read("ca/root.pem"),
        "the chain written is the root"
    );

    let verified = l.rootca(&[
        "transcript",
        "verify",
        "out/issuing-ca-1.transcript.jsonl",
        "--json",
    ]);
    verified.ok();
    let v: serde_json::Value = serde_json::from_str(&verified.stdout).expect("JSON");
    assert_eq!(v["complete"], true, "{v}");
    let entry = l.import_entry("out/issuing-ca-1.transcript.jsonl");
    assert_eq!(entry["status"], "ok", "{entry}");
    assert_eq!(entry["details"]["arn"], l.arn.as_str(), "{entry}");
    assert_eq!(entry["details"]["replaced"], false, "{entry}");
}

#[test]
fn leaves_from_the_imported_ca_chain_to_the_root_only_for_permitted_names() {
    let l = Loop::new();
    l.first_import();

    let leaf = l
        .issue_leaf(1, "app.example.com")
        .unwrap_or_else(|e| panic!("a permitted name must be issued: {e}"));
    let verified = l.verify(&leaf);
    assert_eq!(
        (verified.code, verified.stdout.trim()),
        (0, format!("{leaf}: OK").as_str()),
        "{}",
        verified.stderr
    );

    for (n, name) in [(2, "www.example.org"), (3, "api.prod.example.com")] {
        match l.issue_leaf(n, name) {
            Err(refusal) => assert!(
                refusal.contains("PCA_NAME_CONSTRAINTS_VALIDATION"),
                "{name}: {refusal}"
            ),
            Ok(leaf) => {
                let verified = l.verify(&leaf);
                assert_ne!(
                    verified.code, 0,
                    "the emulator issued {name} and openssl accepted it:\n{}",
                    verified.stdout
                );
                assert!(
                    verified.stderr.contains("subtree violation"),
                    "{name}: {}",
                    verified.stderr
                );
            }
        }
    }
}

#[test]
fn second_ceremony_against_an_active_ca_is_refused_at_step_1_without_replace_and_replaces_with_it()
{
    let l = Loop::new();
    l.first_import();
    let first = l.installed();

    let run = l.ceremony(
        "again.toml",
        &subordinate_toml(&l.arn, &l.arn, false, "out2"),
    );

    assert_eq!(
        run.code, 2,
        "expected a refusal\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_refused_at_step_1_before_the_hsm(&run);
    assert!(
        run.stderr.contains("replace = true") && run.stderr.contains(&l.arn),
        "{}",
        run.stderr
    );
    assert_eq!(
        l.files_under("out2"),
        Vec::<String>::new(),
        "nothing may be written"
    );
    assert_eq!(l.installed(), first, "the CA keeps its certificate");

    let run = l.ceremony(
        "replace.toml",
        &subordinate_toml(&l.arn, &l.arn, true, "out2"),
    );

    run.ok();
    assert!(
        run.stdout.contains("replacing its certificate"),
        "{}",
        run.stdout
    );
    let second = der(&l.read("out2/issuing-ca-1.pem"));
    assert_ne!(second, first, "a new certificate was signed");
    assert_eq!(l.installed(), second, "the CA has the new certificate");
    assert_eq!(l.emulator.status(&l.arn), "ACTIVE");
    l.rootca(&["transcript", "verify", "out2/issuing-ca-1.transcript.jsonl"])
        .ok();
    let entry = l.import_entry("out2/issuing-ca-1.transcript.jsonl");
    assert_eq!(entry["details"]["replaced"], true, "{entry}");
}

#[test]
fn ceremony_naming_an_unknown_private_ca_fails_at_step_1_and_writes_nothing() {
    let l = Loop::new();
    let unknown = l.emulator.unknown_arn();

    let run = l.ceremony(
        "unknown.toml",
        &subordinate_toml(&unknown, &unknown, false, "out"),
    );

    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Nothing was changed"), "{}", run.stderr);
    assert_refused_at_step_1_before_the_hsm(&run);
    assert!(
        run.stderr.contains(&unknown),
        "the ARN is not named:\n{}",
        run.stderr
    );
    assert_eq!(
        l.files_under("out"),
        Vec::<String>::new(),
        "nothing may be written"
    );
    assert_eq!(
        l.emulator.status(&l.arn),
        "PENDING_CERTIFICATE",
        "the real CA is untouched"
    );
}

/// The officer's run of sub.toml (no --yes), with the emulator's settings.
fn interactive(l: &Loop) -> common::Interactive {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &l.p.conf)
        .current_dir(l.p.path())
        .args(["run", "sub.toml"]);
    l.emulator.apply(&mut command);
    common::Interactive::start(command)
}

/// A failure after the certificate and chain were written names them, says
/// the CA has not got the certificate, gives the command that installs it,
/// and is a failure (exit 1), never "nothing was changed".
fn says_the_files_are_written_but_not_installed(l: &Loop, run: &Run) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stderr.contains("Nothing was changed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("refused:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("What the ceremony changed")
            && run.stderr.contains("issuing-ca-1.pem")
            && run.stderr.contains("issuing-ca-1.chain.pem"),
        "the written files are named:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("rootca pca import {} --certificate", l.arn)),
        "the command that installs them is given:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("step 9. Import the certificate into AWS Private CA"),
        "the import is listed as not done:\n{}",
        run.stderr
    );
    assert!(l.p.path().join("out/issuing-ca-1.pem").exists());
    assert!(
        run.stderr.contains("rootca run sub.toml --abandon"),
        "how to resume or close the journal is said:\n{}",
        run.stderr
    );
    l.rootca(&[
        "transcript",
        "verify",
        "out/issuing-ca-1.transcript.jsonl.partial",
    ])
    .ok();
}

#[test]
fn an_import_refused_after_the_files_are_written_is_a_failure_that_says_what_was_written() {
    let l = Loop::new();
    l.p.write("sub.toml", &subordinate_toml(&l.arn, &l.arn, false, "out"));
    let mut officer = interactive(&l);
    // Step 1 found the CA PENDING_CERTIFICATE; while the officer reads the
    // certificate at the signing prompt, the CA is deleted.
    officer.wait_for(common::PROMPT, 1);
    let dir = tempfile::tempdir().unwrap();
    l.emulator
        .python(
            dir.path(),
            "import sys, boto3\n\
             boto3.client('acm-pca').delete_certificate_authority(\n\
                 CertificateAuthorityArn=sys.argv[1], PermanentDeletionTimeInDays=7)",
            &[&l.arn],
        )
        .ok();
    officer.answer("yes");
    officer.wait_for(common::PROMPT, 2);
    officer.answer("yes");
    let run = officer.finish();
    assert!(
        run.stderr
            .contains("step 9 (Import the certificate into AWS Private CA) failed"),
        "{}",
        run.stderr
    );
    says_the_files_are_written_but_not_installed(&l, &run);
}

#[test]
fn stopping_at_the_import_after_the_files_are_written_says_how_to_install_them() {
    let l = Loop::new();
    l.p.write("sub.toml", &subordinate_toml(&l.arn, &l.arn, false, "out"));
    let mut officer = interactive(&l);
    officer.wait_for(common::PROMPT, 1);
    officer.answer("yes");
    officer.wait_for(common::PROMPT, 2);
    officer.answer("no");
    let run = officer.finish();
    assert!(
        run.stderr
            .contains("the officer stopped the ceremony at step 9"),
        "{}",
        run.stderr
    );
    says_the_files_are_written_but_not_installed(&l, &run);
    assert_eq!(l.emulator.status(&l.arn), "PENDING_CERTIFICATE");

    // Run again, the ceremony resumes: nothing signed again, the written
    // certificate imported, the CA ACTIVE with it.
    let written = std::fs::read_to_string(l.p.path().join("out/issuing-ca-1.pem")).unwrap();
    let again = l.rootca(&["run", "sub.toml", "--yes"]);
    again.ok();
    assert!(
        again.stdout.contains("This ceremony was interrupted")
            && again
                .stdout
                .contains("9. Import the certificate into AWS Private CA: to do"),
        "{}",
        again.stdout
    );
    assert_eq!(l.emulator.status(&l.arn), "ACTIVE");
    assert_eq!(l.installed(), der(&written));
    assert_eq!(
        std::fs::read_to_string(l.p.path().join("out/issuing-ca-1.pem")).unwrap(),
        written
    );
    l.rootca(&["transcript", "verify", "out/issuing-ca-1.transcript.jsonl"])
        .ok();
}
