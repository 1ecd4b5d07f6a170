//! A subordinate CA certificate signed by the root, for a CSR from AWS
//! Private CA. The extensions come from the ceremony file, never from the
//! CSR: above all the name constraints, which are why the subordinate is
//! signed by this root at all.

use const_oid::ObjectIdentifier;
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::builder::{self, profile::BuilderProfile};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use x509_cert::Certificate;

use super::algorithm::SignatureAlgorithm;
use super::checks::Expected;
use super::ecosystem::Ecosystem;
use super::name_constraints::NameConstraints;
use super::{CertificateProfile, ProfileError, describe, extensions};

/// Everything the ceremony file says of the subordinate's certificate: all
/// but the subject, which comes from the CSR (read at `check`, or fetched
/// from Private CA during the ceremony).
///
/// basicConstraints (critical, CA, pathLen), keyUsage (critical,
/// keyCertSign and cRLSign, digitalSignature if asked), subjectKeyIdentifier
/// of the CSR's key, authorityKeyIdentifier = the issuer's key identifier,
/// then CRL distribution points, authority information access, policies and
/// name constraints (critical) as configured.
#[derive(Debug, Clone)]
pub struct SubordinateTemplate {
    pub issuer: Name,
    /// The issuer's validity, for the plan.
    pub issuer_validity: Validity,
    pub issuer_key_id: Vec<u8>,
    pub validity: Validity,
    pub signature: SignatureAlgorithm,
    pub path_len: u8,
    pub digital_signature: bool,
    pub crl_urls: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub policies: Vec<ObjectIdentifier>,
    pub name_constraints: Option<NameConstraints>,
    /// The ecosystem profile (pkix or matter-pai) and the issuer
    /// certificate its rules compare with.
    pub ecosystem: Ecosystem,
    pub issuer_certificate: Option<Certificate>,
    /// A Matter PAI's Vendor and Product ID, which the CSR's subject carries.
    pub vendor_id: Option<u16>,
    pub product_id: Option<u16>,
}

impl SubordinateTemplate {
    /// The profile for the subject the CSR names.
    pub fn for_subject(&self, subject: Name) -> SubordinateProfile {
        SubordinateProfile {
            subject,
            template: self.clone(),
        }
    }

    /// The plan's lines for everything but the subject and key.
    pub fn plan_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("profile: {}", describe::profile(self.ecosystem)),
            format!("issuer: {}", self.issuer),
            describe::validity(&self.validity, Some(&self.issuer_validity)),
            format!("signature: {}", self.signature),
            describe::basic_constraints(Some(self.path_len)),
            describe::key_usage(self.digital_signature),
            "subjectKeyIdentifier: SHA-1 of the CSR's public key".into(),
            format!(
                "authorityKeyIdentifier: {}",
                hex::encode(&self.issuer_key_id)
            ),
        ];
        if let Some(vid) = self.vendor_id {
            lines.push(describe::matter_id("Vendor ID (from the CSR)", vid));
        }
        if let Some(pid) = self.product_id {
            lines.push(describe::matter_id("Product ID (from the CSR)", pid));
        }
        lines.extend(describe::optional_lists(
            &self.crl_urls,
            &self.ca_issuers,
            &self.policies,
        ));
        match &self.name_constraints {
            Some(nc) => {
                lines.push("name constraints (critical):".into());
                lines.extend(nc.describe().into_iter().map(|l| format!("  {l}")));
                lines.extend(nc.warnings().into_iter().map(|w| format!("  warning: {w}")));
                let lists = nc.to_lists();
                if lists
                    .permitted_dns
                    .iter()
                    .chain(&lists.excluded_dns)
                    .any(|d| d.starts_with('.'))
                {
                    lines.push(
                        "  note: a leading-dot DNS entry is read by OpenSSL and the AWS sample encoder as \"names below only\", \
                         but it is not RFC 5280 dNSName syntax: pkilint reports it and strict verifiers may read it otherwise \
                         (docs/name-constraints.md)"
                            .into(),
                    );
                }
            }
            None => lines.push("name constraints: none".into()),
        }
        lines
    }
}

/// The subordinate's certificate for one subject.
#[derive(Debug, Clone)]
pub struct SubordinateProfile {
    pub subject: Name,
    pub template: SubordinateTemplate,
}

impl SubordinateProfile {
    fn extensions(&self, spk: SubjectPublicKeyInfoRef<'_>) -> Result<Vec<Extension>, ProfileError> {
        let t = &self.template;
        let mut exts = vec![
            extensions::basic_constraints(Some(t.path_len))?,
            extensions::ca_key_usage(t.digital_signature)?,
            extensions::subject_key_identifier(&extensions::key_identifier(spk)?)?,
            extensions::authority_key_identifier(&t.issuer_key_id)?,
        ];
        if !t.crl_urls.is_empty() {
            exts.push(extensions::crl_distribution_points(&t.crl_urls)?);
        }
        if !t.ca_issuers.is_empty() {
            exts.push(extensions::authority_info_access(&t.ca_issuers)?);
        }
        if !t.policies.is_empty() {
            exts.push(extensions::certificate_policies(&t.policies)?);
        }
        if let Some(nc) = &t.name_constraints {
            exts.push(extensions::extension(&nc.to_extension(), true)?);
        }
        Ok(exts)
    }
}

impl CertificateProfile for SubordinateProfile {
    fn validity(&self) -> Validity {
        self.template.validity
    }

    fn signature(&self) -> SignatureAlgorithm {
        self.template.signature
    }

    fn expected(&self, subject_key: &SubjectPublicKeyInfoOwned) -> Result<Expected, ProfileError> {
        use der::referenced::OwnedToRef;
        let t = &self.template;
        Ok(Expected {
            subject: self.subject.clone(),
            issuer: t.issuer.clone(),
            public_key: subject_key.clone(),
            algorithm: t.signature,
            validity: t.validity,
            path_len: Some(t.path_len),
            digital_signature: t.digital_signature,
            authority_key_id: Some(t.issuer_key_id.clone()),
            crl_urls: t.crl_urls.clone(),
            ca_issuers: t.ca_issuers.clone(),
            policies: t.policies.clone(),
            extensions: self
                .extensions(subject_key.owned_to_ref())?
                .iter()
                .map(|e| e.extn_id)
                .collect(),
            end_entity: false,
            ecosystem: t.ecosystem,
            ecosystem_issuer: t.issuer_certificate.clone(),
        })
    }

    fn plan_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("subject: {}", self.subject)];
        lines.extend(self.template.plan_lines());
        lines
    }
}

impl BuilderProfile for SubordinateProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.template.issuer.clone()
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
