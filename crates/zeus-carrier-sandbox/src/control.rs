//! The bodies of the JSON control endpoints (INTERFACES.md §2), read by
//! total functions: every byte string gives a value or a [`ControlError`],
//! never a panic (they are fuzzed, `fuzz/fuzz_targets/control_json.rs`).

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use zeus_carrier_core::Status;

use crate::state::{CarrierOutcome, Settings};

/// A control body that cannot be used; the endpoint answers `400
/// {"error": message}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ControlError(pub String);

/// The body of `POST /_sandbox/clock`: exactly one of `{"now": RFC3339}`
/// and `{"advance_secs": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    /// Freeze the clock at this instant.
    SetNow(DateTime<FixedOffset>),
    /// Move the (frozen) clock by this many seconds (negative allowed).
    Advance(i64),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now: Option<String>,
    advance_secs: Option<i64>,
}

impl ClockChange {
    /// Reads a `POST /_sandbox/clock` body.
    pub fn parse(body: &[u8]) -> Result<ClockChange, ControlError> {
        let change: ClockBody =
            serde_json::from_slice(body).map_err(|e| ControlError(format!("clock: {e}")))?;
        match (change.now, change.advance_secs) {
            (Some(now), None) => DateTime::<FixedOffset>::parse_from_rfc3339(&now)
                .map(ClockChange::SetNow)
                .map_err(|e| ControlError(format!("clock: now {now:?} is not RFC 3339: {e}"))),
            (None, Some(secs)) => Ok(ClockChange::Advance(secs)),
            _ => Err(ControlError(
                "clock: give exactly one of \"now\" and \"advance_secs\"".to_owned(),
            )),
        }
    }
}

/// The body of `POST /_sandbox/orders/{order_no}/carrier-outcome`: at
/// least one of `settle` and `cancel`, each `"ok"` or `"fail"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeChange {
    /// The next settle's carrier result.
    pub settle: Option<CarrierOutcome>,
    /// The next cancel's carrier result.
    pub cancel: Option<CarrierOutcome>,
}

impl OutcomeChange {
    /// Reads a `carrier-outcome` body.
    pub fn parse(body: &[u8]) -> Result<OutcomeChange, ControlError> {
        let change: OutcomeChange = serde_json::from_slice(body)
            .map_err(|e| ControlError(format!("carrier-outcome: {e}")))?;
        if change.settle.is_none() && change.cancel.is_none() {
            return Err(ControlError(
                "carrier-outcome: give \"settle\" and/or \"cancel\" (\"ok\" or \"fail\")"
                    .to_owned(),
            ));
        }
        Ok(change)
    }
}

/// The body of `POST /_sandbox/settings`: any subset of `mail_to`,
/// `mail_off` (status codes of mailed statuses), `test_mail`, `test_cgi`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// A new mail address.
    pub mail_to: Option<String>,
    /// The statuses whose mail is off (replaces the set).
    pub mail_off: Option<Vec<Status>>,
    /// Test payments' notification mails on or off.
    pub test_mail: Option<bool>,
    /// Test payments' CGI calls on or off.
    pub test_cgi: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    mail_to: Option<String>,
    mail_off: Option<Vec<String>>,
    test_mail: Option<bool>,
    test_cgi: Option<bool>,
}

impl SettingsChange {
    /// Reads a `POST /_sandbox/settings` body.
    pub fn parse(body: &[u8]) -> Result<SettingsChange, ControlError> {
        let b: SettingsBody =
            serde_json::from_slice(body).map_err(|e| ControlError(format!("settings: {e}")))?;
        let mail_off = match b.mail_off {
            None => None,
            Some(codes) => Some(
                codes
                    .iter()
                    .map(|c| mailed_status(c))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        Ok(SettingsChange {
            mail_to: b.mail_to,
            mail_off,
            test_mail: b.test_mail,
            test_cgi: b.test_cgi,
        })
    }

    /// The settings with this change applied; the mail address must be one
    /// (checked like `--mail-to`).
    pub fn apply(&self, mut settings: Settings) -> Result<Settings, ControlError> {
        if let Some(to) = &self.mail_to {
            crate::mail::check_address(to)
                .map_err(|e| ControlError(format!("settings: mail_to: {e}")))?;
            settings.mail_to.clone_from(to);
        }
        if let Some(off) = &self.mail_off {
            settings.mail_off = off.iter().copied().collect();
        }
        if let Some(b) = self.test_mail {
            settings.test_mail = b;
        }
        if let Some(b) = self.test_cgi {
            settings.test_cgi = b;
        }
        Ok(settings)
    }
}

/// A status code whose status sends a notification mail (R-ST-2): the only
/// ones a mail can be turned off for.
pub fn mailed_status(code: &str) -> Result<Status, ControlError> {
    match Status::from_code(code) {
        Ok(s) if s.sends_mail() => Ok(s),
        Ok(s) => Err(ControlError(format!(
            "settings: mail_off: {} sends no mail (R-ST-2)",
            s
        ))),
        Err(_) => Err(ControlError(format!(
            "settings: mail_off: {code:?} is not a status code (01-11)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_bodies() {
        assert_eq!(
            ClockChange::parse(br#"{"advance_secs": -5}"#),
            Ok(ClockChange::Advance(-5))
        );
        assert!(matches!(
            ClockChange::parse(br#"{"now": "2026-01-10T10:00:00+09:00"}"#),
            Ok(ClockChange::SetNow(_))
        ));
        for bad in [
            &br#"{}"#[..],
            br#"{"now": "2026-01-10T10:00:00+09:00", "advance_secs": 1}"#,
            br#"{"now": "yesterday"}"#,
            br#"{"advance_secs": 1e400}"#,
            br#"{"advance_secs": 99999999999999999999}"#,
            br#"{"later": 1}"#,
            b"\xff",
            b"",
        ] {
            let e = ClockChange::parse(bad).expect_err("refused");
            assert!(e.0.starts_with("clock: "), "{e}");
        }
    }

    #[test]
    fn settings_bodies() {
        let c = SettingsChange::parse(br#"{"mail_off": ["03", "07"], "test_cgi": false}"#)
            .expect("settings");
        assert_eq!(
            c.mail_off,
            Some(vec![Status::Authorized, Status::Completed])
        );
        assert_eq!(c.test_cgi, Some(false));
        assert_eq!(c.mail_to, None);
        assert_eq!(SettingsChange::parse(b"{}"), Ok(SettingsChange::default()));
        for bad in [
            &br#"{"mail_off": ["01"]}"#[..],
            br#"{"mail_off": ["12"]}"#,
            br#"{"mail_off": "03"}"#,
            br#"{"test_mail": "no"}"#,
            br#"{"mail": "x@example.com"}"#,
            b"[]",
        ] {
            let e = SettingsChange::parse(bad).expect_err("refused");
            assert!(e.0.starts_with("settings: "), "{e}");
        }
    }

    #[test]
    fn outcome_bodies() {
        assert_eq!(
            OutcomeChange::parse(br#"{"cancel": "fail"}"#),
            Ok(OutcomeChange {
                settle: None,
                cancel: Some(CarrierOutcome::Fail)
            })
        );
        for bad in [
            &br#"{}"#[..],
            br#"{"settle": "maybe"}"#,
            br#"{"settle": "ok", "x": 1}"#,
            b"[]",
        ] {
            let e = OutcomeChange::parse(bad).expect_err("refused");
            assert!(e.0.starts_with("carrier-outcome: "), "{e}");
        }
    }
}
