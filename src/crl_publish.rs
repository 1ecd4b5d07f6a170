//! `rootca crl publish`: the checks made on the officer's side before a
//! signed CRL is uploaded, and the report of the upload.
//!
//! Before any call to AWS: the file must hold one CRL (DER, or one PEM
//! block labelled `X509 CRL`; what is uploaded is always the DER, which is
//! what RFC 5280 section 4.2.1.13 asks an HTTP distribution point to
//! serve); `--url` must be http(s) and fit the S3 key (see [`UrlCheck`]);
//! each `--subordinate` certificate must be issued by the CRL's issuer and
//! name `--url` among its CRL distribution points. The upload itself is
//! [`crate::aws::s3::S3::publish_crl`].

use std::time::SystemTime;

use der::{Decode, Encode};
use serde::Serialize;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{CrlDistributionPoints, IssuingDistributionPoint};

use crate::aws::s3::{Before, PublicAccess, Publication, S3Location};
use crate::inspect::{self, CrlDetails, Details, Encoding};
use crate::output::hex_groups;
use crate::profile::document::{der_of, read_certificate};
use crate::text::shown;

/// Why the command refuses its input (exit 2), before any call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishRefusal {
    #[error("{file} is not a CRL: {detail}")]
    NotACrl { file: String, detail: String },

    #[error(
        "{file} holds {count} PEM blocks; give a file with exactly one CRL (one PEM block \
         labelled X509 CRL, or DER)"
    )]
    SeveralBlocks { file: String, count: usize },

    #[error(
        "--url {url:?} cannot be used: {problem}. Give the http:// (or https://) URL that the \
         subordinates' CRL distribution points name, e.g. http://crl.example.com/root-g1.crl, \
         without user name, query or fragment"
    )]
    BadUrl { url: String, problem: String },

    #[error(
        "--url {url:?} does not fit the key {key:?}: compared part by part from the end, the \
         URL's path {path:?} and the key differ ({detail}). rootca cannot see how CloudFront \
         maps URLs to keys, so it asks that one end with the other: the key itself \
         (http://crl.example.com/root-g1.crl for key root-g1.crl), or the key under a prefix \
         that CloudFront's origin path adds (key crl/root-g1.crl served at \
         http://crl.example.com/root-g1.crl). Correct --to or --url"
    )]
    UrlKeyMismatch {
        url: String,
        path: String,
        key: String,
        detail: String,
    },

    #[error(
        "--url {url:?}: the CRL's issuingDistributionPoint names {}; a CRL must be published at \
         the distribution point it names itself",
        .named.join(", ")
    )]
    NotTheCrlsOwnPoint { url: String, named: Vec<String> },

    #[error("--subordinate {file}: {problem}")]
    Subordinate { file: String, problem: String },
}

// ---------------------------------------------------------------------------
// The CRL file

/// A CRL file read and parsed.
#[derive(Debug, Clone)]
pub struct CrlFile {
    /// The DER of the CRL: what is uploaded.
    pub der: Vec<u8>,
    /// The file was PEM (its DER is uploaded, not the file).
    pub from_pem: bool,
    pub crl: CertificateList,
    /// What `rootca inspect` shows of it.
    pub details: CrlDetails,
}

/// Reads a CRL from the bytes of `file` (named in messages): DER, or one
/// PEM block labelled `X509 CRL` (text around it, as `openssl crl -text`
/// writes, is skipped).
pub fn read_crl(file: &str, bytes: &[u8]) -> Result<CrlFile, PublishRefusal> {
    let not_a_crl = |detail: String| PublishRefusal::NotACrl {
        file: file.to_string(),
        detail,
    };
    let report = inspect::inspect(bytes).map_err(|e| not_a_crl(e.to_string()))?;
    let details = match report.details {
        Details::Crl(details) => details,
        Details::Certificate(_) => return Err(not_a_crl("it is a certificate".to_string())),
        Details::Request(_) => {
            return Err(not_a_crl("it is a certificate signing request".to_string()));
        }
    };
    let (der, from_pem) = match report.encoding {
        Encoding::Pem { .. } => {
            let count = bytes.windows(11).filter(|w| *w == b"-----BEGIN ").count();
            if count > 1 {
                return Err(PublishRefusal::SeveralBlocks {
                    file: file.to_string(),
                    count,
                });
            }
            let der = der_of(bytes, &["X509 CRL"], "CRL").map_err(|e| not_a_crl(e.to_string()))?;
            (der, true)
        }
        Encoding::Der => (bytes.to_vec(), false),
    };
    let crl = CertificateList::from_der(&der).map_err(|e| not_a_crl(e.to_string()))?;
    Ok(CrlFile {
        der,
        from_pem,
        crl,
        details,
    })
}

impl CrlFile {
    /// What an officer should know before relying parties fetch this CRL:
    /// missing nextUpdate or CRL number, a CRL expired or not yet valid at `now`.
    pub fn warnings(&self, now: SystemTime) -> Vec<String> {
        let tbs = &self.crl.tbs_cert_list;
        let mut warnings = Vec::new();
        match &tbs.next_update {
            None => warnings.push(
                "the CRL has no nextUpdate, which RFC 5280 requires of a conforming CA".to_string(),
            ),
            Some(next) if next.to_system_time() < now => warnings.push(format!(
                "the CRL's nextUpdate {} has passed: relying parties treat it as expired; sign a \
                 new CRL",
                next.to_date_time()
            )),
            Some(_) => {}
        }
        if tbs.this_update.to_system_time() > now {
            warnings.push(format!(
                "the CRL's thisUpdate {} is in the future (by this computer's clock): relying \
                 parties may reject it until then",
                tbs.this_update.to_date_time()
            ));
        }
        if self.details.crl_number.is_none() {
            warnings.push(
                "the CRL has no cRLNumber extension, which RFC 5280 requires of a conforming CA"
                    .to_string(),
            );
        }
        warnings
    }

    /// The URIs of the CRL's own issuingDistributionPoint, if it has one.
    pub fn own_distribution_points(&self) -> Vec<String> {
        self.crl
            .tbs_cert_list
            .crl_extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id.to_string() == "2.5.29.28")
            .filter_map(|e| IssuingDistributionPoint::from_der(e.extn_value.as_bytes()).ok())
            .filter_map(|idp| idp.distribution_point)
            .flat_map(|name| uris_of_name(&name))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// --url

/// How `--url` was found to fit the key. rootca cannot see CloudFront's
/// mapping from URLs to keys; what it checks is that the URL's path and
/// the key, compared part by part from the end, agree over the shorter of
/// the two. So the file name is always the same, and the rest is either
/// identical, a prefix of the key that CloudFront's origin path adds, or a
/// prefix of the URL's path that something in front of the bucket removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlCheck {
    pub url: String,
    /// The URL's path, percent-decoded.
    pub path: String,
    /// How the path and the key agree, in words.
    pub agreement: String,
    /// What rootca did not and cannot check.
    pub not_checked: String,
    /// A command that shows what the URL serves.
    pub check_with: String,
    /// Remarks, e.g. about https.
    pub warnings: Vec<String>,
}

const NOT_CHECKED: &str = "that the URL's host serves this bucket and key (rootca cannot see \
     CloudFront's mapping), that its cache lets this CRL through before the old CRL's \
     nextUpdate, and that the URL answers at all";

/// The command that shows what the URL serves, once the cache has expired.
fn check_with(url: &str) -> String {
    format!("curl -sS {url} | openssl crl -inform DER -noout -text")
}

/// Checks `--url` and that it fits the key of `location`.
pub fn check_url(url: &str, location: &S3Location) -> Result<UrlCheck, PublishRefusal> {
    let bad = |problem: &str| PublishRefusal::BadUrl {
        url: url.to_string(),
        problem: problem.to_string(),
    };
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(bad(
            "it holds spaces, control or non-ASCII characters (percent-encode them)",
        ));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("it is not an absolute URL (no scheme://)"))?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        _ => return Err(bad("its scheme is neither http nor https")),
    };
    if rest.contains('?') || rest.contains('#') {
        return Err(bad("it has a query or a fragment"));
    }
    let (authority, raw_path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(bad("it has no host"));
    }
    if authority.contains('@') {
        return Err(bad("it has a user name"));
    }
    if raw_path.is_empty() || raw_path == "/" {
        return Err(bad("it has no path: it must name the CRL file"));
    }
    let path = percent_decode(raw_path).ok_or_else(|| bad("its path has a bad %-escape"))?;
    let agreement =
        fits_key(&path, &location.key).map_err(|detail| PublishRefusal::UrlKeyMismatch {
            url: url.to_string(),
            path: path.clone(),
            key: location.key.clone(),
            detail,
        })?;
    let mut warnings = Vec::new();
    if https {
        warnings.push(
            "--url is https: relying parties then need a working TLS chain (and its own \
             revocation check) before they can fetch this CRL; RFC 5280 CRL distribution \
             points are usually plain http, the CRL being signed"
                .to_string(),
        );
    }
    Ok(UrlCheck {
        url: url.to_string(),
        path,
        agreement,
        not_checked: NOT_CHECKED.to_string(),
        check_with: check_with(url),
        warnings,
    })
}

/// Whether the URL path and the key agree part by part from the end, over
/// the shorter; the agreement in words, or where they differ.
fn fits_key(path: &str, key: &str) -> Result<String, String> {
    let path_parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let key_parts: Vec<&str> = key.split('/').collect();
    let common = path_parts.len().min(key_parts.len());
    for (i, (p, k)) in path_parts
        .iter()
        .rev()
        .zip(key_parts.iter().rev())
        .enumerate()
    {
        if p != k {
            return Err(if i == 0 {
                format!("the file names differ: {p:?} in the URL, {k:?} in the key")
            } else {
                format!("{p:?} in the URL where the key has {k:?}")
            });
        }
    }
    let extra = |parts: &[&str], n: usize| parts.get(..n).unwrap_or_default().join("/");
    Ok(match path_parts.len().cmp(&key_parts.len()) {
        std::cmp::Ordering::Equal => "the URL's path is the key".to_string(),
        std::cmp::Ordering::Less => {
            let prefix = extra(&key_parts, key_parts.len() - common);
            format!(
                "the key is the URL's path under the prefix {prefix}/: CloudFront's origin \
                 path must be /{prefix}"
            )
        }
        std::cmp::Ordering::Greater => {
            let prefix = extra(&path_parts, path_parts.len() - common);
            format!(
                "the URL's path ends with the key after /{prefix}: whatever serves the URL must \
                 drop /{prefix} before asking the bucket (a CloudFront Function, say)"
            )
        }
    })
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Refuses a `--url` that the CRL's own issuingDistributionPoint, when it
/// names URIs, does not name.
pub fn check_own_point(crl: &CrlFile, url: &str) -> Result<(), PublishRefusal> {
    let named = crl.own_distribution_points();
    if named.is_empty() || named.iter().any(|u| u == url) {
        Ok(())
    } else {
        Err(PublishRefusal::NotTheCrlsOwnPoint {
            url: url.to_string(),
            named,
        })
    }
}

// ---------------------------------------------------------------------------
// --subordinate

/// A subordinate certificate found to point at `--url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubordinateCheck {
    pub file: String,
    pub subject: String,
    pub crl_distribution_points: Vec<String>,
}

/// Checks that the certificate in `bytes` (from `file`) was issued by the
/// CRL's issuer and names `url`, exactly, among its CRL distribution points.
pub fn check_subordinate(
    file: &str,
    bytes: &[u8],
    crl: &CrlFile,
    url: &str,
) -> Result<SubordinateCheck, PublishRefusal> {
    let refuse = |problem: String| PublishRefusal::Subordinate {
        file: file.to_string(),
        problem,
    };
    let (cert, _) = read_certificate(bytes).map_err(|e| refuse(format!("the file {e}")))?;
    let tbs = cert.tbs_certificate();
    let crl_issuer = &crl.crl.tbs_cert_list.issuer;
    let same_issuer = match (tbs.issuer().to_der(), crl_issuer.to_der()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same_issuer {
        return Err(refuse(format!(
            "it was issued by {}, this CRL by {}: the CRL does not cover it",
            tbs.issuer(),
            crl_issuer
        )));
    }
    let points = distribution_points(&cert).map_err(|e| refuse(e.to_string()))?;
    let Some(points) = points else {
        return Err(refuse(format!(
            "{} has no CRL distribution points extension, so relying parties will not look for \
             this CRL at {url}",
            tbs.subject()
        )));
    };
    if !points.iter().any(|p| p == url) {
        return Err(refuse(format!(
            "its CRL distribution points are {}, which do not include --url {url} (compared \
             exactly as written): relying parties checking it would not fetch the CRL \
             published there",
            if points.is_empty() {
                "(no URI)".to_string()
            } else {
                points.join(", ")
            }
        )));
    }
    Ok(SubordinateCheck {
        file: file.to_string(),
        subject: tbs.subject().to_string(),
        crl_distribution_points: points,
    })
}

/// The URIs of a certificate's CRL distribution points; `None` without the extension.
fn distribution_points(cert: &Certificate) -> Result<Option<Vec<String>>, der::Error> {
    let Some(ext) = cert
        .tbs_certificate()
        .extensions()
        .into_iter()
        .flatten()
        .find(|e| e.extn_id.to_string() == "2.5.29.31")
    else {
        return Ok(None);
    };
    let points = CrlDistributionPoints::from_der(ext.extn_value.as_bytes())?;
    Ok(Some(
        points
            .0
            .iter()
            .filter_map(|p| p.distribution_point.as_ref())
            .flat_map(uris_of_name)
            .collect(),
    ))
}

fn uris_of_name(name: &DistributionPointName) -> Vec<String> {
    match name {
        DistributionPointName::FullName(names) => names
            .iter()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect(),
        DistributionPointName::NameRelativeToCRLIssuer(_) => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// The report

/// The CRL's facts, as the report shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlFacts {
    pub issuer: String,
    pub crl_number: Option<String>,
    pub this_update: String,
    pub next_update: Option<String>,
    pub revoked: usize,
    /// `DER` or `PEM`: how the file held it (DER is uploaded either way).
    pub file_encoding: &'static str,
}

/// Everything `rootca crl publish` reports; `--json` prints it as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishReport {
    pub file: String,
    pub location: String,
    pub bucket: String,
    pub key: String,
    pub region: String,
    pub endpoint: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
    pub crl: CrlFacts,
    pub before: Before,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub read_back: crate::aws::s3::ReadBack,
    pub public_access: PublicAccess,
    pub public_access_blocked: bool,
    pub url: Option<UrlCheck>,
    pub subordinates: Vec<SubordinateCheck>,
    pub warnings: Vec<String>,
}

impl PublishReport {
    /// The report of `publication` of `crl` from `file`; the warnings are
    /// the CRL's, the URL's and the bucket's.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: &str,
        crl: &CrlFile,
        publication: Publication,
        region: &str,
        endpoint: &str,
        url: Option<UrlCheck>,
        subordinates: Vec<SubordinateCheck>,
        now: SystemTime,
    ) -> PublishReport {
        let mut warnings = crl.warnings(now);
        if let Some(url) = &url {
            warnings.extend(url.warnings.iter().cloned());
        }
        warnings.extend(publication.public_access.warning(&publication.bucket));
        let d = &crl.details;
        PublishReport {
            file: file.to_string(),
            location: format!("s3://{}/{}", publication.bucket, publication.key),
            region: region.to_string(),
            endpoint: endpoint.to_string(),
            size: publication.size,
            sha256: publication.sha256.clone(),
            content_type: publication.content_type.clone(),
            crl: CrlFacts {
                issuer: d.issuer.clone(),
                crl_number: d.crl_number.clone(),
                this_update: d.this_update.rfc3339.clone(),
                next_update: d.next_update.as_ref().map(|t| t.rfc3339.clone()),
                revoked: d.revoked.len(),
                file_encoding: if crl.from_pem { "PEM" } else { "DER" },
            },
            public_access_blocked: publication.public_access.blocked(),
            bucket: publication.bucket,
            key: publication.key,
            before: publication.before,
            etag: publication.etag,
            version_id: publication.version_id,
            read_back: publication.read_back,
            public_access: publication.public_access,
            url,
            subordinates,
            warnings,
        }
    }

    /// The text an officer reads.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: &str| {
            out.push_str(&format!("  {label:<16}{}\n", shown(value)));
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
        line("bucket:", &self.bucket);
        line("key:", &self.key);
        line("region:", &self.region);
        line("endpoint:", &self.endpoint);
        line(
            "size:",
            &format!(
                "{} bytes, DER{}",
                self.size,
                if self.crl.file_encoding == "PEM" {
                    " (the file is PEM; its DER was uploaded, as RFC 5280 4.2.1.13 asks)"
                } else {
                    ""
                }
            ),
        );
        line("SHA-256:", &self.sha256);
        let groups = hex::decode(&self.sha256).map_or_else(|_| String::new(), |d| hex_groups(&d));
        line("", &groups);
        line("Content-Type:", &self.content_type);
        line("CRL issuer:", &self.crl.issuer);
        line("CRL number:", &opt(&self.crl.crl_number));
        line("thisUpdate:", &self.crl.this_update);
        line("nextUpdate:", &opt(&self.crl.next_update));
        line("revoked:", &format!("{} certificate(s)", self.crl.revoked));
        line("replaced:", &before_text(&self.before));
        line(
            "uploaded:",
            &format!(
                "ETag {}{}",
                opt(&self.etag),
                self.version_id
                    .as_ref()
                    .map(|v| format!(", version {v}"))
                    .unwrap_or_default()
            ),
        );
        line(
            "read back:",
            &format!(
                "{} bytes, identical to the CRL uploaded, Content-Type {}",
                self.read_back.size, self.read_back.content_type
            ),
        );
        line(
            "public access:",
            &match &self.public_access {
                PublicAccess::Configured { settings } if settings.all_on() => {
                    "blocked (all four settings of the bucket's public access block are on)"
                        .to_string()
                }
                PublicAccess::Configured { settings } => {
                    format!("NOT blocked: off for {}", settings.off().join(", "))
                }
                PublicAccess::Absent => "NOT blocked: the bucket has no public access block".into(),
            },
        );
        if let Some(url) = &self.url {
            line("URL:", &url.url);
            line("", &format!("checked: {}", url.agreement));
            line("", &format!("not checked: {}", url.not_checked));
            line("", &format!("check it with: {}", url.check_with));
        }
        for s in &self.subordinates {
            line(
                "subordinate:",
                &format!(
                    "{} ({}): issued by the CRL's issuer, CRL distribution points {}",
                    s.file,
                    s.subject,
                    s.crl_distribution_points.join(", ")
                ),
            );
        }
        let mut text = format!(
            "published the CRL {} to {}\n",
            shown(&self.file),
            shown(&self.location)
        );
        text.push_str(&out);
        for w in &self.warnings {
            text.push_str(&format!("WARNING: {}\n", shown(w)));
        }
        text
    }
}

fn before_text(before: &Before) -> String {
    match before {
        Before::Absent => "no object before".to_string(),
        Before::Present {
            size,
            etag,
            last_modified,
            ..
        } => format!(
            "an object of {} bytes, ETag {}, last modified {}",
            size.map_or_else(|| "?".to_string(), |s| s.to_string()),
            etag.as_deref().unwrap_or("(none)"),
            last_modified.as_deref().unwrap_or("(unknown)")
        ),
        Before::Unknown { reason } => format!("unknown: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(key: &str) -> S3Location {
        S3Location {
            bucket: "example-crl".into(),
            key: key.into(),
        }
    }

    #[test]
    fn the_url_path_and_the_key_agree_from_the_end() {
        let same = check_url("http://crl.example.com/root-g1.crl", &at("root-g1.crl")).unwrap();
        assert_eq!(same.agreement, "the URL's path is the key");
        assert!(same.warnings.is_empty());
        let origin =
            check_url("http://crl.example.com/root-g1.crl", &at("crl/root-g1.crl")).unwrap();
        assert!(
            origin.agreement.contains("origin path must be /crl"),
            "{}",
            origin.agreement
        );
        let front =
            check_url("http://crl.example.com/pki/root-g1.crl", &at("root-g1.crl")).unwrap();
        assert!(front.agreement.contains("drop /pki"), "{}", front.agreement);
        let encoded =
            check_url("HTTP://crl.example.com/root%2Dg1.crl", &at("root-g1.crl")).unwrap();
        assert_eq!(encoded.path, "/root-g1.crl");
        let tls = check_url("https://crl.example.com/root-g1.crl", &at("root-g1.crl")).unwrap();
        assert_eq!(tls.warnings.len(), 1);
    }

    #[test]
    fn a_url_that_does_not_fit_the_key_is_refused() {
        for (url, key, problem) in [
            (
                "http://crl.example.com/root-g2.crl",
                "root-g1.crl",
                "file names differ",
            ),
            (
                "http://crl.example.com/a/root-g1.crl",
                "b/root-g1.crl",
                "\"a\" in the URL",
            ),
        ] {
            let e = check_url(url, &at(key)).unwrap_err();
            assert!(matches!(e, PublishRefusal::UrlKeyMismatch { .. }), "{e:?}");
            assert!(e.to_string().contains(problem), "{e}");
        }
    }

    #[test]
    fn urls_that_are_not_plain_http_are_refused() {
        for (url, problem) in [
            ("ldap://crl.example.com/root.crl", "neither http nor https"),
            ("crl.example.com/root.crl", "not an absolute URL"),
            ("http:///root.crl", "no host"),
            ("http://crl.example.com", "no path"),
            ("http://crl.example.com/", "no path"),
            ("http://crl.example.com/root.crl?x=1", "query"),
            ("http://user@crl.example.com/root.crl", "user name"),
            ("http://crl.example.com/root .crl", "spaces"),
            ("http://crl.example.com/root%zz.crl", "%-escape"),
        ] {
            let e = check_url(url, &at("root.crl")).unwrap_err();
            assert!(matches!(e, PublishRefusal::BadUrl { .. }), "{url}: {e:?}");
            assert!(e.to_string().contains(problem), "{url}: {e}");
        }
    }

    #[test]
    fn a_file_that_is_not_a_crl_is_refused() {
        let e = read_crl(
            "x.pem",
            b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(matches!(e, PublishRefusal::NotACrl { .. }), "{e:?}");
        let e = read_crl("x.txt", b"hello").unwrap_err();
        assert!(e.to_string().starts_with("x.txt is not a CRL"), "{e}");
    }
}
