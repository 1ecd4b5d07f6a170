//! AWS access for ceremonies: where the SDK configuration comes from, and the
//! errors a ceremony officer sees when a call to AWS fails.
//!
//! Configuration follows aws-config's standard chain (environment, shared
//! config and credentials files, SSO, web identity, container and instance
//! roles) with `BehaviorVersion::latest()`, so the SDK's standard bounded
//! retry applies; rootca adds no retry loop of its own. Region, profile and
//! endpoint from the ceremony file override the chain. Every call is bounded
//! by the [`AwsTimeouts`] (connect, each attempt, the whole operation with its
//! retries), which the `ROOTCA_AWS_*_TIMEOUT_SECS` variables can change; a
//! timeout that fires is an [`AwsError::Timeout`] naming it. Every SDK failure is
//! turned into an [`AwsError`] by its error code and metadata, never by the
//! text of a message, and each message names the operation, the resource and
//! what the officer can do about it.
//!
//! - [`pca`]: AWS Private CA (describe, CSR, certificate, import, create).
//! - [`s3`]: Amazon S3, to publish the root's CRL (`rootca crl publish`).

pub mod cloudhsm;
pub mod pca;
pub mod s3;
mod timeouts;

pub use timeouts::*;

use std::error::Error as StdError;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_acmpca::config::endpoint::{Params, ResolveEndpoint};
use aws_sdk_acmpca::config::http::HttpResponse;
use aws_sdk_acmpca::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_acmpca::operation::RequestId;
use aws_types::SdkConfig;
use aws_types::service_config::ServiceConfigKey;

use pca::CaStatus;

/// Where and as whom to reach AWS. `None` leaves the choice to the standard
/// chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, the profile files...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// AWS region, e.g. `us-east-1`.
    pub region: Option<String>,
    /// A profile of the shared config/credentials files. When given, the
    /// credentials come from this profile (static keys, SSO, role, process),
    /// as with the AWS CLI's `--profile`, even if AWS_ACCESS_KEY_ID is set.
    pub profile: Option<String>,
    /// Endpoint URL (a VPC endpoint or a local emulator). When given it wins
    /// over AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_ACM_PCA.
    pub endpoint_url: Option<String>,
}

/// A failed AWS step, described for the officer running the ceremony.
///
/// `operation` is the AWS API operation (e.g. `ImportCertificateAuthorityCertificate`);
/// `target` is the certificate authority's ARN, or a description of the CA
/// being created for `CreateCertificateAuthority`.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// No region from the settings, AWS_REGION, or the profile.
    #[error(
        "no AWS region is configured: set `region` in the ceremony file's [aws] section, \
         or AWS_REGION, or `region` in the AWS profile"
    )]
    NoRegion,

    /// Every credential source of the chain came up empty (or the named
    /// profile is missing or unusable).
    #[error(
        "{operation} on {target}: no AWS credentials were found ({detail}). Tried: {sources}. \
         Provide them with `profile` in the ceremony file's [aws] section or AWS_PROFILE (for an \
         SSO profile run `aws sso login --profile NAME` first), or with AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, or run on a host with an instance role"
    )]
    NoCredentials {
        operation: &'static str,
        target: String,
        /// The sources that were tried, in order.
        sources: String,
        /// What the credential provider reported.
        detail: String,
    },

    /// Credentials were found but AWS does not accept them (expired, revoked,
    /// malformed, another partition).
    #[error(
        "{operation} on {target}: AWS rejected the credentials ({code}: {message}). They may have \
         expired (for SSO run `aws sso login`), been revoked, or belong to another partition; \
         `aws sts get-caller-identity` shows who they are"
    )]
    CredentialsRejected {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
    },

    /// The caller's IAM policy does not allow the operation.
    #[error(
        "{operation} on {target}: access denied. The IAM policy of the ceremony's role or user \
         must allow `{action}` on this resource. AWS said: {message}"
    )]
    AccessDenied {
        operation: &'static str,
        target: String,
        /// The IAM action that was denied, e.g. `acm-pca:ImportCertificateAuthorityCertificate`.
        action: String,
        message: String,
    },

    /// No certificate authority with this ARN in the account and region.
    #[error(
        "{operation}: certificate authority {arn} was not found in region {region} of the \
         credentials' account{hint}. Check the ARN, the region and the account. AWS said: {message}"
    )]
    NotFound {
        operation: &'static str,
        arn: String,
        region: String,
        /// Extra advice, e.g. that the ARN names another region; empty or starting with "; ".
        hint: String,
        message: String,
    },

    /// The ARN is not a certificate-authority ARN (refused locally or by AWS).
    #[error(
        "{operation}: {arn:?} is not a valid AWS Private CA certificate authority ARN (expected \
         arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID): {message}"
    )]
    InvalidArn {
        operation: &'static str,
        arn: String,
        message: String,
    },

    /// The certificate authority is not in a state that allows the operation.
    #[error(
        "{operation} on {arn}: the certificate authority is {}; this step needs {expected}. AWS \
         said: {message}",
        .state.as_ref().map_or_else(|| "in a state that could not be read".to_string(), |s| format!("in state {s}"))
    )]
    WrongState {
        operation: &'static str,
        arn: String,
        /// Its state, when a DescribeCertificateAuthority after the refusal could read it.
        state: Option<CaStatus>,
        /// The states the operation accepts.
        expected: &'static str,
        message: String,
    },

    /// Throttled on every attempt the SDK's standard retry made.
    #[error(
        "{operation} on {target}: AWS throttled the request ({code}) on all {attempts} attempts \
         of the SDK's standard retry. Wait a minute and run the step again; if it persists, look \
         for other callers using the account's Private CA quota. AWS said: {message}"
    )]
    Throttled {
        operation: &'static str,
        target: String,
        code: String,
        attempts: u32,
        message: String,
    },

    /// AWS is still working on an earlier request for this certificate authority.
    #[error(
        "{operation} on {target}: AWS Private CA is still processing an earlier request for this \
         certificate authority (RequestInProgressException). Wait a minute, check its state \
         (DescribeCertificateAuthority), then repeat the step. AWS said: {message}"
    )]
    RequestInProgress {
        operation: &'static str,
        target: String,
        message: String,
    },

    /// AWS refused the request as invalid (HTTP 4xx): the input must change.
    #[error(
        "{operation} on {target}: AWS Private CA refused the request: {code}: {message}{}",
        if .hint.is_empty() { String::new() } else { format!(" (likely cause: {})", .hint) }
    )]
    Refused {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
        /// What the code usually means, or empty.
        hint: String,
    },

    /// AWS failed on its side (HTTP 5xx) even after the SDK's retries.
    #[error(
        "{operation} on {target}: AWS Private CA failed with HTTP {status} {code}: {message} \
         (request id {}). The SDK's retries did not help; try again later, and check the AWS \
         Health Dashboard",
        .request_id.as_deref().unwrap_or("unknown")
    )]
    Service {
        operation: &'static str,
        target: String,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },

    /// A timeout of [`AwsTimeouts`] fired: the endpoint did not answer in time.
    #[error(
        "{operation} on {target}: no answer from {endpoint} in time: the {which} of {} s fired \
         ({}). Check the network, the proxy or VPC endpoint, and `endpoint_url` / \
         AWS_ENDPOINT_URL; {} sets this timeout (seconds). A call that changes something (an \
         import, a creation) may still have been carried out: check the certificate authority \
         (`rootca pca describe`) before repeating the step",
        seconds_text(*.seconds), timeout_meaning(*.which, *.attempts), .which.variable()
    )]
    Timeout {
        operation: &'static str,
        target: String,
        endpoint: String,
        which: TimeoutKind,
        /// The length of the timeout that fired.
        seconds: f64,
        /// The most attempts the SDK's retry makes.
        attempts: u32,
    },

    /// A `ROOTCA_AWS_*_TIMEOUT_SECS` variable has a value rootca cannot use.
    #[error(
        "{variable}={value:?} cannot be used: {problem}. Give the timeout in seconds, e.g. \
         {variable}=30, or unset it for the default"
    )]
    InvalidTimeout {
        variable: &'static str,
        value: String,
        problem: &'static str,
    },

    /// The endpoint could not be reached (connection refused, DNS, TLS).
    #[error(
        "{operation} on {target}: could not reach AWS Private CA at {endpoint}: {detail}. Check \
         the network, the proxy or VPC endpoint, and `endpoint_url` / AWS_ENDPOINT_URL"
    )]
    Unreachable {
        operation: &'static str,
        target: String,
        endpoint: String,
        detail: String,
    },

    /// Something answered, but not like AWS Private CA.
    #[error(
        "{operation} on {target}: unexpected answer from {endpoint}{}: {detail}. Is this the AWS \
         Private CA endpoint?",
        .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
    )]
    UnexpectedResponse {
        operation: &'static str,
        target: String,
        endpoint: String,
        status: Option<u16>,
        detail: String,
    },

    /// The SDK could not build the request (a parameter it refuses locally).
    #[error("{operation} on {target}: the AWS SDK could not build the request: {detail}")]
    Request {
        operation: &'static str,
        target: String,
        detail: String,
    },

    /// A subordinate CA specification refused before any call to AWS.
    #[error("subordinate CA specification: `{field}`: {problem}")]
    InvalidSpec {
        field: &'static str,
        problem: String,
    },

    /// The runtime that drives the SDK could not be used.
    #[error("AWS calls: {detail}")]
    Runtime { detail: String },
}

impl AwsError {
    /// The AWS error code behind this error, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::CredentialsRejected { code, .. }
            | AwsError::Throttled { code, .. }
            | AwsError::Refused { code, .. }
            | AwsError::Service { code, .. } => Some(code),
            AwsError::AccessDenied { .. } => Some("AccessDeniedException"),
            AwsError::NotFound { .. } => Some("ResourceNotFoundException"),
            AwsError::WrongState { .. } => Some("InvalidStateException"),
            AwsError::RequestInProgress { .. } => Some("RequestInProgressException"),
            _ => None,
        }
    }
}

/// The IAM action that authorises an ACM PCA API operation.
pub fn iam_action(operation: &str) -> String {
    format!("acm-pca:{operation}")
}

/// What the client was built with, for messages.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) region: String,
    pub(crate) endpoint: String,
    pub(crate) credential_sources: String,
    pub(crate) max_attempts: u32,
    pub(crate) timeouts: ConfiguredTimeouts,
}

/// The timeouts a client was built with, as its configuration holds them
/// (`None`: not set).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ConfiguredTimeouts {
    pub(crate) connect: Option<Duration>,
    pub(crate) attempt: Option<Duration>,
    pub(crate) operation: Option<Duration>,
}

impl ConfiguredTimeouts {
    pub(crate) fn of(client: &aws_sdk_acmpca::Client) -> ConfiguredTimeouts {
        ConfiguredTimeouts::from_config(client.config().timeout_config())
    }

    /// The timeouts of any service client's configuration.
    pub(crate) fn from_config(config: Option<&TimeoutConfig>) -> ConfiguredTimeouts {
        config.map_or_else(ConfiguredTimeouts::default, |t| ConfiguredTimeouts {
            connect: t.connect_timeout(),
            attempt: t.operation_attempt_timeout(),
            operation: t.operation_timeout(),
        })
    }

    /// Which timeout ended a call that took `elapsed` with the SDK's
    /// TimeoutError. The SDK does not say (its error type is private), but
    /// only the operation timeout fires at or after its own length: an
    /// attempt timeout that ends the call fires before it.
    fn which_fired(&self, elapsed: Duration) -> Option<(TimeoutKind, Duration)> {
        match (self.operation, self.attempt) {
            (Some(op), _) if elapsed >= op => Some((TimeoutKind::Operation, op)),
            (_, Some(attempt)) => Some((TimeoutKind::OperationAttempt, attempt)),
            (Some(op), None) => Some((TimeoutKind::Operation, op)),
            (None, None) => None,
        }
    }
}

/// One call: which operation, on what, and which states it accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) operation: &'static str,
    pub(crate) target: &'a str,
    pub(crate) expected_state: &'static str,
}

const SOURCES_CHAIN: &str = "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), \
     the shared config and credentials files (the profile in AWS_PROFILE, else \"default\"; \
     static keys, SSO, assumed role, credential_process), a web identity token, ECS container \
     credentials, the EC2 instance role";

fn sources_for_profile(profile: &str) -> String {
    format!(
        "the profile {profile:?} of the shared config and credentials files (~/.aws/config, \
         ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE; static keys, SSO, \
         assumed role, credential_process); a named profile takes precedence over environment \
         variables"
    )
}

/// The SDK configuration every service client is built from, and what
/// messages need to know about it.
pub(crate) struct Loaded {
    pub(crate) sdk_config: SdkConfig,
    pub(crate) region: String,
    /// Replaces the chain's credentials when the settings name a profile.
    pub(crate) profile_credentials: Option<SharedCredentialsProvider>,
    /// The credential sources tried, for messages.
    pub(crate) credential_sources: String,
}

impl Loaded {
    /// The context of a client built from this configuration.
    pub(crate) fn context(
        &self,
        endpoint: String,
        retry: Option<&RetryConfig>,
        timeouts: Option<&TimeoutConfig>,
    ) -> Context {
        Context {
            region: self.region.clone(),
            endpoint,
            credential_sources: self.credential_sources.clone(),
            max_attempts: attempts_of(retry),
            timeouts: ConfiguredTimeouts::from_config(timeouts),
        }
    }
}

/// Loads the SDK configuration through the standard chain with `settings`
/// and `timeouts` applied, then lets `adjust` change the loader (tests use
/// it for explicit credentials or other timeouts). The same for every
/// service; each builds its client from it. Must run inside a tokio runtime.
pub(crate) async fn load_config(
    settings: &AwsSettings,
    timeouts: &AwsTimeouts,
    adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
) -> Result<Loaded, AwsError> {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.timeout_config());
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let sdk_config = adjust(loader).load().await;
    let region = sdk_config
        .region()
        .map(|r| r.as_ref().to_string())
        .ok_or(AwsError::NoRegion)?;

    let (profile_credentials, credential_sources) = match &settings.profile {
        Some(profile) => {
            // The default chain reads environment variables before the profile; a profile
            // named in the ceremony file must not be overridden by a stray AWS_ACCESS_KEY_ID.
            let provider_config = aws_config::provider_config::ProviderConfig::without_region()
                .with_region(Some(Region::new(region.clone())));
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build();
            (
                Some(SharedCredentialsProvider::new(provider)),
                sources_for_profile(profile),
            )
        }
        None => (None, SOURCES_CHAIN.to_string()),
    };
    Ok(Loaded {
        sdk_config,
        region,
        profile_credentials,
        credential_sources,
    })
}

/// Loads the configuration ([`load_config`]) and builds the Private CA
/// client from it. Must run inside a tokio runtime.
pub(crate) async fn load_client(
    settings: &AwsSettings,
    timeouts: &AwsTimeouts,
    adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
) -> Result<(aws_sdk_acmpca::Client, Context), AwsError> {
    let loaded = load_config(settings, timeouts, adjust).await?;
    let mut builder = aws_sdk_acmpca::config::Builder::from(&loaded.sdk_config);
    if let Some(provider) = &loaded.profile_credentials {
        builder = builder.credentials_provider(provider.clone());
    }
    if let Some(url) = &settings.endpoint_url {
        builder = builder.endpoint_url(url);
    }
    let client = aws_sdk_acmpca::Client::from_conf(builder.build());
    let endpoint = describe_endpoint(settings, &loaded.sdk_config, &loaded.region).await;
    let ctx = loaded.context(
        endpoint,
        client.config().retry_config(),
        client.config().timeout_config(),
    );
    Ok((client, ctx))
}

pub(crate) fn max_attempts(client: &aws_sdk_acmpca::Client) -> u32 {
    attempts_of(client.config().retry_config())
}

/// The most attempts a client with this retry configuration makes.
pub(crate) fn attempts_of(retry: Option<&RetryConfig>) -> u32 {
    retry.map_or(1, RetryConfig::max_attempts)
}

/// The endpoint URL configured for the service `service_id` (as the SDK
/// names it: `ACM PCA`, `S3`), with the SDK's precedence: explicit setting,
/// AWS_ENDPOINT_URL_<SERVICE> (or the profile's service endpoint_url),
/// AWS_ENDPOINT_URL (or the profile's endpoint_url). `None`: the region's
/// public endpoint.
pub(crate) fn configured_endpoint(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    service_id: &str,
) -> Option<String> {
    if let Some(url) = &settings.endpoint_url {
        return Some(url.clone());
    }
    let service_specific = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()
        .and_then(|key| sdk.service_config().and_then(|conf| conf.load_config(key)));
    service_specific.or_else(|| sdk.endpoint_url().map(str::to_string))
}

/// The endpoint the Private CA client talks to: the configured one
/// ([`configured_endpoint`]), else the region's public endpoint.
async fn describe_endpoint(settings: &AwsSettings, sdk: &SdkConfig, region: &str) -> String {
    if let Some(url) = configured_endpoint(settings, sdk, "ACM PCA") {
        return url;
    }
    let params = Params::builder()
        .region(region)
        .set_use_fips(sdk.use_fips())
        .set_use_dual_stack(sdk.use_dual_stack())
        .build();
    match params {
        Ok(params) => {
            match aws_sdk_acmpca::config::endpoint::DefaultResolver::new()
                .resolve_endpoint(&params)
                .await
            {
                Ok(endpoint) => endpoint.url().to_string(),
                Err(_) => format!("the AWS Private CA endpoint of region {region}"),
            }
        }
        Err(_) => format!("the AWS Private CA endpoint of region {region}"),
    }
}

/// A tokio current-thread runtime for a blocking client's SDK calls.
pub(crate) fn new_runtime() -> Result<tokio::runtime::Runtime, AwsError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::Runtime {
            detail: format!("could not start the runtime for AWS calls: {e}"),
        })
}

/// Refuses to block inside an async runtime; `who` names the blocking client.
pub(crate) fn reject_async_caller(who: &str) -> Result<(), AwsError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(AwsError::Runtime {
            detail: format!("{who} blocks and must not be called from inside an async runtime"),
        });
    }
    Ok(())
}

/// Error codes that mean "slow down", as AWS services spell them.
/// (`LimitExceededException` is a quota in Private CA, not throttling.)
pub(crate) const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
];

pub(crate) const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
    "UnauthorizedException",
];

pub(crate) const BAD_CREDENTIALS_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
];

fn refusal_hint(code: &str) -> &'static str {
    match code {
        "CertificateMismatchException" => {
            "the certificate's public key is not the key of this CA's current CSR, or a \
             certificate of the chain has a path length constraint the chain below it exceeds"
        }
        "MalformedCertificateException" => {
            "the certificate or chain breaks one of Private CA's import rules: PEM, one \
             certificate of at most 32 KB, a chain of at most 2 MB ordered so that each \
             certificate is signed by the next and ending in a self-signed root, not containing \
             the certificate, critical basicConstraints CA:TRUE, no unsupported critical extension"
        }
        "InvalidRequestException" => {
            "the request does not fit this certificate authority (a subordinate CA needs the \
             certificate chain, a root CA takes none)"
        }
        "InvalidArgsException" | "ValidationException" => {
            "a parameter has a value Private CA does not accept"
        }
        "LimitExceededException" => "an AWS Private CA quota of the account is reached",
        "InvalidTagException" => "a tag key or value is not allowed",
        "ConcurrentModificationException" => {
            "another change to this certificate authority is under way; repeat the step"
        }
        _ => "",
    }
}

/// `error` and its causes, outermost first, each said once.
pub(crate) fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Whether `error` or one of its causes is a credential provider's failure.
fn credentials_failure<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut current: Option<&'a (dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<CredentialsError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The region segment of an ARN, when it has one.
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// Refuses, before any call, a string that is not shaped like a
/// certificate-authority ARN; AWS checks the rest.
pub(crate) fn check_ca_arn(operation: &'static str, arn: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let shaped = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "acm-pca"
        && !parts[3].is_empty()
        && !parts[4].is_empty()
        && parts[5]
            .strip_prefix("certificate-authority/")
            .is_some_and(|id| !id.is_empty());
    if shaped {
        Ok(())
    } else {
        Err(AwsError::InvalidArn {
            operation,
            arn: arn.to_string(),
            message: "refused before calling AWS".to_string(),
        })
    }
}

/// An SDK failure sorted by what went wrong, before a service puts its
/// words on it: by error code and metadata, never by a message's text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sorted {
    /// The endpoint answered with an error.
    Service {
        status: u16,
        /// Empty when the answer carried no code (an S3 HEAD has no body).
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// No credential source of the chain gave credentials.
    NoCredentials { detail: String },
    /// One of the configured timeouts fired, and how long it was.
    Timeout { which: TimeoutKind, limit: Duration },
    /// No answer: connection refused, DNS, TLS, or a timeout not configured.
    Unreachable { detail: String },
    /// An answer the SDK could not read.
    UnexpectedResponse { status: Option<u16>, detail: String },
    /// The request could not be built.
    Request { detail: String },
}

/// Sorts an SDK failure; `elapsed` is how long the call took (it tells
/// which timeout fired).
pub(crate) fn sort_sdk_error<E>(
    error: &SdkError<E, HttpResponse>,
    elapsed: Duration,
    ctx: &Context,
) -> Sorted
where
    E: ProvideErrorMetadata + RequestId + StdError + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            Sorted::Service {
                status: service.raw().status().as_u16(),
                code: err.code().unwrap_or("").to_string(),
                message: err
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| "(no message)".to_string()),
                request_id: err.request_id().map(str::to_string),
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            if let Some(creds) = credentials_failure(error) {
                return Sorted::NoCredentials {
                    detail: chain_text(creds),
                };
            }
            let fired = match error {
                SdkError::TimeoutError(_) => ctx.timeouts.which_fired(elapsed),
                // rootca sets no read timeout, so a connector's timeout is the connect timeout.
                SdkError::DispatchFailure(dispatch) if dispatch.is_timeout() => ctx
                    .timeouts
                    .connect
                    .map(|limit| (TimeoutKind::Connect, limit)),
                _ => None,
            };
            if let Some((which, limit)) = fired {
                return Sorted::Timeout { which, limit };
            }
            let detail = match error {
                SdkError::TimeoutError(_) => format!("timed out ({})", chain_text(error)),
                _ => chain_text(error),
            };
            Sorted::Unreachable { detail }
        }
        SdkError::ResponseError(response) => Sorted::UnexpectedResponse {
            status: Some(response.raw().status().as_u16()),
            detail: chain_text(error),
        },
        SdkError::ConstructionFailure(_) => match credentials_failure(error) {
            Some(creds) => Sorted::NoCredentials {
                detail: chain_text(creds),
            },
            None => Sorted::Request {
                detail: chain_text(error),
            },
        },
        _ => Sorted::Request {
            detail: chain_text(error),
        },
    }
}

/// Turns an SDK failure of a Private CA call into the officer's error, by
/// error code and metadata; `elapsed` is how long the call took (it tells
/// which timeout fired).
pub(crate) fn map_sdk_error<E>(
    error: SdkError<E, HttpResponse>,
    call: Call<'_>,
    elapsed: Duration,
    ctx: &Context,
) -> AwsError
where
    E: ProvideErrorMetadata + RequestId + StdError + Send + Sync + 'static,
{
    let operation = call.operation;
    let target = call.target.to_string();
    match sort_sdk_error(&error, elapsed, ctx) {
        Sorted::Service {
            status,
            code,
            message,
            request_id,
        } => classify(
            operation,
            target,
            call.expected_state,
            ctx,
            status,
            code,
            message,
            request_id,
        ),
        Sorted::NoCredentials { detail } => AwsError::NoCredentials {
            operation,
            target,
            sources: ctx.credential_sources.clone(),
            detail,
        },
        Sorted::Timeout { which, limit } => AwsError::Timeout {
            operation,
            target,
            endpoint: ctx.endpoint.clone(),
            which,
            seconds: limit.as_secs_f64(),
            attempts: ctx.max_attempts,
        },
        Sorted::Unreachable { detail } => AwsError::Unreachable {
            operation,
            target,
            endpoint: ctx.endpoint.clone(),
            detail,
        },
        Sorted::UnexpectedResponse { status, detail } => AwsError::UnexpectedResponse {
            operation,
            target,
            endpoint: ctx.endpoint.clone(),
            status,
            detail,
        },
        Sorted::Request { detail } => AwsError::Request {
            operation,
            target,
            detail,
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn classify(
    operation: &'static str,
    target: String,
    expected_state: &'static str,
    ctx: &Context,
    status: u16,
    code: String,
    message: String,
    request_id: Option<String>,
) -> AwsError {
    let code_str = code.as_str();
    if ACCESS_DENIED_CODES.contains(&code_str) {
        return AwsError::AccessDenied {
            operation,
            target,
            action: iam_action(operation),
            message,
        };
    }
    if BAD_CREDENTIALS_CODES.contains(&code_str) {
        return AwsError::CredentialsRejected {
            operation,
            target,
            code,
            message,
        };
    }
    if THROTTLING_CODES.contains(&code_str) {
        return AwsError::Throttled {
            operation,
            target,
            code,
            attempts: ctx.max_attempts,
            message,
        };
    }
    match code_str {
        "ResourceNotFoundException" => {
            let hint = match arn_region(&target) {
                Some(r) if r != ctx.region => format!(
                    "; the ARN names region {r} but the request went to {}",
                    ctx.region
                ),
                _ => String::new(),
            };
            return AwsError::NotFound {
                operation,
                arn: target,
                region: ctx.region.clone(),
                hint,
                message,
            };
        }
        "InvalidArnException" => {
            return AwsError::InvalidArn {
                operation,
                arn: target,
                message,
            };
        }
        "InvalidStateException" => {
            return AwsError::WrongState {
                operation,
                arn: target,
                state: None,
                expected: expected_state,
                message,
            };
        }
        "RequestInProgressException" => {
            return AwsError::RequestInProgress {
                operation,
                target,
                message,
            };
        }
        _ => {}
    }
    if (400..500).contains(&status) && !code.is_empty() {
        let hint = refusal_hint(code_str).to_string();
        return AwsError::Refused {
            operation,
            target,
            code,
            message,
            hint,
        };
    }
    AwsError::Service {
        operation,
        target,
        status,
        code: if code.is_empty() {
            "(no error code)".to_string()
        } else {
            code
        },
        message,
        request_id,
    }
}
