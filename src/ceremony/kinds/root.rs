//! `root`: generate the root key in the HSM and self-sign the root
//! certificate.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use super::Entry;
use crate::ceremony::file::{
    HsmSection, KeySection, Problems, Source, alt_names, distinct, ecosystem, hsm_spec, key_spec,
    matter_id, output, path_len, policies, signature, time_text, urls, validity,
};
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token;
use crate::ceremony::{CeremonyError, HsmSpec, KeySpec, Kind, Run, Step};
use crate::profile::CertificateProfile;
use crate::profile::checks::subject_problems;
use crate::profile::ecosystem::file_rules::{self, RootValues};
use crate::profile::ecosystem::{Ecosystem, names};
use crate::profile::root::RootProfile;

pub const ENTRY: Entry = Entry { name: "root", load };

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
    /// pkix (default), mdl-iaca or matter-paa.
    profile: Option<String>,
    #[serde(default)]
    issuer_alt_name: Vec<String>,
    vendor_id: Option<toml::Value>,
    product_id: Option<toml::Value>,
    /// Read only to be refused by name: a root carries none.
    name_constraints: Option<toml::Value>,
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
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    key: KeySection,
    certificate: RootCertificateSection,
    outputs: RootOutputs,
}

#[derive(Debug, Clone)]
pub struct RootCeremony {
    pub hsm: HsmSpec,
    pub key: KeySpec,
    pub profile: RootProfile,
    pub certificate: PathBuf,
    pub public_key: PathBuf,
    pub transcript: PathBuf,
}

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: RootFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let key = key_spec(&f.key, p);
    let c = f.certificate;
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
        "certificate.signature",
        key.as_ref().map(|k| (k.algorithm, "a key.algorithm =")),
        p,
    );
    let path_len = path_len(c.path_len, "certificate.path_len", p);
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let policies = policies(&c.policies, "certificate.policies", p);
    let profile = ecosystem(c.profile.as_deref(), p);
    let issuer_alt_name = alt_names(&c.issuer_alt_name, "certificate.issuer_alt_name", p);
    let vendor_id = matter_id(c.vendor_id.as_ref(), "certificate.vendor_id", src.text, p);
    let product_id = matter_id(c.product_id.as_ref(), "certificate.product_id", src.text, p);
    if let Some(profile) = profile {
        let values = RootValues {
            profile,
            key: key.as_ref().map(|k| k.algorithm),
            signature,
            subject: subject.as_ref(),
            validity: not_before
                .zip(not_after)
                .map(|(nb, na)| Validity::new(nb, na)),
            path_len,
            crl_urls: &crl_urls,
            issuer_alt_names: c.issuer_alt_name.len(),
            name_constraints: c.name_constraints.is_some(),
            vendor_id: vendor_id.flatten(),
            product_id: product_id.flatten(),
        };
        for (field, problem) in file_rules::root(&values) {
            p.add(field, problem);
        }
    }
    // The profile's values: an IACA's pathLen is 0; a PAA's Vendor ID
    // goes into its subject as Matter encodes it.
    let path_len = match (profile, path_len) {
        (Some(Ecosystem::MdlIaca), Some(None)) => Some(Some(0)),
        (_, pl) => pl,
    };
    let vid = vendor_id.flatten();
    let subject = match (profile, subject, vid) {
        (Some(Ecosystem::MatterPaa), Some(s), Some(vid)) => {
            match names::with_matter_id(&s, names::MATTER_VID, vid) {
                Ok(n) => Some(n),
                Err(e) => {
                    p.add(
                        "certificate.vendor_id",
                        format!("cannot be put in the subject: {e}"),
                    );
                    None
                }
            }
        }
        (_, s, _) => s,
    };
    let o = f.outputs;
    let certificate = output(src.dir, &o.certificate, "outputs.certificate", p);
    let public_key = output(src.dir, &o.public_key, "outputs.public_key", p);
    let transcript = output(src.dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.certificate", &certificate),
            ("outputs.public_key", &public_key),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Ok((|| {
        Some(Box::new(RootCeremony {
            hsm: hsm?,
            key: key?,
            profile: RootProfile {
                subject: subject?,
                validity: Validity::new(not_before?, not_after?),
                signature: signature?,
                path_len: path_len?,
                crl_urls,
                policies,
                issuer_alt_name: issuer_alt_name?,
                ecosystem: profile?,
                vendor_id: vid,
            },
            certificate,
            public_key,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

impl Kind for RootCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn hsm(&self) -> Option<&HsmSpec> {
        Some(&self.hsm)
    }

    fn steps(&self) -> Vec<Step> {
        vec![
            token::login_step(&self.hsm),
            if self.key.existing {
                token::find_key_step(&self.key)
            } else {
                token::generate_key_step(&self.key)
            },
            token::read_public_key_step(),
            token::draw_serial_step(),
            certificate::prepare_step("root", self.profile.plan_lines()),
            certificate::sign_step("root", "HSM key", "with the public key read from the HSM")
                .witness("Confirm the subject and validity printed at the previous step match the ceremony sheet."),
            certificate::write_step(
                "Write the certificate and the public key",
                &[
                    ("certificate (PEM)", &self.certificate),
                    ("public key (PEM)", &self.public_key),
                ],
            ),
            token::logout_step(),
        ]
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        let key = if self.key.existing {
            r.step(token::FIND_KEY, || token::find_key(&session, &self.key))?
        } else {
            r.resuming(token::GENERATE_KEY, |earlier| {
                token::generate_key(&session, &self.key, earlier)
            })?
        };
        let key = r.step(token::READ_PUBLIC_KEY, || {
            token::read_public_key(&session, key)
        })?;
        let serial = r.resuming(token::DRAW_SERIAL, |earlier| {
            token::draw_serial(&session, earlier)
        })?;
        let prepared = r.step(certificate::PREPARE, || {
            certificate::prepare(&self.profile, &serial, &key.public_key, &key)
        })?;
        let cert = r.resuming(certificate::SIGN, |earlier| {
            certificate::sign(&session, &key, prepared, earlier)
        })?;
        r.resuming(certificate::WRITE, |_| {
            let files = vec![
                Artifact {
                    path: self.certificate.clone(),
                    bytes: certificate::certificate_pem(&cert)?,
                },
                Artifact {
                    path: self.public_key.clone(),
                    bytes: certificate::public_key_pem(&key.public_key)?,
                },
            ];
            certificate::write(
                files,
                Some(&cert),
                "the root certificate and public key are written; the ceremony only failed to close the session".into(),
            )
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}
