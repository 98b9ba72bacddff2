//! CGI calls: the gateway's GET notification to the merchant (SPEC §9,
//! R-CG-1 … R-CG-6, D-1).
//!
//! - [`CgiParam`]: the eleven parameters a merchant can choose from.
//! - [`Callback`]: one call's parameters, every one optional and typed.
//!   [`Callback::parse_query`] reads a received query (merchant side);
//!   [`Callback::for_order`] and [`Callback::to_query`] build the one the
//!   gateway sends (sandbox side).
//! - [`DeliveryPolicy`], [`judge_attempt`], [`NextStep`]: how the gateway
//!   judges an answer and when it retries or sends the error mail, as data.
//!
//! What the parser checks, per parameter (the manual's CGI table):
//!
//! | parameter | type | rule |
//! |---|---|---|
//! | `clientip` | [`ClientIp`] | exactly 10 half-width digits |
//! | `money` | `u32` | 1 to 6 half-width digits |
//! | `username`, `telno`, `email`, `sendid`, `sendpoint` | `String` | none beyond the charset |
//! | `order_no` | [`OrderNo`] | 1 to 38 half-width alphanumerics, `.`, `-` |
//! | `carrier_type` | [`Carrier`] | `D`, `A` or `S` |
//! | `status` | [`Status`] | one of the eleven codes 01 … 11 (D-1) |
//! | `error_code` | [`CgiErrorCode`] | none: kept raw |
//!
//! Decisions where the manual is silent:
//! - The echoed text fields (`username` … `sendpoint`) are the shopper's and
//!   merchant's own data; they are not re-validated, so a notification is
//!   never refused over them. An empty value is `Some("")`.
//! - `error_code` is kept as received; what its prefix means is the
//!   [`crate::error_code`] module's business.
//! - Unknown keys are ignored even when their values are malformed; a
//!   known key given twice is an error, even with equal values.
//! - One leading `?` is skipped; empty segments (`a=1&&b=2`) are skipped.
//! - Keys match exactly, after percent-decoding (case-sensitive).
//! - In Shift_JIS, `¥` travels as the byte 0x5C and comes back as `\`
//!   (D-4); other text round-trips unchanged.

mod delivery;
mod param;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::carrier::Carrier;
use crate::charset::{Charset, FormError, Unmappable, form_urlencode, percent_decode};
use crate::order::Order;
use crate::status::{Status, UnknownStatus};

pub use delivery::{
    ACK_PREFIX, AttemptOutcome, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_INTERVAL, DEFAULT_TIMEOUT,
    DeliveryPolicy, NextStep, TransportFailure, judge_attempt, should_notify,
};
pub use param::{CgiParam, CgiParamListError};

/// The largest `money` a CGI call can carry: six digits (SPEC §9).
pub const MAX_MONEY: u32 = 999_999;

/// The longest `order_no`, in characters (SPEC §9).
pub const ORDER_NO_MAX_LEN: usize = 38;

/// A rule a callback parameter can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallbackRule {
    /// `clientip`: exactly 10 half-width digits.
    ClientIpTenDigits,
    /// `money`: 1 to 6 half-width digits.
    MoneyDigits,
    /// `order_no`: 1 to 38 half-width alphanumerics, `.` or `-`.
    OrderNoChars,
    /// `carrier_type`: `D`, `A` or `S`, upper case.
    CarrierLetter,
}

impl std::fmt::Display for CallbackRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CallbackRule::ClientIpTenDigits => "exactly 10 half-width digits",
            CallbackRule::MoneyDigits => "1 to 6 half-width digits",
            CallbackRule::OrderNoChars => "1 to 38 half-width alphanumerics, '.' or '-'",
            CallbackRule::CarrierLetter => "one of D, A, S (upper case)",
        })
    }
}

/// A CGI query that could not be read. Every variant names its parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// A `%` in the value not followed by two hex digits.
    #[error("{field}: bad percent escape at byte {at} of the value")]
    BadEscape {
        /// The parameter.
        field: CgiParam,
        /// Byte offset of the `%` within the raw value.
        at: usize,
    },
    /// The value's bytes are not valid in the charset (D-3).
    #[error("{field}: value is not valid {charset} (D-3)")]
    Malformed {
        /// The parameter.
        field: CgiParam,
        /// The charset the query was read in.
        charset: Charset,
    },
    /// The same parameter twice in one call.
    #[error("{field}: given more than once in one call")]
    Repeated {
        /// The parameter.
        field: CgiParam,
    },
    /// A value that breaks its parameter's rule (SPEC §9).
    #[error("{field}: {value:?} is not {rule} (SPEC §9)")]
    Invalid {
        /// The parameter.
        field: CgiParam,
        /// The value as received.
        value: String,
        /// The rule it breaks.
        rule: CallbackRule,
    },
    /// A `status` that is not one of the eleven; the raw value is kept (D-1).
    #[error(transparent)]
    UnknownStatus(#[from] UnknownStatus),
}

impl CallbackError {
    /// The parameter the error is about.
    pub const fn field(&self) -> CgiParam {
        match self {
            CallbackError::BadEscape { field, .. }
            | CallbackError::Malformed { field, .. }
            | CallbackError::Repeated { field }
            | CallbackError::Invalid { field, .. } => *field,
            CallbackError::UnknownStatus(_) => CgiParam::Status,
        }
    }
}

/// A callback that cannot be written as a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A text value with a character the charset cannot hold (D-3).
    #[error("{field}: {source}")]
    Unmappable {
        /// The parameter.
        field: CgiParam,
        /// The character and charset.
        source: Unmappable,
    },
    /// `money` above six digits.
    #[error("money: {money} has more than 6 digits (SPEC §9)")]
    MoneyTooLarge {
        /// The amount.
        money: u32,
    },
}

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $field:expr, $rule:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `s` against the rule; the error names the field and rule.
            pub fn parse(s: &str) -> Result<$name, CallbackError> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok($name(s.to_owned()))
                } else {
                    Err(CallbackError::Invalid {
                        field: $field,
                        value: s.to_owned(),
                        rule: $rule,
                    })
                }
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CallbackError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_string!(
    /// A merchant's IP code: exactly 10 half-width digits (SPEC §9).
    ClientIp,
    CgiParam::ClientIp,
    CallbackRule::ClientIpTenDigits,
    |s| s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
);

checked_string!(
    /// The gateway's order number: 1 to 38 half-width alphanumerics, `.`
    /// or `-` (SPEC §9).
    OrderNo,
    CgiParam::OrderNo,
    CallbackRule::OrderNoChars,
    |s| {
        (1..=ORDER_NO_MAX_LEN).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    }
);

/// A CGI `error_code` exactly as received: `-` when there is no error,
/// otherwise the gateway's code (prefix `00` parameter error, `01` failure,
/// `02` maintenance). Not validated or classified here: see
/// [`crate::error_code`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CgiErrorCode(String);

impl CgiErrorCode {
    /// Wraps a raw value.
    pub fn new(raw: impl Into<String>) -> CgiErrorCode {
        CgiErrorCode(raw.into())
    }

    /// The value as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CgiErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parameters of one CGI call (SPEC §9). Each is present only when the
/// merchant selected it; the JSON field names are the wire names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// `clientip`.
    pub clientip: Option<ClientIp>,
    /// `money`, in yen.
    pub money: Option<u32>,
    /// `username`.
    pub username: Option<String>,
    /// `telno`.
    pub telno: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `sendid`.
    pub sendid: Option<String>,
    /// `sendpoint`.
    pub sendpoint: Option<String>,
    /// `order_no`.
    pub order_no: Option<OrderNo>,
    /// `carrier_type`.
    #[serde(rename = "carrier_type")]
    pub carrier: Option<Carrier>,
    /// `status` (D-1).
    pub status: Option<Status>,
    /// `error_code`, raw.
    pub error_code: Option<CgiErrorCode>,
}

impl Callback {
    /// Reads a CGI query from its raw bytes (no decoding done yet; a
    /// leading `?` is allowed) in `charset`. Any subset of the eleven
    /// parameters, in any order; unknown keys are ignored. Total: every
    /// input gives a callback or a typed error naming the parameter.
    pub fn parse_query(raw: &[u8], charset: Charset) -> Result<Callback, CallbackError> {
        let raw = raw.strip_prefix(b"?").unwrap_or(raw);
        let mut cb = Callback::default();
        let mut seen: Vec<CgiParam> = Vec::new();
        for seg in raw.split(|b| *b == b'&') {
            let (key, value) = match seg.iter().position(|b| *b == b'=') {
                Some(p) => (&seg[..p], &seg[p + 1..]),
                None => (seg, &[][..]),
            };
            let Some(field) = known_key(key, charset) else {
                continue;
            };
            if seen.contains(&field) {
                return Err(CallbackError::Repeated { field });
            }
            seen.push(field);
            let bytes = percent_decode(value).map_err(|e| match e {
                FormError::BadEscape { at } => CallbackError::BadEscape { field, at },
                FormError::Malformed { charset, .. } => CallbackError::Malformed { field, charset },
            })?;
            let text = charset
                .decode(&bytes)
                .map_err(|_| CallbackError::Malformed { field, charset })?;
            cb.set(field, text)?;
        }
        Ok(cb)
    }

    /// Stores one decoded value, checking its rule.
    fn set(&mut self, field: CgiParam, text: Cow<'_, str>) -> Result<(), CallbackError> {
        match field {
            CgiParam::ClientIp => self.clientip = Some(ClientIp::parse(&text)?),
            CgiParam::Money => self.money = Some(parse_money(&text)?),
            CgiParam::Username => self.username = Some(text.into_owned()),
            CgiParam::Telno => self.telno = Some(text.into_owned()),
            CgiParam::Email => self.email = Some(text.into_owned()),
            CgiParam::Sendid => self.sendid = Some(text.into_owned()),
            CgiParam::Sendpoint => self.sendpoint = Some(text.into_owned()),
            CgiParam::OrderNo => self.order_no = Some(OrderNo::parse(&text)?),
            CgiParam::CarrierType => {
                let carrier = Carrier::from_code(&text).ok_or_else(|| CallbackError::Invalid {
                    field,
                    value: text.clone().into_owned(),
                    rule: CallbackRule::CarrierLetter,
                })?;
                self.carrier = Some(carrier);
            }
            CgiParam::Status => self.status = Some(Status::from_code(&text)?),
            CgiParam::ErrorCode => self.error_code = Some(CgiErrorCode::new(text.into_owned())),
        }
        Ok(())
    }

    /// The call the gateway sends for `order` entering `status`, carrying
    /// only the merchant's selected `params` (SPEC §9). `money` is the
    /// order's current amount (決済金額); the text fields are the order's.
    ///
    /// Decision: an order whose `clientip` or `order_no` breaks the CGI rule
    /// (which the gateway never creates) gets that parameter left out rather
    /// than sent malformed.
    pub fn for_order(
        order: &Order,
        status: Status,
        error_code: &str,
        params: &[CgiParam],
    ) -> Callback {
        let d = &order.details();
        let mut cb = Callback::default();
        for &p in params {
            match p {
                CgiParam::ClientIp => cb.clientip = ClientIp::parse(&d.clientip).ok(),
                CgiParam::Money => cb.money = Some(order.money()),
                CgiParam::Username => cb.username = Some(d.username.clone()),
                CgiParam::Telno => cb.telno = Some(d.telno.clone()),
                CgiParam::Email => cb.email = Some(d.email.clone()),
                CgiParam::Sendid => cb.sendid = Some(d.sendid.clone()),
                CgiParam::Sendpoint => cb.sendpoint = Some(d.sendpoint.clone()),
                CgiParam::OrderNo => cb.order_no = OrderNo::parse(order.order_no()).ok(),
                CgiParam::CarrierType => cb.carrier = Some(d.carrier),
                CgiParam::Status => cb.status = Some(status),
                CgiParam::ErrorCode => cb.error_code = Some(CgiErrorCode::new(error_code)),
            }
        }
        cb
    }

    /// The parameters present, in the manual's order.
    pub fn present_params(&self) -> Vec<CgiParam> {
        CgiParam::ALL
            .into_iter()
            .filter(|p| self.value_of(*p).is_some())
            .collect()
    }

    /// The wire value of one parameter, if present.
    pub fn value_of(&self, param: CgiParam) -> Option<Cow<'_, str>> {
        fn borrowed(s: &Option<String>) -> Option<Cow<'_, str>> {
            s.as_deref().map(Cow::Borrowed)
        }
        match param {
            CgiParam::ClientIp => self.clientip.as_ref().map(|v| Cow::Borrowed(v.as_str())),
            CgiParam::Money => self.money.map(|m| Cow::Owned(m.to_string())),
            CgiParam::Username => borrowed(&self.username),
            CgiParam::Telno => borrowed(&self.telno),
            CgiParam::Email => borrowed(&self.email),
            CgiParam::Sendid => borrowed(&self.sendid),
            CgiParam::Sendpoint => borrowed(&self.sendpoint),
            CgiParam::OrderNo => self.order_no.as_ref().map(|v| Cow::Borrowed(v.as_str())),
            CgiParam::CarrierType => self.carrier.map(|c| Cow::Borrowed(c.code())),
            CgiParam::Status => self.status.map(|s| Cow::Borrowed(s.code())),
            CgiParam::ErrorCode => self.error_code.as_ref().map(|v| Cow::Borrowed(v.as_str())),
        }
    }

    /// The query string the gateway sends (no leading `?`), urlencoded in
    /// `charset`, parameters in the manual's order. Whatever this returns,
    /// [`Callback::parse_query`] reads back to the same callback (with
    /// `¥` as `\` in Shift_JIS, D-4).
    pub fn to_query(&self, charset: Charset) -> Result<String, EncodeError> {
        match self.money {
            Some(money) if money > MAX_MONEY => return Err(EncodeError::MoneyTooLarge { money }),
            Some(_) | None => {}
        }
        let mut parts = Vec::with_capacity(CgiParam::ALL.len());
        for field in CgiParam::ALL {
            if let Some(value) = self.value_of(field) {
                let part = form_urlencode([(field.name(), value.as_ref())], charset)
                    .map_err(|source| EncodeError::Unmappable { field, source })?;
                parts.push(part);
            }
        }
        Ok(parts.join("&"))
    }
}

/// The parameter a raw key names, if it is one of the eleven. A key that
/// does not decode is nobody's.
fn known_key(key: &[u8], charset: Charset) -> Option<CgiParam> {
    let bytes = percent_decode(key).ok()?;
    let name = charset.decode(&bytes).ok()?;
    CgiParam::from_name(&name)
}

/// `money`: 1 to 6 half-width digits (SPEC §9).
fn parse_money(s: &str) -> Result<u32, CallbackError> {
    let invalid = || CallbackError::Invalid {
        field: CgiParam::Money,
        value: s.to_owned(),
        rule: CallbackRule::MoneyDigits,
    };
    if !(1..=6).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    s.parse().map_err(|_| invalid())
}
