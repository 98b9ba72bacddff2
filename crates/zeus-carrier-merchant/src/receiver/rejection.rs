//! Why a call was not acknowledged: [`CallbackRejection`], its HTTP status
//! and body, and its [`RejectionReason`] for metrics.

use std::net::IpAddr;

use zeus_carrier_store::StoreError;

use zeus_carrier_http::signing::SignatureError;

/// Why a CGI call was not acknowledged. Each maps to one HTTP status
/// ([`CallbackRejection::status`]); the body ([`CallbackRejection::body`])
/// starts with `error:`, never with `successok`, so the gateway reports
/// the failure and can resend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRejection {
    /// The source is not in the allowlist (R-CG-5) → 403.
    #[error("source {0} is not in the CGI source allowlist (R-CG-5)")]
    Forbidden(IpAddr),
    /// The source could not be determined → 403.
    #[error("source address unknown: {0}")]
    UnknownSource(String),
    /// The query is larger than the bound → 414.
    #[error("query of {len} bytes is larger than the {max}-byte limit")]
    TooLarge {
        /// The query's length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The form body (CGI by POST) is larger than the bound → 413.
    #[error("form body larger than the {max}-byte limit")]
    BodyTooLarge {
        /// The bound.
        max: usize,
    },
    /// A POST whose body is not `application/x-www-form-urlencoded` → 415.
    #[error("content type {0:?}: CGI by POST must be an application/x-www-form-urlencoded body")]
    UnsupportedMediaType(String),
    /// The call cannot be read or lacks a required parameter → 400.
    #[error("malformed CGI call: {0}")]
    Malformed(String),
    /// The call is for another merchant's IP code → 400.
    #[error("clientip {0:?} is not this merchant's IP code")]
    Foreign(String),
    /// The signed sendpoint does not verify → 400.
    #[error("{0}")]
    BadSignature(SignatureError),
    /// The signed sendpoint cannot be checked: a parameter it covers is
    /// missing → 400.
    #[error(
        "signed sendpoint configured but the call lacks {0} (select it in the management screen)"
    )]
    SignatureInputMissing(&'static str),
    /// The storage is unavailable → 503; the gateway can resend.
    #[error("storage unavailable, not recorded; please resend: {0}")]
    Unavailable(String),
    /// Another storage error → 500.
    #[error("storage error, not recorded: {0}")]
    Storage(String),
}

/// The kind of a [`CallbackRejection`], without its details: a label for
/// metrics and logs ([`RejectionReason::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionReason {
    /// The source is not in the allowlist (403).
    Forbidden,
    /// The source could not be determined (403).
    UnknownSource,
    /// The query is too long (414).
    QueryTooLarge,
    /// The form body is too long (413).
    BodyTooLarge,
    /// A POST body of another content type (415).
    UnsupportedMediaType,
    /// Unreadable, or a required parameter is missing (400).
    Malformed,
    /// Another merchant's IP code (400).
    Foreign,
    /// The signed sendpoint does not verify, or cannot be checked (400).
    BadSignature,
    /// The storage is unavailable (503).
    Unavailable,
    /// Another storage error (500).
    Storage,
}

impl RejectionReason {
    /// Every reason, for metrics that list each label from the start.
    pub const ALL: [RejectionReason; 10] = [
        RejectionReason::Forbidden,
        RejectionReason::UnknownSource,
        RejectionReason::QueryTooLarge,
        RejectionReason::BodyTooLarge,
        RejectionReason::UnsupportedMediaType,
        RejectionReason::Malformed,
        RejectionReason::Foreign,
        RejectionReason::BadSignature,
        RejectionReason::Unavailable,
        RejectionReason::Storage,
    ];

    /// A stable snake_case label.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectionReason::Forbidden => "forbidden",
            RejectionReason::UnknownSource => "unknown_source",
            RejectionReason::QueryTooLarge => "query_too_large",
            RejectionReason::BodyTooLarge => "body_too_large",
            RejectionReason::UnsupportedMediaType => "unsupported_media_type",
            RejectionReason::Malformed => "malformed",
            RejectionReason::Foreign => "foreign",
            RejectionReason::BadSignature => "bad_signature",
            RejectionReason::Unavailable => "unavailable",
            RejectionReason::Storage => "storage",
        }
    }

    /// The HTTP status of an answer with this reason.
    pub const fn status(self) -> u16 {
        match self {
            RejectionReason::Forbidden | RejectionReason::UnknownSource => 403,
            RejectionReason::QueryTooLarge => 414,
            RejectionReason::BodyTooLarge => 413,
            RejectionReason::UnsupportedMediaType => 415,
            RejectionReason::Malformed
            | RejectionReason::Foreign
            | RejectionReason::BadSignature => 400,
            RejectionReason::Unavailable => 503,
            RejectionReason::Storage => 500,
        }
    }
}

impl CallbackRejection {
    /// The kind of rejection, for metrics.
    pub fn reason(&self) -> RejectionReason {
        match self {
            CallbackRejection::Forbidden(_) => RejectionReason::Forbidden,
            CallbackRejection::UnknownSource(_) => RejectionReason::UnknownSource,
            CallbackRejection::TooLarge { .. } => RejectionReason::QueryTooLarge,
            CallbackRejection::BodyTooLarge { .. } => RejectionReason::BodyTooLarge,
            CallbackRejection::UnsupportedMediaType(_) => RejectionReason::UnsupportedMediaType,
            CallbackRejection::Malformed(_) => RejectionReason::Malformed,
            CallbackRejection::Foreign(_) => RejectionReason::Foreign,
            CallbackRejection::BadSignature(_) | CallbackRejection::SignatureInputMissing(_) => {
                RejectionReason::BadSignature
            }
            CallbackRejection::Unavailable(_) => RejectionReason::Unavailable,
            CallbackRejection::Storage(_) => RejectionReason::Storage,
        }
    }

    /// The HTTP status of the answer: 403, 413, 414, 415, 400, 503 or 500.
    pub fn status(&self) -> u16 {
        self.reason().status()
    }

    /// The body of the answer: `error: {message}\n` (content type
    /// [`crate::receiver::ANSWER_CONTENT_TYPE`]). A storage failure says
    /// only that (INTERFACES v3 §3: the callback is public; the detail,
    /// which may name a file or a host, goes to the log).
    pub fn body(&self) -> String {
        match self {
            CallbackRejection::Unavailable(_) => {
                "error: storage unavailable, not recorded; please resend\n".to_owned()
            }
            CallbackRejection::Storage(_) => "error: storage error, not recorded\n".to_owned(),
            _ => format!("error: {self}\n"),
        }
    }

    /// Whether the storage failed (503 or 500): logged as an error rather
    /// than a warning.
    pub fn is_storage_failure(&self) -> bool {
        matches!(
            self,
            CallbackRejection::Unavailable(_) | CallbackRejection::Storage(_)
        )
    }

    pub(super) fn from_store(e: &StoreError) -> CallbackRejection {
        if e.is_unavailable() {
            CallbackRejection::Unavailable(e.to_string())
        } else {
            CallbackRejection::Storage(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_says_nothing_of_its_detail_interfaces_v3() {
        for r in [
            CallbackRejection::Unavailable("database /srv/shop/merchant.db is locked".into()),
            CallbackRejection::Storage("pg host db.internal: relation missing".into()),
        ] {
            let body = r.body();
            assert!(body.starts_with("error: storage"), "{body}");
            assert!(
                !body.contains("/srv") && !body.contains("db.internal"),
                "{body}"
            );
            assert!(
                r.to_string().contains("db"),
                "the log keeps the detail: {r}"
            );
        }
    }

    #[test]
    fn every_reason_has_a_distinct_label_and_an_error_status() {
        let mut labels: Vec<&str> = RejectionReason::ALL.iter().map(|r| r.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), RejectionReason::ALL.len());
        for r in RejectionReason::ALL {
            assert!((400..600).contains(&r.status()), "{r:?}");
        }
    }

    #[test]
    fn bodies_start_with_error_and_statuses_follow_the_checks() {
        let cases = [
            (CallbackRejection::Forbidden([203, 0, 113, 1].into()), 403),
            (CallbackRejection::UnknownSource("x".into()), 403),
            (CallbackRejection::TooLarge { len: 9, max: 8 }, 414),
            (CallbackRejection::BodyTooLarge { max: 8 }, 413),
            (
                CallbackRejection::UnsupportedMediaType("text/xml".into()),
                415,
            ),
            (CallbackRejection::Malformed("x".into()), 400),
            (CallbackRejection::Foreign("9999999999".into()), 400),
            (
                CallbackRejection::BadSignature(SignatureError::Mismatch),
                400,
            ),
            (CallbackRejection::SignatureInputMissing("sendid"), 400),
            (CallbackRejection::Unavailable("down".into()), 503),
            (CallbackRejection::Storage("bug".into()), 500),
        ];
        for (r, status) in cases {
            assert_eq!(r.status(), status, "{r:?}");
            assert!(r.body().starts_with("error: "), "{r:?}");
            assert_eq!(r.is_storage_failure(), status >= 500, "{r:?}");
        }
    }
}
