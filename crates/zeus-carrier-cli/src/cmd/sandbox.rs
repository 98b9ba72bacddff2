//! `zeus-carrier sandbox`: the flags of INTERFACES.md §2, read into the
//! sandbox's builder. Every flag and default of the interface is kept
//! exactly (the defaults are the sandbox library's constants); the extra
//! flags are marked "sandbox addition".

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use clap::ValueEnum;
use zeus_carrier_core::callback::{CgiParam, DeliveryPolicy};
use zeus_carrier_core::{Charset, PaymentMode};
use zeus_carrier_sandbox::{
    ALL_CGI_PARAMS, CgiMethod, CgiTarget, ConfigError, DEFAULT_CLIENTIP, DEFAULT_LISTEN,
    DEFAULT_MAIL_TO, DEFAULT_TEST_ID, DEFAULT_ZKEY, MailSettings, SandboxConfig, parse_secs,
};

/// How the sandbox gateway is configured: one merchant per process
/// (INTERFACES.md §2).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: String,

    /// The merchant's IP code (10 digits).
    #[arg(long, value_name = "DIGITS", default_value = DEFAULT_CLIENTIP)]
    clientip: String,

    /// The Secure Link authentication key. Never logged or shown.
    #[arg(long, value_name = "SECRET", default_value = DEFAULT_ZKEY, hide_default_value = true)]
    zkey: String,

    /// The merchant's payment mode: immediate sale or authorization (仮売).
    #[arg(long, value_enum, default_value = "auth")]
    mode: ModeArg,

    /// Where CGI calls go (none: no CGI calls).
    #[arg(long, value_name = "URL")]
    cgi_url: Option<String>,

    /// The parameters CGI calls carry, comma separated (SPEC §9).
    #[arg(long, value_name = "LIST", default_value = ALL_CGI_PARAMS, value_parser = parse_params)]
    cgi_params: ParamList,

    /// Also send CGI calls for the optional statuses 04, 10 and 11 (D-13).
    #[arg(long)]
    cgi_optional: bool,

    /// Retry CGI calls that time out (or cannot connect) (R-CG-2).
    #[arg(long)]
    cgi_retry: bool,

    /// CGI timeout in seconds; fractions allowed (sandbox addition: `0.2`).
    #[arg(long, value_name = "N", default_value = "40", value_parser = parse_secs)]
    cgi_timeout_secs: Duration,

    /// Interval between automatic CGI attempts, from the START of one to the
    /// start of the next (R-CG-2), in seconds; fractions allowed.
    #[arg(long, value_name = "N", default_value = "40", value_parser = parse_secs)]
    cgi_retry_interval_secs: Duration,

    /// The most automatic CGI retries after the first attempt.
    #[arg(long, value_name = "N", default_value_t = 5)]
    cgi_max_retries: u32,

    /// How CGI calls are sent: `get` (the manual's default) or `post` (the
    /// same parameters as an urlencoded body in `--charset`; the manual
    /// offers it on request).
    #[arg(long, value_enum, default_value = "get")]
    cgi_method: MethodArg,

    /// Also send the CGI error mail when the merchant answers 200 without
    /// `successok` (R-ST-3; the manual marks it "on request").
    #[arg(long)]
    cgi_error_mail_on_bad_body: bool,

    /// How long an endpoint whose action sends CGI calls waits for their
    /// first attempts before it answers, in seconds; fractions allowed
    /// (sandbox addition; see docs/SANDBOX.md).
    #[arg(long, value_name = "N", default_value = "5", value_parser = parse_secs)]
    cgi_answer_wait_secs: Duration,

    /// A test ID (テストID); repeatable.
    #[arg(long = "test-id", value_name = "DIGITS", default_values_t = [String::from(DEFAULT_TEST_ID)])]
    test_ids: Vec<String>,

    /// Where notification mails are addressed.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_MAIL_TO)]
    mail_to: String,

    /// The charset of forms, CGI calls and Secure Link bodies (D-3).
    #[arg(long, value_enum, default_value = "sjis")]
    charset: CharsetArg,

    /// Start with the clock frozen at this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    now: Option<DateTime<FixedOffset>>,

    /// Also write every mail as an `.eml` file into this directory.
    #[arg(long, value_name = "DIR")]
    mail_dir: Option<PathBuf>,

    /// Prefix of order numbers (sandbox addition; default: `SB` and the
    /// process start time, so numbers stay unique across restarts).
    #[arg(long, value_name = "PREFIX")]
    order_prefix: Option<String>,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Immediate sale (決済処理): 01 → 07.
    Immediate,
    /// Authorization (仮売決済処理): 01 → 03, settled later.
    Auth,
}

/// `--cgi-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// `GET URL?query` (the default).
    Get,
    /// `POST URL` with an urlencoded body.
    Post,
}

/// `--charset` (D-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CharsetArg {
    /// Shift_JIS.
    Sjis,
    /// UTF-8.
    Utf8,
}

/// `--cgi-params`, read by the core.
#[derive(Debug, Clone)]
struct ParamList(Vec<CgiParam>);

fn parse_params(s: &str) -> Result<ParamList, String> {
    CgiParam::parse_list(s)
        .map(ParamList)
        .map_err(|e| e.to_string())
}

fn parse_rfc3339(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| format!("{s:?} is not RFC 3339: {e}"))
}

impl Args {
    /// The flags as the sandbox's builder, checked.
    pub(crate) fn into_config(self) -> Result<SandboxConfig, ConfigError> {
        let mut b = SandboxConfig::builder()
            .listen(self.listen)
            .clientip(self.clientip)
            .zkey(self.zkey)
            .mode(match self.mode {
                ModeArg::Immediate => PaymentMode::Immediate,
                ModeArg::Auth => PaymentMode::Authorization,
            })
            .charset(match self.charset {
                CharsetArg::Sjis => Charset::ShiftJis,
                CharsetArg::Utf8 => Charset::Utf8,
            })
            .retry_policy(DeliveryPolicy {
                timeout: self.cgi_timeout_secs,
                retry_enabled: self.cgi_retry,
                retry_interval: self.cgi_retry_interval_secs,
                max_retries: self.cgi_max_retries,
                error_mail_on_bad_body: self.cgi_error_mail_on_bad_body,
            })
            .cgi_answer_wait(self.cgi_answer_wait_secs)
            .test_ids(self.test_ids);
        let mut mail = MailSettings::new(self.mail_to);
        if let Some(dir) = self.mail_dir {
            mail = mail.dir(dir);
        }
        b = b.mail(mail);
        if let Some(url) = self.cgi_url {
            b = b.cgi(
                CgiTarget::new(url)
                    .method(match self.cgi_method {
                        MethodArg::Get => CgiMethod::Get,
                        MethodArg::Post => CgiMethod::Post,
                    })
                    .params(self.cgi_params.0)
                    .optional(self.cgi_optional),
            );
        }
        if let Some(at) = self.now {
            b = b.frozen_at(at);
        }
        if let Some(prefix) = self.order_prefix {
            b = b.order_prefix(prefix);
        }
        b.build()
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Parser)]
    struct Standalone {
        #[command(flatten)]
        args: Args,
    }

    fn parse(flags: &[&str]) -> Result<SandboxConfig, String> {
        let args =
            Standalone::try_parse_from(std::iter::once("sandbox").chain(flags.iter().copied()))
                .map_err(|e| e.to_string())?
                .args;
        args.into_config().map_err(|e| e.to_string())
    }

    /// INTERFACES.md §2: no flag gives every default of the interface.
    #[test]
    fn interfaces_2_defaults() {
        let c = parse(&[]).expect("defaults");
        assert_eq!(format!("{c:?}"), format!("{:?}", SandboxConfig::default()));
        assert_eq!(c.listen(), "127.0.0.1:8931");
        assert_eq!(c.clientip(), "1234567890");
        assert_eq!(c.zkey(), "sandbox-zkey");
        assert_eq!(c.payment_mode(), PaymentMode::Authorization);
        assert!(c.cgi().is_none());
        let p = c.delivery_policy();
        assert_eq!(
            (p.timeout, p.retry_interval, p.max_retries),
            (Duration::from_secs(40), Duration::from_secs(40), 5)
        );
        assert!(!p.retry_enabled && !p.error_mail_on_bad_body);
        assert_eq!(c.test_ids(), ["12345678"]);
        assert_eq!(c.mail().to, "merchant@example.invalid");
        assert_eq!(c.charset(), Charset::ShiftJis);
        assert!(c.frozen_at().is_none());
        let with_url = parse(&["--cgi-url", "http://127.0.0.1:1/cgi"]).expect("url");
        let cgi = with_url.cgi().expect("cgi");
        assert_eq!(cgi.method, CgiMethod::Get);
        assert_eq!(cgi.params, CgiParam::ALL);
        assert!(!cgi.optional);
    }

    /// Every flag of the command reads to the same configuration through
    /// the library's `SandboxConfig::from_flags`: the two readers cannot
    /// drift apart.
    #[test]
    fn every_flag_reads_the_same_through_from_flags() {
        let sample = |flag: &str| -> Vec<&'static str> {
            match flag {
                "listen" => vec!["127.0.0.1:0"],
                "clientip" => vec!["9876543210"],
                "zkey" => vec!["other-key"],
                "mode" => vec!["immediate"],
                "cgi-url" => vec!["http://127.0.0.1:8/cgi"],
                "cgi-params" => vec!["status,order_no"],
                "cgi-timeout-secs" | "cgi-retry-interval-secs" | "cgi-answer-wait-secs" => {
                    vec!["0.25"]
                }
                "cgi-max-retries" => vec!["2"],
                "cgi-method" => vec!["post"],
                "test-id" => vec!["111"],
                "mail-to" => vec!["shop@example.com"],
                "charset" => vec!["utf8"],
                "now" => vec!["2026-12-07T10:00:00+09:00"],
                "mail-dir" => vec!["/tmp/mails"],
                "order-prefix" => vec!["P"],
                _ => vec![],
            }
        };
        let cmd = Standalone::command();
        let mut seen = 0;
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" {
                continue;
            }
            seen += 1;
            let flag = format!("--{long}");
            let mut flags = vec![flag.as_str()];
            flags.extend(sample(long));
            // The CGI flags need a URL to show.
            if long != "cgi-url" {
                flags.extend(["--cgi-url", "http://127.0.0.1:9/cgi"]);
            }
            let by_cli = parse(&flags).unwrap_or_else(|e| panic!("{flags:?}: {e}"));
            let by_lib = SandboxConfig::from_flags(flags.iter().copied())
                .unwrap_or_else(|e| panic!("{flags:?}: {e}"));
            // Debug redacts the zkey: compare it on its own.
            let shown = |c: &SandboxConfig| format!("{c:?} {}", c.zkey());
            assert_eq!(shown(&by_cli), shown(&by_lib), "{flags:?}");
            let base = parse(&["--cgi-url", "http://127.0.0.1:9/cgi"]).expect("base");
            assert_ne!(shown(&by_cli), shown(&base), "{flag} changes nothing");
        }
        assert_eq!(seen, 20, "INTERFACES §2 flags and the sandbox additions");
    }

    #[test]
    fn unusable_flags_are_refused_naming_the_flag() {
        for flags in [
            &["--cgi-url", "not a url"][..],
            &["--mail-to", "nobody"],
            &["--clientip", "12345"],
            &["--zkey", "has space"],
            &["--test-id", "12a"],
            &["--order-prefix", "a_b"],
        ] {
            let e = parse(flags).expect_err("refused");
            assert!(e.starts_with(flags[0]), "{e}");
        }
        for flags in [
            &["--cgi-params", "status,colour"][..],
            &["--mode", "sale"],
            &["--cgi-timeout-secs", "x"],
        ] {
            let e = parse(flags).expect_err("refused");
            assert!(e.contains(flags[0]), "{e}");
        }
    }
}
