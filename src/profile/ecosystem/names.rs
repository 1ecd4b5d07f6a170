//! The name attributes the ecosystem profiles look at: country, state,
//! common name, and Matter's Vendor ID and Product ID.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519;
use der::asn1::{Ia5StringRef, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

/// Matter's Vendor ID name attribute (Matter Core 6.2.2.3).
pub const MATTER_VID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.37244.2.1");
/// Matter's Product ID name attribute.
pub const MATTER_PID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.37244.2.2");

/// The text of an attribute value in one of the string types names use.
pub fn text(atv: &AttributeTypeAndValue) -> Option<String> {
    let v = &atv.value;
    match v.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(v).ok().map(|s| s.to_string()),
        Tag::PrintableString => PrintableStringRef::try_from(v).ok().map(|s| s.to_string()),
        Tag::Ia5String => Ia5StringRef::try_from(v).ok().map(|s| s.to_string()),
        _ => None,
    }
}

/// Every value of `oid` in `name`, as text (None for a value that is not
/// a string).
pub fn values(name: &Name, oid: ObjectIdentifier) -> Vec<Option<String>> {
    name.iter().filter(|a| a.oid == oid).map(text).collect()
}

/// The one value of `oid`, or why there is not exactly one.
pub fn single(name: &Name, oid: ObjectIdentifier, short: &str) -> Result<String, String> {
    match values(name, oid).as_slice() {
        [] => Err(format!("the name has no {short}")),
        [Some(v)] => Ok(v.clone()),
        [None] => Err(format!("{short} is not a text value")),
        _ => Err(format!("the name has more than one {short}")),
    }
}

pub fn country(name: &Name) -> Option<String> {
    single(name, rfc4519::COUNTRY_NAME, "C").ok()
}

pub fn state(name: &Name) -> Vec<Option<String>> {
    values(name, rfc4519::ST)
}

/// An ISO 3166-1 alpha-2 code as names carry it: two upper-case letters.
pub fn is_country_code(c: &str) -> bool {
    c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())
}

/// An ISO 3166-2 subdivision code of `country`: "US-CA", "DE-BY", "GB-LND".
pub fn is_subdivision_of(st: &str, country: &str) -> bool {
    st.split_once('-').is_some_and(|(c, sub)| {
        c == country
            && (1..=3).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// A Matter VID or PID as certificates carry it: the value is a
/// UTF8String of exactly four upper-case hexadecimal digits.
pub fn matter_id(atv: &AttributeTypeAndValue) -> Result<u16, String> {
    if atv.value.tag() != Tag::Utf8String {
        return Err(format!(
            "is a {} where a UTF8String is required",
            atv.value.tag()
        ));
    }
    let t = text(atv).unwrap_or_default();
    parse_matter_hex(&t)
}

/// Four upper-case hexadecimal digits, as Matter writes a VID or PID.
pub fn parse_matter_hex(t: &str) -> Result<u16, String> {
    let ok = t.len() == 4
        && t.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if !ok {
        return Err(format!(
            "\"{t}\" is not four upper-case hexadecimal digits such as FFF1"
        ));
    }
    u16::from_str_radix(t, 16).map_err(|e| e.to_string())
}

/// The Matter ids of `oid` in a name: each parsed, or why not.
pub fn matter_ids(name: &Name, oid: ObjectIdentifier) -> Vec<Result<u16, String>> {
    name.iter()
        .filter(|a| a.oid == oid)
        .map(matter_id)
        .collect()
}

/// `name` with one more RDN at its end (the most specific place): a
/// Matter VID or PID as a UTF8String of four upper-case hex digits.
pub fn with_matter_id(name: &Name, oid: ObjectIdentifier, id: u16) -> Result<Name, der::Error> {
    let value = der::asn1::Utf8StringRef::new(&format!("{id:04X}"))?.to_der()?;
    let atv = AttributeTypeAndValue {
        oid,
        value: der::Any::from_der(&value)?,
    };
    let mut rdns: Vec<RelativeDistinguishedName> = name.iter_rdn().cloned().collect();
    rdns.push(RelativeDistinguishedName::from(
        der::asn1::SetOfVec::try_from(vec![atv])?,
    ));
    Name::from_der(&RdnSequence::from(rdns).to_der()?)
}
