//! `zeus-carrier serve`'s flags (INTERFACES §3).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;

use zeus_carrier_core::values::ClientIp;
use zeus_carrier_http::config::{
    ClientConfig, DEFAULT_CALLBACK_PATH, DEFAULT_CONNECT_TIMEOUT, ReceiverConfig,
};
use zeus_carrier_http::{ConfigError, SigningKey};
use zeus_carrier_merchant::MerchantConfig;

/// The flags of `zeus-carrier serve` (INTERFACES §3), as `clap` arguments to
/// flatten into a subcommand. `Debug` shows no secret: the zkey, the
/// signing key and a password in `--db` are redacted.
#[derive(Clone, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8932")]
    pub listen: SocketAddr,
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    #[arg(long, value_name = "URL", default_value = "sqlite://zeus-carrier.db")]
    pub db: String,
    /// The merchant's IP code (10 digits).
    #[arg(long, value_name = "DIGITS")]
    pub clientip: String,
    /// The Secure Link authentication key (secret; prefer the environment).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ZEUS_CARRIER_ZKEY",
        hide_env_values = true,
        value_parser = parse_zkey
    )]
    pub zkey: Zkey,
    /// The gateway's base URL (https; plain http only to a loopback host).
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://linkpt.cardservice.co.jp"
    )]
    pub gateway_url: String,
    /// A CIDR (or address) allowed to send CGI calls; repeatable. Giving any
    /// replaces the loopback-only default.
    #[arg(
        long = "allow-ip",
        value_name = "CIDR",
        value_parser = parse_cidr,
        default_values = ["127.0.0.1/32", "::1/128"]
    )]
    pub allow_ip: Vec<IpNet>,
    /// The path the gateway's CGI calls arrive on.
    #[arg(long, value_name = "PATH", default_value = "/zeus/carrier/callback")]
    pub callback_path: String,
    /// The charset of the Link Point form and of CGI calls: sjis or utf8.
    #[arg(long, value_name = "sjis|utf8", default_value = "sjis", value_parser = parse_charset)]
    pub charset: Charset,
    /// The time for a whole Secure Link call; after it the outcome is
    /// `unknown` (R-RS-3).
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub gateway_timeout_secs: u64,
    /// The time to connect to the gateway.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONNECT_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub gateway_connect_timeout_secs: u64,
    /// A reverse proxy (CIDR or address) whose X-Forwarded-For is believed;
    /// repeatable. Default: none (the socket peer is the source).
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_cidr)]
    pub trusted_proxy: Vec<IpNet>,
    /// Sign `sendpoint` at checkout and require the signature on CGI calls
    /// (secret; prefer the environment).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ZEUS_CARRIER_SIGNING_KEY",
        hide_env_values = true,
        value_parser = parse_signing_key
    )]
    pub signing_key: Option<SigningKey>,
}

impl ServeConfig {
    /// A configuration with every default, for tests and embedding.
    pub fn new(clientip: impl Into<String>, zkey: Zkey) -> ServeConfig {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8932)),
            db: "sqlite://zeus-carrier.db".to_owned(),
            clientip: clientip.into(),
            zkey,
            gateway_url: "https://linkpt.cardservice.co.jp".to_owned(),
            allow_ip: zeus_carrier_http::source::default_allowlist(),
            callback_path: DEFAULT_CALLBACK_PATH.to_owned(),
            charset: Charset::ShiftJis,
            gateway_timeout_secs: 30,
            gateway_connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT.as_secs(),
            trusted_proxy: Vec::new(),
            signing_key: None,
        }
    }

    /// The Secure Link client's configuration.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new(&self.gateway_url, &self.clientip, self.zkey.clone());
        c.total_timeout = Duration::from_secs(self.gateway_timeout_secs);
        c.connect_timeout = Duration::from_secs(self.gateway_connect_timeout_secs);
        c
    }

    /// The merchant facade's settings: the order form's `clientip`,
    /// charset and gateway, the signing key, and an operation lock held
    /// for the Secure Link timeout plus a minute.
    pub fn merchant_config(&self) -> Result<MerchantConfig, ConfigError> {
        let clientip = ClientIp::parse(&self.clientip).map_err(|_| ConfigError::BadClientIp {
            clientip: self.clientip.clone(),
        })?;
        let mut m = MerchantConfig::new(clientip);
        m.charset = self.charset;
        m.gateway_url = self.gateway_url.clone();
        m.signing_key = self.signing_key.clone();
        m.lock_hold = Duration::from_secs(self.gateway_timeout_secs.saturating_add(60));
        Ok(m)
    }

    /// The CGI receiver's configuration.
    pub fn receiver_config(&self) -> ReceiverConfig {
        let mut r = ReceiverConfig::new(&self.clientip);
        r.charset = self.charset;
        r.allow = self.allow_ip.clone();
        r.trusted_proxies = self.trusted_proxy.clone();
        r.signing_key = self.signing_key.clone();
        r.path = self.callback_path.clone();
        r
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("db", &redact_url_password(&self.db))
            .field("clientip", &self.clientip)
            .field("zkey", &self.zkey)
            .field("gateway_url", &self.gateway_url)
            .field("allow_ip", &self.allow_ip)
            .field("callback_path", &self.callback_path)
            .field("charset", &self.charset)
            .field("gateway_timeout_secs", &self.gateway_timeout_secs)
            .field(
                "gateway_connect_timeout_secs",
                &self.gateway_connect_timeout_secs,
            )
            .field("trusted_proxy", &self.trusted_proxy)
            .field("signing_key", &self.signing_key)
            .finish()
    }
}

/// `scheme://user:password@host…` → `scheme://user:***@host…`.
pub fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

fn parse_zkey(s: &str) -> Result<Zkey, String> {
    let key = Zkey::new(s);
    if key.is_well_formed() {
        Ok(key)
    } else {
        Err("must be 1 to 40 printable ASCII characters (SPEC §5)".to_owned())
    }
}

fn parse_signing_key(s: &str) -> Result<SigningKey, String> {
    if s.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(SigningKey::new(s.as_bytes()))
    }
}

/// A CIDR (`192.0.2.0/24`, `::1/128`) or a bare address (one host).
fn parse_cidr(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not a CIDR (e.g. 192.0.2.0/24) or an IP address"))
}

fn parse_charset(s: &str) -> Result<Charset, String> {
    s.parse::<Charset>()
        .map_err(|_| format!("{s:?}: expected sjis or utf8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeConfig,
    }

    #[test]
    fn interfaces_3_defaults() {
        let c = Cli::try_parse_from(["serve", "--clientip", "1234567890", "--zkey", "k"])
            .expect("parse")
            .serve;
        assert_eq!(c.listen.to_string(), "127.0.0.1:8932");
        assert_eq!(c.db, "sqlite://zeus-carrier.db");
        assert_eq!(c.gateway_url, "https://linkpt.cardservice.co.jp");
        assert_eq!(c.allow_ip, zeus_carrier_http::source::default_allowlist());
        assert_eq!(c.callback_path, "/zeus/carrier/callback");
        assert_eq!(c.charset, Charset::ShiftJis);
        assert_eq!(c.gateway_timeout_secs, 30);
        assert!(c.trusted_proxy.is_empty() && c.signing_key.is_none());
    }

    #[test]
    fn interfaces_3_flags_parse() {
        let c = Cli::try_parse_from([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            "postgres://u:pw@localhost/db",
            "--clientip",
            "1234567890",
            "--zkey",
            "zk-secret",
            "--gateway-url",
            "http://127.0.0.1:8931",
            "--allow-ip",
            "192.0.2.0/24",
            "--allow-ip",
            "198.51.100.7",
            "--callback-path",
            "/cgi",
            "--charset",
            "utf8",
            "--gateway-timeout-secs",
            "5",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--signing-key",
            "sign-secret",
        ])
        .expect("parse")
        .serve;
        assert_eq!(c.allow_ip.len(), 2);
        assert_eq!(c.allow_ip[1].to_string(), "198.51.100.7/32");
        assert_eq!(c.charset, Charset::Utf8);
        assert_eq!(c.gateway_timeout_secs, 5);
        let dbg = format!("{c:?}");
        for secret in ["zk-secret", "sign-secret", ":pw@"] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
        }
        assert!(dbg.contains("postgres://u:***@localhost/db"), "{dbg}");
    }

    #[test]
    fn interfaces_3_clientip_and_zkey_are_required() {
        assert!(Cli::try_parse_from(["serve", "--zkey", "k"]).is_err());
        // Only meaningful when the environment does not provide the zkey.
        if std::env::var_os("ZEUS_CARRIER_ZKEY").is_none() {
            assert!(Cli::try_parse_from(["serve", "--clientip", "1234567890"]).is_err());
        }
        assert!(
            Cli::try_parse_from([
                "serve",
                "--clientip",
                "1234567890",
                "--zkey",
                "k",
                "--charset",
                "latin1"
            ])
            .is_err()
        );
    }
}
