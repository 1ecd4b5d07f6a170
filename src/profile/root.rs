//! The self-signed root certificate.

use const_oid::ObjectIdentifier;
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::builder::{self, profile::BuilderProfile};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use super::algorithm::SignatureAlgorithm;
use super::checks::Expected;
use super::ecosystem::Ecosystem;
use super::extensions::AltName;
use super::{CertificateProfile, ProfileError, describe, extensions};

/// basicConstraints (critical, CA), keyUsage (critical, keyCertSign and
/// cRLSign), subjectKeyIdentifier, and the optional CRL distribution points
/// and policies. No authorityKeyIdentifier: RFC 5280 lets a self-signed
/// certificate omit it and it would only repeat the subjectKeyIdentifier.
#[derive(Debug, Clone)]
pub struct RootProfile {
    pub subject: Name,
    pub validity: Validity,
    pub signature: SignatureAlgorithm,
    pub path_len: Option<u8>,
    pub crl_urls: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
    /// issuerAltName (an mDL IACA's), none when empty.
    pub issuer_alt_name: Vec<AltName>,
    /// The ecosystem profile the certificate satisfies besides RFC 5280.
    /// Its values are in the fields above (an IACA's pathLen 0, a PAA's
    /// Vendor ID in the subject), put there when the file was read.
    pub ecosystem: Ecosystem,
    /// A Matter PAA's Vendor ID (already in `subject`), for the plan.
    pub vendor_id: Option<u16>,
}

impl RootProfile {
    fn extensions(&self, spk: SubjectPublicKeyInfoRef<'_>) -> Result<Vec<Extension>, ProfileError> {
        let mut exts = vec![
            extensions::basic_constraints(self.path_len)?,
            extensions::ca_key_usage(false)?,
            extensions::subject_key_identifier(&extensions::key_identifier(spk)?)?,
        ];
        if !self.issuer_alt_name.is_empty() {
            exts.push(extensions::issuer_alt_name(&self.issuer_alt_name)?);
        }
        if !self.crl_urls.is_empty() {
            exts.push(extensions::crl_distribution_points(&self.crl_urls)?);
        }
        if !self.policies.is_empty() {
            exts.push(extensions::certificate_policies(&self.policies)?);
        }
        Ok(exts)
    }
}

impl CertificateProfile for RootProfile {
    fn validity(&self) -> Validity {
        self.validity
    }

    fn signature(&self) -> SignatureAlgorithm {
        self.signature
    }

    fn expected(&self, subject_key: &SubjectPublicKeyInfoOwned) -> Result<Expected, ProfileError> {
        use der::referenced::OwnedToRef;
        Ok(Expected {
            subject: self.subject.clone(),
            issuer: self.subject.clone(),
            public_key: subject_key.clone(),
            algorithm: self.signature,
            validity: self.validity,
            path_len: self.path_len,
            digital_signature: false,
            authority_key_id: None,
            crl_urls: self.crl_urls.clone(),
            ca_issuers: vec![],
            policies: self.policies.clone(),
            extensions: self
                .extensions(subject_key.owned_to_ref())?
                .iter()
                .map(|e| e.extn_id)
                .collect(),
            end_entity: false,
            ecosystem: self.ecosystem,
            ecosystem_issuer: None,
        })
    }

    fn plan_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("profile: {}", describe::profile(self.ecosystem)),
            format!("subject and issuer: {}", self.subject),
            describe::validity(&self.validity, None),
            format!("signature: {}", self.signature),
            describe::basic_constraints(self.path_len),
            describe::key_usage(false),
            "subjectKeyIdentifier: SHA-1 of the public key".into(),
        ];
        if let Some(vid) = self.vendor_id {
            lines.push(describe::matter_id("Vendor ID", vid));
        }
        if !self.issuer_alt_name.is_empty() {
            lines.push(describe::issuer_alt_name(&self.issuer_alt_name));
        }
        lines.extend(describe::optional_lists(
            &self.crl_urls,
            &[],
            &self.policies,
        ));
        lines
    }
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
        self.extensions(spk).map_err(super::builder_error)
    }
}
