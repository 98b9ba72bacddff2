//! Where a CGI call comes from: the socket peer, or — only behind a proxy
//! the merchant trusts — the right-most untrusted `X-Forwarded-For` hop; and
//! whether that address is on the allowlist (R-CG-5).
//!
//! # Decisions
//! - `X-Forwarded-For` is read only when the socket peer itself is in
//!   `trusted_proxies`. Anyone can write the header, so from any other peer
//!   it is ignored.
//! - Behind a trusted proxy, the hops are read from the right; trusted
//!   proxies are skipped and the first untrusted hop is the source. When
//!   every hop is trusted, the left-most one is the source. A peer that is a
//!   trusted proxy but sends no header is itself the source.
//! - A hop that is not an IP address (a name, `unknown`, garbage) makes the
//!   source unknown, and an unknown source is refused (fail closed). A port
//!   (`203.0.113.9:5678`, `[::1]:80`) is tolerated and dropped.
//! - IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are compared as IPv4.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// Why the source address of a request could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A hop of `X-Forwarded-For` is not an IP address.
    #[error("X-Forwarded-For hop {hop:?} is not an IP address")]
    BadForwardedHop {
        /// The hop as sent (at most 64 characters of it).
        hop: String,
    },
    /// The `X-Forwarded-For` header is not visible ASCII.
    #[error("X-Forwarded-For is not ASCII text")]
    BadForwardedHeader,
}

/// Normalises an address for comparison: IPv4-mapped IPv6 becomes IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Whether `ip` is inside one of `nets`.
pub fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    nets.iter().any(|n| n.contains(&ip))
}

/// Parses one `X-Forwarded-For` hop: an IPv4 or IPv6 address, optionally
/// with a port (`203.0.113.9:80`, `[::1]:80`) or brackets (`[::1]`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = hop.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
}

/// The source address of a request arriving from `peer` with the given
/// `X-Forwarded-For` header values (in the order received; several headers
/// count as one comma-separated list). See the module docs for the rules;
/// [`resolve`] also says whether a header was ignored.
pub fn resolve_source(
    peer: IpAddr,
    forwarded_for: &[&[u8]],
    trusted_proxies: &[IpNet],
) -> Result<IpAddr, SourceError> {
    resolve(peer, forwarded_for, trusted_proxies).map(|r| r.source)
}

/// Where a request came from ([`resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The source address.
    pub source: IpAddr,
    /// The request carried `X-Forwarded-For` from a peer that is not a
    /// trusted proxy, so the header was ignored: a forgery, or a reverse
    /// proxy the merchant forgot to trust (worth a log line).
    pub forwarded_ignored: bool,
}

/// [`resolve_source`], saying also whether `X-Forwarded-For` was ignored.
pub fn resolve(
    peer: IpAddr,
    forwarded_for: &[&[u8]],
    trusted_proxies: &[IpNet],
) -> Result<Resolved, SourceError> {
    let peer = canonical(peer);
    if !contains(trusted_proxies, peer) {
        return Ok(Resolved {
            source: peer,
            forwarded_ignored: !forwarded_for.is_empty(),
        });
    }
    let mut hops = Vec::new();
    for value in forwarded_for {
        let text = std::str::from_utf8(value).map_err(|_| SourceError::BadForwardedHeader)?;
        if !text
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            return Err(SourceError::BadForwardedHeader);
        }
        hops.extend(text.split(',').map(str::trim).filter(|h| !h.is_empty()));
    }
    let mut source = peer;
    for hop in hops.iter().rev() {
        let ip = parse_hop(hop)
            .map(canonical)
            .ok_or_else(|| SourceError::BadForwardedHop {
                hop: hop.chars().take(64).collect(),
            })?;
        source = ip;
        if !contains(trusted_proxies, ip) {
            break;
        }
    }
    Ok(Resolved {
        source,
        forwarded_ignored: false,
    })
}

/// The default CGI source allowlist: loopback only, `127.0.0.1/32` and
/// `::1/128` (INTERFACES §3). The gateway's real addresses are never shipped
/// (D-8): the merchant configures them.
pub fn default_allowlist() -> Vec<IpNet> {
    vec![
        IpNet::from(IpAddr::from([127, 0, 0, 1])),
        IpNet::from(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn nets(v: &[&str]) -> Vec<IpNet> {
        v.iter().map(|s| s.parse().expect("test net")).collect()
    }

    #[test]
    fn r_cg_5_xff_is_ignored_from_an_untrusted_peer() {
        let got = resolve_source(ip("203.0.113.9"), &[b"127.0.0.1"], &[]).expect("source");
        assert_eq!(got, ip("203.0.113.9"));
        let got = resolve_source(ip("203.0.113.9"), &[b"127.0.0.1"], &nets(&["10.0.0.0/8"]))
            .expect("source");
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn r_cg_5_resolve_says_when_a_forwarded_header_was_ignored() {
        let trusted = nets(&["10.0.0.0/8"]);
        let r = |peer: &str, xff: &[&[u8]]| resolve(ip(peer), xff, &trusted).expect("source");
        // From a peer that is not trusted: ignored, and said.
        let got = r("203.0.113.9", &[b"192.0.2.5"]);
        assert_eq!(
            (got.source, got.forwarded_ignored),
            (ip("203.0.113.9"), true)
        );
        // No header: nothing was ignored.
        let got = r("203.0.113.9", &[]);
        assert_eq!(
            (got.source, got.forwarded_ignored),
            (ip("203.0.113.9"), false)
        );
        // From a trusted proxy (IPv4-mapped too): read, not ignored.
        for peer in ["10.0.0.2", "::ffff:10.0.0.2"] {
            let got = r(peer, &[b"192.0.2.5"]);
            assert_eq!(
                (got.source, got.forwarded_ignored),
                (ip("192.0.2.5"), false)
            );
        }
    }

    #[test]
    fn r_cg_5_trusted_proxy_takes_the_rightmost_untrusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve_source(
            ip("10.0.0.2"),
            &[b"127.0.0.1, 198.51.100.7", b"10.0.0.5"],
            &trusted,
        )
        .expect("source");
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn r_cg_5_all_trusted_hops_give_the_leftmost() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got =
            resolve_source(ip("10.0.0.2"), &[b"10.1.1.1, 10.2.2.2"], &trusted).expect("source");
        assert_eq!(got, ip("10.1.1.1"));
        let got = resolve_source(ip("10.0.0.2"), &[], &trusted).expect("source");
        assert_eq!(got, ip("10.0.0.2"));
    }

    #[test]
    fn r_cg_5_garbage_hop_is_an_error_and_ports_are_dropped() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert!(matches!(
            resolve_source(ip("10.0.0.2"), &[b"unknown"], &trusted),
            Err(SourceError::BadForwardedHop { .. })
        ));
        assert_eq!(
            resolve_source(ip("10.0.0.2"), &[b"[::1]:8080"], &trusted).expect("source"),
            ip("::1")
        );
        assert_eq!(
            resolve_source(ip("10.0.0.2"), &[b"192.0.2.1:443"], &trusted).expect("source"),
            ip("192.0.2.1")
        );
        assert!(resolve_source(ip("10.0.0.2"), &[&[0xff, 0x31]], &trusted).is_err());
    }

    #[test]
    fn mapped_ipv6_matches_ipv4_nets() {
        assert!(contains(&default_allowlist(), ip("::ffff:127.0.0.1")));
        assert!(contains(&default_allowlist(), ip("::1")));
        assert!(!contains(&default_allowlist(), ip("127.0.0.2")));
    }
}
