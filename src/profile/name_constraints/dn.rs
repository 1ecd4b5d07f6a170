//! Distinguished names: directoryName constraints and subject DNs to test.

use std::str::FromStr;

use der::asn1::Any;
use der::{Tag, Tagged};
use x509_cert::name::Name;

use super::error::Problem;

pub(super) const ACCEPTED: &str =
    "an RFC 4514 name such as \"OU=Dev,O=Example Corp,C=US\" (no space after the commas)";

/// A DN constraint in RFC 4514 form, refusing what x509-cert would parse into something other
/// than what was meant.
pub(super) fn parse_constraint(value: &str) -> Result<Name, Problem> {
    let invalid = |problem: String| Problem::InvalidDn { problem };
    let name = Name::from_str(value).map_err(|e| {
        let hint = if value.contains(", ") || value.contains("; ") {
            " (a space after a separator is read as part of the next attribute name)"
        } else {
            ""
        };
        invalid(format!("it does not parse ({e}){hint}"))
    })?;
    if name.is_empty() {
        return Err(invalid("it has no attributes".to_string()));
    }
    // x509-cert's parser splits on ',' only; "O=Corp/C=US" or "C=US; O=Corp" become one
    // attribute whose value swallows the rest. Catch that, and values it would mis-encode.
    for atv in name.iter() {
        let shown = atv.to_string();
        let key = shown.split('=').next().unwrap_or_default().to_string();
        let value = atv.value.value();
        if value.is_empty() {
            return Err(invalid(format!("{key} has an empty value")));
        }
        if value.contains(&b'=') {
            return Err(invalid(format!(
                "the value of {key} contains '=': separate attributes with ',' \
                 (not '/' or ';'), most specific first"
            )));
        }
        let printable = |b: &u8| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(b);
        if atv.value.tag() == Tag::PrintableString && !value.iter().all(printable) {
            return Err(invalid(format!(
                "{key} is a PrintableString, which holds only letters, digits, spaces and '()+,-./:?"
            )));
        }
    }
    Ok(name)
}

/// A subject DN to test.
pub(super) fn parse_test_name(value: &str) -> Result<Name, String> {
    Name::from_str(value).map_err(|e| format!("not an RFC 4514 name ({e})"))
}

/// Two DN constraints are the same when OpenSSL would match them alike.
pub(super) fn same(a: &Name, b: &Name) -> bool {
    canonical_rdns(a) == canonical_rdns(b)
}

/// OpenSSL's `nc_dn`: the name's canonical RDN sequence starts with the base's.
pub(super) fn within(name: &Name, base: &Name) -> bool {
    let (n, b) = (canonical_rdns(name), canonical_rdns(base));
    n.len() >= b.len() && n.iter().zip(&b).all(|(x, y)| x == y)
}

/// One attribute of an RDN, canonicalised the way OpenSSL's `x509_name_canon` does.
type CanonicalAtv = (der::asn1::ObjectIdentifier, Tag, Vec<u8>);

/// Each RDN as a sorted list of canonical attributes: OpenSSL compares directory names by a
/// byte prefix of this canonical encoding, which amounts to RDN-by-RDN equality.
fn canonical_rdns(name: &Name) -> Vec<Vec<CanonicalAtv>> {
    name.iter_rdn()
        .map(|rdn| {
            let mut atvs: Vec<CanonicalAtv> = rdn
                .iter()
                .map(|atv| {
                    let (tag, bytes) = canonical_value(&atv.value);
                    (atv.oid, tag, bytes)
                })
                .collect();
            atvs.sort();
            atvs
        })
        .collect()
}

/// OpenSSL's `asn1_string_canon`: string types become UTF-8, trimmed, ASCII-lowercased, with
/// runs of whitespace collapsed to one space; other types are compared as they are.
/// (UniversalString is missing because der 0.8 has no tag for it: such a name does not decode.)
fn canonical_value(value: &Any) -> (Tag, Vec<u8>) {
    let bytes = value.value();
    let text: Option<String> = match value.tag() {
        Tag::Utf8String => std::str::from_utf8(bytes).ok().map(str::to_string),
        // Latin-1 is how OpenSSL converts one-byte string types to UTF-8.
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::TeletexString => {
            Some(bytes.iter().map(|b| char::from(*b)).collect())
        }
        Tag::BmpString => {
            let units = bytes
                .chunks_exact(2)
                .filter_map(|c| <[u8; 2]>::try_from(c).ok())
                .map(u16::from_be_bytes);
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    };
    match text {
        Some(text) => (Tag::Utf8String, canonical_text(&text).into_bytes()),
        None => (value.tag(), bytes.to_vec()),
    }
}

fn canonical_text(text: &str) -> String {
    // OpenSSL's isspace: space, \t, \n, \v, \f, \r.
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.trim_matches(is_space).chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dn(text: &str) -> Name {
        match Name::from_str(text) {
            Ok(n) => n,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    /// (presented DN, constraint, does the DN lie inside the constraint's subtree).
    const PRESENTED_WITHIN_CONSTRAINT: &[(&str, &str, bool)] = &[
        (
            "CN=host,OU=Dev,O=Example Corp,C=US",
            "O=Example Corp,C=US",
            true,
        ),
        ("O=Example Corp,C=US", "O=Example Corp,C=US", true),
        ("CN=x,O=example  CORP ,C=us", "O=Example Corp,C=US", true),
        ("CN=host,O=Other,C=US", "O=Example Corp,C=US", false),
        ("C=US", "O=Example Corp,C=US", false),
        ("CN=host,O=Example Corp,C=GB", "O=Example Corp,C=US", false),
        // Most significant RDN first in the comparison: an extra RDN above does not match.
        ("O=Example Corp,C=US,DC=com", "O=Example Corp,C=US", false),
        // A multi-valued RDN matches in any order, but only as a whole.
        ("CN=a,OU=Dev+O=Example,C=US", "O=Example+OU=Dev,C=US", true),
        ("CN=a,O=Example,C=US", "OU=Dev+O=Example,C=US", false),
    ];

    #[test]
    fn presented_dns_lie_within_constraints_as_in_openssl() {
        for &(presented, constraint, expected) in PRESENTED_WITHIN_CONSTRAINT {
            assert_eq!(
                within(&dn(presented), &dn(constraint)),
                expected,
                "{presented} within {constraint}"
            );
        }
    }

    /// (constraint entry, None if accepted, else a phrase of the problem).
    const CONSTRAINTS: &[(&str, Option<&str>)] = &[
        ("O=Example Corp,C=US", None),
        ("o=Example,c=US", None),
        ("not a dn", Some("it does not parse")),
        ("O=Example, C=US", Some("space after a separator")),
        ("O=Example Corp/C=US", Some("separate attributes with ','")),
        ("C=US; O=Example", Some("is not a distinguished name")),
        ("CN=,O=Example", Some("empty value")),
        ("O=x,C=Ü", Some("PrintableString")),
    ];

    #[test]
    fn constraint_entries_are_accepted_or_refused_saying_why() {
        for &(entry, expected) in CONSTRAINTS {
            match (parse_constraint(entry), expected) {
                (Ok(_), None) => {}
                (Err(p), Some(says)) => {
                    let text = p.to_string();
                    assert!(text.contains(says), "{entry}: {text}");
                }
                (got, want) => panic!("{entry}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn lowercase_attribute_names_read_as_the_usual_ones() {
        assert!(
            parse_constraint("o=Example,c=US").is_ok_and(|n| n.to_string() == "O=Example,C=US")
        );
    }

    #[test]
    fn the_same_name_ignoring_case_is_the_same_constraint() {
        assert!(same(&dn("O=Example,C=US"), &dn("O=EXAMPLE,C=us")));
        assert!(!same(&dn("O=Example,C=US"), &dn("O=Example,C=GB")));
    }

    /// (text, canonical form).
    const CANONICAL_TEXT: &[(&str, &str)] = &[
        ("  Example \t Corp  ", "example corp"),
        ("EXAMPLE", "example"),
        ("a\n\nb", "a b"),
        ("Ünïcode", "Ünïcode"),
    ];

    #[test]
    fn canonical_text_trims_lowercases_ascii_and_collapses_spaces() {
        for &(text, canonical) in CANONICAL_TEXT {
            assert_eq!(canonical_text(text), canonical, "{text:?}");
        }
    }
}
