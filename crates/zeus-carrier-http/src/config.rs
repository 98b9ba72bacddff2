//! Configuration of the Secure Link client, the wire-level defaults the
//! CGI receiver starts from, and the gateway URL rules.

use std::net::IpAddr;
use std::time::Duration;

use zeus_carrier_core::callback::ClientIp;
use zeus_carrier_core::secure_link::Zkey;

/// The default time to open a connection to the gateway.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time for a whole Secure Link call (connect, send, read the
/// answer); after it the outcome is unknown (R-RS-3, INTERFACES §3).
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// The default path of the CGI receiver (INTERFACES §3).
pub const DEFAULT_CALLBACK_PATH: &str = "/zeus/carrier/callback";

/// The default bound on a CGI call's query string, in bytes. The eleven
/// parameters at their longest, percent-encoded three bytes per byte, stay
/// well under it.
pub const DEFAULT_MAX_QUERY_BYTES: usize = 8 * 1024;

/// The default bound on a CGI call's form body (CGI by POST), in bytes: the
/// same parameters as a query, so the same bound.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024;

/// A configuration that cannot work. Every variant names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The gateway URL does not parse.
    #[error("gateway URL {url:?} does not parse: {reason}")]
    BadGatewayUrl {
        /// The URL as given.
        url: String,
        /// The parser's message.
        reason: String,
    },
    /// Plain `http` to a host that is not loopback: the zkey would travel in
    /// clear text. Only `https` (TLS ≥ 1.2) is allowed, or `http` to
    /// 127.0.0.0/8, `::1` or `localhost` (a local sandbox).
    #[error(
        "gateway URL {url:?}: plain http is allowed only to a loopback host (127.0.0.0/8, ::1, localhost); use https"
    )]
    InsecureGatewayUrl {
        /// The URL as given.
        url: String,
    },
    /// A scheme other than `http` or `https`.
    #[error("gateway URL {url:?}: scheme must be https")]
    UnsupportedScheme {
        /// The URL as given.
        url: String,
    },
    /// The IP code is not ten digits.
    #[error("clientip {clientip:?} must be exactly 10 half-width digits (SPEC §4)")]
    BadClientIp {
        /// The value as given.
        clientip: String,
    },
    /// The zkey is not 1–40 printable ASCII characters (the value is never
    /// shown).
    #[error("zkey must be 1 to 40 printable ASCII characters (SPEC §5); value not shown")]
    BadZkey,
    /// A zero timeout.
    #[error("{which} timeout must be greater than zero")]
    ZeroTimeout {
        /// `connect` or `total`.
        which: &'static str,
    },
    /// The HTTP client could not be built (TLS backend).
    #[error("HTTP client: {reason}")]
    HttpClient {
        /// The builder's message.
        reason: String,
    },
}

/// How the Secure Link client reaches the gateway (SPEC §5–§7).
///
/// `Debug` never shows the zkey (it prints `Zkey(***)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The gateway's base URL, e.g. `https://linkpt.cardservice.co.jp`; the
    /// client appends `/cgi-bin/carrier/secure.cgi`.
    pub gateway_url: String,
    /// The merchant's IP code (ten digits).
    pub clientip: String,
    /// The merchant's authentication key (secret).
    pub zkey: Zkey,
    /// Time to open the connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time for the whole call; after it the outcome is unknown (default
    /// 30 s, R-RS-3).
    pub total_timeout: Duration,
}

impl ClientConfig {
    /// A configuration with the default timeouts.
    pub fn new(gateway_url: impl Into<String>, clientip: impl Into<String>, zkey: Zkey) -> Self {
        ClientConfig {
            gateway_url: gateway_url.into(),
            clientip: clientip.into(),
            zkey,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
        }
    }
}

/// Whether a URL host is loopback: 127.0.0.0/8, `::1` or `localhost`.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).to_canonical().is_loopback(),
    }
}

/// Parses and checks a gateway base URL: `https`, or `http` to a loopback
/// host. A trailing `/` is dropped.
pub fn check_gateway_url(url: &str) -> Result<reqwest::Url, ConfigError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| ConfigError::BadGatewayUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            if !parsed.host().as_ref().is_some_and(is_loopback_host) {
                return Err(ConfigError::InsecureGatewayUrl {
                    url: url.to_owned(),
                });
            }
        }
        _ => {
            return Err(ConfigError::UnsupportedScheme {
                url: url.to_owned(),
            });
        }
    }
    if parsed.host().is_none() || parsed.cannot_be_a_base() {
        return Err(ConfigError::BadGatewayUrl {
            url: url.to_owned(),
            reason: "no host".to_owned(),
        });
    }
    Ok(parsed)
}

/// Joins the gateway base URL and a path such as `/cgi-bin/carrier/secure.cgi`
/// (a path in the base URL is kept; its query and fragment are dropped).
pub fn join_path(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Checks an IP code: exactly ten digits (the core's rule).
pub(crate) fn check_clientip(clientip: &str) -> Result<(), ConfigError> {
    ClientIp::parse(clientip)
        .map(|_| ())
        .map_err(|_| ConfigError::BadClientIp {
            clientip: clientip.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for ok in [
            "https://gateway.example.invalid",
            "https://gateway.example.invalid/",
            "http://127.0.0.1:8931",
            "http://127.9.9.9",
            "http://[::1]:8931",
            "http://localhost:8931/",
        ] {
            assert!(check_gateway_url(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn plain_http_elsewhere_is_a_typed_error() {
        for bad in [
            "http://gateway.example.invalid",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.evil.example",
        ] {
            assert!(
                matches!(
                    check_gateway_url(bad),
                    Err(ConfigError::InsecureGatewayUrl { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            check_gateway_url("ftp://127.0.0.1"),
            Err(ConfigError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            check_gateway_url("not a url"),
            Err(ConfigError::BadGatewayUrl { .. })
        ));
    }

    #[test]
    fn join_keeps_a_base_path() {
        let base = check_gateway_url("http://127.0.0.1:1/prefix/").expect("url");
        assert_eq!(
            join_path(&base, "/cgi-bin/carrier/secure.cgi").as_str(),
            "http://127.0.0.1:1/prefix/cgi-bin/carrier/secure.cgi"
        );
    }

    #[test]
    fn client_config_debug_hides_the_zkey() {
        let c = ClientConfig::new("https://x.invalid", "1234567890", Zkey::new("hunter2-zkey"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("Zkey(***)"));
    }
}
