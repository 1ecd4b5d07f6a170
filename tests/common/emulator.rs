//! The project's AWS Private CA emulator (moto plus scripts/emulator),
//! started with `scripts/practice-env up` in a temporary folder and stopped
//! with `down` when dropped.
//!
//! A test reaches it three ways, none of which touches this process's
//! environment: rootca's library with explicit settings (`pca`), the
//! `rootca` binary as a child process with `env()` applied by `apply`, and
//! boto3 in the project's virtualenv for what rootca deliberately does not
//! do (issuing leaves, reading the installed CA certificate back).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_acmpca::Client;
use aws_sdk_acmpca::config::Credentials;
use rootca::aws::AwsSettings;
use rootca::aws::pca::PrivateCa;

use super::{Run, venv_bin};

/// One emulator from `scripts/practice-env up`, stopped with `down` on drop.
pub struct Emulator {
    dir: tempfile::TempDir,
    exports: BTreeMap<String, String>,
}

/// Variables of the test process that could steer a child's AWS SDK away
/// from the emulator's dummy credentials; `apply` removes them.
const UNWANTED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

impl Emulator {
    pub fn start() -> Emulator {
        let dir = tempfile::tempdir().expect("temporary folder for the practice environment");
        // Built before `up` runs, so that a failing `up` is still followed by `down`.
        let mut emulator = Emulator {
            dir,
            exports: BTreeMap::new(),
        };
        let out = Command::new(practice_env())
            .arg("up")
            .arg(emulator.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", practice_env().display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "scripts/practice-env up failed ({}); the emulator is needed for these tests.\n\
             stdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        emulator.exports = parse_exports(&stdout);
        for name in [
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(
                emulator.exports.contains_key(name),
                "practice-env up printed no {name}:\n{stdout}"
            );
        }
        emulator
    }

    /// The emulator shared by the tests of one binary running at the same
    /// time; the last one to finish with it stops it.
    pub fn shared() -> Arc<Emulator> {
        static SHARED: Mutex<Weak<Emulator>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = shared.upgrade() {
            return running;
        }
        let started = Arc::new(Emulator::start());
        *shared = Arc::downgrade(&started);
        started
    }

    /// Everything `practice-env up` printed, as `NAME -> value`.
    pub fn exports(&self) -> &BTreeMap<String, String> {
        &self.exports
    }

    pub fn var(&self, name: &str) -> &str {
        &self.exports[name]
    }

    pub fn endpoint(&self) -> &str {
        self.var("AWS_ENDPOINT_URL")
    }

    pub fn region(&self) -> &str {
        self.var("AWS_REGION")
    }

    /// The environment of a child process (the `rootca` binary, boto3) that
    /// talks to this emulator: endpoint, region, the dummy credentials, and
    /// AWS config files that do not exist, so that a developer's ~/.aws
    /// plays no part.
    pub fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for name in [
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            env.insert(name.to_string(), self.var(name).to_string());
        }
        // boto3 reads only AWS_DEFAULT_REGION.
        env.insert("AWS_DEFAULT_REGION".into(), self.region().to_string());
        let nothing = self.dir.path().join("no-aws-config");
        env.insert("AWS_CONFIG_FILE".into(), nothing.display().to_string());
        env.insert(
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            nothing.display().to_string(),
        );
        env.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        env
    }

    /// Puts `env()` on `command` and removes what could override it.
    pub fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        for name in UNWANTED {
            command.env_remove(name);
        }
        command.envs(self.env())
    }

    /// The `rootca` binary in `dir`, talking to this emulator, no terminal input.
    pub fn rootca(&self, dir: &Path, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
        command.current_dir(dir).args(args).stdin(Stdio::null());
        self.apply(&mut command)
            .output()
            .expect("run rootca")
            .into()
    }

    /// `rootca pca describe ARN --json`, which must succeed.
    pub fn describe(&self, arn: &str) -> serde_json::Value {
        let dir = tempfile::tempdir().expect("temporary folder");
        let run = self.rootca(dir.path(), &["pca", "describe", arn, "--json"]);
        run.ok();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "rootca pca describe --json printed no JSON ({e}):\n{}",
                run.stdout
            )
        })
    }

    /// The CA's status, as `rootca pca describe` reports it.
    pub fn status(&self, arn: &str) -> String {
        self.describe(arn)["status"]
            .as_str()
            .expect("a status")
            .to_string()
    }

    /// The CA's NotBefore and NotAfter, as `rootca pca describe` reports them.
    pub fn validity(&self, arn: &str) -> (time::OffsetDateTime, time::OffsetDateTime) {
        let v = self.describe(arn);
        let date = |name: &str| {
            let text = v[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name} in {v}"));
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("{name} {text}: {e}"))
        };
        (date("not_before"), date("not_after"))
    }

    /// The virtualenv's python running `code` (boto3 is there) with `args`
    /// as sys.argv[1:], in `dir`, talking to this emulator.
    pub fn python(&self, dir: &Path, code: &str, args: &[&str]) -> Run {
        let mut command = Command::new(venv_bin("python"));
        command
            .current_dir(dir)
            .arg("-c")
            .arg(code)
            .args(args)
            .stdin(Stdio::null());
        self.apply(&mut command)
            .output()
            .expect("run the virtualenv's python")
            .into()
    }

    /// IssueCertificate from the CA `ca_arn` for the CSR `csr` (a leaf,
    /// EndEntityCertificate/V1, 30 days), then GetCertificate, written to
    /// `out`. A refusal exits 3 with "Code: message" on stderr.
    pub fn issue_leaf(&self, dir: &Path, ca_arn: &str, csr: &str, out: &str) -> Run {
        self.python(dir, ISSUE_LEAF, &[ca_arn, csr, out])
    }

    /// GetCertificateAuthorityCertificate through boto3: the installed
    /// certificate and chain, as PEM.
    pub fn ca_certificate(&self, ca_arn: &str) -> (String, Option<String>) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let run = self.python(dir.path(), CA_CERTIFICATE, &[ca_arn]);
        assert_eq!(
            run.code, 0,
            "GetCertificateAuthorityCertificate of {ca_arn}:\n{}",
            run.stderr
        );
        let v: serde_json::Value =
            serde_json::from_str(&run.stdout).expect("the script prints JSON");
        (
            v["Certificate"]
                .as_str()
                .expect("a certificate")
                .to_string(),
            v["CertificateChain"].as_str().map(str::to_string),
        )
    }

    /// A well-formed ARN of this region that names no CA.
    pub fn unknown_arn(&self) -> String {
        format!(
            "arn:aws:acm-pca:{}:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000",
            self.region()
        )
    }

    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            region: Some(self.region().to_string()),
            profile: None,
            endpoint_url: Some(self.endpoint().to_string()),
        }
    }

    pub fn credentials(&self) -> Credentials {
        Credentials::new(
            self.var("AWS_ACCESS_KEY_ID"),
            self.var("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "practice-env",
        )
    }

    /// rootca's client, through `connect_with`: the settings as a ceremony
    /// file gives them, the dummy credentials handed to aws-config's loader.
    pub fn pca(&self) -> PrivateCa {
        let credentials = self.credentials();
        PrivateCa::connect_with(&self.settings(), |loader| {
            loader.credentials_provider(credentials)
        })
        .expect("connect to the emulator")
    }

    /// A plain SDK client, for setting up states rootca never causes.
    pub fn raw_client(&self) -> Client {
        let config = aws_sdk_acmpca::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region().to_string()))
            .endpoint_url(self.endpoint())
            .credentials_provider(self.credentials())
            .build();
        Client::from_conf(config)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let result = Command::new(practice_env())
            .arg("down")
            .arg(self.dir.path())
            .output();
        match result {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "scripts/practice-env down {} failed: {}",
                self.dir.path().display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("cannot run scripts/practice-env down: {e}"),
        }
    }
}

fn practice_env() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/practice-env")
}

/// `export NAME=value` lines, values quoted by bash's `printf %q`.
fn parse_exports(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("export "))
        .map(|assignment| {
            let (name, value) = assignment
                .split_once('=')
                .unwrap_or_else(|| panic!("not an assignment: {assignment:?}"));
            assert!(
                !value.starts_with("$'"),
                "{name} is quoted as $'...', which this harness does not read: {value}"
            );
            let mut unquoted = String::new();
            let mut chars = value.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => unquoted.extend(chars.next()),
                    c => unquoted.push(c),
                }
            }
            (name.to_string(), unquoted)
        })
        .collect()
}

/// argv: CA_ARN CSR_FILE OUT_FILE. The signing algorithm follows the CA's
/// key; GetCertificate is polled with boto3's waiter, at most 10 times.
const ISSUE_LEAF: &str = r#"
import sys
import boto3
from botocore.exceptions import ClientError, WaiterError

arn, csr_path, out_path = sys.argv[1:4]
pca = boto3.client("acm-pca")
try:
    config = pca.describe_certificate_authority(CertificateAuthorityArn=arn)[
        "CertificateAuthority"]["CertificateAuthorityConfiguration"]
    algorithm = {
        "EC_prime256v1": "SHA256WITHECDSA",
        "EC_secp384r1": "SHA384WITHECDSA",
        "EC_secp521r1": "SHA512WITHECDSA",
    }.get(config["KeyAlgorithm"], "SHA256WITHRSA")
    with open(csr_path, "rb") as f:
        csr = f.read()
    cert_arn = pca.issue_certificate(
        CertificateAuthorityArn=arn,
        Csr=csr,
        SigningAlgorithm=algorithm,
        # Fixed dates inside the fixtures' validity (common::VERIFY_AT lies
        # between them), whatever day the tests run.
        ValidityNotBefore={"Value": 1767312000, "Type": "ABSOLUTE"},  # 2026-01-02
        Validity={"Value": 1769904000, "Type": "ABSOLUTE"},  # 2026-02-01
    )["CertificateArn"]
    pca.get_waiter("certificate_issued").wait(
        CertificateAuthorityArn=arn,
        CertificateArn=cert_arn,
        WaiterConfig={"Delay": 1, "MaxAttempts": 10},
    )
    issued = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
except ClientError as e:
    error = e.response.get("Error", {})
    print(f"{error.get('Code')}: {error.get('Message')}", file=sys.stderr)
    sys.exit(3)
except WaiterError as e:
    print(f"GetCertificate never succeeded: {e}", file=sys.stderr)
    sys.exit(4)
with open(out_path, "x") as f:
    f.write(issued["Certificate"] + "\n")
print(cert_arn)
"#;

/// argv: CA_ARN. Prints GetCertificateAuthorityCertificate's answer as JSON.
const CA_CERTIFICATE: &str = r#"
import json
import sys
import boto3

got = boto3.client("acm-pca").get_certificate_authority_certificate(
    CertificateAuthorityArn=sys.argv[1])
print(json.dumps({"Certificate": got["Certificate"],
                  "CertificateChain": got.get("CertificateChain")}))
"#;
