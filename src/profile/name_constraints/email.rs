//! Email addresses: rfc822Name constraints (a mailbox, a host or a domain) and mailboxes to
//! test.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::dns::{self, HostProblem};
use super::error::Problem;

pub(super) const ACCEPTED: &str = "a mailbox \"user@example.com\", a host \"example.com\" (every mailbox at that host) \
     or a domain \".example.com\" (mailboxes at any host below it)";

/// Longest local part RFC 5321 section 4.5.3.1.1 allows.
const LOCAL_PART_MAX_LEN: usize = 64;

/// RFC 5322 atext: what an unquoted local part is made of, besides the dots between atoms.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// An email constraint, its host lowercased. The local part of a mailbox is kept as written,
/// because OpenSSL compares it case-sensitively.
pub(super) fn parse_constraint(value: &str) -> Result<String, Problem> {
    let invalid = |problem: String| Problem::InvalidEmail { problem };
    let host_problem = |p: HostProblem| match p {
        HostProblem::Invalid(problem) => invalid(problem),
        HostProblem::TrailingDot => invalid("the host ends with a dot".into()),
        HostProblem::Wildcard => invalid(
            "wildcards are not allowed; write \".example.com\" for hosts below example.com".into(),
        ),
        HostProblem::IpAddress(_) => {
            invalid("the host is an IP address; email constraints name hosts by DNS name".into())
        }
    };
    let Some((local, host)) = value.split_once('@') else {
        return dns::check_host(value, true).map_err(host_problem);
    };
    if local.is_empty() {
        return Err(invalid(format!(
            "nothing before the '@': write \"{host}\" for every mailbox at {host}"
        )));
    }
    if host.contains('@') {
        return Err(invalid("it has more than one '@'".to_string()));
    }
    if let Some(c) = local.chars().find(|c| !(is_atext(*c) || *c == '.')) {
        return Err(invalid(format!(
            "the local part contains {c:?}; quoted or non-ASCII local parts are not supported"
        )));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(invalid(
            "the local part starts or ends with a dot or has two dots in a row".to_string(),
        ));
    }
    if host.is_empty() {
        return Err(invalid("nothing after the '@'".to_string()));
    }
    let host = dns::check_host(host, false).map_err(host_problem)?;
    Ok(format!("{local}@{host}"))
}

/// A mailbox to test, as RFC 5321 section 4.1.2 defines it: a dot-string or quoted-string
/// local part, '@', and a domain or an address literal. Anything else is refused rather than
/// judged, because OpenSSL would compare only what follows the last '@': it would pass
/// `invalid@address@example.com` as a mailbox at example.com.
pub(super) fn parse_mailbox(value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "it contains {c:?}; a mailbox with non-ASCII characters (RFC 6531) is an \
             SmtpUTF8Mailbox otherName in a certificate, which rootca does not test"
        ));
    }
    let (local, domain) = split_local_part(value)?;
    if local.len() > LOCAL_PART_MAX_LEN {
        return Err(format!(
            "the local part is {} characters long; RFC 5321 allows at most {LOCAL_PART_MAX_LEN}",
            local.len()
        ));
    }
    if domain.is_empty() {
        return Err("nothing after the '@'".to_string());
    }
    if domain.contains('@') {
        return Err(
            "it has more than one '@' (an '@' in the local part must be quoted, as in \"a@b\"@example.com)"
                .to_string(),
        );
    }
    if let Some(literal) = domain.strip_prefix('[') {
        return check_address_literal(literal);
    }
    if domain.ends_with('.') {
        return Err("the domain ends with a dot".to_string());
    }
    dns::check_hostname(domain).map_err(|p| format!("the domain {domain:?}: {p}"))
}

/// Splits at the '@' that ends the local part, checking the local part on the way.
fn split_local_part(value: &str) -> Result<(&str, &str), String> {
    if value.starts_with('"') {
        return split_quoted(value);
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err("it has no '@'".to_string());
    };
    if local.is_empty() {
        return Err("nothing before the '@'".to_string());
    }
    if let Some(c) = local.chars().find(|c| !(is_atext(*c) || *c == '.')) {
        return Err(format!(
            "the local part contains {c:?}, which is allowed only in a quoted local part (\"...\")"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(
            "the local part starts or ends with a dot or has two dots in a row (allowed only quoted)"
                .to_string(),
        );
    }
    Ok((local, domain))
}

/// RFC 5321 Quoted-string: printable ASCII and space between double quotes, '"' and '\'
/// only escaped by '\'.
fn split_quoted(value: &str) -> Result<(&str, &str), String> {
    let mut escaped = false;
    for (i, c) in value.char_indices().skip(1) {
        if !(c == ' ' || c.is_ascii_graphic()) {
            return Err(format!("the quoted local part contains {c:?}"));
        }
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            let (local, rest) = value.split_at(i + 1);
            return match rest.strip_prefix('@') {
                Some(domain) => Ok((local, domain)),
                None => Err("the quoted local part is not followed by '@'".to_string()),
            };
        }
    }
    Err("the quoted local part has no closing '\"'".to_string())
}

/// What follows the '[' of an RFC 5321 address literal: an IPv4 address, or "IPv6:" and an
/// IPv6 address, then ']'. (The general form names a registered tag, and only IPv6 is.)
fn check_address_literal(literal: &str) -> Result<(), String> {
    let Some(inner) = literal.strip_suffix(']') else {
        return Err("the address literal has no closing ']'".to_string());
    };
    let ok = match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => inner
            .get(5..)
            .is_some_and(|a| a.parse::<Ipv6Addr>().is_ok()),
        _ => inner.parse::<Ipv4Addr>().is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "[{inner}] is not an address literal: write [192.0.2.1] or [IPv6:2001:db8::1]"
        ))
    }
}

/// OpenSSL's `nc_email`: a `.domain` base matches the tail of the whole address; a base with
/// a local part matches that mailbox (local part case-sensitive, host not); a host base
/// matches every mailbox at exactly that host. The mailbox is split at its last '@'.
pub(super) fn within(mailbox: &str, base: &str) -> bool {
    let Some((local, host)) = mailbox.rsplit_once('@') else {
        return false;
    };
    if !base.contains('@') && base.starts_with('.') {
        return mailbox.len() > base.len()
            && mailbox
                .get(mailbox.len() - base.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(base));
    }
    let base_host = match base.rsplit_once('@') {
        Some((base_local, base_host)) => {
            if !base_local.is_empty() && base_local != local {
                return false;
            }
            base_host
        }
        None => base,
    };
    base_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (presented mailbox, constraint, does the mailbox lie inside the constraint).
    const PRESENTED_WITHIN_CONSTRAINT: &[(&str, &str, bool)] = &[
        // A mailbox: that mailbox only, local part case-sensitive, host not.
        ("ops@example.com", "ops@example.com", true),
        ("ops@EXAMPLE.com", "ops@example.com", true),
        ("OPS@example.com", "ops@example.com", false),
        ("dev@example.com", "ops@example.com", false),
        ("ops@a.example.com", "ops@example.com", false),
        // Equivalent to RFC 5321, different bytes to OpenSSL.
        ("\"ops\"@example.com", "ops@example.com", false),
        // A host: every mailbox at exactly that host.
        ("anyone@example.com", "example.com", true),
        ("anyone@Example.COM", "example.com", true),
        ("anyone@mail.example.com", "example.com", false),
        ("\"a@b\"@example.com", "example.com", true),
        ("anyone@[192.0.2.1]", "example.com", false),
        // A domain: mailboxes at any host below it.
        ("anyone@mail.example.com", ".example.com", true),
        ("anyone@a.b.example.com", ".example.com", true),
        ("anyone@example.com", ".example.com", false),
        ("anyone@badexample.com", ".example.com", false),
    ];

    #[test]
    fn presented_mailboxes_lie_within_constraints_as_in_openssl() {
        for &(presented, constraint, expected) in PRESENTED_WITHIN_CONSTRAINT {
            assert_eq!(
                within(presented, constraint),
                expected,
                "{presented} within {constraint}"
            );
        }
    }

    /// (constraint entry, the entry as kept, or a phrase of the problem).
    const CONSTRAINTS: &[(&str, Result<&str, &str>)] = &[
        ("ops@example.com", Ok("ops@example.com")),
        ("Ops@Example.COM", Ok("Ops@example.com")),
        ("example.com", Ok("example.com")),
        (".Example.com", Ok(".example.com")),
        (
            "first.last+tag@example.com",
            Ok("first.last+tag@example.com"),
        ),
        (
            "@example.com",
            Err("write \"example.com\" for every mailbox at example.com"),
        ),
        ("a@b@example.com", Err("more than one '@'")),
        (
            "\"a b\"@example.com",
            Err("quoted or non-ASCII local parts are not supported"),
        ),
        ("a..b@example.com", Err("two dots in a row")),
        (".a@example.com", Err("starts or ends with a dot")),
        ("a@", Err("nothing after the '@'")),
        ("a@.example.com", Err("a leading dot is not allowed here")),
        ("*.example.com", Err("wildcards are not allowed")),
        ("example.com.", Err("the host ends with a dot")),
        ("a@10.0.0.1", Err("the host is an IP address")),
        ("a@exa_mple.com", Err("'_'")),
    ];

    #[test]
    fn constraint_entries_are_kept_with_the_host_lowercased_or_refused() {
        for &(entry, expected) in CONSTRAINTS {
            match (parse_constraint(entry), expected) {
                (Ok(kept), Ok(want)) => assert_eq!(kept, want, "{entry}"),
                (Err(p), Err(says)) => {
                    let text = p.to_string();
                    assert!(text.contains(says), "{entry}: {text}");
                    assert!(text.contains("accepted: a mailbox"), "{entry}: {text}");
                }
                (got, want) => panic!("{entry}: got {got:?}, expected {want:?}"),
            }
        }
    }

    /// (mailbox to test, None if RFC 5321 takes it, else a phrase of the problem).
    const MAILBOXES: &[(&str, Option<&str>)] = &[
        ("user@example.com", None),
        ("first.last+tag@example.com", None),
        ("OPS@EXAMPLE.COM", None),
        ("!#$%&'*+-/=?^_`{|}~@example.com", None),
        ("\"a b\"@example.com", None),
        ("\"a@b\"@example.com", None),
        ("\"a\\\"b\"@example.com", None),
        ("\"\"@example.com", None),
        ("user@[192.0.2.1]", None),
        ("user@[IPv6:2001:db8::1]", None),
        ("invalid@address@example.com", Some("more than one '@'")),
        ("@example.com", Some("nothing before the '@'")),
        ("example.com", Some("it has no '@'")),
        ("user@", Some("nothing after the '@'")),
        ("a..b@example.com", Some("two dots in a row")),
        (".a@example.com", Some("starts or ends with a dot")),
        ("a.@example.com", Some("starts or ends with a dot")),
        (
            "a b@example.com",
            Some("contains ' ', which is allowed only in a quoted local part"),
        ),
        ("a(b)@example.com", Some("contains '('")),
        ("\"a b@example.com", Some("no closing '\"'")),
        ("\"a\" b@example.com", Some("not followed by '@'")),
        ("\"a b", Some("no closing '\"'")),
        ("\"a\"b@example.com", Some("not followed by '@'")),
        (
            "\"a\tb\"@example.com",
            Some("the quoted local part contains '\\t'"),
        ),
        ("user@example.com.", Some("the domain ends with a dot")),
        ("user@exa mple.com", Some("the domain \"exa mple.com\"")),
        ("user@-example.com", Some("hyphen")),
        ("user@.example.com", Some("empty label")),
        ("user@[192.0.2.1", Some("no closing ']'")),
        ("user@[example.com]", Some("is not an address literal")),
        ("user@[IPv6:192.0.2.1]", Some("is not an address literal")),
        ("usér@example.com", Some("non-ASCII")),
    ];

    #[test]
    fn mailboxes_to_test_follow_rfc_5321() {
        for &(mailbox, expected) in MAILBOXES {
            match (parse_mailbox(mailbox), expected) {
                (Ok(()), None) => {}
                (Err(problem), Some(says)) => {
                    assert!(problem.contains(says), "{mailbox}: {problem}");
                }
                (got, want) => panic!("{mailbox}: got {got:?}, expected a problem {want:?}"),
            }
        }
    }

    #[test]
    fn a_local_part_of_64_characters_is_a_mailbox_and_of_65_not() {
        assert!(parse_mailbox(&format!("{}@example.com", "a".repeat(64))).is_ok());
        assert!(
            parse_mailbox(&format!("{}@example.com", "a".repeat(65)))
                .is_err_and(|p| p.contains("at most 64"))
        );
    }
}
