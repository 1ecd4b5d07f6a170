//! `document-signer`: the mDL IACA root signs a Document Signer's CSR
//! directly (ISO/IEC 18013-5 B.1.4). The Document Signer's key usually
//! lives in a cloud KMS; its CSR file is the input. The certificate is an
//! end-entity certificate, so the IACA (pathLen 0) needs no intermediate.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::time::Validity;

use super::Entry;
use crate::ceremony::file::{
    HsmSection, IssuerRead, IssuerSection, IssuerUse, Problems, Source, alt_names, distinct,
    hsm_spec, output, read_input, read_issuer, resolve, signature, time_text, urls, validity,
};
use crate::ceremony::steps::certificate::{self, Artifact};
use crate::ceremony::steps::token;
use crate::ceremony::{CeremonyError, HsmSpec, Kind, Run, Step};
use crate::output::sha256_hex;
use crate::profile::CertificateProfile;
use crate::profile::algorithm::PublicKeyKind;
use crate::profile::csr::Csr;
use crate::profile::document_signer::DocumentSignerProfile;
use crate::profile::ecosystem::{self, Ecosystem, file_rules, mdl};

pub const ENTRY: Entry = Entry {
    name: "document-signer",
    load,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrSection {
    file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DsCertificateSection {
    not_before: toml::Value,
    not_after: toml::Value,
    signature: String,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    issuer_alt_name: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DsOutputs {
    certificate: PathBuf,
    chain: PathBuf,
    transcript: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DsFile {
    #[allow(dead_code)]
    ceremony: String,
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    confirm_by: Option<toml::Value>,
    hsm: HsmSection,
    issuer: IssuerSection,
    csr: CsrSection,
    certificate: DsCertificateSection,
    outputs: DsOutputs,
}

#[derive(Debug, Clone)]
pub struct DocumentSignerCeremony {
    pub hsm: HsmSpec,
    pub issuer_label: String,
    pub issuer_path: PathBuf,
    pub issuer_file: Vec<u8>,
    pub csr_path: PathBuf,
    pub csr_file: Vec<u8>,
    pub csr: Csr,
    pub profile: DocumentSignerProfile,
    pub certificate: PathBuf,
    pub chain: PathBuf,
    pub transcript: PathBuf,
}

const P: Ecosystem = Ecosystem::MdlDocumentSigner;

fn load(src: &Source<'_>, p: &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError> {
    let f: DsFile = src.parse()?;
    let hsm = hsm_spec(&f.hsm, src.dir, p);
    let IssuerRead {
        label: issuer_label,
        path: issuer_path,
        file: issuer_file,
        certificate: iaca,
        facts,
    } = read_issuer(f.issuer, "issuer", src.dir, IssuerUse::SignCertificates, p);
    // The issuer must itself be an mDL IACA: its rules, on its certificate.
    if let Some(iaca) = &iaca {
        for finding in ecosystem::check(Ecosystem::MdlIaca, iaca, None) {
            p.add(
                "issuer.certificate",
                format!("{P}: is not an mDL IACA: {finding}"),
            );
        }
    }
    let csr_path = resolve(src.dir, &f.csr.file);
    let csr_file = read_input(&csr_path, "csr.file", p);
    let csr = csr_file.as_ref().and_then(|bytes| match Csr::parse(bytes) {
        Ok(c) => Some(c),
        Err(e) => {
            p.add("csr.file", format!("{} {e}", csr_path.display()));
            None
        }
    });
    let c = f.certificate;
    let (nb_text, na_text) = (time_text(&c.not_before), time_text(&c.not_after));
    let (not_before, not_after) = validity(&nb_text, &na_text, p);
    let signature = signature(
        &c.signature,
        "certificate.signature",
        facts.as_ref().map(|f| (f.algorithm, "the IACA's")),
        p,
    );
    let crl_urls = urls(&c.crl_urls, "certificate.crl_urls", p);
    let issuer_alt_name = alt_names(&c.issuer_alt_name, "certificate.issuer_alt_name", p);
    if c.crl_urls.is_empty() {
        p.add(
            "certificate.crl_urls",
            format!(
                "{P}: is required: the URL of the IACA's CRL (ISO/IEC 18013-5 B.1.4, rule DS-10)"
            ),
        );
    }
    if c.issuer_alt_name.is_empty() {
        p.add(
            "certificate.issuer_alt_name",
            format!("{P}: is required: one or more \"mailto:...\" or \"https://...\" names, usually the IACA's (ISO/IEC 18013-5 B.1.4, rule DS-9)"),
        );
    }
    if let Some(iaca) = &iaca {
        let key = PublicKeyKind::of(iaca.tbs_certificate().subject_public_key_info()).ok();
        if let (Some(want), Some(got)) = (key.as_ref().and_then(mdl::signature_for), signature)
            && want != got
        {
            p.add(
                "certificate.signature",
                format!("{P}: {got} is not allowed from the IACA's {} key: use {want} (ISO/IEC 18013-5 B.1.4, rule DS-1)", key.map(|k| k.to_string()).unwrap_or_default()),
            );
        }
    }
    if let (Some(nb), Some(na)) = (not_before, not_after) {
        let v = Validity::new(nb, na);
        if na.to_unix_duration() > nb.to_unix_duration() && !mdl::ds_validity_days_ok(&v) {
            let days = (na.to_unix_duration() - nb.to_unix_duration()).as_secs() as f64 / 86_400.0;
            p.add(
                "certificate.not_after",
                format!(
                    "{P}: the validity is {days} days; a Document Signer's is at most {} days (ISO/IEC 18013-5 B.1.4, rule DS-4)",
                    mdl::DS_MAX_DAYS
                ),
            );
        }
        if let Some(iaca) = &iaca {
            let i = iaca.tbs_certificate().validity();
            if nb.to_unix_duration() < i.not_before.to_unix_duration() {
                p.add(
                    "certificate.not_before",
                    format!("{P}: {nb_text} is before the IACA's notBefore {}; a Document Signer lies inside the IACA's validity (rule DS-4)", i.not_before),
                );
            }
            if na.to_unix_duration() > i.not_after.to_unix_duration() {
                p.add(
                    "certificate.not_after",
                    format!("{P}: {na_text} is after the IACA's notAfter {}; a Document Signer lies inside the IACA's validity (rule DS-4)", i.not_after),
                );
            }
        }
    }
    if let (Some(csr), Some(iaca)) = (&csr, &iaca) {
        for problem in csr_problems(csr, iaca) {
            p.add("csr.file", format!("{P}: {problem}"));
        }
    }
    let o = f.outputs;
    let certificate = output(src.dir, &o.certificate, "outputs.certificate", p);
    let chain = output(src.dir, &o.chain, "outputs.chain", p);
    let transcript = output(src.dir, &o.transcript, "outputs.transcript", p);
    distinct(
        &[
            ("outputs.certificate", &certificate),
            ("outputs.chain", &chain),
            ("outputs.transcript", &transcript),
        ],
        p,
    );
    Ok((|| {
        let iaca = iaca?;
        let csr = csr?;
        let profile = DocumentSignerProfile {
            subject: csr.subject.clone(),
            iaca_key_id: facts?.key_id,
            iaca,
            validity: Validity::new(not_before?, not_after?),
            signature: signature?,
            crl_urls,
            issuer_alt_name: issuer_alt_name?,
        };
        Some(Box::new(DocumentSignerCeremony {
            hsm: hsm?,
            issuer_label,
            issuer_path,
            issuer_file: issuer_file?,
            csr_path,
            csr_file: csr_file?,
            csr,
            profile,
            certificate,
            chain,
            transcript,
        }) as Box<dyn Kind>)
    })())
}

/// What makes a CSR unfit for a Document Signer under `iaca`: its key,
/// and its subject's C, ST and CN against the IACA's (rules DS-1, DS-3).
fn csr_problems(csr: &Csr, iaca: &Certificate) -> Vec<String> {
    use crate::profile::ecosystem::names;
    let mut problems = Vec::new();
    if !matches!(
        csr.key,
        PublicKeyKind::EcP256 | PublicKeyKind::EcP384 | PublicKeyKind::EcP521
    ) {
        problems.push(format!(
            "the CSR's key is {}; a Document Signer's is EC P-256, P-384 or P-521 (rule DS-1)",
            csr.key
        ));
    }
    for problem in file_rules::mdl_subject(&csr.subject) {
        problems.push(format!("the CSR's subject: {problem} (rule DS-3)"));
    }
    let theirs = iaca.tbs_certificate().subject();
    let (c, iaca_c) = (names::country(&csr.subject), names::country(theirs));
    if c.is_some() && c != iaca_c {
        problems.push(format!(
            "the CSR's subject has C={}, the IACA's C={}: they must be equal (ISO/IEC 18013-5 B.1.4, rule DS-3)",
            c.unwrap_or_default(),
            iaca_c.unwrap_or_default()
        ));
    }
    let (st, iaca_st) = (names::state(&csr.subject), names::state(theirs));
    if st != iaca_st {
        let show = |v: &[Option<String>]| match v {
            [] => "none".to_string(),
            v => v.iter().flatten().cloned().collect::<Vec<_>>().join("+"),
        };
        problems.push(format!(
            "the CSR's subject has ST={}, the IACA's ST={}: they must be equal when either has one (ISO/IEC 18013-5 B.1.4, rule DS-3)",
            show(&st),
            show(&iaca_st)
        ));
    }
    if csr.public_key == *iaca.tbs_certificate().subject_public_key_info() {
        problems.push("the CSR carries the IACA's own public key".into());
    }
    problems
}

impl Kind for DocumentSignerCeremony {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn transcript(&self) -> &Path {
        &self.transcript
    }

    fn hsm(&self) -> Option<&HsmSpec> {
        Some(&self.hsm)
    }

    fn inputs(&self) -> Vec<(PathBuf, String)> {
        vec![
            (self.issuer_path.clone(), sha256_hex(&self.issuer_file)),
            (self.csr_path.clone(), sha256_hex(&self.csr_file)),
        ]
    }

    fn steps(&self) -> Vec<Step> {
        let mut lines = vec![format!("public key (from the CSR): {}", self.csr.key)];
        lines.extend(self.profile.plan_lines());
        vec![
            token::login_step(&self.hsm),
            token::find_issuer_key_step(&self.issuer_label, &self.issuer_path),
            token::draw_serial_step(),
            certificate::prepare_step("Document Signer", lines),
            certificate::sign_step("Document Signer", "IACA key", "under the IACA certificate's key")
                .witness("Confirm the subject and validity printed at the previous step match the ceremony sheet."),
            certificate::write_step(
                "Write the certificate and the chain",
                &[
                    ("certificate (PEM)", &self.certificate),
                    ("chain (PEM, the IACA certificate)", &self.chain),
                ],
            ),
            token::logout_step(),
        ]
    }

    /// The ceremony as it happens, top to bottom.
    fn run(&self, r: &mut Run<'_>) -> Result<(), CeremonyError> {
        let hsm = r.take_hsm();
        let session = r.step(token::LOGIN, || token::login(hsm, &self.hsm))?;
        let key = r.step(token::FIND_ISSUER_KEY, || {
            token::find_issuer_key(
                &session,
                &self.issuer_label,
                &self.profile.iaca,
                &self.issuer_path,
            )
        })?;
        let serial = r.resuming(token::DRAW_SERIAL, |earlier| {
            token::draw_serial(&session, earlier)
        })?;
        let prepared = r.step(certificate::PREPARE, || {
            certificate::prepare(&self.profile, &serial, &self.csr.public_key, &key)
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
                    path: self.chain.clone(),
                    bytes: certificate::certificate_pem(&self.profile.iaca)?,
                },
            ];
            certificate::write(
                files,
                Some(&cert),
                format!(
                    "the Document Signer certificate {} and chain {} are written and complete",
                    self.certificate.display(),
                    self.chain.display()
                ),
            )
        })?;
        r.step(token::LOGOUT, || token::logout(session))
    }
}
