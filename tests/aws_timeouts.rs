//! Every AWS call is bounded: `rootca pca describe` against an endpoint on
//! 127.0.0.1 that accepts connections and never answers ends within a
//! bounded time, exit 1, with a message naming the timeout that fired, its
//! length, the operation and the endpoint; against a closed port it ends
//! with "could not reach". The timeouts are lowered through the
//! `ROOTCA_AWS_*_TIMEOUT_SECS` variables so the tests take seconds.
//!
//! The binary runs with a cleared environment (PATH, an empty HOME, AWS
//! config files that do not exist, dummy credentials, no instance
//! metadata), as the emulator tests give it (tests/common/emulator.rs), but
//! without an emulator: nothing here answers. Only loopback addresses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_sdk_acmpca::config::Credentials;
use rootca::aws::pca::PrivateCa;
use rootca::aws::{
    ATTEMPT_TIMEOUT_VAR, AwsError, AwsSettings, AwsTimeouts, CONNECT_TIMEOUT_VAR,
    OPERATION_TIMEOUT_VAR, TimeoutKind,
};

const ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc";

/// A TCP listener on 127.0.0.1 that accepts every connection, reads
/// nothing, answers nothing and keeps the connection open until dropped
/// (or 60 seconds have passed, so it always stops by itself).
struct SilentEndpoint {
    url: String,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentEndpoint {
    fn start() -> SilentEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port on loopback");
        let port = listener.local_addr().expect("its address").port();
        listener.set_nonblocking(true).expect("non-blocking accept");
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, stop) = (accepted.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut held: Vec<TcpStream> = Vec::new();
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            held.push(stream);
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        SilentEndpoint {
            url: format!("http://127.0.0.1:{port}"),
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A loopback URL whose port nothing listens on (bound, then released).
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

struct Outcome {
    code: i32,
    stderr: String,
    elapsed: Duration,
}

/// `rootca pca describe ARN --endpoint-url URL` with a clean environment,
/// dummy credentials and `vars`.
fn describe(url: &str, vars: &[(&str, &str)]) -> Outcome {
    let home = tempfile::tempdir().expect("temporary HOME");
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .args(["pca", "describe", ARN, "--region", "us-east-1"])
        .args(["--endpoint-url", url])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    let started = Instant::now();
    let out = command.output().expect("run rootca");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

fn assert_mentions(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
}

#[test]
fn a_silent_endpoint_ends_with_the_operation_timeout() {
    let endpoint = SilentEndpoint::start();
    let run = describe(&endpoint.url, &[(OPERATION_TIMEOUT_VAR, "2")]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.elapsed >= Duration::from_secs(2) && run.elapsed < Duration::from_secs(15),
        "took {:?}",
        run.elapsed
    );
    assert!(endpoint.accepted() >= 1, "rootca never connected");
    assert_mentions(
        &run.stderr,
        &[
            "rootca: failed:",
            "the operation timeout of 2 s fired",
            "DescribeCertificateAuthority",
            ARN,
            &endpoint.url,
            OPERATION_TIMEOUT_VAR,
        ],
    );
}

#[test]
fn a_silent_endpoint_ends_with_the_attempt_timeout_after_the_retries() {
    let endpoint = SilentEndpoint::start();
    let run = describe(
        &endpoint.url,
        &[(ATTEMPT_TIMEOUT_VAR, "0.5"), (OPERATION_TIMEOUT_VAR, "60")],
    );

    assert_eq!(run.code, 1, "{}", run.stderr);
    // Three attempts of 0.5 s and the standard retry's backoff between them.
    assert!(
        run.elapsed < Duration::from_secs(20),
        "took {:?}",
        run.elapsed
    );
    assert!(
        endpoint.accepted() >= 2,
        "the SDK's retry should have made more than one attempt ({} connections)",
        endpoint.accepted()
    );
    assert_mentions(
        &run.stderr,
        &[
            "the operation attempt timeout of 0.5 s fired",
            "up to 3 attempts",
            "DescribeCertificateAuthority",
            &endpoint.url,
            ATTEMPT_TIMEOUT_VAR,
        ],
    );
}

#[test]
fn a_closed_port_is_unreachable_naming_the_endpoint() {
    let url = closed_port();
    let run = describe(&url, &[(OPERATION_TIMEOUT_VAR, "30")]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.elapsed < Duration::from_secs(20),
        "took {:?}",
        run.elapsed
    );
    assert_mentions(
        &run.stderr,
        &[
            "DescribeCertificateAuthority",
            ARN,
            &format!("could not reach AWS Private CA at {url}"),
        ],
    );
    assert!(
        run.stderr.to_lowercase().contains("connection refused"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("timeout of"), "{}", run.stderr);
}

#[test]
fn an_unusable_timeout_variable_is_refused_before_any_call() {
    let endpoint = SilentEndpoint::start();
    for (variable, value) in [
        (OPERATION_TIMEOUT_VAR, "abc"),
        (ATTEMPT_TIMEOUT_VAR, "0"),
        (CONNECT_TIMEOUT_VAR, "-1"),
        (OPERATION_TIMEOUT_VAR, "inf"),
        (OPERATION_TIMEOUT_VAR, "3601"),
    ] {
        let run = describe(&endpoint.url, &[(variable, value)]);
        assert_eq!(run.code, 2, "{variable}={value}: {}", run.stderr);
        assert!(
            run.elapsed < Duration::from_secs(5),
            "took {:?}",
            run.elapsed
        );
        assert_mentions(&run.stderr, &["rootca: refused:", variable, value]);
    }
    assert_eq!(
        endpoint.accepted(),
        0,
        "a refused variable must not call AWS"
    );
}

#[test]
fn the_defaults_and_the_variables() {
    let defaults = AwsTimeouts::default();
    assert_eq!(defaults.connect, Duration::from_secs(10));
    assert_eq!(defaults.attempt, Duration::from_secs(30));
    assert_eq!(defaults.operation, Duration::from_secs(120));
    assert_eq!(AwsTimeouts::from_lookup(|_| None).unwrap(), defaults);

    let set = AwsTimeouts::from_lookup(|name| match name {
        CONNECT_TIMEOUT_VAR => Some("3".into()),
        ATTEMPT_TIMEOUT_VAR => Some(" 0.25 ".into()),
        OPERATION_TIMEOUT_VAR => Some("3600".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(set.connect, Duration::from_secs(3));
    assert_eq!(set.attempt, Duration::from_millis(250));
    assert_eq!(set.operation, Duration::from_secs(3600));

    let config = defaults.timeout_config();
    assert_eq!(config.connect_timeout(), Some(Duration::from_secs(10)));
    assert_eq!(
        config.operation_attempt_timeout(),
        Some(Duration::from_secs(30))
    );
    assert_eq!(config.operation_timeout(), Some(Duration::from_secs(120)));
}

#[test]
fn the_library_reports_a_typed_timeout() {
    let endpoint = SilentEndpoint::start();
    let settings = AwsSettings {
        region: Some("us-east-1".to_string()),
        endpoint_url: Some(endpoint.url.clone()),
        ..AwsSettings::default()
    };
    let timeouts = AwsTimeouts {
        operation: Duration::from_millis(1500),
        ..AwsTimeouts::default()
    };
    let pca = PrivateCa::connect_with_timeouts(&settings, &timeouts, |loader| {
        loader.credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
    })
    .expect("connect");

    let started = Instant::now();
    let err = pca.describe(ARN).expect_err("nothing answers");
    assert!(started.elapsed() < Duration::from_secs(10));
    let AwsError::Timeout {
        operation,
        endpoint: named,
        which,
        seconds,
        ..
    } = &err
    else {
        panic!("expected Timeout, got {err:?}");
    };
    assert_eq!(*operation, "DescribeCertificateAuthority");
    assert_eq!(named, &endpoint.url);
    assert_eq!(*which, TimeoutKind::Operation);
    assert!((seconds - 1.5).abs() < 1e-9, "{seconds}");
    assert!(
        err.to_string().contains("operation timeout of 1.5 s"),
        "{err}"
    );
}
