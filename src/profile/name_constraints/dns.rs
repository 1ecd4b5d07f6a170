//! DNS names: dNSName constraints, DNS names to test, and a subject CN read as a DNS name
//! the way OpenSSL reads it.

use std::net::IpAddr;

use super::Kind;
use super::error::{List, Problem};
use super::ip::IpNet;

pub(super) const ACCEPTED: &str = "a DNS name such as \"dev.example.com\" (that name and every name below it) \
     or \".dev.example.com\" (names below it only)";

/// Longest DNS name RFC 1035 allows in text form, without a trailing dot.
const MAX_LEN: usize = 253;
/// Longest DNS label RFC 1035 allows.
const LABEL_MAX_LEN: usize = 63;

/// Why a text is no host name, before it is known which list it is in: DNS, URI and email
/// constraints word the same fault differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HostProblem {
    Wildcard,
    IpAddress(IpAddr),
    TrailingDot,
    Invalid(String),
}

/// Checks a host name, optionally with one leading dot, and returns it lowercased.
pub(super) fn check_host(value: &str, allow_leading_dot: bool) -> Result<String, HostProblem> {
    if value.contains('*') {
        return Err(HostProblem::Wildcard);
    }
    let (address_part, _) = value.split_once('/').unwrap_or((value, ""));
    if let Ok(ip) = address_part.parse::<IpAddr>() {
        return Err(HostProblem::IpAddress(ip));
    }
    if value.ends_with('.') && value != "." {
        return Err(HostProblem::TrailingDot);
    }
    let lower = value.to_ascii_lowercase();
    let body = match lower.strip_prefix('.') {
        Some(rest) if allow_leading_dot => rest,
        Some(_) => {
            return Err(HostProblem::Invalid(
                "a leading dot is not allowed here: write the host name itself".to_string(),
            ));
        }
        None => lower.as_str(),
    };
    check_hostname(body).map_err(HostProblem::Invalid)?;
    Ok(lower)
}

/// A dNSName constraint (or a URI constraint's host, with `accepted` saying so) in `list`,
/// lowercased.
pub(super) fn parse_constraint(
    value: &str,
    list: List,
    accepted: &'static str,
) -> Result<String, Problem> {
    check_host(value, true).map_err(|p| match p {
        HostProblem::Wildcard => {
            let suggestion = match value.strip_prefix("*.") {
                Some(rest) if !rest.contains('*') => format!(
                    "write \".{rest}\" for names below {rest} only, or \"{rest}\" for {rest} and every name below it"
                ),
                _ => format!("accepted: {accepted}"),
            };
            Problem::Wildcard { suggestion }
        }
        HostProblem::IpAddress(ip) => Problem::IpAddressNotDnsName {
            ip_list: List::new(Kind::Ip, list.is_permitted()),
            suggestion: if value.contains('/') {
                value.to_string()
            } else {
                format!("{ip}/{}", IpNet::max_prefix(ip))
            },
        },
        HostProblem::TrailingDot => Problem::TrailingDot { accepted },
        HostProblem::Invalid(problem) => Problem::InvalidDnsName { problem, accepted },
    })
}

/// LDH host name rules: labels of 1 to 63 letters, digits and hyphens, no hyphen at either
/// end of a label, at most 253 characters in all.
pub(super) fn check_hostname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("there is no name after the leading dot".to_string());
    }
    if name.len() > MAX_LEN {
        return Err(format!(
            "it is {} characters long; a DNS name has at most {MAX_LEN}",
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row)".to_string());
        }
        if label.len() > LABEL_MAX_LEN {
            return Err(format!(
                "label {label:?} is {} characters long; a label has at most {LABEL_MAX_LEN}",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            let hint = if c.is_ascii() {
                ""
            } else {
                " (write internationalised names in their xn-- form)"
            };
            return Err(format!(
                "label {label:?} contains {c:?}; labels hold only letters, digits and hyphens{hint}"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "label {label:?} starts or ends with a hyphen, which DNS does not allow"
            ));
        }
    }
    Ok(())
}

/// A DNS name to test, lowercased. A wildcard is allowed as the leftmost label, as in a
/// certificate's subjectAltName.
pub(super) fn parse_test_name(value: &str) -> Result<String, String> {
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("*.").unwrap_or(&lower);
    if rest.ends_with('.') {
        return Err("remove the trailing dot".to_string());
    }
    check_hostname(rest)?;
    Ok(lower)
}

/// OpenSSL's `nc_dns`: the base must be a case-insensitive suffix of the name; a longer name
/// must have a dot just before that suffix unless the base itself starts with a dot. So
/// `example.com` matches itself and names below it, `.example.com` only names below it.
///
/// A wildcard is compared as written, like any label: `*.example.com` is below
/// `example.com`, and is not inside `www.example.com` (see [`wildcard_covers`]).
pub(super) fn within(name: &str, base: &str) -> bool {
    let (n, b) = (name.as_bytes(), base.as_bytes());
    if b.is_empty() {
        return true;
    }
    let Some(split) = n.len().checked_sub(b.len()) else {
        return false;
    };
    let (head, tail) = n.split_at(split);
    if !head.is_empty() && b.first() != Some(&b'.') && head.last() != Some(&b'.') {
        return false;
    }
    tail.eq_ignore_ascii_case(b)
}

/// Would a wildcard name `*.{parent}` cover a name inside the excluded subtree `excluded`
/// that OpenSSL's [`within`] does not see? Exactly when `excluded` is one label below
/// `parent` and has no leading dot: `*.dev.example.com` covers `www.dev.example.com` but
/// nothing below it, and any excluded subtree at or above `dev.example.com` already
/// matches the wildcard as written.
pub(super) fn wildcard_covers(parent: &str, excluded: &str) -> bool {
    !excluded.starts_with('.')
        && excluded
            .split_once('.')
            .is_some_and(|(_, above)| above.eq_ignore_ascii_case(parent))
}

/// OpenSSL's `cn2dnsid`: does a subject CN look like a host name, so that OpenSSL checks it
/// against DNS constraints (for a leaf without a DNS subjectAltName)? Letters, digits and
/// '_' anywhere; '-' and '.' only inside; no '.' next to another '.' or a '-'; and at least
/// one '.', so a one-label CN such as "localhost" is not read as a host name. Anything
/// else, a wildcard or a non-ASCII letter included, is not.
pub(super) fn cn_looks_like_host(cn: &str) -> bool {
    let b = cn.as_bytes();
    let mut has_dot = false;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_alphanumeric() || c == b'_' {
            continue;
        }
        let (prev, next) = (i.checked_sub(1).and_then(|p| b.get(p)), b.get(i + 1));
        let inside = prev.is_some() && next.is_some();
        if inside && c == b'-' {
            continue;
        }
        if inside && c == b'.' && next != Some(&b'.') && prev != Some(&b'-') && next != Some(&b'-')
        {
            has_dot = true;
            continue;
        }
        return false;
    }
    has_dot
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (presented name, constraint, does the name lie inside the constraint's subtree).
    const PRESENTED_WITHIN_CONSTRAINT: &[(&str, &str, bool)] = &[
        ("example.com", "example.com", true),
        ("a.example.com", "example.com", true),
        ("a.b.example.com", "example.com", true),
        ("WWW.Example.COM", "example.com", true),
        ("www.example.com", "EXAMPLE.com", true),
        ("badexample.com", "example.com", false),
        ("example.com.evil.org", "example.com", false),
        ("com", "example.com", false),
        ("example.org", "example.com", false),
        // The leading dot: names below only.
        ("a.example.com", ".example.com", true),
        ("a.b.example.com", ".example.com", true),
        ("example.com", ".example.com", false),
        ("xexample.com", ".example.com", false),
        // A wildcard is compared as written.
        ("*.example.com", "example.com", true),
        ("*.example.com", ".example.com", true),
        ("*.dev.example.com", "dev.example.com", true),
        ("*.example.com", "www.example.com", false),
        ("*.example.com", "w.example.com", false),
        ("*.www.example.com", "www.example.com", true),
        // An empty base (OpenSSL: matches everything); rootca never writes one.
        ("example.com", "", true),
    ];

    #[test]
    fn presented_names_lie_within_constraints_as_in_openssl() {
        for &(presented, constraint, expected) in PRESENTED_WITHIN_CONSTRAINT {
            assert_eq!(
                within(presented, constraint),
                expected,
                "{presented} within {constraint}"
            );
        }
    }

    /// (wildcard's parent, excluded base, does the wildcard cover a name OpenSSL misses).
    const WILDCARD_COVERS_EXCLUDED: &[(&str, &str, bool)] = &[
        ("dev.example.com", "www.dev.example.com", true),
        ("dev.example.com", "WWW.dev.example.com", true),
        ("dev.example.com", "w.dev.example.com", true),
        // Two labels below: a one-label wildcard reaches neither it nor below it.
        ("dev.example.com", "a.www.dev.example.com", false),
        // Names below only: the wildcard reaches www.dev.example.com, not below it.
        ("dev.example.com", ".www.dev.example.com", false),
        // At or above the parent: OpenSSL already matches the wildcard as written.
        ("dev.example.com", "dev.example.com", false),
        ("dev.example.com", ".dev.example.com", false),
        ("dev.example.com", "example.com", false),
        ("dev.example.com", "www.example.com", false),
        ("dev.example.com", "www.dev.example.org", false),
    ];

    #[test]
    fn a_wildcard_covers_exactly_the_excluded_names_one_label_below_it() {
        for &(parent, excluded, expected) in WILDCARD_COVERS_EXCLUDED {
            assert_eq!(
                wildcard_covers(parent, excluded),
                expected,
                "*.{parent} over {excluded}"
            );
        }
    }

    /// (CN, does OpenSSL's cn2dnsid read it as a host name).
    const CN_LOOKS_LIKE_HOST: &[(&str, bool)] = &[
        ("www.example.com", true),
        ("WWW.Example.COM", true),
        ("127.0.0.1", true),
        ("a.b", true),
        ("_srv.example.com", true),
        ("a_b.example.com", true),
        ("my-host.example.com", true),
        ("localhost", false),
        ("leaf test", false),
        ("*.example.com", false),
        ("www.example.com.", false),
        (".example.com", false),
        ("-a.example.com", false),
        ("a.example.com-", false),
        ("a-.example.com", false),
        ("a.-example.com", false),
        ("a..example.com", false),
        ("bücher.example.com", false),
        ("a:b.example.com", false),
        ("", false),
        (".", false),
        ("-", false),
    ];

    #[test]
    fn a_cn_looks_like_a_host_exactly_as_openssl_decides() {
        for &(cn, expected) in CN_LOOKS_LIKE_HOST {
            assert_eq!(cn_looks_like_host(cn), expected, "{cn:?}");
        }
    }

    /// (constraint entry, the problem, or the entry as kept).
    const CONSTRAINTS: &[(&str, Result<&str, &str>)] = &[
        ("example.com", Ok("example.com")),
        ("Dev.Example.COM", Ok("dev.example.com")),
        (".test.example.com", Ok(".test.example.com")),
        ("xn--bcher-kva.example", Ok("xn--bcher-kva.example")),
        ("*.example.com", Err("contains a wildcard")),
        ("example.com.", Err("ends with a dot")),
        ("..example.com", Err("empty label")),
        (".", Err("there is no name after the leading dot")),
        ("-a.example.com", Err("hyphen")),
        ("a-.example.com", Err("hyphen")),
        ("_dmarc.example.com", Err("'_'")),
        ("bücher.example", Err("xn--")),
        ("10.0.0.1", Err("permitted_ip as \"10.0.0.1/32\"")),
        ("10.0.0.0/8", Err("permitted_ip as \"10.0.0.0/8\"")),
        ("2001:db8::1", Err("permitted_ip as \"2001:db8::1/128\"")),
        ("https://example.com", Err("is not a valid DNS name")),
    ];

    #[test]
    fn constraint_entries_are_kept_lowercased_or_refused_saying_why() {
        for &(entry, expected) in CONSTRAINTS {
            let got = parse_constraint(entry, List::PermittedDns, ACCEPTED);
            match (got, expected) {
                (Ok(kept), Ok(want)) => assert_eq!(kept, want, "{entry}"),
                (Err(problem), Err(says)) => {
                    let text = problem.to_string();
                    assert!(text.contains(says), "{entry}: {text}");
                }
                (got, want) => panic!("{entry}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn a_wildcard_constraint_suggests_both_forms() {
        let text = parse_constraint("*.example.com", List::PermittedDns, ACCEPTED)
            .map_err(|p| p.to_string());
        assert_eq!(
            text,
            Err("contains a wildcard '*': name constraints have no wildcards; write \".example.com\" \
                 for names below example.com only, or \"example.com\" for example.com and every name below it"
                .to_string())
        );
    }

    #[test]
    fn an_ip_address_in_an_excluded_list_points_at_the_excluded_ip_list() {
        assert_eq!(
            parse_constraint("10.0.0.1", List::ExcludedDns, ACCEPTED),
            Err(Problem::IpAddressNotDnsName {
                ip_list: List::ExcludedIp,
                suggestion: "10.0.0.1/32".into()
            })
        );
    }

    #[test]
    fn a_label_of_63_characters_is_accepted_and_of_64_refused() {
        let ok = format!("{}.example.com", "a".repeat(63));
        assert!(check_hostname(&ok).is_ok());
        let long = format!("{}.example.com", "a".repeat(64));
        assert!(check_hostname(&long).is_err_and(|p| p.contains("at most 63")));
    }

    #[test]
    fn a_name_over_253_characters_is_refused() {
        let label = "a".repeat(60);
        let long = [label.as_str(); 5].join(".");
        assert!(long.len() > MAX_LEN);
        assert!(check_hostname(&long).is_err_and(|p| p.contains("at most 253")));
    }

    #[test]
    fn a_leading_dot_is_refused_where_a_host_is_required() {
        assert!(matches!(
            check_host(".example.com", false),
            Err(HostProblem::Invalid(_))
        ));
    }

    /// (name to test, the name as tested, or a word of the problem).
    const TEST_NAMES: &[(&str, Result<&str, &str>)] = &[
        ("WWW.Example.com", Ok("www.example.com")),
        ("*.dev.example.com", Ok("*.dev.example.com")),
        ("example.com.", Err("trailing dot")),
        ("exa mple.com", Err("' '")),
        ("w*.example.com", Err("'*'")),
        ("*.*.example.com", Err("'*'")),
    ];

    #[test]
    fn test_names_are_lowercased_and_may_start_with_a_wildcard_label() {
        for &(name, expected) in TEST_NAMES {
            match (parse_test_name(name), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(problem), Err(says)) => assert!(problem.contains(says), "{name}: {problem}"),
                (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
            }
        }
    }
}
