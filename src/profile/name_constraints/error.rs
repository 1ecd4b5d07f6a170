//! What can be wrong with name constraints, their encoding, or a name to test: where
//! ([`Location`]) and what ([`Problem`]), so that each message names its place once.

use std::fmt;

use super::Kind;
use super::dn::ACCEPTED as DN_ACCEPTED;
use super::email::ACCEPTED as EMAIL_ACCEPTED;
use super::ip::ACCEPTED as IP_ACCEPTED;
use super::uri::ACCEPTED as URI_ACCEPTED;

/// A problem and where it is. Displays as one sentence: the location, then the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at} {problem}")]
pub struct NameConstraintError {
    pub at: Location,
    pub problem: Problem,
}

/// One of the ten lists of `[certificate.name_constraints]`, named as in the ceremony file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    PermittedDns,
    ExcludedDns,
    PermittedIp,
    ExcludedIp,
    PermittedEmail,
    ExcludedEmail,
    PermittedUri,
    ExcludedUri,
    PermittedDn,
    ExcludedDn,
}

impl List {
    pub(super) fn new(kind: Kind, permitted: bool) -> Self {
        match (kind, permitted) {
            (Kind::Dns, true) => List::PermittedDns,
            (Kind::Dns, false) => List::ExcludedDns,
            (Kind::Ip, true) => List::PermittedIp,
            (Kind::Ip, false) => List::ExcludedIp,
            (Kind::Email, true) => List::PermittedEmail,
            (Kind::Email, false) => List::ExcludedEmail,
            (Kind::Uri, true) => List::PermittedUri,
            (Kind::Uri, false) => List::ExcludedUri,
            (Kind::Dn, true) => List::PermittedDn,
            (Kind::Dn, false) => List::ExcludedDn,
        }
    }

    /// The key in the ceremony file, e.g. `permitted_dns`.
    pub fn name(self) -> &'static str {
        match self {
            List::PermittedDns => "permitted_dns",
            List::ExcludedDns => "excluded_dns",
            List::PermittedIp => "permitted_ip",
            List::ExcludedIp => "excluded_ip",
            List::PermittedEmail => "permitted_email",
            List::ExcludedEmail => "excluded_email",
            List::PermittedUri => "permitted_uri",
            List::ExcludedUri => "excluded_uri",
            List::PermittedDn => "permitted_dn",
            List::ExcludedDn => "excluded_dn",
        }
    }

    pub fn is_permitted(self) -> bool {
        match self {
            List::PermittedDns
            | List::PermittedIp
            | List::PermittedEmail
            | List::PermittedUri
            | List::PermittedDn => true,
            List::ExcludedDns
            | List::ExcludedIp
            | List::ExcludedEmail
            | List::ExcludedUri
            | List::ExcludedDn => false,
        }
    }
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a problem is. Entries are numbered from 1 within their list, as an officer counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An entry of a ceremony file's list; `value` as written there.
    Entry {
        list: List,
        entry: usize,
        value: String,
    },
    /// An entry of an existing certificate's extension, numbered per list as in a ceremony
    /// file; `value` is empty when the entry has no text form (an iPAddress).
    ExtensionEntry {
        list: List,
        entry: usize,
        value: String,
    },
    /// A subtree of an existing certificate's extension whose kind rootca does not read,
    /// numbered within its side (permitted or excluded).
    ExtensionSubtree { permitted: bool, position: usize },
    /// A name given to `rootca names --test`, after any kind prefix; empty when none was given.
    TestName { value: String },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entry = |f: &mut fmt::Formatter<'_>, list: &List, entry: &usize, value: &str| {
            write!(f, "{list} entry {entry}")?;
            if value.is_empty() {
                Ok(())
            } else {
                write!(f, " ({value:?})")
            }
        };
        match self {
            Location::Entry {
                list,
                entry: n,
                value,
            } => entry(f, list, n, value),
            Location::ExtensionEntry {
                list,
                entry: n,
                value,
            } => {
                f.write_str("the extension's ")?;
                entry(f, list, n, value)
            }
            Location::ExtensionSubtree {
                permitted,
                position,
            } => {
                let side = if *permitted { "permitted" } else { "excluded" };
                write!(f, "the extension's {side} subtree {position}")
            }
            Location::TestName { value } if value.is_empty() => f.write_str("the name to test"),
            Location::TestName { value } => write!(f, "{value:?}"),
        }
    }
}

/// What is wrong, worded to follow its [`Location`] in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("is empty: write {accepted}")]
    Empty { accepted: &'static str },
    #[error("has spaces around it: remove them; accepted: {accepted}")]
    SurroundingWhitespace { accepted: &'static str },
    #[error("contains a wildcard '*': name constraints have no wildcards; {suggestion}")]
    Wildcard { suggestion: String },
    #[error("ends with a dot: remove the trailing dot; accepted: {accepted}")]
    TrailingDot { accepted: &'static str },
    #[error("is not a valid DNS name: {problem}; accepted: {accepted}")]
    InvalidDnsName {
        problem: String,
        accepted: &'static str,
    },
    #[error("is an IP address, not a DNS name: put it in {ip_list} as {suggestion:?}")]
    IpAddressNotDnsName { ip_list: List, suggestion: String },
    #[error(
        "has no prefix length: add /{max} for this one address (\"{address}/{max}\"), \
         or write the network in CIDR form such as \"10.0.0.0/8\""
    )]
    IpMissingPrefix { address: String, max: u8 },
    #[error("is not a network: {problem}; accepted: {IP_ACCEPTED}")]
    InvalidIpNetwork { problem: String },
    #[error("has prefix length /{prefix}, but an {family} prefix is at most /{max}")]
    IpPrefixTooLong {
        prefix: u32,
        family: &'static str,
        max: u8,
    },
    #[error("has bits set beyond the /{prefix} prefix: did you mean the network {network:?}?")]
    IpHostBitsSet { prefix: u8, network: String },
    #[error("is not a valid email constraint: {problem}; accepted: {EMAIL_ACCEPTED}")]
    InvalidEmail { problem: String },
    #[error(
        "has a scheme: URI constraints name a host, not a URI; \
         write {host:?} (this host) or \".{host}\" (hosts below it)"
    )]
    UriHasScheme { host: String },
    #[error(
        "has a {part}: URI constraints name a host only \
         and apply to every {part} on it; accepted: {URI_ACCEPTED}"
    )]
    UriHasExtraPart { part: &'static str },
    #[error("is not a distinguished name: {problem}; accepted: {DN_ACCEPTED}")]
    InvalidDn { problem: String },
    #[error("repeats entry {first_entry}{note}: remove one of them")]
    Duplicate {
        first_entry: usize,
        note: &'static str,
    },
    /// At a permitted entry that an excluded entry cancels.
    #[error(
        "is also {excluded_list} entry {excluded_entry}: excluded always wins, \
         so the permitted entry would permit nothing; remove one of them"
    )]
    AlsoExcluded {
        excluded_list: List,
        excluded_entry: usize,
    },
    #[error(
        "is a {name_type}: rootca reads only dNSName, iPAddress, rfc822Name, \
         uniformResourceIdentifier and directoryName constraints"
    )]
    UnsupportedNameType { name_type: &'static str },
    #[error(
        "sets minimum {minimum} / maximum {maximum}: RFC 5280 requires minimum 0 and \
         no maximum (OpenSSL rejects any other value)"
    )]
    SubtreeMinMax { minimum: u32, maximum: String },
    #[error(
        "is {len} octets: an iPAddress constraint is 8 octets (IPv4 address and mask) or 32 (IPv6)"
    )]
    IpConstraintLength { len: usize },
    #[error("has mask {mask} whose one bits are not contiguous, so it is no CIDR network")]
    IpMaskNotContiguous { mask: String },
    #[error(
        "is empty: give a DNS name, an IP address, an email address, a URI or a DN, \
         optionally prefixed by dns:, ip:, email:, uri: or dn:, or a subject CN prefixed by cn:"
    )]
    NoTestName,
    #[error("is not a valid {kind} name to test: {problem}")]
    InvalidTestName { kind: &'static str, problem: String },
    /// An email address to test that an SMTP server would not take as a mailbox: OpenSSL
    /// would judge only what follows its last '@', which says nothing useful.
    #[error("is not an email address (an RFC 5321 mailbox, local-part@domain): {problem}")]
    NotAMailbox { problem: String },
}
