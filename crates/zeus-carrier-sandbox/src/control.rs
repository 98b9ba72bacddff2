//! The bodies of the JSON control endpoints (INTERFACES.md §2), read by
//! total functions: every byte string gives a value or a [`ControlError`],
//! never a panic (they are fuzzed, `fuzz/fuzz_targets/control_json.rs`).

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::state::CarrierOutcome;

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
