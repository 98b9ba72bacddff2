//! The sandbox's configuration: one builder collects every setting,
//! [`SandboxBuilder::build`] checks the combination once and returns a
//! typed [`ConfigError`] naming the setting and the rule; the built
//! [`SandboxConfig`] is immutable (INTERFACES.md §2 gives every default).
//!
//! The library knows no command line: the `zeus-carrier sandbox` flags are
//! parsed by the CLI crate, which fills this builder. Each setting's
//! default is written once, in the `DEFAULT_*` constants below, which the
//! CLI's flags use too.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use zeus_carrier_core::callback::{CgiParam, ClientIp, DeliveryPolicy};
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::status::OptionalCgi;
use zeus_carrier_core::test_mode::is_test_id;
use zeus_carrier_core::time::to_jst;
use zeus_carrier_core::{Charset, JstDateTime, PaymentMode};

/// `--listen`, default `127.0.0.1:8931` (used by [`crate::run`]; an in-process
/// [`crate::Sandbox`] always takes a free loopback port).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8931";
/// `--clientip`, default `1234567890`.
pub const DEFAULT_CLIENTIP: &str = "1234567890";
/// `--zkey`, default `sandbox-zkey`.
pub const DEFAULT_ZKEY: &str = "sandbox-zkey";
/// `--test-id`, default `12345678`.
pub const DEFAULT_TEST_ID: &str = "12345678";
/// `--mail-to`, default `merchant@example.invalid`.
pub const DEFAULT_MAIL_TO: &str = "merchant@example.invalid";
/// `--cgi-answer-wait-secs`, default `5` (sandbox addition, docs/SANDBOX.md).
pub const DEFAULT_CGI_ANSWER_WAIT: Duration = Duration::from_secs(5);
/// The eleven CGI parameters, comma separated: the default of `--cgi-params`.
pub const ALL_CGI_PARAMS: &str =
    "clientip,money,username,telno,email,sendid,sendpoint,order_no,carrier_type,status,error_code";

/// How CGI calls are sent (the manual: "GETで行います。POSTで行う場合は、
/// 営業担当までご連絡ください").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CgiMethod {
    /// `GET URL?query` (the default).
    #[default]
    Get,
    /// `POST URL` with the query as an
    /// `application/x-www-form-urlencoded` body in the sandbox's charset.
    Post,
}

impl CgiMethod {
    /// `GET` or `POST`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CgiMethod::Get => "GET",
            CgiMethod::Post => "POST",
        }
    }
}

/// Where and how the sandbox sends CGI calls (`--cgi-url`, `--cgi-method`,
/// `--cgi-params`, `--cgi-optional`). Without one, no CGI call is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CgiTarget {
    /// The merchant's CGI URL (checked by [`SandboxBuilder::build`]).
    pub url: String,
    /// GET (default) or POST.
    pub method: CgiMethod,
    /// The parameters calls carry (default: all eleven, SPEC §9), sent in
    /// the manual's order.
    pub params: Vec<CgiParam>,
    /// Also send calls for the optional statuses 04, 10 and 11 (D-13).
    pub optional: bool,
}

impl CgiTarget {
    /// Calls to `url` by GET with all eleven parameters, the required
    /// statuses only.
    pub fn new(url: impl Into<String>) -> CgiTarget {
        CgiTarget {
            url: url.into(),
            method: CgiMethod::Get,
            params: CgiParam::ALL.to_vec(),
            optional: false,
        }
    }

    /// Sends the calls by `method`.
    pub fn method(mut self, method: CgiMethod) -> CgiTarget {
        self.method = method;
        self
    }

    /// Sends only `params` (an empty list is refused by `build`).
    pub fn params(mut self, params: impl IntoIterator<Item = CgiParam>) -> CgiTarget {
        self.params = params.into_iter().collect();
        self
    }

    /// Also sends calls for the optional statuses 04, 10 and 11 (D-13).
    pub fn optional(mut self, optional: bool) -> CgiTarget {
        self.optional = optional;
        self
    }

    /// The core's choice for the optional calls (D-13).
    pub fn optional_cgi(&self) -> OptionalCgi {
        if self.optional {
            OptionalCgi::Send
        } else {
            OptionalCgi::Skip
        }
    }
}

/// Where notification mails go (`--mail-to`, `--mail-dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailSettings {
    /// The address mails are written to (the screen's settings can change
    /// it later).
    pub to: String,
    /// Also write every mail as an `.eml` file into this directory.
    pub dir: Option<PathBuf>,
}

impl MailSettings {
    /// Mails to `to`, kept in memory only.
    pub fn new(to: impl Into<String>) -> MailSettings {
        MailSettings {
            to: to.into(),
            dir: None,
        }
    }

    /// Also writes every mail as an `.eml` file into `dir`.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> MailSettings {
        self.dir = Some(dir.into());
        self
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings::new(DEFAULT_MAIL_TO)
    }
}

/// A setting of the sandbox, as the builder and the command line name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// `listen` / `--listen`.
    Listen,
    /// `clientip` / `--clientip`.
    ClientIp,
    /// `zkey` / `--zkey`.
    Zkey,
    /// `cgi` URL / `--cgi-url`.
    CgiUrl,
    /// `cgi` parameters / `--cgi-params`.
    CgiParams,
    /// `test_ids` / `--test-id`.
    TestId,
    /// `mail` address / `--mail-to`.
    MailTo,
    /// `order_prefix` / `--order-prefix`.
    OrderPrefix,
}

impl Setting {
    /// The command-line flag that sets it.
    pub const fn flag(self) -> &'static str {
        match self {
            Setting::Listen => "--listen",
            Setting::ClientIp => "--clientip",
            Setting::Zkey => "--zkey",
            Setting::CgiUrl => "--cgi-url",
            Setting::CgiParams => "--cgi-params",
            Setting::TestId => "--test-id",
            Setting::MailTo => "--mail-to",
            Setting::OrderPrefix => "--order-prefix",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.flag())
    }
}

/// A setting whose value breaks a rule: names the setting (by its flag)
/// and the rule. The value is never shown for the zkey.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {rule}")]
#[non_exhaustive]
pub struct ConfigError {
    /// The setting.
    pub setting: Setting,
    /// The rule it breaks, with the value (except a secret's).
    pub rule: String,
}

impl ConfigError {
    pub(crate) fn new(setting: Setting, rule: impl Into<String>) -> ConfigError {
        ConfigError {
            setting,
            rule: rule.into(),
        }
    }
}

/// The checked configuration of one sandbox: one merchant per sandbox
/// (INTERFACES.md §2). Built by [`SandboxConfig::builder`] (or
/// [`crate::Sandbox::builder`]); [`SandboxConfig::default`] holds every
/// default. Immutable and cheap to clone.
#[derive(Clone)]
pub struct SandboxConfig {
    listen: String,
    clientip: String,
    zkey: String,
    mode: PaymentMode,
    charset: Charset,
    cgi: Option<CgiTarget>,
    delivery: DeliveryPolicy,
    cgi_answer_wait: Duration,
    test_ids: Vec<String>,
    mail: MailSettings,
    frozen_at: Option<JstDateTime>,
    order_prefix: Option<String>,
}

impl SandboxConfig {
    /// A builder holding every default of INTERFACES.md §2.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// A builder starting from this configuration.
    pub fn to_builder(&self) -> SandboxBuilder {
        SandboxBuilder {
            config: self.clone(),
        }
    }

    /// The address [`crate::run`] listens on.
    pub fn listen(&self) -> &str {
        &self.listen
    }

    /// The merchant's IP code (10 digits).
    pub fn clientip(&self) -> &str {
        &self.clientip
    }

    /// The Secure Link authentication key (never logged or shown).
    pub fn zkey(&self) -> &str {
        &self.zkey
    }

    /// The merchant's payment mode.
    pub fn payment_mode(&self) -> PaymentMode {
        self.mode
    }

    /// The charset of forms, CGI calls and Secure Link bodies (D-3).
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// Where CGI calls go; `None`: no CGI calls.
    pub fn cgi(&self) -> Option<&CgiTarget> {
        self.cgi.as_ref()
    }

    /// The CGI timeout and retry policy (R-CG-2, R-ST-3).
    pub fn delivery_policy(&self) -> DeliveryPolicy {
        self.delivery
    }

    /// How long an endpoint whose action sends CGI calls waits for their
    /// first attempts before it answers.
    pub fn cgi_answer_wait(&self) -> Duration {
        self.cgi_answer_wait
    }

    /// The test IDs (テストID) in force (R-LP-4).
    pub fn test_ids(&self) -> &[String] {
        &self.test_ids
    }

    /// The mail settings at startup.
    pub fn mail(&self) -> &MailSettings {
        &self.mail
    }

    /// The instant the clock starts frozen at; `None`: real time.
    pub fn frozen_at(&self) -> Option<JstDateTime> {
        self.frozen_at
    }

    /// The prefix of order numbers; `None`: `SB` and the start time.
    pub fn order_prefix(&self) -> Option<&str> {
        self.order_prefix.as_deref()
    }

    /// The core's choice for the optional CGI calls (D-13).
    pub fn optional_cgi(&self) -> OptionalCgi {
        self.cgi
            .as_ref()
            .map_or(OptionalCgi::Skip, CgiTarget::optional_cgi)
    }
}

impl Default for SandboxConfig {
    /// Every default of INTERFACES.md §2.
    fn default() -> Self {
        SandboxConfig {
            listen: DEFAULT_LISTEN.to_owned(),
            clientip: DEFAULT_CLIENTIP.to_owned(),
            zkey: DEFAULT_ZKEY.to_owned(),
            mode: PaymentMode::Authorization,
            charset: Charset::ShiftJis,
            cgi: None,
            delivery: DeliveryPolicy::default(),
            cgi_answer_wait: DEFAULT_CGI_ANSWER_WAIT,
            test_ids: vec![DEFAULT_TEST_ID.to_owned()],
            mail: MailSettings::default(),
            frozen_at: None,
            order_prefix: None,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    /// Like a derived `Debug`, with the zkey redacted (SPEC §5: never shown).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("listen", &self.listen)
            .field("clientip", &self.clientip)
            .field("zkey", &"<redacted>")
            .field("mode", &self.mode)
            .field("charset", &self.charset)
            .field("cgi", &self.cgi)
            .field("delivery", &self.delivery)
            .field("cgi_answer_wait", &self.cgi_answer_wait)
            .field("test_ids", &self.test_ids)
            .field("mail", &self.mail)
            .field("frozen_at", &self.frozen_at)
            .field("order_prefix", &self.order_prefix)
            .finish()
    }
}

/// Collects the sandbox's settings; [`SandboxBuilder::build`] checks them
/// once, [`SandboxBuilder::start`] also starts the sandbox.
///
/// ```
/// use zeus_carrier_core::PaymentMode;
/// use zeus_carrier_sandbox::{CgiMethod, CgiTarget, SandboxConfig};
///
/// let config = SandboxConfig::builder()
///     .mode(PaymentMode::Immediate)
///     .cgi(CgiTarget::new("http://127.0.0.1:3000/cgi").method(CgiMethod::Post))
///     .test_ids(["12345678", "87654321"])
///     .build()
///     .expect("a usable configuration");
/// assert_eq!(config.test_ids(), ["12345678", "87654321"]);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SandboxBuilder {
    config: SandboxConfig,
}

impl SandboxBuilder {
    /// The address [`crate::run`] listens on (`127.0.0.1:0`: a free port).
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.config.listen = addr.into();
        self
    }

    /// The merchant's IP code (10 digits).
    pub fn clientip(mut self, clientip: impl Into<String>) -> Self {
        self.config.clientip = clientip.into();
        self
    }

    /// The Secure Link authentication key.
    pub fn zkey(mut self, zkey: impl Into<String>) -> Self {
        self.config.zkey = zkey.into();
        self
    }

    /// Immediate sale (01 → 07) or authorization (01 → 03, settled later).
    pub fn mode(mut self, mode: PaymentMode) -> Self {
        self.config.mode = mode;
        self
    }

    /// The charset of forms, CGI calls and Secure Link bodies (D-3).
    pub fn charset(mut self, charset: Charset) -> Self {
        self.config.charset = charset;
        self
    }

    /// Sends CGI calls as `target` says.
    pub fn cgi(mut self, target: CgiTarget) -> Self {
        self.config.cgi = Some(target);
        self
    }

    /// Sends no CGI call (the default).
    pub fn no_cgi(mut self) -> Self {
        self.config.cgi = None;
        self
    }

    /// The CGI timeout, retries and error mail on a wrong body (R-CG-2,
    /// R-ST-3); the default is the manual's: 40 s, no retry.
    pub fn retry_policy(mut self, policy: DeliveryPolicy) -> Self {
        self.config.delivery = policy;
        self
    }

    /// How long an endpoint whose action sends CGI calls waits for their
    /// first attempts before it answers (default 5 s).
    pub fn cgi_answer_wait(mut self, wait: Duration) -> Self {
        self.config.cgi_answer_wait = wait;
        self
    }

    /// The test IDs (テストID), replacing the default `12345678`.
    pub fn test_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.test_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Where mails go.
    pub fn mail(mut self, mail: MailSettings) -> Self {
        self.config.mail = mail;
        self
    }

    /// Starts the clock frozen at `at` (any offset; kept in Japan time).
    pub fn frozen_at(mut self, at: JstDateTime) -> Self {
        self.config.frozen_at = Some(to_jst(&at));
        self
    }

    /// Runs the clock on real time (the default).
    pub fn real_clock(mut self) -> Self {
        self.config.frozen_at = None;
        self
    }

    /// The prefix of order numbers: 1–24 of `A-Za-z0-9.-` (order numbers
    /// are at most 38 characters, SPEC §5).
    pub fn order_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.order_prefix = Some(prefix.into());
        self
    }

    /// Checks every setting once: the IP code and key as a merchant could
    /// send them, test IDs of half-width digits, a CGI URL and at least one
    /// parameter, a mail address, an order prefix.
    pub fn build(self) -> Result<SandboxConfig, ConfigError> {
        let c = self.config;
        if c.listen.trim().is_empty() {
            return Err(ConfigError::new(
                Setting::Listen,
                "an address such as 127.0.0.1:8931",
            ));
        }
        ClientIp::parse(&c.clientip)
            .map_err(|e| ConfigError::new(Setting::ClientIp, e.to_string()))?;
        if !Zkey::new(c.zkey.clone()).is_well_formed() {
            return Err(ConfigError::new(
                Setting::Zkey,
                "1-40 printable ASCII characters without spaces (SPEC §5)",
            ));
        }
        if c.test_ids.is_empty() {
            return Err(ConfigError::new(
                Setting::TestId,
                "at least one test ID (R-LP-4)",
            ));
        }
        if let Some(id) = c.test_ids.iter().find(|id| !is_test_id(id)) {
            return Err(ConfigError::new(
                Setting::TestId,
                format!("{id:?} is not half-width digits (R-LP-4)"),
            ));
        }
        if let Some(cgi) = &c.cgi {
            reqwest::Url::parse(&cgi.url)
                .map_err(|e| ConfigError::new(Setting::CgiUrl, format!("{:?}: {e}", cgi.url)))?;
            if cgi.params.is_empty() {
                return Err(ConfigError::new(
                    Setting::CgiParams,
                    zeus_carrier_core::callback::CgiParamListError::Empty.to_string(),
                ));
            }
            if let Some(p) = cgi
                .params
                .iter()
                .enumerate()
                .find_map(|(i, p)| cgi.params[..i].contains(p).then_some(p))
            {
                return Err(ConfigError::new(
                    Setting::CgiParams,
                    zeus_carrier_core::callback::CgiParamListError::Repeated { param: *p }
                        .to_string(),
                ));
            }
        }
        crate::mail::check_address(&c.mail.to)?;
        if let Some(prefix) = &c.order_prefix {
            check_prefix(prefix)?;
        }
        Ok(c)
    }

    /// Builds the configuration and starts the sandbox on a free loopback
    /// port ([`crate::Sandbox::start`]).
    pub async fn start(self) -> Result<crate::Sandbox, crate::SandboxError> {
        crate::Sandbox::start(self.build()?).await
    }
}

/// Order numbers are at most 38 of `A-Za-z0-9.-` (SPEC §5); the prefix
/// leaves room for `-` and a counter.
fn check_prefix(s: &str) -> Result<(), ConfigError> {
    if s.is_empty()
        || s.len() > 24
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(ConfigError::new(
            Setting::OrderPrefix,
            format!(
                "{s:?}: an order prefix is 1-24 of A-Z a-z 0-9 . - (order numbers are at most 38, SPEC §5)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_2_defaults() {
        let c = SandboxConfig::default();
        assert_eq!(c.listen(), "127.0.0.1:8931");
        assert_eq!(c.clientip(), "1234567890");
        assert_eq!(c.zkey(), "sandbox-zkey");
        assert_eq!(c.payment_mode(), PaymentMode::Authorization);
        assert_eq!(c.cgi(), None);
        assert_eq!(c.delivery_policy(), DeliveryPolicy::default());
        assert_eq!(c.delivery_policy().timeout, Duration::from_secs(40));
        assert_eq!(c.delivery_policy().retry_interval, Duration::from_secs(40));
        assert_eq!(c.delivery_policy().max_retries, 5);
        assert!(!c.delivery_policy().retry_enabled);
        assert_eq!(c.test_ids(), ["12345678"]);
        assert_eq!(c.mail().to, "merchant@example.invalid");
        assert_eq!(c.mail().dir, None);
        assert_eq!(c.charset(), Charset::ShiftJis);
        assert_eq!(c.frozen_at(), None);
        assert_eq!(c.cgi_answer_wait(), Duration::from_secs(5));
        assert_eq!(
            CgiParam::parse_list(ALL_CGI_PARAMS).expect("all"),
            CgiTarget::new("http://x/").params
        );
        // The defaults pass the builder's own checks.
        assert!(SandboxConfig::builder().build().is_ok());
    }

    #[test]
    fn build_names_the_setting_and_the_rule() {
        let cases: Vec<(SandboxBuilder, Setting, &str)> = vec![
            (
                SandboxConfig::builder().clientip("12345"),
                Setting::ClientIp,
                "",
            ),
            (
                SandboxConfig::builder().zkey("has space"),
                Setting::Zkey,
                "SPEC §5",
            ),
            (
                SandboxConfig::builder().test_ids(["12a"]),
                Setting::TestId,
                "R-LP-4",
            ),
            (
                SandboxConfig::builder().test_ids(Vec::<String>::new()),
                Setting::TestId,
                "R-LP-4",
            ),
            (
                SandboxConfig::builder().cgi(CgiTarget::new("not a url")),
                Setting::CgiUrl,
                "not a url",
            ),
            (
                SandboxConfig::builder().cgi(CgiTarget::new("http://x/").params([])),
                Setting::CgiParams,
                "SPEC §9",
            ),
            (
                SandboxConfig::builder()
                    .cgi(CgiTarget::new("http://x/").params([CgiParam::Status, CgiParam::Status])),
                Setting::CgiParams,
                "more than once",
            ),
            (
                SandboxConfig::builder().mail(MailSettings::new("nobody")),
                Setting::MailTo,
                "nobody",
            ),
            (
                SandboxConfig::builder().order_prefix("a_b"),
                Setting::OrderPrefix,
                "a_b",
            ),
            (SandboxConfig::builder().listen(" "), Setting::Listen, ""),
        ];
        for (builder, setting, rule) in cases {
            let e = builder.build().expect_err("refused");
            assert_eq!(e.setting, setting, "{e}");
            assert!(e.rule.contains(rule), "{e}");
            assert!(e.to_string().starts_with(setting.flag()), "{e}");
        }
    }

    #[test]
    fn zkey_is_redacted_in_debug_and_errors() {
        let c = SandboxConfig::builder()
            .zkey("s3cr3t-value")
            .build()
            .expect("config");
        let shown = format!("{c:?} {:?}", c.to_builder());
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
        let e = SandboxConfig::builder()
            .zkey("s3cr3t value")
            .build()
            .expect_err("refused");
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn frozen_at_is_kept_in_japan_time() {
        let utc = chrono::DateTime::parse_from_rfc3339("2026-01-10T01:00:00Z").expect("t");
        let c = SandboxConfig::builder()
            .frozen_at(utc)
            .build()
            .expect("config");
        let at = c.frozen_at().expect("frozen");
        assert_eq!(at.offset().local_minus_utc(), 9 * 3600);
        assert_eq!(at, utc);
    }
}
