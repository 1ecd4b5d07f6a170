//! AWS Private CA around a ceremony: learn before anyone logs in to the HSM
//! everything that could make Private CA refuse, and install the signed
//! certificate at the end.

use der::{DecodePem, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use super::Done;
use crate::aws::AwsSettings;
use crate::aws::pca::{CaStatus, PrivateCa};
use crate::ceremony::error::{Change, StepError};
use crate::ceremony::install::{InstallError, Installed, install};
use crate::ceremony::plan::Step;
use crate::output::sha256_hex;
use crate::profile::csr::Csr;

pub const CHECK_CA: &str = "check-private-ca";
pub const IMPORT: &str = "import-into-private-ca";

/// What the ceremony file expects of the CA.
pub struct CaExpectations<'a> {
    pub arn: &'a str,
    /// The CSR the file names, which must carry the CA's current key;
    /// None when the CSR is to be fetched from the CA.
    pub csr_from_file: Option<&'a Csr>,
    /// The issuer certificate, against which a fetched CSR is checked.
    pub issuer: &'a Certificate,
    /// Some(replace) when the ceremony imports into the CA.
    pub import_replace: Option<bool>,
    /// The SHA-256 (of the DER) of the certificate an interrupted run of
    /// this ceremony signed, when it is resumed.
    pub signed_before: Option<String>,
}

/// The CA as found: a client for it, and its CSR.
pub struct CheckedCa {
    pub pca: PrivateCa,
    pub csr: Csr,
}

pub fn check_step(e: &CaExpectations<'_>) -> Step {
    let mut details = vec![
        format!("certificate authority: {}", e.arn),
        "DescribeCertificateAuthority: it must be PENDING_CERTIFICATE (first installation) or ACTIVE (its certificate is replaced, e.g. to add name constraints)".into(),
        "GetCertificateAuthorityCsr: the CA's current CSR".into(),
    ];
    details.push(match e.csr_from_file {
        None => "the CSR's self-signature and key are checked, and what it asks for beyond its subject and key is shown and ignored".into(),
        Some(_) => "the CSR file must carry the same key as the CA's current CSR".into(),
    });
    match e.import_replace {
        Some(true) => details.push(
            "if the CA is ACTIVE its certificate will be replaced (replace = true)".into(),
        ),
        Some(false) => details.push("if the CA is ACTIVE with another certificate the ceremony stops: replacing it needs replace = true in [import]".into()),
        None => {}
    }
    Step::new(CHECK_CA, "Check the subordinate CA in AWS Private CA")
        .details(details)
        .witness("Compare the CA's ARN and state printed with the ceremony sheet.")
}

pub fn check(aws: &AwsSettings, e: &CaExpectations<'_>) -> Result<Done<CheckedCa>, StepError> {
    let arn = e.arn;
    let pca = PrivateCa::connect(aws)?;
    let ca = pca.describe(arn)?;
    if !matches!(ca.status, CaStatus::PendingCertificate | CaStatus::Active) {
        return Err(StepError::Refused(format!(
            "{arn} is {}; a certificate can be installed only while it is PENDING_CERTIFICATE or ACTIVE",
            ca.status
        )));
    }
    if ca.ca_type != "SUBORDINATE" {
        return Err(StepError::Refused(format!(
            "{arn} is a {} CA; the root signs only SUBORDINATE CAs",
            ca.ca_type
        )));
    }
    let pem = pca.csr(arn)?;
    let csr = Csr::parse(pem.as_bytes())
        .map_err(|err| StepError::Refused(format!("the CSR of {arn} {err}")))?;
    let problems = csr.problems_with(e.issuer);
    if !problems.is_empty() {
        return Err(StepError::Refused(format!(
            "the CSR of {arn}: {}",
            problems.join("; ")
        )));
    }
    let mut say = vec![
        format!(
            "{arn}: {} {} CA, {}",
            ca.status, ca.ca_type, ca.key_algorithm
        ),
        match ca.status {
            CaStatus::Active => {
                "ACTIVE: the certificate signed today will replace the one it has".into()
            }
            _ => "PENDING_CERTIFICATE: the certificate signed today will be its first".into(),
        },
    ];
    let mut installed_sha256 = None;
    if ca.status == CaStatus::Active
        && let Some(installed) = pca.certificate(arn)?
    {
        installed_sha256 = Some(sha256_hex(installed.certificate_pem.as_bytes()));
        let ours = e.signed_before.as_ref().is_some_and(|sha| {
            Certificate::from_pem(installed.certificate_pem.as_bytes())
                .ok()
                .and_then(|c| c.to_der().ok())
                .is_some_and(|der| sha256_hex(&der) == *sha)
        });
        if ours {
            say.push(
                "it is ACTIVE with the certificate this ceremony signed before it was interrupted"
                    .into(),
            );
        } else if e.import_replace == Some(false) {
            return Err(StepError::Refused(format!(
                "{arn} is ACTIVE with a certificate already; replacing it needs replace = true in [import]"
            )));
        }
    }
    match e.csr_from_file {
        Some(from_file) => {
            if from_file.public_key != csr.public_key {
                return Err(StepError::Refused(format!(
                    "P1: the key in csr.file is not the key of {arn}'s current CSR; Private CA would refuse the import"
                )));
            }
            say.push("the CSR file carries the key of the CA's current CSR".into());
        }
        None => {
            say.push(format!("CSR subject {}, key {}", csr.subject, csr.key));
            let ignored = crate::ceremony::kinds::subordinate::ignored_by_csr(pem.as_bytes());
            if !ignored.is_empty() {
                say.push("ignored from the CSR (the ceremony file decides the extensions):".into());
                say.extend(ignored.into_iter().map(|l| format!("  {l}")));
            }
        }
    }
    let details = serde_json::json!({
        "arn": arn,
        "status": ca.status.as_str(),
        "csr_sha256": sha256_hex(pem.as_bytes()),
        "installed_certificate_sha256": installed_sha256,
    });
    Ok(Done::new(CheckedCa { pca, csr }).say(say).details(details))
}

pub fn import_step(arn: &str) -> Step {
    Step::new(IMPORT, "Import the certificate into AWS Private CA")
        .details(vec![
            format!("certificate authority: {arn}"),
            "Private CA's import rules are checked again on the signed certificate and the chain".into(),
            "ImportCertificateAuthorityCertificate with the certificate and the chain written at the previous steps".into(),
            "then DescribeCertificateAuthority must show ACTIVE with the certificate's notBefore and notAfter, and GetCertificateAuthorityCertificate must return this certificate".into(),
            "a CA already ACTIVE with exactly this certificate is reported and counts as done".into(),
        ])
        .witness("Confirm the ARN is the one on the ceremony sheet before the officer confirms.")
        .confirmed()
        .lasting()
}

pub fn import(
    ca: &CheckedCa,
    arn: &str,
    cert: &Certificate,
    chain: &[Certificate],
    csr_key: &SubjectPublicKeyInfoOwned,
    replace: bool,
) -> Result<Done<()>, StepError> {
    let outcome = install(&ca.pca, arn, cert, chain, csr_key, replace).map_err(|e| match e {
        InstallError::Refused(m) => StepError::Refused(m),
        InstallError::NotConfirmed(m) => StepError::NotConfirmed(m),
        InstallError::Aws(e) => StepError::Aws(e),
    })?;
    let mut done = Done::new(())
        .say(outcome.say(arn))
        .details(serde_json::json!({
            "arn": arn,
            "already_installed": outcome == Installed::AlreadyThere,
            "replaced": outcome == Installed::Replaced,
        }));
    if outcome != Installed::AlreadyThere {
        done = done.changed(Change {
            what: format!("imported the certificate into {arn}, which is ACTIVE with it"),
            if_failed: format!("{arn} now issues under the new certificate"),
        });
    }
    Ok(done)
}
