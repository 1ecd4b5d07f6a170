//! IP addresses: iPAddress constraints (a network: address and mask) and addresses to test.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Strictness;
use super::error::Problem;

pub(super) const ACCEPTED: &str =
    "a network in CIDR form such as \"10.0.0.0/8\" or \"2001:db8::/32\"";

/// An IP network as a name constraint: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IpNet {
    /// As written or encoded; host bits are zero for anything from a ceremony file.
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub(super) fn max_prefix(addr: IpAddr) -> u8 {
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
        let masked: Vec<u8> = octets(self.addr)
            .iter()
            .zip(self.mask())
            .map(|(a, m)| a & m)
            .collect();
        octets_to_ip(&masked).unwrap_or(self.addr)
    }

    fn last(&self) -> IpAddr {
        let last: Vec<u8> = octets(self.addr)
            .iter()
            .zip(self.mask())
            .map(|(a, m)| (a & m) | !m)
            .collect();
        octets_to_ip(&last).unwrap_or(self.addr)
    }

    fn has_host_bits(&self) -> bool {
        self.network() != self.addr
    }

    /// The same network, however written (for duplicate and overlap checks).
    pub(super) fn same_as(&self, other: &IpNet) -> bool {
        self.network() == other.network() && self.prefix == other.prefix
    }

    /// OpenSSL's `nc_ip`: same family, and equal under the mask. IPv4 never matches IPv6,
    /// not even an IPv4-mapped IPv6 address.
    pub(super) fn contains(&self, ip: IpAddr) -> bool {
        let (ours, theirs) = (octets(self.addr), octets(ip));
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(&theirs)
                .zip(self.mask())
                .all(|((a, b), m)| a & m == b & m)
    }

    /// The iPAddress constraint encoding: address octets followed by mask octets.
    pub(super) fn constraint_octets(&self) -> Vec<u8> {
        let mut out = octets(self.addr);
        out.extend(self.mask());
        out
    }

    /// What the network covers, in words, for `describe`.
    pub(super) fn meaning(&self) -> String {
        let family = match self.addr {
            IpAddr::V4(_) => "IPv4",
            IpAddr::V6(_) => "IPv6",
        };
        let range = if self.prefix == 0 {
            format!("every {family} address")
        } else if self.prefix == IpNet::max_prefix(self.addr) {
            "this address only".to_string()
        } else {
            format!("{} to {}", self.network(), self.last())
        };
        if self.has_host_bits() {
            format!(
                "{range}; encoded with host bits set, read as {}/{}",
                self.network(),
                self.prefix
            )
        } else {
            range
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn octets(ip: IpAddr) -> Vec<u8> {
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

/// A network in CIDR form. A ceremony file must not set host bits (it is a typo more often
/// than not); an existing certificate may, and OpenSSL reads such a network masked.
pub(super) fn parse_constraint(value: &str, strictness: Strictness) -> Result<IpNet, Problem> {
    let invalid = |problem: String| Problem::InvalidIpNetwork { problem };
    let Some((addr_text, prefix_text)) = value.split_once('/') else {
        return match value.parse::<IpAddr>() {
            Ok(ip) => Err(Problem::IpMissingPrefix {
                address: value.to_string(),
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
        // All digits, so the only failure is overflow: too long either way.
        prefix_text.parse().unwrap_or(u32::MAX)
    } else {
        return Err(invalid(format!(
            "the prefix length {prefix_text:?} is not a number from 0 to {max}"
        )));
    };
    let prefix = match u8::try_from(prefix) {
        Ok(p) if p <= max => p,
        _ => {
            return Err(Problem::IpPrefixTooLong {
                prefix,
                family: if max == 32 { "IPv4" } else { "IPv6" },
                max,
            });
        }
    };
    let net = IpNet { addr, prefix };
    if strictness == Strictness::Ceremony && net.has_host_bits() {
        return Err(Problem::IpHostBitsSet {
            prefix,
            network: format!("{}/{}", net.network(), prefix),
        });
    }
    Ok(net)
}

/// An iPAddress constraint as encoded: 8 octets (IPv4 address and mask) or 32 (IPv6), with a
/// contiguous mask.
pub(super) fn from_octets(octets: &[u8]) -> Result<IpNet, Problem> {
    let half = octets.len() / 2;
    let (addr_octets, mask) = octets.split_at(half);
    let addr = match octets.len() {
        8 | 32 => octets_to_ip(addr_octets),
        _ => None,
    };
    let Some(addr) = addr else {
        return Err(Problem::IpConstraintLength { len: octets.len() });
    };
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    let prefix = u8::try_from(ones).unwrap_or(u8::MAX);
    let net = IpNet { addr, prefix };
    if net.mask() != mask {
        return Err(Problem::IpMaskNotContiguous {
            mask: hex::encode(mask),
        });
    }
    Ok(net)
}

/// An address to test.
pub(super) fn parse_test_name(value: &str) -> Result<IpAddr, String> {
    value
        .parse::<IpAddr>()
        .map_err(|_| "not an IPv4 or IPv6 address".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        match parse_constraint(text, Strictness::Ceremony) {
            Ok(n) => n,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn ip(text: &str) -> IpAddr {
        match text.parse() {
            Ok(ip) => ip,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    /// (presented address, constraint, is the address inside the network).
    const PRESENTED_WITHIN_CONSTRAINT: &[(&str, &str, bool)] = &[
        ("10.255.1.2", "10.0.0.0/8", true),
        ("10.0.0.0", "10.0.0.0/8", true),
        ("11.0.0.1", "10.0.0.0/8", false),
        ("9.255.255.255", "10.0.0.0/8", false),
        ("192.0.2.7", "192.0.2.7/32", true),
        ("192.0.2.8", "192.0.2.7/32", false),
        // A prefix that ends inside an octet.
        ("192.0.2.200", "192.0.2.128/25", true),
        ("192.0.2.127", "192.0.2.128/25", false),
        ("203.0.113.9", "0.0.0.0/0", true),
        // Families never mix, not even through an IPv4-mapped address.
        ("::ffff:10.0.0.1", "0.0.0.0/0", false),
        ("10.0.0.1", "::/0", false),
        ("2001:db8::1", "::/0", true),
        ("2001:db8:ffff::1", "2001:db8::/32", true),
        ("2001:db9::1", "2001:db8::/32", false),
        ("fd00::1", "fd00::/8", true),
        ("fe80::1", "fd00::/8", false),
    ];

    #[test]
    fn presented_addresses_lie_within_networks_as_in_openssl() {
        for &(presented, constraint, expected) in PRESENTED_WITHIN_CONSTRAINT {
            assert_eq!(
                net(constraint).contains(ip(presented)),
                expected,
                "{presented} in {constraint}"
            );
        }
    }

    /// (constraint entry, a phrase of the problem).
    const REFUSED: &[(&str, &str)] = &[
        (
            "10.0.0.0/33",
            "has prefix length /33, but an IPv4 prefix is at most /32",
        ),
        ("2001:db8::/129", "but an IPv6 prefix is at most /128"),
        ("10.0.0.0/99999999999999999999", "at most /32"),
        ("10.0.0.1/8", "did you mean the network \"10.0.0.0/8\"?"),
        (
            "2001:db8::1/32",
            "did you mean the network \"2001:db8::/32\"?",
        ),
        (
            "192.0.2.7",
            "add /32 for this one address (\"192.0.2.7/32\")",
        ),
        ("2001:db8::7", "add /128"),
        ("ten/8", "is not an IPv4 or IPv6 address"),
        ("ten", "neither an address nor a network"),
        (
            "10.0.0.0/",
            "the prefix length \"\" is not a number from 0 to 32",
        ),
        ("10.0.0.0/+8", "is not a number"),
        ("010.0.0.0/8", "without leading zeros"),
    ];

    #[test]
    fn malformed_networks_are_refused_saying_why() {
        for &(entry, says) in REFUSED {
            match parse_constraint(entry, Strictness::Ceremony) {
                Ok(n) => panic!("{entry} accepted as {n}"),
                Err(p) => assert!(p.to_string().contains(says), "{entry}: {p}"),
            }
        }
    }

    #[test]
    fn an_existing_certificate_may_set_host_bits() {
        assert!(parse_constraint("10.0.0.1/8", Strictness::Existing).is_ok());
    }

    #[test]
    fn the_same_network_spelled_twice_is_the_same() {
        assert!(net("::/0").same_as(&net("0::/0")));
        assert!(!net("10.0.0.0/8").same_as(&net("10.0.0.0/16")));
    }

    #[test]
    fn networks_are_displayed_canonically() {
        assert_eq!(net("0::/0").to_string(), "::/0");
    }

    /// (encoded constraint, the network it reads as, or a phrase of the problem).
    const ENCODED: &[(&[u8], Result<&str, &str>)] = &[
        (&[10, 0, 0, 0, 255, 0, 0, 0], Ok("10.0.0.0/8")),
        (&[10, 0, 0, 1, 255, 0, 0, 0], Ok("10.0.0.1/8")),
        (&[0; 8], Ok("0.0.0.0/0")),
        (&[0; 32], Ok("::/0")),
        (&[10, 0, 0, 0], Err("is 4 octets")),
        (&[], Err("is 0 octets")),
        (&[10, 0, 0, 0, 255, 0, 255, 0], Err("has mask ff00ff00")),
    ];

    #[test]
    fn encoded_constraints_are_read_with_their_prefix_or_refused() {
        for &(octets, expected) in ENCODED {
            match (from_octets(octets), expected) {
                (Ok(n), Ok(want)) => assert_eq!(n.to_string(), want, "{octets:?}"),
                (Err(p), Err(says)) => assert!(p.to_string().contains(says), "{octets:?}: {p}"),
                (got, want) => panic!("{octets:?}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn constraint_octets_are_address_then_mask() {
        assert_eq!(
            net("10.0.0.0/8").constraint_octets(),
            vec![10, 0, 0, 0, 255, 0, 0, 0]
        );
    }

    /// (network, what `describe` says it covers).
    const MEANINGS: &[(&str, &str)] = &[
        ("0.0.0.0/0", "every IPv4 address"),
        ("::/0", "every IPv6 address"),
        ("10.0.0.0/8", "10.0.0.0 to 10.255.255.255"),
        ("192.0.2.7/32", "this address only"),
        (
            "2001:db8::/32",
            "2001:db8:: to 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        ),
    ];

    #[test]
    fn meanings_say_the_range_covered() {
        for &(network, says) in MEANINGS {
            assert_eq!(net(network).meaning(), says, "{network}");
        }
    }

    #[test]
    fn test_names_must_be_addresses() {
        assert!(parse_test_name("10.1.2.3").is_ok());
        assert!(parse_test_name("2001:db8::1").is_ok());
        assert!(parse_test_name("10.0.0.0/8").is_err());
        assert!(parse_test_name("example.com").is_err());
    }
}
