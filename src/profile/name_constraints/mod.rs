//! Name constraints for subordinate CA certificates (RFC 5280 section 4.2.1.10).
//!
//! Three faces of one thing:
//! - [`NameConstraintLists`]: the ten lists of a ceremony file's `[certificate.name_constraints]`
//!   table, exactly as written;
//! - [`NameConstraints`]: the validated form, the only one that becomes an extension, and the
//!   form read back from an existing certificate for `rootca inspect`;
//! - [`TestName`] and [`Decision`]: "would a certificate naming X be accepted below this CA?",
//!   for `rootca names FILE --test NAME`.
//!
//! Each name form has its own file with its parsing, its matching and their tests: `dns`,
//! `ip`, `email`, `uri` and `dn`. This file ties them together.
//!
//! Matching follows OpenSSL's `crypto/x509/v3_ncons.c` rather than a free reading of the RFC,
//! because `openssl verify` is the independent judge in the project's tests (and the reading
//! most relying parties share). Where OpenSSL and the RFC could be read differently, the
//! comment at the matcher says which way OpenSSL goes; where OpenSSL is more lenient than
//! other verifiers, the verdict carries a warning.

mod dn;
mod dns;
mod email;
mod error;
mod ip;
mod uri;

use std::fmt;
use std::net::IpAddr;

use der::asn1::{Ia5String, OctetString};
use serde::Serialize;
use x509_cert::ext::pkix::constraints::name::{GeneralSubtree, GeneralSubtrees};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

pub use error::{List, Location, NameConstraintError, Problem};
use ip::IpNet;

/// The verifiers that close the wildcard gap OpenSSL leaves open, for warnings.
const WILDCARD_STRICTER: &str =
    "rustls-webpki, Go (CVE-2025-61727) and BoringSSL refuse such a certificate";

/// The ten lists of a ceremony file's `[certificate.name_constraints]` table, unchecked.
///
/// All ten empty means "no name constraints extension".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NameConstraintLists {
    pub permitted_dns: Vec<String>,
    pub excluded_dns: Vec<String>,
    pub permitted_ip: Vec<String>,
    pub excluded_ip: Vec<String>,
    pub permitted_email: Vec<String>,
    pub excluded_email: Vec<String>,
    pub permitted_uri: Vec<String>,
    pub excluded_uri: Vec<String>,
    pub permitted_dn: Vec<String>,
    pub excluded_dn: Vec<String>,
}

/// The five kinds of name rootca constrains, in the order they are encoded and described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dns,
    Ip,
    Email,
    Uri,
    Dn,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Dns, Kind::Ip, Kind::Email, Kind::Uri, Kind::Dn];

    fn list(self, permitted: bool) -> List {
        List::new(self, permitted)
    }

    /// Short label for `describe`, at most four characters so the lines align.
    fn label(self) -> &'static str {
        match self {
            Kind::Dns => "DNS",
            Kind::Ip => "IP",
            Kind::Email => "mail",
            Kind::Uri => "URI",
            Kind::Dn => "DN",
        }
    }

    fn accepted(self) -> &'static str {
        match self {
            Kind::Dns => dns::ACCEPTED,
            Kind::Ip => ip::ACCEPTED,
            Kind::Email => email::ACCEPTED,
            Kind::Uri => uri::ACCEPTED,
            Kind::Dn => dn::ACCEPTED,
        }
    }

    fn duplicate_note(self) -> &'static str {
        match self {
            Kind::Dns | Kind::Uri => " (entries are compared after lowercasing)",
            Kind::Email => " (hosts are compared after lowercasing)",
            Kind::Ip => " (the same network)",
            Kind::Dn => " (the same name once case and spacing are ignored)",
        }
    }
}

/// The base of one subtree, parsed, with its encoding built once so that encoding cannot fail
/// later.
#[derive(Debug, Clone, PartialEq)]
struct Subtree {
    base: Base,
    encoded: GeneralName,
}

impl Subtree {
    fn new(base: Base) -> Result<Self, Problem> {
        // Every string here passed an ASCII-only check; the error path is for completeness.
        let ia5 = |s: &str| {
            Ia5String::new(s).map_err(|e| Problem::InvalidDnsName {
                problem: format!("not ASCII ({e})"),
                accepted: dns::ACCEPTED,
            })
        };
        let encoded = match &base {
            Base::Dns(s) => GeneralName::DnsName(ia5(s)?),
            Base::Email(s) => GeneralName::Rfc822Name(ia5(s)?),
            Base::Uri(s) => GeneralName::UniformResourceIdentifier(ia5(s)?),
            Base::Dn(name) => GeneralName::DirectoryName(name.clone()),
            Base::Ip(net) => {
                GeneralName::IpAddress(OctetString::new(net.constraint_octets()).map_err(|e| {
                    Problem::InvalidIpNetwork {
                        problem: e.to_string(),
                    }
                })?)
            }
        };
        Ok(Subtree { base, encoded })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Base {
    Dns(String),
    Ip(IpNet),
    Email(String),
    Uri(String),
    Dn(Name),
}

impl Base {
    fn kind(&self) -> Kind {
        match self {
            Base::Dns(_) => Kind::Dns,
            Base::Ip(_) => Kind::Ip,
            Base::Email(_) => Kind::Email,
            Base::Uri(_) => Kind::Uri,
            Base::Dn(_) => Kind::Dn,
        }
    }

    /// What makes two entries the same constraint (for duplicate and overlap checks).
    fn same_as(&self, other: &Base) -> bool {
        match (self, other) {
            (Base::Dns(a), Base::Dns(b))
            | (Base::Email(a), Base::Email(b))
            | (Base::Uri(a), Base::Uri(b)) => a == b,
            (Base::Ip(a), Base::Ip(b)) => a.same_as(b),
            (Base::Dn(a), Base::Dn(b)) => dn::same(a, b),
            // Entries of different kinds are never the same constraint.
            (Base::Dns(_) | Base::Ip(_) | Base::Email(_) | Base::Uri(_) | Base::Dn(_), _) => false,
        }
    }

    fn meaning(&self) -> String {
        match self {
            Base::Dns(name) => match name.strip_prefix('.') {
                Some(parent) => {
                    format!("names below {parent} only, not {parent} itself")
                }
                None => "this name and every name below it".to_string(),
            },
            Base::Ip(net) => net.meaning(),
            Base::Email(value) => {
                if value.contains('@') {
                    "this mailbox only".to_string()
                } else if let Some(parent) = value.strip_prefix('.') {
                    format!("mailboxes at any host below {parent}, not at {parent} itself")
                } else {
                    "every mailbox at this host, not at hosts below it".to_string()
                }
            }
            Base::Uri(value) => match value.strip_prefix('.') {
                Some(parent) => {
                    format!("URIs whose host is below {parent}, not {parent} itself")
                }
                None => "URIs whose host is exactly this host".to_string(),
            },
            Base::Dn(_) => "this name and every name below it".to_string(),
        }
    }

    /// The DNS name of a dNSName base, for the wildcard checks.
    fn dns(&self) -> Option<&str> {
        match self {
            Base::Dns(name) => Some(name),
            Base::Ip(_) | Base::Email(_) | Base::Uri(_) | Base::Dn(_) => None,
        }
    }
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base::Dns(s) | Base::Email(s) | Base::Uri(s) => f.write_str(s),
            Base::Ip(net) => net.fmt(f),
            Base::Dn(name) => name.fmt(f),
        }
    }
}

/// A name as a certificate presents it to name constraints.
#[derive(Debug, Clone, Copy)]
enum Presented<'a> {
    Dns(&'a str),
    Ip(IpAddr),
    Email(&'a str),
    Uri(&'a str),
    Dn(&'a Name),
}

impl Presented<'_> {
    fn kind(self) -> Kind {
        match self {
            Presented::Dns(_) => Kind::Dns,
            Presented::Ip(_) => Kind::Ip,
            Presented::Email(_) => Kind::Email,
            Presented::Uri(_) => Kind::Uri,
            Presented::Dn(_) => Kind::Dn,
        }
    }

    /// Is the name inside the subtree `base`? `None` when `base` constrains another kind of
    /// name and so says nothing about this one. Every pair is spelled out, so that a new kind
    /// cannot slip past an excluded subtree by falling into a default.
    fn within(self, base: &Base) -> Option<bool> {
        match self {
            Presented::Dns(name) => match base {
                Base::Dns(b) => Some(dns::within(name, b)),
                Base::Ip(_) | Base::Email(_) | Base::Uri(_) | Base::Dn(_) => None,
            },
            Presented::Ip(ip) => match base {
                Base::Ip(net) => Some(net.contains(ip)),
                Base::Dns(_) | Base::Email(_) | Base::Uri(_) | Base::Dn(_) => None,
            },
            Presented::Email(mailbox) => match base {
                Base::Email(b) => Some(email::within(mailbox, b)),
                Base::Dns(_) | Base::Ip(_) | Base::Uri(_) | Base::Dn(_) => None,
            },
            Presented::Uri(name) => match base {
                Base::Uri(b) => Some(uri::within(name, b)),
                Base::Dns(_) | Base::Ip(_) | Base::Email(_) | Base::Dn(_) => None,
            },
            Presented::Dn(name) => match base {
                Base::Dn(b) => Some(dn::within(name, b)),
                Base::Dns(_) | Base::Ip(_) | Base::Email(_) | Base::Uri(_) => None,
            },
        }
    }
}

/// Validated name constraints: every entry well formed, lowercased where case does not matter
/// (DNS names, email hosts, URI hosts), no duplicates, nothing both permitted and excluded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NameConstraints {
    permitted: Vec<Subtree>,
    excluded: Vec<Subtree>,
}

/// How strictly entries are checked: a ceremony file is held to rootca's rules; an existing
/// certificate only has to be readable with a definite meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    Ceremony,
    Existing,
}

/// Parses one entry of `list`, which holds names of `kind`.
fn parse_entry(
    kind: Kind,
    list: List,
    value: &str,
    strictness: Strictness,
) -> Result<Subtree, Problem> {
    let accepted = kind.accepted();
    if value.is_empty() {
        return Err(Problem::Empty { accepted });
    }
    if value.trim() != value {
        return Err(Problem::SurroundingWhitespace { accepted });
    }
    let base = match kind {
        Kind::Dns => Base::Dns(dns::parse_constraint(value, list, accepted)?),
        Kind::Ip => Base::Ip(ip::parse_constraint(value, strictness)?),
        Kind::Email => Base::Email(email::parse_constraint(value)?),
        Kind::Uri => Base::Uri(uri::parse_constraint(value, list)?),
        Kind::Dn => Base::Dn(dn::parse_constraint(value)?),
    };
    Subtree::new(base)
}

impl NameConstraints {
    /// Validates the lists of a ceremony file.
    ///
    /// DNS names, the host part of email constraints and URI hosts are normalised to lowercase
    /// (name constraints compare them case-insensitively, so case carries no meaning); the local
    /// part of a mailbox is kept as written, because OpenSSL compares it case-sensitively.
    /// All lists empty is valid and means "no extension".
    pub fn from_lists(lists: &NameConstraintLists) -> Result<Self, NameConstraintError> {
        let mut out = NameConstraints::default();
        for (permitted, kind, values) in [
            (true, Kind::Dns, &lists.permitted_dns),
            (false, Kind::Dns, &lists.excluded_dns),
            (true, Kind::Ip, &lists.permitted_ip),
            (false, Kind::Ip, &lists.excluded_ip),
            (true, Kind::Email, &lists.permitted_email),
            (false, Kind::Email, &lists.excluded_email),
            (true, Kind::Uri, &lists.permitted_uri),
            (false, Kind::Uri, &lists.excluded_uri),
            (true, Kind::Dn, &lists.permitted_dn),
            (false, Kind::Dn, &lists.excluded_dn),
        ] {
            let list = kind.list(permitted);
            let mut parsed: Vec<Subtree> = Vec::with_capacity(values.len());
            for (i, value) in values.iter().enumerate() {
                let error = |problem| NameConstraintError {
                    at: Location::Entry {
                        list,
                        entry: i + 1,
                        value: value.clone(),
                    },
                    problem,
                };
                let subtree =
                    parse_entry(kind, list, value, Strictness::Ceremony).map_err(error)?;
                if let Some(first) = parsed.iter().position(|s| s.base.same_as(&subtree.base)) {
                    return Err(error(Problem::Duplicate {
                        first_entry: first + 1,
                        note: kind.duplicate_note(),
                    }));
                }
                parsed.push(subtree);
            }
            if permitted {
                out.permitted.extend(parsed);
            } else {
                out.excluded.extend(parsed);
            }
        }
        out.check_no_overlap()?;
        Ok(out)
    }

    fn check_no_overlap(&self) -> Result<(), NameConstraintError> {
        for kind in Kind::ALL {
            for (pi, p) in self.of_kind(true, kind).enumerate() {
                for (ei, e) in self.of_kind(false, kind).enumerate() {
                    if p.base.same_as(&e.base) {
                        return Err(NameConstraintError {
                            at: Location::Entry {
                                list: kind.list(true),
                                entry: pi + 1,
                                value: p.base.to_string(),
                            },
                            problem: Problem::AlsoExcluded {
                                excluded_list: kind.list(false),
                                excluded_entry: ei + 1,
                            },
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn of_kind(&self, permitted: bool, kind: Kind) -> impl Iterator<Item = &Subtree> {
        let subtrees = if permitted {
            &self.permitted
        } else {
            &self.excluded
        };
        subtrees.iter().filter(move |s| s.base.kind() == kind)
    }

    /// True when there is nothing to constrain: the certificate gets no extension.
    pub fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.excluded.is_empty()
    }

    /// The lists again, normalised (lowercase, canonical IP and DN forms).
    pub fn to_lists(&self) -> NameConstraintLists {
        let mut lists = NameConstraintLists::default();
        for (permitted, subtrees) in [(true, &self.permitted), (false, &self.excluded)] {
            for s in subtrees {
                let list = match s.base.kind().list(permitted) {
                    List::PermittedDns => &mut lists.permitted_dns,
                    List::ExcludedDns => &mut lists.excluded_dns,
                    List::PermittedIp => &mut lists.permitted_ip,
                    List::ExcludedIp => &mut lists.excluded_ip,
                    List::PermittedEmail => &mut lists.permitted_email,
                    List::ExcludedEmail => &mut lists.excluded_email,
                    List::PermittedUri => &mut lists.permitted_uri,
                    List::ExcludedUri => &mut lists.excluded_uri,
                    List::PermittedDn => &mut lists.permitted_dn,
                    List::ExcludedDn => &mut lists.excluded_dn,
                };
                list.push(s.base.to_string());
            }
        }
        lists
    }

    /// The extension value. Subtrees have minimum 0 and no maximum, as RFC 5280 requires; an
    /// empty side is left out (GeneralSubtrees has at least one element).
    ///
    /// When [`Self::is_empty`], the result has neither side: callers must not put that in a
    /// certificate (RFC 5280 forbids an empty name constraints extension).
    pub fn to_extension(&self) -> x509_cert::ext::pkix::NameConstraints {
        fn subtrees(list: &[Subtree]) -> Option<GeneralSubtrees> {
            if list.is_empty() {
                return None;
            }
            Some(
                list.iter()
                    .map(|s| GeneralSubtree {
                        base: s.encoded.clone(),
                        minimum: 0,
                        maximum: None,
                    })
                    .collect(),
            )
        }
        x509_cert::ext::pkix::NameConstraints {
            permitted_subtrees: subtrees(&self.permitted),
            excluded_subtrees: subtrees(&self.excluded),
        }
    }

    /// Reads the extension of an existing certificate.
    ///
    /// Each entry must have a definite meaning under rootca's rules, but what rootca itself
    /// would refuse to write yet OpenSSL reads unambiguously is accepted: IP networks with host
    /// bits set, upper case, duplicates, a name both permitted and excluded.
    pub fn from_extension(
        ext: &x509_cert::ext::pkix::NameConstraints,
    ) -> Result<Self, NameConstraintError> {
        let mut out = NameConstraints::default();
        for (permitted, subtrees) in [
            (true, &ext.permitted_subtrees),
            (false, &ext.excluded_subtrees),
        ] {
            // Entries are numbered per list, as in the ceremony file.
            let mut counts = [0usize; Kind::ALL.len()];
            for (i, subtree) in subtrees.iter().flatten().enumerate() {
                let at_subtree = |problem| NameConstraintError {
                    at: Location::ExtensionSubtree {
                        permitted,
                        position: i + 1,
                    },
                    problem,
                };
                if subtree.minimum != 0 || subtree.maximum.is_some() {
                    return Err(at_subtree(Problem::SubtreeMinMax {
                        minimum: subtree.minimum,
                        maximum: subtree
                            .maximum
                            .map_or_else(|| "absent".to_string(), |m| m.to_string()),
                    }));
                }
                let (kind, text) = match &subtree.base {
                    GeneralName::DnsName(s) => (Kind::Dns, s.as_str().to_string()),
                    GeneralName::Rfc822Name(s) => (Kind::Email, s.as_str().to_string()),
                    GeneralName::UniformResourceIdentifier(s) => {
                        (Kind::Uri, s.as_str().to_string())
                    }
                    GeneralName::DirectoryName(name) => (Kind::Dn, name.to_string()),
                    GeneralName::IpAddress(_) => (Kind::Ip, String::new()),
                    unsupported @ (GeneralName::OtherName(_)
                    | GeneralName::EdiPartyName(_)
                    | GeneralName::RegisteredId(_)) => {
                        return Err(at_subtree(Problem::UnsupportedNameType {
                            name_type: general_name_type(unsupported),
                        }));
                    }
                };
                let slot = kind as usize;
                counts[slot] += 1;
                let list = kind.list(permitted);
                let parsed = match &subtree.base {
                    GeneralName::IpAddress(octets) => ip::from_octets(octets.as_bytes())
                        .and_then(|net| Subtree::new(Base::Ip(net))),
                    // The DN was decoded from DER: keep it as is rather than round-trip it
                    // through its string form, which can lose the string types.
                    GeneralName::DirectoryName(name) => Ok(Subtree {
                        base: Base::Dn(name.clone()),
                        encoded: subtree.base.clone(),
                    }),
                    // The text kinds, read from the text taken above.
                    _ => parse_entry(kind, list, &text, Strictness::Existing),
                }
                .map_err(|problem| NameConstraintError {
                    at: Location::ExtensionEntry {
                        list,
                        entry: counts[slot],
                        value: text.clone(),
                    },
                    problem,
                })?;
                if permitted {
                    out.permitted.push(parsed);
                } else {
                    out.excluded.push(parsed);
                }
            }
        }
        Ok(out)
    }

    /// One readable line per subtree, permitted first, e.g.
    /// `permitted DNS  dev.example.com (this name and every name below it)`.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (side, subtrees) in [("permitted", &self.permitted), ("excluded", &self.excluded)] {
            for kind in Kind::ALL {
                for s in subtrees.iter().filter(|s| s.base.kind() == kind) {
                    lines.push(format!(
                        "{side:<9} {:<4} {} ({})",
                        kind.label(),
                        s.base,
                        s.base.meaning()
                    ));
                }
            }
        }
        lines
    }

    /// Where these constraints hold against OpenSSL but not against a wildcard: an excluded
    /// DNS subtree exactly one label below names the constraints permit, e.g. permitted
    /// `dev.example.com` and excluded `www.dev.example.com`. A certificate for
    /// `*.dev.example.com` passes OpenSSL, which compares the wildcard as written, yet covers
    /// the excluded name; stricter verifiers refuse it. One line per such excluded entry.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, s) in self.of_kind(false, Kind::Dns).enumerate() {
            let Some(excluded) = s.base.dns() else {
                continue;
            };
            if excluded.starts_with('.') {
                continue;
            }
            let Some((_, parent)) = excluded.split_once('.') else {
                continue;
            };
            let wildcard = format!("*.{parent}");
            let d = self.judge(Presented::Dns(&wildcard));
            if d.permitted {
                out.push(format!(
                    "{} entry {} ({excluded:?}) does not stop a wildcard: a certificate for {wildcard:?} \
                     passes OpenSSL ({}) and covers {excluded}; {WILDCARD_STRICTER}",
                    List::ExcludedDns,
                    i + 1,
                    d.reason
                ));
            }
        }
        out
    }

    /// Would a certificate issued below this CA be allowed to carry `name`?
    ///
    /// Excluded subtrees win over permitted ones; if any permitted subtree of the name's kind
    /// exists, the name must be inside one of them. Only names of the same kind are compared.
    /// A CN is judged as OpenSSL judges the CN of a leaf without a DNS subjectAltName.
    /// This decides the single name given: OpenSSL also checks a certificate's subject DN
    /// against DN constraints and its emailAddress attributes against email constraints.
    pub fn test(&self, name: &TestName) -> Decision {
        match name {
            TestName::Dns(dns_name) => {
                let mut d = self.judge(Presented::Dns(dns_name));
                if d.permitted {
                    d.warnings = self.wildcard_warnings(dns_name);
                }
                d
            }
            TestName::Ip(ip) => self.judge(Presented::Ip(*ip)),
            TestName::Email(mailbox) => self.judge(Presented::Email(mailbox)),
            TestName::Uri(uri) => self.judge(Presented::Uri(uri)),
            TestName::Dn(dn) => self.judge(Presented::Dn(dn)),
            TestName::Cn(cn) => self.test_cn(cn),
        }
    }

    fn judge(&self, name: Presented<'_>) -> Decision {
        let kind = name.kind();
        let excluded_list = kind.list(false);
        let permitted_list = kind.list(true);
        if let Some(hit) = self
            .excluded
            .iter()
            .find(|s| name.within(&s.base) == Some(true))
        {
            return Decision::new(
                false,
                format!("excluded by {excluded_list} \"{}\"", hit.base),
            );
        }
        let permitted: Vec<&Subtree> = self
            .permitted
            .iter()
            .filter(|s| name.within(&s.base).is_some())
            .collect();
        if let Some(hit) = permitted
            .iter()
            .find(|s| name.within(&s.base) == Some(true))
        {
            return Decision::new(
                true,
                format!("permitted by {permitted_list} \"{}\"", hit.base),
            );
        }
        if !permitted.is_empty() {
            let all: Vec<String> = permitted
                .iter()
                .map(|s| format!("\"{}\"", s.base))
                .collect();
            return Decision::new(
                false,
                format!(
                    "not inside any {permitted_list} subtree (permitted: {})",
                    all.join(", ")
                ),
            );
        }
        if self.excluded.iter().any(|s| name.within(&s.base).is_some()) {
            Decision::new(
                true,
                format!(
                    "not inside any {excluded_list} subtree and no {permitted_list} list restricts it: permitted"
                ),
            )
        } else {
            Decision::new(true, "no constraint of this kind: permitted".to_string())
        }
    }

    /// A permitted `*.parent` also covers every name one label below `parent`: say which
    /// excluded subtrees it reaches that OpenSSL does not see.
    fn wildcard_warnings(&self, name: &str) -> Vec<String> {
        let Some(parent) = name.strip_prefix("*.") else {
            return Vec::new();
        };
        self.of_kind(false, Kind::Dns)
            .filter_map(|s| s.base.dns())
            .filter(|excluded| dns::wildcard_covers(parent, excluded))
            .map(|excluded| {
                format!(
                    "{name} also covers {excluded}, which {} \"{excluded}\" excludes: \
                     OpenSSL compares the wildcard as written and accepts the certificate; \
                     {WILDCARD_STRICTER}",
                    List::ExcludedDns
                )
            })
            .collect()
    }

    /// OpenSSL's `NAME_CONSTRAINTS_check_CN`: for a leaf without a DNS subjectAltName, each CN
    /// that looks like a host name is checked against the DNS constraints (and no others);
    /// any other CN is not checked against them at all.
    fn test_cn(&self, cn: &str) -> Decision {
        if dns::cn_looks_like_host(cn) {
            let mut d = self.judge(Presented::Dns(cn));
            d.reason = format!(
                "{}; the CN looks like a host name, so OpenSSL checks it against the DNS \
                 constraints when the certificate has no DNS subjectAltName",
                d.reason
            );
            return d;
        }
        let mut d = Decision::new(
            true,
            "the CN does not look like a host name, so OpenSSL checks it against no DNS \
             constraint: permitted"
                .to_string(),
        );
        let has_dns_constraints = self
            .permitted
            .iter()
            .chain(&self.excluded)
            .any(|s| s.base.dns().is_some());
        let wildcard_host = cn.strip_prefix("*.").is_some_and(dns::cn_looks_like_host);
        if has_dns_constraints && wildcard_host {
            d.warnings.push(format!(
                "OpenSSL reads the wildcard CN {cn:?} as no host name, so no DNS constraint \
                 applies to it, yet its host name check matches it against names such as \
                 www.{} when the certificate has no DNS subjectAltName: such a leaf passes \
                 for names the DNS constraints do not permit",
                cn.get(2..).unwrap_or_default()
            ));
        }
        d
    }
}

fn general_name_type(name: &GeneralName) -> &'static str {
    match name {
        GeneralName::OtherName(_) => "otherName",
        GeneralName::Rfc822Name(_) => "rfc822Name",
        GeneralName::DnsName(_) => "dNSName",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EdiPartyName(_) => "ediPartyName",
        GeneralName::UniformResourceIdentifier(_) => "uniformResourceIdentifier",
        GeneralName::IpAddress(_) => "iPAddress",
        GeneralName::RegisteredId(_) => "registeredID",
    }
}

/// The verdict of [`NameConstraints::test`], with the subtree that decided, and what a
/// verifier stricter than OpenSSL would make of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub permitted: bool,
    pub reason: String,
    /// Where OpenSSL's verdict is more lenient than other verifiers'; empty as a rule.
    pub warnings: Vec<String>,
}

impl Decision {
    fn new(permitted: bool, reason: String) -> Self {
        Decision {
            permitted,
            reason,
            warnings: Vec::new(),
        }
    }

    /// The verdict on any name when the certificate has no name constraints extension.
    pub fn unconstrained() -> Self {
        Decision::new(true, "the certificate has no name constraints".to_string())
    }
}

/// A name to test against the constraints: of one of the five kinds rootca constrains, or a
/// subject CN, which OpenSSL may read as a DNS name.
#[derive(Debug, Clone, PartialEq)]
pub enum TestName {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    Uri(String),
    Dn(Name),
    Cn(String),
}

/// How a name to test is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Dns,
    Ip,
    Email,
    Uri,
    Dn,
    Cn,
}

impl TestName {
    /// Reads a name. An explicit `dns:`, `ip:`, `email:`, `uri:`, `dn:` or `cn:` prefix forces
    /// the kind; otherwise: an IP address; anything with `://` is a URI; anything with `=` a
    /// DN; anything with `@` an email address; the rest a DNS name. (URI and DN come before
    /// email because URIs and DNs can contain `@`.) A CN is only read with its prefix: any
    /// text can be a CN.
    pub fn parse(input: &str) -> Result<Self, NameConstraintError> {
        let forced = [
            ("dns:", Form::Dns),
            ("ip:", Form::Ip),
            ("email:", Form::Email),
            ("uri:", Form::Uri),
            ("dn:", Form::Dn),
            ("cn:", Form::Cn),
        ]
        .into_iter()
        .find_map(|(prefix, form)| {
            let head = input.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| (form, input.get(prefix.len()..).unwrap_or("")))
        });
        let (form, value) = match forced {
            Some(found) => found,
            None if input.parse::<IpAddr>().is_ok() => (Form::Ip, input),
            None if input.contains("://") => (Form::Uri, input),
            None if input.contains('=') => (Form::Dn, input),
            None if input.contains('@') => (Form::Email, input),
            None => (Form::Dns, input),
        };
        // OpenSSL drops trailing NULs of a CN before reading it.
        let value = match form {
            Form::Cn => value.trim_end_matches('\0'),
            Form::Dns | Form::Ip | Form::Email | Form::Uri | Form::Dn => value,
        };
        let error = |problem| NameConstraintError {
            at: Location::TestName {
                value: value.to_string(),
            },
            problem,
        };
        if value.trim().is_empty() {
            return Err(NameConstraintError {
                at: Location::TestName {
                    value: String::new(),
                },
                problem: Problem::NoTestName,
            });
        }
        let invalid =
            |kind: &'static str, problem: String| error(Problem::InvalidTestName { kind, problem });
        match form {
            Form::Ip => ip::parse_test_name(value)
                .map(TestName::Ip)
                .map_err(|p| invalid("IP", p)),
            Form::Dns => dns::parse_test_name(value)
                .map(TestName::Dns)
                .map_err(|p| invalid("DNS", p)),
            Form::Email => email::parse_mailbox(value)
                .map(|()| TestName::Email(value.to_string()))
                .map_err(|problem| error(Problem::NotAMailbox { problem })),
            Form::Uri => uri::parse_test_name(value)
                .map(|()| TestName::Uri(value.to_string()))
                .map_err(|p| invalid("URI", p)),
            Form::Dn => dn::parse_test_name(value)
                .map(TestName::Dn)
                .map_err(|p| invalid("DN", p)),
            Form::Cn if value.contains('\0') => Err(invalid(
                "CN",
                "it contains a NUL character, which OpenSSL refuses in a CN".to_string(),
            )),
            Form::Cn => Ok(TestName::Cn(value.to_string())),
        }
    }
}

impl fmt::Display for TestName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestName::Dns(s) => write!(f, "DNS name {s}"),
            TestName::Ip(ip) => write!(f, "IP address {ip}"),
            TestName::Email(s) => write!(f, "email address {s}"),
            TestName::Uri(s) => write!(f, "URI {s}"),
            TestName::Dn(name) => write!(f, "DN {name}"),
            TestName::Cn(s) => write!(f, "CN {s}"),
        }
    }
}

/// One result of `rootca names`: the name as given, what it was read as, and the verdict.
/// Serialises as `{"name", "kind", "permitted", "reason", "warnings"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestedName {
    pub name: String,
    pub kind: String,
    #[serde(flatten)]
    pub decision: Decision,
}

impl TestedName {
    /// Reads `input` and judges it under `constraints`, `None` meaning the certificate has
    /// no name constraints extension.
    pub fn judge(
        input: &str,
        constraints: Option<&NameConstraints>,
    ) -> Result<Self, NameConstraintError> {
        let name = TestName::parse(input)?;
        let decision = match constraints {
            Some(nc) => nc.test(&name),
            None => Decision::unconstrained(),
        };
        Ok(TestedName {
            name: input.to_string(),
            kind: name.to_string(),
            decision,
        })
    }
}

#[cfg(test)]
mod tests;
