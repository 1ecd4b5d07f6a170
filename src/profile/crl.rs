//! The root's CRL for its CA certificates (an ARL): what it holds, stated
//! once, and the checks it passes before and after the HSM signs it, as a
//! certificate does (docs/crl-ceremony.md lists them).
//!
//! The TBSCertList is built from its derived type rather than with
//! x509-cert's `CrlBuilder`, which takes the CRL's authorityKeyIdentifier
//! from the issuer certificate's own authorityKeyIdentifier when it has one
//! (that names the issuer's issuer; RFC 5280 5.2.1 wants the issuer's key)
//! and cannot add an issuingDistributionPoint.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280;
use der::asn1::{BitString, Ia5String, OctetString};
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};
use x509_cert::ext::{Extension, Extensions};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use super::ProfileError;
use super::algorithm::{KeyAlgorithm, SignatureAlgorithm};
use super::extensions::extension;
use super::lint::lint_sign;
use super::verify::verify_signature;

/// A reason code the root's CRL may give (RFC 5280 5.3.1); the ones about
/// attribute authorities, holds and delta CRLs have no place in an ARL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
}

impl Reason {
    pub const ACCEPTED: &'static str = "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation";

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unspecified" => Self::Unspecified,
            "keyCompromise" => Self::KeyCompromise,
            "cACompromise" => Self::CaCompromise,
            "affiliationChanged" => Self::AffiliationChanged,
            "superseded" => Self::Superseded,
            "cessationOfOperation" => Self::CessationOfOperation,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
        }
    }

    fn code(self) -> CrlReason {
        match self {
            Self::Unspecified => CrlReason::Unspecified,
            Self::KeyCompromise => CrlReason::KeyCompromise,
            Self::CaCompromise => CrlReason::CaCompromise,
            Self::AffiliationChanged => CrlReason::AffiliationChanged,
            Self::Superseded => CrlReason::Superseded,
            Self::CessationOfOperation => CrlReason::CessationOfOperation,
        }
    }

    pub fn from_code(code: CrlReason) -> Option<Self> {
        Some(match code {
            CrlReason::Unspecified => Self::Unspecified,
            CrlReason::KeyCompromise => Self::KeyCompromise,
            CrlReason::CaCompromise => Self::CaCompromise,
            CrlReason::AffiliationChanged => Self::AffiliationChanged,
            CrlReason::Superseded => Self::Superseded,
            CrlReason::CessationOfOperation => Self::CessationOfOperation,
            _ => return None,
        })
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The serial's content octets, as in the certificate.
    pub serial: Vec<u8>,
    pub date: Time,
    pub reason: Reason,
}

/// Orders serials as the integers they are.
pub fn serial_order(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |s: &[u8]| -> Vec<u8> { s.iter().copied().skip_while(|b| *b == 0).collect() };
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then(a.cmp(&b))
}

pub fn serial_text(serial: &[u8]) -> String {
    format!("0x{}", hex::encode(serial))
}

/// Everything the ceremony file and the issuer say the CRL holds.
#[derive(Debug, Clone)]
pub struct CrlProfile {
    pub issuer: Name,
    /// The issuer certificate's subjectKeyIdentifier, as written there.
    pub issuer_key_id: Vec<u8>,
    pub issuer_not_after: Time,
    pub number: u64,
    pub this_update: Time,
    pub next_update: Time,
    pub signature: SignatureAlgorithm,
    /// The URL of an issuingDistributionPoint, when the file gives one.
    pub distribution_point: Option<String>,
    /// In ascending order of serial, each serial once.
    pub revoked: Vec<Revocation>,
    /// Signed by an mDL IACA: the IACA CRL profile (ISO/IEC 18013-5 Table
    /// B.10), which the file was held to at `check`.
    pub mdl_iaca: bool,
}

impl CrlProfile {
    fn extensions(&self) -> Result<Extensions, ProfileError> {
        let mut exts = vec![
            extension(
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(self.issuer_key_id.clone())?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
                false,
            )?,
            extension(&CrlNumber::try_from(self.number)?, false)?,
        ];
        if let Some(url) = &self.distribution_point {
            let uri =
                Ia5String::new(url).map_err(|e| ProfileError::Builder(format!("{url}: {e}")))?;
            // Not `extension()`: x509-cert 0.3.0 gives IssuingDistributionPoint
            // the OID of subjectInfoAccess (1.3.6.1.5.5.7.1.11); RFC 5280
            // 5.2.5 has it at 2.5.29.28.
            let idp = IssuingDistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![
                    GeneralName::UniformResourceIdentifier(uri),
                ])),
                only_contains_user_certs: false,
                only_contains_ca_certs: true,
                only_some_reasons: None,
                indirect_crl: false,
                only_contains_attribute_certs: false,
            };
            exts.push(Extension {
                extn_id: rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT,
                critical: true,
                extn_value: OctetString::new(idp.to_der()?)?,
            });
        }
        Ok(exts)
    }

    fn entries(&self) -> Result<Option<Vec<RevokedCert>>, ProfileError> {
        if self.revoked.is_empty() {
            // RFC 5280 5.1.2.6: absent, not an empty sequence.
            return Ok(None);
        }
        self.revoked
            .iter()
            .map(|r| {
                // RFC 5280 5.3.1: unspecified is said by leaving the code out.
                let extensions = match r.reason {
                    Reason::Unspecified => None,
                    reason => Some(vec![extension(&reason.code(), false)?]),
                };
                Ok(RevokedCert {
                    serial_number: SerialNumber::new(&r.serial)?,
                    revocation_date: r.date,
                    crl_entry_extensions: extensions,
                })
            })
            .collect::<Result<Vec<_>, ProfileError>>()
            .map(Some)
    }

    /// The to-be-signed CRL, which no signer key influences.
    pub fn tbs(&self) -> Result<TbsCertList, ProfileError> {
        Ok(TbsCertList {
            version: Version::V2,
            signature: self.signature.identifier()?,
            issuer: self.issuer.clone(),
            this_update: self.this_update,
            next_update: Some(self.next_update),
            revoked_certificates: self.entries()?,
            crl_extensions: Some(self.extensions()?),
        })
    }

    pub fn plan_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("issuer: {}", self.issuer),
            format!("CRL number: {}", self.number),
            format!(
                "thisUpdate {} to nextUpdate {} (the issuer's notAfter is {})",
                self.this_update.to_date_time(),
                self.next_update.to_date_time(),
                self.issuer_not_after.to_date_time()
            ),
            format!("signature: {}", self.signature),
            format!(
                "authorityKeyIdentifier: {}",
                hex::encode(&self.issuer_key_id)
            ),
        ];
        lines.push(match &self.distribution_point {
            Some(url) => {
                format!("issuingDistributionPoint (critical): {url}, only CA certificates")
            }
            None => "issuingDistributionPoint: none".into(),
        });
        if self.mdl_iaca {
            lines.push("profile: mDL IACA CRL (ISO/IEC 18013-5 Table B.10): only authorityKeyIdentifier and cRLNumber, no entry extensions, nextUpdate present".into());
        }
        lines
    }
}

/// One CRL check: its identifier and description, as
/// docs/crl-ceremony.md lists them (a test compares the two), and its code.
pub struct CrlCheck {
    pub id: &'static str,
    pub description: &'static str,
    run: fn(&Subject<'_>, &mut Vec<String>),
}

struct Subject<'a> {
    crl: &'a CertificateList,
    profile: &'a CrlProfile,
    signer: &'a SubjectPublicKeyInfoOwned,
}

impl Subject<'_> {
    fn extensions(&self) -> &[Extension] {
        self.crl
            .tbs_cert_list
            .crl_extensions
            .as_deref()
            .unwrap_or_default()
    }

    fn extension(&self, oid: ObjectIdentifier) -> Option<&Extension> {
        self.extensions().iter().find(|e| e.extn_id == oid)
    }
}

fn require(f: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        f.push(what());
    }
}

pub const CRL_CHECKS: &[CrlCheck] = &[
    CrlCheck {
        id: "R1",
        description: "the version is v2",
        run: r1_version,
    },
    CrlCheck {
        id: "R2",
        description: "the signature algorithm is the ceremony's, identical inside the TBS and in the outer CRL",
        run: r2_algorithm,
    },
    CrlCheck {
        id: "R3",
        description: "the issuer is the root certificate's subject",
        run: r3_issuer,
    },
    CrlCheck {
        id: "R4",
        description: "thisUpdate and nextUpdate are the ceremony's; nextUpdate is present, after thisUpdate and not after the root's notAfter; UTCTime through 2049, GeneralizedTime from 2050",
        run: r4_dates,
    },
    CrlCheck {
        id: "R5",
        description: "the revoked entries are exactly the planned ones, in ascending order of serial, no serial twice, each serial positive and at most 20 octets, no revocation date after thisUpdate; no revokedCertificates field when there is none",
        run: r5_entries,
    },
    CrlCheck {
        id: "R6",
        description: "entry extensions: only reasonCode, not critical, the planned reason; absent for unspecified",
        run: r6_reasons,
    },
    CrlCheck {
        id: "R7",
        description: "CRL extensions: exactly authorityKeyIdentifier, cRLNumber and, when configured, issuingDistributionPoint, each once",
        run: r7_extensions,
    },
    CrlCheck {
        id: "R8",
        description: "authorityKeyIdentifier: not critical, the root's key identifier only",
        run: r8_aki,
    },
    CrlCheck {
        id: "R9",
        description: "cRLNumber: not critical, the ceremony's number",
        run: r9_number,
    },
    CrlCheck {
        id: "R10",
        description: "issuingDistributionPoint, when configured: critical, the configured URL as its only full name, onlyContainsCACerts, nothing else",
        run: r10_idp,
    },
    CrlCheck {
        id: "R11",
        description: "the CRL re-encodes to exactly itself",
        run: r11_encoding,
    },
    CrlCheck {
        id: "R12",
        description: "the signature verifies under the signer's public key",
        run: r12_signature,
    },
];

fn time_encoding_ok(t: &Time) -> bool {
    let year = t.to_date_time().year();
    match t {
        Time::UtcTime(_) => year < 2050,
        Time::GeneralTime(_) => year >= 2050,
    }
}

fn r1_version(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, s.crl.tbs_cert_list.version == Version::V2, || {
        "not v2".into()
    });
}

fn r2_algorithm(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s
        .profile
        .signature
        .identifier()
        .is_ok_and(|id| id == s.crl.tbs_cert_list.signature && id == s.crl.signature_algorithm);
    require(f, ok, || {
        format!(
            "signature algorithm is not {} in both places",
            s.profile.signature
        )
    });
}

fn r3_issuer(s: &Subject<'_>, f: &mut Vec<String>) {
    require(f, s.crl.tbs_cert_list.issuer == s.profile.issuer, || {
        format!(
            "issuer is {}, expected {}",
            s.crl.tbs_cert_list.issuer, s.profile.issuer
        )
    });
}

fn r4_dates(s: &Subject<'_>, f: &mut Vec<String>) {
    let (tbs, p) = (&s.crl.tbs_cert_list, s.profile);
    require(
        f,
        tbs.this_update == p.this_update && tbs.next_update == Some(p.next_update),
        || "thisUpdate or nextUpdate differs from the ceremony's".into(),
    );
    require(
        f,
        tbs.next_update
            .is_some_and(|n| tbs.this_update.to_unix_duration() < n.to_unix_duration()),
        || "nextUpdate is missing or not after thisUpdate".into(),
    );
    require(
        f,
        tbs.next_update
            .is_some_and(|n| n.to_unix_duration() <= p.issuer_not_after.to_unix_duration()),
        || "nextUpdate is after the root's notAfter".into(),
    );
    require(
        f,
        time_encoding_ok(&tbs.this_update) && tbs.next_update.as_ref().is_none_or(time_encoding_ok),
        || "a time has the wrong ASN.1 type for its year".into(),
    );
}

fn r5_entries(s: &Subject<'_>, f: &mut Vec<String>) {
    let tbs = &s.crl.tbs_cert_list;
    let entries = tbs.revoked_certificates.as_deref().unwrap_or_default();
    require(
        f,
        tbs.revoked_certificates
            .as_ref()
            .is_none_or(|v| !v.is_empty()),
        || "revokedCertificates is present but empty".into(),
    );
    let got: Vec<(&[u8], Time)> = entries
        .iter()
        .map(|e| (e.serial_number.as_bytes(), e.revocation_date))
        .collect();
    let want: Vec<(&[u8], Time)> = s
        .profile
        .revoked
        .iter()
        .map(|r| (r.serial.as_slice(), r.date))
        .collect();
    require(f, got == want, || {
        format!(
            "the entries differ from the plan ({} found, {} planned)",
            got.len(),
            want.len()
        )
    });
    for pair in got.windows(2) {
        require(
            f,
            serial_order(pair[0].0, pair[1].0) == Ordering::Less,
            || {
                format!(
                    "serial {} does not come after {}",
                    serial_text(pair[1].0),
                    serial_text(pair[0].0)
                )
            },
        );
    }
    for (serial, date) in &got {
        require(
            f,
            !serial.is_empty() && serial.len() <= 20 && serial[0] & 0x80 == 0,
            || {
                format!(
                    "serial {} is not positive or over 20 octets",
                    serial_text(serial)
                )
            },
        );
        require(
            f,
            date.to_unix_duration() <= tbs.this_update.to_unix_duration(),
            || format!("serial {} is revoked after thisUpdate", serial_text(serial)),
        );
    }
}

fn r6_reasons(s: &Subject<'_>, f: &mut Vec<String>) {
    let entries = s
        .crl
        .tbs_cert_list
        .revoked_certificates
        .as_deref()
        .unwrap_or_default();
    for (e, planned) in entries.iter().zip(&s.profile.revoked) {
        let exts = e.crl_entry_extensions.as_deref().unwrap_or_default();
        let serial = serial_text(e.serial_number.as_bytes());
        require(
            f,
            exts.iter()
                .all(|x| x.extn_id == rfc5280::ID_CE_CRL_REASONS && !x.critical)
                && exts.len() <= 1,
            || format!("{serial}: entry extensions other than one non-critical reasonCode"),
        );
        let got = match exts.first() {
            None => Some(Reason::Unspecified),
            Some(x) => CrlReason::from_der(x.extn_value.as_bytes())
                .ok()
                .and_then(Reason::from_code)
                .filter(|r| *r != Reason::Unspecified),
        };
        require(f, got == Some(planned.reason), || {
            format!("{serial}: the reason is not {}", planned.reason.name())
        });
    }
}

fn r7_extensions(s: &Subject<'_>, f: &mut Vec<String>) {
    let mut want = vec![
        rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        rfc5280::ID_CE_CRL_NUMBER,
    ];
    if s.profile.distribution_point.is_some() {
        want.push(rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT);
    }
    let mut seen = BTreeSet::new();
    for e in s.extensions() {
        require(f, seen.insert(e.extn_id), || {
            format!("extension {} appears twice", e.extn_id)
        });
        require(f, want.contains(&e.extn_id), || {
            format!("unexpected extension {}", e.extn_id)
        });
    }
    for oid in &want {
        require(f, seen.contains(oid), || {
            format!("extension {oid} is missing")
        });
    }
}

fn r8_aki(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s
        .extension(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .is_some_and(|e| {
            !e.critical
                && AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()).is_ok_and(|aki| {
                    aki.key_identifier.as_ref().map(|k| k.as_bytes())
                        == Some(s.profile.issuer_key_id.as_slice())
                        && aki.authority_cert_issuer.is_none()
                        && aki.authority_cert_serial_number.is_none()
                })
        });
    require(f, ok, || {
        format!(
            "authorityKeyIdentifier must be non-critical and the root's key identifier {}",
            hex::encode(&s.profile.issuer_key_id)
        )
    });
}

fn r9_number(s: &Subject<'_>, f: &mut Vec<String>) {
    let want = CrlNumber::try_from(s.profile.number).ok();
    let ok = s
        .extension(rfc5280::ID_CE_CRL_NUMBER)
        .is_some_and(|e| !e.critical && CrlNumber::from_der(e.extn_value.as_bytes()).ok() == want);
    require(f, ok, || {
        format!("cRLNumber must be non-critical and {}", s.profile.number)
    });
}

fn r10_idp(s: &Subject<'_>, f: &mut Vec<String>) {
    let Some(url) = &s.profile.distribution_point else {
        return;
    };
    let ok = s
        .extension(rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT)
        .is_some_and(|e| {
            e.critical
                && IssuingDistributionPoint::from_der(e.extn_value.as_bytes()).is_ok_and(|idp| {
                    let names = match &idp.distribution_point {
                        Some(DistributionPointName::FullName(n)) => n.as_slice(),
                        _ => &[],
                    };
                    matches!(names, [GeneralName::UniformResourceIdentifier(u)] if u.as_str() == url)
                        && idp.only_contains_ca_certs
                        && !idp.only_contains_user_certs
                        && !idp.only_contains_attribute_certs
                        && !idp.indirect_crl
                        && idp.only_some_reasons.is_none()
                })
        });
    require(f, ok, || {
        format!(
            "issuingDistributionPoint must be critical, {url}, onlyContainsCACerts, nothing else"
        )
    });
}

fn r11_encoding(s: &Subject<'_>, f: &mut Vec<String>) {
    let again = s
        .crl
        .to_der()
        .ok()
        .and_then(|d| CertificateList::from_der(&d).ok());
    require(f, again.as_ref() == Some(s.crl), || {
        "the CRL does not re-encode to itself".into()
    });
}

fn r12_signature(s: &Subject<'_>, f: &mut Vec<String>) {
    let ok = s.crl.tbs_cert_list.to_der().is_ok_and(|tbs| {
        verify_signature(
            s.signer,
            s.profile.signature,
            &tbs,
            s.crl.signature.raw_bytes(),
        )
        .is_ok()
    });
    require(f, ok, || {
        "the signature does not verify under the signer's key".into()
    });
}

/// Runs every CRL check; `signer` is the key whose signature the CRL carries.
pub fn check(
    crl: &CertificateList,
    profile: &CrlProfile,
    signer: &SubjectPublicKeyInfoOwned,
) -> Result<(), ProfileError> {
    let subject = Subject {
        crl,
        profile,
        signer,
    };
    let mut all = Vec::new();
    for c in CRL_CHECKS {
        let mut found = Vec::new();
        (c.run)(&subject, &mut found);
        all.extend(found.into_iter().map(|x| format!("{}: {x}", c.id)));
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(ProfileError::Checks(all))
    }
}

fn assemble(
    tbs: TbsCertList,
    algorithm: SignatureAlgorithm,
    signature: &[u8],
) -> Result<CertificateList, ProfileError> {
    Ok(CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm.identifier()?,
        signature: BitString::from_bytes(signature)?,
    })
}

/// Builds the TBS, signs it with the lint key of the issuer's algorithm and
/// runs every check on that copy; returns the TBS bytes for the HSM.
pub fn prepare(
    profile: &CrlProfile,
    issuer_algorithm: KeyAlgorithm,
) -> Result<Vec<u8>, ProfileError> {
    let tbs = profile.tbs()?;
    let der = tbs.to_der()?;
    let (signature, lint_key) = lint_sign(issuer_algorithm, profile.signature, &der)?;
    let lint_crl = assemble(tbs, profile.signature, &signature)?;
    check(&lint_crl, profile, &lint_key)?;
    // The TBS depends on no signer key: building it again must give the
    // very bytes that were checked.
    if profile.tbs()?.to_der()? != der {
        return Err(ProfileError::Builder(
            "the CRL's TBS for the HSM differs from the one that passed the checks".into(),
        ));
    }
    Ok(der)
}

/// Takes the HSM's signature over `tbs`: verifies it in software, assembles
/// the CRL, parses it back and checks it again.
pub fn finish(
    profile: &CrlProfile,
    tbs: &[u8],
    signature: &[u8],
    issuer_key: &SubjectPublicKeyInfoOwned,
) -> Result<(CertificateList, Vec<u8>), ProfileError> {
    verify_signature(issuer_key, profile.signature, tbs, signature)?;
    let crl = assemble(TbsCertList::from_der(tbs)?, profile.signature, signature)?;
    let der = crl.to_der()?;
    let parsed = CertificateList::from_der(&der)?;
    check(&parsed, profile, issuer_key)?;
    Ok((parsed, der))
}

/// The TBS and the signature of a signed CRL, as `finish` would check them.
pub fn split_signed(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ProfileError> {
    let crl: CertificateList = CertificateList::from_der(der)?;
    let tbs = crl.tbs_cert_list.to_der()?;
    Ok((tbs, crl.signature.raw_bytes().to_vec()))
}
