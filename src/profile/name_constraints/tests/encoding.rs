//! The extension rootca writes, byte for byte, and what it reads back from
//! an existing certificate's extension.

use super::*;

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
