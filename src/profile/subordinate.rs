//! A subordinate CA certificate signed by the root, for a CSR from AWS
//! Private CA. The extensions come from the ceremony file, never from the
//! CSR: above all the name constraints, which are why the subordinate is
//! signed by this root at all.

use const_oid::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;
use x509_cert::builder::{self, profile::BuilderProfile};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;

use super::{ProfileError, extensions};

/// basicConstraints (critical, CA, pathLen), keyUsage (critical,
/// keyCertSign and cRLSign, digitalSignature if asked), subjectKeyIdentifier
/// of the CSR's key, authorityKeyIdentifier = the issuer's key identifier,
/// then CRL distribution points, authority information access, policies and
/// name constraints (critical) as configured.
#[derive(Debug, Clone)]
pub struct SubordinateProfile {
    pub subject: Name,
    pub issuer: Name,
    pub issuer_key_id: Vec<u8>,
    pub path_len: u8,
    pub digital_signature: bool,
    pub crl_urls: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
    pub name_constraints: Option<x509_cert::ext::pkix::NameConstraints>,
}

impl SubordinateProfile {
    fn extensions(&self, spk: SubjectPublicKeyInfoRef<'_>) -> Result<Vec<Extension>, ProfileError> {
        let mut exts = vec![
            extensions::basic_constraints(Some(self.path_len))?,
            extensions::ca_key_usage(self.digital_signature)?,
            extensions::subject_key_identifier(&extensions::key_identifier(spk)?)?,
            extensions::authority_key_identifier(&self.issuer_key_id)?,
        ];
        if !self.crl_urls.is_empty() {
            exts.push(extensions::crl_distribution_points(&self.crl_urls)?);
        }
        if !self.ca_issuers.is_empty() {
            exts.push(extensions::authority_info_access(&self.ca_issuers)?);
        }
        if !self.policies.is_empty() {
            exts.push(extensions::certificate_policies(&self.policies)?);
        }
        if let Some(nc) = &self.name_constraints {
            exts.push(extensions::extension(nc, true)?);
        }
        Ok(exts)
    }
}

impl BuilderProfile for SubordinateProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
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
        self.extensions(spk).map_err(super::builder_error)
    }
}
