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
    let unreadable = |reason: String| DocumentError::Unreadable { what, reason };
    let Some(block) = first_pem_block(bytes).map_err(|e| unreadable(e.to_string()))? else {
        return Ok(bytes.to_vec());
    };
    let (label, der) = der::pem::decode_vec(block).map_err(|e| unreadable(e.to_string()))?;
    if labels.contains(&label) {
        Ok(der)
    } else {
        Err(DocumentError::WrongLabel {
            found: label.to_string(),
            expected: labels.join(" or "),
        })
    }
}

/// A `-----BEGIN X-----` line whose `-----END X-----` line never comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a -----BEGIN line without a matching -----END line")]
pub struct UnterminatedPem;

/// The first PEM block of `bytes`, from its `-----BEGIN X-----` line through
/// the matching `-----END X-----`, or `None` when there is no BEGIN line.
/// What comes before (the text `openssl x509 -text` writes) and after is
/// left out: the strict RFC 7468 decoder refuses it.
pub fn first_pem_block(bytes: &[u8]) -> Result<Option<&[u8]>, UnterminatedPem> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let Some(start) = find(bytes, BEGIN) else {
        return Ok(None);
    };
    let block = bytes.get(start..).ok_or(UnterminatedPem)?;
    let after_begin = block.get(BEGIN.len()..).ok_or(UnterminatedPem)?;
    let label = find(after_begin, b"-----")
        .and_then(|len| after_begin.get(..len))
        .ok_or(UnterminatedPem)?;
    let end_line = [b"-----END ".as_slice(), label, b"-----"].concat();
    let end = find(block, &end_line).ok_or(UnterminatedPem)? + end_line.len();
    block.get(..end).map(Some).ok_or(UnterminatedPem)
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
    fn the_block_ends_at_the_end_line_of_its_own_label() {
        let two = b"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n-----BEGIN CERTIFICATE-----\n";
        let block = first_pem_block(two).unwrap().unwrap();
        assert!(block.ends_with(b"-----END X509 CRL-----"));
        assert_eq!(
            first_pem_block(b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END X509 CRL-----\n"),
            Err(UnterminatedPem)
        );
        assert_eq!(first_pem_block(&[0x30, 0x00]), Ok(None));
    }

    #[test]
    fn bytes_without_pem_are_taken_as_der() {
        assert_eq!(
            der_of(&[0x30, 0x00], &["CERTIFICATE"], "certificate").unwrap(),
            vec![0x30, 0x00]
        );
    }
}
