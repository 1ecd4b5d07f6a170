//! `rootca::aws::pca` against the real AWS SDK for Rust.
//!
//! Most tests go over HTTP to the project's Private CA emulator (moto plus
//! scripts/emulator), started with `scripts/practice-env up` in a temporary
//! folder and stopped with `down` when the last test using it drops it
//! (tests/common/emulator.rs).
//! Those tests pass region and endpoint as explicit settings and the dummy
//! credentials through aws-config's loader, so no test mutates the process
//! environment. What needs the environment itself (AWS_ENDPOINT_URL, no
//! credentials at all, a named profile against environment credentials)
//! runs in a child process: the test re-executes this test binary with a
//! clean environment and checks that exactly that test passed in it.
//!
//! What the emulator cannot produce (throttling, 5xx, RequestInProgress,
//! access denied, rejected credentials) comes from aws-smithy-mocks, as raw
//! HTTP responses the SDK deserializes and retries as it would AWS's, through
//! `PrivateCa::from_client`.
//!
//! certificates for import are made with the `openssl` command line tool.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_acmpca::Client;
use aws_sdk_acmpca::config::Credentials;
use aws_sdk_acmpca::config::http::HttpResponse;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use der::DecodePem;
use rootca::aws::pca::{CaStatus, InstalledCertificate, PrivateCa, SubordinateSpec};
use rootca::aws::{AwsError, AwsSettings};

use common::emulator::Emulator;

// ---------------------------------------------------------------------------
// Child processes, for what reads the process environment

const CHILD: &str = "ROOTCA_AWS_TEST_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the test named `test` of this binary in a child process whose
/// environment holds only `vars`, PATH, and an empty HOME and AWS config.
fn run_in_child(test: &str, vars: &[(&str, &str)]) {
    let home = tempfile::tempdir().expect("temporary HOME");
    let exe = std::env::current_exe().expect("path of this test binary");
    let mut command = Command::new(exe);
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(CHILD, "1");
    for (name, value) in vars {
        command.env(name, value);
    }
    let out = command.output().expect("run this test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} in a child process did not pass ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

// ---------------------------------------------------------------------------
// Specs and certificates

fn spec(common_name: &str) -> SubordinateSpec {
    toml::from_str(&format!(
        r#"
        key_algorithm = "EC_secp384r1"
        signing_algorithm = "SHA384WITHECDSA"

        [subject]
        common_name = "{common_name}"
        organization = "Example Corp"
        organizational_unit = "PKI"
        country = "US"
        state = "Washington"
        locality = "Seattle"
        "#
    ))
    .expect("the test spec parses")
}

/// openssl at the fixture clock (common::FIXTURE_CLOCK): certificates made
/// here have the same dates whatever day the tests run.
fn openssl(dir: &Path, args: &[&str]) {
    let mut command = Command::new("openssl");
    command.current_dir(dir).args(args);
    let out = common::at_clock(&mut command, common::FIXTURE_CLOCK)
        .output()
        .expect("openssl must be installed (scripts/bootstrap)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

use common::OPENSSL_CA_CONFIG as OPENSSL_CONFIG;

/// A self-signed P-384 root made with openssl, able to sign subordinates.
struct TestRoot {
    dir: tempfile::TempDir,
}

impl TestRoot {
    fn new() -> TestRoot {
        let dir = tempfile::tempdir().expect("temporary folder for openssl");
        std::fs::write(dir.path().join("openssl.cnf"), OPENSSL_CONFIG).expect("openssl.cnf");
        openssl(
            dir.path(),
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
                "/CN=rootca aws test root",
                "-days",
                "3650",
                "-sha384",
                "-config",
                "openssl.cnf",
                "-extensions",
                "root",
            ],
        );
        TestRoot { dir }
    }

    fn pem(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("root.pem")).expect("root.pem")
    }

    /// A CA certificate for the key of `csr_pem`, signed by this root.
    fn sign(&self, name: &str, csr_pem: &str) -> String {
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        std::fs::write(self.dir.path().join(&csr), csr_pem).expect("write CSR");
        openssl(
            self.dir.path(),
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-set_serial",
                "4242",
                "-days",
                "365",
                "-sha384",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                "sub",
                "-out",
                &pem,
            ],
        );
        std::fs::read_to_string(self.dir.path().join(pem)).expect("signed certificate")
    }

    /// A CA certificate signed by this root for a key of its own (not a Private CA's).
    fn sign_other_key(&self) -> String {
        openssl(
            self.dir.path(),
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-nodes",
                "-keyout",
                "other.key",
                "-out",
                "other.csr",
                "-subj",
                "/CN=some other key",
                "-config",
                "openssl.cnf",
            ],
        );
        let csr = std::fs::read_to_string(self.dir.path().join("other.csr")).expect("other.csr");
        self.sign("other", &csr)
    }
}

fn validity(pem: &str) -> (SystemTime, SystemTime) {
    let cert = x509_cert::Certificate::from_pem(pem.as_bytes()).expect("a PEM certificate");
    let validity = cert.tbs_certificate().validity();
    (
        validity.not_before.to_system_time(),
        validity.not_after.to_system_time(),
    )
}

// ---------------------------------------------------------------------------
// Against the emulator

#[test]
fn create_subordinate_then_describe_shows_pending_certificate_and_the_subject() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca
        .create_subordinate(&spec("Example Issuing CA"))
        .expect("create");
    assert!(arn.starts_with("arn:aws:acm-pca:"), "{arn}");

    let ca = pca.describe(&arn).expect("describe");
    assert_eq!(ca.arn, arn);
    assert_eq!(ca.status, CaStatus::PendingCertificate);
    assert_eq!(ca.ca_type, "SUBORDINATE");
    assert_eq!(
        ca.subject,
        "CN=Example Issuing CA,OU=PKI,O=Example Corp,L=Seattle,ST=Washington,C=US"
    );
    assert_eq!(ca.key_algorithm, "EC_secp384r1");
    assert_eq!(ca.signing_algorithm, "SHA384WITHECDSA");
    assert_eq!(ca.not_before, None);
    assert_eq!(ca.not_after, None);
}

#[test]
fn create_subordinate_sends_crl_configuration_and_tags() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let spec: SubordinateSpec = toml::from_str(
        r#"
        key_algorithm = "RSA_2048"
        signing_algorithm = "SHA256WITHRSA"
        idempotency_token = "crl-and-tags"
        [subject]
        common_name = "CRL CA"
        [crl]
        enabled = true
        expiration_in_days = 7
        custom_cname = "crl.example.com"
        s3_bucket_name = "example-crl"
        [tags]
        team = "pki"
        purpose = "issuing"
        "#,
    )
    .expect("spec");
    let arn = pca.create_subordinate(&spec).expect("create");
    assert_eq!(
        pca.describe(&arn).expect("describe").key_algorithm,
        "RSA_2048"
    );

    let client = emulator.raw_client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (described, tags) = runtime.block_on(async {
        let described = client
            .describe_certificate_authority()
            .certificate_authority_arn(&arn)
            .send()
            .await
            .expect("describe");
        let tags = client
            .list_tags()
            .certificate_authority_arn(&arn)
            .send()
            .await
            .expect("list tags");
        (described, tags)
    });
    let crl = described
        .certificate_authority()
        .and_then(|ca| ca.revocation_configuration())
        .and_then(|r| r.crl_configuration())
        .expect("a CRL configuration");
    assert!(crl.enabled());
    assert_eq!(crl.expiration_in_days(), Some(7));
    assert_eq!(crl.custom_cname(), Some("crl.example.com"));
    assert_eq!(crl.s3_bucket_name(), Some("example-crl"));
    let tags: BTreeMap<&str, Option<&str>> =
        tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(
        tags,
        BTreeMap::from([("purpose", Some("issuing")), ("team", Some("pki"))])
    );
}

#[test]
fn csr_of_a_new_subordinate_is_a_pem_request_for_its_subject() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca.create_subordinate(&spec("CSR CA")).expect("create");
    let csr = pca.csr(&arn).expect("csr");
    assert!(
        csr.trim_start()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
        "{csr}"
    );
    assert_eq!(pca.csr(&arn).expect("csr again"), csr, "the CSR is stable");

    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("ca.csr"), &csr).expect("write CSR");
    let out = Command::new("openssl")
        .current_dir(dir.path())
        .args(["req", "-in", "ca.csr", "-noout", "-verify", "-subject"])
        .output()
        .expect("openssl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "openssl req -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CN = CSR CA"), "{stdout}");
}

#[test]
fn certificate_is_none_before_import() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca
        .create_subordinate(&spec("No Cert Yet CA"))
        .expect("create");
    assert_eq!(pca.certificate(&arn).expect("certificate"), None);
}

#[test]
fn import_of_a_certificate_for_the_csr_key_is_returned_byte_for_byte_and_activates_the_ca() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca
        .create_subordinate(&spec("Imported CA"))
        .expect("create");
    let root = TestRoot::new();
    let certificate = root.sign("imported", &pca.csr(&arn).expect("csr"));
    let chain = root.pem();

    pca.import(&arn, certificate.as_bytes(), chain.as_bytes())
        .expect("import");

    assert_eq!(
        pca.certificate(&arn).expect("certificate"),
        Some(InstalledCertificate {
            certificate_pem: certificate.clone(),
            chain_pem: Some(chain),
        })
    );
    let ca = pca.describe(&arn).expect("describe");
    assert_eq!(ca.status, CaStatus::Active);
    let (not_before, not_after) = validity(&certificate);
    assert_eq!(ca.not_before, Some(not_before));
    assert_eq!(ca.not_after, Some(not_after));
}

#[test]
fn import_of_a_certificate_for_another_key_is_refused_as_certificate_mismatch() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca
        .create_subordinate(&spec("Mismatch CA"))
        .expect("create");
    let root = TestRoot::new();
    let other = root.sign_other_key();

    let err = pca
        .import(&arn, other.as_bytes(), root.pem().as_bytes())
        .expect_err("a certificate of another key must be refused");
    let AwsError::Refused {
        operation,
        target,
        code,
        message,
        ..
    } = &err
    else {
        panic!("expected Refused, got {err:?}");
    };
    assert_eq!(*operation, "ImportCertificateAuthorityCertificate");
    assert_eq!(target, &arn);
    assert_eq!(code, "CertificateMismatchException");
    assert!(!message.is_empty());
    let text = err.to_string();
    assert!(text.contains(&arn), "{text}");
    assert!(text.contains("CertificateMismatchException"), "{text}");
    assert!(text.contains(message.as_str()), "{text}");
    assert!(
        text.contains("not the key of this CA's current CSR"),
        "{text}"
    );
    assert_eq!(
        pca.describe(&arn).expect("describe").status,
        CaStatus::PendingCertificate
    );
}

#[test]
fn import_of_garbage_is_refused_with_the_services_code_and_message() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca.create_subordinate(&spec("Garbage CA")).expect("create");

    let err = pca
        .import(&arn, b"this is not a certificate", b"nor is this a chain")
        .expect_err("garbage must be refused");
    let AwsError::Refused { code, message, .. } = &err else {
        panic!("expected Refused, got {err:?}");
    };
    assert_eq!(code, "MalformedCertificateException");
    assert!(!message.is_empty());
    let text = err.to_string();
    assert!(
        text.contains(&format!("MalformedCertificateException: {message}")),
        "{text}"
    );
}

#[test]
fn import_onto_a_deleted_ca_is_wrong_state_naming_its_state() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = pca.create_subordinate(&spec("Deleted CA")).expect("create");
    let root = TestRoot::new();
    let certificate = root.sign("deleted", &pca.csr(&arn).expect("csr"));
    let client = emulator.raw_client();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(
            client
                .delete_certificate_authority()
                .certificate_authority_arn(&arn)
                .send(),
        )
        .expect("delete");

    let err = pca
        .import(&arn, certificate.as_bytes(), root.pem().as_bytes())
        .expect_err("a DELETED CA takes no certificate");
    let AwsError::WrongState {
        arn: err_arn,
        state,
        ..
    } = &err
    else {
        panic!("expected WrongState, got {err:?}");
    };
    assert_eq!(err_arn, &arn);
    assert_eq!(state, &Some(CaStatus::Deleted));
    let text = err.to_string();
    assert!(text.contains("in state DELETED"), "{text}");
    assert!(text.contains("PENDING_CERTIFICATE"), "{text}");

    let err = pca
        .certificate(&arn)
        .expect_err("a DELETED CA without certificate is no 'not yet'");
    assert!(
        matches!(
            &err,
            AwsError::WrongState {
                state: Some(CaStatus::Deleted),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn unknown_arn_is_not_found_and_names_the_arn() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let arn = emulator.unknown_arn();
    for (operation, err) in [
        (
            "DescribeCertificateAuthority",
            pca.describe(&arn).expect_err("describe"),
        ),
        (
            "GetCertificateAuthorityCsr",
            pca.csr(&arn).expect_err("csr"),
        ),
        (
            "GetCertificateAuthorityCertificate",
            pca.certificate(&arn).expect_err("certificate"),
        ),
        (
            "ImportCertificateAuthorityCertificate",
            pca.import(&arn, b"x", b"y").expect_err("import"),
        ),
    ] {
        let AwsError::NotFound {
            operation: err_operation,
            arn: err_arn,
            ..
        } = &err
        else {
            panic!("{operation}: expected NotFound, got {err:?}");
        };
        assert_eq!(*err_operation, operation);
        assert_eq!(err_arn, &arn);
        let text = err.to_string();
        assert!(text.contains(&arn) && text.contains(operation), "{text}");
    }
}

#[test]
fn not_found_for_an_arn_of_another_region_says_so() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();
    let other_region = if emulator.var("AWS_REGION") == "eu-west-1" {
        "us-east-1"
    } else {
        "eu-west-1"
    };
    let arn = format!(
        "arn:aws:acm-pca:{other_region}:123456789012:certificate-authority/11111111-1111-1111-1111-111111111111"
    );
    let err = pca.describe(&arn).expect_err("not in this region");
    assert!(matches!(err, AwsError::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("the ARN names region {other_region}")),
        "{text}"
    );
}

#[test]
fn malformed_arn_is_invalid_arn_locally_or_from_the_service() {
    let emulator = Emulator::shared();
    let pca = emulator.pca();

    let err = pca.describe("not-an-arn").expect_err("refused locally");
    let AwsError::InvalidArn { arn, message, .. } = &err else {
        panic!("expected InvalidArn, got {err:?}");
    };
    assert_eq!(arn, "not-an-arn");
    assert_eq!(message, "refused before calling AWS");

    // Shaped like an ARN, but the account is not 12 digits: AWS's (the emulator's) call.
    let bad = "arn:aws:acm-pca:us-east-1:12:certificate-authority/abc";
    let err = pca.describe(bad).expect_err("refused by the service");
    let AwsError::InvalidArn { arn, message, .. } = &err else {
        panic!("expected InvalidArn, got {err:?}");
    };
    assert_eq!(arn, bad);
    assert_ne!(message, "refused before calling AWS");
    assert!(err.to_string().contains(bad), "{err}");
}

#[test]
fn unreachable_endpoint_fails_fast_naming_the_endpoint() {
    let endpoint = dead_endpoint();
    let settings = AwsSettings {
        region: Some("us-east-1".to_string()),
        profile: None,
        endpoint_url: Some(endpoint.clone()),
    };
    let pca = PrivateCa::connect_with(&settings, |loader| {
        loader
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_timeout(Duration::from_secs(5))
                    .build(),
            )
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(2)
                    .with_initial_backoff(Duration::from_millis(10)),
            )
    })
    .expect("connect");
    let arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc";

    let started = Instant::now();
    let err = pca.describe(arn).expect_err("nothing listens there");
    let elapsed = started.elapsed();

    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let AwsError::Unreachable {
        endpoint: err_endpoint,
        ..
    } = &err
    else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert_eq!(err_endpoint, &endpoint);
    let text = err.to_string();
    assert!(text.contains(&endpoint) && text.contains(arn), "{text}");
}

#[test]
fn connect_takes_region_endpoint_and_credentials_from_the_environment() {
    if !in_child() {
        let emulator = Emulator::shared();
        let vars: Vec<(&str, &str)> = emulator
            .exports()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        return run_in_child(
            "connect_takes_region_endpoint_and_credentials_from_the_environment",
            &vars,
        );
    }
    // Child: only the practice-env exports; no endpoint, region or profile in the settings.
    let pca = PrivateCa::connect(&AwsSettings::default()).expect("connect");
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL in the child");
    assert_eq!(pca.endpoint(), endpoint);
    assert_eq!(
        pca.region(),
        std::env::var("AWS_REGION").expect("AWS_REGION in the child")
    );
    let arn = pca.create_subordinate(&spec("Env CA")).expect("create");
    assert_eq!(
        pca.describe(&arn).expect("describe").status,
        CaStatus::PendingCertificate
    );
}

#[test]
fn connect_without_any_credentials_reports_no_credentials_and_where_it_looked() {
    if !in_child() {
        let endpoint = dead_endpoint();
        return run_in_child(
            "connect_without_any_credentials_reports_no_credentials_and_where_it_looked",
            &[("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", &endpoint)],
        );
    }
    let pca = PrivateCa::connect(&AwsSettings::default()).expect("connect");
    let arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc";
    let err = pca.describe(arn).expect_err("no credentials anywhere");
    let AwsError::NoCredentials { operation, .. } = &err else {
        panic!("expected NoCredentials, got {err:?}");
    };
    assert_eq!(*operation, "DescribeCertificateAuthority");
    let text = err.to_string();
    for expected in [
        arn,
        "environment variables",
        "AWS_PROFILE",
        "aws sso login",
        "instance role",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in: {text}");
    }
}

#[test]
fn connect_without_a_region_is_no_region() {
    if !in_child() {
        return run_in_child("connect_without_a_region_is_no_region", &[]);
    }
    let err = PrivateCa::connect(&AwsSettings::default()).expect_err("no region anywhere");
    assert!(matches!(err, AwsError::NoRegion), "{err:?}");
    assert!(err.to_string().contains("AWS_REGION"), "{err}");
}

#[test]
fn named_profile_takes_precedence_over_environment_credentials() {
    if !in_child() {
        let emulator = Emulator::shared();
        return run_in_child(
            "named_profile_takes_precedence_over_environment_credentials",
            &[
                ("AWS_REGION", emulator.var("AWS_REGION")),
                ("AWS_ENDPOINT_URL", emulator.var("AWS_ENDPOINT_URL")),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
            ],
        );
    }
    // The environment has working keys, but the ceremony names a profile that does not exist.
    let settings = AwsSettings {
        profile: Some("ceremony".to_string()),
        ..AwsSettings::default()
    };
    let pca = PrivateCa::connect(&settings).expect("connect");
    let err = pca
        .create_subordinate(&spec("Profile CA"))
        .expect_err("the missing profile, not the environment, decides");
    assert!(matches!(err, AwsError::NoCredentials { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("\"ceremony\""), "{text}");
}

// ---------------------------------------------------------------------------
// The subordinate CA specification

#[test]
fn subordinate_spec_refuses_unknown_keys() {
    for (text, key) in [
        (
            "key_algorithm = \"RSA_2048\"\nsigning_algorithm = \"SHA256WITHRSA\"\nkey_size = 2048\n[subject]\ncommon_name = \"x\"\n",
            "key_size",
        ),
        (
            "key_algorithm = \"RSA_2048\"\nsigning_algorithm = \"SHA256WITHRSA\"\n[subject]\ncommon_name = \"x\"\nemail = \"a@b\"\n",
            "email",
        ),
        (
            "key_algorithm = \"RSA_2048\"\nsigning_algorithm = \"SHA256WITHRSA\"\n[subject]\ncommon_name = \"x\"\n[crl]\nenabled = true\nbucket = \"b\"\n",
            "bucket",
        ),
    ] {
        let err = toml::from_str::<SubordinateSpec>(text).expect_err("unknown key");
        assert!(err.to_string().contains(key), "{err}");
    }
    let err = toml::from_str::<SubordinateSpec>(
        "key_algorithm = \"RSA_2048\"\nsigning_algorithm = \"SHA256WITHRSA\"\n[subject]\norganization = \"x\"\n",
    )
    .expect_err("common_name is required");
    assert!(err.to_string().contains("common_name"), "{err}");
}

#[test]
fn create_subordinate_refuses_bad_algorithms_before_calling_aws() {
    // Nothing listens at the endpoint: any call would come back Unreachable.
    let settings = AwsSettings {
        region: Some("us-east-1".to_string()),
        profile: None,
        endpoint_url: Some(dead_endpoint()),
    };
    let pca = PrivateCa::connect_with(&settings, |loader| {
        loader.credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
    })
    .expect("connect");

    let mut bad_key = spec("Bad Key CA");
    bad_key.key_algorithm = "RSA_1024".to_string();
    let err = pca.create_subordinate(&bad_key).expect_err("RSA_1024");
    assert!(
        matches!(
            &err,
            AwsError::InvalidSpec {
                field: "key_algorithm",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    for accepted in [
        "RSA_2048",
        "RSA_3072",
        "RSA_4096",
        "EC_prime256v1",
        "EC_secp384r1",
        "EC_secp521r1",
    ] {
        assert!(text.contains(accepted), "{text}");
    }

    let mut bad_signing = spec("Bad Signing CA");
    bad_signing.signing_algorithm = "SHA1WITHRSA".to_string();
    let err = pca
        .create_subordinate(&bad_signing)
        .expect_err("SHA1WITHRSA");
    assert!(
        matches!(
            &err,
            AwsError::InvalidSpec {
                field: "signing_algorithm",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("SHA384WITHECDSA"), "{err}");

    let mut mismatched = spec("Mismatched CA");
    mismatched.signing_algorithm = "SHA256WITHRSA".to_string();
    let err = pca
        .create_subordinate(&mismatched)
        .expect_err("RSA signature, EC key");
    let text = err.to_string();
    assert!(
        text.contains("does not fit key_algorithm EC_secp384r1")
            && text.contains("SHA256WITHECDSA"),
        "{text}"
    );

    for (oid, value, says) in [
        (
            "1.3.6.1.4.1.37244.2.1",
            "",
            "the value must be 1 to 256 characters",
        ),
        (
            "vendor-id",
            "FFF1",
            "oid \"vendor-id\" is not an OID AWS accepts",
        ),
        ("2.999.1", "FFF1", "second arc below 40"),
    ] {
        let mut custom = spec("Custom CA");
        custom
            .subject
            .custom_attributes
            .push(rootca::aws::pca::CustomAttributeSpec {
                oid: oid.to_string(),
                value: value.to_string(),
            });
        let err = pca.create_subordinate(&custom).expect_err(oid);
        assert!(
            matches!(
                &err,
                AwsError::InvalidSpec {
                    field: "subject.custom_attributes",
                    ..
                }
            ) && err.to_string().contains(says),
            "{err:?}"
        );
    }

    let mut no_name = spec("x");
    no_name.subject.common_name = "  ".to_string();
    let err = pca.create_subordinate(&no_name).expect_err("empty CN");
    assert!(
        matches!(
            &err,
            AwsError::InvalidSpec {
                field: "subject.common_name",
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// SDK-level mocks: what the emulator cannot produce

const MOCK_ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/22222222-2222-2222-2222-222222222222";

/// A client whose HTTP traffic is the rules' responses. Standard retry mode
/// with the SDK's default 3 attempts, only the backoff shortened.
fn mocked(rules: &[&Rule]) -> PrivateCa {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_acmpca::Config::builder()
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
    PrivateCa::from_client(Client::from_conf(config)).expect("wrap the mocked client")
}

/// An awsJson 1.1 response as AWS sends it.
fn aws_json(status: u16, body: &str) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("HTTP status"),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    response
        .headers_mut()
        .insert("x-amzn-requestid", "mock-request-id");
    response
}

fn aws_error(status: u16, code: &str, message: &str) -> HttpResponse {
    aws_json(
        status,
        &format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
    )
}

const ACTIVE_CA: &str = r#"{"CertificateAuthority":{
    "Arn":"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/22222222-2222-2222-2222-222222222222",
    "Type":"SUBORDINATE","Status":"ACTIVE","NotBefore":1767225600,"NotAfter":2082758400,
    "CertificateAuthorityConfiguration":{"KeyAlgorithm":"EC_secp384r1",
        "SigningAlgorithm":"SHA384WITHECDSA",
        "Subject":{"CommonName":"Mock CA","Organization":"Example, Inc.","Country":"US"}}}}"#;

#[test]
fn throttling_on_every_attempt_is_throttled_after_the_sdks_three_attempts() {
    let rule = mock!(Client::describe_certificate_authority)
        .then_http_response(|| aws_error(400, "ThrottlingException", "Rate exceeded"));
    let pca = mocked(&[&rule]);

    let err = pca.describe(MOCK_ARN).expect_err("throttled throughout");

    assert_eq!(
        rule.num_calls(),
        3,
        "the SDK's standard retry makes 3 attempts"
    );
    let AwsError::Throttled { attempts, code, .. } = &err else {
        panic!("expected Throttled, got {err:?}");
    };
    assert_eq!(*attempts, 3);
    assert_eq!(code, "ThrottlingException");
    let text = err.to_string();
    assert!(
        text.contains(MOCK_ARN) && text.contains("DescribeCertificateAuthority"),
        "{text}"
    );
    assert!(text.contains("Rate exceeded"), "{text}");
}

#[test]
fn throttling_once_then_success_is_retried_by_the_sdk() {
    let rule = mock!(Client::describe_certificate_authority)
        .sequence()
        .http_response(|| aws_error(400, "ThrottlingException", "Rate exceeded"))
        .http_response(|| aws_json(200, ACTIVE_CA))
        .build();
    let pca = mocked(&[&rule]);

    let ca = pca.describe(MOCK_ARN).expect("the retry succeeds");

    assert_eq!(rule.num_calls(), 2);
    assert_eq!(ca.status, CaStatus::Active);
    assert_eq!(ca.subject, r"CN=Mock CA,O=Example\, Inc.,C=US");
    assert_eq!(
        ca.not_before,
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert_eq!(
        ca.not_after,
        Some(UNIX_EPOCH + Duration::from_secs(2_082_758_400))
    );
}

#[test]
fn server_error_on_every_attempt_is_a_service_error_with_status_code_and_request_id() {
    let rule = mock!(Client::get_certificate_authority_csr).then_http_response(|| {
        aws_error(503, "ServiceUnavailableException", "Service is unavailable")
    });
    let pca = mocked(&[&rule]);

    let err = pca.csr(MOCK_ARN).expect_err("5xx throughout");

    assert_eq!(rule.num_calls(), 3, "5xx is retried by the SDK");
    let AwsError::Service {
        status,
        code,
        message,
        request_id,
        ..
    } = &err
    else {
        panic!("expected Service, got {err:?}");
    };
    assert_eq!(*status, 503);
    assert_eq!(code, "ServiceUnavailableException");
    assert_eq!(message, "Service is unavailable");
    assert_eq!(request_id.as_deref(), Some("mock-request-id"));
    let text = err.to_string();
    assert!(
        text.contains("HTTP 503") && text.contains(MOCK_ARN) && text.contains("mock-request-id"),
        "{text}"
    );
}

#[test]
fn server_error_once_then_success_is_retried_by_the_sdk() {
    let rule = mock!(Client::get_certificate_authority_csr)
        .sequence()
        .http_response(|| aws_error(500, "InternalFailure", "boom"))
        .http_response(|| {
            aws_json(
                200,
                r#"{"Csr":"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"}"#,
            )
        })
        .build();
    let pca = mocked(&[&rule]);

    let csr = pca.csr(MOCK_ARN).expect("the retry succeeds");

    assert_eq!(rule.num_calls(), 2);
    assert!(
        csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
        "{csr}"
    );
}

#[test]
fn request_in_progress_on_import_is_reported_without_retrying() {
    const CERT: &[u8] = b"-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n";
    const CHAIN: &[u8] = b"-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n";
    // The rule only matches the exact bytes: import passes them through unchanged.
    let rule = mock!(Client::import_certificate_authority_certificate)
        .match_requests(|req| {
            req.certificate_authority_arn() == Some(MOCK_ARN)
                && req.certificate().map(|b| b.as_ref()) == Some(CERT)
                && req.certificate_chain().map(|b| b.as_ref()) == Some(CHAIN)
        })
        .then_http_response(|| {
            aws_error(
                400,
                "RequestInProgressException",
                "Your request is already in progress.",
            )
        });
    let pca = mocked(&[&rule]);

    let err = pca.import(MOCK_ARN, CERT, CHAIN).expect_err("in progress");

    assert_eq!(rule.num_calls(), 1, "not a retryable error");
    let AwsError::RequestInProgress {
        operation, target, ..
    } = &err
    else {
        panic!("expected RequestInProgress, got {err:?}");
    };
    assert_eq!(*operation, "ImportCertificateAuthorityCertificate");
    assert_eq!(target, MOCK_ARN);
    assert!(err.to_string().contains("already in progress"), "{err}");
}

#[test]
fn import_with_an_empty_chain_sends_no_chain() {
    let rule = mock!(Client::import_certificate_authority_certificate)
        .match_requests(|req| req.certificate_chain().is_none())
        .then_http_response(|| aws_json(200, "{}"));
    let pca = mocked(&[&rule]);

    pca.import(MOCK_ARN, b"root certificate", b"")
        .expect("accepted by the mock");
    assert_eq!(rule.num_calls(), 1);
}

#[test]
fn access_denied_names_the_iam_action() {
    let rule = mock!(Client::import_certificate_authority_certificate).then_http_response(|| {
        aws_error(
            400,
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/officer is not authorized",
        )
    });
    let pca = mocked(&[&rule]);

    let err = pca.import(MOCK_ARN, b"c", b"d").expect_err("denied");

    assert_eq!(rule.num_calls(), 1);
    let AwsError::AccessDenied { action, .. } = &err else {
        panic!("expected AccessDenied, got {err:?}");
    };
    assert_eq!(action, "acm-pca:ImportCertificateAuthorityCertificate");
    let text = err.to_string();
    assert!(
        text.contains("`acm-pca:ImportCertificateAuthorityCertificate`")
            && text.contains(MOCK_ARN)
            && text.contains("is not authorized"),
        "{text}"
    );
}

#[test]
fn access_denied_on_create_with_tags_names_both_iam_actions() {
    let rule = mock!(Client::create_certificate_authority)
        .then_http_response(|| aws_error(400, "AccessDeniedException", "not authorized"));
    let pca = mocked(&[&rule]);
    let mut tagged = spec("Tagged CA");
    tagged.tags.insert("team".to_string(), "pki".to_string());

    let err = pca.create_subordinate(&tagged).expect_err("denied");

    let text = err.to_string();
    assert!(
        text.contains("`acm-pca:CreateCertificateAuthority` and `acm-pca:TagCertificateAuthority`")
            && text.contains("CN=Tagged CA"),
        "{text}"
    );
}

#[test]
fn expired_credentials_are_credentials_rejected() {
    let rule = mock!(Client::describe_certificate_authority).then_http_response(|| {
        aws_error(
            400,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
    });
    let pca = mocked(&[&rule]);

    let err = pca.describe(MOCK_ARN).expect_err("expired");

    let AwsError::CredentialsRejected { code, .. } = &err else {
        panic!("expected CredentialsRejected, got {err:?}");
    };
    assert_eq!(code, "ExpiredTokenException");
    assert!(err.to_string().contains("aws sso login"), "{err}");
}
