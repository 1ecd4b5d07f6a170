//! The documents officers and auditors read list the very checks and rules
//! the code runs: each table row is compared with the registry the checks
//! run from, identifier, wording and order.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rootca::profile::checks::CHECKS;
use rootca::profile::crl::CRL_CHECKS;
use rootca::profile::pca_import::RULES;

/// The rows `| ID | text |...` of a Markdown table whose ids start with `prefix`.
fn rows(doc: &str, prefix: char) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[0].is_empty() {
            continue;
        }
        let id = cells[1];
        let numbered =
            id.len() > 1 && id.starts_with(prefix) && id[1..].bytes().all(|b| b.is_ascii_digit());
        // The first table that lists an id is the registry's.
        if numbered && !seen.iter().any(|(i, _): &(String, String)| i == id) {
            seen.push((id.to_string(), cells[2].to_string()));
        }
    }
    seen
}

#[test]
fn certificate_checks_document_lists_exactly_the_checks_that_run() {
    let doc = std::fs::read_to_string("docs/certificate-checks.md").expect("the document");
    let documented = rows(&doc, 'C');
    let registry: Vec<(String, String)> = CHECKS
        .iter()
        .map(|c| (c.id.to_string(), c.description.to_string()))
        .collect();
    assert_eq!(documented, registry);
}

#[test]
fn private_ca_document_lists_exactly_the_import_rules_that_run() {
    let doc = std::fs::read_to_string("docs/private-ca-import.md").expect("the document");
    let documented = rows(&doc, 'P');
    let registry: Vec<(String, String)> = RULES
        .iter()
        .map(|r| (r.id.to_string(), r.description.to_string()))
        .collect();
    assert_eq!(documented, registry);
}

#[test]
fn check_identifiers_are_unique_and_in_order() {
    for (i, c) in CHECKS.iter().enumerate() {
        assert_eq!(c.id, format!("C{}", i + 1));
    }
    for (i, r) in RULES.iter().enumerate() {
        assert_eq!(r.id, format!("P{}", i + 1));
    }
}

#[test]
fn crl_ceremony_document_lists_exactly_the_crl_checks_that_run() {
    let doc = std::fs::read_to_string("docs/crl-ceremony.md").expect("the document");
    let documented = rows(&doc, 'R');
    let registry: Vec<(String, String)> = CRL_CHECKS
        .iter()
        .map(|c| (c.id.to_string(), c.description.to_string()))
        .collect();
    assert_eq!(documented, registry);
    for (i, c) in CRL_CHECKS.iter().enumerate() {
        assert_eq!(c.id, format!("R{}", i + 1));
    }
}

#[test]
fn profiles_document_lists_exactly_the_profile_rules_that_run() {
    use rootca::profile::ecosystem::RULES;
    let doc = std::fs::read_to_string("docs/profiles.md").expect("the document");
    let documented: Vec<(String, String, String, String)> = doc
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let id = cells.get(1)?;
            let numbered = id.split_once('-').is_some_and(|(p, n)| {
                !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_uppercase())
                    && !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
            });
            (numbered && cells.len() >= 6).then(|| {
                (
                    id.to_string(),
                    cells[2].to_string(),
                    cells[3].to_string(),
                    cells[4].to_string(),
                )
            })
        })
        .collect();
    let registry: Vec<(String, String, String, String)> = RULES
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                r.profile.name().to_string(),
                r.rule.to_string(),
                r.source.to_string(),
            )
        })
        .collect();
    assert_eq!(documented, registry);
    // Each profile's rules are numbered 1, 2, ... in order.
    for r in RULES {
        let (prefix, n) = r.id.split_once('-').unwrap();
        let before = RULES
            .iter()
            .take_while(|o| o.id != r.id)
            .filter(|o| o.id.starts_with(&format!("{prefix}-")))
            .count();
        assert_eq!(n, (before + 1).to_string(), "{}", r.id);
    }
}
