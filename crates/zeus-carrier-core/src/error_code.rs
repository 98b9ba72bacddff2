//! The gateway's error codes (SPEC §8, R-EC-1, R-EC-2): a static catalog of
//! every code in the manual's "error_code一覧" tables, a total [`lookup`],
//! the CGI `error_code` prefix rule ([`ErrorCodePrefix`]) and the generated
//! docs/ERROR_CODES.md ([`catalog_markdown`]).
//!
//! Codes are strings, never numbers: they have 8 or 9 characters, keep their
//! leading zeros and may contain letters (`0101000L0`). The catalog keeps the
//! manual's code and Japanese meaning verbatim, adds an English gloss written
//! for this project, and says whether a retry can help ([`RetryAdvice`]).
//!
//! The codes the core itself answers with are named once, in [`codes`], as
//! references into the catalog checked at compile time.
//!
//! Everything here is pure data and pure functions: no I/O.

mod catalog;
mod cgi;
pub mod codes;
mod markdown;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};
use strum::{EnumCount, EnumIter, IntoStaticStr};

pub use catalog::CATALOG;
pub use cgi::ErrorCodePrefix;
pub use markdown::catalog_markdown;

/// The `result` of a Secure Link response (R-RS-2) and the class of an
/// error code in the catalog (SPEC §8): one enum for one wire value.
///
/// The four gateway values keep their exact wire names (`Success_order`,
/// `failure_order`, `maintenance`, `invalid`; [`ResultKind::from_wire`]
/// reads only these). [`ResultKind::Unhandled`] is the catalog's class of
/// `999999999`, which the manual gives no `result`: the gateway never sends
/// it, and its name `unhandled` is this project's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    EnumCount,
    IntoStaticStr,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ResultKind {
    /// `result=Success_order`: the operation succeeded; `error_code` is `-`.
    /// No catalog code has this class.
    #[serde(rename = "Success_order")]
    #[strum(serialize = "Success_order")]
    SuccessOrder,
    /// `result=invalid`: a request parameter is malformed (パラメータ不正;
    /// codes `000000xx`, `000001xx`, `0001000xx`).
    Invalid,
    /// `result=failure_order`: the gateway or the carrier refused or failed
    /// the operation (codes `0100100xx`, `0100101xx`, `0101000xx` including
    /// `0101000L0`–`0101000L4`, `0102xxxxx`).
    FailureOrder,
    /// `result=maintenance`: the gateway or the carrier is unavailable
    /// (メンテナンス中; codes `0200200xx`, `0200201xx`, `0201000xx`).
    Maintenance,
    /// The manual's "※未対応コード" (codes the gateway does not handle):
    /// only `999999999`. The manual gives it no `result` value.
    Unhandled,
}

/// The former name of [`ResultKind`] as the catalog's class.
#[deprecated(note = "one enum for the wire `result` and the catalog class: use `ResultKind`")]
pub type ResultClass = ResultKind;

impl ResultKind {
    /// The classes of the catalog's codes, in the catalog's order (every
    /// value but [`ResultKind::SuccessOrder`]).
    pub const ERROR_CLASSES: [ResultKind; 4] = [
        ResultKind::Invalid,
        ResultKind::FailureOrder,
        ResultKind::Maintenance,
        ResultKind::Unhandled,
    ];

    /// The name: the gateway's exact `result` value (`Success_order`,
    /// `failure_order`, `maintenance`, `invalid`), and `unhandled` for
    /// [`ResultKind::Unhandled`], a name of this project that the gateway
    /// never sends as a `result`.
    pub fn wire_name(self) -> &'static str {
        self.into()
    }

    /// Parses a `result` the gateway sends (case-sensitive): one of the four
    /// gateway values; `unhandled` is not one of them.
    pub fn from_wire(s: &str) -> Option<ResultKind> {
        match s {
            "Success_order" => Some(ResultKind::SuccessOrder),
            "failure_order" => Some(ResultKind::FailureOrder),
            "maintenance" => Some(ResultKind::Maintenance),
            "invalid" => Some(ResultKind::Invalid),
            _ => None,
        }
    }

    /// Whether the gateway sends this value as a `result` (all but
    /// [`ResultKind::Unhandled`]).
    pub const fn is_gateway_result(self) -> bool {
        match self {
            ResultKind::SuccessOrder
            | ResultKind::Invalid
            | ResultKind::FailureOrder
            | ResultKind::Maintenance => true,
            ResultKind::Unhandled => false,
        }
    }

    /// The Japanese heading for the class, after the manual's wording of
    /// each `result` value.
    pub const fn label_ja(self) -> &'static str {
        match self {
            ResultKind::SuccessOrder => "成功",
            ResultKind::Invalid => "パラメータ不正",
            ResultKind::FailureOrder => "失敗",
            ResultKind::Maintenance => "メンテナンス中",
            ResultKind::Unhandled => "未対応コード",
        }
    }

    /// A one-line English description of the class.
    pub const fn describe(self) -> &'static str {
        match self {
            ResultKind::SuccessOrder => "the operation succeeded",
            ResultKind::Invalid => "a request parameter is malformed",
            ResultKind::FailureOrder => {
                "the gateway or the carrier refused or failed the operation"
            }
            ResultKind::Maintenance => "the gateway or the carrier is unavailable for now",
            ResultKind::Unhandled => "a code the gateway itself does not handle",
        }
    }

    /// The catalog entries of this class, in code order (none for
    /// [`ResultKind::SuccessOrder`]).
    pub fn entries(self) -> impl Iterator<Item = &'static ErrorCode> {
        CATALOG.iter().filter(move |e| e.class == self)
    }
}

impl fmt::Display for ResultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// Whether sending the request again can help (R-EC-2).
///
/// The rule of R-EC-2 is: maintenance and connection errors, later;
/// invalid and failure codes, not without a change. The catalog adds a
/// third answer for codes after which the order's state at the gateway is
/// not known from the answer alone (a status update that failed, a duplicate
/// request, an operation already running, an unreadable carrier answer, the
/// unhandled `999999999`): retrying blindly could act twice, so the caller
/// first finds out the order's status, in the spirit of R-RS-3.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    EnumCount,
    IntoStaticStr,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RetryAdvice {
    /// The same request may succeed later: maintenance, system and
    /// connection errors.
    Later,
    /// The same request will fail again: fix the request, the order or the
    /// merchant's configuration first (or, for a passed deadline, give up).
    NotWithoutChange,
    /// The answer does not settle what happened: check the order's status
    /// (a later CGI call or the management screen) before deciding whether to
    /// retry.
    ReconcileFirst,
}

impl RetryAdvice {
    /// The snake_case name (`later`, `not_without_change`,
    /// `reconcile_first`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// A short label for tables: "later", "not without a change",
    /// "reconcile first".
    pub const fn label(self) -> &'static str {
        match self {
            RetryAdvice::Later => "later",
            RetryAdvice::NotWithoutChange => "not without a change",
            RetryAdvice::ReconcileFirst => "reconcile first",
        }
    }

    /// A one-sentence explanation of what the caller should do.
    pub const fn describe(self) -> &'static str {
        match self {
            RetryAdvice::Later => {
                "retry the same request later; the gateway or carrier is unavailable for now"
            }
            RetryAdvice::NotWithoutChange => {
                "do not retry unchanged; fix the request, the order or the configuration first"
            }
            RetryAdvice::ReconcileFirst => {
                "check the order's status (CGI call or management screen) before any retry"
            }
        }
    }
}

impl fmt::Display for RetryAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One row of the manual's error tables (R-EC-1), with this project's
/// English gloss and retry advice (R-EC-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct ErrorCode {
    /// The code exactly as the gateway sends it (8 or 9 characters).
    pub code: &'static str,
    /// The `result` the code comes with.
    pub class: ResultKind,
    /// The manual's meaning (意味), verbatim.
    pub meaning_ja: &'static str,
    /// A short English gloss of the meaning, written for this project.
    /// "(from the carrier)" marks the manual's "(決済機関キャリア)": the
    /// error was reported by the carrier's side.
    pub gloss_en: &'static str,
    /// Whether a retry can help (R-EC-2).
    pub retry: RetryAdvice,
}

impl fmt::Display for ErrorCode {
    /// A multi-line description for people (the `zeus-carrier error-code
    /// CODE` command): code and class, Japanese meaning, English gloss and
    /// retry advice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (result={})", self.code, self.class.wire_name())?;
        writeln!(
            f,
            "  class:   {} ({})",
            self.class.label_ja(),
            self.class.describe()
        )?;
        writeln!(f, "  意味:    {}", self.meaning_ja)?;
        writeln!(f, "  English: {}", self.gloss_en)?;
        write!(
            f,
            "  retry:   {} — {}",
            self.retry.label(),
            self.retry.describe()
        )
    }
}

/// A code that is not in the catalog (R-EC-1). The raw value is kept as
/// received.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[error("error code {raw:?} is not in the gateway's error code catalog (R-EC-1)")]
#[non_exhaustive]
pub struct UnknownErrorCode {
    /// The value as received.
    pub raw: String,
}

/// The answer of [`lookup`]: a catalog entry, or a typed "unknown" keeping
/// the raw value (R-EC-1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lookup {
    /// The code is in the catalog.
    Known(&'static ErrorCode),
    /// The code is not in the catalog.
    Unknown(UnknownErrorCode),
}

impl Lookup {
    /// The catalog entry, if the code is known.
    pub fn known(&self) -> Option<&'static ErrorCode> {
        match self {
            Lookup::Known(e) => Some(e),
            Lookup::Unknown(_) => None,
        }
    }

    /// The code as it was looked up.
    pub fn raw(&self) -> &str {
        match self {
            Lookup::Known(e) => e.code,
            Lookup::Unknown(u) => &u.raw,
        }
    }

    /// The entry, or the unknown code as an error.
    pub fn into_result(self) -> Result<&'static ErrorCode, UnknownErrorCode> {
        match self {
            Lookup::Known(e) => Ok(e),
            Lookup::Unknown(u) => Err(u),
        }
    }

    /// The retry advice (R-EC-2). For a known code, the catalog's. For an
    /// unknown code, a guess from the CGI prefix rule (SPEC §8): `02…` →
    /// later; `00…` and `01…` → not without a change; anything else (no
    /// known prefix) → reconcile first, because nothing says what happened.
    pub fn retry_advice(&self) -> RetryAdvice {
        match self {
            Lookup::Known(e) => e.retry,
            Lookup::Unknown(u) => match ErrorCodePrefix::parse(&u.raw) {
                ErrorCodePrefix::Maintenance { .. } => RetryAdvice::Later,
                ErrorCodePrefix::ParameterError { .. } | ErrorCodePrefix::Failure { .. } => {
                    RetryAdvice::NotWithoutChange
                }
                ErrorCodePrefix::NoError | ErrorCodePrefix::Unknown { .. } => {
                    RetryAdvice::ReconcileFirst
                }
            },
        }
    }
}

impl fmt::Display for Lookup {
    /// A known code prints as its [`ErrorCode`]; an unknown one says so, with
    /// what its prefix suggests and the retry advice of
    /// [`Lookup::retry_advice`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookup::Known(e) => e.fmt(f),
            Lookup::Unknown(u) => {
                writeln!(f, "{:?}: not in the gateway's error code catalog", u.raw)?;
                let prefix = match ErrorCodePrefix::parse(&u.raw).class() {
                    Some(class) => class.wire_name(),
                    None => "no known prefix",
                };
                writeln!(
                    f,
                    "  prefix:  {prefix} (SPEC §8: 00 invalid, 01 failure, 02 maintenance)"
                )?;
                let retry = self.retry_advice();
                write!(f, "  retry:   {} — {}", retry.label(), retry.describe())
            }
        }
    }
}

/// Whether an answer with `code` leaves the operation's result open
/// ([`RetryAdvice::ReconcileFirst`]): the merchant compares with the
/// gateway before believing or retrying anything (R-EC-2).
pub fn reconcile_first(code: &str) -> bool {
    lookup(code).retry_advice() == RetryAdvice::ReconcileFirst
}

/// Looks a code up in the catalog (R-EC-1). Total on any string: an exact,
/// case-sensitive match, with no trimming; anything else (including the
/// success marker `-`) is [`Lookup::Unknown`] keeping the raw value. A binary
/// search over the sorted [`CATALOG`].
pub fn lookup(code: &str) -> Lookup {
    let found = CATALOG
        .binary_search_by(|e| e.code.cmp(code))
        .ok()
        .and_then(|i| CATALOG.get(i));
    match found {
        Some(e) => Lookup::Known(e),
        None => Lookup::Unknown(UnknownErrorCode {
            raw: code.to_owned(),
        }),
    }
}
