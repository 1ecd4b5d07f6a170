//! An mDL Document Signer certificate (ISO/IEC 18013-5 B.1.4), signed by
//! the IACA root directly for a CSR whose key usually lives in a cloud KMS.
//!
//! keyUsage (critical, digitalSignature), extKeyUsage (critical,
//! id-mdl-kp-mdlDS), subjectKeyIdentifier of the CSR's key,
//! authorityKeyIdentifier = the IACA's key identifier, issuerAltName and
//! CRL distribution points. No basicConstraints: it is no CA.

use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::Certificate;
use x509_cert::builder::{self, profile::BuilderProfile};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use super::algorithm::SignatureAlgorithm;
use super::checks::Expected;
use super::ecosystem::Ecosystem;
use super::ecosystem::mdl::MDL_DS_EKU;
use super::extensions::AltName;
use super::{CertificateProfile, ProfileError, describe, extensions};

/// Everything the ceremony file and the IACA say of the certificate.
#[derive(Debug, Clone)]
pub struct DocumentSignerProfile {
    pub subject: Name,
    /// The IACA certificate: its subject is the issuer, its key identifier
    /// the authorityKeyIdentifier, and the profile's rules compare with it.
    pub iaca: Certificate,
    pub iaca_key_id: Vec<u8>,
    pub validity: Validity,
    pub signature: SignatureAlgorithm,
    pub crl_urls: Vec<String>,
    pub issuer_alt_name: Vec<AltName>,
}

impl DocumentSignerProfile {
    fn extensions(&self, spk: SubjectPublicKeyInfoRef<'_>) -> Result<Vec<Extension>, ProfileError> {
        Ok(vec![
            extensions::signer_key_usage()?,
            extensions::extended_key_usage(&[MDL_DS_EKU])?,
            extensions::subject_key_identifier(&extensions::key_identifier(spk)?)?,
            extensions::authority_key_identifier(&self.iaca_key_id)?,
            extensions::issuer_alt_name(&self.issuer_alt_name)?,
            extensions::crl_distribution_points(&self.crl_urls)?,
        ])
    }

    fn issuer(&self) -> Name {
        self.iaca.tbs_certificate().subject().clone()
    }
}

impl CertificateProfile for DocumentSignerProfile {
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
            issuer: self.issuer(),
            public_key: subject_key.clone(),
            algorithm: self.signature,
            validity: self.validity,
            path_len: None,
            digital_signature: true,
            authority_key_id: Some(self.iaca_key_id.clone()),
            crl_urls: self.crl_urls.clone(),
            ca_issuers: vec![],
            policies: vec![],
            extensions: self
                .extensions(subject_key.owned_to_ref())?
                .iter()
                .map(|e| e.extn_id)
                .collect(),
            end_entity: true,
            ecosystem: Ecosystem::MdlDocumentSigner,
            ecosystem_issuer: Some(self.iaca.clone()),
        })
    }

    fn plan_lines(&self) -> Vec<String> {
        vec![
            format!(
                "profile: {}",
                describe::profile(Ecosystem::MdlDocumentSigner)
            ),
            format!("subject (from the CSR): {}", self.subject),
            format!("issuer (the IACA): {}", self.issuer()),
            describe::validity(&self.validity, Some(self.iaca.tbs_certificate().validity())),
            format!("signature: {}", self.signature),
            "keyUsage (critical): digitalSignature".into(),
            format!("extKeyUsage (critical): {MDL_DS_EKU} (id-mdl-kp-mdlDS)"),
            "basicConstraints: none (an end-entity certificate)".into(),
            "subjectKeyIdentifier: SHA-1 of the CSR's public key".into(),
            format!("authorityKeyIdentifier: {}", hex::encode(&self.iaca_key_id)),
            describe::issuer_alt_name(&self.issuer_alt_name),
            format!("CRL distribution points: {}", self.crl_urls.join(", ")),
        ]
    }
}

impl BuilderProfile for DocumentSignerProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer()
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
