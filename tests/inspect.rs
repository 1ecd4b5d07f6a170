//! `rootca inspect` on documents made by the openssl CLI (tests/fixtures/make.sh), checked
//! against what openssl itself printed about them (the *.openssl.txt files).

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rootca::inspect::{
    CertificateDetails, CrlDetails, Details, DocumentKind, Encoding, InspectError, Report,
    RequestDetails, inspect,
};

const EC_ROOT_PEM: &[u8] = include_bytes!("fixtures/ec-root.pem");
const EC_ROOT_DER: &[u8] = include_bytes!("fixtures/ec-root.der");
const EC_ROOT_OPENSSL: &str = include_str!("fixtures/ec-root.openssl.txt");
const RSA_NC_PEM: &[u8] = include_bytes!("fixtures/rsa-nc-ca.pem");
const RSA_NC_DER: &[u8] = include_bytes!("fixtures/rsa-nc-ca.der");
const RSA_NC_OPENSSL: &str = include_str!("fixtures/rsa-nc-ca.openssl.txt");
const GT_PEM: &[u8] = include_bytes!("fixtures/gt-2050.pem");
const GT_DER: &[u8] = include_bytes!("fixtures/gt-2050.der");
const GT_OPENSSL: &str = include_str!("fixtures/gt-2050.openssl.txt");
const CSR_PEM: &[u8] = include_bytes!("fixtures/csr.pem");
const CSR_DER: &[u8] = include_bytes!("fixtures/csr.der");
const CSR_NEW_LABEL: &[u8] = include_bytes!("fixtures/csr-new-label.pem");
const CSR_OPENSSL: &str = include_str!("fixtures/csr.openssl.txt");
const CRL_PEM: &[u8] = include_bytes!("fixtures/root.crl");
const CRL_DER: &[u8] = include_bytes!("fixtures/root.crl.der");
const CRL_OPENSSL: &str = include_str!("fixtures/root.crl.openssl.txt");

fn report(bytes: &[u8]) -> Report {
    match inspect(bytes) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn cert(bytes: &[u8]) -> CertificateDetails {
    match report(bytes).details {
        Details::Certificate(c) => c,
        other => panic!("not a certificate: {other:?}"),
    }
}

fn csr(bytes: &[u8]) -> RequestDetails {
    match report(bytes).details {
        Details::Request(r) => r,
        other => panic!("not a CSR: {other:?}"),
    }
}

fn crl(bytes: &[u8]) -> CrlDetails {
    match report(bytes).details {
        Details::Crl(c) => c,
        other => panic!("not a CRL: {other:?}"),
    }
}

/// The value after `key=` in an openssl output file.
fn openssl(text: &str, key: &str) -> String {
    let prefix = format!("{key}=");
    match text.lines().find_map(|l| l.strip_prefix(&prefix)) {
        Some(v) => v.to_string(),
        None => panic!("no {key} in openssl output:\n{text}"),
    }
}

/// openssl's `AB:CD:...` fingerprint as lowercase hex.
fn openssl_fingerprint(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains("Fingerprint="))
        .unwrap_or_default();
    let value = line.split('=').nth(1).unwrap_or_default();
    value.replace(':', "").to_ascii_lowercase()
}

/// openssl's `-dateopt iso_8601` form (`2026-01-01 00:00:00Z`) as RFC 3339.
fn openssl_date(text: &str, key: &str) -> String {
    openssl(text, key).replace(' ', "T")
}

fn extension_lines(c: &CertificateDetails, name: &str) -> Vec<String> {
    match c.extensions.iter().find(|e| e.name == name) {
        Some(e) => e.lines.clone(),
        None => panic!("no {name} in {:?}", c.extensions),
    }
}

// --- certificate: the EC P-384 root ---

#[test]
fn root_subject_is_the_rfc4514_string_openssl_prints() {
    assert_eq!(
        cert(EC_ROOT_PEM).subject,
        openssl(EC_ROOT_OPENSSL, "subject")
    );
    assert_eq!(
        cert(EC_ROOT_PEM).subject,
        "CN=Example Root CA G1,O=Example Corp,C=US"
    );
}

#[test]
fn root_issuer_is_its_subject() {
    assert_eq!(cert(EC_ROOT_PEM).issuer, openssl(EC_ROOT_OPENSSL, "issuer"));
}

#[test]
fn root_serial_is_lowercase_hex_with_0x() {
    let expected = format!(
        "0x{}",
        openssl(EC_ROOT_OPENSSL, "serial").to_ascii_lowercase()
    );
    assert_eq!(cert(EC_ROOT_PEM).serial, expected);
}

#[test]
fn root_validity_is_rfc3339_utctime() {
    let c = cert(EC_ROOT_PEM);
    assert_eq!(
        c.not_before.rfc3339,
        openssl_date(EC_ROOT_OPENSSL, "notBefore")
    );
    assert_eq!(
        c.not_after.rfc3339,
        openssl_date(EC_ROOT_OPENSSL, "notAfter")
    );
    assert_eq!(c.not_after.rfc3339, "2046-01-01T00:00:00Z");
    assert_eq!(c.not_after.asn1_type, "UTCTime");
}

#[test]
fn root_key_and_signature_are_named() {
    let c = cert(EC_ROOT_PEM);
    assert_eq!(c.public_key, "EC P-384");
    assert_eq!(c.signature_algorithm, "ecdsa-sha384");
}

#[test]
fn root_is_self_signed() {
    assert!(cert(EC_ROOT_PEM).self_signed);
}

#[test]
fn root_path_len_is_shown() {
    let c = cert(EC_ROOT_PEM);
    assert_eq!(
        extension_lines(&c, "basicConstraints"),
        vec!["CA: true, pathLen: 1"]
    );
    assert!(
        c.extensions
            .iter()
            .any(|e| e.name == "basicConstraints" && e.critical)
    );
}

#[test]
fn root_key_usage_bits_are_named() {
    assert_eq!(
        extension_lines(&cert(EC_ROOT_PEM), "keyUsage"),
        vec!["keyCertSign, cRLSign"]
    );
}

#[test]
fn root_policy_and_cps_are_shown() {
    assert_eq!(
        extension_lines(&cert(EC_ROOT_PEM), "certificatePolicies"),
        vec![
            "1.3.6.1.4.1.55555.1.1",
            "  CPS: https://pki.example.com/cps"
        ]
    );
}

#[test]
fn root_key_identifiers_agree() {
    let c = cert(EC_ROOT_PEM);
    let ski = extension_lines(&c, "subjectKeyIdentifier");
    let aki = extension_lines(&c, "authorityKeyIdentifier");
    assert_eq!(aki, vec![format!("keyid {}", ski[0])]);
}

#[test]
fn root_fingerprint_equals_openssls() {
    assert_eq!(
        report(EC_ROOT_PEM).sha256,
        openssl_fingerprint(EC_ROOT_OPENSSL)
    );
    assert_eq!(
        report(EC_ROOT_DER).sha256,
        openssl_fingerprint(EC_ROOT_OPENSSL)
    );
}

#[test]
fn root_text_shows_fingerprint_whole_and_in_groups() {
    let text = report(EC_ROOT_PEM).render_text();
    let hex = openssl_fingerprint(EC_ROOT_OPENSSL);
    let groups: Vec<&str> = hex
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    assert!(
        text.contains(&format!("SHA-256 fingerprint:  {hex}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Read aloud:           {}\n", groups.join(" "))),
        "{text}"
    );
}

#[test]
fn root_text_shows_what_an_officer_reads() {
    let text = report(EC_ROOT_PEM).render_text();
    for line in [
        "Certificate (PEM, label CERTIFICATE)\n",
        "  Subject:              CN=Example Root CA G1,O=Example Corp,C=US\n",
        "  Not after:            2046-01-01T00:00:00Z (UTCTime)\n",
        "  Public key:           EC P-384\n",
        "    basicConstraints [critical]: CA: true, pathLen: 1\n",
        "    keyUsage [critical]: keyCertSign, cRLSign\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn text_has_no_debug_dumps() {
    for bytes in [EC_ROOT_PEM, RSA_NC_PEM, GT_PEM, CSR_PEM, CRL_PEM] {
        let text = report(bytes).render_text();
        for debug in ["Some(", "None", "{ ", "[\"", "Tag::", "ObjectIdentifier("] {
            assert!(!text.contains(debug), "{debug:?} in\n{text}");
        }
    }
}

#[test]
fn text_values_start_in_one_column() {
    for bytes in [EC_ROOT_PEM, RSA_NC_PEM, GT_PEM, CSR_PEM, CRL_PEM] {
        let text = report(bytes).render_text();
        // Field lines are indented two spaces; block headings ("  Extensions (5):") end in ':'.
        for line in text
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && !l.ends_with(':'))
        {
            let (label, value) = line.split_at_checked(24).unwrap_or((line, ""));
            assert!(label.trim_end().ends_with(':'), "label column: {line:?}");
            assert!(
                !value.is_empty() && !value.starts_with(' '),
                "value column: {line:?}"
            );
        }
    }
}

#[test]
fn der_and_pem_give_the_same_details() {
    assert_eq!(report(EC_ROOT_PEM).details, report(EC_ROOT_DER).details);
    assert_eq!(report(RSA_NC_PEM).details, report(RSA_NC_DER).details);
    assert_eq!(report(GT_PEM).details, report(GT_DER).details);
    assert_eq!(report(CSR_PEM).details, report(CSR_DER).details);
    assert_eq!(report(CRL_PEM).details, report(CRL_DER).details);
}

#[test]
fn der_input_is_reported_as_der() {
    assert_eq!(report(EC_ROOT_DER).encoding, Encoding::Der);
    assert_eq!(
        report(EC_ROOT_PEM).encoding,
        Encoding::Pem {
            label: "CERTIFICATE".into()
        }
    );
}

#[test]
fn pem_after_openssl_text_dump_is_read() {
    let mut with_text = b"Certificate:\n    Data:\n        Version: 3 (0x2)\n".to_vec();
    with_text.extend_from_slice(EC_ROOT_PEM);
    assert_eq!(report(&with_text).details, report(EC_ROOT_PEM).details);
}

#[test]
fn pem_with_crlf_line_endings_is_read() {
    let crlf = String::from_utf8_lossy(EC_ROOT_PEM).replace('\n', "\r\n");
    assert_eq!(report(crlf.as_bytes()).sha256, report(EC_ROOT_PEM).sha256);
}

#[test]
fn a_chain_file_shows_the_first_certificate_and_says_so() {
    let mut chain = RSA_NC_PEM.to_vec();
    chain.extend_from_slice(EC_ROOT_PEM);
    let r = report(&chain);
    assert_eq!(r.sha256, report(RSA_NC_PEM).sha256);
    assert_eq!(
        r.notes,
        vec!["the file holds 2 PEM blocks; only the first (CERTIFICATE) is shown"]
    );
}

// --- certificate: the name-constrained RSA CA ---

#[test]
fn nc_ca_shows_each_name_constraint_in_words() {
    let c = cert(RSA_NC_PEM);
    assert_eq!(
        extension_lines(&c, "nameConstraints"),
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
fn nc_ca_name_constraints_are_critical() {
    let c = cert(RSA_NC_PEM);
    assert!(
        c.extensions
            .iter()
            .any(|e| e.name == "nameConstraints" && e.critical)
    );
}

#[test]
fn nc_ca_is_rsa_2048_signed_by_the_ec_root() {
    let c = cert(RSA_NC_PEM);
    assert_eq!(c.public_key, "RSA 2048 bits, e=65537");
    assert_eq!(c.signature_algorithm, "ecdsa-sha384");
    assert_eq!(c.issuer, openssl(RSA_NC_OPENSSL, "issuer"));
    assert!(!c.self_signed);
}

#[test]
fn nc_ca_serial_drops_the_sign_octet() {
    assert_eq!(cert(RSA_NC_DER).serial, "0xa1b2c3d4e5f60718");
}

#[test]
fn nc_ca_path_len_zero_is_shown() {
    assert_eq!(
        extension_lines(&cert(RSA_NC_PEM), "basicConstraints"),
        vec!["CA: true, pathLen: 0"]
    );
}

#[test]
fn nc_ca_aki_is_the_root_ski() {
    let root_ski = extension_lines(&cert(EC_ROOT_PEM), "subjectKeyIdentifier");
    assert_eq!(
        extension_lines(&cert(RSA_NC_PEM), "authorityKeyIdentifier"),
        vec![format!("keyid {}", root_ski[0])]
    );
}

#[test]
fn nc_ca_crl_distribution_point_and_aia_are_shown() {
    let c = cert(RSA_NC_PEM);
    assert_eq!(
        extension_lines(&c, "cRLDistributionPoints"),
        vec!["URI:http://crl.example.com/root-g1.crl"]
    );
    assert_eq!(
        extension_lines(&c, "authorityInfoAccess"),
        vec![
            "caIssuers URI:http://crl.example.com/root-g1.cer",
            "OCSP URI:http://ocsp.example.com/"
        ]
    );
}

#[test]
fn nc_ca_fingerprint_equals_openssls() {
    assert_eq!(
        report(RSA_NC_DER).sha256,
        openssl_fingerprint(RSA_NC_OPENSSL)
    );
}

// --- certificate: GeneralizedTime ---

#[test]
fn not_after_in_2051_is_generalized_time() {
    let c = cert(GT_PEM);
    assert_eq!(c.not_after.rfc3339, "2051-01-01T00:00:00Z");
    assert_eq!(c.not_after.rfc3339, openssl_date(GT_OPENSSL, "notAfter"));
    assert_eq!(c.not_after.asn1_type, "GeneralizedTime");
    assert_eq!(c.not_before.asn1_type, "UTCTime");
}

#[test]
fn generalized_time_shows_in_text() {
    let text = report(GT_DER).render_text();
    assert!(
        text.contains("  Not after:            2051-01-01T00:00:00Z (GeneralizedTime)\n"),
        "{text}"
    );
}

#[test]
fn rsa_sha256_self_signed_certificate_is_named() {
    let c = cert(GT_PEM);
    assert_eq!(c.signature_algorithm, "rsa-sha256");
    assert_eq!(c.public_key, "RSA 2048 bits, e=65537");
    assert!(c.self_signed);
}

#[test]
fn path_len_absent_means_no_limit() {
    assert_eq!(
        extension_lines(&cert(GT_PEM), "basicConstraints"),
        vec!["CA: true, pathLen: none (no limit)"]
    );
}

#[test]
fn unknown_extension_shows_oid_and_length() {
    let c = cert(GT_PEM);
    let ext = c
        .extensions
        .iter()
        .find(|e| e.oid == "1.3.6.1.4.1.55555.99");
    let ext = ext.map(|e| {
        (
            e.name.as_str(),
            e.lines[0].starts_with("not decoded by rootca; 16 bytes"),
        )
    });
    assert_eq!(ext, Some(("unknown extension", true)));
}

#[test]
fn gt_fingerprint_equals_openssls() {
    assert_eq!(report(GT_PEM).sha256, openssl_fingerprint(GT_OPENSSL));
}

// --- CSR ---

#[test]
fn csr_subject_is_the_rfc4514_string_openssl_prints() {
    assert_eq!(csr(CSR_PEM).subject, openssl(CSR_OPENSSL, "subject"));
}

#[test]
fn csr_is_read_in_pem_der_and_under_the_old_label() {
    assert_eq!(report(CSR_PEM).kind, DocumentKind::CertificateRequest);
    assert_eq!(report(CSR_DER).kind, DocumentKind::CertificateRequest);
    let old = report(CSR_NEW_LABEL);
    assert_eq!(
        old.encoding,
        Encoding::Pem {
            label: "NEW CERTIFICATE REQUEST".into()
        }
    );
    assert_eq!(old.details, report(CSR_PEM).details);
}

#[test]
fn csr_signature_is_rsa_pss_with_its_hash() {
    assert_eq!(
        csr(CSR_PEM).signature_algorithm,
        "rsa-pss-sha256 (hash sha256, MGF1 with sha256, salt 32 bytes)"
    );
}

#[test]
fn csr_public_key_is_described() {
    assert_eq!(csr(CSR_DER).public_key, "RSA 2048 bits, e=65537");
}

#[test]
fn csr_key_hash_matches_the_certificate_made_with_the_same_key() {
    assert_eq!(
        csr(CSR_PEM).public_key_sha256,
        cert(RSA_NC_PEM).public_key_sha256
    );
}

#[test]
fn csr_requested_extensions_are_decoded() {
    let r = csr(CSR_PEM);
    let names: Vec<&str> = r
        .requested_extensions
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "basicConstraints",
            "keyUsage",
            "subjectAltName",
            "extendedKeyUsage"
        ]
    );
    let san = r
        .requested_extensions
        .iter()
        .find(|e| e.name == "subjectAltName");
    assert_eq!(
        san.map(|e| e.lines.clone()),
        Some(vec![
            "DNS:ca.example.com".to_string(),
            "IP:192.0.2.7".to_string(),
            "IP:2001:db8::7".to_string(),
            "email:pki@example.com".to_string(),
            "URI:https://pki.example.com/".to_string(),
        ])
    );
    let eku = r
        .requested_extensions
        .iter()
        .find(|e| e.name == "extendedKeyUsage");
    assert_eq!(
        eku.map(|e| e.lines.clone()),
        Some(vec!["serverAuth, clientAuth".to_string()])
    );
}

#[test]
fn csr_other_attributes_are_listed_by_name_and_oid() {
    let r = csr(CSR_PEM);
    assert_eq!(r.other_attributes.len(), 1);
    assert_eq!(r.other_attributes[0].name, "challengePassword");
    assert_eq!(r.other_attributes[0].oid, "1.2.840.113549.1.9.7");
    assert_eq!(r.other_attributes[0].values, vec!["fixture-password"]);
}

#[test]
fn csr_fingerprint_is_the_sha256_of_its_der() {
    assert_eq!(report(CSR_PEM).sha256, openssl(CSR_OPENSSL, "sha256"));
    assert_eq!(report(CSR_DER).sha256, openssl(CSR_OPENSSL, "sha256"));
}

#[test]
fn csr_text_says_the_signature_is_not_verified() {
    let text = report(CSR_PEM).render_text();
    assert!(
        text.contains("  Signature:            not verified here\n"),
        "{text}"
    );
    assert!(
        text.contains("    basicConstraints [critical]: CA: true, pathLen: 0\n"),
        "{text}"
    );
}

// --- CRL ---

#[test]
fn crl_issuer_and_dates_are_shown() {
    let c = crl(CRL_PEM);
    assert_eq!(c.issuer, openssl(CRL_OPENSSL, "issuer"));
    assert_eq!(
        c.this_update.rfc3339,
        openssl_date(CRL_OPENSSL, "lastUpdate")
    );
    assert_eq!(
        c.next_update.map(|t| t.rfc3339),
        Some(openssl_date(CRL_OPENSSL, "nextUpdate"))
    );
}

#[test]
fn crl_number_and_aki_are_shown() {
    let c = crl(CRL_DER);
    assert_eq!(openssl(CRL_OPENSSL, "crlNumber"), "0x03");
    assert_eq!(c.crl_number.as_deref(), Some("3"));
    let root_ski = extension_lines(&cert(EC_ROOT_PEM), "subjectKeyIdentifier");
    assert_eq!(c.authority_key_identifier, Some(root_ski[0].clone()));
}

#[test]
fn crl_lists_each_revoked_serial_with_date_and_reason() {
    let c = crl(CRL_PEM);
    let revoked: Vec<(String, String, Option<String>)> = c
        .revoked
        .iter()
        .map(|r| (r.serial.clone(), r.date.rfc3339.clone(), r.reason.clone()))
        .collect();
    assert_eq!(
        revoked,
        vec![
            (
                "0x1001".to_string(),
                "2026-06-01T00:00:00Z".to_string(),
                Some("superseded".to_string())
            ),
            (
                "0x1002".to_string(),
                "2026-07-01T00:00:00Z".to_string(),
                None
            ),
        ]
    );
}

#[test]
fn crl_signature_algorithm_is_named() {
    assert_eq!(crl(CRL_PEM).signature_algorithm, "ecdsa-sha384");
}

#[test]
fn crl_fingerprint_equals_openssls() {
    assert_eq!(report(CRL_PEM).sha256, openssl_fingerprint(CRL_OPENSSL));
    assert_eq!(report(CRL_DER).sha256, openssl_fingerprint(CRL_OPENSSL));
}

#[test]
fn crl_text_shows_revocations_one_per_line() {
    let text = report(CRL_PEM).render_text();
    assert!(
        text.contains("    0x1001  revoked 2026-06-01T00:00:00Z  reason: superseded\n"),
        "{text}"
    );
    assert!(
        text.contains("    0x1002  revoked 2026-07-01T00:00:00Z  reason: no reason given\n"),
        "{text}"
    );
}

// --- JSON ---

#[test]
fn certificate_json_carries_the_same_facts() {
    let json = report(RSA_NC_PEM).to_json();
    assert_eq!(json["kind"], "certificate");
    assert_eq!(json["encoding"], "PEM");
    assert_eq!(json["pem_label"], "CERTIFICATE");
    assert_eq!(
        json["subject"],
        "CN=Example Dev Issuing CA,O=Example Corp,C=US"
    );
    assert_eq!(json["not_after"]["asn1_type"], "UTCTime");
    assert_eq!(json["self_signed"], false);
    assert_eq!(
        json["sha256_fingerprint"],
        openssl_fingerprint(RSA_NC_OPENSSL)
    );
    let nc = json["extensions"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == "nameConstraints"));
    assert_eq!(
        nc.map(|e| e["critical"].clone()),
        Some(serde_json::json!(true))
    );
    assert_eq!(
        nc.map(|e| e["value"][3].clone()),
        Some(serde_json::json!(
            "excluded  IP   0.0.0.0/0 (every IPv4 address)"
        ))
    );
}

#[test]
fn der_json_has_no_pem_label() {
    let json = report(EC_ROOT_DER).to_json();
    assert_eq!(json["encoding"], "DER");
    assert!(json.get("pem_label").is_none());
}

#[test]
fn csr_json_carries_attributes_and_requested_extensions() {
    let json = report(CSR_DER).to_json();
    assert_eq!(json["kind"], "csr");
    assert_eq!(json["attributes"][0]["name"], "challengePassword");
    assert_eq!(json["requested_extensions"][0]["name"], "basicConstraints");
}

#[test]
fn crl_json_carries_revocations() {
    let json = report(CRL_DER).to_json();
    assert_eq!(json["kind"], "crl");
    assert_eq!(json["crl_number"], "3");
    assert_eq!(json["revoked"][0]["reason"], "superseded");
    assert_eq!(json["revoked"][1]["reason"], serde_json::Value::Null);
    assert_eq!(json["next_update"]["time"], "2027-07-01T00:00:00Z");
}

#[test]
fn json_fingerprint_groups_are_for_reading_aloud() {
    let json = report(EC_ROOT_PEM).to_json();
    let groups = json["sha256_fingerprint_groups"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        groups.replace(' ', ""),
        openssl_fingerprint(EC_ROOT_OPENSSL)
    );
    assert_eq!(groups.split(' ').count(), 16);
}

// --- refusals ---

#[test]
fn empty_file_is_refused_clearly() {
    let e = inspect(b"").map(|_| ());
    assert_eq!(e, Err(InspectError::Empty));
    let msg = InspectError::Empty.to_string();
    assert!(msg.starts_with("the file is empty"), "{msg}");
    assert!(msg.contains("PEM") && msg.contains("DER"), "{msg}");
}

#[test]
fn garbage_is_refused_naming_the_accepted_formats() {
    let e = match inspect(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]) {
        Ok(r) => panic!("accepted {r:?}"),
        Err(e) => e,
    };
    let msg = e.to_string();
    assert!(msg.contains("not a certificate, CSR or CRL"), "{msg}");
    assert!(msg.contains("CERTIFICATE REQUEST"), "{msg}");
    assert!(msg.contains("X509 CRL"), "{msg}");
}

#[test]
fn truncated_der_is_refused() {
    let cut = EC_ROOT_DER
        .get(..EC_ROOT_DER.len() - 10)
        .unwrap_or_default();
    assert!(matches!(
        inspect(cut),
        Err(InspectError::NotRecognised { .. })
    ));
}

#[test]
fn der_with_trailing_bytes_is_refused() {
    let mut longer = EC_ROOT_DER.to_vec();
    longer.push(0);
    assert!(matches!(
        inspect(&longer),
        Err(InspectError::NotRecognised { .. })
    ));
}

#[test]
fn certificate_label_around_a_crl_is_refused() {
    let pem = String::from_utf8_lossy(CRL_PEM).replace("X509 CRL", "CERTIFICATE");
    assert!(matches!(
        inspect(pem.as_bytes()),
        Err(InspectError::BadContent {
            kind: "certificate",
            ..
        })
    ));
}
