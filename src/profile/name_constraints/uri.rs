//! URIs: uniformResourceIdentifier constraints (a host or a domain) and URIs to test.

use super::dns;
use super::error::{List, Problem};

pub(super) const ACCEPTED: &str = "a host \"host.example.com\" or a domain \".example.com\"; \
     URI constraints apply to the host part of a URI only";

/// A URI constraint: a host or a leading-dot domain, lowercased. A whole URI, a path, a
/// port or a user name is refused saying what to write instead.
pub(super) fn parse_constraint(value: &str, list: List) -> Result<String, Problem> {
    if let Some((_, rest)) = value.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = host_port.split(':').next().unwrap_or(host_port);
        return Err(Problem::UriHasScheme {
            host: host.to_ascii_lowercase(),
        });
    }
    let extra = |part: &'static str| Problem::UriHasExtraPart { part };
    if value.contains('/') {
        return Err(extra("path"));
    }
    if value.contains('@') {
        return Err(extra("user name"));
    }
    if let Some((_, after)) = value.split_once(':') {
        let is_port = !after.is_empty() && after.bytes().all(|b| b.is_ascii_digit());
        return Err(extra(if is_port { "port" } else { "scheme" }));
    }
    if value.contains('?') || value.contains('#') {
        return Err(extra("query or fragment"));
    }
    dns::parse_constraint(value, list, ACCEPTED)
}

/// A URI to test: OpenSSL judges only URIs with a host, `scheme://host...`.
pub(super) fn parse_test_name(value: &str) -> Result<(), String> {
    if host(value).is_none_or(str::is_empty) {
        return Err(
            "expected scheme://host/... (OpenSSL reads only URIs of that form)".to_string(),
        );
    }
    Ok(())
}

/// The host of a URI as OpenSSL 3.0's `nc_uri` finds it: after the first `://`, up to the
/// first `:` anywhere after it, or failing that the first `/`. (OpenSSL does not look for
/// `?`, `#` or user names, and neither does this, so that both decide alike.)
pub(super) fn host(uri: &str) -> Option<&str> {
    let colon = uri.find(':')?;
    let rest = uri.get(colon + 1..)?.strip_prefix("//")?;
    let end = rest.find(':').or_else(|| rest.find('/'));
    Some(match end {
        Some(end) => rest.get(..end).unwrap_or(rest),
        None => rest,
    })
}

/// OpenSSL's `nc_uri` host comparison: `.domain` matches hosts strictly below, otherwise the
/// host must be equal, case-insensitively. A URI without a host is inside nothing.
pub(super) fn within(uri: &str, base: &str) -> bool {
    let Some(host) = host(uri) else {
        return false;
    };
    if base.starts_with('.') {
        return host.len() > base.len()
            && host
                .get(host.len() - base.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(base));
    }
    host.eq_ignore_ascii_case(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (presented URI, constraint, does the URI's host lie inside the constraint).
    const PRESENTED_WITHIN_CONSTRAINT: &[(&str, &str, bool)] = &[
        ("https://x.example.com/path", "x.example.com", true),
        ("https://x.example.com", "x.example.com", true),
        ("https://X.Example.COM:8443/path", "x.example.com", true),
        ("https://a.x.example.com/", "x.example.com", false),
        ("https://example.com/", "x.example.com", false),
        ("http://a.example.com", ".example.com", true),
        ("http://a.b.example.com/", ".example.com", true),
        ("http://example.com/", ".example.com", false),
        ("http://badexample.com/", ".example.com", false),
        // OpenSSL ends the host at the first ':' even after a '/'.
        ("https://x.example.com/a:b", "x.example.com", false),
        // and does not look for a user name.
        ("https://u@x.example.com/", "x.example.com", false),
        ("mailto:a@x.example.com", "x.example.com", false),
    ];

    #[test]
    fn presented_uris_lie_within_constraints_as_in_openssl() {
        for &(presented, constraint, expected) in PRESENTED_WITHIN_CONSTRAINT {
            assert_eq!(
                within(presented, constraint),
                expected,
                "{presented} within {constraint}"
            );
        }
    }

    /// (URI, its host as OpenSSL finds it).
    const HOSTS: &[(&str, Option<&str>)] = &[
        ("https://h.example.com/a:b", Some("h.example.com/a")),
        ("https://h.example.com:443/", Some("h.example.com")),
        ("https://h.example.com", Some("h.example.com")),
        ("file:///etc/passwd", Some("")),
        ("mailto:a@example.com", None),
        ("h.example.com", None),
    ];

    #[test]
    fn the_host_is_found_as_openssl_finds_it() {
        for &(uri, expected) in HOSTS {
            assert_eq!(host(uri), expected, "{uri}");
        }
    }

    /// (constraint entry, the entry as kept, or the problem's text).
    const CONSTRAINTS: &[(&str, Result<&str, &str>)] = &[
        ("x.example.com", Ok("x.example.com")),
        (".Example.com", Ok(".example.com")),
        (
            "https://X.example.com/",
            Err("has a scheme: URI constraints name a host, not a URI; \
                 write \"x.example.com\" (this host) or \".x.example.com\" (hosts below it)"),
        ),
        ("x.example.com/app", Err("has a path")),
        ("u@x.example.com", Err("has a user name")),
        ("x.example.com:8443", Err("has a port")),
        (
            "urn:example",
            Err("has a scheme: URI constraints name a host only"),
        ),
        ("x.example.com?q", Err("has a query or fragment")),
        ("*.example.com", Err("contains a wildcard")),
        (
            "x_y.example.com",
            Err("accepted: a host \"host.example.com\""),
        ),
    ];

    #[test]
    fn constraint_entries_are_hosts_only() {
        for &(entry, expected) in CONSTRAINTS {
            match (parse_constraint(entry, List::PermittedUri), expected) {
                (Ok(kept), Ok(want)) => assert_eq!(kept, want, "{entry}"),
                (Err(p), Err(says)) => {
                    let text = p.to_string();
                    assert!(text.contains(says), "{entry}: {text}");
                }
                (got, want) => panic!("{entry}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn test_names_need_a_host() {
        assert!(parse_test_name("https://x.example.com/").is_ok());
        assert!(parse_test_name("https://u@x.example.com/").is_ok());
        assert!(parse_test_name("mailto:a@example.com").is_err());
        assert!(parse_test_name("file:///etc/passwd").is_err());
    }
}
