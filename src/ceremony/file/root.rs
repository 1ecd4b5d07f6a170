//! The `root` ceremony's sections: the certificate and the outputs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use super::{
    HsmSection, KeySection, Problems, distinct, hsm_spec, key_spec, output, parse_strict, path_len,
    policies, signature, time_text, urls, validity,
};
use crate::ceremony::{Body, CeremonyError, HsmSpec, KeySpec, RootCeremony};
use crate::profile::checks::subject_problems;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootCertificateSection {
    subject: String,
    not_before: toml::Value,
    not_after: toml::Value,
    signature: String,
    path_len: Option<i64>,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    policies: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootOutputs {
    certificate: PathBuf,
    public_key: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootFile {
    #[allow(dead_code)]
    ceremony: String,
    name: String,
    hsm: HsmSection,
    key: KeySection,
    certificate: RootCertificateSection,
    outputs: RootOutputs,
}

pub(super) fn load(
    path: &Path,
    text: &str,
    dir: &Path,
    p: &mut Problems,
) -> Result<(String, Option<HsmSpec>, Option<Body>), CeremonyError> {
    let f: RootFile = parse_strict(path, text)?;
    let hsm = hsm_spec(&f.hsm, dir, p);
    let key = key_spec(&f.key, p);
    let body = root_body(f.certificate, f.outputs, key, dir, p);
    Ok((f.name, hsm, body.map(Body::Root)))
}

fn root_body(
    c: RootCertificateSection,
    o: RootOutputs,
    key: Option<KeySpec>,
    dir: &Path,
    p: &mut Problems,
) -> Option<RootCeremony> {
    let subject = Name::from_str(&c.subject).ok().filter(|n| !n.is_empty());
    if subject.is_none() {
        p.add("certificate.subject", format!("\"{}\" is not an RFC 4514 name such as \"CN=Example Root CA G1,O=Example Corp,C=US\"", c.subject));
    }
    for problem in subject.as_ref().map(subject_problems).unwrap_or_default() {
        p.add("certificate.subject", problem);
    }
    let (nb_text, na_text) = (time_text(&c.not_before), time_text(&c.not_after));
    let (not_before, not_after) = validity(&nb_text, &na_text, p);
    let signature = signature(
        &c.signature,
        key.as_ref().map(|k| (k.algorithm, "a key.algorithm =")),
        p,
    );
    let path_len = path_len(c.path_len, "certificate.path_len", p);
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let policies = policies(&c.policies, "certificate.policies", p);
    let certificate = output(dir, &o.certificate, "outputs.certificate", p);
    let public_key = output(dir, &o.public_key, "outputs.public_key", p);
    let transcript = output(dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.certificate", &certificate),
            ("outputs.public_key", &public_key),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Some(RootCeremony {
        key: key?,
        subject_text: c.subject,
        subject: subject?,
        validity: Validity::new(not_before?, not_after?),
        signature: signature?,
        path_len: path_len?,
        crl_urls,
        policies,
        certificate,
        public_key,
        transcript,
    })
}
