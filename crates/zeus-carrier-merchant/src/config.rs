//! [`MerchantConfig`]: every setting of the merchant side, stated once and
//! checked once.
//!
//! One builder collects the settings; [`MerchantConfigBuilder::build`]
//! checks the combination and returns a typed [`ConfigError`] naming the
//! field and the rule. The built value is immutable and cheap to clone:
//! the facade ([`crate::Merchant`]), its Secure Link client, the CGI
//! [`crate::Receiver`] and (feature `axum`) the routers are all built from
//! it, so the IP code, the charset, the signing key and the clock cannot
//! disagree between them.
//!
//! | field | default | rule checked by `build` |
//! |---|---|---|
//! | `clientip` | (required) | ten digits (a [`ClientIp`]) |
//! | `zkey` | (required) | 1–40 printable ASCII characters (SPEC §5) |
//! | `gateway_url` | [`DEFAULT_GATEWAY_URL`] | `https`, or `http` to a loopback host (the sandbox) |
//! | `allow` | loopback only, **and only with a loopback gateway** | with a gateway URL that is not loopback, an explicit allowlist is required: the gateway's addresses come with the merchant's contract (R-CG-5, D-8) |
//! | `trusted_proxies` | none | only these peers' `X-Forwarded-For` counts |
//! | `charset` | Shift_JIS (D-3) | — |
//! | `signing_key` | none | not empty |
//! | `unknown_sendid` | [`UnknownSendId::Flag`] | — |
//! | `clock` | the system clock | — |
//! | `gateway_timeout` | 30 s | greater than zero |
//! | `connect_timeout` | 10 s | greater than zero, at most `gateway_timeout` |
//! | `lock_hold` | 120 s | greater than `gateway_timeout` (else a second settle of the order could start while the first is still waiting for the gateway) |
//! | `callback_path` | `/zeus/carrier/callback` | starts with `/`, only `A-Z a-z 0-9 / - _ . ~` |
//! | `max_query_bytes`, `max_body_bytes` | 8 KiB | greater than zero |

use std::sync::Arc;
use std::time::Duration;

use zeus_carrier_core::Charset;
use zeus_carrier_core::link_point::ORDER_CGI_PATH;
use zeus_carrier_core::merchant::UnknownSendId;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_http::config::{
    DEFAULT_CALLBACK_PATH, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_QUERY_BYTES, DEFAULT_TOTAL_TIMEOUT, check_gateway_url,
};
use zeus_carrier_http::{ClientConfig, Clock, IpNet, SigningKey};

/// The gateway's production Link Point host (SPEC §1).
pub const DEFAULT_GATEWAY_URL: &str = "https://linkpt.cardservice.co.jp";

/// The default time a settle or cancel may hold its order's operation lock.
pub const DEFAULT_LOCK_HOLD: Duration = Duration::from_secs(120);

/// The merchant's settings, checked ([`MerchantConfig::builder`]). Cheap to
/// clone; `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct MerchantConfig(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    clientip: ClientIp,
    zkey: Zkey,
    gateway_url: String,
    loopback_gateway: bool,
    allow: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
    charset: Charset,
    signing_key: Option<SigningKey>,
    unknown_sendid: UnknownSendId,
    clock: Clock,
    gateway_timeout: Duration,
    connect_timeout: Duration,
    lock_hold: Duration,
    callback_path: String,
    max_query_bytes: usize,
    max_body_bytes: usize,
}

/// Collects the settings; [`MerchantConfigBuilder::build`] checks them.
#[derive(Debug, Clone)]
#[must_use]
pub struct MerchantConfigBuilder {
    clientip: ClientIp,
    zkey: Zkey,
    gateway_url: String,
    allow: Option<Vec<IpNet>>,
    trusted_proxies: Vec<IpNet>,
    charset: Charset,
    signing_key: Option<SigningKey>,
    unknown_sendid: UnknownSendId,
    clock: Clock,
    gateway_timeout: Duration,
    connect_timeout: Duration,
    lock_hold: Duration,
    callback_path: String,
    max_query_bytes: usize,
    max_body_bytes: usize,
}

impl MerchantConfig {
    /// Starts a configuration for the merchant `clientip` with its Secure
    /// Link key; every other setting has the default of the module docs.
    ///
    /// ```
    /// use zeus_carrier_core::{ClientIp, secure_link::Zkey};
    /// use zeus_carrier_merchant::{ConfigError, MerchantConfig};
    /// let clientip = ClientIp::parse("1234567890")?;
    /// // The production gateway with no allowlist: refused, naming the field.
    /// let err = MerchantConfig::builder(clientip.clone(), Zkey::new("zkey")).build().unwrap_err();
    /// assert_eq!(err.field(), "allow");
    /// let config = MerchantConfig::builder(clientip, Zkey::new("zkey"))
    ///     .allow(["192.0.2.0/28".parse()?]) // the gateway's addresses, from the contract
    ///     .build()?;
    /// assert_eq!(config.order_url(), "https://linkpt.cardservice.co.jp/cgi-bin/carrier/order.cgi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(clientip: ClientIp, zkey: Zkey) -> MerchantConfigBuilder {
        MerchantConfigBuilder {
            clientip,
            zkey,
            gateway_url: DEFAULT_GATEWAY_URL.to_owned(),
            allow: None,
            trusted_proxies: Vec::new(),
            charset: Charset::ShiftJis,
            signing_key: None,
            unknown_sendid: UnknownSendId::Flag,
            clock: Clock::system(),
            gateway_timeout: DEFAULT_TOTAL_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            lock_hold: DEFAULT_LOCK_HOLD,
            callback_path: DEFAULT_CALLBACK_PATH.to_owned(),
            max_query_bytes: DEFAULT_MAX_QUERY_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// The merchant's IP code.
    pub fn clientip(&self) -> &ClientIp {
        &self.0.clientip
    }

    /// The gateway's base URL, without a trailing `/`.
    pub fn gateway_url(&self) -> &str {
        &self.0.gateway_url
    }

    /// Whether the gateway URL's host is loopback (a local sandbox).
    pub fn loopback_gateway(&self) -> bool {
        self.0.loopback_gateway
    }

    /// Where order forms post to: the gateway's `order.cgi`.
    pub fn order_url(&self) -> String {
        format!("{}{ORDER_CGI_PATH}", self.0.gateway_url)
    }

    /// The CGI source allowlist (R-CG-5).
    pub fn allow(&self) -> &[IpNet] {
        &self.0.allow
    }

    /// The reverse proxies whose `X-Forwarded-For` counts.
    pub fn trusted_proxies(&self) -> &[IpNet] {
        &self.0.trusted_proxies
    }

    /// The charset of order forms and CGI calls (D-3).
    pub fn charset(&self) -> Charset {
        self.0.charset
    }

    /// The key that signs each checkout's `sendpoint`, if any.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.0.signing_key.as_ref()
    }

    /// What happens to a CGI call whose `sendid` has no saved checkout.
    pub fn unknown_sendid(&self) -> UnknownSendId {
        self.0.unknown_sendid
    }

    /// The clock every part reads.
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// The time for a whole Secure Link call (after it: `unknown`).
    pub fn gateway_timeout(&self) -> Duration {
        self.0.gateway_timeout
    }

    /// How long a settle or cancel may hold its order's operation lock.
    pub fn lock_hold(&self) -> Duration {
        self.0.lock_hold
    }

    /// The path the gateway's CGI calls arrive on.
    pub fn callback_path(&self) -> &str {
        &self.0.callback_path
    }

    /// The largest CGI query accepted, in bytes (larger → 414).
    pub fn max_query_bytes(&self) -> usize {
        self.0.max_query_bytes
    }

    /// The largest CGI form body accepted, in bytes (larger → 413).
    pub fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes
    }

    /// The Secure Link client's configuration, from the same values.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new(
            self.0.gateway_url.clone(),
            self.0.clientip.as_str(),
            self.0.zkey.clone(),
        );
        c.total_timeout = self.0.gateway_timeout;
        c.connect_timeout = self.0.connect_timeout;
        c
    }
}

impl MerchantConfigBuilder {
    /// The gateway's base URL (default [`DEFAULT_GATEWAY_URL`]; a sandbox's
    /// `http://127.0.0.1:PORT` in tests).
    pub fn gateway_url(mut self, url: impl Into<String>) -> Self {
        self.gateway_url = url.into();
        self
    }

    /// The CGI source allowlist: the gateway's addresses from the
    /// merchant's contract. Required when the gateway URL is not loopback.
    pub fn allow(mut self, nets: impl IntoIterator<Item = IpNet>) -> Self {
        self.allow = Some(nets.into_iter().collect());
        self
    }

    /// The reverse proxies whose `X-Forwarded-For` counts (default none).
    pub fn trusted_proxies(mut self, nets: impl IntoIterator<Item = IpNet>) -> Self {
        self.trusted_proxies = nets.into_iter().collect();
        self
    }

    /// The charset of order forms and CGI calls (default Shift_JIS).
    pub fn charset(mut self, charset: Charset) -> Self {
        self.charset = charset;
        self
    }

    /// Signs each checkout's `sendpoint` and requires the signature on CGI
    /// calls ([`zeus_carrier_http::signing`]).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// What happens to a CGI call whose `sendid` has no saved checkout
    /// (default [`UnknownSendId::Flag`]).
    pub fn unknown_sendid(mut self, policy: UnknownSendId) -> Self {
        self.unknown_sendid = policy;
        self
    }

    /// The clock every part reads (default the system clock; a sandbox's
    /// test clock in tests).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The time for a whole Secure Link call (default 30 s).
    pub fn gateway_timeout(mut self, timeout: Duration) -> Self {
        self.gateway_timeout = timeout;
        self
    }

    /// The time to open a connection to the gateway (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a settle or cancel may hold its order's operation lock
    /// (default 120 s; must exceed the gateway timeout).
    pub fn lock_hold(mut self, hold: Duration) -> Self {
        self.lock_hold = hold;
        self
    }

    /// The path the gateway's CGI calls arrive on (default
    /// `/zeus/carrier/callback`). [`MerchantConfigBuilder::build`] checks
    /// its form only: it cannot know the shop's other routes, so pick a
    /// path no other route of the app answers (serve refuses the paths of
    /// its own routes).
    pub fn callback_path(mut self, path: impl Into<String>) -> Self {
        self.callback_path = path.into();
        self
    }

    /// The largest CGI query accepted, in bytes (default 8 KiB).
    pub fn max_query_bytes(mut self, max: usize) -> Self {
        self.max_query_bytes = max;
        self
    }

    /// The largest CGI form body accepted, in bytes (default 8 KiB).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Checks every setting and the combination (see the module docs).
    pub fn build(self) -> Result<MerchantConfig, ConfigError> {
        let url = check_gateway_url(&self.gateway_url).map_err(ConfigError::GatewayUrl)?;
        let loopback_gateway = url
            .host()
            .as_ref()
            .is_some_and(zeus_carrier_http::config::is_loopback_host);
        if !self.zkey.is_well_formed() {
            return Err(ConfigError::Zkey);
        }
        let allow = match self.allow {
            Some(nets) => nets,
            None if loopback_gateway => zeus_carrier_http::source::default_allowlist(),
            None => return Err(ConfigError::AllowlistRequired),
        };
        if self.signing_key.as_ref().is_some_and(SigningKey::is_empty) {
            return Err(ConfigError::EmptySigningKey);
        }
        for (field, zero) in [
            ("gateway_timeout", self.gateway_timeout.is_zero()),
            ("connect_timeout", self.connect_timeout.is_zero()),
            ("lock_hold", self.lock_hold.is_zero()),
            ("max_query_bytes", self.max_query_bytes == 0),
            ("max_body_bytes", self.max_body_bytes == 0),
        ] {
            if zero {
                return Err(ConfigError::Zero { field });
            }
        }
        if self.connect_timeout > self.gateway_timeout {
            return Err(ConfigError::ConnectTimeoutTooLong);
        }
        if self.lock_hold <= self.gateway_timeout {
            return Err(ConfigError::LockHoldTooShort {
                lock_hold: self.lock_hold,
                gateway_timeout: self.gateway_timeout,
            });
        }
        let path_char_ok =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~');
        if !self.callback_path.starts_with('/')
            || self.callback_path.len() < 2
            || !self.callback_path.chars().all(path_char_ok)
        {
            return Err(ConfigError::CallbackPath {
                path: self.callback_path,
            });
        }
        Ok(MerchantConfig(Arc::new(Inner {
            clientip: self.clientip,
            zkey: self.zkey,
            gateway_url: self.gateway_url.trim_end_matches('/').to_owned(),
            loopback_gateway,
            allow,
            trusted_proxies: self.trusted_proxies,
            charset: self.charset,
            signing_key: self.signing_key,
            unknown_sendid: self.unknown_sendid,
            clock: self.clock,
            gateway_timeout: self.gateway_timeout,
            connect_timeout: self.connect_timeout,
            lock_hold: self.lock_hold,
            callback_path: self.callback_path,
            max_query_bytes: self.max_query_bytes,
            max_body_bytes: self.max_body_bytes,
        })))
    }
}

/// A configuration that cannot work: each variant names the field
/// ([`ConfigError::field`]) and the rule. No message shows a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The gateway URL does not parse, is plain `http` to a host that is
    /// not loopback, or has another scheme.
    #[error("gateway_url: {0}")]
    GatewayUrl(zeus_carrier_http::ConfigError),
    /// The zkey is not 1–40 printable ASCII characters.
    #[error("zkey: must be 1 to 40 printable ASCII characters (SPEC §5); value not shown")]
    Zkey,
    /// No allowlist with a gateway that is not loopback.
    #[error(
        "allow: an explicit CGI source allowlist is required when gateway_url is not loopback: \
         the gateway's addresses come with the merchant's contract (R-CG-5, D-8); \
         the loopback-only default serves a local sandbox only"
    )]
    AllowlistRequired,
    /// An empty signing key would sign nothing.
    #[error("signing_key: must not be empty (value not shown)")]
    EmptySigningKey,
    /// A zero duration or size.
    #[error("{field}: must be greater than zero")]
    Zero {
        /// The field.
        field: &'static str,
    },
    /// A connect timeout longer than the whole call's.
    #[error("connect_timeout: must not exceed gateway_timeout")]
    ConnectTimeoutTooLong,
    /// An operation lock that may expire while its call still waits for
    /// the gateway: a second settle or cancel of the order could start.
    #[error(
        "lock_hold: {lock_hold:?} must be greater than gateway_timeout ({gateway_timeout:?}), \
         or a second settle or cancel of one order could run while the first waits for the gateway"
    )]
    LockHoldTooShort {
        /// The lock hold.
        lock_hold: Duration,
        /// The gateway timeout.
        gateway_timeout: Duration,
    },
    /// The callback path breaks its rule.
    #[error(
        "callback_path: {path:?} must start with '/', name a path (not '/' alone) and use only \
         A-Z a-z 0-9 / - _ . ~"
    )]
    CallbackPath {
        /// The path as given.
        path: String,
    },
    /// The Secure Link client could not be built (TLS backend).
    #[error("client: {0}")]
    Client(zeus_carrier_http::ConfigError),
}

impl ConfigError {
    /// The configuration field the error is about (the builder method's
    /// name).
    pub fn field(&self) -> &'static str {
        match self {
            ConfigError::GatewayUrl(_) => "gateway_url",
            ConfigError::Zkey => "zkey",
            ConfigError::AllowlistRequired => "allow",
            ConfigError::EmptySigningKey => "signing_key",
            ConfigError::Zero { field } => field,
            ConfigError::ConnectTimeoutTooLong => "connect_timeout",
            ConfigError::LockHoldTooShort { .. } => "lock_hold",
            ConfigError::CallbackPath { .. } => "callback_path",
            ConfigError::Client(_) => "client",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> MerchantConfigBuilder {
        let clientip = ClientIp::parse("1234567890").expect("clientip");
        MerchantConfig::builder(clientip, Zkey::new("zkey-0123"))
    }

    #[test]
    fn a_loopback_gateway_keeps_the_loopback_allowlist() {
        let c = builder()
            .gateway_url("http://127.0.0.1:8931/")
            .build()
            .expect("valid");
        assert!(c.loopback_gateway());
        assert_eq!(c.allow(), zeus_carrier_http::source::default_allowlist());
        assert_eq!(c.gateway_url(), "http://127.0.0.1:8931");
        assert_eq!(
            c.order_url(),
            "http://127.0.0.1:8931/cgi-bin/carrier/order.cgi"
        );
    }

    #[test]
    fn a_real_gateway_needs_an_explicit_allowlist_r_cg_5() {
        let err = builder().build().expect_err("no allowlist");
        assert_eq!(err, ConfigError::AllowlistRequired);
        assert_eq!(err.field(), "allow");
        assert!(err.to_string().contains("R-CG-5"), "{err}");
        let net: IpNet = "192.0.2.0/28".parse().expect("net");
        let c = builder().allow([net]).build().expect("allowlist given");
        assert_eq!(c.allow(), [net]);
        assert!(!c.loopback_gateway());
    }

    #[test]
    fn lock_hold_must_exceed_the_gateway_timeout() {
        let loopback = || builder().gateway_url("http://127.0.0.1:1");
        let err = loopback()
            .gateway_timeout(Duration::from_secs(30))
            .lock_hold(Duration::from_secs(30))
            .build()
            .expect_err("equal");
        assert_eq!(err.field(), "lock_hold");
        assert!(
            loopback()
                .gateway_timeout(Duration::from_secs(30))
                .lock_hold(Duration::from_secs(31))
                .build()
                .is_ok()
        );
        let err = loopback()
            .gateway_timeout(Duration::from_secs(200))
            .build()
            .expect_err("default hold is 120 s");
        assert!(matches!(err, ConfigError::LockHoldTooShort { .. }));
    }

    #[test]
    fn each_field_is_named_in_its_error() {
        let loopback = || builder().gateway_url("http://127.0.0.1:1");
        let cases: Vec<(MerchantConfigBuilder, &str)> = vec![
            (
                builder().gateway_url("http://gateway.example"),
                "gateway_url",
            ),
            (
                MerchantConfig::builder(
                    ClientIp::parse("1234567890").expect("ip"),
                    Zkey::new("bad zkey\n"),
                )
                .gateway_url("http://127.0.0.1:1"),
                "zkey",
            ),
            (loopback().signing_key(SigningKey::new("")), "signing_key"),
            (
                loopback().gateway_timeout(Duration::ZERO),
                "gateway_timeout",
            ),
            (
                loopback().connect_timeout(Duration::ZERO),
                "connect_timeout",
            ),
            (loopback().max_query_bytes(0), "max_query_bytes"),
            (loopback().max_body_bytes(0), "max_body_bytes"),
            (
                loopback().connect_timeout(Duration::from_secs(31)),
                "connect_timeout",
            ),
            (loopback().callback_path("cb"), "callback_path"),
            (loopback().callback_path("/"), "callback_path"),
            (loopback().callback_path("/cb/{id}"), "callback_path"),
        ];
        for (b, field) in cases {
            let err = b.build().expect_err(field);
            assert_eq!(err.field(), field, "{err}");
            assert!(err.to_string().starts_with(field), "{err}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let c = builder()
            .gateway_url("http://127.0.0.1:1")
            .signing_key(SigningKey::new("s3cr3t-signing"))
            .build()
            .expect("valid");
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("s3cr3t") && !dbg.contains("zkey-0123"),
            "{dbg}"
        );
    }

    #[test]
    fn the_client_config_carries_the_same_values() {
        let c = builder()
            .gateway_url("http://127.0.0.1:1")
            .gateway_timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .lock_hold(Duration::from_secs(6))
            .build()
            .expect("valid");
        let cc = c.client_config();
        assert_eq!(cc.clientip, "1234567890");
        assert_eq!(cc.gateway_url, "http://127.0.0.1:1");
        assert_eq!(cc.total_timeout, Duration::from_secs(5));
        assert_eq!(cc.connect_timeout, Duration::from_secs(2));
    }
}
