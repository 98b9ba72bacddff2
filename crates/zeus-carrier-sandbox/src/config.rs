//! The sandbox's command-line flags (INTERFACES.md §2). Every flag and
//! default of the interface is kept exactly; the extra flags are marked
//! "sandbox addition".

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use clap::{Parser, ValueEnum};
use zeus_carrier_core::status::OptionalCgi;
use zeus_carrier_core::{Charset, PaymentMode};

/// The eleven CGI parameters, comma separated: the default of `--cgi-params`.
pub const ALL_CGI_PARAMS: &str =
    "clientip,money,username,telno,email,sendid,sendpoint,order_no,carrier_type,status,error_code";

/// How the sandbox gateway is configured: one merchant per process
/// (INTERFACES.md §2). Parsed by the `zeus-carrier sandbox` command with
/// `#[command(flatten)]`; [`SandboxConfig::default`] gives every default.
#[derive(Clone, clap::Args)]
pub struct SandboxConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8931")]
    pub listen: String,

    /// The merchant's IP code (10 digits).
    #[arg(long, value_name = "DIGITS", default_value = "1234567890")]
    pub clientip: String,

    /// The Secure Link authentication key. Never logged or shown.
    #[arg(long, value_name = "SECRET", default_value = "sandbox-zkey")]
    pub zkey: String,

    /// The merchant's payment mode: immediate sale or authorization (仮売).
    #[arg(long, value_enum, default_value = "auth")]
    pub mode: ModeArg,

    /// Where CGI calls go (none: no CGI calls).
    #[arg(long, value_name = "URL")]
    pub cgi_url: Option<String>,

    /// The parameters CGI calls carry, comma separated (SPEC §9).
    #[arg(long, value_name = "LIST", default_value = ALL_CGI_PARAMS)]
    pub cgi_params: String,

    /// Also send CGI calls for the optional statuses 04, 10 and 11 (D-13).
    #[arg(long)]
    pub cgi_optional: bool,

    /// Retry CGI calls that time out (or cannot connect) (R-CG-2).
    #[arg(long)]
    pub cgi_retry: bool,

    /// CGI timeout in seconds; fractions allowed (sandbox addition: `0.2`).
    #[arg(long, value_name = "N", default_value = "40", value_parser = parse_secs)]
    pub cgi_timeout_secs: Duration,

    /// Interval between automatic CGI attempts, from the START of one to the
    /// start of the next (R-CG-2), in seconds; fractions allowed.
    #[arg(long, value_name = "N", default_value = "40", value_parser = parse_secs)]
    pub cgi_retry_interval_secs: Duration,

    /// The most automatic CGI retries after the first attempt.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub cgi_max_retries: u32,

    /// How CGI calls are sent: `get` (the manual's default) or `post` (the
    /// same parameters as an urlencoded body in `--charset`; the manual
    /// offers it on request).
    #[arg(long, value_enum, default_value = "get")]
    pub cgi_method: CgiMethod,

    /// Also send the CGI error mail when the merchant answers 200 without
    /// `successok` (sandbox addition; the manual marks it "on request").
    #[arg(long)]
    pub cgi_error_mail_on_bad_body: bool,

    /// How long an endpoint whose action sends CGI calls waits for their
    /// first attempts before it answers, in seconds; fractions allowed
    /// (sandbox addition; see docs/SANDBOX.md).
    #[arg(long, value_name = "N", default_value = "5", value_parser = parse_secs)]
    pub cgi_answer_wait_secs: Duration,

    /// A test ID (テストID); repeatable.
    #[arg(long = "test-id", value_name = "DIGITS", default_values_t = [String::from("12345678")])]
    pub test_ids: Vec<String>,

    /// Where notification mails are addressed.
    #[arg(long, value_name = "ADDR", default_value = "merchant@example.invalid")]
    pub mail_to: String,

    /// The charset of forms, CGI calls and Secure Link bodies (D-3).
    #[arg(long, value_enum, default_value = "sjis")]
    pub charset: CharsetArg,

    /// Start with the clock frozen at this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub now: Option<DateTime<FixedOffset>>,

    /// Also write every mail as an `.eml` file into this directory.
    #[arg(long, value_name = "DIR")]
    pub mail_dir: Option<PathBuf>,

    /// Prefix of order numbers (sandbox addition; default: `SB` and the
    /// process start time, so numbers stay unique across restarts).
    #[arg(long, value_name = "PREFIX", value_parser = parse_prefix)]
    pub order_prefix: Option<String>,
}

/// `--mode`: the merchant's payment mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Immediate sale (決済処理): 01 → 07.
    Immediate,
    /// Authorization (仮売決済処理): 01 → 03, settled later.
    Auth,
}

impl From<ModeArg> for PaymentMode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Immediate => PaymentMode::Immediate,
            ModeArg::Auth => PaymentMode::Authorization,
        }
    }
}

/// `--cgi-method`: how CGI calls are sent (the manual: "GETで行います。
/// POSTで行う場合は、営業担当までご連絡ください").
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CgiMethod {
    /// `GET URL?query` (the default).
    Get,
    /// `POST URL` with the query as an
    /// `application/x-www-form-urlencoded` body in `--charset`.
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

/// `--charset`: `sjis` or `utf8` (D-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CharsetArg {
    /// Shift_JIS.
    Sjis,
    /// UTF-8.
    Utf8,
}

impl From<CharsetArg> for Charset {
    fn from(c: CharsetArg) -> Self {
        match c {
            CharsetArg::Sjis => Charset::ShiftJis,
            CharsetArg::Utf8 => Charset::Utf8,
        }
    }
}

/// A wrapper to parse [`SandboxConfig`] on its own.
#[derive(Parser)]
#[command(name = "sandbox")]
struct Standalone {
    #[command(flatten)]
    config: SandboxConfig,
}

impl SandboxConfig {
    /// `--cgi-optional` as the core's choice for the optional CGI calls
    /// (D-13).
    pub fn optional_cgi(&self) -> OptionalCgi {
        if self.cgi_optional {
            OptionalCgi::Send
        } else {
            OptionalCgi::Skip
        }
    }

    /// Parses flags as the command line would (without the program name):
    /// `SandboxConfig::from_flags(["--mode", "immediate"])`.
    pub fn from_flags<I, T>(flags: I) -> Result<SandboxConfig, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = std::iter::once(std::ffi::OsString::from("sandbox"))
            .chain(flags.into_iter().map(Into::into));
        Standalone::try_parse_from(args).map(|s| s.config)
    }

    /// The payment mode.
    pub fn payment_mode(&self) -> PaymentMode {
        self.mode.into()
    }

    /// The charset.
    pub fn charset(&self) -> Charset {
        self.charset.into()
    }
}

impl Default for SandboxConfig {
    /// Every default of INTERFACES.md §2.
    fn default() -> Self {
        // The defaults are written once, in the clap attributes above.
        match SandboxConfig::from_flags(std::iter::empty::<&str>()) {
            Ok(c) => c,
            Err(e) => unreachable!("the default flags parse: {e}"),
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
            .field("cgi_url", &self.cgi_url)
            .field("cgi_params", &self.cgi_params)
            .field("cgi_optional", &self.cgi_optional)
            .field("cgi_retry", &self.cgi_retry)
            .field("cgi_timeout_secs", &self.cgi_timeout_secs)
            .field("cgi_retry_interval_secs", &self.cgi_retry_interval_secs)
            .field("cgi_method", &self.cgi_method)
            .field("cgi_max_retries", &self.cgi_max_retries)
            .field(
                "cgi_error_mail_on_bad_body",
                &self.cgi_error_mail_on_bad_body,
            )
            .field("cgi_answer_wait_secs", &self.cgi_answer_wait_secs)
            .field("test_ids", &self.test_ids)
            .field("mail_to", &self.mail_to)
            .field("charset", &self.charset)
            .field("now", &self.now)
            .field("mail_dir", &self.mail_dir)
            .field("order_prefix", &self.order_prefix)
            .finish()
    }
}

/// Seconds as a non-negative decimal number (`40`, `0.25`).
fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("{s:?} is not a non-negative duration"))
}

fn parse_rfc3339(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| format!("{s:?} is not RFC 3339: {e}"))
}

/// Order numbers are at most 38 of `A-Za-z0-9.-` (SPEC §5); the prefix
/// leaves room for `-` and a counter.
fn parse_prefix(s: &str) -> Result<String, String> {
    if s.is_empty()
        || s.len() > 24
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(format!(
            "{s:?}: an order prefix is 1-24 of A-Z a-z 0-9 . - (order numbers are at most 38)"
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_2_defaults() {
        let c = SandboxConfig::default();
        assert_eq!(c.listen, "127.0.0.1:8931");
        assert_eq!(c.clientip, "1234567890");
        assert_eq!(c.zkey, "sandbox-zkey");
        assert_eq!(c.mode, ModeArg::Auth);
        assert_eq!(c.cgi_url, None);
        assert_eq!(c.cgi_params, ALL_CGI_PARAMS);
        assert!(!c.cgi_optional && !c.cgi_retry);
        assert_eq!(c.cgi_timeout_secs, Duration::from_secs(40));
        assert_eq!(c.cgi_retry_interval_secs, Duration::from_secs(40));
        assert_eq!(c.cgi_max_retries, 5);
        assert_eq!(c.cgi_method, CgiMethod::Get);
        assert_eq!(
            SandboxConfig::from_flags(["--cgi-method", "post"])
                .expect("flags")
                .cgi_method,
            CgiMethod::Post
        );
        assert!(SandboxConfig::from_flags(["--cgi-method", "put"]).is_err());
        assert_eq!(c.test_ids, ["12345678"]);
        assert_eq!(c.mail_to, "merchant@example.invalid");
        assert_eq!(c.charset, CharsetArg::Sjis);
        assert_eq!(c.now, None);
        assert_eq!(c.mail_dir, None);
    }

    #[test]
    fn flags_parse_and_test_id_repeats() {
        let c = SandboxConfig::from_flags([
            "--mode",
            "immediate",
            "--test-id",
            "1",
            "--test-id",
            "2",
            "--charset",
            "utf8",
            "--cgi-timeout-secs",
            "0.25",
            "--now",
            "2026-01-10T10:00:00+09:00",
        ])
        .expect("flags");
        assert_eq!(c.mode, ModeArg::Immediate);
        assert_eq!(c.test_ids, ["1", "2"]);
        assert_eq!(c.charset(), Charset::Utf8);
        assert_eq!(c.cgi_timeout_secs, Duration::from_millis(250));
        assert!(c.now.is_some());
        assert!(SandboxConfig::from_flags(["--mode", "sale"]).is_err());
        assert!(SandboxConfig::from_flags(["--cgi-timeout-secs", "-1"]).is_err());
        assert!(SandboxConfig::from_flags(["--order-prefix", "a_b"]).is_err());
    }

    #[test]
    fn zkey_is_redacted_in_debug() {
        let c = SandboxConfig::from_flags(["--zkey", "s3cr3t-value"]).expect("flags");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
