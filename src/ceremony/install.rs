//! Installing a signed subordinate certificate in AWS Private CA, for the
//! ceremony's import step and for `rootca pca import` alike: Private CA's
//! rules checked locally, a repeat of a finished import recognised, the
//! import made, and its result read back.

use der::pem::LineEnding;
use der::{Encode, EncodePem};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use crate::aws::AwsError;
use crate::aws::pca::{CaStatus, PrivateCa};
use crate::profile::document::read_certificate;
use crate::profile::pca_import::{Signed, preflight};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Nothing was sent: the certificate, the chain or the CA's state says no.
    #[error("{0}")]
    Refused(String),
    /// Private CA accepted the import but does not show what it should.
    #[error("{0}")]
    NotConfirmed(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// The CA was PENDING_CERTIFICATE and is ACTIVE now.
    First,
    /// The CA was ACTIVE with another certificate, replaced as asked.
    Replaced,
    /// The CA was already ACTIVE with exactly this certificate.
    AlreadyThere,
}

impl Installed {
    pub fn say(self, arn: &str) -> Vec<String> {
        match self {
            Self::AlreadyThere => vec![format!(
                "{arn} is already ACTIVE with exactly this certificate: nothing to do"
            )],
            Self::First | Self::Replaced => vec![
                format!(
                    "imported into {arn}{}",
                    if self == Self::Replaced { ", replacing its certificate" } else { "" }
                ),
                "DescribeCertificateAuthority shows ACTIVE with the certificate's NotBefore and NotAfter, and the installed certificate is this one".into(),
            ],
        }
    }
}

fn same_certificate(pem: &str, cert: &Certificate) -> bool {
    let ours = cert.to_der().ok();
    read_certificate(pem.as_bytes()).is_ok_and(|(_, der)| Some(der) == ours)
}

fn system_time(t: &x509_cert::time::Time) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + t.to_unix_duration()
}

fn pem(cert: &Certificate) -> Result<Vec<u8>, InstallError> {
    cert.to_pem(LineEnding::LF)
        .map(String::into_bytes)
        .map_err(|e| {
            InstallError::Refused(format!("the certificate cannot be written as PEM: {e}"))
        })
}

/// Installs `cert` with `chain` (issuer first, root last) in the CA `arn`,
/// whose current CSR carries `csr_key`.
pub fn install(
    pca: &PrivateCa,
    arn: &str,
    cert: &Certificate,
    chain: &[Certificate],
    csr_key: &SubjectPublicKeyInfoOwned,
    replace: bool,
) -> Result<Installed, InstallError> {
    preflight(cert, chain, csr_key, Signed::Final)
        .map_err(|e| InstallError::Refused(e.to_string()))?;
    let before = pca.describe(arn)?;
    let outcome = match before.status {
        CaStatus::PendingCertificate => Installed::First,
        CaStatus::Active => match pca.certificate(arn)? {
            Some(installed) if same_certificate(&installed.certificate_pem, cert) => {
                return Ok(Installed::AlreadyThere);
            }
            _ if replace => Installed::Replaced,
            _ => {
                return Err(InstallError::Refused(format!(
                    "{arn} is ACTIVE with another certificate; replacing it must be asked for explicitly \
                     (replace = true in [import], or --replace)"
                )));
            }
        },
        other => {
            return Err(InstallError::Refused(format!(
                "{arn} is {other}; a certificate can be installed only while it is PENDING_CERTIFICATE or ACTIVE"
            )));
        }
    };
    let chain_pem = chain
        .iter()
        .map(pem)
        .collect::<Result<Vec<_>, _>>()?
        .concat();
    pca.import(arn, &pem(cert)?, &chain_pem)?;

    let after = pca.describe(arn)?;
    let validity = cert.tbs_certificate().validity();
    let mut wrong = Vec::new();
    if after.status != CaStatus::Active {
        wrong.push(format!("its status is {}, not ACTIVE", after.status));
    }
    if after.not_before != Some(system_time(&validity.not_before))
        || after.not_after != Some(system_time(&validity.not_after))
    {
        wrong.push("its NotBefore/NotAfter are not the certificate's".into());
    }
    match pca.certificate(arn)? {
        Some(installed) if same_certificate(&installed.certificate_pem, cert) => {}
        _ => wrong.push(
            "GetCertificateAuthorityCertificate does not return the certificate imported".into(),
        ),
    }
    if wrong.is_empty() {
        Ok(outcome)
    } else {
        Err(InstallError::NotConfirmed(format!(
            "Private CA accepted the import into {arn}, but {}: investigate before relying on it",
            wrong.join("; ")
        )))
    }
}
