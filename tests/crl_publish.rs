//! `rootca crl publish` against the real AWS SDK for Rust.
//!
//! The CRLs and certificates are made with the `openssl` command line tool
//! (`openssl ca -gencrl` under an openssl-made root), its clock fixed at
//! 2026-01-01 by `common::openssl_fixed`, so that no test depends on the day.
//! Publishing goes over HTTP to the project's emulator (moto plus
//! scripts/emulator) through the `rootca` binary; buckets are made and the
//! uploaded objects read with boto3 in the project's virtualenv.
//!
//! Access denied comes from the emulator with IAM enforced (moto checks the
//! caller's IAM policies once `/moto-api/reset-auth` says so), on an
//! emulator of its own since that switch holds for the whole emulator. What
//! the emulator cannot produce (throttling, 5xx, a bucket in another region,
//! an object that reads back different) comes from aws-smithy-mocks, through
//! `S3::from_client`.
//!
//! The refusals run against an endpoint where nothing listens: had rootca
//! made a call it would fail with exit 1, so exit 2 shows that it refused
//! before any call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use rootca::aws::s3::{Before, PublicAccess, S3, S3Error, S3Location};

use common::emulator::Emulator;
use common::{Run, openssl, openssl_fixed};

const URL: &str = "http://crl.example.com/root-g1.crl";

// ---------------------------------------------------------------------------
// Fixtures: an openssl root, its CRLs, certificates it issued

const CA_CNF: &str = r#"
[ca]
default_ca = root

[root]
dir = .
database = index.txt
crlnumber = crlnumber
new_certs_dir = .
default_md = sha384
default_crl_days = 30
private_key = root.key
certificate = root.pem

[root_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[crl_ext]
authorityKeyIdentifier = keyid

[sub_good]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
crlDistributionPoints = URI:http://crl.example.com/root-g1.crl

[sub_other]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
crlDistributionPoints = URI:http://crl.example.com/other.crl
"#;

/// A folder with an openssl root (`root.pem`), its first CRL (`root.crl`,
/// PEM, and `root.der`), and certificates it issued: `sub-good.pem` naming
/// [`URL`] as CRL distribution point, `sub-other.pem` naming another URL;
/// `stranger.pem` is issued by another root and names [`URL`].
fn pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    std::fs::write(d.join("ca.cnf"), CA_CNF).unwrap();
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("crlnumber"), "1000\n").unwrap();
    let ec = |curve: &str| ["-newkey", "ec", "-pkeyopt", curve, "-nodes"].map(str::to_string);
    let run = |args: &[&str]| {
        let r = openssl_fixed(args, d);
        assert_eq!(r.code, 0, "openssl {args:?}:\n{}", r.stderr);
    };
    let p384 = ec("ec_paramgen_curve:P-384");
    let p256 = ec("ec_paramgen_curve:P-256");
    let args = |base: &[&str], key: &[String], rest: &[&str]| -> Vec<String> {
        base.iter()
            .map(|s| s.to_string())
            .chain(key.iter().cloned())
            .chain(rest.iter().map(|s| s.to_string()))
            .collect()
    };
    let call = |v: Vec<String>| run(&v.iter().map(String::as_str).collect::<Vec<_>>());
    call(args(
        &["req", "-x509"],
        &p384,
        &[
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-subj",
            "/CN=Test Root CA G1/O=Example Corp/C=US",
            "-days",
            "7300",
            "-config",
            "ca.cnf",
            "-extensions",
            "root_ext",
        ],
    ));
    call(args(
        &["req", "-x509"],
        &p384,
        &[
            "-keyout",
            "stranger-root.key",
            "-out",
            "stranger-root.pem",
            "-subj",
            "/CN=Another Root/O=Example Corp/C=US",
            "-days",
            "7300",
            "-config",
            "ca.cnf",
            "-extensions",
            "root_ext",
        ],
    ));
    gencrl(d, "root.crl");
    run(&[
        "crl", "-in", "root.crl", "-outform", "DER", "-out", "root.der",
    ]);
    call(args(
        &["req", "-new"],
        &p256,
        &[
            "-keyout",
            "sub.key",
            "-out",
            "sub.csr",
            "-subj",
            "/CN=Test Issuing CA/O=Example Corp/C=US",
        ],
    ));
    for (out, ca, key, ext) in [
        ("sub-good.pem", "root.pem", "root.key", "sub_good"),
        ("sub-other.pem", "root.pem", "root.key", "sub_other"),
        (
            "stranger.pem",
            "stranger-root.pem",
            "stranger-root.key",
            "sub_good",
        ),
    ] {
        run(&[
            "x509",
            "-req",
            "-in",
            "sub.csr",
            "-CA",
            ca,
            "-CAkey",
            key,
            "-CAcreateserial",
            "-days",
            "3650",
            "-extfile",
            "ca.cnf",
            "-extensions",
            ext,
            "-out",
            out,
        ]);
    }
    dir
}

/// The root's next CRL (its number one more than the last), PEM, at `out`.
fn gencrl(dir: &Path, out: &str) {
    let r = openssl_fixed(
        &[
            "ca", "-gencrl", "-batch", "-config", "ca.cnf", "-crlexts", "crl_ext", "-out", out,
        ],
        dir,
    );
    assert_eq!(r.code, 0, "openssl ca -gencrl:\n{}", r.stderr);
}

/// The DER of the PEM CRL at `file`, as openssl converts it.
fn der_of(dir: &Path, file: &str) -> Vec<u8> {
    let out = format!("{file}.der");
    openssl(&["crl", "-in", file, "-outform", "DER", "-out", &out], dir).ok();
    std::fs::read(dir.join(out)).unwrap()
}

// ---------------------------------------------------------------------------
// boto3

/// argv: BUCKET BLOCK, BLOCK one of none | all | partial (RestrictPublicBuckets off).
const MAKE_BUCKET: &str = r#"
import sys
import boto3
from botocore.config import Config

bucket, block = sys.argv[1:3]
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket=bucket)
if block != "none":
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": block == "all"})
"#;

/// argv: BUCKET KEY. Prints {"ContentType": ..., "Body": hex}, or {"absent": true}.
const READ_OBJECT: &str = r#"
import json
import sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

bucket, key = sys.argv[1:3]
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
try:
    got = s3.get_object(Bucket=bucket, Key=key)
except ClientError as e:
    if e.response["Error"]["Code"] == "NoSuchKey":
        print(json.dumps({"absent": True}))
        sys.exit(0)
    raise
print(json.dumps({"ContentType": got["ContentType"], "Body": got["Body"].read().hex()}))
"#;

fn make_bucket(emulator: &Emulator, bucket: &str, block: &str) {
    let dir = tempfile::tempdir().unwrap();
    let run = emulator.python(dir.path(), MAKE_BUCKET, &[bucket, block]);
    assert_eq!(run.code, 0, "make bucket {bucket}:\n{}", run.stderr);
}

/// The object's Content-Type and bytes, read with boto3; `None` when absent.
fn read_object(emulator: &Emulator, bucket: &str, key: &str) -> Option<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let run = emulator.python(dir.path(), READ_OBJECT, &[bucket, key]);
    assert_eq!(run.code, 0, "read s3://{bucket}/{key}:\n{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    if v["absent"] == true {
        return None;
    }
    Some((
        v["ContentType"].as_str().unwrap().to_string(),
        hex::decode(v["Body"].as_str().unwrap()).unwrap(),
    ))
}

fn json_of(run: &Run) -> serde_json::Value {
    run.ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("no JSON ({e}):\n{}", run.stdout))
}

fn public_access_warnings(report: &serde_json::Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .filter(|w| w.contains("public access block"))
        .collect()
}

// ---------------------------------------------------------------------------
// Publishing to the emulator

#[test]
fn publishes_the_der_with_its_content_type_and_reads_it_back() {
    let emulator = Emulator::shared();
    let pki = pki();
    make_bucket(&emulator, "crl-private", "all");

    let report = json_of(&emulator.rootca(
        pki.path(),
        &[
            "crl",
            "publish",
            "root.crl",
            "--to",
            "s3://crl-private/crl/root-g1.crl",
            "--url",
            URL,
            "--subordinate",
            "sub-good.pem",
            "--json",
        ],
    ));

    let der = std::fs::read(pki.path().join("root.der")).unwrap();
    let (content_type, body) = read_object(&emulator, "crl-private", "crl/root-g1.crl").unwrap();
    assert_eq!(content_type, "application/pkix-crl");
    assert_eq!(body, der, "the object is the CRL's DER, not the PEM file");
    assert_eq!(report["bucket"], "crl-private");
    assert_eq!(report["key"], "crl/root-g1.crl");
    assert_eq!(report["size"], der.len());
    assert_eq!(report["sha256"], rootca::output::sha256_hex(&der));
    assert_eq!(report["crl"]["crl_number"], "4096", "crlnumber 1000 is hex");
    assert_eq!(report["crl"]["this_update"], "2026-01-01T00:00:00Z");
    assert_eq!(report["crl"]["next_update"], "2026-01-31T00:00:00Z");
    assert_eq!(report["crl"]["file_encoding"], "PEM");
    assert_eq!(report["before"]["state"], "absent");
    assert_eq!(report["read_back"]["identical"], true);
    assert_eq!(report["read_back"]["content_type"], "application/pkix-crl");
    assert_eq!(report["public_access_blocked"], true);
    assert_eq!(public_access_warnings(&report), Vec::<String>::new());
    let agreement = report["url"]["agreement"].as_str().unwrap();
    assert!(
        agreement.contains("origin path must be /crl"),
        "{agreement}"
    );
    assert_eq!(report["subordinates"][0]["crl_distribution_points"][0], URL);
}

#[test]
fn publishing_again_replaces_the_object_and_says_what_was_there() {
    let emulator = Emulator::shared();
    let pki = pki();
    make_bucket(&emulator, "crl-replace", "all");
    let to = "s3://crl-replace/root-g1.crl";
    let first = json_of(&emulator.rootca(
        pki.path(),
        &["crl", "publish", "root.der", "--to", to, "--json"],
    ));
    assert_eq!(first["crl"]["file_encoding"], "DER");
    gencrl(pki.path(), "next.crl");

    let run = emulator.rootca(pki.path(), &["crl", "publish", "next.crl", "--to", to]);

    run.ok();
    let first_etag = first["etag"].as_str().unwrap();
    let replaced = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("replaced:"))
        .unwrap_or_else(|| panic!("no replaced: line\n{}", run.stdout));
    assert!(
        replaced.contains(&format!("an object of {} bytes", first["size"]))
            && replaced.contains(first_etag)
            && replaced.contains("last modified"),
        "{replaced}"
    );
    assert!(
        run.stdout.contains("CRL number:     4097"),
        "{}",
        run.stdout
    );
    let (_, body) = read_object(&emulator, "crl-replace", "root-g1.crl").unwrap();
    assert_eq!(body, der_of(pki.path(), "next.crl"));
}

#[test]
fn a_bucket_without_a_full_public_access_block_gets_the_warning() {
    let emulator = Emulator::shared();
    let pki = pki();
    make_bucket(&emulator, "crl-open", "none");
    make_bucket(&emulator, "crl-half", "partial");

    let open = emulator.rootca(
        pki.path(),
        &[
            "crl",
            "publish",
            "root.crl",
            "--to",
            "s3://crl-open/root.crl",
        ],
    );
    let half = json_of(&emulator.rootca(
        pki.path(),
        &[
            "crl",
            "publish",
            "root.crl",
            "--to",
            "s3://crl-half/root.crl",
            "--json",
        ],
    ));

    open.ok();
    assert!(
        open.stdout.contains(
            "WARNING: bucket crl-open has no public access block (NoSuchPublicAccessBlockConfiguration)"
        ) && open.stdout.contains("CloudFront"),
        "{}",
        open.stdout
    );
    assert!(
        open.stdout.contains("public access:  NOT blocked"),
        "{}",
        open.stdout
    );
    assert_eq!(half["public_access_blocked"], false);
    assert_eq!(half["public_access"]["state"], "configured");
    let warnings = public_access_warnings(&half);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("off for RestrictPublicBuckets"),
        "{warnings:?}"
    );
    assert!(read_object(&emulator, "crl-open", "root.crl").is_some());
}

#[test]
fn a_bucket_that_does_not_exist_fails_naming_it_and_no_such_bucket() {
    let emulator = Emulator::shared();
    let pki = pki();

    let run = emulator.rootca(
        pki.path(),
        &[
            "crl",
            "publish",
            "root.crl",
            "--to",
            "s3://crl-no-such-bucket/root.crl",
        ],
    );

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("crl-no-such-bucket")
            && run.stderr.contains("NoSuchBucket")
            && run.stderr.contains("root.crl"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

// ---------------------------------------------------------------------------
// Refusals, before any call

/// `rootca ARGS` with an endpoint where nothing listens and dummy credentials.
fn offline(dir: &Path, args: &[&str]) -> Run {
    let nothing = dir.join("no-aws-config");
    Command::new(env!("CARGO_BIN_EXE_rootca"))
        .current_dir(dir)
        .args(args)
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
        ])
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", &nothing)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nothing)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run rootca")
        .into()
}

fn refused(dir: &Path, args: &[&str], must_mention: &[&str]) {
    let run = offline(dir, args);
    assert_eq!(
        run.code, 2,
        "{args:?}: expected a refusal\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    for m in must_mention {
        assert!(
            run.stderr.contains(m),
            "{args:?}: no {m:?} in\n{}",
            run.stderr
        );
    }
}

#[test]
fn the_same_offline_call_fails_with_exit_1_so_exit_2_means_no_call() {
    let pki = pki();
    let run = offline(
        pki.path(),
        &["crl", "publish", "root.crl", "--to", "s3://crl-x/root.crl"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("could not reach S3"), "{}", run.stderr);
}

#[test]
fn a_file_that_is_not_a_crl_is_refused() {
    let pki = pki();
    std::fs::write(pki.path().join("notes.txt"), "the CRL is in the safe\n").unwrap();
    let to = ["--to", "s3://crl-x/root.crl"];
    for (file, mention) in [
        ("sub-good.pem", "it is a certificate"),
        ("sub.csr", "certificate signing request"),
        ("notes.txt", "notes.txt is not a CRL"),
        ("missing.crl", "cannot read missing.crl"),
    ] {
        let mut args = vec!["crl", "publish", file];
        args.extend(to);
        refused(pki.path(), &args, &[mention]);
    }
    let two = format!(
        "{}{}",
        std::fs::read_to_string(pki.path().join("root.crl")).unwrap(),
        std::fs::read_to_string(pki.path().join("root.crl")).unwrap()
    );
    std::fs::write(pki.path().join("two.crl"), two).unwrap();
    refused(
        pki.path(),
        &["crl", "publish", "two.crl", "--to", "s3://crl-x/root.crl"],
        &["2 PEM blocks"],
    );
}

#[test]
fn a_bad_to_is_refused_naming_what_is_accepted() {
    let pki = pki();
    for (to, mention) in [
        ("crl-x/root.crl", "does not start with s3://"),
        ("s3://crl-x", "no key"),
        ("s3://CRL-X/root.crl", "holds 'C'"),
        ("s3://crl-x/crl//root.crl", "empty part"),
        ("s3://crl-x/root crl", "holds ' '"),
    ] {
        refused(
            pki.path(),
            &["crl", "publish", "root.crl", "--to", to],
            &[mention, "Expected s3://BUCKET/KEY"],
        );
    }
}

#[test]
fn a_url_that_does_not_end_with_the_key_is_refused() {
    let pki = pki();
    let publish = |to: &str, url: &str, mention: &[&str]| {
        refused(
            pki.path(),
            &["crl", "publish", "root.crl", "--to", to, "--url", url],
            mention,
        );
    };
    publish(
        "s3://crl-x/root-g2.crl",
        URL,
        &["does not fit the key \"root-g2.crl\"", "file names differ"],
    );
    publish(
        "s3://crl-x/a/root-g1.crl",
        "http://crl.example.com/b/root-g1.crl",
        &["\"b\" in the URL where the key has \"a\""],
    );
    publish(
        "s3://crl-x/root-g1.crl",
        "ldap://crl.example.com/root-g1.crl",
        &["neither http nor https"],
    );
    publish(
        "s3://crl-x/root-g1.crl",
        "http://crl.example.com/root-g1.crl?v=2",
        &["query"],
    );
}

#[test]
fn a_subordinate_whose_distribution_points_lack_the_url_is_refused() {
    let pki = pki();
    let publish = |sub: &str, mention: &[&str]| {
        refused(
            pki.path(),
            &[
                "crl",
                "publish",
                "root.crl",
                "--to",
                "s3://crl-x/root-g1.crl",
                "--url",
                URL,
                "--subordinate",
                "sub-good.pem",
                "--subordinate",
                sub,
            ],
            mention,
        );
    };
    publish(
        "sub-other.pem",
        &[
            "--subordinate sub-other.pem",
            "http://crl.example.com/other.crl",
            "do not include --url http://crl.example.com/root-g1.crl",
        ],
    );
    publish(
        "stranger.pem",
        &[
            "--subordinate stranger.pem",
            "CN=Another Root",
            "does not cover it",
        ],
    );
    publish("root.crl", &["--subordinate root.crl", "X509 CRL"]);
    // clap: --subordinate needs --url.
    let run = offline(
        pki.path(),
        &[
            "crl",
            "publish",
            "root.crl",
            "--to",
            "s3://crl-x/root-g1.crl",
            "--subordinate",
            "sub-good.pem",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--url"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// Access denied, with IAM enforced on an emulator of its own

/// argv: BUCKET, then USER=ACTION,ACTION... Creates the bucket and the IAM
/// users with policies on it; prints {"USER": ["key id", "secret"]}.
const MAKE_USERS: &str = r#"
import json
import sys
import boto3
from botocore.config import Config

bucket, users = sys.argv[1], sys.argv[2:]
boto3.client("s3", config=Config(s3={"addressing_style": "path"})).create_bucket(Bucket=bucket)
iam = boto3.client("iam")
keys = {}
for spec in users:
    name, actions = spec.split("=")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="crl", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions.split(","),
                       "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    keys[name] = [key["AccessKeyId"], key["SecretAccessKey"]]
print(json.dumps(keys))
"#;

/// argv: COUNT. moto checks IAM after COUNT more requests ("inf": never).
const RESET_AUTH: &str = r#"
import os
import sys
import urllib.request

urllib.request.urlopen(urllib.request.Request(
    os.environ["AWS_ENDPOINT_URL"] + "/moto-api/reset-auth", data=sys.argv[1].encode(),
    headers={"Content-Type": "text/plain"})).read()
"#;

#[test]
fn access_denied_names_the_operation_bucket_key_and_iam_action() {
    // IAM enforcement holds for the whole emulator: this one is not shared.
    let emulator = Emulator::start();
    let pki = pki();
    let setup = emulator.python(
        pki.path(),
        MAKE_USERS,
        &[
            "crl-iam",
            "no-put=s3:GetObject,s3:GetBucketPublicAccessBlock",
            "no-pab=s3:GetObject,s3:PutObject",
            "no-get=s3:PutObject,s3:GetBucketPublicAccessBlock",
            "publisher=s3:GetObject,s3:PutObject,s3:GetBucketPublicAccessBlock",
        ],
    );
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    let keys: serde_json::Value = serde_json::from_str(&setup.stdout).unwrap();
    let enforce = |count: &str| {
        let r = emulator.python(pki.path(), RESET_AUTH, &[count]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    let publish_as = |user: &str, key: &str| -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
        command
            .current_dir(pki.path())
            .args(["crl", "publish", "root.crl", "--to"])
            .arg(format!("s3://crl-iam/{key}"))
            .stdin(Stdio::null());
        emulator
            .apply(&mut command)
            .env("AWS_ACCESS_KEY_ID", keys[user][0].as_str().unwrap())
            .env("AWS_SECRET_ACCESS_KEY", keys[user][1].as_str().unwrap())
            .output()
            .expect("run rootca")
            .into()
    };

    enforce("0");
    let no_put = publish_as("no-put", "a.crl");
    let no_pab = publish_as("no-pab", "b.crl");
    let no_get = publish_as("no-get", "c.crl");
    let first = publish_as("publisher", "d.crl");
    let again = publish_as("publisher", "d.crl");
    enforce("inf");

    for (run, operation, action, resource) in [
        (
            &no_put,
            "PutObject of s3://crl-iam/a.crl",
            "`s3:PutObject`",
            "arn:aws:s3:::crl-iam/a.crl",
        ),
        (
            &no_pab,
            "GetPublicAccessBlock on bucket crl-iam (publishing key b.crl)",
            "`s3:GetBucketPublicAccessBlock`",
            "arn:aws:s3:::crl-iam (and",
        ),
        (
            &no_get,
            "GetObject of s3://crl-iam/c.crl",
            "`s3:GetObject`",
            "arn:aws:s3:::crl-iam/c.crl",
        ),
    ] {
        assert_eq!(run.code, 1, "{}", run.stderr);
        for m in [
            operation,
            action,
            resource,
            "access denied",
            "bucket crl-iam",
        ] {
            assert!(run.stderr.contains(m), "no {m:?} in\n{}", run.stderr);
        }
    }
    assert!(
        no_get.stderr.contains("the CRL was uploaded"),
        "{}",
        no_get.stderr
    );
    // Denied before the upload: nothing changed. Denied at the read-back: it was uploaded.
    assert_eq!(read_object(&emulator, "crl-iam", "a.crl"), None);
    assert_eq!(read_object(&emulator, "crl-iam", "b.crl"), None);
    assert!(read_object(&emulator, "crl-iam", "c.crl").is_some());
    // Without s3:ListBucket, S3 answers HeadObject of an absent key with 403.
    first.ok();
    assert!(
        first
            .stdout
            .contains("replaced:       unknown: HeadObject was refused (HTTP 403)"),
        "{}",
        first.stdout
    );
    again.ok();
    assert!(
        again.stdout.contains("replaced:       an object of"),
        "{}",
        again.stdout
    );
}

// ---------------------------------------------------------------------------
// SDK-level mocks: what the emulator cannot produce

fn mocked(rules: &[&Rule]) -> S3 {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build();
    S3::from_client(Client::from_conf(config)).expect("wrap the mocked client")
}

fn response(status: u16, body: &[u8], headers: &[(&'static str, &'static str)]) -> HttpResponse {
    let mut r = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_vec()),
    );
    for (name, value) in headers {
        r.headers_mut().insert(*name, *value);
    }
    r
}

fn s3_error(status: u16, code: &str, message: &str) -> HttpResponse {
    response(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>mock-request-id</RequestId></Error>"
        )
        .as_bytes(),
        &[
            ("content-type", "application/xml"),
            ("x-amz-request-id", "mock-request-id"),
        ],
    )
}

fn location() -> S3Location {
    S3Location::parse("s3://example-crl/root-g1.crl").unwrap()
}

const BODY: &[u8] = b"\x30\x03\x02\x01\x01";

fn head_absent() -> Rule {
    mock!(Client::head_object).then_http_response(|| response(404, b"", &[]))
}

fn pab_all_on() -> Rule {
    mock!(Client::get_public_access_block).then_http_response(|| {
        response(
            200,
            b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>\
              <IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>\
              <RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
            &[("content-type", "application/xml")],
        )
    })
}

fn put_ok() -> Rule {
    mock!(Client::put_object).then_http_response(|| response(200, b"", &[("etag", "\"e1\"")]))
}

#[test]
fn a_head_refused_with_403_is_unknown_and_the_publication_goes_on() {
    let head = mock!(Client::head_object).then_http_response(|| response(403, b"", &[]));
    let get = mock!(Client::get_object).then_http_response(|| {
        response(
            200,
            BODY,
            &[("content-type", "application/pkix-crl"), ("etag", "\"e1\"")],
        )
    });
    let (pab, put) = (pab_all_on(), put_ok());
    let s3 = mocked(&[&head, &pab, &put, &get]);

    let p = s3.publish_crl(&location(), BODY).unwrap();

    assert!(matches!(p.before, Before::Unknown { .. }), "{:?}", p.before);
    assert!(p.public_access.blocked());
    assert_eq!(p.etag.as_deref(), Some("\"e1\""));
    assert_eq!(put.num_calls(), 1);
}

#[test]
fn an_object_that_reads_back_different_or_with_another_type_fails() {
    let other = mock!(Client::get_object).then_http_response(|| {
        response(
            200,
            b"\x30\x00",
            &[("content-type", "application/pkix-crl")],
        )
    });
    let (head, pab, put) = (head_absent(), pab_all_on(), put_ok());
    let err = mocked(&[&head, &pab, &put, &other])
        .publish_crl(&location(), BODY)
        .unwrap_err();
    let S3Error::ReadBackDiffers { detail, .. } = &err else {
        panic!("expected ReadBackDiffers, got {err:?}");
    };
    assert!(
        detail.contains("uploaded 5 bytes") && detail.contains("read back 2 bytes"),
        "{detail}"
    );

    let typed = mock!(Client::get_object)
        .then_http_response(|| response(200, BODY, &[("content-type", "binary/octet-stream")]));
    let (head, pab, put) = (head_absent(), pab_all_on(), put_ok());
    let err = mocked(&[&head, &pab, &put, &typed])
        .publish_crl(&location(), BODY)
        .unwrap_err();
    let S3Error::WrongContentType { found, .. } = &err else {
        panic!("expected WrongContentType, got {err:?}");
    };
    assert_eq!(found.as_deref(), Some("binary/octet-stream"));
    assert!(
        err.to_string().contains("not application/pkix-crl"),
        "{err}"
    );
}

#[test]
fn slow_down_on_every_attempt_is_throttled_and_says_the_upload_may_have_happened() {
    let put = mock!(Client::put_object)
        .then_http_response(|| s3_error(503, "SlowDown", "Please reduce your request rate."));
    let (head, pab) = (head_absent(), pab_all_on());

    let err = mocked(&[&head, &pab, &put])
        .publish_crl(&location(), BODY)
        .unwrap_err();

    assert_eq!(
        put.num_calls(),
        3,
        "the SDK's standard retry makes 3 attempts"
    );
    let S3Error::Throttled {
        attempts, code, at, ..
    } = &err
    else {
        panic!("expected Throttled, got {err:?}");
    };
    assert_eq!(
        (*attempts, code.as_str(), at.operation),
        (3, "SlowDown", "PutObject")
    );
    let text = err.to_string();
    assert!(text.contains("may still have been carried out"), "{text}");
}

#[test]
fn a_server_error_names_the_status_and_request_id() {
    let pab = mock!(Client::get_public_access_block)
        .then_http_response(|| s3_error(500, "InternalError", "We encountered an internal error."));
    let head = head_absent();

    let err = mocked(&[&head, &pab])
        .publish_crl(&location(), BODY)
        .unwrap_err();

    let S3Error::Service {
        status, request_id, ..
    } = &err
    else {
        panic!("expected Service, got {err:?}");
    };
    assert_eq!(*status, 500);
    assert_eq!(request_id.as_deref(), Some("mock-request-id"));
    let text = err.to_string();
    assert!(text.contains("Nothing had been uploaded yet"), "{text}");
}

#[test]
fn a_bucket_in_another_region_says_which() {
    let pab = mock!(Client::get_public_access_block).then_http_response(|| {
        let mut r = s3_error(
            301,
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint.",
        );
        r.headers_mut().insert("x-amz-bucket-region", "eu-west-1");
        r
    });
    let head = head_absent();

    let err = mocked(&[&head, &pab])
        .publish_crl(&location(), BODY)
        .unwrap_err();

    let S3Error::WrongRegion { bucket_region, .. } = &err else {
        panic!("expected WrongRegion, got {err:?}");
    };
    assert_eq!(bucket_region.as_deref(), Some("eu-west-1"));
    let text = err.to_string();
    assert!(
        text.contains("not in region us-east-1 but in eu-west-1") && text.contains("--region"),
        "{text}"
    );
}

#[test]
fn access_denied_from_s3_is_typed_with_action_and_resource() {
    let put = mock!(Client::put_object)
        .then_http_response(|| s3_error(403, "AccessDenied", "Access Denied"));
    let (head, pab) = (head_absent(), pab_all_on());

    let err = mocked(&[&head, &pab, &put])
        .publish_crl(&location(), BODY)
        .unwrap_err();

    let S3Error::AccessDenied {
        at,
        action,
        resource,
        ..
    } = &err
    else {
        panic!("expected AccessDenied, got {err:?}");
    };
    assert_eq!(
        (
            at.bucket.as_str(),
            at.key.as_str(),
            *action,
            resource.as_str()
        ),
        (
            "example-crl",
            "root-g1.crl",
            "s3:PutObject",
            "arn:aws:s3:::example-crl/root-g1.crl"
        )
    );
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(put.num_calls(), 1, "access denied is not retried");
}

#[test]
fn a_bucket_without_a_public_access_block_is_absent_not_an_error() {
    let pab = mock!(Client::get_public_access_block).then_http_response(|| {
        s3_error(
            404,
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
        )
    });
    let head = head_absent();
    let s3 = mocked(&[&head, &pab]);

    assert_eq!(s3.public_access(&location()).unwrap(), PublicAccess::Absent);
    assert_eq!(s3.head(&location()).unwrap(), Before::Absent);
}
