//! The name constraints as a whole: validation with locations, kinds kept apart, encoding,
//! reading back, descriptions, names to test, verdicts and warnings. Each form's own parsing
//! and matching is tested in its file.

use std::net::Ipv4Addr;

use super::*;
use der::{Decode, Encode};

fn lists() -> NameConstraintLists {
    NameConstraintLists::default()
}

fn issue_constraints() -> NameConstraints {
    build(&NameConstraintLists {
        permitted_dns: vec!["dev.example.com".into(), ".test.example.com".into()],
        excluded_dns: vec![".prod.dev.example.com".into()],
        excluded_ip: vec!["0.0.0.0/0".into(), "::/0".into()],
        ..lists()
    })
}

/// Permitted dev.example.com, excluded www.dev.example.com: the wildcard gap.
fn wildcard_gap() -> NameConstraints {
    build(&NameConstraintLists {
        permitted_dns: vec!["dev.example.com".into()],
        excluded_dns: vec!["www.dev.example.com".into()],
        ..lists()
    })
}

fn build(l: &NameConstraintLists) -> NameConstraints {
    match NameConstraints::from_lists(l) {
        Ok(nc) => nc,
        Err(e) => panic!("refused: {e}"),
    }
}

fn refuse(l: &NameConstraintLists) -> NameConstraintError {
    match NameConstraints::from_lists(l) {
        Ok(nc) => panic!("accepted: {nc:?}"),
        Err(e) => e,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

fn dns(permitted: &[&str]) -> NameConstraintLists {
    NameConstraintLists {
        permitted_dns: strings(permitted),
        ..lists()
    }
}

fn ip(permitted: &[&str]) -> NameConstraintLists {
    NameConstraintLists {
        permitted_ip: strings(permitted),
        ..lists()
    }
}

fn email(permitted: &[&str]) -> NameConstraintLists {
    NameConstraintLists {
        permitted_email: strings(permitted),
        ..lists()
    }
}

fn uri(permitted: &[&str]) -> NameConstraintLists {
    NameConstraintLists {
        permitted_uri: strings(permitted),
        ..lists()
    }
}

fn dn(permitted: &[&str]) -> NameConstraintLists {
    NameConstraintLists {
        permitted_dn: strings(permitted),
        ..lists()
    }
}

fn name(s: &str) -> TestName {
    match TestName::parse(s) {
        Ok(n) => n,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn refused_name(s: &str) -> NameConstraintError {
    match TestName::parse(s) {
        Ok(n) => panic!("{s} read as {n:?}"),
        Err(e) => e,
    }
}

fn allows(nc: &NameConstraints, s: &str) -> bool {
    nc.test(&name(s)).permitted
}

fn der_of(nc: &NameConstraints) -> Vec<u8> {
    match nc.to_extension().to_der() {
        Ok(d) => d,
        Err(e) => panic!("encode: {e}"),
    }
}

// --- the issue's cases ---

/// (name, permitted under the issue's constraints).
const ISSUE_VERDICTS: &[(&str, bool)] = &[
    ("dev.example.com", true),
    ("a.dev.example.com", true),
    ("x.test.example.com", true),
    // The leading-dot form means names below only.
    ("test.example.com", false),
    ("x.prod.dev.example.com", false),
    ("prod.dev.example.com", true),
    ("example.org", false),
    ("10.1.2.3", false),
    ("2001:db8::1", false),
    // Kinds without constraints are not constrained.
    ("user@example.com", true),
    ("https://any.example.net/", true),
];

#[test]
fn the_issue_constraints_decide_each_name_as_openssl_does() {
    let nc = issue_constraints();
    for &(n, expected) in ISSUE_VERDICTS {
        assert_eq!(allows(&nc, n), expected, "{n}");
    }
}

// --- decision reasons ---

#[test]
fn reason_names_the_excluding_subtree() {
    let d = issue_constraints().test(&name("x.prod.dev.example.com"));
    assert_eq!(
        d.reason,
        "excluded by excluded_dns \".prod.dev.example.com\""
    );
}

#[test]
fn reason_names_the_permitting_subtree() {
    let d = issue_constraints().test(&name("a.dev.example.com"));
    assert_eq!(d.reason, "permitted by permitted_dns \"dev.example.com\"");
}

#[test]
fn reason_lists_the_permitted_subtrees_when_outside_all() {
    let d = issue_constraints().test(&name("example.org"));
    assert_eq!(
        d.reason,
        "not inside any permitted_dns subtree (permitted: \"dev.example.com\", \".test.example.com\")"
    );
}

#[test]
fn reason_names_the_excluding_ip_network() {
    let d = issue_constraints().test(&name("10.1.2.3"));
    assert_eq!(d.reason, "excluded by excluded_ip \"0.0.0.0/0\"");
}

#[test]
fn reason_says_when_no_constraint_of_the_kind_exists() {
    let d = issue_constraints().test(&name("user@example.com"));
    assert_eq!(
        d,
        Decision {
            permitted: true,
            reason: "no constraint of this kind: permitted".into(),
            warnings: vec![],
        }
    );
}

#[test]
fn reason_says_when_only_excluded_subtrees_of_the_kind_exist() {
    let nc = build(&NameConstraintLists {
        excluded_dns: vec!["bad.example.com".into()],
        ..lists()
    });
    let d = nc.test(&name("good.example.com"));
    assert!(d.permitted);
    assert_eq!(
        d.reason,
        "not inside any excluded_dns subtree and no permitted_dns list restricts it: permitted"
    );
}

#[test]
fn excluded_wins_over_permitted_for_the_same_name() {
    let nc = build(&NameConstraintLists {
        permitted_dns: vec!["example.com".into()],
        excluded_dns: vec!["secret.example.com".into()],
        ..lists()
    });
    let d = nc.test(&name("a.secret.example.com"));
    assert!(!d.permitted);
    assert!(d.reason.starts_with("excluded by"));
}

#[test]
fn without_an_extension_every_name_is_permitted_saying_so() {
    assert_eq!(
        TestedName::judge("example.org", None).map(|t| t.decision),
        Ok(Decision {
            permitted: true,
            reason: "the certificate has no name constraints".into(),
            warnings: vec![],
        })
    );
}

// --- kinds are kept apart ---

/// (constraints, a name of another kind that they must not decide).
#[test]
fn constraints_of_one_kind_never_decide_a_name_of_another() {
    let cases: [(NameConstraintLists, &str); 6] = [
        (dns(&["example.com"]), "10.0.0.1"),
        (dns(&["example.com"]), "user@other.org"),
        (dns(&["example.com"]), "https://other.org/"),
        (ip(&["10.0.0.0/8"]), "other.org"),
        (email(&["example.com"]), "other.org"),
        (uri(&["example.com"]), "CN=x,O=Other"),
    ];
    for (l, n) in cases {
        let d = build(&l).test(&name(n));
        assert_eq!(d.reason, "no constraint of this kind: permitted", "{n}");
    }
}

#[test]
fn an_excluded_subtree_of_another_kind_does_not_count_as_a_constraint_of_this_kind() {
    let nc = build(&NameConstraintLists {
        excluded_ip: vec!["0.0.0.0/0".into()],
        ..lists()
    });
    assert_eq!(
        nc.test(&name("example.org")).reason,
        "no constraint of this kind: permitted"
    );
}

#[test]
fn each_kind_is_matched_by_its_own_constraints() {
    let nc = build(&NameConstraintLists {
        permitted_dns: vec!["example.com".into()],
        permitted_ip: vec!["10.0.0.0/8".into()],
        permitted_email: vec!["example.com".into()],
        permitted_uri: vec!["x.example.com".into()],
        permitted_dn: vec!["O=Example,C=US".into()],
        ..lists()
    });
    for (inside, outside) in [
        ("a.example.com", "a.example.org"),
        ("10.1.2.3", "11.1.2.3"),
        ("a@example.com", "a@example.org"),
        ("https://x.example.com/", "https://y.example.com/"),
        ("CN=a,O=Example,C=US", "CN=a,O=Other,C=US"),
    ] {
        assert!(allows(&nc, inside), "{inside}");
        assert!(!allows(&nc, outside), "{outside}");
    }
}

// --- validation: where and what ---

#[test]
fn an_error_names_the_list_the_entry_and_the_value() {
    let e = refuse(&dns(&["ok.example.com", "*.example.com"]));
    assert_eq!(
        e.at,
        Location::Entry {
            list: List::PermittedDns,
            entry: 2,
            value: "*.example.com".into()
        }
    );
    assert!(matches!(e.problem, Problem::Wildcard { .. }));
    assert!(
        e.to_string()
            .starts_with("permitted_dns entry 2 (\"*.example.com\") contains a wildcard '*'"),
        "{e}"
    );
}

#[test]
fn an_empty_entry_is_named_without_a_value() {
    let e = refuse(&dns(&["ok.example.com", ""]));
    assert_eq!(
        e.to_string(),
        format!("permitted_dns entry 2 is empty: write {}", dns::ACCEPTED)
    );
}

#[test]
fn an_empty_entry_says_what_its_list_accepts() {
    let e = refuse(&NameConstraintLists {
        excluded_uri: vec!["".into()],
        ..lists()
    });
    assert_eq!(
        e.problem,
        Problem::Empty {
            accepted: uri::ACCEPTED
        }
    );
}

#[test]
fn spaces_around_an_entry_are_refused() {
    let e = refuse(&dns(&[" example.com"]));
    assert!(matches!(e.problem, Problem::SurroundingWhitespace { .. }));
    assert!(
        e.to_string()
            .starts_with("permitted_dns entry 1 (\" example.com\") has spaces around it"),
        "{e}"
    );
}

/// (lists, the start of the message).
#[test]
fn each_list_is_named_in_its_errors() {
    let cases = [
        (dns(&["a..b"]), "permitted_dns entry 1"),
        (ip(&["10.0.0.0/33"]), "permitted_ip entry 1"),
        (email(&["a@b@example.com"]), "permitted_email entry 1"),
        (uri(&["https://x.example.com/"]), "permitted_uri entry 1"),
        (dn(&["not a dn"]), "permitted_dn entry 1"),
        (
            NameConstraintLists {
                excluded_dns: vec!["a..b".into()],
                ..lists()
            },
            "excluded_dns entry 1",
        ),
        (
            NameConstraintLists {
                excluded_ip: vec!["ten".into()],
                ..lists()
            },
            "excluded_ip entry 1",
        ),
        (
            NameConstraintLists {
                excluded_email: vec!["a@".into()],
                ..lists()
            },
            "excluded_email entry 1",
        ),
        (
            NameConstraintLists {
                excluded_uri: vec!["h/p".into()],
                ..lists()
            },
            "excluded_uri entry 1",
        ),
        (
            NameConstraintLists {
                excluded_dn: vec!["CN=".into()],
                ..lists()
            },
            "excluded_dn entry 1",
        ),
    ];
    for (l, start) in cases {
        let e = refuse(&l);
        assert!(e.to_string().starts_with(start), "{start}: {e}");
    }
}

#[test]
fn an_ip_address_in_a_dns_list_points_at_the_ip_list_of_the_same_side() {
    let e = refuse(&NameConstraintLists {
        excluded_dns: vec!["10.0.0.1".into()],
        ..lists()
    });
    assert_eq!(
        e.to_string(),
        "excluded_dns entry 1 (\"10.0.0.1\") is an IP address, not a DNS name: \
         put it in excluded_ip as \"10.0.0.1/32\""
    );
}

#[test]
fn a_uri_with_a_scheme_suggests_its_host() {
    let e = refuse(&uri(&["https://x.example.com/"]));
    assert_eq!(
        e,
        NameConstraintError {
            at: Location::Entry {
                list: List::PermittedUri,
                entry: 1,
                value: "https://x.example.com/".into()
            },
            problem: Problem::UriHasScheme {
                host: "x.example.com".into()
            }
        }
    );
}

#[test]
fn an_ip_without_prefix_asks_for_the_host_prefix() {
    assert_eq!(
        refuse(&ip(&["192.0.2.7"])).to_string(),
        "permitted_ip entry 1 (\"192.0.2.7\") has no prefix length: add /32 for this one \
         address (\"192.0.2.7/32\"), or write the network in CIDR form such as \"10.0.0.0/8\""
    );
}

#[test]
fn a_dn_that_does_not_parse_is_refused_naming_its_entry() {
    let e = refuse(&dn(&["not a dn"]));
    assert!(matches!(e.problem, Problem::InvalidDn { .. }));
    assert!(e.to_string().contains("permitted_dn entry 1"), "{e}");
}

#[test]
fn dns_entries_are_lowercased() {
    let nc = build(&dns(&["Dev.Example.COM"]));
    assert_eq!(nc.to_lists().permitted_dns, vec!["dev.example.com"]);
}

#[test]
fn email_hosts_are_lowercased_and_local_parts_kept() {
    let nc = build(&email(&["Ops@Example.COM"]));
    assert_eq!(nc.to_lists().permitted_email, vec!["Ops@example.com"]);
}

#[test]
fn dn_attribute_names_are_normalised() {
    let nc = build(&dn(&["o=Example,c=US"]));
    assert_eq!(nc.to_lists().permitted_dn, vec!["O=Example,C=US"]);
}

/// (a list with a duplicate, the note saying how entries were compared).
#[test]
fn duplicates_are_refused_saying_how_entries_compare() {
    let cases = [
        (dns(&["example.com", "EXAMPLE.com"]), "lowercasing"),
        (ip(&["::/0", "0::/0"]), "the same network"),
        (
            email(&["a@example.com", "a@EXAMPLE.com"]),
            "hosts are compared",
        ),
        (uri(&["x.example.com", "X.example.com"]), "lowercasing"),
        (
            dn(&["O=Example,C=US", "O=EXAMPLE,C=US"]),
            "case and spacing",
        ),
    ];
    for (l, note) in cases {
        let e = refuse(&l);
        assert!(
            matches!(e.problem, Problem::Duplicate { first_entry: 1, .. }),
            "{e}"
        );
        assert!(matches!(e.at, Location::Entry { entry: 2, .. }), "{e}");
        assert!(e.to_string().contains(note), "{note}: {e}");
    }
}

#[test]
fn a_duplicate_says_which_entry_it_repeats() {
    assert_eq!(
        refuse(&dns(&["example.com", "EXAMPLE.com"])).to_string(),
        "permitted_dns entry 2 (\"EXAMPLE.com\") repeats entry 1 \
         (entries are compared after lowercasing): remove one of them"
    );
}

#[test]
fn a_name_both_permitted_and_excluded_is_refused_at_the_permitted_entry() {
    let e = refuse(&NameConstraintLists {
        permitted_dns: vec!["a.example.com".into()],
        excluded_dns: vec!["b.example.com".into(), "a.example.com".into()],
        ..lists()
    });
    assert_eq!(
        e,
        NameConstraintError {
            at: Location::Entry {
                list: List::PermittedDns,
                entry: 1,
                value: "a.example.com".into()
            },
            problem: Problem::AlsoExcluded {
                excluded_list: List::ExcludedDns,
                excluded_entry: 2
            }
        }
    );
    assert_eq!(
        e.to_string(),
        "permitted_dns entry 1 (\"a.example.com\") is also excluded_dns entry 2: excluded \
         always wins, so the permitted entry would permit nothing; remove one of them"
    );
}

#[test]
fn the_same_network_both_permitted_and_excluded_is_refused() {
    let e = refuse(&NameConstraintLists {
        permitted_ip: vec!["10.0.0.0/8".into()],
        excluded_ip: vec!["10.0.0.0/8".into()],
        ..lists()
    });
    assert!(matches!(e.problem, Problem::AlsoExcluded { .. }), "{e}");
}

#[test]
fn dns_with_and_without_dot_are_different_constraints() {
    let nc = build(&NameConstraintLists {
        permitted_dns: vec!["example.com".into()],
        excluded_dns: vec![".example.com".into()],
        ..lists()
    });
    assert!(allows(&nc, "example.com"));
    assert!(!allows(&nc, "www.example.com"));
}

#[test]
fn list_names_are_the_ceremony_file_keys() {
    let all = [
        (List::PermittedDns, "permitted_dns", true),
        (List::ExcludedDns, "excluded_dns", false),
        (List::PermittedIp, "permitted_ip", true),
        (List::ExcludedIp, "excluded_ip", false),
        (List::PermittedEmail, "permitted_email", true),
        (List::ExcludedEmail, "excluded_email", false),
        (List::PermittedUri, "permitted_uri", true),
        (List::ExcludedUri, "excluded_uri", false),
        (List::PermittedDn, "permitted_dn", true),
        (List::ExcludedDn, "excluded_dn", false),
    ];
    for (list, key, permitted) in all {
        assert_eq!(list.to_string(), key);
        assert_eq!(list.is_permitted(), permitted, "{key}");
    }
}

// --- all empty ---

#[test]
fn all_lists_empty_is_valid_and_empty() {
    let nc = build(&lists());
    assert!(nc.is_empty());
    assert_eq!(nc.to_extension().permitted_subtrees, None);
    assert_eq!(nc.to_extension().excluded_subtrees, None);
}

#[test]
fn constraints_with_one_entry_are_not_empty() {
    assert!(!build(&dns(&["example.com"])).is_empty());
}

// --- encoding ---

mod encoding;

#[test]
fn describe_explains_each_issue_subtree() {
    assert_eq!(
        issue_constraints().describe(),
        vec![
            "permitted DNS  dev.example.com (this name and every name below it)",
            "permitted DNS  .test.example.com (names below test.example.com only, not test.example.com itself)",
            "excluded  DNS  .prod.dev.example.com (names below prod.dev.example.com only, not prod.dev.example.com itself)",
            "excluded  IP   0.0.0.0/0 (every IPv4 address)",
            "excluded  IP   ::/0 (every IPv6 address)",
        ]
    );
}

#[test]
fn describe_shows_ip_ranges_and_single_addresses() {
    let nc = build(&ip(&["10.0.0.0/8", "192.0.2.7/32"]));
    assert_eq!(
        nc.describe(),
        vec![
            "permitted IP   10.0.0.0/8 (10.0.0.0 to 10.255.255.255)",
            "permitted IP   192.0.2.7/32 (this address only)",
        ]
    );
}

#[test]
fn describe_explains_the_three_email_forms() {
    let nc = build(&email(&["ops@example.com", "example.com", ".example.com"]));
    assert_eq!(
        nc.describe(),
        vec![
            "permitted mail ops@example.com (this mailbox only)",
            "permitted mail example.com (every mailbox at this host, not at hosts below it)",
            "permitted mail .example.com (mailboxes at any host below example.com, not at example.com itself)",
        ]
    );
}

#[test]
fn describe_explains_uri_and_dn_constraints() {
    let nc = build(&NameConstraintLists {
        permitted_uri: vec![".example.com".into()],
        excluded_dn: vec!["OU=Prod,O=Example,C=US".into()],
        ..lists()
    });
    assert_eq!(
        nc.describe(),
        vec![
            "permitted URI  .example.com (URIs whose host is below example.com, not example.com itself)",
            "excluded  DN   OU=Prod,O=Example,C=US (this name and every name below it)",
        ]
    );
}

mod test_names;

// --- wildcards ---

#[test]
fn a_wildcard_over_an_excluded_name_is_permitted_as_by_openssl_with_a_warning() {
    let d = wildcard_gap().test(&name("*.dev.example.com"));
    assert!(d.permitted);
    assert_eq!(d.reason, "permitted by permitted_dns \"dev.example.com\"");
    assert_eq!(
        d.warnings,
        vec![
            "*.dev.example.com also covers www.dev.example.com, which excluded_dns \
             \"www.dev.example.com\" excludes: OpenSSL compares the wildcard as written and \
             accepts the certificate; rustls-webpki, Go (CVE-2025-61727) and BoringSSL refuse \
             such a certificate"
                .to_string()
        ]
    );
}

/// (name, warned about the wildcard gap under `wildcard_gap`).
const WILDCARD_WARNED: &[(&str, bool)] = &[
    ("*.dev.example.com", true),
    ("*.DEV.example.com", true),
    // The excluded name itself, and below it: refused, nothing to warn about.
    ("www.dev.example.com", false),
    ("*.www.dev.example.com", false),
    // Not a wildcard, or a wildcard that reaches no excluded name.
    ("api.dev.example.com", false),
    ("*.api.dev.example.com", false),
    // Outside what is permitted: refused anyway.
    ("*.example.com", false),
];

#[test]
fn only_a_permitted_wildcard_that_reaches_an_excluded_name_is_warned_about() {
    let nc = wildcard_gap();
    for &(n, warned) in WILDCARD_WARNED {
        assert_eq!(!nc.test(&name(n)).warnings.is_empty(), warned, "{n}");
    }
}

#[test]
fn a_wildcard_is_refused_where_openssl_matches_it_as_written() {
    let nc = build(&NameConstraintLists {
        permitted_dns: vec!["example.com".into()],
        excluded_dns: vec!["dev.example.com".into()],
        ..lists()
    });
    assert_eq!(
        nc.test(&name("*.dev.example.com")),
        Decision {
            permitted: false,
            reason: "excluded by excluded_dns \"dev.example.com\"".into(),
            warnings: vec![],
        }
    );
}

#[test]
fn warnings_name_an_excluded_entry_one_label_below_a_permitted_one() {
    assert_eq!(
        wildcard_gap().warnings(),
        vec![
            "excluded_dns entry 1 (\"www.dev.example.com\") does not stop a wildcard: a \
             certificate for \"*.dev.example.com\" passes OpenSSL (permitted by permitted_dns \
             \"dev.example.com\") and covers www.dev.example.com; rustls-webpki, Go \
             (CVE-2025-61727) and BoringSSL refuse such a certificate"
                .to_string()
        ]
    );
}

/// (permitted_dns, excluded_dns, how many excluded entries the warnings name).
const WARNINGS: &[(&[&str], &[&str], usize)] = &[
    (&["dev.example.com"], &["www.dev.example.com"], 1),
    (&[".dev.example.com"], &["www.dev.example.com"], 1),
    // Deeper below a permitted name: the wildcard one label above is still permitted.
    (&["example.com"], &["www.dev.example.com"], 1),
    // No permitted DNS list: every wildcard is permitted.
    (&[], &["www.dev.example.com"], 1),
    (
        &["dev.example.com"],
        &["a.dev.example.com", "b.dev.example.com"],
        2,
    ),
    // Names below only: a wildcard one label above reaches none of them.
    (&["dev.example.com"], &[".www.dev.example.com"], 0),
    (&["www.dev.example.com"], &["a.www.dev.example.com"], 1),
    // The wildcard one label above is itself outside what is permitted.
    (&["api.example.com"], &["x.dev.example.com"], 0),
    (&["a.dev.example.com"], &["dev.example.com"], 0),
    // The wildcard one label above is excluded by another entry, as OpenSSL sees it.
    (
        &["example.com"],
        &["www.dev.example.com", ".dev.example.com"],
        0,
    ),
    // ... though that entry may leave a gap of its own: *.example.com covers dev.example.com.
    (
        &["example.com"],
        &["www.dev.example.com", "dev.example.com"],
        1,
    ),
    (&["dev.example.com"], &[], 0),
];

#[test]
fn warnings_are_given_exactly_where_a_permitted_wildcard_covers_an_excluded_name() {
    for &(permitted, excluded, count) in WARNINGS {
        let nc = build(&NameConstraintLists {
            permitted_dns: strings(permitted),
            excluded_dns: strings(excluded),
            ..lists()
        });
        assert_eq!(
            nc.warnings().len(),
            count,
            "permitted {permitted:?}, excluded {excluded:?}: {:?}",
            nc.warnings()
        );
    }
}

#[test]
fn warnings_are_empty_for_the_issue_constraints() {
    assert_eq!(issue_constraints().warnings(), Vec::<String>::new());
}

#[test]
fn the_warning_for_an_excluded_entry_agrees_with_the_verdict_on_its_wildcard() {
    let nc = build(&NameConstraintLists {
        permitted_dns: vec!["example.com".into()],
        excluded_dns: vec!["www.dev.example.com".into()],
        ..lists()
    });
    let d = nc.test(&name("*.dev.example.com"));
    assert!(d.permitted);
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(nc.warnings().len(), 1);
}

// --- CN ---

/// Permitted localhost and example.com, excluded secret.example.com.
fn cn_constraints() -> NameConstraints {
    build(&NameConstraintLists {
        permitted_dns: vec!["localhost".into(), "example.com".into()],
        excluded_dns: vec!["secret.example.com".into()],
        excluded_ip: vec!["0.0.0.0/0".into()],
        ..lists()
    })
}

/// (CN, permitted under `cn_constraints`, as OpenSSL decides for a leaf without DNS SAN).
const CN_VERDICTS: &[(&str, bool)] = &[
    ("www.example.com", true),
    ("WWW.EXAMPLE.COM", true),
    ("www.example.org", false),
    ("a.secret.example.com", false),
    // An IP address looks like a host name and is judged by the DNS constraints only.
    ("127.0.0.1", false),
    ("_srv.example.org", false),
    // Not host names to OpenSSL: not checked against DNS constraints.
    ("localhost", true),
    ("www.example.org.", true),
    ("leaf test", true),
    ("*.secret.example.com", true),
    ("-a.example.org", true),
    ("a..example.org", true),
    ("bücher.example.org", true),
];

#[test]
fn a_cn_is_judged_by_dns_constraints_only_when_it_looks_like_a_host() {
    let nc = cn_constraints();
    for &(cn, permitted) in CN_VERDICTS {
        let d = nc.test(&TestName::Cn(cn.to_string()));
        assert_eq!(d.permitted, permitted, "{cn}: {}", d.reason);
    }
}

#[test]
fn a_host_like_cn_keeps_the_dns_reason_and_says_why_it_applies() {
    let d = cn_constraints().test(&name("cn:127.0.0.1"));
    assert_eq!(
        d.reason,
        "not inside any permitted_dns subtree (permitted: \"localhost\", \"example.com\"); the \
         CN looks like a host name, so OpenSSL checks it against the DNS constraints when the \
         certificate has no DNS subjectAltName"
    );
}

#[test]
fn a_cn_that_is_no_host_name_is_permitted_saying_why() {
    let d = cn_constraints().test(&name("cn:leaf test"));
    assert_eq!(
        d,
        Decision {
            permitted: true,
            reason: "the CN does not look like a host name, so OpenSSL checks it against no \
                     DNS constraint: permitted"
                .into(),
            warnings: vec![],
        }
    );
}

#[test]
fn a_wildcard_cn_is_permitted_with_a_warning_when_there_are_dns_constraints() {
    let d = cn_constraints().test(&name("cn:*.secret.example.com"));
    assert!(d.permitted);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(
        d.warnings[0].contains("www.secret.example.com"),
        "{:?}",
        d.warnings
    );
}

#[test]
fn a_wildcard_cn_is_not_warned_about_without_dns_constraints() {
    let nc = build(&ip(&["10.0.0.0/8"]));
    assert_eq!(
        nc.test(&name("cn:*.example.com")).warnings,
        Vec::<String>::new()
    );
}

#[test]
fn ip_constraints_do_not_apply_to_a_cn() {
    let nc = build(&ip(&["10.0.0.0/8"]));
    assert!(nc.test(&name("cn:192.0.2.1")).permitted);
}

// --- results of `rootca names` ---

#[test]
fn a_tested_name_serialises_with_the_names_command_keys() {
    let tested = TestedName::judge("*.dev.example.com", Some(&wildcard_gap()));
    let json = tested.map(|t| serde_json::to_value(&t).map_err(|e| e.to_string()));
    let Ok(Ok(json)) = json else {
        panic!("{json:?}");
    };
    let keys: Vec<&str> = json
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 5, "{json}");
    for key in ["name", "kind", "permitted", "reason", "warnings"] {
        assert!(keys.contains(&key), "{key}: {json}");
    }
    assert_eq!(json["name"], "*.dev.example.com");
    assert_eq!(json["kind"], "DNS name *.dev.example.com");
    assert_eq!(json["permitted"], true);
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_tested_name_that_does_not_parse_is_an_error() {
    assert!(TestedName::judge("invalid@address@example.com", None).is_err());
}
