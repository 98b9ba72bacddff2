//! [`MerchantConfig`]: the merchant's settings.

use std::time::Duration;

use zeus_carrier_core::Charset;
use zeus_carrier_core::link_point::ORDER_CGI_PATH;
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_http::SigningKey;

/// The gateway's production Link Point host (SPEC §1).
pub const DEFAULT_GATEWAY_URL: &str = "https://linkpt.cardservice.co.jp";

/// The merchant's settings. Build with [`MerchantConfig::new`] and set the
/// public fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MerchantConfig {
    /// The merchant's IP code (written into every order form).
    pub clientip: ClientIp,
    /// The charset order forms are validated and sent in (D-3).
    pub charset: Charset,
    /// The gateway's base URL; order forms post to its
    /// `/cgi-bin/carrier/order.cgi`. `https`, or `http` to a loopback host
    /// (the sandbox).
    pub gateway_url: String,
    /// When set, each checkout's `sendpoint` is the signature of the order
    /// (`zeus_carrier_http::signing`), checked by the receiver.
    pub signing_key: Option<SigningKey>,
    /// How long a settle or cancel may hold its order's operation lock
    /// before another instance may take it (a crashed holder blocks the
    /// order at most this long on SQLite; on PostgreSQL the lock dies with
    /// the holder's connection). Must exceed the Secure Link client's total
    /// timeout.
    pub lock_hold: Duration,
}

impl MerchantConfig {
    /// Defaults: Shift_JIS, the production gateway, no signing key, a
    /// 120 s lock hold.
    pub fn new(clientip: ClientIp) -> MerchantConfig {
        MerchantConfig {
            clientip,
            charset: Charset::ShiftJis,
            gateway_url: DEFAULT_GATEWAY_URL.to_owned(),
            signing_key: None,
            lock_hold: Duration::from_secs(120),
        }
    }

    /// Checks the settings.
    pub fn check(&self) -> Result<(), ConfigError> {
        zeus_carrier_http::config::check_gateway_url(&self.gateway_url)?;
        if self.signing_key.as_ref().is_some_and(SigningKey::is_empty) {
            return Err(ConfigError::EmptySigningKey);
        }
        if self.lock_hold.is_zero() {
            return Err(ConfigError::ZeroLockHold);
        }
        Ok(())
    }

    /// Where order forms post to: the gateway's `order.cgi`.
    pub fn order_url(&self) -> String {
        format!("{}{ORDER_CGI_PATH}", self.gateway_url.trim_end_matches('/'))
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The gateway URL (see [`zeus_carrier_http::ConfigError`]).
    #[error(transparent)]
    Gateway(#[from] zeus_carrier_http::ConfigError),
    /// An empty signing key would sign nothing.
    #[error("signing key: empty (value not shown)")]
    EmptySigningKey,
    /// A zero lock hold would let two operations overlap.
    #[error("lock_hold: must be greater than zero")]
    ZeroLockHold,
}
