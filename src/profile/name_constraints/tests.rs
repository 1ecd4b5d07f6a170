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

#[test]
fn encodes_excluded_v4_and_v6_everything_as_hand_checked_bytes() {
    let nc = build(&NameConstraintLists {
        excluded_ip: vec!["0.0.0.0/0".into(), "::/0".into()],
        ..lists()
    });
    // 30 32                     NameConstraints
    //   a1 30                   [1] excludedSubtrees
    //     30 0a 87 08 <8x00>    GeneralSubtree { iPAddress 0.0.0.0 mask 0.0.0.0 }
    //     30 22 87 20 <32x00>   GeneralSubtree { iPAddress :: mask :: }
    let mut expected = vec![0x30, 0x32, 0xa1, 0x30, 0x30, 0x0a, 0x87, 0x08];
    expected.extend([0u8; 8]);
    expected.extend([0x30, 0x22, 0x87, 0x20]);
    expected.extend([0u8; 32]);
    assert_eq!(der_of(&nc), expected);
}

#[test]
fn encodes_a_v4_network_as_address_then_mask() {
    let nc = build(&ip(&["10.0.0.0/8"]));
    assert_eq!(
        der_of(&nc),
        vec![
            0x30, 0x0e, 0xa0, 0x0c, 0x30, 0x0a, 0x87, 0x08, 10, 0, 0, 0, 0xff, 0, 0, 0
        ]
    );
}

#[test]
fn encodes_a_v6_network_as_address_then_mask() {
    let nc = build(&ip(&["2001:db8::/32"]));
    let mut expected = vec![0x30, 0x26, 0xa0, 0x24, 0x30, 0x22, 0x87, 0x20];
    expected.extend([0x20, 0x01, 0x0d, 0xb8]);
    expected.extend([0u8; 12]);
    expected.extend([0xff; 4]);
    expected.extend([0u8; 12]);
    assert_eq!(der_of(&nc), expected);
}

#[test]
fn encodes_dns_names_as_given_including_the_leading_dot() {
    let nc = build(&dns(&[".a.com"]));
    assert_eq!(
        der_of(&nc),
        vec![
            0x30, 0x0c, 0xa0, 0x0a, 0x30, 0x08, 0x82, 0x06, b'.', b'a', b'.', b'c', b'o', b'm'
        ]
    );
}

#[test]
fn extension_is_critical_when_built_into_a_certificate() {
    use x509_cert::ext::Criticality;
    let ext = build(&dns(&["a.com"])).to_extension();
    assert!(ext.criticality(&Name::default(), &[]));
}

#[test]
fn encodes_minimum_and_maximum_as_absent() {
    let ext = build(&dns(&["a.com"])).to_extension();
    let subtree = ext
        .permitted_subtrees
        .as_ref()
        .and_then(|s| s.first())
        .cloned();
    assert_eq!(subtree.as_ref().map(|s| s.minimum), Some(0));
    assert_eq!(subtree.and_then(|s| s.maximum), None);
}

#[test]
fn encodes_directory_names_as_explicit_tag_4() {
    // NameConstraints, [0] permitted, GeneralSubtree, [4] constructed wrapping the Name:
    // SEQUENCE { SET { SEQUENCE { OID 2.5.4.6, PrintableString "US" } } }.
    assert_eq!(
        der_of(&build(&dn(&["C=US"]))),
        vec![
            0x30, 0x15, 0xa0, 0x13, 0x30, 0x11, 0xa4, 0x0f, 0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
            0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'U', b'S'
        ]
    );
}

#[test]
fn extension_round_trips_through_der() {
    let nc = issue_constraints();
    let decoded = x509_cert::ext::pkix::NameConstraints::from_der(&der_of(&nc));
    let back = decoded
        .map_err(|e| e.to_string())
        .and_then(|ext| NameConstraints::from_extension(&ext).map_err(|e| e.to_string()));
    assert_eq!(back, Ok(nc));
}

// --- from_extension ---

fn subtree(base: GeneralName, minimum: u32, maximum: Option<u32>) -> GeneralSubtree {
    GeneralSubtree {
        base,
        minimum,
        maximum,
    }
}

fn ext_with(permitted: Vec<GeneralSubtree>) -> x509_cert::ext::pkix::NameConstraints {
    x509_cert::ext::pkix::NameConstraints {
        permitted_subtrees: Some(permitted),
        excluded_subtrees: None,
    }
}

fn ip_name(octets: &[u8]) -> GeneralName {
    match OctetString::new(octets) {
        Ok(o) => GeneralName::IpAddress(o),
        Err(e) => panic!("{e}"),
    }
}

fn dns_name(text: &str) -> GeneralName {
    match Ia5String::new(text) {
        Ok(s) => GeneralName::DnsName(s),
        Err(e) => panic!("{e}"),
    }
}

fn read_error(ext: &x509_cert::ext::pkix::NameConstraints) -> NameConstraintError {
    match NameConstraints::from_extension(ext) {
        Ok(nc) => panic!("read as {nc:?}"),
        Err(e) => e,
    }
}

#[test]
fn from_extension_refuses_a_maximum_naming_the_subtree() {
    let ext = ext_with(vec![subtree(
        ip_name(&[10, 0, 0, 0, 255, 0, 0, 0]),
        0,
        Some(3),
    )]);
    assert_eq!(
        read_error(&ext).to_string(),
        "the extension's permitted subtree 1 sets minimum 0 / maximum 3: RFC 5280 requires \
         minimum 0 and no maximum (OpenSSL rejects any other value)"
    );
}

#[test]
fn from_extension_refuses_a_nonzero_minimum() {
    let ext = ext_with(vec![subtree(
        ip_name(&[10, 0, 0, 0, 255, 0, 0, 0]),
        1,
        None,
    )]);
    assert!(matches!(
        read_error(&ext).problem,
        Problem::SubtreeMinMax { minimum: 1, .. }
    ));
}

#[test]
fn from_extension_refuses_an_ip_constraint_of_the_wrong_length() {
    let ext = ext_with(vec![subtree(ip_name(&[10, 0, 0, 0]), 0, None)]);
    assert_eq!(
        read_error(&ext).to_string(),
        "the extension's permitted_ip entry 1 is 4 octets: an iPAddress constraint is \
         8 octets (IPv4 address and mask) or 32 (IPv6)"
    );
}

#[test]
fn from_extension_refuses_a_non_contiguous_mask() {
    let ext = ext_with(vec![subtree(
        ip_name(&[10, 0, 0, 0, 255, 0, 255, 0]),
        0,
        None,
    )]);
    assert!(matches!(
        read_error(&ext).problem,
        Problem::IpMaskNotContiguous { .. }
    ));
}

#[test]
fn from_extension_numbers_entries_per_list() {
    let ext = ext_with(vec![
        subtree(dns_name("a.example.com"), 0, None),
        subtree(ip_name(&[10, 0, 0, 0, 255, 0, 0, 0]), 0, None),
        subtree(dns_name("*.example.com"), 0, None),
    ]);
    assert_eq!(
        read_error(&ext).at,
        Location::ExtensionEntry {
            list: List::PermittedDns,
            entry: 2,
            value: "*.example.com".into()
        }
    );
}

#[test]
fn from_extension_accepts_host_bits_and_says_how_they_are_read() {
    let ext = ext_with(vec![subtree(
        ip_name(&[10, 0, 0, 1, 255, 0, 0, 0]),
        0,
        None,
    )]);
    let nc = NameConstraints::from_extension(&ext).map_err(|e| e.to_string());
    let lines = nc.map(|nc| nc.describe());
    assert_eq!(
        lines,
        Ok(vec![
            "permitted IP   10.0.0.1/8 (10.0.0.0 to 10.255.255.255; encoded with host bits set, read as 10.0.0.0/8)"
                .to_string()
        ])
    );
}

#[test]
fn from_extension_accepts_upper_case_and_a_name_both_permitted_and_excluded() {
    let ext = x509_cert::ext::pkix::NameConstraints {
        permitted_subtrees: Some(vec![subtree(dns_name("A.Example.com"), 0, None)]),
        excluded_subtrees: Some(vec![subtree(dns_name("a.example.com"), 0, None)]),
    };
    let nc = NameConstraints::from_extension(&ext).map_err(|e| e.to_string());
    assert_eq!(
        nc.map(|nc| nc.to_lists().permitted_dns),
        Ok(vec!["a.example.com".to_string()])
    );
}

#[test]
fn from_extension_refuses_a_registered_id() {
    let ext = ext_with(vec![subtree(
        GeneralName::RegisteredId(const_oid::db::rfc5280::ANY_POLICY),
        0,
        None,
    )]);
    let e = read_error(&ext);
    assert_eq!(
        e.at,
        Location::ExtensionSubtree {
            permitted: true,
            position: 1
        }
    );
    assert_eq!(
        e.problem,
        Problem::UnsupportedNameType {
            name_type: "registeredID"
        }
    );
}

#[test]
fn from_extension_refuses_a_wildcard_dns_constraint() {
    let ext = ext_with(vec![subtree(dns_name("*.example.com"), 0, None)]);
    let e = read_error(&ext);
    assert!(matches!(e.problem, Problem::Wildcard { .. }));
    assert!(
        e.to_string()
            .starts_with("the extension's permitted_dns entry 1 (\"*.example.com\")"),
        "{e}"
    );
}

// --- describe ---

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
