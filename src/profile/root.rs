//! The self-signed root certificate.

use const_oid::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;
use x509_cert::builder::{self, profile::BuilderProfile};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;

use super::extensions;

/// basicConstraints (critical, CA), keyUsage (critical, keyCertSign and
/// cRLSign), subjectKeyIdentifier, and the optional CRL distribution points
/// and policies. No authorityKeyIdentifier: RFC 5280 lets a self-signed
/// certificate omit it and it would only repeat the subjectKeyIdentifier.
#[derive(Debug, Clone)]
pub struct RootProfile {
    pub subject: Name,
    pub path_len: Option<u8>,
    pub crl_urls: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
}

impl BuilderProfile for RootProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> builder::Result<Vec<Extension>> {
        let build = || -> Result<Vec<Extension>, super::ProfileError> {
            let key_id = extensions::key_identifier(spk)?;
            let mut exts = vec![
                extensions::basic_constraints(self.path_len)?,
                extensions::ca_key_usage(false)?,
                extensions::subject_key_identifier(&key_id)?,
            ];
            if !self.crl_urls.is_empty() {
                exts.push(extensions::crl_distribution_points(&self.crl_urls)?);
            }
            if !self.policies.is_empty() {
                exts.push(extensions::certificate_policies(&self.policies)?);
            }
            Ok(exts)
        };
        build().map_err(super::builder_error)
    }
}
