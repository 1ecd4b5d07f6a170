//! Amazon S3 for publishing the root's CRL, as a blocking API: what is at
//! the key now (HeadObject), the bucket's public access block
//! (GetPublicAccessBlock), the upload (PutObject with
//! `Content-Type: application/pkix-crl`) and the read-back (GetObject,
//! compared byte for byte).
//!
//! The client is built from the same configuration as every rootca AWS
//! client ([`crate::aws`]: the standard chain, region, profile, endpoint and
//! the [`AwsTimeouts`]). When an endpoint URL is configured (a local
//! emulator, a VPC endpoint) it addresses buckets path-style
//! (`ENDPOINT/BUCKET/KEY`), which emulators need; otherwise the SDK's
//! default (virtual-hosted) addressing applies.
//!
//! [`S3::publish`] makes the read-only calls first, so that a missing
//! bucket or a missing permission stops it before anything changes; the
//! only call that changes something is PutObject, and only the read-back
//! can fail after it. Failures come back as [`S3Error`], by error code and
//! metadata, naming the operation, the bucket, the key and the IAM action.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::ConfigLoader;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::endpoint::{Params, ResolveEndpoint};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use aws_types::SdkConfig;
use serde::Serialize;

use super::{
    ACCESS_DENIED_CODES, AwsError, AwsSettings, AwsTimeouts, BAD_CREDENTIALS_CODES, Context,
    Sorted, THROTTLING_CODES, TimeoutKind, configured_endpoint, load_config, new_runtime,
    reject_async_caller, sort_sdk_error,
};
use crate::output::sha256_hex;

mod error;
mod location;

pub use error::*;
pub use location::*;

/// The media type of a DER CRL (RFC 5280 section 4.2.1.13, RFC 2585).
pub const CRL_CONTENT_TYPE: &str = "application/pkix-crl";

const HEAD_OBJECT: &str = "HeadObject";
const GET_PUBLIC_ACCESS_BLOCK: &str = "GetPublicAccessBlock";
const PUT_OBJECT: &str = "PutObject";
const GET_OBJECT: &str = "GetObject";

/// The IAM action that authorises an S3 API operation (they do not all
/// share the operation's name).
pub fn iam_action(operation: &str) -> &'static str {
    match operation {
        PUT_OBJECT => "s3:PutObject",
        GET_PUBLIC_ACCESS_BLOCK => "s3:GetBucketPublicAccessBlock",
        // HeadObject is authorised by s3:GetObject.
        _ => "s3:GetObject",
    }
}

/// Error codes S3 uses for credentials it does not accept, beyond those
/// every service uses.
const S3_BAD_CREDENTIALS_CODES: &[&str] =
    &["InvalidAccessKeyId", "InvalidToken", "TokenRefreshRequired"];

/// What was at the key before the upload, as HeadObject saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Before {
    /// HeadObject answered 404: no object at the key.
    Absent,
    /// An object was there; the upload replaced it.
    Present {
        size: Option<i64>,
        etag: Option<String>,
        /// RFC 3339.
        last_modified: Option<String>,
        content_type: Option<String>,
        version_id: Option<String>,
    },
    /// HeadObject was refused (HTTP 403). S3 answers 403 instead of 404 for
    /// an absent object when the caller may not list the bucket
    /// (`s3:ListBucket`), so this is most likely "no object before".
    Unknown { reason: String },
}

/// The four settings of a bucket's public access block; a setting the
/// answer leaves out counts as off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Every setting on.
    pub fn all_on(&self) -> bool {
        self.off().is_empty()
    }

    /// The names (as S3 spells them) of the settings that are off.
    pub fn off(&self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

/// The bucket's public access block, as GetPublicAccessBlock reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PublicAccess {
    /// The bucket has a public access block (some settings may be off).
    Configured { settings: PublicAccessBlock },
    /// NoSuchPublicAccessBlockConfiguration: the bucket has none.
    Absent,
}

impl PublicAccess {
    /// Whether the bucket's own block has all four settings on.
    pub fn blocked(&self) -> bool {
        matches!(self, PublicAccess::Configured { settings } if settings.all_on())
    }

    /// The warning an officer must read, unless the bucket blocks all public access.
    pub fn warning(&self, bucket: &str) -> Option<String> {
        const ADVICE: &str = "AWS recommends serving a CRL through CloudFront (origin access \
             control) from a private bucket with all four settings on (aws s3api \
             put-public-access-block). rootca reads only the bucket's own block, not the \
             account's";
        match self {
            PublicAccess::Configured { settings } if settings.all_on() => None,
            PublicAccess::Configured { settings } => Some(format!(
                "the public access block of bucket {bucket} is off for {}. {ADVICE}",
                settings.off().join(", ")
            )),
            PublicAccess::Absent => Some(format!(
                "bucket {bucket} has no public access block \
                 (NoSuchPublicAccessBlockConfiguration). {ADVICE}"
            )),
        }
    }
}

/// The object as GetObject returned it after the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadBack {
    /// Always true in a [`Publication`]: a difference is [`S3Error::ReadBackDiffers`].
    pub identical: bool,
    pub size: u64,
    pub content_type: String,
    pub etag: Option<String>,
}

/// What PutObject answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub etag: Option<String>,
    /// When the bucket keeps versions.
    pub version_id: Option<String>,
}

/// What GetObject returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
}

/// One publication: what was there, what was uploaded, what was read back,
/// and the bucket's public access block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub bucket: String,
    pub key: String,
    /// Bytes uploaded.
    pub size: u64,
    /// SHA-256 of the bytes uploaded, lowercase hex.
    pub sha256: String,
    pub content_type: String,
    pub before: Before,
    /// PutObject's ETag.
    pub etag: Option<String>,
    /// PutObject's version id, when the bucket keeps versions.
    pub version_id: Option<String>,
    pub read_back: ReadBack,
    pub public_access: PublicAccess,
}

// ---------------------------------------------------------------------------
// Errors

/// A connection to S3 in one region, with blocking calls.
///
/// Do not call it from inside an async runtime: it runs its own.
pub struct S3 {
    runtime: tokio::runtime::Runtime,
    client: Client,
    ctx: Context,
}

impl fmt::Debug for S3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3")
            .field("region", &self.ctx.region)
            .field("endpoint", &self.ctx.endpoint)
            .finish_non_exhaustive()
    }
}

impl S3 {
    /// Loads the AWS configuration (standard chain, `settings` applied) and
    /// builds the client, with the timeouts of [`AwsTimeouts::from_env`].
    /// Fails only for a missing region or runtime, or a timeout variable
    /// that cannot be used; credentials are resolved, and reported, at the
    /// first call.
    pub fn connect(settings: &AwsSettings) -> Result<S3, S3Error> {
        S3::connect_with(settings, |loader| loader)
    }

    /// Like [`S3::connect`], with `adjust` applied to aws-config's loader
    /// after the settings and timeouts (explicit credentials in tests).
    pub fn connect_with(
        settings: &AwsSettings,
        adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<S3, S3Error> {
        S3::connect_with_timeouts(settings, &AwsTimeouts::from_env()?, adjust)
    }

    /// Like [`S3::connect_with`], with `timeouts` instead of those of the environment.
    pub fn connect_with_timeouts(
        settings: &AwsSettings,
        timeouts: &AwsTimeouts,
        adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<S3, S3Error> {
        let runtime = new_runtime()?;
        reject_async_caller("S3")?;
        let (client, ctx) = runtime.block_on(async {
            let loaded = load_config(settings, timeouts, adjust).await?;
            let configured = configured_endpoint(settings, &loaded.sdk_config, "S3");
            let mut builder = aws_sdk_s3::config::Builder::from(&loaded.sdk_config);
            if let Some(provider) = &loaded.profile_credentials {
                builder = builder.credentials_provider(provider.clone());
            }
            if let Some(url) = &settings.endpoint_url {
                builder = builder.endpoint_url(url);
            }
            // An emulator or a VPC endpoint takes the bucket in the path.
            if configured.is_some() {
                builder = builder.force_path_style(true);
            }
            let client = Client::from_conf(builder.build());
            let endpoint = match configured {
                Some(url) => url,
                None => default_endpoint(&loaded.sdk_config, &loaded.region).await,
            };
            let ctx = loaded.context(
                endpoint,
                client.config().retry_config(),
                client.config().timeout_config(),
            );
            Ok::<_, AwsError>((client, ctx))
        })?;
        Ok(S3 {
            runtime,
            client,
            ctx,
        })
    }

    /// Wraps a client configured elsewhere, e.g. one whose HTTP traffic is
    /// replaced by aws-smithy-mocks in tests. Messages then name the
    /// endpoint only as "the client's endpoint".
    pub fn from_client(client: Client) -> Result<S3, S3Error> {
        let runtime = new_runtime()?;
        let region = client
            .config()
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or(AwsError::NoRegion)?;
        let ctx = Context {
            region,
            endpoint: "the client's endpoint".to_string(),
            credential_sources: "the credentials provider of the given client".to_string(),
            max_attempts: super::attempts_of(client.config().retry_config()),
            timeouts: super::ConfiguredTimeouts::from_config(client.config().timeout_config()),
        };
        Ok(S3 {
            runtime,
            client,
            ctx,
        })
    }

    /// The region the calls go to.
    pub fn region(&self) -> &str {
        &self.ctx.region
    }

    /// The endpoint the calls go to, as far as the configuration tells.
    pub fn endpoint(&self) -> &str {
        &self.ctx.endpoint
    }

    /// HeadObject (IAM: `s3:GetObject`): what is at the key. A 404 is
    /// [`Before::Absent`]; a 403 is [`Before::Unknown`], since S3 answers
    /// 403 for an absent object to a caller without `s3:ListBucket`.
    pub fn head(&self, location: &S3Location) -> Result<Before, S3Error> {
        let at = self.at(HEAD_OBJECT, location);
        let (result, elapsed) = self.block_on(
            self.client
                .head_object()
                .bucket(&location.bucket)
                .key(&location.key)
                .send(),
        )?;
        match result {
            Ok(out) => Ok(Before::Present {
                size: out.content_length(),
                etag: out.e_tag().map(str::to_string),
                last_modified: out.last_modified().map(rfc3339),
                content_type: out.content_type().map(str::to_string),
                version_id: out.version_id().map(str::to_string),
            }),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Ok(Before::Absent),
                Some(403) => Ok(Before::Unknown {
                    reason: "HeadObject was refused (HTTP 403): S3 answers so for an absent \
                             object when the caller may not list the bucket (s3:ListBucket), \
                             or when s3:GetObject is not allowed"
                        .to_string(),
                }),
                _ => Err(self.map_error(e, at, elapsed)),
            },
        }
    }

    /// GetPublicAccessBlock on the bucket (IAM: `s3:GetBucketPublicAccessBlock`).
    /// NoSuchPublicAccessBlockConfiguration is [`PublicAccess::Absent`].
    pub fn public_access(&self, location: &S3Location) -> Result<PublicAccess, S3Error> {
        let at = self.at(GET_PUBLIC_ACCESS_BLOCK, location);
        let (result, elapsed) = self.block_on(
            self.client
                .get_public_access_block()
                .bucket(&location.bucket)
                .send(),
        )?;
        match result {
            Ok(out) => {
                let config = out.public_access_block_configuration();
                let on = |get: fn(
                    &aws_sdk_s3::types::PublicAccessBlockConfiguration,
                ) -> Option<bool>| {
                    config.and_then(get).unwrap_or(false)
                };
                Ok(PublicAccess::Configured {
                    settings: PublicAccessBlock {
                        block_public_acls: on(|c| c.block_public_acls()),
                        ignore_public_acls: on(|c| c.ignore_public_acls()),
                        block_public_policy: on(|c| c.block_public_policy()),
                        restrict_public_buckets: on(|c| c.restrict_public_buckets()),
                    },
                })
            }
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => {
                Ok(PublicAccess::Absent)
            }
            Err(e) => Err(self.map_error(e, at, elapsed)),
        }
    }

    /// PutObject of `body` with `content_type` (IAM: `s3:PutObject`).
    pub fn put(
        &self,
        location: &S3Location,
        body: &[u8],
        content_type: &str,
    ) -> Result<Uploaded, S3Error> {
        let at = self.at(PUT_OBJECT, location);
        let (result, elapsed) = self.block_on(
            self.client
                .put_object()
                .bucket(&location.bucket)
                .key(&location.key)
                .content_type(content_type)
                .body(ByteStream::from(body.to_vec()))
                .send(),
        )?;
        let out = result.map_err(|e| self.map_error(e, at, elapsed))?;
        Ok(Uploaded {
            etag: out.e_tag().map(str::to_string),
            version_id: out.version_id().map(str::to_string),
        })
    }

    /// GetObject (IAM: `s3:GetObject`): the object's bytes, at most `limit`
    /// of them (more is [`S3Error::ReadBackDiffers`]), its Content-Type and ETag.
    pub fn get(&self, location: &S3Location, limit: u64) -> Result<Fetched, S3Error> {
        let at = self.at(GET_OBJECT, location);
        let differs = |detail: String| S3Error::ReadBackDiffers {
            bucket: location.bucket.clone(),
            key: location.key.clone(),
            detail,
        };
        let (result, elapsed) = self.block_on(
            self.client
                .get_object()
                .bucket(&location.bucket)
                .key(&location.key)
                .send(),
        )?;
        let mut out = result.map_err(|e| self.map_error(e, at.clone(), elapsed))?;
        if let Some(length) = out.content_length()
            && !u64::try_from(length).is_ok_and(|l| l <= limit)
        {
            return Err(differs(format!(
                "GetObject announces {length} bytes, more than the {limit} uploaded"
            )));
        }
        let content_type = out.content_type().map(str::to_string);
        let etag = out.e_tag().map(str::to_string);
        let mut bytes = Vec::new();
        let read: Result<(), String> = self.runtime.block_on(async {
            while let Some(chunk) = out.body.next().await {
                let chunk = chunk.map_err(|e| super::chain_text(&e))?;
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > limit {
                    return Err(format!(
                        "the body is longer than the {limit} bytes uploaded"
                    ));
                }
            }
            Ok(())
        });
        read.map_err(|detail| S3Error::Unreachable {
            at: Box::new(at),
            endpoint: self.ctx.endpoint.clone(),
            detail: format!("reading the object's body failed: {detail}"),
        })?;
        Ok(Fetched {
            bytes,
            content_type,
            etag,
        })
    }

    /// Publishes `body` at `location` with `content_type`: HeadObject (what
    /// is there), GetPublicAccessBlock, then PutObject, then GetObject,
    /// compared byte for byte and by Content-Type. IAM: `s3:GetObject` and
    /// `s3:PutObject` on the object, `s3:GetBucketPublicAccessBlock` on the
    /// bucket.
    pub fn publish(
        &self,
        location: &S3Location,
        body: &[u8],
        content_type: &'static str,
    ) -> Result<Publication, S3Error> {
        let before = self.head(location)?;
        let public_access = self.public_access(location)?;
        let Uploaded { etag, version_id } = self.put(location, body, content_type)?;
        let size = body.len() as u64;
        let Fetched {
            bytes: got,
            content_type: got_type,
            etag: got_etag,
        } = self.get(location, size).map_err(|e| match e {
            e @ S3Error::ReadBackDiffers { .. } => e,
            e => S3Error::NotReadBack {
                bucket: location.bucket.clone(),
                key: location.key.clone(),
                etag: etag.clone(),
                source: Box::new(e),
            },
        })?;
        if got != body {
            return Err(S3Error::ReadBackDiffers {
                bucket: location.bucket.clone(),
                key: location.key.clone(),
                detail: format!(
                    "uploaded {size} bytes with SHA-256 {}, read back {} bytes with SHA-256 {}",
                    sha256_hex(body),
                    got.len(),
                    sha256_hex(&got)
                ),
            });
        }
        if got_type.as_deref() != Some(content_type) {
            return Err(S3Error::WrongContentType {
                bucket: location.bucket.clone(),
                key: location.key.clone(),
                expected: content_type,
                found: got_type,
            });
        }
        Ok(Publication {
            bucket: location.bucket.clone(),
            key: location.key.clone(),
            size,
            sha256: sha256_hex(body),
            content_type: content_type.to_string(),
            before,
            etag,
            version_id,
            read_back: ReadBack {
                identical: true,
                size: got.len() as u64,
                content_type: content_type.to_string(),
                etag: got_etag,
            },
            public_access,
        })
    }

    /// [`S3::publish`] of a DER CRL with `Content-Type: application/pkix-crl`.
    pub fn publish_crl(&self, location: &S3Location, der: &[u8]) -> Result<Publication, S3Error> {
        self.publish(location, der, CRL_CONTENT_TYPE)
    }

    fn at(&self, operation: &'static str, location: &S3Location) -> At {
        At {
            operation,
            bucket: location.bucket.clone(),
            key: location.key.clone(),
        }
    }

    /// Runs one SDK call to its end, and says how long it took.
    fn block_on<F: Future>(&self, future: F) -> Result<(F::Output, Duration), S3Error> {
        reject_async_caller("S3")?;
        let started = Instant::now();
        let output = self.runtime.block_on(future);
        Ok((output, started.elapsed()))
    }

    /// Turns an SDK failure into the officer's error, by code and metadata.
    fn map_error<E>(&self, error: SdkError<E, HttpResponse>, at: At, elapsed: Duration) -> S3Error
    where
        E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    {
        let bucket_region = error
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_string);
        let ctx = &self.ctx;
        let at = Box::new(at);
        match sort_sdk_error(&error, elapsed, ctx) {
            Sorted::Service {
                status,
                code,
                message,
                request_id,
            } => classify(at, ctx, status, code, message, request_id, bucket_region),
            Sorted::NoCredentials { detail } => S3Error::Aws(AwsError::NoCredentials {
                operation: at.operation,
                target: at.target(),
                sources: ctx.credential_sources.clone(),
                detail,
            }),
            Sorted::Timeout { which, limit } => S3Error::Timeout {
                at,
                endpoint: ctx.endpoint.clone(),
                which,
                seconds: limit.as_secs_f64(),
                attempts: ctx.max_attempts,
            },
            Sorted::Unreachable { detail } => S3Error::Unreachable {
                at,
                endpoint: ctx.endpoint.clone(),
                detail,
            },
            Sorted::UnexpectedResponse { status, detail } => S3Error::UnexpectedResponse {
                at,
                endpoint: ctx.endpoint.clone(),
                status,
                detail,
            },
            Sorted::Request { detail } => S3Error::Request { at, detail },
        }
    }
}

fn classify(
    at: Box<At>,
    ctx: &Context,
    status: u16,
    code: String,
    message: String,
    request_id: Option<String>,
    bucket_region: Option<String>,
) -> S3Error {
    let code_str = code.as_str();
    if ACCESS_DENIED_CODES.contains(&code_str)
        || code_str == "AllAccessDisabled"
        || (status == 403 && code.is_empty())
    {
        let partition = partition(&ctx.region);
        let resource = if at.operation == GET_PUBLIC_ACCESS_BLOCK {
            format!("arn:{partition}:s3:::{}", at.bucket)
        } else {
            format!("arn:{partition}:s3:::{}/{}", at.bucket, at.key)
        };
        return S3Error::AccessDenied {
            action: iam_action(at.operation),
            resource,
            at,
            message,
        };
    }
    if BAD_CREDENTIALS_CODES.contains(&code_str) || S3_BAD_CREDENTIALS_CODES.contains(&code_str) {
        return S3Error::Aws(AwsError::CredentialsRejected {
            operation: at.operation,
            target: at.target(),
            code,
            message,
        });
    }
    if THROTTLING_CODES.contains(&code_str) {
        return S3Error::Throttled {
            at,
            code,
            attempts: ctx.max_attempts,
            message,
        };
    }
    if code_str == "NoSuchBucket" {
        return S3Error::NoSuchBucket {
            at,
            region: ctx.region.clone(),
            endpoint: ctx.endpoint.clone(),
            message,
        };
    }
    let elsewhere = bucket_region.as_deref().is_some_and(|r| r != ctx.region);
    if code_str == "PermanentRedirect"
        || status == 301
        || (code_str == "AuthorizationHeaderMalformed" && elsewhere)
    {
        return S3Error::WrongRegion {
            at,
            region: ctx.region.clone(),
            bucket_region,
            code: if code.is_empty() {
                format!("HTTP {status}")
            } else {
                code
            },
            message,
        };
    }
    let code = if code.is_empty() {
        "(no error code)".to_string()
    } else {
        code
    };
    if (400..500).contains(&status) {
        return S3Error::Refused {
            at,
            status,
            code,
            message,
        };
    }
    S3Error::Service {
        at,
        status,
        code,
        message,
        request_id,
    }
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The region's public S3 endpoint, for messages.
async fn default_endpoint(sdk: &SdkConfig, region: &str) -> String {
    let fallback = || format!("the S3 endpoint of region {region}");
    let Ok(params) = Params::builder()
        .region(region)
        .set_use_fips(sdk.use_fips())
        .set_use_dual_stack(sdk.use_dual_stack())
        .build()
    else {
        return fallback();
    };
    match aws_sdk_s3::config::endpoint::DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
    {
        Ok(endpoint) => endpoint.url().to_string(),
        Err(_) => fallback(),
    }
}

fn rfc3339(t: &DateTime) -> String {
    t.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_bucket_and_key() {
        let l = S3Location::parse("s3://example-crl/crl/root-g1.crl").unwrap();
        assert_eq!(l.bucket, "example-crl");
        assert_eq!(l.key, "crl/root-g1.crl");
        assert_eq!(l.to_string(), "s3://example-crl/crl/root-g1.crl");
    }

    #[test]
    fn locations_outside_the_strict_form_are_refused_with_what_is_accepted() {
        for (bad, problem) in [
            ("https://example-crl/root.crl", "does not start with s3://"),
            ("S3://example-crl/root.crl", "does not start with s3://"),
            ("s3://example-crl", "no key"),
            ("s3://example-crl/", "key \"\": it is empty"),
            ("s3://Example-crl/root.crl", "holds 'E'"),
            ("s3://ex/root.crl", "2 characters"),
            ("s3://-example/root.crl", "start and end"),
            ("s3://a..b/root.crl", "two dots"),
            ("s3://192.168.1.1/root.crl", "IP address"),
            ("s3://xn--abc/root.crl", "prefix"),
            ("s3://example-crl//root.crl", "empty part"),
            ("s3://example-crl/crl/", "empty part"),
            ("s3://example-crl/a/../root.crl", "part \"..\""),
            ("s3://example-crl/root crl", "holds ' '"),
            ("s3://example-crl/root.crl?x", "holds '?'"),
            ("s3://example-crl/r\u{e9}.crl", "holds"),
            ("s3://example-crl/root\n.crl", "holds '\\n'"),
        ] {
            let e = S3Location::parse(bad).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(problem), "{bad}: {text}");
            assert!(text.contains("s3://BUCKET/KEY"), "{bad}: {text}");
        }
        let long = format!("s3://example-crl/{}", "a".repeat(1025));
        assert!(S3Location::parse(&long).is_err());
        assert!(S3Location::parse(&format!("s3://example-crl/{}", "a".repeat(1024))).is_ok());
    }

    #[test]
    fn a_bucket_blocks_public_access_only_with_all_four_settings() {
        let all = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        };
        assert!(
            PublicAccess::Configured { settings: all }
                .warning("b")
                .is_none()
        );
        let partial = PublicAccessBlock {
            restrict_public_buckets: false,
            ..all
        };
        let w = PublicAccess::Configured { settings: partial }
            .warning("b")
            .unwrap();
        assert!(
            w.contains("off for RestrictPublicBuckets") && w.contains("CloudFront"),
            "{w}"
        );
        let w = PublicAccess::Absent.warning("b").unwrap();
        assert!(w.contains("NoSuchPublicAccessBlockConfiguration"), "{w}");
    }

    #[test]
    fn each_operation_names_its_iam_action() {
        assert_eq!(iam_action(PUT_OBJECT), "s3:PutObject");
        assert_eq!(iam_action(GET_OBJECT), "s3:GetObject");
        assert_eq!(iam_action(HEAD_OBJECT), "s3:GetObject");
        assert_eq!(
            iam_action(GET_PUBLIC_ACCESS_BLOCK),
            "s3:GetBucketPublicAccessBlock"
        );
    }
}
