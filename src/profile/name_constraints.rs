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
//! Matching follows OpenSSL's `crypto/x509/v3_ncons.c` rather than a free reading of the RFC,
//! because `openssl verify` is the independent judge in the project's tests (and the reading
//! most relying parties share). Where OpenSSL and the RFC could be read differently, the
//! comment at the matcher says which way OpenSSL goes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use der::asn1::{Any, Ia5String, OctetString};
use der::{Tag, Tagged};
use x509_cert::ext::pkix::constraints::name::{GeneralSubtree, GeneralSubtrees};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

const DNS_ACCEPTED: &str = "a DNS name such as \"dev.example.com\" (that name and every name below it) \
     or \".dev.example.com\" (names below it only)";
const IP_ACCEPTED: &str = "a network in CIDR form such as \"10.0.0.0/8\" or \"2001:db8::/32\"";
const EMAIL_ACCEPTED: &str = "a mailbox \"user@example.com\", a host \"example.com\" (every mailbox at that host) \
     or a domain \".example.com\" (mailboxes at any host below it)";
const URI_ACCEPTED: &str = "a host \"host.example.com\" or a domain \".example.com\"; \
     URI constraints apply to the host part of a URI only";
const DN_ACCEPTED: &str =
    "an RFC 4514 name such as \"OU=Dev,O=Example Corp,C=US\" (no space after the commas)";

/// Longest DNS name RFC 1035 allows in text form, without a trailing dot.
const DNS_MAX_LEN: usize = 253;
/// Longest DNS label RFC 1035 allows.
const LABEL_MAX_LEN: usize = 63;

/// Everything that can be wrong with name constraints, their encoding, or a name to test.
///
/// `entry` is the 1-based position of the entry in the named list, as an officer counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameConstraintError {
    #[error("{list} entry {entry} is empty: write {accepted}")]
    EmptyEntry {
        list: &'static str,
        entry: usize,
        accepted: &'static str,
    },
    #[error(
        "{list} entry {entry} ({value:?}) has spaces around it: remove them; accepted: {accepted}"
    )]
    SurroundingWhitespace {
        list: &'static str,
        entry: usize,
        value: String,
        accepted: &'static str,
    },
    #[error(
        "{list} entry {entry} ({value:?}) contains a wildcard '*': name constraints have no wildcards; {suggestion}"
    )]
    Wildcard {
        list: &'static str,
        entry: usize,
        value: String,
        suggestion: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) ends with a dot: remove the trailing dot; accepted: {accepted}"
    )]
    TrailingDot {
        list: &'static str,
        entry: usize,
        value: String,
        accepted: &'static str,
    },
    #[error(
        "{list} entry {entry} ({value:?}) is not a valid DNS name: {problem}; accepted: {accepted}"
    )]
    InvalidDnsName {
        list: &'static str,
        entry: usize,
        value: String,
        problem: String,
        accepted: &'static str,
    },
    #[error(
        "{list} entry {entry} ({value:?}) is an IP address, not a DNS name: put it in {ip_list} as {suggestion:?}"
    )]
    IpAddressNotDnsName {
        list: &'static str,
        entry: usize,
        value: String,
        ip_list: &'static str,
        suggestion: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) has no prefix length: add /{max} for this one address \
         (\"{value}/{max}\"), or write the network in CIDR form such as \"10.0.0.0/8\""
    )]
    IpMissingPrefix {
        list: &'static str,
        entry: usize,
        value: String,
        max: u8,
    },
    #[error(
        "{list} entry {entry} ({value:?}) is not a network: {problem}; accepted: {IP_ACCEPTED}"
    )]
    InvalidIpNetwork {
        list: &'static str,
        entry: usize,
        value: String,
        problem: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) has prefix length /{prefix}, but an {family} prefix is at most /{max}"
    )]
    IpPrefixTooLong {
        list: &'static str,
        entry: usize,
        value: String,
        prefix: u32,
        family: &'static str,
        max: u8,
    },
    #[error(
        "{list} entry {entry} ({value:?}) has bits set beyond the /{prefix} prefix: \
         did you mean the network {network:?}?"
    )]
    IpHostBitsSet {
        list: &'static str,
        entry: usize,
        value: String,
        prefix: u8,
        network: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) is not a valid email constraint: {problem}; accepted: {EMAIL_ACCEPTED}"
    )]
    InvalidEmail {
        list: &'static str,
        entry: usize,
        value: String,
        problem: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) has a scheme: URI constraints name a host, not a URI; \
         write {host:?} (this host) or \".{host}\" (hosts below it)"
    )]
    UriHasScheme {
        list: &'static str,
        entry: usize,
        value: String,
        host: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) has a {part}: URI constraints name a host only \
         and apply to every {part} on it; accepted: {URI_ACCEPTED}"
    )]
    UriHasExtraPart {
        list: &'static str,
        entry: usize,
        value: String,
        part: &'static str,
    },
    #[error(
        "{list} entry {entry} ({value:?}) is not a distinguished name: {problem}; accepted: {DN_ACCEPTED}"
    )]
    InvalidDn {
        list: &'static str,
        entry: usize,
        value: String,
        problem: String,
    },
    #[error(
        "{list} entry {entry} ({value:?}) repeats entry {first_entry}{note}: remove one of them"
    )]
    Duplicate {
        list: &'static str,
        entry: usize,
        value: String,
        first_entry: usize,
        note: &'static str,
    },
    #[error(
        "{value:?} is both {permitted_list} entry {permitted_entry} and {excluded_list} entry {excluded_entry}: \
         excluded always wins, so the permitted entry would permit nothing; remove one of them"
    )]
    PermittedAndExcluded {
        value: String,
        permitted_list: &'static str,
        permitted_entry: usize,
        excluded_list: &'static str,
        excluded_entry: usize,
    },
    #[error(
        "the extension's {which} subtree {position} is a {name_type}: rootca reads only dNSName, \
         iPAddress, rfc822Name, uniformResourceIdentifier and directoryName constraints"
    )]
    UnsupportedNameType {
        which: &'static str,
        position: usize,
        name_type: &'static str,
    },
    #[error(
        "the extension's {which} subtree {position} sets minimum {minimum} / maximum {maximum}: \
         RFC 5280 requires minimum 0 and no maximum (OpenSSL rejects any other value)"
    )]
    SubtreeMinMax {
        which: &'static str,
        position: usize,
        minimum: u32,
        maximum: String,
    },
    #[error(
        "the extension's {list} entry {entry} is {len} octets: an iPAddress constraint is \
         8 octets (IPv4 address and mask) or 32 (IPv6)"
    )]
    IpConstraintLength {
        list: &'static str,
        entry: usize,
        len: usize,
    },
    #[error(
        "the extension's {list} entry {entry} has mask {mask} whose one bits are not contiguous, \
         so it is no CIDR network"
    )]
    IpMaskNotContiguous {
        list: &'static str,
        entry: usize,
        mask: String,
    },
    #[error(
        "no name to test: give a DNS name, an IP address, an email address, a URI or a DN, \
         optionally prefixed by dns:, ip:, email:, uri: or dn:"
    )]
    EmptyTestName,
    #[error("{value:?} is not a valid {kind} name to test: {problem}")]
    InvalidTestName {
        kind: &'static str,
        value: String,
        problem: String,
    },
}

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

/// An IP network as a name constraint: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpNet {
    /// As written or encoded; host bits are zero for anything from a ceremony file.
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    fn max_prefix(addr: IpAddr) -> u8 {
        match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    fn mask(&self) -> Vec<u8> {
        let len = match self.addr {
            IpAddr::V4(_) => 4,
            IpAddr::V6(_) => 16,
        };
        (0..len)
            .map(|i| {
                let bits = usize::from(self.prefix).saturating_sub(8 * i).min(8);
                if bits == 0 { 0 } else { 0xffu8 << (8 - bits) }
            })
            .collect()
    }

    fn network(&self) -> IpAddr {
        let masked: Vec<u8> = ip_octets(self.addr)
            .iter()
            .zip(self.mask())
            .map(|(a, m)| a & m)
            .collect();
        octets_to_ip(&masked).unwrap_or(self.addr)
    }

    fn last(&self) -> IpAddr {
        let last: Vec<u8> = ip_octets(self.addr)
            .iter()
            .zip(self.mask())
            .map(|(a, m)| (a & m) | !m)
            .collect();
        octets_to_ip(&last).unwrap_or(self.addr)
    }

    fn has_host_bits(&self) -> bool {
        self.network() != self.addr
    }

    /// OpenSSL's `nc_ip`: same family, and equal under the mask. IPv4 never matches IPv6.
    fn contains(&self, ip: IpAddr) -> bool {
        let (ours, theirs) = (ip_octets(self.addr), ip_octets(ip));
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(&theirs)
                .zip(self.mask())
                .all(|((a, b), m)| a & m == b & m)
    }

    /// The iPAddress constraint encoding: address octets followed by mask octets.
    fn constraint_octets(&self) -> Vec<u8> {
        let mut out = ip_octets(self.addr);
        out.extend(self.mask());
        out
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn ip_octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

fn octets_to_ip(octets: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        Some(IpAddr::V4(Ipv4Addr::from(v4)))
    } else if let Ok(v6) = <[u8; 16]>::try_from(octets) {
        Some(IpAddr::V6(Ipv6Addr::from(v6)))
    } else {
        None
    }
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

    fn list(self, permitted: bool) -> &'static str {
        match (self, permitted) {
            (Kind::Dns, true) => "permitted_dns",
            (Kind::Dns, false) => "excluded_dns",
            (Kind::Ip, true) => "permitted_ip",
            (Kind::Ip, false) => "excluded_ip",
            (Kind::Email, true) => "permitted_email",
            (Kind::Email, false) => "excluded_email",
            (Kind::Uri, true) => "permitted_uri",
            (Kind::Uri, false) => "excluded_uri",
            (Kind::Dn, true) => "permitted_dn",
            (Kind::Dn, false) => "excluded_dn",
        }
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
            Kind::Dns => DNS_ACCEPTED,
            Kind::Ip => IP_ACCEPTED,
            Kind::Email => EMAIL_ACCEPTED,
            Kind::Uri => URI_ACCEPTED,
            Kind::Dn => DN_ACCEPTED,
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
            (Base::Ip(a), Base::Ip(b)) => a.network() == b.network() && a.prefix == b.prefix,
            (Base::Dn(a), Base::Dn(b)) => canonical_rdns(a) == canonical_rdns(b),
            _ => false,
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
            Base::Ip(net) => {
                let family = match net.addr {
                    IpAddr::V4(_) => "IPv4",
                    IpAddr::V6(_) => "IPv6",
                };
                let range = if net.prefix == 0 {
                    format!("every {family} address")
                } else if net.prefix == IpNet::max_prefix(net.addr) {
                    "this address only".to_string()
                } else {
                    format!("{} to {}", net.network(), net.last())
                };
                if net.has_host_bits() {
                    format!(
                        "{range}; encoded with host bits set, read as {}/{}",
                        net.network(),
                        net.prefix
                    )
                } else {
                    range
                }
            }
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

/// Where an entry came from, for error messages.
struct At<'a> {
    list: &'static str,
    entry: usize,
    value: &'a str,
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
                let at = At {
                    list,
                    entry: i + 1,
                    value,
                };
                let subtree = parse_entry(kind, &at, Strictness::Ceremony)?;
                if let Some(first) = parsed.iter().position(|s| s.base.same_as(&subtree.base)) {
                    return Err(NameConstraintError::Duplicate {
                        list,
                        entry: i + 1,
                        value: value.clone(),
                        first_entry: first + 1,
                        note: duplicate_note(kind),
                    });
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
                        return Err(NameConstraintError::PermittedAndExcluded {
                            value: p.base.to_string(),
                            permitted_list: kind.list(true),
                            permitted_entry: pi + 1,
                            excluded_list: kind.list(false),
                            excluded_entry: ei + 1,
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
                let text = s.base.to_string();
                let list = match (s.base.kind(), permitted) {
                    (Kind::Dns, true) => &mut lists.permitted_dns,
                    (Kind::Dns, false) => &mut lists.excluded_dns,
                    (Kind::Ip, true) => &mut lists.permitted_ip,
                    (Kind::Ip, false) => &mut lists.excluded_ip,
                    (Kind::Email, true) => &mut lists.permitted_email,
                    (Kind::Email, false) => &mut lists.excluded_email,
                    (Kind::Uri, true) => &mut lists.permitted_uri,
                    (Kind::Uri, false) => &mut lists.excluded_uri,
                    (Kind::Dn, true) => &mut lists.permitted_dn,
                    (Kind::Dn, false) => &mut lists.excluded_dn,
                };
                list.push(text);
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
        for (permitted, which, subtrees) in [
            (true, "permitted", &ext.permitted_subtrees),
            (false, "excluded", &ext.excluded_subtrees),
        ] {
            // Entries are numbered per list, as in the ceremony file.
            let mut counts = [0usize; Kind::ALL.len()];
            for (i, subtree) in subtrees.iter().flatten().enumerate() {
                if subtree.minimum != 0 || subtree.maximum.is_some() {
                    return Err(NameConstraintError::SubtreeMinMax {
                        which,
                        position: i + 1,
                        minimum: subtree.minimum,
                        maximum: subtree
                            .maximum
                            .map_or_else(|| "absent".to_string(), |m| m.to_string()),
                    });
                }
                let (kind, text) = match &subtree.base {
                    GeneralName::DnsName(s) => (Kind::Dns, s.as_str().to_string()),
                    GeneralName::Rfc822Name(s) => (Kind::Email, s.as_str().to_string()),
                    GeneralName::UniformResourceIdentifier(s) => {
                        (Kind::Uri, s.as_str().to_string())
                    }
                    GeneralName::DirectoryName(name) => (Kind::Dn, name.to_string()),
                    GeneralName::IpAddress(_) => (Kind::Ip, String::new()),
                    other => {
                        return Err(NameConstraintError::UnsupportedNameType {
                            which,
                            position: i + 1,
                            name_type: general_name_type(other),
                        });
                    }
                };
                let slot = kind as usize;
                counts[slot] += 1;
                let at = At {
                    list: kind.list(permitted),
                    entry: counts[slot],
                    value: &text,
                };
                let parsed = match &subtree.base {
                    GeneralName::IpAddress(octets) => ip_from_octets(&at, octets.as_bytes())?,
                    // The DN was decoded from DER: keep it as is rather than round-trip it
                    // through its string form, which can lose the string types.
                    GeneralName::DirectoryName(name) => Subtree {
                        base: Base::Dn(name.clone()),
                        encoded: subtree.base.clone(),
                    },
                    _ => parse_entry(kind, &at, Strictness::Existing)?,
                };
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

    /// Would a certificate issued below this CA be allowed to carry `name`?
    ///
    /// Excluded subtrees win over permitted ones; if any permitted subtree of the name's kind
    /// exists, the name must be inside one of them. Only names of the same kind are compared.
    /// This decides the single name given: OpenSSL also checks a certificate's subject DN
    /// against DN constraints, its emailAddress attributes against email constraints and, when
    /// there is no DNS subjectAltName, a hostname-like CN against DNS constraints.
    pub fn test(&self, name: &TestName) -> Decision {
        let kind = name.kind();
        let excluded_list = kind.list(false);
        let permitted_list = kind.list(true);
        if let Some(hit) = self.of_kind(false, kind).find(|s| name.is_within(&s.base)) {
            return Decision {
                permitted: false,
                reason: format!("excluded by {excluded_list} \"{}\"", hit.base),
            };
        }
        let permitted: Vec<&Subtree> = self.of_kind(true, kind).collect();
        if let Some(hit) = permitted.iter().find(|s| name.is_within(&s.base)) {
            return Decision {
                permitted: true,
                reason: format!("permitted by {permitted_list} \"{}\"", hit.base),
            };
        }
        if !permitted.is_empty() {
            let all: Vec<String> = permitted
                .iter()
                .map(|s| format!("\"{}\"", s.base))
                .collect();
            return Decision {
                permitted: false,
                reason: format!(
                    "not inside any {permitted_list} subtree (permitted: {})",
                    all.join(", ")
                ),
            };
        }
        let reason = if self.of_kind(false, kind).next().is_some() {
            format!(
                "not inside any {excluded_list} subtree and no {permitted_list} list restricts it: permitted"
            )
        } else {
            "no constraint of this kind: permitted".to_string()
        };
        Decision {
            permitted: true,
            reason,
        }
    }
}

fn duplicate_note(kind: Kind) -> &'static str {
    match kind {
        Kind::Dns | Kind::Uri => " (entries are compared after lowercasing)",
        Kind::Email => " (hosts are compared after lowercasing)",
        Kind::Ip => " (the same network)",
        Kind::Dn => " (the same name once case and spacing are ignored)",
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

/// Parses one entry of a list of `kind`.
fn parse_entry(
    kind: Kind,
    at: &At<'_>,
    strictness: Strictness,
) -> Result<Subtree, NameConstraintError> {
    if at.value.is_empty() {
        return Err(NameConstraintError::EmptyEntry {
            list: at.list,
            entry: at.entry,
            accepted: kind.accepted(),
        });
    }
    if at.value.trim() != at.value {
        return Err(NameConstraintError::SurroundingWhitespace {
            list: at.list,
            entry: at.entry,
            value: at.value.to_string(),
            accepted: kind.accepted(),
        });
    }
    let base = match kind {
        Kind::Dns => Base::Dns(parse_dns(at, true, kind)?),
        Kind::Ip => Base::Ip(parse_ip(at, strictness)?),
        Kind::Email => Base::Email(parse_email(at)?),
        Kind::Uri => Base::Uri(parse_uri(at)?),
        Kind::Dn => Base::Dn(parse_dn(at)?),
    };
    let encoded = encode_base(&base, at)?;
    Ok(Subtree { base, encoded })
}

fn encode_base(base: &Base, at: &At<'_>) -> Result<GeneralName, NameConstraintError> {
    // Every string here passed an ASCII-only check; the error path is for completeness.
    let ia5 = |s: &str| {
        Ia5String::new(s).map_err(|e| NameConstraintError::InvalidDnsName {
            list: at.list,
            entry: at.entry,
            value: at.value.to_string(),
            problem: format!("not ASCII ({e})"),
            accepted: DNS_ACCEPTED,
        })
    };
    Ok(match base {
        Base::Dns(s) => GeneralName::DnsName(ia5(s)?),
        Base::Email(s) => GeneralName::Rfc822Name(ia5(s)?),
        Base::Uri(s) => GeneralName::UniformResourceIdentifier(ia5(s)?),
        Base::Dn(name) => GeneralName::DirectoryName(name.clone()),
        Base::Ip(net) => {
            GeneralName::IpAddress(OctetString::new(net.constraint_octets()).map_err(|e| {
                NameConstraintError::InvalidIpNetwork {
                    list: at.list,
                    entry: at.entry,
                    value: at.value.to_string(),
                    problem: e.to_string(),
                }
            })?)
        }
    })
}

/// Checks a DNS name (optionally with one leading dot when `allow_leading_dot`) and returns
/// it lowercased. `kind` only chooses the "accepted" text of errors.
fn parse_dns(
    at: &At<'_>,
    allow_leading_dot: bool,
    kind: Kind,
) -> Result<String, NameConstraintError> {
    let value = at.value;
    let invalid = |problem: String| NameConstraintError::InvalidDnsName {
        list: at.list,
        entry: at.entry,
        value: value.to_string(),
        problem,
        accepted: kind.accepted(),
    };
    if value.contains('*') {
        let suggestion = match value.strip_prefix("*.") {
            Some(rest) if !rest.contains('*') => format!(
                "write \".{rest}\" for names below {rest} only, or \"{rest}\" for {rest} and every name below it"
            ),
            _ => format!("accepted: {}", kind.accepted()),
        };
        return Err(NameConstraintError::Wildcard {
            list: at.list,
            entry: at.entry,
            value: value.to_string(),
            suggestion,
        });
    }
    let (address_part, _) = value.split_once('/').unwrap_or((value, ""));
    if let Ok(ip) = address_part.parse::<IpAddr>() {
        let ip_list = if at.list.starts_with("permitted") {
            "permitted_ip"
        } else {
            "excluded_ip"
        };
        let suggestion = if value.contains('/') {
            value.to_string()
        } else {
            format!("{ip}/{}", IpNet::max_prefix(ip))
        };
        return Err(NameConstraintError::IpAddressNotDnsName {
            list: at.list,
            entry: at.entry,
            value: value.to_string(),
            ip_list,
            suggestion,
        });
    }
    if value.ends_with('.') && value != "." {
        return Err(NameConstraintError::TrailingDot {
            list: at.list,
            entry: at.entry,
            value: value.to_string(),
            accepted: kind.accepted(),
        });
    }
    let lower = value.to_ascii_lowercase();
    let body = match lower.strip_prefix('.') {
        Some(rest) if allow_leading_dot => rest,
        Some(_) => {
            return Err(invalid(
                "a leading dot is not allowed here: write the host name itself".to_string(),
            ));
        }
        None => lower.as_str(),
    };
    check_hostname(body).map_err(invalid)?;
    Ok(lower)
}

/// LDH host name rules: labels of 1 to 63 letters, digits and hyphens, no hyphen at either
/// end of a label, at most 253 characters in all.
fn check_hostname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("there is no name after the leading dot".to_string());
    }
    if name.len() > DNS_MAX_LEN {
        return Err(format!(
            "it is {} characters long; a DNS name has at most {DNS_MAX_LEN}",
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row)".to_string());
        }
        if label.len() > LABEL_MAX_LEN {
            return Err(format!(
                "label {label:?} is {} characters long; a label has at most {LABEL_MAX_LEN}",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            let hint = if c.is_ascii() {
                ""
            } else {
                " (write internationalised names in their xn-- form)"
            };
            return Err(format!(
                "label {label:?} contains {c:?}; labels hold only letters, digits and hyphens{hint}"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "label {label:?} starts or ends with a hyphen, which DNS does not allow"
            ));
        }
    }
    Ok(())
}

fn parse_ip(at: &At<'_>, strictness: Strictness) -> Result<IpNet, NameConstraintError> {
    let value = at.value;
    let invalid = |problem: String| NameConstraintError::InvalidIpNetwork {
        list: at.list,
        entry: at.entry,
        value: value.to_string(),
        problem,
    };
    let Some((addr_text, prefix_text)) = value.split_once('/') else {
        return match value.parse::<IpAddr>() {
            Ok(ip) => Err(NameConstraintError::IpMissingPrefix {
                list: at.list,
                entry: at.entry,
                value: value.to_string(),
                max: IpNet::max_prefix(ip),
            }),
            Err(_) => Err(invalid(
                "it is neither an address nor a network (expected address/prefix)".to_string(),
            )),
        };
    };
    let addr: IpAddr = addr_text.parse().map_err(|_| {
        invalid(format!(
            "{addr_text:?} is not an IPv4 or IPv6 address (IPv4 octets are written without leading zeros)"
        ))
    })?;
    let max = IpNet::max_prefix(addr);
    let prefix: u32 = if !prefix_text.is_empty() && prefix_text.bytes().all(|b| b.is_ascii_digit())
    {
        prefix_text.parse().unwrap_or(u32::MAX)
    } else {
        return Err(invalid(format!(
            "the prefix length {prefix_text:?} is not a number from 0 to {max}"
        )));
    };
    let prefix_u8 = match u8::try_from(prefix) {
        Ok(p) if p <= max => p,
        _ => {
            return Err(NameConstraintError::IpPrefixTooLong {
                list: at.list,
                entry: at.entry,
                value: value.to_string(),
                prefix,
                family: if max == 32 { "IPv4" } else { "IPv6" },
                max,
            });
        }
    };
    let net = IpNet {
        addr,
        prefix: prefix_u8,
    };
    if strictness == Strictness::Ceremony && net.has_host_bits() {
        return Err(NameConstraintError::IpHostBitsSet {
            list: at.list,
            entry: at.entry,
            value: value.to_string(),
            prefix: prefix_u8,
            network: format!("{}/{}", net.network(), prefix_u8),
        });
    }
    // Canonical text (e.g. "0::/0" becomes "::/0") so that describe shows one spelling.
    Ok(net)
}

fn ip_from_octets(at: &At<'_>, octets: &[u8]) -> Result<Subtree, NameConstraintError> {
    let half = octets.len() / 2;
    let (addr_octets, mask) = octets.split_at(half);
    let addr = match octets.len() {
        8 | 32 => octets_to_ip(addr_octets),
        _ => None,
    };
    let Some(addr) = addr else {
        return Err(NameConstraintError::IpConstraintLength {
            list: at.list,
            entry: at.entry,
            len: octets.len(),
        });
    };
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    let prefix = u8::try_from(ones).unwrap_or(u8::MAX);
    let net = IpNet { addr, prefix };
    if net.mask() != mask {
        return Err(NameConstraintError::IpMaskNotContiguous {
            list: at.list,
            entry: at.entry,
            mask: hex::encode(mask),
        });
    }
    let base = Base::Ip(net);
    let encoded = encode_base(&base, at)?;
    Ok(Subtree { base, encoded })
}

/// Characters RFC 5322 allows in an unquoted local part (atext), plus the dot.
fn is_local_part_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn parse_email(at: &At<'_>) -> Result<String, NameConstraintError> {
    let value = at.value;
    let invalid = |problem: String| NameConstraintError::InvalidEmail {
        list: at.list,
        entry: at.entry,
        value: value.to_string(),
        problem,
    };
    let host_problem = |e: NameConstraintError| match e {
        NameConstraintError::InvalidDnsName { problem, .. } => invalid(problem),
        NameConstraintError::TrailingDot { .. } => invalid("the host ends with a dot".into()),
        NameConstraintError::Wildcard { .. } => invalid(
            "wildcards are not allowed; write \".example.com\" for hosts below example.com".into(),
        ),
        NameConstraintError::IpAddressNotDnsName { .. } => {
            invalid("the host is an IP address; email constraints name hosts by DNS name".into())
        }
        other => other,
    };
    match value.split_once('@') {
        Some((local, host)) => {
            if local.is_empty() {
                return Err(invalid(format!(
                    "nothing before the '@': write \"{host}\" for every mailbox at {host}"
                )));
            }
            if host.contains('@') {
                return Err(invalid("it has more than one '@'".to_string()));
            }
            if let Some(c) = local.chars().find(|c| !is_local_part_char(*c)) {
                return Err(invalid(format!(
                    "the local part contains {c:?}; quoted or non-ASCII local parts are not supported"
                )));
            }
            if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
                return Err(invalid(
                    "the local part starts or ends with a dot or has two dots in a row".to_string(),
                ));
            }
            if host.is_empty() {
                return Err(invalid("nothing after the '@'".to_string()));
            }
            let host_at = At {
                list: at.list,
                entry: at.entry,
                value: host,
            };
            let host = parse_dns(&host_at, false, Kind::Email).map_err(host_problem)?;
            Ok(format!("{local}@{host}"))
        }
        None => parse_dns(at, true, Kind::Email).map_err(host_problem),
    }
}

fn parse_uri(at: &At<'_>) -> Result<String, NameConstraintError> {
    let value = at.value;
    if let Some((_, rest)) = value.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = host_port.split(':').next().unwrap_or(host_port);
        return Err(NameConstraintError::UriHasScheme {
            list: at.list,
            entry: at.entry,
            value: value.to_string(),
            host: host.to_ascii_lowercase(),
        });
    }
    let extra = |part: &'static str| NameConstraintError::UriHasExtraPart {
        list: at.list,
        entry: at.entry,
        value: value.to_string(),
        part,
    };
    if value.contains('/') {
        return Err(extra("path"));
    }
    if value.contains('@') {
        return Err(extra("user name"));
    }
    if let Some((_, after)) = value.split_once(':') {
        let is_port = !after.is_empty() && after.bytes().all(|b| b.is_ascii_digit());
        return Err(extra(if is_port { "port" } else { "scheme" }));
    }
    if value.contains('?') || value.contains('#') {
        return Err(extra("query or fragment"));
    }
    parse_dns(at, true, Kind::Uri)
}

fn parse_dn(at: &At<'_>) -> Result<Name, NameConstraintError> {
    let invalid = |problem: String| NameConstraintError::InvalidDn {
        list: at.list,
        entry: at.entry,
        value: at.value.to_string(),
        problem,
    };
    let name = Name::from_str(at.value).map_err(|e| {
        let hint = if at.value.contains(", ") || at.value.contains("; ") {
            " (a space after a separator is read as part of the next attribute name)"
        } else {
            ""
        };
        invalid(format!("it does not parse ({e}){hint}"))
    })?;
    if name.is_empty() {
        return Err(invalid("it has no attributes".to_string()));
    }
    // x509-cert's parser splits on ',' only; "O=Corp/C=US" or "C=US; O=Corp" become one
    // attribute whose value swallows the rest. Catch that, and values it would mis-encode.
    for atv in name.iter() {
        let shown = atv.to_string();
        let key = shown.split('=').next().unwrap_or_default().to_string();
        let value = atv.value.value();
        if value.is_empty() {
            return Err(invalid(format!("{key} has an empty value")));
        }
        if value.contains(&b'=') {
            return Err(invalid(format!(
                "the value of {key} contains '=': separate attributes with ',' \
                 (not '/' or ';'), most specific first"
            )));
        }
        let printable = |b: &u8| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(b);
        if atv.value.tag() == Tag::PrintableString && !value.iter().all(printable) {
            return Err(invalid(format!(
                "{key} is a PrintableString, which holds only letters, digits, spaces and '()+,-./:?"
            )));
        }
    }
    Ok(name)
}

/// One attribute of an RDN, canonicalised the way OpenSSL's `x509_name_canon` does.
type CanonicalAtv = (der::asn1::ObjectIdentifier, Tag, Vec<u8>);

/// Each RDN as a sorted list of canonical attributes: OpenSSL compares directory names by a
/// byte prefix of this canonical encoding, which amounts to RDN-by-RDN equality.
fn canonical_rdns(name: &Name) -> Vec<Vec<CanonicalAtv>> {
    name.iter_rdn()
        .map(|rdn| {
            let mut atvs: Vec<CanonicalAtv> = rdn
                .iter()
                .map(|atv| {
                    let (tag, bytes) = canonical_value(&atv.value);
                    (atv.oid, tag, bytes)
                })
                .collect();
            atvs.sort();
            atvs
        })
        .collect()
}

/// OpenSSL's `asn1_string_canon`: string types become UTF-8, trimmed, ASCII-lowercased, with
/// runs of whitespace collapsed to one space; other types are compared as they are.
/// (UniversalString is missing because der 0.8 has no tag for it: such a name does not decode.)
fn canonical_value(value: &Any) -> (Tag, Vec<u8>) {
    let bytes = value.value();
    let text: Option<String> = match value.tag() {
        Tag::Utf8String => std::str::from_utf8(bytes).ok().map(str::to_string),
        // Latin-1 is how OpenSSL converts one-byte string types to UTF-8.
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::TeletexString => {
            Some(bytes.iter().map(|b| char::from(*b)).collect())
        }
        Tag::BmpString => {
            let units = bytes
                .chunks_exact(2)
                .filter_map(|c| <[u8; 2]>::try_from(c).ok())
                .map(u16::from_be_bytes);
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    };
    match text {
        Some(text) => (Tag::Utf8String, canonical_text(&text).into_bytes()),
        None => (value.tag(), bytes.to_vec()),
    }
}

fn canonical_text(text: &str) -> String {
    // OpenSSL's isspace: space, \t, \n, \v, \f, \r.
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.trim_matches(is_space).chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_space = false;
        }
    }
    out
}

/// The verdict of [`NameConstraints::test`], with the subtree that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub permitted: bool,
    pub reason: String,
}

/// A name to test against the constraints, of one of the five kinds rootca constrains.
#[derive(Debug, Clone, PartialEq)]
pub enum TestName {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    Uri(String),
    Dn(Name),
}

impl TestName {
    /// Reads a name. An explicit `dns:`, `ip:`, `email:`, `uri:` or `dn:` prefix forces the
    /// kind; otherwise: an IP address; anything with `://` is a URI; anything with `=` a DN;
    /// anything with `@` an email address; the rest a DNS name. (URI and DN come before email
    /// because URIs and DNs can contain `@`.)
    pub fn parse(input: &str) -> Result<Self, NameConstraintError> {
        if input.trim().is_empty() {
            return Err(NameConstraintError::EmptyTestName);
        }
        let forced = [
            ("dns:", Kind::Dns),
            ("ip:", Kind::Ip),
            ("email:", Kind::Email),
            ("uri:", Kind::Uri),
            ("dn:", Kind::Dn),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| {
            let head = input.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| (kind, input.get(prefix.len()..).unwrap_or("")))
        });
        let (kind, value) = match forced {
            Some(found) => found,
            None if input.parse::<IpAddr>().is_ok() => (Kind::Ip, input),
            None if input.contains("://") => (Kind::Uri, input),
            None if input.contains('=') => (Kind::Dn, input),
            None if input.contains('@') => (Kind::Email, input),
            None => (Kind::Dns, input),
        };
        let invalid = |kind: &'static str, problem: String| NameConstraintError::InvalidTestName {
            kind,
            value: value.to_string(),
            problem,
        };
        if value.is_empty() {
            return Err(NameConstraintError::EmptyTestName);
        }
        match kind {
            Kind::Ip => value
                .parse::<IpAddr>()
                .map(TestName::Ip)
                .map_err(|_| invalid("IP", "not an IPv4 or IPv6 address".to_string())),
            Kind::Dns => {
                let lower = value.to_ascii_lowercase();
                // A wildcard is allowed as the leftmost label, as in a certificate's SAN.
                let rest = lower.strip_prefix("*.").unwrap_or(&lower);
                if rest.ends_with('.') {
                    return Err(invalid("DNS", "remove the trailing dot".to_string()));
                }
                check_hostname(rest).map_err(|p| invalid("DNS", p))?;
                Ok(TestName::Dns(lower))
            }
            Kind::Email => {
                let Some((local, host)) = value.rsplit_once('@') else {
                    return Err(invalid("email", "it has no '@'".to_string()));
                };
                if local.is_empty() {
                    return Err(invalid("email", "nothing before the '@'".to_string()));
                }
                check_hostname(&host.to_ascii_lowercase()).map_err(|p| invalid("email", p))?;
                Ok(TestName::Email(value.to_string()))
            }
            Kind::Uri => {
                if uri_host(value).is_none_or(str::is_empty) {
                    return Err(invalid(
                        "URI",
                        "expected scheme://host/... (OpenSSL reads only URIs of that form)"
                            .to_string(),
                    ));
                }
                Ok(TestName::Uri(value.to_string()))
            }
            Kind::Dn => Name::from_str(value)
                .map(TestName::Dn)
                .map_err(|e| invalid("DN", format!("not an RFC 4514 name ({e})"))),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            TestName::Dns(_) => Kind::Dns,
            TestName::Ip(_) => Kind::Ip,
            TestName::Email(_) => Kind::Email,
            TestName::Uri(_) => Kind::Uri,
            TestName::Dn(_) => Kind::Dn,
        }
    }

    /// Is this name inside the subtree `base`? Names of another kind never are.
    fn is_within(&self, base: &Base) -> bool {
        match (self, base) {
            (TestName::Dns(name), Base::Dns(b)) => dns_within(name, b),
            (TestName::Ip(ip), Base::Ip(net)) => net.contains(*ip),
            (TestName::Email(mailbox), Base::Email(b)) => email_within(mailbox, b),
            (TestName::Uri(uri), Base::Uri(b)) => uri_host(uri).is_some_and(|h| host_within(h, b)),
            (TestName::Dn(name), Base::Dn(b)) => dn_within(name, b),
            _ => false,
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
        }
    }
}

/// OpenSSL's `nc_dns`: the base must be a case-insensitive suffix of the name; a longer name
/// must have a dot just before that suffix unless the base itself starts with a dot. So
/// `example.com` matches itself and names below it, `.example.com` only names below it.
fn dns_within(name: &str, base: &str) -> bool {
    let (n, b) = (name.as_bytes(), base.as_bytes());
    if b.is_empty() {
        return true;
    }
    let Some(split) = n.len().checked_sub(b.len()) else {
        return false;
    };
    let (head, tail) = n.split_at(split);
    if !head.is_empty() && b.first() != Some(&b'.') && head.last() != Some(&b'.') {
        return false;
    }
    tail.eq_ignore_ascii_case(b)
}

/// OpenSSL's `nc_email`: a `.domain` base matches the tail of the whole address; a base with
/// a local part matches that mailbox (local part case-sensitive, host not); a host base
/// matches every mailbox at exactly that host.
fn email_within(mailbox: &str, base: &str) -> bool {
    let Some((local, host)) = mailbox.rsplit_once('@') else {
        return false;
    };
    if !base.contains('@') && base.starts_with('.') {
        return mailbox.len() > base.len()
            && mailbox
                .get(mailbox.len() - base.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(base));
    }
    let base_host = match base.rsplit_once('@') {
        Some((base_local, base_host)) => {
            if !base_local.is_empty() && base_local != local {
                return false;
            }
            base_host
        }
        None => base,
    };
    base_host.eq_ignore_ascii_case(host)
}

/// The host of a URI as OpenSSL's `nc_uri` finds it: after the first `://`, up to the first
/// `:` anywhere after it, or failing that the first `/`. (OpenSSL does not look for `?`, `#`
/// or user names, and neither does this, so that both decide alike.)
fn uri_host(uri: &str) -> Option<&str> {
    let colon = uri.find(':')?;
    let rest = uri.get(colon + 1..)?.strip_prefix("//")?;
    let end = rest.find(':').or_else(|| rest.find('/'));
    Some(match end {
        Some(end) => rest.get(..end).unwrap_or(rest),
        None => rest,
    })
}

/// OpenSSL's `nc_uri` host comparison: `.domain` matches hosts strictly below, otherwise the
/// host must be equal, case-insensitively.
fn host_within(host: &str, base: &str) -> bool {
    if base.starts_with('.') {
        return host.len() > base.len()
            && host
                .get(host.len() - base.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(base));
    }
    host.eq_ignore_ascii_case(base)
}

/// OpenSSL's `nc_dn`: the name's canonical RDN sequence starts with the base's.
fn dn_within(name: &Name, base: &Name) -> bool {
    let (n, b) = (canonical_rdns(name), canonical_rdns(base));
    n.len() >= b.len() && n.iter().zip(&b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    fn lists() -> NameConstraintLists {
        NameConstraintLists::default()
    }

    fn issue_constraints() -> NameConstraints {
        let l = NameConstraintLists {
            permitted_dns: vec!["dev.example.com".into(), ".test.example.com".into()],
            excluded_dns: vec![".prod.dev.example.com".into()],
            excluded_ip: vec!["0.0.0.0/0".into(), "::/0".into()],
            ..lists()
        };
        match NameConstraints::from_lists(&l) {
            Ok(nc) => nc,
            Err(e) => panic!("issue constraints refused: {e}"),
        }
    }

    fn build(l: &NameConstraintLists) -> NameConstraints {
        match NameConstraints::from_lists(l) {
            Ok(nc) => nc,
            Err(e) => panic!("refused: {e}"),
        }
    }

    fn refuse(l: &NameConstraintLists) -> NameConstraintError {
        match NameConstraints::from_lists(l) {
            Ok(nc) => panic!("accepted: {nc:?}"),
            Err(e) => e,
        }
    }

    fn dns(permitted: &[&str]) -> NameConstraintLists {
        NameConstraintLists {
            permitted_dns: permitted.iter().map(|s| s.to_string()).collect(),
            ..lists()
        }
    }

    fn ip(permitted: &[&str]) -> NameConstraintLists {
        NameConstraintLists {
            permitted_ip: permitted.iter().map(|s| s.to_string()).collect(),
            ..lists()
        }
    }

    fn email(permitted: &[&str]) -> NameConstraintLists {
        NameConstraintLists {
            permitted_email: permitted.iter().map(|s| s.to_string()).collect(),
            ..lists()
        }
    }

    fn uri(permitted: &[&str]) -> NameConstraintLists {
        NameConstraintLists {
            permitted_uri: permitted.iter().map(|s| s.to_string()).collect(),
            ..lists()
        }
    }

    fn dn(permitted: &[&str]) -> NameConstraintLists {
        NameConstraintLists {
            permitted_dn: permitted.iter().map(|s| s.to_string()).collect(),
            ..lists()
        }
    }

    fn name(s: &str) -> TestName {
        match TestName::parse(s) {
            Ok(n) => n,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn allows(nc: &NameConstraints, s: &str) -> bool {
        nc.test(&name(s)).permitted
    }

    fn der_of(nc: &NameConstraints) -> Vec<u8> {
        match nc.to_extension().to_der() {
            Ok(d) => d,
            Err(e) => panic!("encode: {e}"),
        }
    }

    // --- the issue's cases ---

    #[test]
    fn issue_permits_the_permitted_name_itself() {
        assert!(allows(&issue_constraints(), "dev.example.com"));
    }

    #[test]
    fn issue_permits_a_name_below_a_permitted_name() {
        assert!(allows(&issue_constraints(), "a.dev.example.com"));
    }

    #[test]
    fn issue_permits_a_name_below_a_leading_dot_subtree() {
        assert!(allows(&issue_constraints(), "x.test.example.com"));
    }

    #[test]
    fn issue_refuses_the_leading_dot_subtree_parent_itself() {
        assert!(!allows(&issue_constraints(), "test.example.com"));
    }

    #[test]
    fn issue_refuses_a_name_in_the_excluded_subtree() {
        assert!(!allows(&issue_constraints(), "x.prod.dev.example.com"));
    }

    #[test]
    fn issue_refuses_a_name_outside_every_permitted_subtree() {
        assert!(!allows(&issue_constraints(), "example.org"));
    }

    #[test]
    fn issue_refuses_every_ipv4_address() {
        assert!(!allows(&issue_constraints(), "10.1.2.3"));
    }

    #[test]
    fn issue_refuses_every_ipv6_address() {
        assert!(!allows(&issue_constraints(), "2001:db8::1"));
    }

    #[test]
    fn issue_excluded_parent_itself_is_permitted_because_the_dot_form_means_below_only() {
        assert!(allows(&issue_constraints(), "prod.dev.example.com"));
    }

    // --- decision reasons ---

    #[test]
    fn reason_names_the_excluding_subtree() {
        let d = issue_constraints().test(&name("x.prod.dev.example.com"));
        assert_eq!(
            d.reason,
            "excluded by excluded_dns \".prod.dev.example.com\""
        );
    }

    #[test]
    fn reason_names_the_permitting_subtree() {
        let d = issue_constraints().test(&name("a.dev.example.com"));
        assert_eq!(d.reason, "permitted by permitted_dns \"dev.example.com\"");
    }

    #[test]
    fn reason_lists_the_permitted_subtrees_when_outside_all() {
        let d = issue_constraints().test(&name("example.org"));
        assert_eq!(
            d.reason,
            "not inside any permitted_dns subtree (permitted: \"dev.example.com\", \".test.example.com\")"
        );
    }

    #[test]
    fn reason_names_the_excluding_ip_network() {
        let d = issue_constraints().test(&name("10.1.2.3"));
        assert_eq!(d.reason, "excluded by excluded_ip \"0.0.0.0/0\"");
    }

    #[test]
    fn reason_says_when_no_constraint_of_the_kind_exists() {
        let d = issue_constraints().test(&name("user@example.com"));
        assert!(d.permitted);
        assert_eq!(d.reason, "no constraint of this kind: permitted");
    }

    #[test]
    fn reason_says_when_only_excluded_subtrees_of_the_kind_exist() {
        let nc = build(&NameConstraintLists {
            excluded_dns: vec!["bad.example.com".into()],
            ..lists()
        });
        let d = nc.test(&name("good.example.com"));
        assert!(d.permitted);
        assert!(
            d.reason.contains("no permitted_dns list restricts it"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn excluded_wins_over_permitted_for_the_same_name() {
        let nc = build(&NameConstraintLists {
            permitted_dns: vec!["example.com".into()],
            excluded_dns: vec!["secret.example.com".into()],
            ..lists()
        });
        let d = nc.test(&name("a.secret.example.com"));
        assert!(!d.permitted);
        assert!(d.reason.starts_with("excluded by"));
    }

    // --- DNS matching ---

    #[test]
    fn dns_match_respects_label_boundaries() {
        let nc = build(&dns(&["example.com"]));
        assert!(!allows(&nc, "badexample.com"));
    }

    #[test]
    fn dns_match_is_case_insensitive() {
        let nc = build(&dns(&["example.com"]));
        assert!(allows(&nc, "WWW.Example.COM"));
    }

    #[test]
    fn dns_leading_dot_does_not_match_a_suffix_without_boundary() {
        let nc = build(&dns(&[".example.com"]));
        assert!(!allows(&nc, "xexample.com"));
    }

    #[test]
    fn dns_wildcard_test_name_is_compared_like_any_label() {
        let nc = build(&dns(&["dev.example.com"]));
        assert!(allows(&nc, "*.dev.example.com"));
    }

    #[test]
    fn dns_constraint_does_not_apply_to_other_kinds() {
        let nc = build(&dns(&["example.com"]));
        assert!(allows(&nc, "10.0.0.1"));
    }

    // --- DNS validation ---

    #[test]
    fn dns_wildcard_is_refused_with_both_alternatives() {
        let e = refuse(&dns(&["*.example.com"]));
        let msg = e.to_string();
        assert!(matches!(e, NameConstraintError::Wildcard { .. }));
        assert!(msg.contains("permitted_dns entry 1"), "{msg}");
        assert!(msg.contains("\".example.com\""), "{msg}");
        assert!(msg.contains("\"example.com\""), "{msg}");
    }

    #[test]
    fn dns_empty_entry_is_refused_naming_the_list() {
        let e = refuse(&dns(&["ok.example.com", ""]));
        assert_eq!(
            e,
            NameConstraintError::EmptyEntry {
                list: "permitted_dns",
                entry: 2,
                accepted: DNS_ACCEPTED
            }
        );
    }

    #[test]
    fn dns_trailing_dot_is_refused() {
        let e = refuse(&dns(&["example.com."]));
        assert!(matches!(e, NameConstraintError::TrailingDot { .. }));
    }

    #[test]
    fn dns_double_leading_dot_is_refused() {
        let e = refuse(&dns(&["..example.com"]));
        assert!(e.to_string().contains("empty label"), "{e}");
    }

    #[test]
    fn dns_lone_dot_is_refused() {
        assert!(matches!(
            refuse(&dns(&["."])),
            NameConstraintError::InvalidDnsName { .. }
        ));
    }

    #[test]
    fn dns_label_of_64_characters_is_refused() {
        let long = format!("{}.example.com", "a".repeat(64));
        assert!(refuse(&dns(&[&long])).to_string().contains("at most 63"));
    }

    #[test]
    fn dns_label_of_63_characters_is_accepted() {
        let ok = format!("{}.example.com", "a".repeat(63));
        assert!(!build(&dns(&[&ok])).is_empty());
    }

    #[test]
    fn dns_name_over_253_characters_is_refused() {
        let label = "a".repeat(60);
        let long = [label.as_str(); 5].join(".");
        assert!(long.len() > 253);
        assert!(refuse(&dns(&[&long])).to_string().contains("at most 253"));
    }

    #[test]
    fn dns_label_with_leading_hyphen_is_refused() {
        assert!(
            refuse(&dns(&["-a.example.com"]))
                .to_string()
                .contains("hyphen")
        );
    }

    #[test]
    fn dns_label_with_trailing_hyphen_is_refused() {
        assert!(
            refuse(&dns(&["a-.example.com"]))
                .to_string()
                .contains("hyphen")
        );
    }

    #[test]
    fn dns_underscore_is_refused() {
        assert!(
            refuse(&dns(&["_dmarc.example.com"]))
                .to_string()
                .contains("'_'")
        );
    }

    #[test]
    fn dns_non_ascii_is_refused_pointing_at_the_xn_form() {
        assert!(
            refuse(&dns(&["bücher.example"]))
                .to_string()
                .contains("xn--")
        );
    }

    #[test]
    fn dns_ip_address_is_refused_pointing_at_the_ip_list() {
        let msg = refuse(&dns(&["10.0.0.1"])).to_string();
        assert!(msg.contains("permitted_ip"), "{msg}");
        assert!(msg.contains("10.0.0.1/32"), "{msg}");
    }

    #[test]
    fn dns_surrounding_space_is_refused() {
        assert!(matches!(
            refuse(&dns(&[" example.com"])),
            NameConstraintError::SurroundingWhitespace { .. }
        ));
    }

    #[test]
    fn dns_url_is_refused_as_invalid_characters() {
        assert!(matches!(
            refuse(&dns(&["https://example.com"])),
            NameConstraintError::InvalidDnsName { .. }
        ));
    }

    #[test]
    fn dns_entries_are_lowercased() {
        let nc = build(&dns(&["Dev.Example.COM"]));
        assert_eq!(nc.to_lists().permitted_dns, vec!["dev.example.com"]);
    }

    #[test]
    fn dns_duplicate_differing_only_in_case_is_refused() {
        let e = refuse(&dns(&["example.com", "EXAMPLE.com"]));
        assert!(matches!(
            e,
            NameConstraintError::Duplicate {
                entry: 2,
                first_entry: 1,
                ..
            }
        ));
        assert!(e.to_string().contains("lowercasing"));
    }

    #[test]
    fn dns_name_both_permitted_and_excluded_is_refused() {
        let e = refuse(&NameConstraintLists {
            permitted_dns: vec!["a.example.com".into()],
            excluded_dns: vec!["b.example.com".into(), "a.example.com".into()],
            ..lists()
        });
        assert_eq!(
            e,
            NameConstraintError::PermittedAndExcluded {
                value: "a.example.com".into(),
                permitted_list: "permitted_dns",
                permitted_entry: 1,
                excluded_list: "excluded_dns",
                excluded_entry: 2,
            }
        );
    }

    #[test]
    fn dns_with_and_without_dot_are_different_constraints() {
        let nc = build(&NameConstraintLists {
            permitted_dns: vec!["example.com".into()],
            excluded_dns: vec![".example.com".into()],
            ..lists()
        });
        assert!(allows(&nc, "example.com"));
        assert!(!allows(&nc, "www.example.com"));
    }

    // --- IP validation ---

    #[test]
    fn ip_prefix_over_32_is_refused() {
        let e = refuse(&ip(&["10.0.0.0/33"]));
        assert!(matches!(
            e,
            NameConstraintError::IpPrefixTooLong {
                prefix: 33,
                max: 32,
                ..
            }
        ));
        assert!(e.to_string().contains("at most /32"));
    }

    #[test]
    fn ip_prefix_over_128_is_refused() {
        assert!(matches!(
            refuse(&ip(&["2001:db8::/129"])),
            NameConstraintError::IpPrefixTooLong { max: 128, .. }
        ));
    }

    #[test]
    fn ip_huge_prefix_is_refused_without_overflow() {
        assert!(matches!(
            refuse(&ip(&["10.0.0.0/99999999999999999999"])),
            NameConstraintError::IpPrefixTooLong { .. }
        ));
    }

    #[test]
    fn ip_host_bits_are_refused_naming_the_network() {
        let e = refuse(&ip(&["10.0.0.1/8"]));
        assert!(matches!(e, NameConstraintError::IpHostBitsSet { .. }));
        assert!(e.to_string().contains("\"10.0.0.0/8\""), "{e}");
    }

    #[test]
    fn ip_v6_host_bits_are_refused_naming_the_network() {
        let e = refuse(&ip(&["2001:db8::1/32"]));
        assert!(e.to_string().contains("\"2001:db8::/32\""), "{e}");
    }

    #[test]
    fn ip_bare_v4_address_asks_for_slash_32() {
        let e = refuse(&ip(&["192.0.2.7"]));
        assert!(matches!(
            e,
            NameConstraintError::IpMissingPrefix { max: 32, .. }
        ));
        assert!(e.to_string().contains("add /32"), "{e}");
    }

    #[test]
    fn ip_bare_v6_address_asks_for_slash_128() {
        assert!(
            refuse(&ip(&["2001:db8::7"]))
                .to_string()
                .contains("add /128")
        );
    }

    #[test]
    fn ip_garbage_is_refused() {
        assert!(matches!(
            refuse(&ip(&["ten/8"])),
            NameConstraintError::InvalidIpNetwork { .. }
        ));
    }

    #[test]
    fn ip_missing_prefix_number_is_refused() {
        assert!(matches!(
            refuse(&ip(&["10.0.0.0/"])),
            NameConstraintError::InvalidIpNetwork { .. }
        ));
    }

    #[test]
    fn ip_leading_zero_octets_are_refused() {
        assert!(matches!(
            refuse(&ip(&["010.0.0.0/8"])),
            NameConstraintError::InvalidIpNetwork { .. }
        ));
    }

    #[test]
    fn ip_same_network_spelled_twice_is_a_duplicate() {
        assert!(matches!(
            refuse(&ip(&["::/0", "0::/0"])),
            NameConstraintError::Duplicate { .. }
        ));
    }

    #[test]
    fn ip_network_contains_its_addresses_only() {
        let nc = build(&ip(&["10.0.0.0/8"]));
        assert!(allows(&nc, "10.255.1.2"));
        assert!(!allows(&nc, "11.0.0.1"));
    }

    #[test]
    fn ip_v4_network_never_contains_a_v6_address() {
        let nc = build(&ip(&["0.0.0.0/0"]));
        assert!(!allows(&nc, "::ffff:10.0.0.1"));
    }

    #[test]
    fn ip_slash_32_contains_exactly_one_address() {
        let nc = build(&ip(&["192.0.2.7/32"]));
        assert!(allows(&nc, "192.0.2.7"));
        assert!(!allows(&nc, "192.0.2.8"));
    }

    #[test]
    fn ip_odd_prefix_masks_partial_octet() {
        let nc = build(&ip(&["192.0.2.128/25"]));
        assert!(allows(&nc, "192.0.2.200"));
        assert!(!allows(&nc, "192.0.2.127"));
    }

    // --- email ---

    #[test]
    fn email_mailbox_matches_only_itself() {
        let nc = build(&email(&["ops@example.com"]));
        assert!(allows(&nc, "ops@example.com"));
        assert!(!allows(&nc, "dev@example.com"));
        assert!(!allows(&nc, "ops@a.example.com"));
    }

    #[test]
    fn email_mailbox_local_part_is_case_sensitive_host_is_not() {
        let nc = build(&email(&["ops@example.com"]));
        assert!(allows(&nc, "ops@EXAMPLE.com"));
        assert!(!allows(&nc, "OPS@example.com"));
    }

    #[test]
    fn email_host_matches_every_mailbox_at_exactly_that_host() {
        let nc = build(&email(&["example.com"]));
        assert!(allows(&nc, "anyone@example.com"));
        assert!(!allows(&nc, "anyone@mail.example.com"));
    }

    #[test]
    fn email_domain_matches_hosts_below_only() {
        let nc = build(&email(&[".example.com"]));
        assert!(allows(&nc, "anyone@mail.example.com"));
        assert!(!allows(&nc, "anyone@example.com"));
    }

    #[test]
    fn email_host_is_lowercased_local_part_kept() {
        let nc = build(&email(&["Ops@Example.COM"]));
        assert_eq!(nc.to_lists().permitted_email, vec!["Ops@example.com"]);
    }

    #[test]
    fn email_leading_at_is_refused_suggesting_the_host_form() {
        let e = refuse(&email(&["@example.com"]));
        assert!(e.to_string().contains("write \"example.com\""), "{e}");
    }

    #[test]
    fn email_two_ats_are_refused() {
        assert!(matches!(
            refuse(&email(&["a@b@example.com"])),
            NameConstraintError::InvalidEmail { .. }
        ));
    }

    #[test]
    fn email_quoted_local_part_is_refused() {
        assert!(matches!(
            refuse(&email(&["\"a b\"@example.com"])),
            NameConstraintError::InvalidEmail { .. }
        ));
    }

    #[test]
    fn email_domain_with_leading_dot_after_at_is_refused() {
        assert!(matches!(
            refuse(&email(&["a@.example.com"])),
            NameConstraintError::InvalidEmail { .. }
        ));
    }

    #[test]
    fn email_wildcard_is_refused() {
        assert!(matches!(
            refuse(&email(&["*.example.com"])),
            NameConstraintError::InvalidEmail { .. }
        ));
    }

    // --- URI ---

    #[test]
    fn uri_with_scheme_is_refused_suggesting_its_host() {
        let e = refuse(&uri(&["https://x.example.com/"]));
        assert_eq!(
            e,
            NameConstraintError::UriHasScheme {
                list: "permitted_uri",
                entry: 1,
                value: "https://x.example.com/".into(),
                host: "x.example.com".into()
            }
        );
        assert!(e.to_string().contains("write \"x.example.com\""), "{e}");
    }

    #[test]
    fn uri_with_path_is_refused() {
        let e = refuse(&uri(&["x.example.com/app"]));
        assert!(matches!(
            e,
            NameConstraintError::UriHasExtraPart { part: "path", .. }
        ));
    }

    #[test]
    fn uri_with_port_is_refused() {
        let e = refuse(&uri(&["x.example.com:8443"]));
        assert!(e.to_string().contains("port"), "{e}");
    }

    #[test]
    fn uri_with_scheme_but_no_slashes_is_refused_as_a_scheme() {
        let e = refuse(&uri(&["urn:example"]));
        assert!(matches!(
            e,
            NameConstraintError::UriHasExtraPart { part: "scheme", .. }
        ));
    }

    #[test]
    fn uri_host_matches_exact_host_only() {
        let nc = build(&uri(&["x.example.com"]));
        assert!(allows(&nc, "https://x.example.com/path"));
        assert!(allows(&nc, "https://X.example.com:8443/path"));
        assert!(!allows(&nc, "https://a.x.example.com/"));
    }

    #[test]
    fn uri_domain_matches_hosts_below_only() {
        let nc = build(&uri(&[".example.com"]));
        assert!(allows(&nc, "http://a.example.com"));
        assert!(!allows(&nc, "http://example.com/"));
    }

    #[test]
    fn uri_host_ends_at_the_first_colon_even_after_a_slash_as_in_openssl() {
        assert_eq!(
            uri_host("https://h.example.com/a:b"),
            Some("h.example.com/a")
        );
    }

    // --- DN ---

    #[test]
    fn dn_unparseable_is_refused() {
        let e = refuse(&dn(&["not a dn"]));
        assert!(matches!(e, NameConstraintError::InvalidDn { .. }));
        assert!(e.to_string().contains("permitted_dn entry 1"));
    }

    #[test]
    fn dn_space_after_comma_is_refused_with_a_hint() {
        let e = refuse(&dn(&["O=Example, C=US"]));
        assert!(e.to_string().contains("space after a separator"), "{e}");
    }

    #[test]
    fn dn_slash_separated_is_refused() {
        let e = refuse(&dn(&["O=Example Corp/C=US"]));
        assert!(
            e.to_string().contains("separate attributes with ','"),
            "{e}"
        );
    }

    #[test]
    fn dn_semicolon_separated_is_refused() {
        assert!(matches!(
            refuse(&dn(&["C=US; O=Example"])),
            NameConstraintError::InvalidDn { .. }
        ));
    }

    #[test]
    fn dn_empty_value_is_refused() {
        assert!(
            refuse(&dn(&["CN=,O=Example"]))
                .to_string()
                .contains("empty value")
        );
    }

    #[test]
    fn dn_country_outside_printable_string_is_refused() {
        assert!(
            refuse(&dn(&["O=x,C=Ü"]))
                .to_string()
                .contains("PrintableString")
        );
    }

    #[test]
    fn dn_lowercase_attribute_names_are_accepted() {
        let nc = build(&dn(&["o=Example,c=US"]));
        assert_eq!(nc.to_lists().permitted_dn, vec!["O=Example,C=US"]);
    }

    #[test]
    fn dn_constraint_matches_names_below_it() {
        let nc = build(&dn(&["O=Example Corp,C=US"]));
        assert!(allows(&nc, "CN=host,OU=Dev,O=Example Corp,C=US"));
        assert!(allows(&nc, "O=Example Corp,C=US"));
        assert!(!allows(&nc, "O=Other,C=US"));
        assert!(!allows(&nc, "C=US"));
    }

    #[test]
    fn dn_match_ignores_case_and_extra_spaces_as_openssl_does() {
        let nc = build(&dn(&["O=Example Corp,C=US"]));
        assert!(allows(&nc, "CN=x,O=example  CORP ,C=us"));
    }

    #[test]
    fn dn_duplicates_are_found_ignoring_case() {
        assert!(matches!(
            refuse(&dn(&["O=Example,C=US", "O=EXAMPLE,C=US"])),
            NameConstraintError::Duplicate { .. }
        ));
    }

    #[test]
    fn canonical_text_trims_lowercases_and_collapses_spaces() {
        assert_eq!(canonical_text("  Example \t Corp  "), "example corp");
    }

    // --- all empty ---

    #[test]
    fn all_lists_empty_is_valid_and_empty() {
        let nc = build(&lists());
        assert!(nc.is_empty());
        assert_eq!(nc.to_extension().permitted_subtrees, None);
        assert_eq!(nc.to_extension().excluded_subtrees, None);
    }

    #[test]
    fn constraints_with_one_entry_are_not_empty() {
        assert!(!build(&dns(&["example.com"])).is_empty());
    }

    // --- encoding ---

    #[test]
    fn encodes_excluded_v4_and_v6_everything_as_hand_checked_bytes() {
        let nc = build(&NameConstraintLists {
            excluded_ip: vec!["0.0.0.0/0".into(), "::/0".into()],
            ..lists()
        });
        // 30 32                     NameConstraints
        //   a1 30                   [1] excludedSubtrees
        //     30 0a 87 08 <8x00>    GeneralSubtree { iPAddress 0.0.0.0 mask 0.0.0.0 }
        //     30 22 87 20 <32x00>   GeneralSubtree { iPAddress :: mask :: }
        let mut expected = vec![0x30, 0x32, 0xa1, 0x30, 0x30, 0x0a, 0x87, 0x08];
        expected.extend([0u8; 8]);
        expected.extend([0x30, 0x22, 0x87, 0x20]);
        expected.extend([0u8; 32]);
        assert_eq!(der_of(&nc), expected);
    }

    #[test]
    fn encodes_a_v4_network_as_address_then_mask() {
        let nc = build(&ip(&["10.0.0.0/8"]));
        assert_eq!(
            der_of(&nc),
            vec![
                0x30, 0x0e, 0xa0, 0x0c, 0x30, 0x0a, 0x87, 0x08, 10, 0, 0, 0, 0xff, 0, 0, 0
            ]
        );
    }

    #[test]
    fn encodes_a_v6_network_as_address_then_mask() {
        let nc = build(&ip(&["2001:db8::/32"]));
        let mut expected = vec![0x30, 0x26, 0xa0, 0x24, 0x30, 0x22, 0x87, 0x20];
        expected.extend([0x20, 0x01, 0x0d, 0xb8]);
        expected.extend([0u8; 12]);
        expected.extend([0xff; 4]);
        expected.extend([0u8; 12]);
        assert_eq!(der_of(&nc), expected);
    }

    #[test]
    fn encodes_dns_names_as_given_including_the_leading_dot() {
        let nc = build(&dns(&[".a.com"]));
        assert_eq!(
            der_of(&nc),
            vec![
                0x30, 0x0c, 0xa0, 0x0a, 0x30, 0x08, 0x82, 0x06, b'.', b'a', b'.', b'c', b'o', b'm'
            ]
        );
    }

    #[test]
    fn extension_is_critical_when_built_into_a_certificate() {
        use x509_cert::ext::Criticality;
        let ext = build(&dns(&["a.com"])).to_extension();
        assert!(ext.criticality(&Name::default(), &[]));
    }

    #[test]
    fn encodes_minimum_and_maximum_as_absent() {
        let ext = build(&dns(&["a.com"])).to_extension();
        let subtree = ext
            .permitted_subtrees
            .as_ref()
            .and_then(|s| s.first())
            .cloned();
        assert_eq!(subtree.as_ref().map(|s| s.minimum), Some(0));
        assert_eq!(subtree.and_then(|s| s.maximum), None);
    }

    #[test]
    fn encodes_directory_names_as_explicit_tag_4() {
        // NameConstraints, [0] permitted, GeneralSubtree, [4] constructed wrapping the Name:
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.6, PrintableString "US" } } }.
        assert_eq!(
            der_of(&build(&dn(&["C=US"]))),
            vec![
                0x30, 0x15, 0xa0, 0x13, 0x30, 0x11, 0xa4, 0x0f, 0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
                0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'U', b'S'
            ]
        );
    }

    #[test]
    fn extension_round_trips_through_der() {
        let nc = issue_constraints();
        let decoded = x509_cert::ext::pkix::NameConstraints::from_der(&der_of(&nc));
        let back = decoded
            .map_err(|e| e.to_string())
            .and_then(|ext| NameConstraints::from_extension(&ext).map_err(|e| e.to_string()));
        assert_eq!(back, Ok(nc));
    }

    // --- from_extension ---

    fn subtree(base: GeneralName, minimum: u32, maximum: Option<u32>) -> GeneralSubtree {
        GeneralSubtree {
            base,
            minimum,
            maximum,
        }
    }

    fn ext_with(permitted: Vec<GeneralSubtree>) -> x509_cert::ext::pkix::NameConstraints {
        x509_cert::ext::pkix::NameConstraints {
            permitted_subtrees: Some(permitted),
            excluded_subtrees: None,
        }
    }

    fn ip_name(octets: &[u8]) -> GeneralName {
        match OctetString::new(octets) {
            Ok(o) => GeneralName::IpAddress(o),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn from_extension_refuses_a_maximum() {
        let ext = ext_with(vec![subtree(
            ip_name(&[10, 0, 0, 0, 255, 0, 0, 0]),
            0,
            Some(3),
        )]);
        assert!(matches!(
            NameConstraints::from_extension(&ext),
            Err(NameConstraintError::SubtreeMinMax { .. })
        ));
    }

    #[test]
    fn from_extension_refuses_a_nonzero_minimum() {
        let ext = ext_with(vec![subtree(
            ip_name(&[10, 0, 0, 0, 255, 0, 0, 0]),
            1,
            None,
        )]);
        assert!(matches!(
            NameConstraints::from_extension(&ext),
            Err(NameConstraintError::SubtreeMinMax { .. })
        ));
    }

    #[test]
    fn from_extension_refuses_an_ip_constraint_of_the_wrong_length() {
        let ext = ext_with(vec![subtree(ip_name(&[10, 0, 0, 0]), 0, None)]);
        assert!(matches!(
            NameConstraints::from_extension(&ext),
            Err(NameConstraintError::IpConstraintLength { len: 4, .. })
        ));
    }

    #[test]
    fn from_extension_refuses_a_non_contiguous_mask() {
        let ext = ext_with(vec![subtree(
            ip_name(&[10, 0, 0, 0, 255, 0, 255, 0]),
            0,
            None,
        )]);
        assert!(matches!(
            NameConstraints::from_extension(&ext),
            Err(NameConstraintError::IpMaskNotContiguous { .. })
        ));
    }

    #[test]
    fn from_extension_accepts_host_bits_and_says_how_they_are_read() {
        let ext = ext_with(vec![subtree(
            ip_name(&[10, 0, 0, 1, 255, 0, 0, 0]),
            0,
            None,
        )]);
        let nc = NameConstraints::from_extension(&ext).map_err(|e| e.to_string());
        let lines = nc.map(|nc| nc.describe());
        assert_eq!(
            lines,
            Ok(vec![
                "permitted IP   10.0.0.1/8 (10.0.0.0 to 10.255.255.255; encoded with host bits set, read as 10.0.0.0/8)"
                    .to_string()
            ])
        );
    }

    #[test]
    fn from_extension_refuses_a_registered_id() {
        let ext = ext_with(vec![subtree(
            GeneralName::RegisteredId(const_oid::db::rfc5280::ANY_POLICY),
            0,
            None,
        )]);
        let e = NameConstraints::from_extension(&ext);
        assert!(matches!(
            e,
            Err(NameConstraintError::UnsupportedNameType {
                name_type: "registeredID",
                ..
            })
        ));
    }

    #[test]
    fn from_extension_refuses_a_wildcard_dns_constraint() {
        let wildcard = Ia5String::new("*.example.com").map(GeneralName::DnsName);
        let ext = wildcard.map(|w| ext_with(vec![subtree(w, 0, None)]));
        assert!(matches!(
            ext.map(|e| NameConstraints::from_extension(&e)),
            Ok(Err(NameConstraintError::Wildcard { .. }))
        ));
    }

    // --- describe ---

    #[test]
    fn describe_explains_each_issue_subtree() {
        assert_eq!(
            issue_constraints().describe(),
            vec![
                "permitted DNS  dev.example.com (this name and every name below it)",
                "permitted DNS  .test.example.com (names below test.example.com only, not test.example.com itself)",
                "excluded  DNS  .prod.dev.example.com (names below prod.dev.example.com only, not prod.dev.example.com itself)",
                "excluded  IP   0.0.0.0/0 (every IPv4 address)",
                "excluded  IP   ::/0 (every IPv6 address)",
            ]
        );
    }

    #[test]
    fn describe_shows_ip_ranges_and_single_addresses() {
        let nc = build(&ip(&["10.0.0.0/8", "192.0.2.7/32"]));
        assert_eq!(
            nc.describe(),
            vec![
                "permitted IP   10.0.0.0/8 (10.0.0.0 to 10.255.255.255)",
                "permitted IP   192.0.2.7/32 (this address only)",
            ]
        );
    }

    #[test]
    fn describe_explains_the_three_email_forms() {
        let nc = build(&email(&["ops@example.com", "example.com", ".example.com"]));
        assert_eq!(
            nc.describe(),
            vec![
                "permitted mail ops@example.com (this mailbox only)",
                "permitted mail example.com (every mailbox at this host, not at hosts below it)",
                "permitted mail .example.com (mailboxes at any host below example.com, not at example.com itself)",
            ]
        );
    }

    #[test]
    fn describe_explains_uri_and_dn_constraints() {
        let nc = build(&NameConstraintLists {
            permitted_uri: vec![".example.com".into()],
            excluded_dn: vec!["OU=Prod,O=Example,C=US".into()],
            ..lists()
        });
        assert_eq!(
            nc.describe(),
            vec![
                "permitted URI  .example.com (URIs whose host is below example.com, not example.com itself)",
                "excluded  DN   OU=Prod,O=Example,C=US (this name and every name below it)",
            ]
        );
    }

    // --- TestName parsing ---

    #[test]
    fn test_name_detects_ipv4() {
        assert_eq!(
            name("10.1.2.3"),
            TestName::Ip(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)))
        );
    }

    #[test]
    fn test_name_detects_ipv6() {
        assert!(matches!(name("2001:db8::1"), TestName::Ip(IpAddr::V6(_))));
    }

    #[test]
    fn test_name_detects_email() {
        assert_eq!(
            name("a@example.com"),
            TestName::Email("a@example.com".into())
        );
    }

    #[test]
    fn test_name_detects_uri_even_with_a_user_name() {
        assert!(matches!(name("https://u@x.example.com/"), TestName::Uri(_)));
    }

    #[test]
    fn test_name_detects_dn() {
        assert!(matches!(name("CN=x,O=Example"), TestName::Dn(_)));
    }

    #[test]
    fn test_name_defaults_to_dns_lowercased() {
        assert_eq!(
            name("WWW.Example.com"),
            TestName::Dns("www.example.com".into())
        );
    }

    #[test]
    fn test_name_prefix_forces_the_kind() {
        assert!(matches!(name("dns:example.com"), TestName::Dns(_)));
        assert!(matches!(name("ip:::1"), TestName::Ip(_)));
        assert!(matches!(name("email:a@b.example"), TestName::Email(_)));
        assert!(matches!(name("uri:http://h.example/"), TestName::Uri(_)));
        assert!(matches!(name("DN:CN=a"), TestName::Dn(_)));
    }

    #[test]
    fn test_name_prefix_with_wrong_value_is_refused() {
        assert!(matches!(
            TestName::parse("ip:example.com"),
            Err(NameConstraintError::InvalidTestName { kind: "IP", .. })
        ));
    }

    #[test]
    fn test_name_empty_is_refused() {
        assert_eq!(TestName::parse(""), Err(NameConstraintError::EmptyTestName));
        assert_eq!(
            TestName::parse("dns:"),
            Err(NameConstraintError::EmptyTestName)
        );
    }

    #[test]
    fn test_name_uri_without_host_is_refused() {
        assert!(TestName::parse("uri:mailto:a@example.com").is_err());
        assert!(TestName::parse("file:///etc/passwd").is_err());
    }

    #[test]
    fn test_name_dns_with_trailing_dot_is_refused() {
        assert!(TestName::parse("example.com.").is_err());
    }

    #[test]
    fn test_name_dns_with_invalid_characters_is_refused() {
        assert!(TestName::parse("exa mple.com").is_err());
    }

    #[test]
    fn test_name_displays_its_kind() {
        assert_eq!(name("10.0.0.1").to_string(), "IP address 10.0.0.1");
    }
}
