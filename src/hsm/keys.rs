//! Generating and finding the root key pair, and reading its public half.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use der::asn1::{BitString, OctetStringRef, UintRef};
use der::{Any, Decode, Encode, asn1::Null};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::{HsmError, Token, call};
use crate::profile::algorithm::{KeyAlgorithm, KeyFamily};

/// The two halves of a key pair on the token, found by label.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub label: String,
    pub id: Vec<u8>,
    pub algorithm: KeyAlgorithm,
    pub(super) private: ObjectHandle,
    pub(super) public: ObjectHandle,
}

/// The private key's protection attributes as the token reports them,
/// for the transcript.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyAttributes {
    pub token: bool,
    pub private: bool,
    pub sensitive: bool,
    pub always_sensitive: bool,
    pub extractable: bool,
    pub never_extractable: bool,
    pub wrap_with_trusted: bool,
    pub sign: bool,
    pub decrypt: bool,
    pub unwrap: bool,
    pub derive: bool,
}

/// How a root key is kept from leaving its HSM. The choice is made at
/// generation: CKA_EXTRACTABLE cannot be set true later on CloudHSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// Never extractable: it leaves only in the HSM's own backups or clones.
    NeverExtractable,
    /// Extractable, but only wrapped under a key the security officer
    /// marked trusted (CKA_WRAP_WITH_TRUSTED).
    Portable,
    /// Not extractable now, but it has been: a key unwrapped into this HSM.
    Imported,
}

impl Protection {
    pub fn describe(self) -> &'static str {
        match self {
            Self::NeverExtractable => "sensitive, never extractable, sign only",
            Self::Portable => {
                "sensitive, portable (extractable only under a trusted wrapping key), sign only"
            }
            Self::Imported => {
                "sensitive, not extractable (an imported key: never extractable again), sign only"
            }
        }
    }

    /// Only what sets this protection apart, for a refusal that compares two.
    fn difference(self) -> &'static str {
        match self {
            Self::NeverExtractable => "never extractable",
            Self::Portable => "extractable (only under a trusted wrapping key: a portable key)",
            Self::Imported => "not extractable now, but extractable before it was imported",
        }
    }
}

impl KeyAttributes {
    /// The protection these attributes give, if any a root key may have.
    pub fn protection(&self) -> Option<Protection> {
        match (
            self.extractable,
            self.wrap_with_trusted,
            self.never_extractable,
        ) {
            (false, _, true) if self.always_sensitive => Some(Protection::NeverExtractable),
            (true, true, _) if self.always_sensitive => Some(Protection::Portable),
            (false, _, false) => Some(Protection::Imported),
            _ => None,
        }
    }

    /// What is wrong with these attributes for a root key; `expected` is
    /// the protection it must have, or any of them when None.
    fn problems(&self, expected: Option<Protection>) -> Vec<String> {
        let rules = [
            (self.token, "not a token object"),
            (self.private, "not private"),
            (self.sensitive, "not sensitive"),
            (
                !self.extractable || self.wrap_with_trusted,
                "extractable under any wrapping key (CKA_WRAP_WITH_TRUSTED is not set)",
            ),
            (self.sign, "cannot sign"),
            (!self.decrypt, "can decrypt"),
            (!self.unwrap, "can unwrap keys"),
            (!self.derive, "can derive keys"),
        ];
        let mut problems: Vec<String> = rules
            .into_iter()
            .filter(|(ok, _)| !ok)
            .map(|(_, problem)| problem.to_string())
            .collect();
        let found = self.protection();
        match (expected, found) {
            (_, None) if problems.is_empty() => {
                problems.push("has been readable (not always sensitive)".into())
            }
            (Some(want), Some(got)) if want != got => problems.push(format!(
                "{} where it must be {}",
                got.difference(),
                want.difference()
            )),
            _ => {}
        }
        problems
    }
}

/// How `destroy` names a pair the running ceremony made.
pub(crate) const OWN: &str = "the pair this run made";

fn ec_params(curve: ObjectIdentifier) -> Result<Vec<u8>, HsmError> {
    curve.to_der().map_err(|e| HsmError::BadResponse {
        what: "curve",
        reason: e.to_string(),
    })
}

impl Token {
    fn find(&self, template: &[Attribute]) -> Result<Vec<ObjectHandle>, HsmError> {
        self.session
            .find_objects(template)
            .map_err(call("searching for objects"))
    }

    /// Refuses a label that any object on the token already has: CloudHSM
    /// does not enforce unique labels, so the tool must.
    pub fn ensure_label_free(&self, label: &str) -> Result<(), HsmError> {
        let found = self.find(&[Attribute::Label(label.as_bytes().to_vec())])?;
        if found.is_empty() {
            Ok(())
        } else {
            Err(HsmError::LabelExists {
                label: label.into(),
                found: format!("{} object(s)", found.len()),
            })
        }
    }

    /// What carries `label` on the token, for messages: "2 objects (private
    /// key CKA_ID ab12, public key CKA_ID ab12)".
    pub(super) fn describe_label(&self, label: &str) -> String {
        let Ok(found) = self.find(&[Attribute::Label(label.as_bytes().to_vec())]) else {
            return "the token could not be searched".into();
        };
        if found.is_empty() {
            return "no object".into();
        }
        let parts: Vec<String> = found
            .iter()
            .map(|h| {
                let attrs = self
                    .session
                    .get_attributes(*h, &[AttributeType::Class, AttributeType::Id])
                    .unwrap_or_default();
                let mut class = "object".to_string();
                let mut id = String::from("?");
                for a in attrs {
                    match a {
                        Attribute::Class(c) if c == ObjectClass::PRIVATE_KEY => {
                            class = "private key".into()
                        }
                        Attribute::Class(c) if c == ObjectClass::PUBLIC_KEY => {
                            class = "public key".into()
                        }
                        Attribute::Id(v) => id = hex::encode(v),
                        _ => {}
                    }
                }
                format!("{class} CKA_ID {id}")
            })
            .collect();
        format!("{} object(s): {}", found.len(), parts.join(", "))
    }

    /// Destroys a pair that must not stay on the token, and says how that
    /// went; `whose` names it ("the pair this run made").
    pub fn destroy(&self, pair: &KeyPair, whose: &str) -> String {
        let private = self.session.destroy_object(pair.private);
        let public = self.session.destroy_object(pair.public);
        let id = hex::encode(&pair.id);
        match (private, public) {
            (Ok(()), Ok(())) => format!("{whose} (CKA_ID {id}) was destroyed"),
            (p, q) => format!(
                "destroying {whose} (CKA_ID {id}) failed ({}): remove it by hand",
                [p.err(), q.err()]
                    .into_iter()
                    .flatten()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }

    /// Generates a signing-only key pair under a label no object has, then
    /// reads the private key's attributes back. Never leaves two pairs under
    /// one label, nor a pair it must not keep: the session holds this
    /// machine's lock for the token, and since the lock cannot reach other
    /// machines (CloudHSM has several clients), the label is looked up again
    /// afterwards.
    pub fn generate(
        &self,
        label: &str,
        algorithm: KeyAlgorithm,
        portable: bool,
    ) -> Result<(KeyPair, KeyAttributes), HsmError> {
        self.ensure_label_free(label)?;
        let id = self.random(8)?;
        let common = [
            Attribute::Token(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        let mut public: Vec<Attribute> = common.to_vec();
        public.extend([
            Attribute::Verify(true),
            Attribute::Encrypt(false),
            Attribute::Wrap(false),
        ]);
        let mut private: Vec<Attribute> = common.to_vec();
        private.extend([
            Attribute::Private(true),
            Attribute::Sensitive(true),
            // A portable key may leave only wrapped under a trusted key;
            // the choice is final on CloudHSM.
            Attribute::Extractable(portable),
            Attribute::WrapWithTrusted(true),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
        ]);
        let mechanism = match algorithm.family() {
            KeyFamily::Rsa => {
                // On CloudHSM the modulus size belongs in the public template
                // only; in the private one it yields an unusable key.
                let bits = algorithm.rsa_bits().unwrap_or(2048);
                public.push(Attribute::ModulusBits(u64::from(bits).into()));
                public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
                Mechanism::RsaPkcsKeyPairGen
            }
            KeyFamily::Ec => {
                let curve = algorithm.curve().ok_or(HsmError::BadResponse {
                    what: "curve",
                    reason: "no curve for this algorithm".into(),
                })?;
                public.push(Attribute::EcParams(ec_params(curve)?));
                Mechanism::EccKeyPairGen
            }
        };
        let (public, private) = match self
            .session
            .generate_key_pair(&mechanism, &public, &private)
        {
            Ok(handles) => handles,
            // An error does not prove that nothing was made: look.
            Err(source) => {
                return Err(HsmError::GenerateFailed {
                    label: label.into(),
                    found: self.describe_label(label),
                    source,
                });
            }
        };
        let pair = KeyPair {
            label: label.into(),
            id,
            algorithm,
            private,
            public,
        };
        let others = self
            .find(&[Attribute::Label(label.as_bytes().to_vec())])?
            .into_iter()
            .filter(|h| *h != pair.private && *h != pair.public)
            .count();
        if others > 0 {
            let found = self.describe_label(label);
            return Err(HsmError::LabelRace {
                label: label.into(),
                destroyed: self.destroy(&pair, OWN),
                found: format!("before that, {found}"),
            });
        }
        let expected = if portable {
            Protection::Portable
        } else {
            Protection::NeverExtractable
        };
        match self.check_attributes(&pair, Some(expected)) {
            Ok(attributes) => Ok((pair, attributes)),
            Err(HsmError::KeyAttributes { label, problems }) => Err(HsmError::KeyNotKept {
                destroyed: self.destroy(&pair, OWN),
                label,
                problems,
            }),
            Err(other) => Err(other),
        }
    }

    /// Finds the one key pair with this label; zero or several matches
    /// are an error that says what was found.
    pub fn find_key(&self, label: &str) -> Result<KeyPair, HsmError> {
        let by_class = |class| {
            self.find(&[
                Attribute::Class(class),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
        };
        let privates = by_class(ObjectClass::PRIVATE_KEY)?;
        let publics = by_class(ObjectClass::PUBLIC_KEY)?;
        let (&[private], &[public]) = (privates.as_slice(), publics.as_slice()) else {
            return Err(HsmError::KeyLookup {
                label: label.into(),
                private: privates.len(),
                public: publics.len(),
            });
        };
        let attrs = self
            .session
            .get_attributes(public, &[AttributeType::Id])
            .map_err(call("reading the key id"))?;
        let id = attrs
            .into_iter()
            .find_map(|a| match a {
                Attribute::Id(id) => Some(id),
                _ => None,
            })
            .unwrap_or_default();
        let mut pair = KeyPair {
            label: label.into(),
            id,
            algorithm: KeyAlgorithm::EcP256,
            private,
            public,
        };
        let spki = self.public_key(&pair)?;
        pair.algorithm = KeyAlgorithm::of_public_key(&spki).map_err(|e| HsmError::KeyType {
            label: label.into(),
            found: e.to_string(),
            expected: KeyAlgorithm::ACCEPTED.into(),
        })?;
        Ok(pair)
    }

    /// Reads the private key's protection attributes; an error unless the
    /// key is a private, sensitive, sign-only token object with the
    /// protection `expected` (any a root key may have when None).
    pub fn check_attributes(
        &self,
        key: &KeyPair,
        expected: Option<Protection>,
    ) -> Result<KeyAttributes, HsmError> {
        let types = [
            AttributeType::Token,
            AttributeType::Private,
            AttributeType::Sensitive,
            AttributeType::AlwaysSensitive,
            AttributeType::Extractable,
            AttributeType::NeverExtractable,
            AttributeType::WrapWithTrusted,
            AttributeType::Sign,
            AttributeType::Decrypt,
            AttributeType::Unwrap,
            AttributeType::Derive,
        ];
        let attrs = self
            .session
            .get_attributes(key.private, &types)
            .map_err(call("reading the key's attributes"))?;
        // An attribute the token does not report counts as false: for the
        // capabilities that is what we want, for the protections it fails.
        let mut a = KeyAttributes {
            token: false,
            private: false,
            sensitive: false,
            always_sensitive: false,
            extractable: true,
            never_extractable: false,
            wrap_with_trusted: false,
            sign: false,
            decrypt: false,
            unwrap: false,
            derive: false,
        };
        for attr in attrs {
            match attr {
                Attribute::Token(v) => a.token = v,
                Attribute::Private(v) => a.private = v,
                Attribute::Sensitive(v) => a.sensitive = v,
                Attribute::AlwaysSensitive(v) => a.always_sensitive = v,
                Attribute::Extractable(v) => a.extractable = v,
                Attribute::NeverExtractable(v) => a.never_extractable = v,
                Attribute::WrapWithTrusted(v) => a.wrap_with_trusted = v,
                Attribute::Sign(v) => a.sign = v,
                Attribute::Decrypt(v) => a.decrypt = v,
                Attribute::Unwrap(v) => a.unwrap = v,
                Attribute::Derive(v) => a.derive = v,
                _ => {}
            }
        }
        let problems = a.problems(expected);
        if problems.is_empty() {
            Ok(a)
        } else {
            Err(HsmError::KeyAttributes {
                label: key.label.clone(),
                problems: problems.join(", "),
            })
        }
    }

    /// The public half as a SubjectPublicKeyInfo.
    pub fn public_key(&self, key: &KeyPair) -> Result<SubjectPublicKeyInfoOwned, HsmError> {
        let attrs = self
            .session
            .get_attributes(
                key.public,
                &[
                    AttributeType::KeyType,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                    AttributeType::EcParams,
                    AttributeType::EcPoint,
                ],
            )
            .map_err(call("reading the public key"))?;
        let (mut key_type, mut modulus, mut exponent, mut params, mut point) =
            (None, None, None, None, None);
        for attr in attrs {
            match attr {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::Modulus(v) => modulus = Some(v),
                Attribute::PublicExponent(v) => exponent = Some(v),
                Attribute::EcParams(v) => params = Some(v),
                Attribute::EcPoint(v) => point = Some(v),
                _ => {}
            }
        }
        let bad = |reason: String| HsmError::BadResponse {
            what: "public key",
            reason,
        };
        match key_type {
            Some(KeyType::RSA) => {
                let (n, e) = modulus
                    .zip(exponent)
                    .ok_or_else(|| bad("RSA key without modulus or exponent".into()))?;
                let pkcs1 = rsa::pkcs1::RsaPublicKey {
                    modulus: UintRef::new(&n).map_err(|e| bad(e.to_string()))?,
                    public_exponent: UintRef::new(&e).map_err(|e| bad(e.to_string()))?,
                }
                .to_der()
                .map_err(|e| bad(e.to_string()))?;
                Ok(SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: rfc5912::RSA_ENCRYPTION,
                        parameters: Some(Any::from(Null)),
                    },
                    subject_public_key: BitString::from_bytes(&pkcs1)
                        .map_err(|e| bad(e.to_string()))?,
                })
            }
            Some(KeyType::EC) => {
                let params = params.ok_or_else(|| bad("EC key without parameters".into()))?;
                let curve = ObjectIdentifier::from_der(&params)
                    .map_err(|_| bad("EC parameters are not a named curve".into()))?;
                let point = point.ok_or_else(|| bad("EC key without a point".into()))?;
                // Most modules wrap the point in an OCTET STRING; some do not.
                // A bare point also starts with 0x04, so the wrapped reading
                // is taken only when it yields a point of the curve's size.
                let point_len = match curve {
                    c if c == rfc5912::SECP_256_R_1 => 65,
                    c if c == rfc5912::SECP_384_R_1 => 97,
                    _ => 133,
                };
                let point = match <&OctetStringRef>::from_der(&point) {
                    Ok(inner) if inner.as_bytes().len() == point_len => inner.as_bytes().to_vec(),
                    _ => point,
                };
                Ok(SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: rfc5912::ID_EC_PUBLIC_KEY,
                        parameters: Some(Any::from(&curve)),
                    },
                    subject_public_key: BitString::from_bytes(&point)
                        .map_err(|e| bad(e.to_string()))?,
                })
            }
            other => Err(bad(format!("unsupported key type {other:?}"))),
        }
    }
}
