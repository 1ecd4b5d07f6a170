//! What an officer reads when a call to S3 fails: which call, on which
//! object, and what to do about it.

use std::fmt;

use super::*;

/// Which call, on which object: every S3 message starts with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// The S3 API operation, e.g. `PutObject`.
    pub operation: &'static str,
    pub bucket: String,
    pub key: String,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operation == GET_PUBLIC_ACCESS_BLOCK {
            write!(
                f,
                "{} on bucket {} (publishing key {})",
                self.operation, self.bucket, self.key
            )
        } else {
            write!(
                f,
                "{} of s3://{}/{} (bucket {}, key {})",
                self.operation, self.bucket, self.key, self.bucket, self.key
            )
        }
    }
}

impl At {
    pub(super) fn target(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn changes(&self) -> bool {
        self.operation == PUT_OBJECT
    }
}

pub(super) fn changed_note(at: &At) -> &'static str {
    if at.changes() {
        ". The upload may still have been carried out; running the command again uploads the \
         same bytes to the same key, which is harmless"
    } else {
        ". Nothing had been uploaded yet"
    }
}

/// What can go wrong publishing to S3, for the officer.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// What is the same for every AWS service: no region, a timeout variable
    /// that cannot be used, no credentials, rejected credentials, the runtime.
    #[error(transparent)]
    Aws(#[from] AwsError),

    /// The bucket does not exist for these credentials.
    #[error(
        "{at}: bucket {} does not exist (NoSuchBucket) in region {region} of the credentials' \
         account, as {endpoint} sees it. Check the bucket name in --to, the account and the \
         region, or create the bucket first (private, with all four public access block \
         settings on). AWS said: {message}",
        .at.bucket
    )]
    NoSuchBucket {
        at: Box<At>,
        region: String,
        endpoint: String,
        message: String,
    },

    /// The caller's IAM policy, the bucket policy or an SCP does not allow the call.
    #[error(
        "{at}: access denied. The IAM policy of the role or user running rootca must allow \
         `{action}` on {} (and no bucket policy or SCP may deny it){}. AWS said: {message}",
        .resource, kms_note(.at.operation)
    )]
    AccessDenied {
        at: Box<At>,
        /// The IAM action needed, e.g. `s3:PutObject`.
        action: &'static str,
        /// The resource the action must be allowed on, as an ARN.
        resource: String,
        message: String,
    },

    /// The bucket lives in another region than the one the request went to.
    #[error(
        "{at}: bucket {} is not in region {region}{}; give that region with --region ({code}). \
         AWS said: {message}",
        .at.bucket,
        .bucket_region.as_ref().map(|r| format!(" but in {r}")).unwrap_or_default()
    )]
    WrongRegion {
        at: Box<At>,
        region: String,
        /// The region S3 named in `x-amz-bucket-region`, when it did.
        bucket_region: Option<String>,
        code: String,
        message: String,
    },

    /// Throttled on every attempt the SDK's standard retry made.
    #[error(
        "{at}: S3 throttled the request ({code}) on all {attempts} attempts of the SDK's \
         standard retry{}. Wait a minute and run the command again. AWS said: {message}",
        changed_note(.at)
    )]
    Throttled {
        at: Box<At>,
        code: String,
        attempts: u32,
        message: String,
    },

    /// S3 refused the request (HTTP 4xx).
    #[error("{at}: S3 refused the request with HTTP {status} {code}: {message}{}", changed_note(.at))]
    Refused {
        at: Box<At>,
        status: u16,
        code: String,
        message: String,
    },

    /// S3 failed on its side (HTTP 5xx) even after the SDK's retries.
    #[error(
        "{at}: S3 failed with HTTP {status} {code}: {message} (request id {}). The SDK's retries \
         did not help; try again later{}",
        .request_id.as_deref().unwrap_or("unknown"), changed_note(.at)
    )]
    Service {
        at: Box<At>,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },

    /// A timeout of [`AwsTimeouts`] fired.
    #[error(
        "{at}: no answer from {endpoint} in time: the {which} of {} s fired. Check the network, \
         the proxy or VPC endpoint, and --endpoint-url / AWS_ENDPOINT_URL; {} sets this timeout \
         (seconds){}",
        .seconds, .which.variable(), changed_note(.at)
    )]
    Timeout {
        at: Box<At>,
        endpoint: String,
        which: TimeoutKind,
        seconds: f64,
        attempts: u32,
    },

    /// The endpoint could not be reached (connection refused, DNS, TLS).
    #[error(
        "{at}: could not reach S3 at {endpoint}: {detail}. Check the network, the proxy or VPC \
         endpoint, and --endpoint-url / AWS_ENDPOINT_URL{}",
        changed_note(.at)
    )]
    Unreachable {
        at: Box<At>,
        endpoint: String,
        detail: String,
    },

    /// Something answered, but not like S3.
    #[error(
        "{at}: unexpected answer from {endpoint}{}: {detail}. Is this an S3 endpoint?",
        .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
    )]
    UnexpectedResponse {
        at: Box<At>,
        endpoint: String,
        status: Option<u16>,
        detail: String,
    },

    /// The SDK could not build the request.
    #[error("{at}: the AWS SDK could not build the request: {detail}")]
    Request { at: Box<At>, detail: String },

    /// PutObject succeeded, but the object could not be read back.
    #[error(
        "s3://{bucket}/{key}: the CRL was uploaded (PutObject answered ETag {}), but it could \
         not be read back to compare: {source}",
        .etag.as_deref().unwrap_or("(none)")
    )]
    NotReadBack {
        bucket: String,
        key: String,
        /// PutObject's ETag.
        etag: Option<String>,
        source: Box<S3Error>,
    },

    /// The object read back is not the one uploaded.
    #[error(
        "s3://{bucket}/{key}: the object read back after the upload is not the CRL uploaded: \
         {detail}. Something else may have written to the key at the same time. The object at \
         the key is not known to be this CRL: run the command again"
    )]
    ReadBackDiffers {
        bucket: String,
        key: String,
        detail: String,
    },

    /// The object read back carries another Content-Type.
    #[error(
        "s3://{bucket}/{key}: the object read back has Content-Type {}, not {expected}; \
         clients fetching the CRL through the URL would get that type. The bytes are the CRL's",
        .found.as_deref().map_or_else(|| "(none)".to_string(), |f| format!("{f:?}"))
    )]
    WrongContentType {
        bucket: String,
        key: String,
        expected: &'static str,
        found: Option<String>,
    },
}

pub(super) fn kms_note(operation: &str) -> &'static str {
    match operation {
        PUT_OBJECT => "; if the bucket encrypts with a KMS key, also `kms:GenerateDataKey` on it",
        GET_OBJECT | HEAD_OBJECT => {
            "; if the bucket encrypts with a KMS key, also `kms:Decrypt` on it"
        }
        _ => "",
    }
}

impl S3Error {
    /// The S3 error code behind this error, when S3 answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            S3Error::Aws(e) => e.code(),
            S3Error::NotReadBack { source, .. } => source.code(),
            S3Error::NoSuchBucket { .. } => Some("NoSuchBucket"),
            S3Error::AccessDenied { .. } => Some("AccessDenied"),
            S3Error::WrongRegion { code, .. }
            | S3Error::Throttled { code, .. }
            | S3Error::Refused { code, .. }
            | S3Error::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// The client
