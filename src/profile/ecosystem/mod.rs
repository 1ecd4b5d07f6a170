//! The ecosystem profiles a certificate may have to satisfy on top of RFC
//! 5280: the mDL IACA root and Document Signer of ISO/IEC 18013-5, and the
//! Matter attestation PAA and PAI. Each rule has an id, its words and its
//! source next to its code, and runs on the lint certificate and again on
//! the signed one (through `checks::Expected::ecosystem`), and on any
//! certificate `rootca inspect --profile NAME` is shown.
//!
//! The ceremony files are refused at `check` by the same rules applied to
//! their values (see `file_rules`), before any HSM is opened.

pub mod file_rules;
pub mod matter;
pub mod mdl;
pub mod names;

use std::fmt;
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use x509_cert::Certificate;
use x509_cert::ext::Extension;

/// A named profile, as a ceremony file's `profile = "..."` or
/// `rootca inspect --profile` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecosystem {
    /// RFC 5280 and nothing more: the default.
    Pkix,
    /// ISO/IEC 18013-5 Annex B IACA root certificate.
    MdlIaca,
    /// ISO/IEC 18013-5 Annex B Document Signer certificate (the
    /// `document-signer` ceremony's).
    MdlDocumentSigner,
    /// Matter Product Attestation Authority (root).
    MatterPaa,
    /// Matter Product Attestation Intermediate.
    MatterPai,
}

impl Ecosystem {
    pub const ALL: &'static [Ecosystem] = &[
        Self::Pkix,
        Self::MdlIaca,
        Self::MdlDocumentSigner,
        Self::MatterPaa,
        Self::MatterPai,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Pkix => "pkix",
            Self::MdlIaca => "mdl-iaca",
            Self::MdlDocumentSigner => "mdl-ds",
            Self::MatterPaa => "matter-paa",
            Self::MatterPai => "matter-pai",
        }
    }

    pub fn accepted() -> String {
        Self::ALL
            .iter()
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The rules of this profile, in the order they run.
    pub fn rules(self) -> impl Iterator<Item = &'static Rule> {
        RULES.iter().filter(move |r| r.profile == self)
    }

    pub fn is_matter(self) -> bool {
        matches!(self, Self::MatterPaa | Self::MatterPai)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Ecosystem {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("\"{s}\" is not a profile; use one of {}", Self::accepted()))
    }
}

/// What a rule looks at: the certificate, and its issuer's certificate
/// when it is known (a root is its own issuer).
pub struct Subject<'a> {
    pub cert: &'a Certificate,
    pub issuer: Option<&'a Certificate>,
}

impl Subject<'_> {
    pub(crate) fn extensions(&self) -> &[Extension] {
        self.cert
            .tbs_certificate()
            .extensions()
            .map(|e| e.as_slice())
            .unwrap_or_default()
    }

    pub(crate) fn extension(&self, oid: ObjectIdentifier) -> Option<&Extension> {
        self.extensions().iter().find(|e| e.extn_id == oid)
    }
}

/// One rule of a profile: its id, its profile, what it demands and where
/// that comes from (docs/profiles lists them; a test compares the two).
pub struct Rule {
    pub id: &'static str,
    pub profile: Ecosystem,
    pub rule: &'static str,
    pub source: &'static str,
    run: fn(&Subject<'_>, &mut Vec<String>),
}

/// Every rule of every profile, in the order they run and are documented.
pub static RULES: &[Rule] = &[
    // ISO/IEC 18013-5 Annex B: the IACA root (B.1.2, Tables B.1 and B.2).
    Rule {
        id: "IACA-1",
        profile: Ecosystem::MdlIaca,
        rule: "the key is EC P-256 signing with ecdsa-with-SHA256, or EC P-384 with ecdsa-with-SHA384",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.1) as isomdl and multipaz implement it",
        run: mdl::iaca_algorithm,
    },
    Rule {
        id: "IACA-2",
        profile: Ecosystem::MdlIaca,
        rule: "the subject has one countryName (ISO 3166-1 alpha-2, upper case) and one commonName; a stateOrProvinceName, if any, is one ISO 3166-2 code of that country (\"US-CA\")",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.1)",
        run: mdl::iaca_subject,
    },
    Rule {
        id: "IACA-3",
        profile: Ecosystem::MdlIaca,
        rule: "the issuer is byte-identical to the subject",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.1)",
        run: mdl::iaca_issuer,
    },
    Rule {
        id: "IACA-4",
        profile: Ecosystem::MdlIaca,
        rule: "the validity is at most 20 years",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.1)",
        run: mdl::iaca_validity,
    },
    Rule {
        id: "IACA-5",
        profile: Ecosystem::MdlIaca,
        rule: "keyUsage is critical with exactly keyCertSign and cRLSign",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.2)",
        run: mdl::iaca_key_usage,
    },
    Rule {
        id: "IACA-6",
        profile: Ecosystem::MdlIaca,
        rule: "basicConstraints is critical with cA TRUE and pathLenConstraint 0 present",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.2)",
        run: mdl::iaca_basic_constraints,
    },
    Rule {
        id: "IACA-7",
        profile: Ecosystem::MdlIaca,
        rule: "subjectKeyIdentifier is present, not critical, the SHA-1 of the subjectPublicKey (RFC 5280 4.2.1.2 method 1)",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.2)",
        run: mdl::subject_key_identifier,
    },
    Rule {
        id: "IACA-8",
        profile: Ecosystem::MdlIaca,
        rule: "issuerAltName is present, not critical, with at least one name, each an rfc822Name or a URI",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.2)",
        run: mdl::issuer_alt_name,
    },
    Rule {
        id: "IACA-9",
        profile: Ecosystem::MdlIaca,
        rule: "cRLDistributionPoints is present, not critical, each point a fullName with a URI, without reasons or cRLIssuer",
        source: "ISO/IEC 18013-5 B.1.2 (Table B.2)",
        run: mdl::crl_distribution_points,
    },
    Rule {
        id: "IACA-10",
        profile: Ecosystem::MdlIaca,
        rule: "no policyMappings, nameConstraints, policyConstraints, inhibitAnyPolicy or freshestCRL",
        source: "ISO/IEC 18013-5 B.1.1",
        run: mdl::forbidden_extensions,
    },
    Rule {
        id: "IACA-11",
        profile: Ecosystem::MdlIaca,
        rule: "no critical extension but keyUsage and basicConstraints",
        source: "ISO/IEC 18013-5 B.1.1; RFC 5280 4.2 (a verifier rejects a critical extension it does not know)",
        run: mdl::iaca_critical,
    },
    // ISO/IEC 18013-5 Annex B: the Document Signer (B.1.4, Tables B.3 and B.4).
    Rule {
        id: "DS-1",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "the key is EC P-256, P-384 or P-521; the IACA signs with ecdsa-with-SHA256 (P-256 IACA) or ecdsa-with-SHA384 (P-384 IACA)",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.3)",
        run: mdl::ds_algorithm,
    },
    Rule {
        id: "DS-2",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "the issuer is the IACA's subject, byte for byte, and the IACA's key signed it (no intermediate)",
        source: "ISO/IEC 18013-5 B.1.1 NOTE 1, B.1.4",
        run: mdl::ds_issuer,
    },
    Rule {
        id: "DS-3",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "the subject has one countryName equal to the IACA's and one commonName; stateOrProvinceName equal to the IACA's when either has one",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.3)",
        run: mdl::ds_subject,
    },
    Rule {
        id: "DS-4",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "the validity is at most 457 days and lies inside the IACA's",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.3)",
        run: mdl::ds_validity,
    },
    Rule {
        id: "DS-5",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "keyUsage is critical with exactly digitalSignature",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.4)",
        run: mdl::ds_key_usage,
    },
    Rule {
        id: "DS-6",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "extKeyUsage is critical with exactly id-mdl-kp-mdlDS (1.0.18013.5.1.2)",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.4)",
        run: mdl::ds_extended_key_usage,
    },
    Rule {
        id: "DS-7",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "authorityKeyIdentifier is present, not critical, its keyIdentifier the IACA's subjectKeyIdentifier",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.4)",
        run: mdl::ds_authority_key_identifier,
    },
    Rule {
        id: "DS-8",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "subjectKeyIdentifier is present, not critical, the SHA-1 of the subjectPublicKey",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.4)",
        run: mdl::subject_key_identifier,
    },
    Rule {
        id: "DS-9",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "issuerAltName is present, not critical, with at least one name, each an rfc822Name or a URI",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.4)",
        run: mdl::issuer_alt_name,
    },
    Rule {
        id: "DS-10",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "cRLDistributionPoints is present, not critical, each point a fullName with a URI, without reasons or cRLIssuer",
        source: "ISO/IEC 18013-5 B.1.4 (Table B.4)",
        run: mdl::crl_distribution_points,
    },
    Rule {
        id: "DS-11",
        profile: Ecosystem::MdlDocumentSigner,
        rule: "no basicConstraints with cA TRUE; no policyMappings, nameConstraints, policyConstraints, inhibitAnyPolicy or freshestCRL; no critical extension but keyUsage and extKeyUsage",
        source: "ISO/IEC 18013-5 B.1.1",
        run: mdl::ds_forbidden,
    },
    // Matter Core Specification 6.2.2: the PAA.
    Rule {
        id: "PAA-1",
        profile: Ecosystem::MatterPaa,
        rule: "X.509 v3; the key is EC P-256 (id-ecPublicKey, prime256v1) and the signature ecdsa-with-SHA256",
        source: "Matter Core Specification 6.2.2",
        run: matter::algorithm,
    },
    Rule {
        id: "PAA-2",
        profile: Ecosystem::MatterPaa,
        rule: "the issuer is the subject; the subject has no Product ID and at most one Vendor ID (1.3.6.1.4.1.37244.2.1), a UTF8String of four upper-case hex digits",
        source: "Matter Core Specification 6.2.2.3",
        run: matter::paa_names,
    },
    Rule {
        id: "PAA-3",
        profile: Ecosystem::MatterPaa,
        rule: "basicConstraints is critical with cA TRUE and pathLenConstraint absent or 1",
        source: "Matter Core Specification 6.2.2.5",
        run: matter::paa_basic_constraints,
    },
    Rule {
        id: "PAA-4",
        profile: Ecosystem::MatterPaa,
        rule: "keyUsage is critical with keyCertSign and cRLSign (digitalSignature allowed, nothing else), in minimal DER",
        source: "Matter Core Specification 6.2.2",
        run: matter::key_usage,
    },
    Rule {
        id: "PAA-5",
        profile: Ecosystem::MatterPaa,
        rule: "subjectKeyIdentifier is present, not critical, 20 octets; an authorityKeyIdentifier, if present, is not critical and 20 octets",
        source: "Matter Core Specification 6.2.2",
        run: matter::paa_key_identifiers,
    },
    Rule {
        id: "PAA-6",
        profile: Ecosystem::MatterPaa,
        rule: "no critical extension but basicConstraints and keyUsage",
        source: "Matter Core Specification 6.2.2; RFC 5280 4.2",
        run: matter::critical,
    },
    Rule {
        id: "PAA-7",
        profile: Ecosystem::MatterPaa,
        rule: "the certificate is at most 600 bytes of DER",
        source: "Matter Core Specification 6.1.3",
        run: matter::size,
    },
    // Matter Core Specification 6.2.2: the PAI.
    Rule {
        id: "PAI-1",
        profile: Ecosystem::MatterPai,
        rule: "X.509 v3; the key is EC P-256 (id-ecPublicKey, prime256v1) and the signature ecdsa-with-SHA256",
        source: "Matter Core Specification 6.2.2",
        run: matter::algorithm,
    },
    Rule {
        id: "PAI-2",
        profile: Ecosystem::MatterPai,
        rule: "the subject has exactly one Vendor ID and at most one Product ID (1.3.6.1.4.1.37244.2.2), each a UTF8String of four upper-case hex digits; the Vendor ID is the PAA's when the PAA has one",
        source: "Matter Core Specification 6.2.2.3",
        run: matter::pai_names,
    },
    Rule {
        id: "PAI-3",
        profile: Ecosystem::MatterPai,
        rule: "basicConstraints is critical with cA TRUE and pathLenConstraint 0 present",
        source: "Matter Core Specification 6.2.2.5",
        run: matter::pai_basic_constraints,
    },
    Rule {
        id: "PAI-4",
        profile: Ecosystem::MatterPai,
        rule: "keyUsage is critical with keyCertSign and cRLSign (digitalSignature allowed, nothing else), in minimal DER",
        source: "Matter Core Specification 6.2.2",
        run: matter::key_usage,
    },
    Rule {
        id: "PAI-5",
        profile: Ecosystem::MatterPai,
        rule: "subjectKeyIdentifier and authorityKeyIdentifier are present, not critical, 20 octets; the authorityKeyIdentifier is the PAA's subjectKeyIdentifier",
        source: "Matter Core Specification 6.2.2",
        run: matter::pai_key_identifiers,
    },
    Rule {
        id: "PAI-6",
        profile: Ecosystem::MatterPai,
        rule: "no nameConstraints; no critical extension but basicConstraints and keyUsage",
        source: "Matter Core Specification 6.2.2; RFC 5280 4.2.1.10 (nameConstraints must be critical)",
        run: matter::pai_extensions,
    },
    Rule {
        id: "PAI-7",
        profile: Ecosystem::MatterPai,
        rule: "the certificate is at most 600 bytes of DER",
        source: "Matter Core Specification 6.1.3",
        run: matter::size,
    },
];

/// What one rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

/// Runs every rule of `profile` on `cert`. Rules about the issuer run
/// only when `issuer` is given, and say so otherwise.
pub fn check(profile: Ecosystem, cert: &Certificate, issuer: Option<&Certificate>) -> Vec<Finding> {
    let subject = Subject { cert, issuer };
    let mut all = Vec::new();
    for rule in profile.rules() {
        let mut found = Vec::new();
        (rule.run)(&subject, &mut found);
        all.extend(found.into_iter().map(|message| Finding {
            rule: rule.id,
            message: format!("{profile}: {message} ({})", rule.source),
        }));
    }
    all
}

/// The rules of `profile` that cannot run without the issuer certificate.
pub fn needs_issuer(profile: Ecosystem) -> &'static [&'static str] {
    match profile {
        Ecosystem::MdlDocumentSigner => &["DS-2", "DS-3", "DS-4", "DS-7"],
        Ecosystem::MatterPai => &["PAI-2", "PAI-5"],
        _ => &[],
    }
}

pub(crate) fn require(findings: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        findings.push(what());
    }
}

/// `rootca inspect --profile`: the verdict of a profile's rules on one
/// certificate, with the rules that could not run without its issuer.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub profile: Ecosystem,
    pub findings: Vec<Finding>,
    /// Rules skipped because no issuer certificate was given.
    pub skipped: Vec<&'static str>,
}

impl Verdict {
    pub fn satisfied(&self) -> bool {
        self.findings.is_empty()
    }

    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let p = self.profile;
        if self.satisfied() {
            out.push_str(&format!(
                "profile: satisfies {p} ({} rules)\n",
                p.rules().count() - self.skipped.len()
            ));
        } else {
            out.push_str(&format!(
                "profile: breaks {p}, {} finding(s):\n",
                self.findings.len()
            ));
            for f in &self.findings {
                out.push_str(&format!("  {}\n", crate::text::shown(&f.to_string())));
            }
        }
        if !self.skipped.is_empty() {
            out.push_str(&format!(
                "  not judged without --issuer: {}\n",
                self.skipped.join(", ")
            ));
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.profile.name(),
            "satisfied": self.satisfied(),
            "findings": self.findings.iter().map(|f| serde_json::json!({
                "rule": f.rule,
                "message": f.message,
            })).collect::<Vec<_>>(),
            "not_judged": self.skipped,
        })
    }
}

/// Judges `cert` by `profile`; `issuer` (PEM or DER) lets the rules
/// about the issuer run.
pub fn judge(profile: Ecosystem, cert: &[u8], issuer: Option<&[u8]>) -> Result<Verdict, String> {
    let read = |b: &[u8]| {
        crate::profile::document::read_certificate(b)
            .map(|(c, _)| c)
            .map_err(|e| e.to_string())
    };
    let cert = read(cert)?;
    let issuer = issuer.map(read).transpose()?;
    // A root is its own issuer.
    let issuer = match (profile, issuer) {
        (Ecosystem::MdlIaca | Ecosystem::MatterPaa, None) => Some(cert.clone()),
        (_, i) => i,
    };
    let findings = check(profile, &cert, issuer.as_ref());
    let skipped = if issuer.is_none() {
        needs_issuer(profile).to_vec()
    } else {
        Vec::new()
    };
    Ok(Verdict {
        profile,
        findings,
        skipped,
    })
}
