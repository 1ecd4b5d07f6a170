//! Names to test, as `rootca names --test` reads them: which kind each is
//! and which are refused.

use super::*;

// --- TestName parsing ---

#[test]
fn test_name_detects_ipv4() {
    assert_eq!(
        name("10.1.2.3"),
        TestName::Ip(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)))
    );
}

#[test]
fn test_name_detects_ipv6() {
    assert!(matches!(name("2001:db8::1"), TestName::Ip(IpAddr::V6(_))));
}

#[test]
fn test_name_detects_email() {
    assert_eq!(
        name("a@example.com"),
        TestName::Email("a@example.com".into())
    );
}

#[test]
fn test_name_detects_uri_even_with_a_user_name() {
    assert!(matches!(name("https://u@x.example.com/"), TestName::Uri(_)));
}

#[test]
fn test_name_detects_dn() {
    assert!(matches!(name("CN=x,O=Example"), TestName::Dn(_)));
}

#[test]
fn test_name_defaults_to_dns_lowercased() {
    assert_eq!(
        name("WWW.Example.com"),
        TestName::Dns("www.example.com".into())
    );
}

#[test]
fn test_name_prefix_forces_the_kind() {
    assert!(matches!(name("dns:example.com"), TestName::Dns(_)));
    assert!(matches!(name("ip:::1"), TestName::Ip(_)));
    assert!(matches!(name("email:a@b.example"), TestName::Email(_)));
    assert!(matches!(name("uri:http://h.example/"), TestName::Uri(_)));
    assert!(matches!(name("DN:CN=a"), TestName::Dn(_)));
    assert!(matches!(name("CN:www.example.com"), TestName::Cn(_)));
}

#[test]
fn a_cn_is_read_only_with_its_prefix_and_kept_as_written() {
    assert_eq!(name("cn:Leaf Test"), TestName::Cn("Leaf Test".into()));
    assert_eq!(name("cn=Leaf,O=x").to_string(), "DN CN=Leaf,O=x");
}

#[test]
fn a_cn_loses_trailing_nuls_as_in_openssl_and_is_refused_with_one_inside() {
    assert_eq!(
        name("cn:a.example.com\0"),
        TestName::Cn("a.example.com".into())
    );
    assert!(matches!(
        refused_name("cn:a\0.example.com").problem,
        Problem::InvalidTestName { kind: "CN", .. }
    ));
}

#[test]
fn test_name_prefix_with_wrong_value_is_refused() {
    let e = refused_name("ip:example.com");
    assert_eq!(
        e.to_string(),
        "\"example.com\" is not a valid IP name to test: not an IPv4 or IPv6 address"
    );
}

#[test]
fn test_name_empty_is_refused() {
    for empty in ["", "   ", "dns:", "cn:", "cn:\0"] {
        let e = refused_name(empty);
        assert_eq!(e.problem, Problem::NoTestName, "{empty:?}");
        assert!(
            e.to_string()
                .starts_with("the name to test is empty: give a DNS name"),
            "{e}"
        );
    }
}

#[test]
fn test_name_uri_without_host_is_refused() {
    assert!(TestName::parse("uri:mailto:a@example.com").is_err());
    assert!(TestName::parse("file:///etc/passwd").is_err());
}

#[test]
fn test_name_dns_with_trailing_dot_is_refused() {
    assert_eq!(
        refused_name("example.com.").to_string(),
        "\"example.com.\" is not a valid DNS name to test: remove the trailing dot"
    );
}

#[test]
fn test_name_dns_with_invalid_characters_is_refused() {
    assert!(matches!(
        refused_name("exa mple.com").problem,
        Problem::InvalidTestName { kind: "DNS", .. }
    ));
}

/// (email address to test that is no RFC 5321 mailbox, how the refusal reads).
const NOT_MAILBOXES: &[(&str, &str)] = &[
    (
        "invalid@address@example.com",
        "\"invalid@address@example.com\" is not an email address (an RFC 5321 mailbox, \
         local-part@domain): it has more than one '@'",
    ),
    (
        "@example.com",
        "\"@example.com\" is not an email address (an RFC 5321 mailbox, local-part@domain): \
         nothing before the '@'",
    ),
    ("email:example.com", "it has no '@'"),
    ("a..b@example.com", "two dots in a row"),
    ("email:a@example.com.", "the domain ends with a dot"),
];

#[test]
fn an_email_address_that_is_no_mailbox_is_refused_not_judged() {
    for &(input, says) in NOT_MAILBOXES {
        let e = refused_name(input);
        assert!(
            matches!(e.problem, Problem::NotAMailbox { .. }),
            "{input}: {e}"
        );
        assert!(e.to_string().contains(says), "{input}: {e}");
    }
}

#[test]
fn test_name_displays_its_kind() {
    assert_eq!(name("10.0.0.1").to_string(), "IP address 10.0.0.1");
    assert_eq!(name("cn:leaf test").to_string(), "CN leaf test");
}
