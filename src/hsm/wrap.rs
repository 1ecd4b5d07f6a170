//! Moving a portable root key to another HSM by wrapping. The target makes
//! an RSA transport key pair; the source's security officer marks its
//! public half trusted; the root key is wrapped under it and unwrapped on
//! the target as a sensitive, non-extractable, sign-only key.
//!
//! The wrapping is CKM_RSA_AES_KEY_WRAP's construction done in two calls,
//! which every module here offers (SoftHSM 2.6 lacks the one-call
//! mechanism): an ephemeral AES-256 key wraps the private key with AES key
//! wrap with padding (RFC 5649), and the transport key wraps the AES key
//! with RSA-OAEP. The blob is the two, in that mechanism's order: the
//! OAEP block first, the RFC 5649 block after it. RFC 5649 goes by
//! PKCS#11's CKM_AES_KEY_WRAP_PAD on SoftHSM and by the vendor name
//! CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD on CloudHSM Client SDK 5, which has no
//! CKM_AES_KEY_WRAP_PAD; each side uses the name its module offers.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::vendor_defined::{CKM_VENDOR_DEFINED, VendorDefinedMechanism};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use der::{Decode, Encode, asn1::OctetStringRef};
use spki::SubjectPublicKeyInfoOwned;

use super::{Hsm, HsmError, KeyPair, PinSource, Token, call};
use crate::profile::algorithm::{KeyAlgorithm, KeyFamily};

/// The transport key's modulus: RSA-OAEP under 3072 bits protects an
/// AES-256 key at the strength of a root key.
pub const TRANSPORT_BITS: u64 = 3072;

/// The OAEP hash (and MGF1 hash) the wrapping used, recorded in the
/// manifest so that the target unwraps with the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OaepHash {
    Sha256,
    /// SoftHSM 2.6 offers OAEP with SHA-1 only. OAEP's security does not
    /// rest on SHA-1's collision resistance.
    Sha1,
}

impl OaepHash {
    fn mechanism(self) -> Mechanism<'static> {
        let (hash, mgf) = match self {
            Self::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
            Self::Sha1 => (MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
        };
        Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()))
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "RSA-OAEP with SHA-256",
            Self::Sha1 => "RSA-OAEP with SHA-1",
        }
    }
}

/// RFC 5649 AES key wrap with padding, under the name the module gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyWrapPad {
    /// CKM_AES_KEY_WRAP_PAD, PKCS#11's own (SoftHSM).
    Standard,
    /// CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD (CloudHSM Client SDK 5).
    CloudHsm,
}

impl KeyWrapPad {
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "CKM_AES_KEY_WRAP_PAD",
            Self::CloudHsm => "CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD",
        }
    }

    fn mechanism_type(self) -> Result<MechanismType, HsmError> {
        match self {
            Self::Standard => Ok(MechanismType::AES_KEY_WRAP_PAD),
            // AWS's pkcs11t.h: CKM_VENDOR_DEFINED | 0x0000216F.
            Self::CloudHsm => MechanismType::new_vendor_defined(CKM_VENDOR_DEFINED | 0x216F)
                .map_err(call("naming CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD")),
        }
    }

    fn mechanism(self) -> Result<Mechanism<'static>, HsmError> {
        match self {
            Self::Standard => Ok(Mechanism::AesKeyWrapPad),
            Self::CloudHsm => Ok(Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
                self.mechanism_type()?,
                None,
            ))),
        }
    }
}

/// The wrapped key: the OAEP block of `oaep_len` octets, then the AES key
/// wrap block.
pub struct Wrapped {
    pub blob: Vec<u8>,
    pub oaep_len: usize,
    pub oaep: OaepHash,
}

/// The security officer's marks on the source token for one export: the
/// target's transport public key and an ephemeral AES key, both trusted,
/// both session objects of `session`, which are gone when it closes.
pub struct Trusted {
    session: Session,
    transport: ObjectHandle,
    aes: ObjectHandle,
    pad: KeyWrapPad,
}

impl Trusted {
    /// The RFC 5649 mechanism the wrap will use.
    pub fn key_wrap(&self) -> KeyWrapPad {
        self.pad
    }

    /// Destroys the trusted objects and closes their session; says how
    /// that went.
    pub fn close(self) -> String {
        let destroyed = [self.aes, self.transport]
            .into_iter()
            .map(|h| self.session.destroy_object(h))
            .collect::<Result<Vec<()>, _>>();
        let closed = self.session.close();
        match (destroyed, closed) {
            (Ok(_), Ok(())) => {
                "the trusted transport key and the ephemeral AES key were destroyed".into()
            }
            (d, c) => format!(
                "destroying the trusted objects reported {}; they were session objects, gone once the module is finalised",
                [d.err(), c.err()]
                    .into_iter()
                    .flatten()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// The modulus and exponent of an RSA SubjectPublicKeyInfo.
fn rsa_parts(spki: &SubjectPublicKeyInfoOwned) -> Result<(Vec<u8>, Vec<u8>), HsmError> {
    let bad = |reason: String| HsmError::BadResponse {
        what: "RSA public key",
        reason,
    };
    if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
        return Err(bad("not an RSA key".into()));
    }
    let bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("the key is not whole octets".into()))?;
    let key: rsa::pkcs1::RsaPublicKey<der::asn1::UintRef<'_>> =
        rsa::pkcs1::RsaPublicKey::from_der(bytes).map_err(|e| bad(e.to_string()))?;
    Ok((
        key.modulus.as_bytes().to_vec(),
        key.public_exponent.as_bytes().to_vec(),
    ))
}

/// The attributes that carry `spki`'s key material in a public key object.
fn public_key_material(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: KeyAlgorithm,
) -> Result<Vec<Attribute>, HsmError> {
    let bad = |reason: String| HsmError::BadResponse {
        what: "public key",
        reason,
    };
    match algorithm.family() {
        KeyFamily::Rsa => {
            let (n, e) = rsa_parts(spki)?;
            Ok(vec![
                Attribute::KeyType(KeyType::RSA),
                Attribute::Modulus(n),
                Attribute::PublicExponent(e),
            ])
        }
        KeyFamily::Ec => {
            let curve: ObjectIdentifier = algorithm
                .curve()
                .ok_or_else(|| bad("no curve for this algorithm".into()))?;
            let point = spki
                .subject_public_key
                .as_bytes()
                .ok_or_else(|| bad("the point is not whole octets".into()))?;
            let point = OctetStringRef::new(point)
                .and_then(|o| o.to_der())
                .map_err(|e| bad(e.to_string()))?;
            Ok(vec![
                Attribute::KeyType(KeyType::EC),
                Attribute::EcParams(curve.to_der().map_err(|e| bad(e.to_string()))?),
                Attribute::EcPoint(point),
            ])
        }
    }
}

fn is_param_refusal(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::MechanismParamInvalid | RvError::ArgumentsBad | RvError::MechanismInvalid,
            _
        )
    )
}

impl Hsm {
    /// The RFC 5649 key wrap the token offers to wrap (or unwrap) with,
    /// once it is known to offer RSA-OAEP for the same; refused, naming
    /// what is missing, when it lacks either.
    pub fn key_wrap(&self, label: &str, unwrap: bool) -> Result<KeyWrapPad, HsmError> {
        self.key_wrap_at(self.slot(label)?, label, unwrap)
    }

    fn key_wrap_at(
        &self,
        slot: cryptoki::slot::Slot,
        label: &str,
        unwrap: bool,
    ) -> Result<KeyWrapPad, HsmError> {
        let offers = |mechanism: MechanismType| match self.ctx.get_mechanism_info(slot, mechanism) {
            Ok(info) => Ok(if unwrap { info.unwrap() } else { info.wrap() }),
            Err(CkError::Pkcs11(RvError::MechanismInvalid, _)) => Ok(false),
            Err(e) => Err(HsmError::Call {
                during: "reading the token's mechanisms",
                source: e,
            }),
        };
        let missing = |missing: &'static str| HsmError::MechanismMissing {
            token: label.into(),
            operation: if unwrap { "unwrap" } else { "wrap" },
            missing,
        };
        if !offers(MechanismType::RSA_PKCS_OAEP)? {
            return Err(missing("RSA-OAEP (CKM_RSA_PKCS_OAEP)"));
        }
        for pad in [KeyWrapPad::Standard, KeyWrapPad::CloudHsm] {
            if offers(pad.mechanism_type()?)? {
                return Ok(pad);
            }
        }
        Err(missing(
            "AES key wrap with padding, RFC 5649 (neither CKM_AES_KEY_WRAP_PAD nor CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD)",
        ))
    }

    /// As the token's security officer, puts the target's transport public
    /// key and a fresh AES-256 key on the token as trusted session objects,
    /// then logs out. The root key (CKA_WRAP_WITH_TRUSTED) can be wrapped
    /// only under them, and only while their session is open.
    pub fn trust_for_export(
        &self,
        label: &str,
        so_pin: &PinSource,
        transport: &SubjectPublicKeyInfoOwned,
    ) -> Result<Trusted, HsmError> {
        let slot = self.slot(label)?;
        // Before anyone logs in: a token that cannot wrap is refused
        // with nothing marked.
        let pad = self.key_wrap_at(slot, label, false)?;
        let session = self
            .ctx
            .open_rw_session(slot)
            .map_err(call("opening the security officer's session"))?;
        let secret = so_pin.read_as("security officer PIN", label)?;
        session
            .login(UserType::So, Some(&secret))
            .map_err(|e| match e {
                CkError::Pkcs11(RvError::PinIncorrect, _) => HsmError::Pin(format!(
                    "the security officer PIN was refused by token \"{label}\""
                )),
                CkError::Pkcs11(RvError::PinLocked, _) => HsmError::Pin(format!(
                    "token \"{label}\" has locked the security officer PIN"
                )),
                // A module without the SO role (CloudHSM's) answers the
                // login itself, not the PIN.
                CkError::Pkcs11(RvError::UserTypeInvalid, _) => HsmError::NoSecurityOfficer {
                    token: label.to_string(),
                    code: "CKR_USER_TYPE_INVALID",
                },
                CkError::Pkcs11(RvError::FunctionNotSupported, _) => HsmError::NoSecurityOfficer {
                    token: label.to_string(),
                    code: "CKR_FUNCTION_NOT_SUPPORTED",
                },
                other => HsmError::Call {
                    during: "logging in as the security officer",
                    source: other,
                },
            })?;
        drop(secret);
        let (n, e) = rsa_parts(transport)?;
        let made = (|| {
            let transport = session
                .create_object(&[
                    Attribute::Class(ObjectClass::PUBLIC_KEY),
                    Attribute::KeyType(KeyType::RSA),
                    Attribute::Token(false),
                    Attribute::Private(false),
                    Attribute::Label(b"rootca transport key".to_vec()),
                    Attribute::Modulus(n),
                    Attribute::PublicExponent(e),
                    Attribute::Trusted(true),
                    Attribute::Wrap(true),
                    Attribute::Encrypt(false),
                    Attribute::Verify(false),
                ])
                .map_err(call("putting the transport key on the token as trusted"))?;
            let aes = session
                .generate_key(
                    &Mechanism::AesKeyGen,
                    &[
                        Attribute::Token(false),
                        Attribute::Private(false),
                        Attribute::Label(b"rootca ephemeral wrapping key".to_vec()),
                        Attribute::ValueLen(32.into()),
                        Attribute::Sensitive(true),
                        Attribute::Extractable(true),
                        Attribute::Trusted(true),
                        Attribute::Wrap(true),
                        Attribute::Unwrap(false),
                        Attribute::Encrypt(false),
                        Attribute::Decrypt(false),
                    ],
                )
                .map_err(call("generating the ephemeral AES key"))?;
            Ok((transport, aes))
        })();
        let logout = session
            .logout()
            .map_err(call("logging the security officer out"));
        let (transport, aes) = made?;
        logout?;
        Ok(Trusted {
            session,
            transport,
            aes,
            pad,
        })
    }
}

impl Token {
    /// Wraps `key` for the transport key `trusted` holds.
    pub fn wrap_for_transport(
        &self,
        trusted: &Trusted,
        key: &KeyPair,
    ) -> Result<Wrapped, HsmError> {
        let mut oaep = OaepHash::Sha256;
        let wrapped_aes =
            match self
                .session
                .wrap_key(&oaep.mechanism(), trusted.transport, trusted.aes)
            {
                Ok(w) => w,
                Err(e) if is_param_refusal(&e) => {
                    oaep = OaepHash::Sha1;
                    self.session
                        .wrap_key(&oaep.mechanism(), trusted.transport, trusted.aes)
                        .map_err(call("wrapping the AES key under the transport key"))?
                }
                Err(e) => {
                    return Err(HsmError::Call {
                        during: "wrapping the AES key under the transport key",
                        source: e,
                    });
                }
            };
        let wrapped_key = self
            .session
            .wrap_key(&trusted.pad.mechanism()?, trusted.aes, key.private)
            .map_err(call("wrapping the root key under the AES key"))?;
        let oaep_len = wrapped_aes.len();
        let mut blob = wrapped_aes;
        blob.extend(wrapped_key);
        Ok(Wrapped {
            blob,
            oaep_len,
            oaep,
        })
    }

    /// Generates the target's transport key pair: the private half may
    /// only unwrap, never leaves the HSM; the public half goes to the
    /// source room.
    pub fn generate_transport_key(&self, label: &str) -> Result<KeyPair, HsmError> {
        self.ensure_label_free(label)?;
        let id = self.random(8)?;
        let common = [
            Attribute::Token(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        let mut public = common.to_vec();
        public.extend([
            Attribute::ModulusBits(TRANSPORT_BITS.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
            Attribute::Wrap(true),
            Attribute::Encrypt(false),
            Attribute::Verify(false),
        ]);
        let mut private = common.to_vec();
        private.extend([
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Unwrap(true),
            Attribute::Decrypt(false),
            Attribute::Sign(false),
            Attribute::Derive(false),
        ]);
        let (public, private) = self
            .session
            .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
            .map_err(|source| HsmError::GenerateFailed {
                label: label.into(),
                found: self.describe_label(label),
                source,
            })?;
        Ok(KeyPair {
            label: label.into(),
            id,
            algorithm: KeyAlgorithm::Rsa3072,
            private,
            public,
        })
    }

    /// Unwraps `wrapped` with the transport key into a sensitive,
    /// non-extractable, sign-only key pair labelled `label`, its public
    /// half made from `spki`. Nothing of it stays on the token on failure.
    pub fn unwrap_root_key(
        &self,
        transport: &KeyPair,
        pad: KeyWrapPad,
        wrapped: &Wrapped,
        label: &str,
        spki: &SubjectPublicKeyInfoOwned,
        algorithm: KeyAlgorithm,
    ) -> Result<KeyPair, HsmError> {
        self.ensure_label_free(label)?;
        let pad = pad.mechanism()?;
        let (oaep_block, key_block) = wrapped
            .blob
            .split_at(wrapped.oaep_len.min(wrapped.blob.len()));
        let aes = self
            .session
            .unwrap_key(
                &wrapped.oaep.mechanism(),
                transport.private,
                oaep_block,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::AES),
                    Attribute::Token(false),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Unwrap(true),
                    Attribute::Wrap(false),
                    Attribute::Encrypt(false),
                    Attribute::Decrypt(false),
                ],
            )
            .map_err(call("unwrapping the AES key with the transport key"))?;
        let id = self.random(8)?;
        let key_type = match algorithm.family() {
            KeyFamily::Rsa => KeyType::RSA,
            KeyFamily::Ec => KeyType::EC,
        };
        let private = self.session.unwrap_key(
            &pad,
            aes,
            key_block,
            &[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(key_type),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Sign(true),
                Attribute::Decrypt(false),
                Attribute::Unwrap(false),
                Attribute::Derive(false),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.clone()),
            ],
        );
        // The AES key has done its one job.
        let _ = self.session.destroy_object(aes);
        let private = private.map_err(call("unwrapping the root key with the AES key"))?;
        let public = public_key_material(spki, algorithm).and_then(|material| {
            let mut template = vec![
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.clone()),
                Attribute::Verify(true),
                Attribute::Encrypt(false),
                Attribute::Wrap(false),
            ];
            template.extend(material);
            self.session
                .create_object(&template)
                .map_err(call("creating the public key object"))
        });
        match public {
            Ok(public) => Ok(KeyPair {
                label: label.into(),
                id,
                algorithm,
                private,
                public,
            }),
            Err(e) => {
                let _ = self.session.destroy_object(private);
                Err(e)
            }
        }
    }
}
