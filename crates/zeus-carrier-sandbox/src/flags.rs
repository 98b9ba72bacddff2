//! [`SandboxConfig::from_flags`]: flag strings read into the builder, for
//! callers that still hold them. The builder is the way to configure a
//! sandbox; the command line itself is parsed by the CLI crate (with its
//! help texts), and a CLI test checks that both read every flag of
//! INTERFACES.md §2 to the same configuration.

use std::time::Duration;

use chrono::DateTime;
use zeus_carrier_core::callback::{CgiParam, DeliveryPolicy};
use zeus_carrier_core::{Charset, PaymentMode};

use crate::config::{CgiMethod, CgiTarget, ConfigError, MailSettings, SandboxConfig};

/// Flag strings that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlagsError {
    /// Not a flag of INTERFACES.md §2.
    #[error("{0}: not a sandbox flag (INTERFACES.md §2)")]
    Unknown(String),
    /// A flag that takes a value came last.
    #[error("{0}: a value is required")]
    MissingValue(&'static str),
    /// A value the flag cannot take.
    #[error("{flag}: {reason}")]
    BadValue {
        /// The flag.
        flag: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The settings read, but break a rule.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The flags that take no value.
const SWITCHES: [&str; 3] = [
    "--cgi-optional",
    "--cgi-retry",
    "--cgi-error-mail-on-bad-body",
];

/// The flags that take one value.
const VALUED: [&str; 17] = [
    "--listen",
    "--clientip",
    "--zkey",
    "--mode",
    "--cgi-url",
    "--cgi-params",
    "--cgi-timeout-secs",
    "--cgi-retry-interval-secs",
    "--cgi-max-retries",
    "--cgi-method",
    "--cgi-answer-wait-secs",
    "--test-id",
    "--mail-to",
    "--charset",
    "--now",
    "--mail-dir",
    "--order-prefix",
];

/// Seconds as a non-negative decimal number (`40`, `0.25`): the reading of
/// every `--*-secs` flag.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("{s:?} is not a non-negative duration"))
}

impl SandboxConfig {
    /// Reads flag strings of `zeus-carrier sandbox` (without the program
    /// name), `--flag value` or `--flag=value`, into
    /// [`SandboxConfig::builder`] and builds: the same configuration the
    /// command line gives. Prefer the builder in new code.
    pub fn from_flags<I, T>(flags: I) -> Result<SandboxConfig, FlagsError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString>,
    {
        let mut args = flags
            .into_iter()
            .map(|a| a.into().to_string_lossy().into_owned());
        let mut b = SandboxConfig::builder();
        let mut cgi_url: Option<String> = None;
        let mut params: Option<Vec<CgiParam>> = None;
        let mut optional = false;
        let mut method = CgiMethod::Get;
        let mut policy = DeliveryPolicy::default();
        let mut test_ids: Vec<String> = Vec::new();
        let mut mail = MailSettings::default();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            if let Some(flag) = SWITCHES.iter().find(|f| **f == name) {
                if inline.is_some() {
                    return Err(FlagsError::BadValue {
                        flag,
                        reason: "takes no value".to_owned(),
                    });
                }
                match *flag {
                    "--cgi-optional" => optional = true,
                    "--cgi-retry" => policy.retry_enabled = true,
                    _ => policy.error_mail_on_bad_body = true,
                }
                continue;
            }
            let Some(flag) = VALUED.iter().copied().find(|f| *f == name) else {
                return Err(FlagsError::Unknown(arg));
            };
            let value = match inline {
                Some(v) => v,
                None => args.next().ok_or(FlagsError::MissingValue(flag))?,
            };
            let bad = |reason: String| FlagsError::BadValue { flag, reason };
            match flag {
                "--listen" => b = b.listen(value),
                "--clientip" => b = b.clientip(value),
                "--zkey" => b = b.zkey(value),
                "--mode" => {
                    b = b.mode(match value.as_str() {
                        "immediate" => PaymentMode::Immediate,
                        "auth" => PaymentMode::Authorization,
                        _ => return Err(bad(format!("{value:?}: expected immediate or auth"))),
                    });
                }
                "--cgi-url" => cgi_url = Some(value),
                "--cgi-params" => {
                    params = Some(CgiParam::parse_list(&value).map_err(|e| bad(e.to_string()))?);
                }
                "--cgi-timeout-secs" => policy.timeout = parse_secs(&value).map_err(bad)?,
                "--cgi-retry-interval-secs" => {
                    policy.retry_interval = parse_secs(&value).map_err(bad)?;
                }
                "--cgi-max-retries" => {
                    policy.max_retries = value
                        .parse()
                        .map_err(|_| bad(format!("{value:?} is not a whole number")))?;
                }
                "--cgi-method" => {
                    method = match value.as_str() {
                        "get" => CgiMethod::Get,
                        "post" => CgiMethod::Post,
                        _ => return Err(bad(format!("{value:?}: expected get or post"))),
                    };
                }
                "--cgi-answer-wait-secs" => {
                    b = b.cgi_answer_wait(parse_secs(&value).map_err(bad)?);
                }
                "--test-id" => test_ids.push(value),
                "--mail-to" => mail.to = value,
                "--charset" => {
                    b = b.charset(match value.as_str() {
                        "sjis" => Charset::ShiftJis,
                        "utf8" => Charset::Utf8,
                        _ => return Err(bad(format!("{value:?}: expected sjis or utf8"))),
                    });
                }
                "--now" => {
                    let at = DateTime::parse_from_rfc3339(&value)
                        .map_err(|e| bad(format!("{value:?} is not RFC 3339: {e}")))?;
                    b = b.frozen_at(at);
                }
                "--mail-dir" => mail.dir = Some(value.into()),
                _ => b = b.order_prefix(value),
            }
        }
        if let Some(url) = cgi_url {
            let mut target = CgiTarget::new(url).method(method).optional(optional);
            if let Some(p) = params {
                target = target.params(p);
            }
            b = b.cgi(target);
        }
        if !test_ids.is_empty() {
            b = b.test_ids(test_ids);
        }
        Ok(b.retry_policy(policy).mail(mail).build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_into_the_builder() {
        let c = SandboxConfig::from_flags([
            "--mode",
            "immediate",
            "--test-id",
            "1",
            "--test-id=2",
            "--charset",
            "utf8",
            "--cgi-timeout-secs",
            "0.25",
            "--cgi-url",
            "http://127.0.0.1:1/cgi",
            "--cgi-method",
            "post",
            "--cgi-optional",
            "--now",
            "2026-01-10T10:00:00+09:00",
        ])
        .expect("flags");
        assert_eq!(c.payment_mode(), PaymentMode::Immediate);
        assert_eq!(c.test_ids(), ["1", "2"]);
        assert_eq!(c.charset(), Charset::Utf8);
        assert_eq!(c.delivery_policy().timeout, Duration::from_millis(250));
        let cgi = c.cgi().expect("cgi");
        assert_eq!(cgi.method, CgiMethod::Post);
        assert!(cgi.optional);
        assert!(c.frozen_at().is_some());
    }

    #[test]
    fn unreadable_flags_are_refused_by_name() {
        for (flags, shown) in [
            (&["--mode", "sale"][..], "--mode"),
            (&["--cgi-timeout-secs", "-1"], "--cgi-timeout-secs"),
            (&["--order-prefix", "a_b"], "--order-prefix"),
            (&["--cgi-method", "put"], "--cgi-method"),
            (&["--colour", "red"], "--colour"),
            (&["--zkey"], "--zkey"),
            (&["--cgi-retry=yes"], "--cgi-retry"),
            (
                &["--cgi-url", "http://x/", "--cgi-params", "status,colour"],
                "--cgi-params",
            ),
        ] {
            let e = SandboxConfig::from_flags(flags.iter().copied()).expect_err("refused");
            assert!(e.to_string().starts_with(shown), "{flags:?}: {e}");
        }
    }
}
