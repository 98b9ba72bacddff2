//! `zeus-carrier serve`'s flags (INTERFACES §3).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;

use zeus_carrier_core::values::ClientIp;
use zeus_carrier_http::config::{DEFAULT_CALLBACK_PATH, DEFAULT_CONNECT_TIMEOUT};
use zeus_carrier_http::{Clock, SigningKey};
use zeus_carrier_merchant::{ConfigError, MerchantConfig, UnknownSendId};

use crate::secrets::{self, OperatorToken, RawSecret, SecretError};
use crate::serving::ServeLimits;

/// The service's configuration (INTERFACES §3). Build it with
/// [`ServeConfig::new`] and change fields, or from the command line with
/// [`ServeArgs::into_config`]. `Debug` shows no secret: the zkey, the
/// signing key, the operator token and a password in `db` are redacted.
#[derive(Clone)]
pub struct ServeConfig {
    /// The public face's address (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The operator face's address.
    pub operator_listen: SocketAddr,
    /// The operator face's bearer token. `None`: [`crate::bind`] refuses
    /// to start; [`crate::run`] (the CLI) uses or generates the token file
    /// of [`crate::secrets::default_token_path`].
    pub operator_token: Option<OperatorToken>,
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    pub db: String,
    /// The merchant's IP code (10 digits).
    pub clientip: String,
    /// The Secure Link authentication key.
    pub zkey: Zkey,
    /// The gateway's base URL (https; plain http only to a loopback host).
    pub gateway_url: String,
    /// The CIDRs allowed to send CGI calls. Empty: not given — the
    /// loopback-only default with a loopback gateway (the sandbox), and a
    /// refusal to start with any other gateway (INTERFACES v3 §3).
    pub allow_ip: Vec<IpNet>,
    /// What happens to a CGI call whose `sendid` has no saved checkout
    /// (`--unknown-sendid`, default `flag`).
    pub unknown_sendid: UnknownSendId,
    /// The path the gateway's CGI calls arrive on.
    pub callback_path: String,
    /// The charset of the Link Point form and of CGI calls.
    pub charset: Charset,
    /// The time for a whole Secure Link call; after it the outcome is
    /// `unknown` (R-RS-3).
    pub gateway_timeout_secs: u64,
    /// The time to connect to the gateway.
    pub gateway_connect_timeout_secs: u64,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxy: Vec<IpNet>,
    /// Signs `sendpoint` at checkout and requires the signature on CGI
    /// calls.
    pub signing_key: Option<SigningKey>,
    /// Timeouts, connection bound and shutdown grace of both faces.
    pub limits: ServeLimits,
}

/// The flags of `zeus-carrier serve` (INTERFACES §3), as `clap` arguments
/// to flatten into a subcommand; [`ServeArgs::into_config`] checks the
/// secrets and reads the secret files.
///
/// Secrets are kept as [`RawSecret`] until then, so clap never prints one:
/// its "invalid value" errors quote the value, and a secret starting with
/// `-` would be taken for a flag. Every secret error names the flag and
/// the rule, never the value.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address of the public face: the CGI callback, /checkout, /healthz
    /// (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8932")]
    pub listen: SocketAddr,
    /// Address of the operator face: /orders, settle, cancel, /deadlines,
    /// /metrics, behind the bearer token. Keep it inside.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8933")]
    pub operator_listen: SocketAddr,
    /// A file holding the operator face's bearer token (or env
    /// ZEUS_CARRIER_OPERATOR_TOKEN). Neither: the token in the file next to
    /// the database (PATH.operator-token), generated (mode 0600) if absent.
    #[arg(long, value_name = "PATH")]
    pub operator_token_file: Option<PathBuf>,
    /// Database URL: `sqlite://PATH` or `postgres://…`. No error repeats
    /// it (it may hold a password), whatever its form.
    #[arg(
        long,
        value_name = "URL",
        default_value = "sqlite://zeus-carrier.db",
        allow_hyphen_values = true
    )]
    pub db: String,
    /// The merchant's IP code (10 digits).
    #[arg(long, value_name = "DIGITS")]
    pub clientip: String,
    /// The Secure Link authentication key (secret; prefer --zkey-file or
    /// the environment).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ZEUS_CARRIER_ZKEY",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_parser = raw_secret()
    )]
    pub zkey: Option<RawSecret>,
    /// A file holding the zkey (one trailing newline is ignored).
    #[arg(long, value_name = "PATH")]
    pub zkey_file: Option<PathBuf>,
    /// The gateway's base URL (https; plain http only to a loopback host).
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://linkpt.cardservice.co.jp"
    )]
    pub gateway_url: String,
    /// A CIDR (or address) allowed to send CGI calls: the gateway's
    /// addresses from the merchant's contract; repeatable. Required unless
    /// --gateway-url is a loopback address (a local sandbox, whose default
    /// is 127.0.0.1/32 and ::1/128): the allowlist is the callback's
    /// authentication.
    #[arg(long = "allow-ip", value_name = "CIDR", value_parser = parse_cidr)]
    pub allow_ip: Vec<IpNet>,
    /// A CGI call whose sendid has no checkout saved by /checkout: `flag`
    /// (stored, flagged for reconciliation, not applied) or `apply` (v2's
    /// behaviour, for shops that render the Link Point form themselves).
    #[arg(long, value_name = "flag|apply", default_value = "flag", value_parser = parse_unknown_sendid)]
    pub unknown_sendid: UnknownSendId,
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
    /// (secret; prefer --signing-key-file or the environment).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ZEUS_CARRIER_SIGNING_KEY",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_parser = raw_secret()
    )]
    pub signing_key: Option<RawSecret>,
    /// A file holding the signing key (one trailing newline is ignored).
    #[arg(long, value_name = "PATH")]
    pub signing_key_file: Option<PathBuf>,
    /// Both faces: the time a client has to send a request's head.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=30))]
    pub header_read_timeout_secs: u64,
    /// Both faces: the time a client has, after the head, to send the body.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=60))]
    pub request_timeout_secs: u64,
    /// Each face: the most connections served at once.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::DEFAULT_MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_connections: u64,
    /// After SIGTERM, the time requests in progress get before their
    /// connections are dropped.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::DEFAULT_SHUTDOWN_GRACE.as_secs(), value_parser = clap::value_parser!(u64).range(0..=12))]
    pub shutdown_grace_secs: u64,
}

/// Keeps a secret flag's value as it is: this parser never fails, so clap
/// never quotes the value in an error.
fn raw_secret() -> impl clap::builder::TypedValueParser<Value = RawSecret> {
    clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), RawSecret::from)
}

impl ServeArgs {
    /// Checks the secrets (flags, environment, files) and builds the
    /// configuration. The operator token comes from
    /// `ZEUS_CARRIER_OPERATOR_TOKEN` or `--operator-token-file`; neither
    /// leaves it `None` (see [`ServeConfig::operator_token`]).
    pub fn into_config(self) -> Result<ServeConfig, SecretError> {
        let zkey = secrets::zkey(self.zkey.as_ref(), self.zkey_file.as_deref())?;
        let signing_key =
            secrets::signing_key(self.signing_key.as_ref(), self.signing_key_file.as_deref())?;
        let operator_token = secrets::operator_token(
            std::env::var_os(secrets::OPERATOR_TOKEN_ENV).filter(|v| !v.is_empty()),
            self.operator_token_file.as_deref(),
        )?;
        let limits = ServeLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        };
        Ok(ServeConfig {
            listen: self.listen,
            operator_listen: self.operator_listen,
            operator_token,
            db: self.db,
            clientip: self.clientip,
            zkey,
            gateway_url: self.gateway_url,
            allow_ip: self.allow_ip,
            unknown_sendid: self.unknown_sendid,
            callback_path: self.callback_path,
            charset: self.charset,
            gateway_timeout_secs: self.gateway_timeout_secs,
            gateway_connect_timeout_secs: self.gateway_connect_timeout_secs,
            trusted_proxy: self.trusted_proxy,
            signing_key,
            limits,
        })
    }
}

impl ServeConfig {
    /// A configuration with every default, for tests and embedding.
    pub fn new(clientip: impl Into<String>, zkey: Zkey) -> ServeConfig {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8932)),
            operator_listen: SocketAddr::from(([127, 0, 0, 1], 8933)),
            operator_token: None,
            db: "sqlite://zeus-carrier.db".to_owned(),
            clientip: clientip.into(),
            zkey,
            gateway_url: "https://linkpt.cardservice.co.jp".to_owned(),
            allow_ip: Vec::new(),
            unknown_sendid: UnknownSendId::Flag,
            callback_path: DEFAULT_CALLBACK_PATH.to_owned(),
            charset: Charset::ShiftJis,
            gateway_timeout_secs: 30,
            gateway_connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT.as_secs(),
            trusted_proxy: Vec::new(),
            signing_key: None,
            limits: ServeLimits::default(),
        }
    }

    /// The merchant's one configuration from the flags, reading `clock`:
    /// the IP code, key, gateway, allowlist (when given), trusted proxies,
    /// charset, signing key, checkout policy, callback path, timeouts, and
    /// an operation lock held for the Secure Link timeout plus a minute.
    /// An error names the flag and the rule.
    pub fn merchant_config(&self, clock: Clock) -> Result<MerchantConfig, FlagError> {
        let clientip = ClientIp::parse(&self.clientip).map_err(|_| FlagError::ClientIp)?;
        let timeout = Duration::from_secs(self.gateway_timeout_secs);
        let mut b = MerchantConfig::builder(clientip, self.zkey.clone())
            .gateway_url(&self.gateway_url)
            .trusted_proxies(self.trusted_proxy.iter().copied())
            .charset(self.charset)
            .unknown_sendid(self.unknown_sendid)
            .clock(clock)
            .gateway_timeout(timeout)
            .connect_timeout(Duration::from_secs(self.gateway_connect_timeout_secs).min(timeout))
            .lock_hold(timeout.saturating_add(Duration::from_secs(60)))
            .callback_path(&self.callback_path);
        if !self.allow_ip.is_empty() {
            b = b.allow(self.allow_ip.iter().copied());
        }
        if let Some(key) = &self.signing_key {
            b = b.signing_key(key.clone());
        }
        b.build().map_err(FlagError::from)
    }
}

/// A configuration serve cannot start with: the merchant configuration's
/// error ([`ConfigError`], naming the field and the rule) with the flag
/// that sets the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlagError {
    /// `--clientip` is not ten digits.
    #[error("--clientip: must be exactly 10 half-width digits (SPEC §4)")]
    ClientIp,
    /// A setting breaks its rule.
    #[error("{flag}: {source}")]
    Config {
        /// The flag that sets the field.
        flag: &'static str,
        /// The rule it breaks.
        source: ConfigError,
    },
}

impl From<ConfigError> for FlagError {
    fn from(source: ConfigError) -> FlagError {
        let flag = match source.field() {
            "gateway_url" => "--gateway-url",
            "zkey" => "--zkey",
            "allow" => "--allow-ip",
            "signing_key" => "--signing-key",
            "gateway_timeout" => "--gateway-timeout-secs",
            "connect_timeout" => "--gateway-connect-timeout-secs",
            "callback_path" => "--callback-path",
            "lock_hold" => "--gateway-timeout-secs",
            _ => "configuration",
        };
        FlagError::Config { flag, source }
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("operator_listen", &self.operator_listen)
            .field("operator_token", &self.operator_token)
            .field("db", &redact_url_password(&self.db))
            .field("clientip", &self.clientip)
            .field("zkey", &self.zkey)
            .field("gateway_url", &self.gateway_url)
            .field("allow_ip", &self.allow_ip)
            .field("unknown_sendid", &self.unknown_sendid)
            .field("callback_path", &self.callback_path)
            .field("charset", &self.charset)
            .field("gateway_timeout_secs", &self.gateway_timeout_secs)
            .field(
                "gateway_connect_timeout_secs",
                &self.gateway_connect_timeout_secs,
            )
            .field("trusted_proxy", &self.trusted_proxy)
            .field("signing_key", &self.signing_key)
            .field("limits", &self.limits)
            .finish()
    }
}

/// A database URL with every password replaced by `***`, for logs and
/// messages: the userinfo's password (`scheme://user:password@host…`,
/// whatever characters it holds) and every query parameter whose name,
/// percent-decoded and in any case, contains `password` (`?password=…`,
/// `&PassWord=…`, `?pass%77ord=…`, `sslpassword`). A string that is not a
/// `scheme://` URL (nor `sqlite:…`) is shown as `<database URL not shown>`.
pub fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return if url.starts_with("sqlite:") && !url.contains('=') && !url.contains('@') {
            url.to_owned()
        } else {
            "<database URL not shown>".to_owned()
        };
    };
    let (head, query) = match url[scheme_end..].find('?') {
        Some(q) => (&url[..scheme_end + q], Some(&url[scheme_end + q + 1..])),
        None => (url, None),
    };
    let rest = &head[scheme_end..];
    let mut out = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{}{user}:***{}", &head[..scheme_end], &rest[at..])
            } else {
                head.to_owned()
            }
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_password_key(k) => format!("{k}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Whether a query key names a password (percent-decoded, any case).
fn is_password_key(key: &str) -> bool {
    let mut decoded = Vec::with_capacity(key.len());
    let bytes = key.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                decoded.push(u8::try_from(v).unwrap_or(0));
                i += 3;
            }
            (b'+', _, _) => {
                decoded.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded)
        .to_ascii_lowercase()
        .contains("password")
}

/// A CIDR (`192.0.2.0/24`, `::1/128`) or a bare address (one host).
fn parse_cidr(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not a CIDR (e.g. 192.0.2.0/24) or an IP address"))
}

fn parse_unknown_sendid(s: &str) -> Result<UnknownSendId, String> {
    match s {
        "flag" => Ok(UnknownSendId::Flag),
        "apply" => Ok(UnknownSendId::Apply),
        _ => Err(format!("{s:?}: expected flag or apply")),
    }
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
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> ServeConfig {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .expect("parse")
            .serve
            .into_config()
            .expect("config")
    }

    #[test]
    fn interfaces_3_defaults() {
        let c = parse(&["--clientip", "1234567890", "--zkey", "k"]);
        assert_eq!(c.listen.to_string(), "127.0.0.1:8932");
        assert_eq!(c.operator_listen.to_string(), "127.0.0.1:8933");
        assert_eq!(c.db, "sqlite://zeus-carrier.db");
        assert_eq!(c.gateway_url, "https://linkpt.cardservice.co.jp");
        // Not given (INTERFACES v3 §3): with the default (real) gateway the
        // merchant configuration is refused, naming --allow-ip.
        assert!(c.allow_ip.is_empty());
        assert_eq!(c.unknown_sendid, UnknownSendId::Flag);
        let err = c
            .merchant_config(Clock::system())
            .expect_err("no --allow-ip");
        assert!(err.to_string().starts_with("--allow-ip"), "{err}");
        assert_eq!(c.callback_path, "/zeus/carrier/callback");
        assert_eq!(c.charset, Charset::ShiftJis);
        assert_eq!(c.gateway_timeout_secs, 30);
        assert_eq!(c.limits, ServeLimits::default());
        assert!(c.trusted_proxy.is_empty() && c.signing_key.is_none());
    }

    #[test]
    fn interfaces_v3_a_real_gateway_without_allow_ip_is_refused_naming_the_flag() {
        let c = parse(&["--clientip", "1234567890", "--zkey", "k"]);
        let err = c
            .merchant_config(Clock::system())
            .expect_err("no --allow-ip");
        assert!(
            matches!(
                err,
                FlagError::Config {
                    flag: "--allow-ip",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with("--allow-ip: allow:"), "{err}");
        let c = parse(&[
            "--clientip",
            "1234567890",
            "--zkey",
            "k",
            "--gateway-url",
            "http://127.0.0.1:8931",
        ]);
        let m = c
            .merchant_config(Clock::system())
            .expect("a loopback sandbox");
        assert_eq!(m.allow(), zeus_carrier_http::source::default_allowlist());
        let c = parse(&[
            "--clientip",
            "1234567890",
            "--zkey",
            "k",
            "--allow-ip",
            "192.0.2.0/28",
            "--unknown-sendid",
            "apply",
        ]);
        let m = c
            .merchant_config(Clock::system())
            .expect("explicit allowlist");
        assert_eq!(m.unknown_sendid(), UnknownSendId::Apply);
        let err = parse(&["--clientip", "12345", "--zkey", "k"])
            .merchant_config(Clock::system())
            .expect_err("bad clientip");
        assert_eq!(err, FlagError::ClientIp);
    }

    #[test]
    fn interfaces_3_flags_parse() {
        let c = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--operator-listen",
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
            "--header-read-timeout-secs",
            "2",
            "--request-timeout-secs",
            "3",
            "--max-connections",
            "4",
            "--shutdown-grace-secs",
            "1",
        ]);
        assert_eq!(c.allow_ip.len(), 2);
        assert_eq!(c.allow_ip[1].to_string(), "198.51.100.7/32");
        let m = c.merchant_config(Clock::system()).expect("valid");
        assert_eq!(m.allow(), c.allow_ip.as_slice());
        assert_eq!(m.charset(), Charset::Utf8);
        assert_eq!(m.callback_path(), "/cgi");
        assert_eq!(m.gateway_timeout(), Duration::from_secs(5));
        assert!(m.lock_hold() > m.gateway_timeout());
        assert_eq!(c.charset, Charset::Utf8);
        assert_eq!(c.gateway_timeout_secs, 5);
        assert_eq!(c.limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(c.limits.request_timeout, Duration::from_secs(3));
        assert_eq!(c.limits.max_connections, 4);
        assert_eq!(c.limits.shutdown_grace, Duration::from_secs(1));
        let dbg = format!("{c:?}");
        for secret in ["zk-secret", "sign-secret", ":pw@"] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
        }
        assert!(dbg.contains("postgres://u:***@localhost/db"), "{dbg}");
    }

    #[test]
    fn a_secret_starting_with_a_dash_is_a_value_not_a_flag() {
        let c = parse(&["--clientip", "1234567890", "--zkey", "-dash-key"]);
        assert!(c.zkey.matches(&Zkey::new("-dash-key")));
    }

    #[test]
    fn interfaces_3_clientip_and_zkey_are_required() {
        assert!(Cli::try_parse_from(["serve", "--zkey", "k"]).is_err());
        // Only meaningful when the environment does not provide the zkey.
        if std::env::var_os("ZEUS_CARRIER_ZKEY").is_none() {
            let args = Cli::try_parse_from(["serve", "--clientip", "1234567890"])
                .expect("parsed")
                .serve;
            let e = args.into_config().expect_err("no zkey");
            assert!(e.to_string().contains("--zkey-file"), "{e}");
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

    #[test]
    fn malformed_secret_flags_never_reach_clap_errors() {
        for bad in [
            "secret\n",
            "sec\tret",
            "secret\r",
            "0123456789012345678901234567890123456789X",
            "鍵",
        ] {
            let args = Cli::try_parse_from(["serve", "--clientip", "1234567890", "--zkey", bad])
                .expect("clap keeps secrets as they are")
                .serve;
            let e = args.into_config().expect_err("malformed");
            assert!(!e.to_string().contains(bad.trim()), "{e}");
        }
    }

    #[test]
    fn passwords_are_redacted_in_every_form() {
        for (url, shown) in [
            ("postgres://u:pw@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p/w@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p@w@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u@h/db?password=pw",
                "postgres://u@h/db?password=***",
            ),
            (
                "postgres://u@h/db?sslmode=disable&PassWord=pw",
                "postgres://u@h/db?sslmode=disable&PassWord=***",
            ),
            (
                "postgres://u@h/db?pass%77ord=pw",
                "postgres://u@h/db?pass%77ord=***",
            ),
            (
                "postgres://u@h/db?sslpassword=pw",
                "postgres://u@h/db?sslpassword=***",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("sqlite://merchant.db", "sqlite://merchant.db"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("host=h password=pw", "<database URL not shown>"),
        ] {
            assert_eq!(redact_url_password(url), shown, "{url}");
        }
    }
}
