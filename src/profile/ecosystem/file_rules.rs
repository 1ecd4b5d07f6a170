//! The profiles' rules applied to a ceremony file's values, so that `check`
//! refuses, field by field and naming the rule, what the certificate rules
//! would refuse after the HSM is opened. Each function returns
//! (field, message) pairs for the ceremony file's `Problems`.

use const_oid::db::rfc4519;
use x509_cert::Certificate;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use super::names::{self, MATTER_PID, MATTER_VID};
use super::{Ecosystem, mdl};
use crate::profile::algorithm::{Hash, KeyAlgorithm, PublicKeyKind, SignatureAlgorithm};

pub type Found = Vec<(&'static str, String)>;

/// What a `root` file says, as far as a profile cares.
pub struct RootValues<'a> {
    pub profile: Ecosystem,
    pub key: Option<KeyAlgorithm>,
    pub signature: Option<SignatureAlgorithm>,
    pub subject: Option<&'a Name>,
    pub validity: Option<Validity>,
    pub path_len: Option<Option<u8>>,
    pub crl_urls: &'a [String],
    pub issuer_alt_names: usize,
    pub name_constraints: bool,
    pub vendor_id: Option<u16>,
    pub product_id: Option<u16>,
}

fn say(found: &mut Found, field: &'static str, profile: Ecosystem, message: impl Into<String>) {
    found.push((field, format!("{profile}: {}", message.into())));
}

/// Matter attributes written into a subject instead of vendor_id/product_id.
fn matter_attributes_in(subject: &Name) -> bool {
    subject
        .iter()
        .any(|a| a.oid == MATTER_VID || a.oid == MATTER_PID)
}

pub fn root(v: &RootValues<'_>) -> Found {
    let mut f = Found::new();
    let p = v.profile;
    if v.name_constraints {
        match p {
            Ecosystem::MdlIaca => say(
                &mut f,
                "certificate.name_constraints",
                p,
                "name_constraints are forbidden by ISO/IEC 18013-5 B.1.1",
            ),
            _ => say(
                &mut f,
                "certificate.name_constraints",
                p,
                "a root carries no name constraints (RFC 5280 4.2.1.10 puts them on the CA certificates it issues): set them in the subordinate ceremony",
            ),
        }
    }
    if v.issuer_alt_names > 0 && p != Ecosystem::MdlIaca {
        say(
            &mut f,
            "certificate.issuer_alt_name",
            p,
            "is for profile = \"mdl-iaca\" only (ISO/IEC 18013-5 B.1.2)",
        );
    }
    if !p.is_matter() {
        for (field, given) in [
            ("certificate.vendor_id", v.vendor_id.is_some()),
            ("certificate.product_id", v.product_id.is_some()),
        ] {
            if given {
                say(
                    &mut f,
                    field,
                    p,
                    "is for profile = \"matter-paa\" or \"matter-pai\" only",
                );
            }
        }
    }
    match p {
        Ecosystem::Pkix => {}
        Ecosystem::MdlIaca => iaca(v, &mut f),
        Ecosystem::MatterPaa => paa(v, &mut f),
        Ecosystem::MdlDocumentSigner | Ecosystem::MatterPai => say(
            &mut f,
            "certificate.profile",
            p,
            format!(
                "is not a root's profile; a root takes {}, {} or {}",
                Ecosystem::Pkix,
                Ecosystem::MdlIaca,
                Ecosystem::MatterPaa
            ),
        ),
    }
    f
}

fn iaca(v: &RootValues<'_>, f: &mut Found) {
    let p = Ecosystem::MdlIaca;
    match v.key {
        Some(KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384) | None => {}
        Some(k) => say(
            f,
            "key.algorithm",
            p,
            format!(
                "{k} is not allowed: an IACA's key is ec-p256 or ec-p384 (ISO/IEC 18013-5 B.1.2, rule IACA-1)"
            ),
        ),
    }
    let want = v.key.and_then(|k| match k {
        KeyAlgorithm::EcP256 => Some(SignatureAlgorithm::Ecdsa(Hash::Sha256)),
        KeyAlgorithm::EcP384 => Some(SignatureAlgorithm::Ecdsa(Hash::Sha384)),
        _ => None,
    });
    if let (Some(want), Some(got)) = (want, v.signature)
        && want != got
    {
        say(
            f,
            "certificate.signature",
            p,
            format!(
                "{got} is not allowed with a {} key: use {want} (ISO/IEC 18013-5 B.1.2, rule IACA-1)",
                v.key.map(|k| k.to_string()).unwrap_or_default()
            ),
        );
    }
    if let Some(subject) = v.subject {
        for problem in mdl_subject(subject) {
            say(
                f,
                "certificate.subject",
                p,
                format!("{problem} (ISO/IEC 18013-5 B.1.2, rule IACA-2)"),
            );
        }
    }
    if let Some(validity) = &v.validity
        && !mdl::iaca_validity_ok(validity)
    {
        say(
            f,
            "certificate.not_after",
            p,
            format!(
                "the validity may be at most {} years (ISO/IEC 18013-5 B.1.2, rule IACA-4)",
                mdl::IACA_MAX_YEARS
            ),
        );
    }
    if let Some(Some(n)) = v.path_len
        && n != 0
    {
        say(
            f,
            "certificate.path_len",
            p,
            format!(
                "{n} is not allowed: an IACA has pathLenConstraint 0 and signs Document Signers directly (ISO/IEC 18013-5 B.1.2, rule IACA-6); leave path_len out or set 0"
            ),
        );
    }
    if v.issuer_alt_names == 0 {
        say(
            f,
            "certificate.issuer_alt_name",
            p,
            "is required: one or more \"mailto:...\" or \"https://...\" names (ISO/IEC 18013-5 B.1.2, rule IACA-8)",
        );
    }
    if v.crl_urls.is_empty() {
        say(
            f,
            "certificate.crl_urls",
            p,
            "is required: the URL where the IACA's CRL is served (ISO/IEC 18013-5 B.1.2, rule IACA-9)",
        );
    }
}

/// C (upper-case alpha-2) and CN once each; ST an ISO 3166-2 code of C.
pub fn mdl_subject(subject: &Name) -> Vec<String> {
    let mut problems = Vec::new();
    match names::single(subject, rfc4519::COUNTRY_NAME, "C") {
        Ok(c) if names::is_country_code(&c) => {}
        Ok(c) => problems.push(format!(
            "C={c} is not an ISO 3166-1 alpha-2 code in upper case such as US"
        )),
        Err(e) => problems.push(format!("{e}; C is required")),
    }
    if let Err(e) = names::single(subject, rfc4519::COMMON_NAME, "CN") {
        problems.push(format!("{e}; CN is required"));
    }
    let country = names::country(subject).unwrap_or_default();
    match names::state(subject).as_slice() {
        [] => {}
        [Some(st)] if names::is_subdivision_of(st, &country) => {}
        [Some(st)] => problems.push(format!(
            "ST={st} is not an ISO 3166-2 code of {country} in upper case such as {country}-CA"
        )),
        _ => problems.push("ST is given more than once".into()),
    }
    problems
}

fn matter_algorithms(
    key: Option<KeyAlgorithm>,
    key_field: &'static str,
    signature: Option<SignatureAlgorithm>,
    p: Ecosystem,
    rule: &str,
    f: &mut Found,
) {
    if let Some(k) = key
        && k != KeyAlgorithm::EcP256
    {
        say(
            f,
            key_field,
            p,
            format!(
                "{k} is not allowed: Matter takes only EC P-256 keys (Matter Core 6.2.2, rule {rule})"
            ),
        );
    }
    if let Some(s) = signature
        && s != SignatureAlgorithm::Ecdsa(Hash::Sha256)
    {
        say(
            f,
            "certificate.signature",
            p,
            format!(
                "{s} is not allowed: Matter takes only ecdsa-sha256 (Matter Core 6.2.2, rule {rule})"
            ),
        );
    }
}

fn paa(v: &RootValues<'_>, f: &mut Found) {
    let p = Ecosystem::MatterPaa;
    matter_algorithms(v.key, "key.algorithm", v.signature, p, "PAA-1", f);
    if let Some(subject) = v.subject
        && matter_attributes_in(subject)
    {
        say(
            f,
            "certificate.subject",
            p,
            "give the Vendor ID as vendor_id = 0xFFF1, not as a subject attribute: rootca writes it in the encoding Matter requires",
        );
    }
    if v.product_id.is_some() {
        say(
            f,
            "certificate.product_id",
            p,
            "a PAA carries no Product ID: commissioners reject it (Matter Core 6.2.2.3, rule PAA-2)",
        );
    }
    if let Some(Some(n)) = v.path_len
        && n != 1
    {
        say(
            f,
            "certificate.path_len",
            p,
            format!(
                "{n} is not allowed: a PAA's pathLenConstraint is absent or 1 (Matter Core 6.2.2.5, rule PAA-3)"
            ),
        );
    }
}

/// What a `subordinate` file says, as far as a profile cares.
pub struct SubordinateValues<'a> {
    pub profile: Ecosystem,
    pub signature: Option<SignatureAlgorithm>,
    pub issuer: Option<&'a Certificate>,
    pub path_len: Option<Option<u8>>,
    pub name_constraints: bool,
    pub vendor_id: Option<u16>,
    pub product_id: Option<u16>,
    /// The CSR's subject and key, when the CSR is a file.
    pub csr: Option<(&'a Name, &'a PublicKeyKind)>,
}

pub fn subordinate(v: &SubordinateValues<'_>) -> Found {
    let mut f = Found::new();
    let p = v.profile;
    match p {
        Ecosystem::Pkix => {
            for (field, given) in [
                ("certificate.vendor_id", v.vendor_id.is_some()),
                ("certificate.product_id", v.product_id.is_some()),
            ] {
                if given {
                    say(&mut f, field, p, "is for profile = \"matter-pai\" only");
                }
            }
        }
        Ecosystem::MatterPai => pai(v, &mut f),
        _ => say(
            &mut f,
            "certificate.profile",
            p,
            format!(
                "is not a subordinate's profile; a subordinate takes {} or {} (an mDL Document Signer has its own ceremony, document-signer)",
                Ecosystem::Pkix,
                Ecosystem::MatterPai
            ),
        ),
    }
    f
}

fn pai(v: &SubordinateValues<'_>, f: &mut Found) {
    let p = Ecosystem::MatterPai;
    matter_algorithms(None, "", v.signature, p, "PAI-1", f);
    if v.name_constraints {
        say(
            f,
            "certificate.name_constraints",
            p,
            "a PAI carries no name constraints: RFC 5280 makes them critical and Matter verifiers reject a critical extension they do not know (rule PAI-6)",
        );
    }
    match v.path_len {
        Some(Some(0)) | None => {}
        Some(n) => say(
            f,
            "certificate.path_len",
            p,
            format!(
                "{} is not allowed: a PAI has pathLenConstraint 0, present (Matter Core 6.2.2.5, rule PAI-3)",
                n.map_or("absent".into(), |n| n.to_string())
            ),
        ),
    }
    if let Some(paa) = v.issuer {
        let problems = super::check(Ecosystem::MatterPaa, paa, None);
        for problem in problems {
            say(
                f,
                "issuer.certificate",
                p,
                format!("is not a Matter PAA: {problem}"),
            );
        }
        let paa_vid = names::matter_ids(paa.tbs_certificate().subject(), MATTER_VID)
            .into_iter()
            .flatten()
            .next();
        if let (Some(paa_vid), Some(vid)) = (paa_vid, v.vendor_id)
            && paa_vid != vid
        {
            say(
                f,
                "certificate.vendor_id",
                p,
                format!(
                    "0x{vid:04X} is not the PAA's Vendor ID 0x{paa_vid:04X} (Matter Core 6.2.2.3, rule PAI-2)"
                ),
            );
        }
    }
    let Some(vid) = v.vendor_id else {
        say(
            f,
            "certificate.vendor_id",
            p,
            "is required: the Vendor ID the PAI's CSR carries, such as vendor_id = 0xFFF1 (rule PAI-2)",
        );
        return;
    };
    if let Some((subject, key)) = v.csr {
        for problem in pai_csr_problems(subject, key, vid, v.product_id) {
            say(f, "csr.file", p, problem);
        }
    }
}

/// What makes a CSR's subject and key unfit for a PAI of `vid` (and
/// `pid`): the subject is taken from the CSR byte for byte.
pub fn pai_csr_problems(
    subject: &Name,
    key: &PublicKeyKind,
    vid: u16,
    pid: Option<u16>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if *key != PublicKeyKind::EcP256 {
        problems.push(format!(
            "the CSR's key is {key}; Matter takes only EC P-256 (Matter Core 6.2.2, rule PAI-1)"
        ));
    }
    for (oid, what, want) in [
        (MATTER_VID, "Vendor ID", Some(vid)),
        (MATTER_PID, "Product ID", pid),
    ] {
        let found = names::matter_ids(subject, oid);
        match (found.as_slice(), want) {
            ([], None) => {}
            ([], Some(w)) => problems.push(format!(
                "the CSR's subject carries no {what} ({oid}); the file expects {w:04X} (rule PAI-2)"
            )),
            ([Ok(got)], Some(w)) if *got == w => {}
            ([Ok(got)], Some(w)) => problems.push(format!(
                "the CSR's subject carries the {what} {got:04X}; the file expects {w:04X} (rule PAI-2)"
            )),
            ([Ok(got)], None) => problems.push(format!(
                "the CSR's subject carries the {what} {got:04X}; set product_id = 0x{got:04X} if it belongs there (rule PAI-2)"
            )),
            ([Err(e)], _) => problems.push(format!(
                "the CSR's {what} {e}: Matter requires a UTF8String of four upper-case hexadecimal digits (Matter Core 6.2.2.3, rule PAI-2)"
            )),
            _ => problems.push(format!(
                "the CSR's subject carries more than one {what} (rule PAI-2)"
            )),
        }
    }
    problems
}

/// `vendor_id = 0xFFF1` (a TOML integer), or a string of four upper-case
/// hex digits; anything else is refused with the reason.
pub fn matter_id_value(value: &toml::Value) -> Result<u16, String> {
    match value {
        toml::Value::Integer(n) => u16::try_from(*n).map_err(|_| {
            format!("{n} is not a 16-bit Matter id: write it as four hex digits such as 0xFFF1")
        }),
        toml::Value::String(s) => {
            let t = s.strip_prefix("0x").unwrap_or(s);
            names::parse_matter_hex(t).map_err(|e| {
                format!("{e}: Matter requires upper-case hex digits (Matter Core 6.2.2.3); write vendor_id = 0xFFF1")
            })
        }
        other => Err(format!(
            "{other} is not a Matter id: write it as four hex digits such as 0xFFF1"
        )),
    }
}
