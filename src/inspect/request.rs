//! What a PKCS#10 certificate signing request says: subject, key, and the extensions and
//! other attributes it asks for.

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use serde::Serialize;
use x509_cert::ext::Extension;
use x509_cert::request::CertReq;

use super::algorithms::{public_key_description, signature_algorithm_name, spki_sha256};
use super::extensions::{ExtensionInfo, describe_extension};
use super::values::any_to_text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestDetails {
    pub subject: String,
    pub public_key: String,
    pub public_key_sha256: String,
    pub signature_algorithm: String,
    pub requested_extensions: Vec<ExtensionInfo>,
    #[serde(rename = "attributes")]
    pub other_attributes: Vec<AttributeInfo>,
}

/// A CSR attribute other than the extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeInfo {
    pub oid: String,
    pub name: String,
    pub values: Vec<String>,
}

pub(super) fn details(req: &CertReq) -> RequestDetails {
    let mut requested_extensions = Vec::new();
    let mut other_attributes = Vec::new();
    for attr in req.info.attributes.iter() {
        let oid = attr.oid.to_string();
        // PKCS#9 extensionRequest, and Microsoft's older equivalent.
        if oid == "1.2.840.113549.1.9.14" || oid == "1.3.6.1.4.1.311.2.1.14" {
            for value in attr.values.iter() {
                match value.to_der().and_then(|d| Vec::<Extension>::from_der(&d)) {
                    Ok(exts) => requested_extensions.extend(exts.iter().map(describe_extension)),
                    Err(e) => other_attributes.push(AttributeInfo {
                        oid: oid.clone(),
                        name: "extensionRequest".to_string(),
                        values: vec![format!("could not decode: {e}")],
                    }),
                }
            }
        } else {
            other_attributes.push(AttributeInfo {
                name: attribute_name(&attr.oid),
                oid,
                values: attr.values.iter().map(any_to_text).collect(),
            });
        }
    }
    RequestDetails {
        subject: req.info.subject.to_string(),
        public_key: public_key_description(&req.info.public_key),
        public_key_sha256: spki_sha256(&req.info.public_key),
        signature_algorithm: signature_algorithm_name(&req.algorithm),
        requested_extensions,
        other_attributes,
    }
}

fn attribute_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.9.7" => "challengePassword".to_string(),
        "1.2.840.113549.1.9.2" => "unstructuredName".to_string(),
        _ => const_oid::db::DB
            .by_oid(oid)
            .map_or_else(|| "unknown attribute".to_string(), str::to_string),
    }
}
