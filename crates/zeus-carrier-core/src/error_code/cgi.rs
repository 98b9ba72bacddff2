//! The CGI call's `error_code` parameter, classified by its prefix (SPEC §8,
//! §9): `-` no error, `00…` parameter error, `01…` failure, `02…`
//! maintenance (the manual's "00****=パラメータエラー、01****=失敗、
//! 02****=メンテナンス中").

use std::fmt;

use serde::Serialize;

use super::{Lookup, ResultKind, lookup};

/// A CGI `error_code` value, classified by its prefix alone (SPEC §8). The
/// value is kept as received in every variant, so nothing is lost.
/// ([`crate::callback::CgiErrorCode`] is the raw value as the callback
/// parser keeps it; this is what its prefix means.)
///
/// The classification looks only at the first two characters; whether the
/// code is in the catalog is a separate question for [`ErrorCodePrefix::lookup`].
/// `999999999` (the manual's unhandled code) has no known prefix and is
/// [`ErrorCodePrefix::Unknown`], although the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorCodePrefix {
    /// `-`: there was no error.
    NoError,
    /// `00…`: a parameter error (パラメータエラー, `result=invalid`).
    ParameterError {
        /// The code as received.
        code: String,
    },
    /// `01…`: a failure (失敗, `result=failure_order`).
    Failure {
        /// The code as received.
        code: String,
    },
    /// `02…`: maintenance (メンテナンス中, `result=maintenance`).
    Maintenance {
        /// The code as received.
        code: String,
    },
    /// Anything else, including the empty string: no known prefix.
    Unknown {
        /// The value as received.
        raw: String,
    },
}

impl ErrorCodePrefix {
    /// Classifies a raw `error_code` value by its prefix. Total: every
    /// string gives a value. Exact: no trimming, no case folding; `-` must
    /// be the whole value.
    pub fn parse(raw: &str) -> ErrorCodePrefix {
        let code = raw.to_owned();
        if raw == "-" {
            ErrorCodePrefix::NoError
        } else if raw.starts_with("00") {
            ErrorCodePrefix::ParameterError { code }
        } else if raw.starts_with("01") {
            ErrorCodePrefix::Failure { code }
        } else if raw.starts_with("02") {
            ErrorCodePrefix::Maintenance { code }
        } else {
            ErrorCodePrefix::Unknown { raw: code }
        }
    }

    /// The value as received (`-` for [`ErrorCodePrefix::NoError`]).
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCodePrefix::NoError => "-",
            ErrorCodePrefix::ParameterError { code }
            | ErrorCodePrefix::Failure { code }
            | ErrorCodePrefix::Maintenance { code } => code,
            ErrorCodePrefix::Unknown { raw } => raw,
        }
    }

    /// Whether the value says there was an error: everything but `-`.
    pub fn is_error(&self) -> bool {
        match self {
            ErrorCodePrefix::NoError => false,
            ErrorCodePrefix::ParameterError { .. }
            | ErrorCodePrefix::Failure { .. }
            | ErrorCodePrefix::Maintenance { .. }
            | ErrorCodePrefix::Unknown { .. } => true,
        }
    }

    /// The result class the prefix stands for; `None` for `-` and for an
    /// unknown prefix.
    pub fn class(&self) -> Option<ResultKind> {
        match self {
            ErrorCodePrefix::ParameterError { .. } => Some(ResultKind::Invalid),
            ErrorCodePrefix::Failure { .. } => Some(ResultKind::FailureOrder),
            ErrorCodePrefix::Maintenance { .. } => Some(ResultKind::Maintenance),
            ErrorCodePrefix::NoError | ErrorCodePrefix::Unknown { .. } => None,
        }
    }

    /// The catalog entry for the value (R-EC-1); `None` for `-`, which is
    /// not a code.
    pub fn lookup(&self) -> Option<Lookup> {
        match self {
            ErrorCodePrefix::NoError => None,
            ErrorCodePrefix::ParameterError { .. }
            | ErrorCodePrefix::Failure { .. }
            | ErrorCodePrefix::Maintenance { .. }
            | ErrorCodePrefix::Unknown { .. } => Some(lookup(self.as_str())),
        }
    }
}

impl fmt::Display for ErrorCodePrefix {
    /// The value as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
