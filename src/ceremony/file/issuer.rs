//! `[issuer]`: the root key's label and certificate, what a ceremony
//! needs of that certificate, and the rules a certificate it signs must
//! keep with it (validity inside, pathLen below).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use x509_cert::time::Time;

use super::{Problems, path_len, plain_text, read_input, resolve};
use crate::profile::algorithm::KeyAlgorithm;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::ceremony) struct IssuerSection {
    pub key_label: String,
    pub certificate: PathBuf,
}

/// The `[issuer]` section (or a section of the same form under another
/// name: `[verify]`, `[root]`) as read: the root key's label, the issuer
/// certificate with its file, and what the ceremony needs of it. Each part
/// is None when a problem was reported.
pub(in crate::ceremony) struct IssuerRead {
    pub label: String,
    pub path: PathBuf,
    pub file: Option<Vec<u8>>,
    pub certificate: Option<x509_cert::Certificate>,
    pub facts: Option<IssuerFacts>,
}

/// Reads `[issuer]` for a ceremony whose root key is to sign `usage`.
pub(in crate::ceremony) fn read_issuer(
    section: IssuerSection,
    name: &str,
    dir: &Path,
    usage: IssuerUse,
    p: &mut Problems,
) -> IssuerRead {
    let label_field = format!("{name}.key_label");
    let certificate_field = format!("{name}.certificate");
    if section.key_label.trim().is_empty() {
        p.add(&label_field, "must be the label of the root key in the HSM");
    }
    plain_text(&section.key_label, &label_field, p);
    let path = resolve(dir, &section.certificate);
    let file = read_input(&path, &certificate_field, p);
    let certificate =
        file.as_ref().and_then(
            |bytes| match crate::profile::document::read_certificate(bytes) {
                Ok((cert, _)) => Some(cert),
                Err(e) => {
                    p.add(&certificate_field, format!("{} {e}", path.display()));
                    None
                }
            },
        );
    let facts = certificate
        .as_ref()
        .and_then(|c| issuer_facts(c, &path, &certificate_field, usage, p));
    IssuerRead {
        label: section.key_label,
        path,
        file,
        certificate,
        facts,
    }
}

/// Refuses a validity that starts before or ends after the issuer's:
/// RFC 5280 path validation would reject the certificate at those times.
pub(in crate::ceremony) fn inside_issuer(
    (not_before, nb_text): (Option<&Time>, &str),
    (not_after, na_text): (Option<&Time>, &str),
    issuer: &x509_cert::Certificate,
    p: &mut Problems,
) {
    let v = issuer.tbs_certificate().validity();
    if let Some(na) = not_after
        && na.to_unix_duration() > v.not_after.to_unix_duration()
    {
        p.add(
            "certificate.not_after",
            format!(
                "{na_text} is later than the issuer's notAfter; the latest allowed is {}",
                v.not_after
            ),
        );
    }
    if let Some(nb) = not_before
        && nb.to_unix_duration() < v.not_before.to_unix_duration()
    {
        p.add(
            "certificate.not_before",
            format!(
                "{nb_text} is earlier than the issuer's notBefore; the earliest allowed is {}",
                v.not_before
            ),
        );
    }
}

/// A CA certificate's pathLen: required (`why` says why), and below the
/// issuer's own.
pub(in crate::ceremony) fn ca_path_len(
    value: Option<i64>,
    why: &str,
    issuer: Option<&IssuerFacts>,
    p: &mut Problems,
) -> Option<u8> {
    let path_len = match path_len(value, "certificate.path_len", p) {
        Some(Some(n)) => Some(n),
        Some(None) => {
            p.add("certificate.path_len", why);
            None
        }
        None => None,
    };
    if let (Some(n), Some(f)) = (path_len, issuer) {
        match f.path_len {
            Some(0) => p.add(
                "issuer.certificate",
                "the issuer's pathLen is 0: it cannot sign CA certificates",
            ),
            Some(limit) if n >= limit => p.add(
                "certificate.path_len",
                format!(
                    "{n} must be below the issuer's pathLen {limit} (at most {})",
                    limit - 1
                ),
            ),
            _ => {}
        }
    }
    path_len
}

/// What the issuer's key is to sign, for the keyUsage it must allow.
#[derive(Debug, Clone, Copy)]
pub(in crate::ceremony) enum IssuerUse {
    SignCertificates,
    SignCrls,
}

pub(in crate::ceremony) struct IssuerFacts {
    pub algorithm: KeyAlgorithm,
    pub key_id: Vec<u8>,
    pub path_len: Option<u8>,
}

/// What the ceremony needs of the issuer certificate, refusing one that
/// cannot sign CA certificates.
fn issuer_facts(
    cert: &x509_cert::Certificate,
    path: &Path,
    field: &str,
    usage: IssuerUse,
    p: &mut Problems,
) -> Option<IssuerFacts> {
    use der::referenced::OwnedToRef;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
    let tbs = cert.tbs_certificate();
    let shown = path.display();
    let bc = tbs
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .map(|(_, bc)| bc);
    let Some(bc) = bc.filter(|bc| bc.ca) else {
        p.add(
            field,
            format!("{shown} is not a CA certificate (no basicConstraints CA:TRUE)"),
        );
        return None;
    };
    let (bit, name, what) = match usage {
        IssuerUse::SignCertificates => (KeyUsages::KeyCertSign, "keyCertSign", "certificates"),
        IssuerUse::SignCrls => (KeyUsages::CRLSign, "cRLSign", "CRLs"),
    };
    if let Ok(Some((_, ku))) = tbs.get_extension::<KeyUsage>()
        && !ku.0.contains(bit)
    {
        p.add(
            field,
            format!("{shown} may not sign {what} (keyUsage lacks {name})"),
        );
    }
    let algorithm = match KeyAlgorithm::of_public_key(tbs.subject_public_key_info()) {
        Ok(a) => a,
        Err(e) => {
            p.add(
                field,
                format!("{shown} has a key rootca cannot sign with: {e}"),
            );
            return None;
        }
    };
    // The subordinate's authorityKeyIdentifier must match the issuer's
    // subjectKeyIdentifier as written, however it was computed.
    let key_id = match tbs.get_extension::<SubjectKeyIdentifier>() {
        Ok(Some((_, ski))) => ski.0.as_bytes().to_vec(),
        _ => match crate::profile::extensions::key_identifier(
            tbs.subject_public_key_info().owned_to_ref(),
        ) {
            Ok(id) => id,
            Err(e) => {
                p.add(field, format!("{shown}: {e}"));
                return None;
            }
        },
    };
    Some(IssuerFacts {
        algorithm,
        key_id,
        path_len: bc.path_len_constraint,
    })
}
