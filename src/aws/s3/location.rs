//! Where an object is: `s3://BUCKET/KEY`, parsed strictly.

use serde::Serialize;
use std::fmt;

// ---------------------------------------------------------------------------
// Where: s3://BUCKET/KEY

/// An object's place in S3, parsed strictly from `s3://BUCKET/KEY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

/// What `s3://BUCKET/KEY` accepts, for messages.
pub const LOCATION_FORM: &str = "s3://BUCKET/KEY, e.g. s3://example-root-crl/root-g1.crl: \
     BUCKET is an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, \
     starting and ending with a letter or digit, no two dots in a row, not shaped like an IP \
     address); KEY is 1 to 1024 bytes of the characters A-Z a-z 0-9 ! - _ . * ' ( ) in parts \
     separated by single slashes, none of them empty, \".\" or \"..\"";

/// A location `rootca` refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not an S3 location rootca accepts: {problem}. Expected {LOCATION_FORM}")]
pub struct LocationError {
    pub given: String,
    pub problem: String,
}

impl S3Location {
    /// Parses `s3://BUCKET/KEY`. Stricter than S3: the key may only hold
    /// the characters AWS lists as safe in object keys, which a URL carries
    /// unchanged, in non-empty parts.
    pub fn parse(text: &str) -> Result<S3Location, LocationError> {
        let refuse = |problem: String| LocationError {
            given: text.to_string(),
            problem,
        };
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| refuse("it does not start with s3://".to_string()))?;
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| refuse("it names a bucket but no key".to_string()))?;
        check_bucket(bucket).map_err(|p| refuse(format!("bucket {bucket:?}: {p}")))?;
        check_key(key).map_err(|p| refuse(format!("key {key:?}: {p}")))?;
        Ok(S3Location {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

pub(super) fn check_bucket(bucket: &str) -> Result<(), String> {
    if bucket.is_empty() {
        return Err("it is empty".to_string());
    }
    if !(3..=63).contains(&bucket.len()) {
        return Err(format!("it has {} characters", bucket.len()));
    }
    if let Some(c) = bucket
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!("it holds {c:?}"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(bucket.chars().next()) || !alnum(bucket.chars().last()) {
        return Err("it must start and end with a letter or digit".to_string());
    }
    if bucket.contains("..") {
        return Err("it has two dots in a row".to_string());
    }
    if bucket.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("it is shaped like an IP address".to_string());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if bucket.starts_with(prefix) {
            return Err(format!("S3 reserves the prefix {prefix:?}"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if bucket.ends_with(suffix) {
            return Err(format!("S3 reserves the suffix {suffix:?}"));
        }
    }
    Ok(())
}

pub(super) fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("it is empty".to_string());
    }
    if key.len() > 1024 {
        return Err(format!("it has {} bytes", key.len()));
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "!-_.*'()/".contains(*c)))
    {
        return Err(format!("it holds {c:?}"));
    }
    for part in key.split('/') {
        match part {
            "" => {
                return Err(
                    "it has an empty part (a leading, trailing or double slash)".to_string()
                );
            }
            "." | ".." => return Err(format!("it has a part {part:?}")),
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// What the calls found
