//! The gateway's delivery policy for CGI calls, as pure data (R-CG-1,
//! R-CG-2, R-CG-6, R-ST-3).
//!
//! A driver (the sandbox) sends a call, measures what happened, asks
//! [`judge_attempt`] what the attempt was, then asks
//! [`DeliveryPolicy::after_attempt`] what to do next: nothing, send again
//! at a moment counted from the previous attempt's start, or give up (with
//! or without the "CGI send error" mail). Nothing here sleeps or reads a
//! clock; the moment is returned as data.
//!
//! # Cadence (R-CG-2)
//! The manual: "40秒ごとにCGI再送処理が行われ" — a resend every 40 s. The
//! interval runs from one attempt's START to the next one's start
//! ([`NextStep::Retry`] carries the offset from the previous start). An
//! attempt that timed out after 40 s is therefore retried as it times out,
//! and one refused at once is retried 40 s after it started: the first
//! attempt and five retries start at 0, 40, 80, 120, 160 and 200 s, and the
//! last one gives up at 240 s — not 40 s of timeout plus 40 s of pause
//! each (80 s apart, 440 s in all).
//!
//! The manual's table (CGIコールについて), and how it is encoded:
//!
//! | answer | error mail | automatic retry | here |
//! |---|---|---|---|
//! | 200 and `successok` at the head | – | – | [`NextStep::Done`] |
//! | not 200 (404, 500, …) | ○ | – | give up at once, mail |
//! | no answer within 40 s | ○ (after the last retry) | ◎ | retried when enabled, mail when all fail |
//! | 200 without `successok` | ◎ | – | give up at once, mail only when [`DeliveryPolicy::error_mail_on_bad_body`] |
//!
//! ○ is the default, ◎ is "only on the merchant's request", so the error
//! mail for a wrong body is a switch that is off by default (SPEC R-ST-3
//! says the same). The hand resend of a wrong body is ◎ in the manual's
//! table too, where SPEC R-CG-2 says both can be resent by hand; the
//! manual wins ([`DeliveryPolicy::hand_resend_offered`]).
//!
//! Connection errors (refused, reset, DNS) are not in the manual's table.
//! Decision: they are treated like timeouts — the merchant's server gave no
//! answer, so they are retried when retries are enabled and end in the error
//! mail.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr};

use crate::status::{OptionalCgi, Status};

/// The manual's CGI timeout: 40 seconds without an answer (R-CG-2).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(40);

/// The manual's interval between automatic retries, from the start of one
/// attempt to the start of the next: 40 seconds (R-CG-2).
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(40);

/// The manual's largest number of automatic retries: 5 (R-CG-2).
pub const DEFAULT_MAX_RETRIES: u32 = 5;

/// The body prefix that acknowledges a CGI call (R-CG-1).
pub const ACK_PREFIX: &[u8] = b"successok";

/// What one attempt to deliver a CGI call came to (R-CG-1). The wire names
/// are those of the sandbox's `/_sandbox/cgi` log.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, IntoStaticStr, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AttemptOutcome {
    /// HTTP 200 and a body starting with `successok`: delivered.
    Ok,
    /// An answer with a status other than 200.
    HttpError,
    /// HTTP 200, but the body does not start with `successok`.
    BadBody,
    /// No complete answer within the timeout.
    Timeout,
    /// No connection (refused, reset, name not resolved).
    ConnectError,
}

impl AttemptOutcome {
    /// The wire name: `ok`, `http_error`, `bad_body`, `timeout`,
    /// `connect_error`.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether the call was delivered (R-CG-1).
    pub const fn is_ok(self) -> bool {
        match self {
            AttemptOutcome::Ok => true,
            AttemptOutcome::HttpError
            | AttemptOutcome::BadBody
            | AttemptOutcome::Timeout
            | AttemptOutcome::ConnectError => false,
        }
    }

    /// A short Japanese description for the error mail (R-ST-3).
    pub const fn label_ja(self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "正常応答 (200 OK / successok)",
            AttemptOutcome::HttpError => "200 OK 以外の応答",
            AttemptOutcome::BadBody => "応答の先頭が successok ではありません",
            AttemptOutcome::Timeout => "応答なし (タイムアウト)",
            AttemptOutcome::ConnectError => "接続できません",
        }
    }
}

impl std::fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an attempt produced no answer (R-CG-2): the driver's transport
/// reports it to [`judge_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// No answer within the timeout (40 s); a late answer is not an answer.
    TimedOut,
    /// The connection failed (refused, reset, DNS, TLS).
    ConnectError,
}

/// Classifies one attempt (R-CG-1): ok if and only if the answer is HTTP 200
/// and its body starts with the bytes `successok` (case-sensitive, nothing
/// before it).
///
/// Precedence: a transport failure wins over everything (a late answer is
/// not an answer); without one, a missing status means no answer was
/// received and counts as a connection error. A 200 without a body is a bad
/// body.
pub fn judge_attempt(
    http_status: Option<u16>,
    body: Option<&[u8]>,
    failure: Option<TransportFailure>,
) -> AttemptOutcome {
    match failure {
        Some(TransportFailure::TimedOut) => return AttemptOutcome::Timeout,
        Some(TransportFailure::ConnectError) => return AttemptOutcome::ConnectError,
        None => {}
    }
    match http_status {
        None => AttemptOutcome::ConnectError,
        Some(200) => match body {
            Some(b) if b.starts_with(ACK_PREFIX) => AttemptOutcome::Ok,
            Some(_) | None => AttemptOutcome::BadBody,
        },
        Some(_) => AttemptOutcome::HttpError,
    }
}

/// What the driver does after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextStep {
    /// Delivered: nothing more to do.
    Done,
    /// Send the same call again, starting `after_start` after the previous
    /// attempt STARTED (R-CG-2: attempts start 40 s apart). When that moment
    /// has already passed (the attempt timed out after at least this long),
    /// the retry starts at once.
    Retry {
        /// The offset from the previous attempt's start.
        after_start: Duration,
    },
    /// Stop. The call can still be resent by hand (management screen).
    GiveUp {
        /// Whether the "CGI send error" mail is sent (R-ST-3, D-14).
        error_mail: bool,
    },
}

impl NextStep {
    /// For [`NextStep::Retry`]: how long the driver still waits when the
    /// previous attempt started `elapsed` ago (zero once the moment has
    /// passed, e.g. after a 40 s timeout). `None` for any other step.
    pub const fn retry_pause(&self, elapsed: Duration) -> Option<Duration> {
        match *self {
            NextStep::Retry { after_start } => Some(after_start.saturating_sub(elapsed)),
            NextStep::Done | NextStep::GiveUp { .. } => None,
        }
    }
}

/// How the gateway delivers CGI calls for one merchant (R-CG-2). Plain
/// data; [`Default`] gives the manual's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryPolicy {
    /// How long to wait for an answer: 40 s (R-CG-2).
    pub timeout: Duration,
    /// Whether timeouts (and connection errors) are retried automatically.
    /// Off unless the merchant asked for it (◎).
    pub retry_enabled: bool,
    /// The interval from one attempt's start to the next attempt's start:
    /// 40 s (R-CG-2).
    pub retry_interval: Duration,
    /// The most automatic retries after the first attempt: 5 (R-CG-2). Not
    /// capped here, so a sandbox can try other values.
    pub max_retries: u32,
    /// Whether a 200 answer whose body does not start with `successok`
    /// sends the error mail. The manual marks it ◎ (only on request): off by
    /// default.
    pub error_mail_on_bad_body: bool,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            timeout: DEFAULT_TIMEOUT,
            retry_enabled: false,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            max_retries: DEFAULT_MAX_RETRIES,
            error_mail_on_bad_body: false,
        }
    }
}

impl DeliveryPolicy {
    /// The most attempts one notification gets automatically: 1, or
    /// 1 + `max_retries` with retries enabled.
    pub const fn max_attempts(&self) -> u32 {
        if self.retry_enabled {
            self.max_retries.saturating_add(1)
        } else {
            1
        }
    }

    /// What to do after attempt number `attempt_no` (1-based: 1 is the first
    /// call, 2 the first retry; 0 is read as 1) came to `outcome`
    /// (R-CG-1, R-CG-2, R-ST-3):
    /// - ok: done;
    /// - timeout or connection error: with retries enabled and attempts
    ///   left, retry `retry_interval` after this attempt's start (at once
    ///   when the attempt took longer); otherwise give up with the error
    ///   mail;
    /// - non-200: give up at once with the error mail (no automatic retry);
    /// - wrong body: give up at once; the mail only when
    ///   `error_mail_on_bad_body`.
    pub const fn after_attempt(&self, attempt_no: u32, outcome: AttemptOutcome) -> NextStep {
        match outcome {
            AttemptOutcome::Ok => NextStep::Done,
            AttemptOutcome::Timeout | AttemptOutcome::ConnectError => {
                let attempt_no = if attempt_no == 0 { 1 } else { attempt_no };
                if attempt_no < self.max_attempts() {
                    NextStep::Retry {
                        after_start: self.retry_interval,
                    }
                } else {
                    NextStep::GiveUp { error_mail: true }
                }
            }
            AttemptOutcome::HttpError => NextStep::GiveUp { error_mail: true },
            AttemptOutcome::BadBody => NextStep::GiveUp {
                error_mail: self.error_mail_on_bad_body,
            },
        }
    }
}

impl DeliveryPolicy {
    /// Whether the management screen offers a hand resend (CGI再送信) of
    /// an attempt that came to `outcome` (R-CG-2; the manual's table of
    /// CGIコール, "売上管理画面から手動作業"): ○ after an answer other
    /// than 200 and after a timeout — and after no connection, the same
    /// "CGIの受け取りに失敗した場合"; ◎ (on the merchant's request) after a
    /// 200 whose body does not start with `successok`, read as the same
    /// request as that row's error mail ([`Self::error_mail_on_bad_body`],
    /// docs/DECISIONS.md); never after a delivered call.
    pub const fn hand_resend_offered(&self, outcome: AttemptOutcome) -> bool {
        match outcome {
            AttemptOutcome::Ok => false,
            AttemptOutcome::HttpError | AttemptOutcome::Timeout | AttemptOutcome::ConnectError => {
                true
            }
            AttemptOutcome::BadBody => self.error_mail_on_bad_body,
        }
    }
}

/// Whether a CGI call is sent when an order enters `status`, given the
/// merchant's opt-in to the optional statuses 04, 10, 11 (R-CG-6, D-13).
pub const fn should_notify(status: Status, optional: OptionalCgi) -> bool {
    status.sends_cgi(optional)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn r_cg_2_hand_resend_follows_the_manuals_table() {
        let default = DeliveryPolicy::default();
        let asked = DeliveryPolicy {
            error_mail_on_bad_body: true,
            ..DeliveryPolicy::default()
        };
        for outcome in AttemptOutcome::iter() {
            let (by_default, on_request) = match outcome {
                AttemptOutcome::Ok => (false, false),
                AttemptOutcome::HttpError
                | AttemptOutcome::Timeout
                | AttemptOutcome::ConnectError => (true, true),
                AttemptOutcome::BadBody => (false, true),
            };
            assert_eq!(
                default.hand_resend_offered(outcome),
                by_default,
                "{outcome}"
            );
            assert_eq!(asked.hand_resend_offered(outcome), on_request, "{outcome}");
        }
    }

    fn retrying() -> DeliveryPolicy {
        DeliveryPolicy {
            retry_enabled: true,
            ..DeliveryPolicy::default()
        }
    }

    #[test]
    fn r_cg_1_only_200_with_successok_prefix_is_ok() {
        let ok = |s, b: &[u8]| judge_attempt(Some(s), Some(b), None);
        assert_eq!(ok(200, b"successok"), AttemptOutcome::Ok);
        assert_eq!(ok(200, b"successok\r\n"), AttemptOutcome::Ok);
        assert_eq!(ok(200, b"successok and more"), AttemptOutcome::Ok);
        for body in [
            &b""[..],
            b"SUCCESSOK",
            b" successok",
            b"successo",
            b"ok",
            b"\xEF\xBB\xBFsuccessok",
        ] {
            assert_eq!(ok(200, body), AttemptOutcome::BadBody, "{body:?}");
        }
        assert_eq!(
            judge_attempt(Some(200), None, None),
            AttemptOutcome::BadBody
        );
        for status in [201, 204, 301, 302, 400, 403, 404, 500, 503] {
            assert_eq!(
                ok(status, b"successok"),
                AttemptOutcome::HttpError,
                "{status}"
            );
        }
    }

    #[test]
    fn r_cg_1_timeout_and_connect_error_take_precedence() {
        assert_eq!(
            judge_attempt(
                Some(200),
                Some(b"successok"),
                Some(TransportFailure::TimedOut)
            ),
            AttemptOutcome::Timeout
        );
        assert_eq!(
            judge_attempt(None, None, Some(TransportFailure::TimedOut)),
            AttemptOutcome::Timeout
        );
        assert_eq!(
            judge_attempt(None, None, Some(TransportFailure::ConnectError)),
            AttemptOutcome::ConnectError
        );
        assert_eq!(
            judge_attempt(None, None, None),
            AttemptOutcome::ConnectError
        );
        assert_eq!(
            judge_attempt(
                Some(200),
                Some(b"successok"),
                Some(TransportFailure::ConnectError)
            ),
            AttemptOutcome::ConnectError
        );
    }

    #[test]
    fn r_cg_1_outcome_wire_names() {
        let names: Vec<_> = AttemptOutcome::iter().map(AttemptOutcome::name).collect();
        assert_eq!(
            names,
            ["ok", "http_error", "bad_body", "timeout", "connect_error"]
        );
        for o in AttemptOutcome::iter() {
            let json = serde_json::to_string(&o).expect("json");
            assert_eq!(json, format!("\"{}\"", o.name()));
            assert_eq!(o.is_ok(), o == AttemptOutcome::Ok);
        }
    }

    #[test]
    fn r_cg_2_defaults_are_the_manuals_values() {
        let p = DeliveryPolicy::default();
        assert_eq!(p.timeout, Duration::from_secs(40));
        assert_eq!(p.retry_interval, Duration::from_secs(40));
        assert_eq!(p.max_retries, 5);
        assert!(!p.retry_enabled);
        assert!(!p.error_mail_on_bad_body);
        assert_eq!(p.max_attempts(), 1);
        assert_eq!(retrying().max_attempts(), 6);
    }

    /// Drives a policy against a server that always answers `outcome`, and
    /// returns every step taken.
    fn schedule(p: &DeliveryPolicy, outcome: AttemptOutcome) -> Vec<NextStep> {
        let mut steps = Vec::new();
        for attempt in 1..=100 {
            let step = p.after_attempt(attempt, outcome);
            steps.push(step);
            if !matches!(step, NextStep::Retry { .. }) {
                break;
            }
        }
        steps
    }

    #[test]
    fn r_cg_2_five_retries_then_error_mail() {
        let wait = NextStep::Retry {
            after_start: Duration::from_secs(40),
        };
        for outcome in [AttemptOutcome::Timeout, AttemptOutcome::ConnectError] {
            let steps = schedule(&retrying(), outcome);
            assert_eq!(
                steps,
                [
                    wait,
                    wait,
                    wait,
                    wait,
                    wait,
                    NextStep::GiveUp { error_mail: true }
                ],
                "{outcome}"
            );
        }
    }

    #[test]
    fn r_cg_2_timeout_without_retries_mails_at_once() {
        for outcome in [AttemptOutcome::Timeout, AttemptOutcome::ConnectError] {
            assert_eq!(
                schedule(&DeliveryPolicy::default(), outcome),
                [NextStep::GiveUp { error_mail: true }]
            );
        }
    }

    #[test]
    fn r_cg_2_retry_schedule_follows_the_configured_numbers() {
        let p = DeliveryPolicy {
            retry_enabled: true,
            retry_interval: Duration::from_secs(3),
            max_retries: 2,
            ..DeliveryPolicy::default()
        };
        let wait = NextStep::Retry {
            after_start: Duration::from_secs(3),
        };
        assert_eq!(
            schedule(&p, AttemptOutcome::Timeout),
            [wait, wait, NextStep::GiveUp { error_mail: true }]
        );
        let none = DeliveryPolicy {
            max_retries: 0,
            ..p
        };
        assert_eq!(
            schedule(&none, AttemptOutcome::Timeout),
            [NextStep::GiveUp { error_mail: true }]
        );
        // Attempt 0 is read as the first attempt; past the end stays given up.
        assert_eq!(p.after_attempt(0, AttemptOutcome::Timeout), wait);
        assert_eq!(
            p.after_attempt(u32::MAX, AttemptOutcome::Timeout),
            NextStep::GiveUp { error_mail: true }
        );
        let huge = DeliveryPolicy {
            max_retries: u32::MAX,
            ..p
        };
        assert_eq!(huge.max_attempts(), u32::MAX);
    }

    #[test]
    fn r_cg_2_non_200_mails_and_is_not_retried() {
        for p in [DeliveryPolicy::default(), retrying()] {
            assert_eq!(
                schedule(&p, AttemptOutcome::HttpError),
                [NextStep::GiveUp { error_mail: true }]
            );
        }
    }

    #[test]
    fn r_st_3_bad_body_mail_is_a_switch_off_by_default() {
        for p in [DeliveryPolicy::default(), retrying()] {
            assert_eq!(
                schedule(&p, AttemptOutcome::BadBody),
                [NextStep::GiveUp { error_mail: false }]
            );
            let on = DeliveryPolicy {
                error_mail_on_bad_body: true,
                ..p
            };
            assert_eq!(
                schedule(&on, AttemptOutcome::BadBody),
                [NextStep::GiveUp { error_mail: true }]
            );
        }
    }

    /// Drives a policy against a server whose every attempt ends with
    /// `outcome` after `takes` (capped by the timeout), the way a driver
    /// does: each retry starts `retry_pause(elapsed)` after the previous
    /// attempt ended. Returns the start of every attempt and the moment the
    /// delivery gave up, in seconds from the first start.
    fn timeline(p: &DeliveryPolicy, outcome: AttemptOutcome, takes: Duration) -> (Vec<u64>, u64) {
        let takes = takes.min(p.timeout);
        let mut starts = Vec::new();
        let mut start = Duration::ZERO;
        for attempt in 1..=100 {
            starts.push(start.as_secs());
            let ended = start + takes;
            let step = p.after_attempt(attempt, outcome);
            match step.retry_pause(takes) {
                Some(pause) => start = ended + pause,
                None => return (starts, ended.as_secs()),
            }
        }
        unreachable!("a policy gives up within 100 attempts")
    }

    #[test]
    fn r_cg_2_attempts_start_40_s_apart_after_timeouts() {
        // Every attempt times out after 40 s: each retry starts as the
        // previous one times out ("40秒ごとに"), five retries, error mail at
        // 240 s (not 80 s apart and 440 s, as a pause after the timeout
        // would make it).
        let (starts, gave_up) = timeline(
            &retrying(),
            AttemptOutcome::Timeout,
            Duration::from_secs(40),
        );
        assert_eq!(starts, [0, 40, 80, 120, 160, 200]);
        assert_eq!(gave_up, 240);
    }

    #[test]
    fn r_cg_2_refused_connections_are_retried_40_s_after_they_started() {
        let (starts, gave_up) = timeline(&retrying(), AttemptOutcome::ConnectError, Duration::ZERO);
        assert_eq!(starts, [0, 40, 80, 120, 160, 200]);
        assert_eq!(gave_up, 200);
        // An attempt that failed after 15 s waits the remaining 25 s.
        let (starts, _) = timeline(
            &retrying(),
            AttemptOutcome::ConnectError,
            Duration::from_secs(15),
        );
        assert_eq!(starts, [0, 40, 80, 120, 160, 200]);
    }

    #[test]
    fn r_cg_2_retry_pause_counts_from_the_attempts_start() {
        let step = retrying().after_attempt(1, AttemptOutcome::Timeout);
        let s = Duration::from_secs;
        assert_eq!(step.retry_pause(s(0)), Some(s(40)));
        assert_eq!(step.retry_pause(s(39)), Some(s(1)));
        assert_eq!(step.retry_pause(s(40)), Some(s(0)));
        assert_eq!(step.retry_pause(s(41)), Some(s(0)));
        assert_eq!(NextStep::Done.retry_pause(s(1)), None);
        assert_eq!(
            NextStep::GiveUp { error_mail: true }.retry_pause(s(1)),
            None
        );
        // A timeout shorter than the interval: the retry still starts one
        // interval after the attempt's start.
        let p = DeliveryPolicy {
            timeout: s(10),
            ..retrying()
        };
        let (starts, gave_up) = timeline(&p, AttemptOutcome::Timeout, s(40));
        assert_eq!(starts, [0, 40, 80, 120, 160, 200]);
        assert_eq!(gave_up, 210);
    }

    #[test]
    fn r_cg_1_ok_is_done_on_any_attempt() {
        for attempt in [1, 2, 6, 7] {
            assert_eq!(
                retrying().after_attempt(attempt, AttemptOutcome::Ok),
                NextStep::Done
            );
        }
    }

    #[test]
    fn r_cg_6_optional_statuses_only_when_opted_in() {
        for s in Status::iter() {
            assert_eq!(
                should_notify(s, OptionalCgi::Skip),
                s.sends_cgi(OptionalCgi::Skip),
                "{s}"
            );
            assert_eq!(
                should_notify(s, OptionalCgi::Send),
                s.sends_cgi(OptionalCgi::Send),
                "{s}"
            );
        }
        for s in [
            Status::SettleReserved,
            Status::AuthorizationCancelled,
            Status::AuthorizationCancelFailed,
        ] {
            assert!(!should_notify(s, OptionalCgi::Skip), "{s}");
            assert!(should_notify(s, OptionalCgi::Send), "{s}");
        }
        for s in [Status::Accepting, Status::Settling] {
            assert!(!should_notify(s, OptionalCgi::Send), "{s}");
        }
    }
}
