//! Single values as text: times, serial numbers, integers, key identifiers, OIDs, strings.

use der::asn1::{Any, ObjectIdentifier, Uint};
use der::{Tag, Tagged};
use serde::Serialize;
use x509_cert::time::Time;

/// A time and the ASN.1 type that carries it (RFC 5280: UTCTime up to 2049, then
/// GeneralizedTime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeInfo {
    /// RFC 3339, UTC, e.g. `2046-01-01T00:00:00Z`.
    #[serde(rename = "time")]
    pub rfc3339: String,
    /// `UTCTime` or `GeneralizedTime`.
    pub asn1_type: &'static str,
}

pub(super) fn time_info(time: &Time) -> TimeInfo {
    TimeInfo {
        rfc3339: time.to_date_time().to_string(),
        asn1_type: match time {
            Time::UtcTime(_) => "UTCTime",
            Time::GeneralTime(_) => "GeneralizedTime",
        },
    }
}

/// `0x` and lowercase hex without leading zero octets (the DER sign octet included).
pub(super) fn serial_hex(bytes: &[u8]) -> String {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return format!(
            "0x{} (negative, which RFC 5280 forbids)",
            hex::encode(bytes)
        );
    }
    let significant: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => bytes.get(i..).unwrap_or(bytes),
        None => &[0],
    };
    format!("0x{}", hex::encode(significant))
}

/// An unsigned integer in decimal when it fits 128 bits, in hex otherwise.
pub(super) fn uint_text(n: &Uint) -> String {
    unsigned_text(n.as_bytes())
}

/// Big-endian unsigned bytes in decimal when they fit 128 bits, in hex otherwise.
pub(super) fn unsigned_text(bytes: &[u8]) -> String {
    if bytes.len() <= 16 {
        let value = bytes
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        value.to_string()
    } else {
        format!("0x{}", hex::encode(bytes))
    }
}

/// Key identifiers as OpenSSL prints them, so an officer can compare the two outputs.
pub(super) fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Names OpenSSL uses where const-oid's database has other spellings or none.
pub(super) fn oid_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        "2.5.29.32.0" => "anyPolicy",
        "1.3.6.1.5.5.7.48.1" => "OCSP",
        "1.3.6.1.5.5.7.48.2" => "caIssuers",
        "1.3.6.1.5.5.7.2.1" => "CPS",
        "1.3.6.1.5.5.7.2.2" => "userNotice",
        _ => return None,
    })
}

/// A known name, else const-oid's database name, else the dotted OID alone.
pub(super) fn oid_text(oid: &ObjectIdentifier) -> String {
    match oid_name(oid).or_else(|| const_oid::db::DB.by_oid(oid)) {
        Some(name) => name.to_string(),
        None => oid.to_string(),
    }
}

/// A string-typed value as text, anything else by type and length.
pub(super) fn any_to_text(value: &Any) -> String {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::VisibleString
        | Tag::TeletexString
        | Tag::NumericString => String::from_utf8_lossy(bytes).into_owned(),
        Tag::BmpString => {
            let units = bytes
                .chunks_exact(2)
                .filter_map(|c| <[u8; 2]>::try_from(c).ok())
                .map(u16::from_be_bytes);
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        Tag::ObjectIdentifier => value
            .decode_as::<ObjectIdentifier>()
            .map_or_else(|_| "malformed OID".to_string(), |o| oid_text(&o)),
        tag => format!("{tag} value, {} bytes", bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_drops_the_der_sign_octet() {
        assert_eq!(serial_hex(&[0x00, 0xa1, 0xb2]), "0xa1b2");
    }

    #[test]
    fn serial_zero_is_shown_as_one_octet() {
        assert_eq!(serial_hex(&[0x00]), "0x00");
    }

    #[test]
    fn serial_negative_is_flagged() {
        assert!(serial_hex(&[0x80, 0x01]).contains("negative"));
    }

    #[test]
    fn integers_up_to_128_bits_are_decimal() {
        let n = Uint::new(&[0x01, 0x00]).map(|n| uint_text(&n));
        assert_eq!(n.as_deref(), Ok("256"));
    }

    #[test]
    fn integers_over_128_bits_are_hex() {
        let n = Uint::new(&[0x7f; 17]).map(|n| uint_text(&n));
        assert_eq!(n.map(|s| s.starts_with("0x7f7f")), Ok(true));
    }

    #[test]
    fn key_identifiers_are_uppercase_with_colons_like_openssl() {
        assert_eq!(colon_hex(&[0x30, 0x47, 0xe7]), "30:47:E7");
    }
}
