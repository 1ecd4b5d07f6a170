//! How long rootca waits for AWS: the connect, attempt and operation
//! timeouts, their defaults and the variables that change them.

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

use super::AwsError;

/// Environment variable that sets [`AwsTimeouts::connect`], in seconds.
pub const CONNECT_TIMEOUT_VAR: &str = "ROOTCA_AWS_CONNECT_TIMEOUT_SECS";
/// Environment variable that sets [`AwsTimeouts::attempt`], in seconds.
pub const ATTEMPT_TIMEOUT_VAR: &str = "ROOTCA_AWS_ATTEMPT_TIMEOUT_SECS";
/// Environment variable that sets [`AwsTimeouts::operation`], in seconds.
pub const OPERATION_TIMEOUT_VAR: &str = "ROOTCA_AWS_OPERATION_TIMEOUT_SECS";

/// Environment variable that sets how long an import waits for the CA to
/// show ACTIVE ([`DEFAULT_ACTIVE_TIMEOUT`]), in seconds.
pub const ACTIVE_TIMEOUT_VAR: &str = "ROOTCA_AWS_ACTIVE_TIMEOUT_SECS";

/// How long an import waits for DescribeCertificateAuthority to show the CA
/// ACTIVE: real Private CA takes seconds, so two minutes means something is
/// wrong.
pub const DEFAULT_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// The longest timeout the variables accept, in seconds (one hour).
pub const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// How long rootca waits for AWS: every call is bounded by all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsTimeouts {
    /// To open the TCP (and TLS) connection to the endpoint. Default 10 s.
    pub connect: Duration,
    /// For one attempt, from sending the request to the whole answer.
    /// The SDK's standard retry may make further attempts. Default 30 s.
    pub attempt: Duration,
    /// For the whole operation: every attempt and the waits between them.
    /// Default 120 s.
    pub operation: Duration,
}

impl Default for AwsTimeouts {
    fn default() -> Self {
        AwsTimeouts {
            connect: Duration::from_secs(10),
            attempt: Duration::from_secs(30),
            operation: Duration::from_secs(120),
        }
    }
}

impl AwsTimeouts {
    /// The defaults, each replaced by its environment variable when set
    /// ([`CONNECT_TIMEOUT_VAR`], [`ATTEMPT_TIMEOUT_VAR`],
    /// [`OPERATION_TIMEOUT_VAR`]): seconds, decimals allowed, more than 0
    /// and at most [`MAX_TIMEOUT_SECS`]. Anything else is
    /// [`AwsError::InvalidTimeout`], never silently the default.
    pub fn from_env() -> Result<AwsTimeouts, AwsError> {
        AwsTimeouts::from_lookup(|name| std::env::var_os(name))
    }

    /// Like [`AwsTimeouts::from_env`], with the variables read through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Result<AwsTimeouts, AwsError> {
        let mut timeouts = AwsTimeouts::default();
        for (variable, slot) in [
            (CONNECT_TIMEOUT_VAR, &mut timeouts.connect),
            (ATTEMPT_TIMEOUT_VAR, &mut timeouts.attempt),
            (OPERATION_TIMEOUT_VAR, &mut timeouts.operation),
        ] {
            if let Some(value) = get(variable) {
                *slot = parse_seconds(variable, &value)?;
            }
        }
        Ok(timeouts)
    }

    /// The SDK's timeout configuration: connect, operation attempt and
    /// operation timeouts set, no separate read timeout.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// How long an import waits for the CA to be ACTIVE: [`ACTIVE_TIMEOUT_VAR`]
/// through `get`, under the rules of [`AwsTimeouts::from_env`], else
/// [`DEFAULT_ACTIVE_TIMEOUT`].
pub fn active_timeout_from_lookup(
    get: impl Fn(&str) -> Option<OsString>,
) -> Result<Duration, AwsError> {
    get(ACTIVE_TIMEOUT_VAR).map_or(Ok(DEFAULT_ACTIVE_TIMEOUT), |value| {
        parse_seconds(ACTIVE_TIMEOUT_VAR, &value)
    })
}

pub(super) fn parse_seconds(
    variable: &'static str,
    value: &std::ffi::OsStr,
) -> Result<Duration, AwsError> {
    let invalid = |problem: &'static str| AwsError::InvalidTimeout {
        variable,
        value: value.to_string_lossy().into_owned(),
        problem,
    };
    let text = value
        .to_str()
        .ok_or_else(|| invalid("it is not UTF-8 text"))?;
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| invalid("it is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(invalid("it must be more than 0 seconds"));
    }
    if seconds > MAX_TIMEOUT_SECS {
        return Err(invalid("it must be at most 3600 seconds (one hour)"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid("it is not a number of seconds"))
}

/// Which of the [`AwsTimeouts`] fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Opening the connection took too long.
    Connect,
    /// One attempt got no complete answer in time, and the SDK's retry gave up.
    OperationAttempt,
    /// The whole operation, retries included, took too long.
    Operation,
}

impl TimeoutKind {
    /// The environment variable that sets this timeout.
    pub fn variable(self) -> &'static str {
        match self {
            TimeoutKind::Connect => CONNECT_TIMEOUT_VAR,
            TimeoutKind::OperationAttempt => ATTEMPT_TIMEOUT_VAR,
            TimeoutKind::Operation => OPERATION_TIMEOUT_VAR,
        }
    }
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect timeout",
            TimeoutKind::OperationAttempt => "operation attempt timeout",
            TimeoutKind::Operation => "operation timeout",
        })
    }
}

/// What a timeout bounds, for messages.
pub(super) fn timeout_meaning(which: TimeoutKind, attempts: u32) -> String {
    match which {
        TimeoutKind::Connect => "no connection could be opened in that time".to_string(),
        TimeoutKind::OperationAttempt => format!(
            "the endpoint did not answer an attempt in that time; the SDK's standard retry \
             makes up to {attempts} attempts"
        ),
        TimeoutKind::Operation => {
            "the call, with all the SDK's retries, did not end in that time".to_string()
        }
    }
}

/// Seconds as an officer reads them: `30`, `0.5`.
pub(super) fn seconds_text(seconds: f64) -> String {
    format!("{seconds}")
}
