//! What a Secure Link exchange means for the merchant (R-RS-2, R-RS-3).

use chrono::NaiveDate;

use super::{Response, ResponseError, ResultKind};
use crate::error_code::{ErrorCode, Lookup, lookup};

/// Why the outcome of a Secure Link call is unknown (R-RS-3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownReason {
    /// No answer: timeout, connection refused or reset, TLS failure, …
    Transport(String),
    /// An HTTP status other than 200.
    HttpStatus(u16),
    /// A 200 whose body could not be read.
    BadBody(ResponseError),
}

impl std::fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownReason::Transport(r) => write!(f, "transport failure: {r}"),
            UnknownReason::HttpStatus(s) => write!(f, "HTTP status {s}, expected 200"),
            UnknownReason::BadBody(e) => write!(f, "unreadable body: {e}"),
        }
    }
}

/// The merchant's view of one Secure Link exchange (R-RS-2, R-RS-3).
///
/// Success if and only if the gateway answered `Success_order` (R-RS-2).
/// Anything that did not produce a readable answer is [`Outcome::Unknown`],
/// never [`Outcome::Failure`]: the gateway may have acted, so the caller
/// must not retry blindly but reconcile (R-RS-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `Success_order`, with the date the response carried (settle, R-SL-3).
    Success {
        /// The settle date used, when the response carried one.
        date: Option<NaiveDate>,
    },
    /// `failure_order`: refused by the gateway, or failed at the carrier.
    Failure {
        /// The `error_code`, looked up in the catalog (an unknown code keeps
        /// its raw value, R-EC-1).
        code: Lookup,
    },
    /// `maintenance`: try again later (R-EC-2).
    Maintenance {
        /// The `error_code`, looked up in the catalog (an unknown code keeps
        /// its raw value, R-EC-1).
        code: Lookup,
    },
    /// `invalid`: a parameter was malformed.
    Invalid {
        /// The `error_code`, looked up in the catalog (an unknown code keeps
        /// its raw value, R-EC-1).
        code: Lookup,
    },
    /// No readable answer: the gateway may or may not have acted (R-RS-3).
    Unknown {
        /// What went wrong.
        reason: UnknownReason,
    },
}

impl Outcome {
    /// The outcome of a readable response (R-RS-2).
    pub fn from_response(r: Response) -> Outcome {
        match r.result {
            ResultKind::SuccessOrder => Outcome::Success { date: r.date },
            ResultKind::FailureOrder => Outcome::Failure {
                code: lookup(&r.error_code),
            },
            ResultKind::Maintenance => Outcome::Maintenance {
                code: lookup(&r.error_code),
            },
            ResultKind::Invalid => Outcome::Invalid {
                code: lookup(&r.error_code),
            },
            // Not a gateway `result` (only the catalog's class of 999999999):
            // no gateway sent it, so nothing says what happened (R-RS-3).
            ResultKind::Unhandled => Outcome::Unknown {
                reason: UnknownReason::BadBody(ResponseError::UnknownResult {
                    raw: r.result.wire_name().to_owned(),
                }),
            },
        }
    }

    /// The outcome of an HTTP exchange that produced a status and a body:
    /// a non-200 status or an unreadable body is unknown (R-RS-3). Total on
    /// any input.
    pub fn from_http(status: u16, body: &[u8]) -> Outcome {
        if status != 200 {
            return Outcome::Unknown {
                reason: UnknownReason::HttpStatus(status),
            };
        }
        match Response::parse(body) {
            Ok(r) => Outcome::from_response(r),
            Err(e) => Outcome::Unknown {
                reason: UnknownReason::BadBody(e),
            },
        }
    }

    /// The outcome of an exchange that produced no response at all (timeout,
    /// reset, refused connection): unknown (R-RS-3).
    pub fn transport_failure(reason: impl Into<String>) -> Outcome {
        Outcome::Unknown {
            reason: UnknownReason::Transport(reason.into()),
        }
    }

    /// The name in the merchant service's JSON `outcome`:
    /// `success`, `failure`, `maintenance`, `invalid` or `unknown`.
    pub const fn wire_name(&self) -> &'static str {
        match self {
            Outcome::Success { .. } => "success",
            Outcome::Failure { .. } => "failure",
            Outcome::Maintenance { .. } => "maintenance",
            Outcome::Invalid { .. } => "invalid",
            Outcome::Unknown { .. } => "unknown",
        }
    }

    /// The `error_code`: `-` on success, `None` when unknown.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Outcome::Success { .. } => Some(super::NO_ERROR_CODE),
            Outcome::Failure { code }
            | Outcome::Maintenance { code }
            | Outcome::Invalid { code } => Some(code.raw()),
            Outcome::Unknown { .. } => None,
        }
    }

    /// The catalog entry of the `error_code`, when the gateway answered a
    /// code the catalog knows.
    pub fn error_entry(&self) -> Option<&'static ErrorCode> {
        match self {
            Outcome::Failure { code }
            | Outcome::Maintenance { code }
            | Outcome::Invalid { code } => code.known(),
            Outcome::Success { .. } | Outcome::Unknown { .. } => None,
        }
    }

    /// Whether the operation succeeded (R-RS-2).
    pub const fn is_success(&self) -> bool {
        matches!(self, Outcome::Success { .. })
    }

    /// Whether the caller must reconcile the order (a later CGI call or the
    /// management screen tells the truth) instead of trusting or retrying
    /// (R-RS-3). True only for [`Outcome::Unknown`].
    pub const fn needs_reconciliation(&self) -> bool {
        matches!(self, Outcome::Unknown { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn r_rs_2_success_iff_success_order() {
        let o = Outcome::from_http(200, b"result=Success_order&error_code=-&date=20150101");
        assert_eq!(
            o,
            Outcome::Success {
                date: chrono::NaiveDate::from_ymd_opt(2015, 1, 1)
            }
        );
        assert_eq!(o.wire_name(), "success");
        assert_eq!(o.error_code(), Some("-"));
        for (body, name, code) in [
            (
                "result=failure_order&error_code=010010007",
                "failure",
                "010010007",
            ),
            (
                "error_code=020020000&result=maintenance",
                "maintenance",
                "020020000",
            ),
            ("result=invalid&error_code=00000006", "invalid", "00000006"),
        ] {
            let o = Outcome::from_http(200, body.as_bytes());
            assert!(!o.is_success(), "{body}");
            assert_eq!((o.wire_name(), o.error_code()), (name, Some(code)));
            assert!(!o.needs_reconciliation());
        }
    }

    #[test]
    fn r_rs_3_transport_failures_are_unknown_never_failure() {
        let cases = [
            Outcome::transport_failure("timed out after 30 s"),
            Outcome::transport_failure("connection reset"),
            Outcome::from_http(500, b"result=failure_order&error_code=010010007"),
            Outcome::from_http(503, b""),
            Outcome::from_http(302, b"result=Success_order&error_code=-"),
            Outcome::from_http(200, b""),
            Outcome::from_http(200, b"<html>gateway error</html>"),
            Outcome::from_http(200, b"result=failed&error_code=1"),
            Outcome::from_http(200, b"result=failure_order"),
            Outcome::from_http(200, &[0xff, 0xfe, 0x00]),
        ];
        for o in cases {
            assert_eq!(o.wire_name(), "unknown", "{o:?}");
            assert!(o.needs_reconciliation());
            assert_eq!(o.error_code(), None);
        }
    }

    #[test]
    fn r_rs_3_unknown_reason_names_the_cause() {
        let o = Outcome::from_http(502, b"");
        let Outcome::Unknown { reason } = o else {
            panic!("expected unknown, got {o:?}");
        };
        assert_eq!(reason.to_string(), "HTTP status 502, expected 200");
    }

    proptest! {
        /// R-RS-3: `from_http` is total, and anything but a 200 is unknown.
        #[test]
        fn r_rs_3_from_http_is_total_and_non_200_is_unknown(
            status in 0u16..1000,
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let o = Outcome::from_http(status, &body);
            if status != 200 {
                prop_assert_eq!(o.wire_name(), "unknown");
            }
        }
    }
}
