//! Reading the documents a ceremony is given (certificates, CSRs) in PEM
//! or DER, tolerating the text `openssl -text` writes before a PEM block.

use der::Decode;
use x509_cert::Certificate;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("is empty")]
    Empty,
    #[error("holds a PEM block labelled \"{found}\"; expected {expected}")]
    WrongLabel { found: String, expected: String },
    #[error("is neither PEM nor DER {what}: {reason}")]
    Unreadable { what: &'static str, reason: String },
}

/// The DER inside `bytes`: the first PEM block with one of `labels`, or
/// the bytes themselves when they are not PEM.
pub fn der_of(bytes: &[u8], labels: &[&str], what: &'static str) -> Result<Vec<u8>, DocumentError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DocumentError::Empty);
    }
    let Some(start) = find(bytes, b"-----BEGIN ") else {
        return Ok(bytes.to_vec());
    };
    let rest = &bytes[start..];
    let unreadable = |reason: String| DocumentError::Unreadable { what, reason };
    // The END line's label ends the block; everything after it is ignored.
    let end_marker = find(rest, b"-----END ")
        .ok_or_else(|| unreadable("a -----BEGIN line without -----END".into()))?;
    let end = find(&rest[end_marker + 9..], b"-----")
        .map(|i| end_marker + 9 + i + 5)
        .ok_or_else(|| unreadable("an unterminated -----END line".into()))?;
    let (label, der) = der::pem::decode_vec(&rest[..end]).map_err(|e| unreadable(e.to_string()))?;
    if labels.contains(&label) {
        Ok(der)
    } else {
        Err(DocumentError::WrongLabel {
            found: label.to_string(),
            expected: labels.join(" or "),
        })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub fn read_certificate(bytes: &[u8]) -> Result<(Certificate, Vec<u8>), DocumentError> {
    let der = der_of(bytes, &["CERTIFICATE"], "certificate")?;
    let cert = Certificate::from_der(&der).map_err(|e| DocumentError::Unreadable {
        what: "certificate",
        reason: e.to_string(),
    })?;
    Ok((cert, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_before_a_pem_block_is_skipped() {
        let der = der_of(b"Certificate:\n  blah\n-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\ntrailing", &["CERTIFICATE"], "certificate").unwrap();
        assert_eq!(der, vec![0x30, 0x00]);
    }

    #[test]
    fn a_pem_block_of_another_kind_is_refused_by_label() {
        let e = der_of(
            b"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
            &["CERTIFICATE"],
            "certificate",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "holds a PEM block labelled \"X509 CRL\"; expected CERTIFICATE"
        );
    }

    #[test]
    fn bytes_without_pem_are_taken_as_der() {
        assert_eq!(
            der_of(&[0x30, 0x00], &["CERTIFICATE"], "certificate").unwrap(),
            vec![0x30, 0x00]
        );
    }
}
