//! Secure Link responses: `result=…&error_code=…[&date=YYYYMMDD]` in any
//! parameter order (SPEC §7, R-RS-1, R-RS-2).

use chrono::NaiveDate;

use crate::charset::{percent_decode, percent_encode};
use crate::error_code::{ErrorCode, ResultKind};
use crate::time::{format_yyyymmdd, parse_yyyymmdd};

/// The `error_code` of a success (R-RS-2).
pub const NO_ERROR_CODE: &str = "-";

/// A parsed Secure Link response (SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The result.
    pub result: ResultKind,
    /// The code: `-` on success, otherwise a catalog code (kept verbatim,
    /// known or not).
    pub error_code: String,
    /// The settle date used (settle responses, R-SL-3); `None` otherwise.
    pub date: Option<NaiveDate>,
}

/// A response body that cannot be read. Every such body means the outcome
/// is unknown (R-RS-3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// No `result` parameter (R-RS-2).
    #[error("result: missing (R-RS-2)")]
    MissingResult,
    /// `result` is not one of the four values (R-RS-2).
    #[error("result: {raw:?} is not Success_order, failure_order, maintenance or invalid (R-RS-2)")]
    UnknownResult {
        /// The value as received (lossily decoded).
        raw: String,
    },
    /// No `error_code` in a response other than `Success_order` (SPEC §7).
    #[error("error_code: missing with result {result} (SPEC §7)")]
    MissingErrorCode {
        /// The result that came without a code.
        result: ResultKind,
    },
    /// `error_code` is not 1–10 printable ASCII characters (SPEC §7).
    #[error("error_code: {raw:?} is not 1 to 10 printable ASCII characters (SPEC §7)")]
    BadErrorCode {
        /// The value as received (lossily decoded).
        raw: String,
    },
    /// `date` is not `YYYYMMDD` naming a real date (SPEC §7).
    #[error("date: {raw:?} is not YYYYMMDD (SPEC §7)")]
    BadDate {
        /// The value as received (lossily decoded).
        raw: String,
    },
    /// A known parameter appears more than once: ambiguous (R-RS-1).
    #[error("{key}: sent more than once (R-RS-1)")]
    Duplicate {
        /// The parameter.
        key: &'static str,
    },
    /// A known parameter's value has a bad percent escape (R-RS-1).
    #[error("{key}: bad percent escape (R-RS-1)")]
    BadEscape {
        /// The parameter.
        key: &'static str,
    },
}

/// The value of one known key: absent, or its decoded bytes.
fn lookup<'a>(
    pairs: &'a [(&'a [u8], &'a [u8])],
    key: &'static str,
) -> Result<Option<Vec<u8>>, ResponseError> {
    let mut found = pairs
        .iter()
        .filter(|(k, _)| percent_decode(k).is_ok_and(|k| k == key.as_bytes()));
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(ResponseError::Duplicate { key }),
        (Some((_, v)), None) => percent_decode(v)
            .map(Some)
            .map_err(|_| ResponseError::BadEscape { key }),
    }
}

fn lossy(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

impl Response {
    /// A success with an optional date.
    pub fn success(date: Option<NaiveDate>) -> Response {
        Response {
            result: ResultKind::SuccessOrder,
            error_code: NO_ERROR_CODE.to_owned(),
            date,
        }
    }

    /// The answer for a catalog code: its class as `result`, the code as
    /// `error_code`, no date.
    pub fn error(code: &'static ErrorCode) -> Response {
        Response {
            result: code.class,
            error_code: code.code.to_owned(),
            date: None,
        }
    }

    /// Parses a response body: any parameter order, unknown keys ignored
    /// (R-RS-1); leading and trailing ASCII whitespace (a final newline) is
    /// ignored. A `Success_order` without `error_code` reads as `-`; an
    /// empty `date` as absent. Total on any bytes.
    pub fn parse(body: &[u8]) -> Result<Response, ResponseError> {
        let body = body.trim_ascii();
        let pairs: Vec<(&[u8], &[u8])> = body
            .split(|b| *b == b'&')
            .filter(|s| !s.is_empty())
            .map(|seg| match seg.iter().position(|b| *b == b'=') {
                Some(p) => (&seg[..p], &seg[p + 1..]),
                None => (seg, &[][..]),
            })
            .collect();
        let result = lookup(&pairs, "result")?.ok_or(ResponseError::MissingResult)?;
        let result = std::str::from_utf8(&result)
            .ok()
            .and_then(ResultKind::from_wire)
            .ok_or_else(|| ResponseError::UnknownResult {
                raw: lossy(&result),
            })?;
        let error_code = match lookup(&pairs, "error_code")? {
            Some(c) if (1..=10).contains(&c.len()) && c.iter().all(u8::is_ascii_graphic) => {
                lossy(&c)
            }
            Some(c) => return Err(ResponseError::BadErrorCode { raw: lossy(&c) }),
            None => match result {
                ResultKind::SuccessOrder => NO_ERROR_CODE.to_owned(),
                ResultKind::FailureOrder
                | ResultKind::Maintenance
                | ResultKind::Invalid
                | ResultKind::Unhandled => {
                    return Err(ResponseError::MissingErrorCode { result });
                }
            },
        };
        let date = match lookup(&pairs, "date")? {
            None => None,
            Some(d) if d.is_empty() => None,
            Some(d) => Some(
                std::str::from_utf8(&d)
                    .ok()
                    .and_then(parse_yyyymmdd)
                    .ok_or_else(|| ResponseError::BadDate { raw: lossy(&d) })?,
            ),
        };
        Ok(Response {
            result,
            error_code,
            date,
        })
    }

    /// How many parameter orders [`Response::render`] can produce: 2 without
    /// a date, 6 with one.
    pub fn permutation_count(&self) -> usize {
        match self.date {
            Some(_) => 6,
            None => 2,
        }
    }

    /// The body with its parameters in the order numbered `order_variant`
    /// (taken modulo [`Response::permutation_count`]; 0 is the manual's
    /// order `result, error_code, date`). The caller picks the variant: the
    /// sandbox varies it to exercise R-RS-1 without the core drawing
    /// randomness.
    pub fn render(&self, order_variant: usize) -> String {
        let mut params: Vec<(&str, String)> = vec![
            ("result", self.result.wire_name().to_owned()),
            ("error_code", self.error_code.clone()),
        ];
        if let Some(d) = self.date {
            params.push(("date", format_yyyymmdd(d)));
        }
        // Decode the variant as a factorial-base number (Lehmer code).
        let mut k = order_variant % self.permutation_count();
        let mut ordered = Vec::with_capacity(params.len());
        while !params.is_empty() {
            let radix: usize = (1..params.len()).product();
            ordered.push(params.remove(k / radix));
            k %= radix;
        }
        let mut out = String::new();
        for (i, (key, value)) in ordered.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            percent_encode(value.as_bytes(), &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests;
