//! The Link Point order request: the form the shopper's browser posts to
//! `order.cgi` to start a payment (SPEC §4, R-LP-1..5, D-3, D-4).
//!
//! How a caller drives it:
//! 1. collect the twelve fields as typed, into an [`OrderRequest`]
//!    ([`OrderRequest::from_pairs`], a struct literal, or
//!    [`OrderRequest::parse_urlencoded`] on the gateway side);
//! 2. [`OrderRequest::validate`] in the charset the form will travel in:
//!    every violation at once ([`Violations`], R-LP-1), or a
//!    [`ValidOrderRequest`] with typed values;
//! 3. render the valid request as an auto-submitting HTML page
//!    ([`ValidOrderRequest::render_html_form`]) or a urlencoded body
//!    ([`ValidOrderRequest::to_urlencoded`]) (R-LP-5).
//!
//! Decisions where the manual is silent (each also stated where it is
//! implemented):
//! - An empty value is an absent field (a browser sends empty inputs as
//!   `name=`); a required field that is empty is [`Rule::Required`].
//! - Unknown names are ignored, as the gateway does
//!   ([`OrderRequest::from_pairs`]); [`OrderRequest::from_pairs_with_unknown`]
//!   also returns them so a command line can warn. A repeated name: the last
//!   value wins.
//! - Values are taken as typed: no trimming, no width conversion.
//! - Per field, at most one character violation is reported, naming the
//!   first bad character ([`Rule::WrongChar`]); [`Rule::Unencodable`] names a
//!   character the field allows but the charset cannot hold.
//! - `clientip` reports [`Rule::DigitCount`] instead of [`Rule::TooLong`], and
//!   `carrier_type` reports [`Rule::UnknownCarrier`] for any wrong value:
//!   the specific rule already says what the length should be.
//! - `money` may have leading zeros (`"01000"` is 1000 yen); its range is
//!   checked against the carrier when `carrier_type` is valid, and against
//!   1..=100000 (every carrier) otherwise.
//! - URL fields must start with `http://` or `https://` (no `javascript:`
//!   links on a completion page) and use RFC 3986 characters only
//!   ([`CharClass::Url`]).
//! - `email` is checked for its characters only, not for its shape.
//! - Text fields (`*_str`) take the manual's 全角英数、漢字、かな、カナ、
//!   半角英数字、スペース (L71, L73) and the `( )` of its example, nothing
//!   else ([`CharClass::LinkText`], [`is_link_text_char`]).

use serde::{Deserialize, Serialize};
use strum::{EnumCount, EnumIter, IntoEnumIterator};

mod rules;
mod validate;
mod wire;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;

/// The path of the Link Point endpoint on the gateway's host (SPEC §1).
pub const ORDER_CGI_PATH: &str = "/cgi-bin/carrier/order.cgi";

pub use rules::{CharClass, Rule, Violation, Violations, is_link_text_char};
pub use validate::{BackLink, ValidOrderRequest};
pub use wire::{EncodeError, ParseError};

/// One of the twelve fields of `order.cgi`, in the manual's order
/// (送信パラメータ一覧). `Display` and `Serialize` give the wire name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, EnumCount, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `clientip`: the IP code, exactly 10 half-width digits.
    Clientip,
    /// `money`: the amount in yen, half-width digits.
    Money,
    /// `carrier_type`: `D`, `A` or `S`.
    CarrierType,
    /// `username`: full-width katakana, `_testID` allowed (R-LP-4).
    Username,
    /// `telno`: the shopper's phone number, half-width digits.
    Telno,
    /// `email`: the shopper's e-mail address (optional).
    Email,
    /// `sendid`: free parameter echoed back (optional).
    Sendid,
    /// `sendpoint`: second free parameter echoed back (optional).
    Sendpoint,
    /// `success_url`: back link on the completion page (with `success_str`).
    SuccessUrl,
    /// `success_str`: text of the completion page's back link.
    SuccessStr,
    /// `failure_url`: back link on the failure page (with `failure_str`).
    FailureUrl,
    /// `failure_str`: text of the failure page's back link.
    FailureStr,
}

impl Field {
    /// The parameter name on the wire.
    pub const fn wire_name(self) -> &'static str {
        match self {
            Field::Clientip => "clientip",
            Field::Money => "money",
            Field::CarrierType => "carrier_type",
            Field::Username => "username",
            Field::Telno => "telno",
            Field::Email => "email",
            Field::Sendid => "sendid",
            Field::Sendpoint => "sendpoint",
            Field::SuccessUrl => "success_url",
            Field::SuccessStr => "success_str",
            Field::FailureUrl => "failure_url",
            Field::FailureStr => "failure_str",
        }
    }

    /// The field with this wire name (exact, case-sensitive), if any.
    pub fn from_wire_name(name: &str) -> Option<Field> {
        Field::iter().find(|f| f.wire_name() == name)
    }

    /// Whether the manual marks the field required (●).
    pub const fn is_required(self) -> bool {
        match self {
            Field::Clientip
            | Field::Money
            | Field::CarrierType
            | Field::Username
            | Field::Telno => true,
            Field::Email
            | Field::Sendid
            | Field::Sendpoint
            | Field::SuccessUrl
            | Field::SuccessStr
            | Field::FailureUrl
            | Field::FailureStr => false,
        }
    }

    /// The maximum size in bytes of the charset the form is sent in (D-3).
    pub const fn max_bytes(self) -> usize {
        match self {
            Field::Clientip => 10,
            Field::Money => 6,
            Field::CarrierType => 1,
            Field::Username | Field::Email | Field::Sendpoint => 50,
            Field::Telno => 32,
            Field::Sendid => 25,
            Field::SuccessUrl | Field::SuccessStr | Field::FailureUrl | Field::FailureStr => 256,
        }
    }

    /// The other half of a url/str pair (R-LP-3), if the field is one.
    pub const fn pair_partner(self) -> Option<Field> {
        match self {
            Field::SuccessUrl => Some(Field::SuccessStr),
            Field::SuccessStr => Some(Field::SuccessUrl),
            Field::FailureUrl => Some(Field::FailureStr),
            Field::FailureStr => Some(Field::FailureUrl),
            Field::Clientip
            | Field::Money
            | Field::CarrierType
            | Field::Username
            | Field::Telno
            | Field::Email
            | Field::Sendid
            | Field::Sendpoint => None,
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.wire_name())
    }
}

/// The twelve fields of a Link Point order request as typed by the merchant
/// or the shopper, unchecked (SPEC §4). An empty string is an absent field.
///
/// Serde: an object with the wire names; missing keys are empty, `money`
/// may also be a JSON number (for `POST /checkout` with JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderRequest {
    /// `clientip`: the merchant's IP code.
    pub clientip: String,
    /// `money`: the amount in yen.
    #[serde(deserialize_with = "string_or_number")]
    pub money: String,
    /// `carrier_type`: `D`, `A` or `S`.
    pub carrier_type: String,
    /// `username`: the shopper's name in full-width katakana.
    pub username: String,
    /// `telno`: the shopper's phone number.
    pub telno: String,
    /// `email`: the shopper's e-mail address.
    pub email: String,
    /// `sendid`: the merchant's free parameter.
    pub sendid: String,
    /// `sendpoint`: the merchant's second free parameter.
    pub sendpoint: String,
    /// `success_url`: the completion page's back link.
    pub success_url: String,
    /// `success_str`: the completion page's back link text.
    pub success_str: String,
    /// `failure_url`: the failure page's back link.
    pub failure_url: String,
    /// `failure_str`: the failure page's back link text.
    pub failure_str: String,
}

impl OrderRequest {
    /// The value of `field` (empty when absent).
    pub fn get(&self, field: Field) -> &str {
        match field {
            Field::Clientip => &self.clientip,
            Field::Money => &self.money,
            Field::CarrierType => &self.carrier_type,
            Field::Username => &self.username,
            Field::Telno => &self.telno,
            Field::Email => &self.email,
            Field::Sendid => &self.sendid,
            Field::Sendpoint => &self.sendpoint,
            Field::SuccessUrl => &self.success_url,
            Field::SuccessStr => &self.success_str,
            Field::FailureUrl => &self.failure_url,
            Field::FailureStr => &self.failure_str,
        }
    }

    /// The value of `field`, mutably.
    pub fn get_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Clientip => &mut self.clientip,
            Field::Money => &mut self.money,
            Field::CarrierType => &mut self.carrier_type,
            Field::Username => &mut self.username,
            Field::Telno => &mut self.telno,
            Field::Email => &mut self.email,
            Field::Sendid => &mut self.sendid,
            Field::Sendpoint => &mut self.sendpoint,
            Field::SuccessUrl => &mut self.success_url,
            Field::SuccessStr => &mut self.success_str,
            Field::FailureUrl => &mut self.failure_url,
            Field::FailureStr => &mut self.failure_str,
        }
    }

    /// Sets `field` to `value` (empty = absent).
    pub fn set(&mut self, field: Field, value: impl Into<String>) {
        *self.get_mut(field) = value.into();
    }

    /// Builds a request from name/value pairs. Unknown names are ignored (as
    /// the gateway ignores them); for a repeated name the last value wins.
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> OrderRequest {
        Self::from_pairs_with_unknown(pairs).0
    }

    /// Like [`OrderRequest::from_pairs`], also returning the unknown names in
    /// the order they came (for a command line that warns about typos).
    pub fn from_pairs_with_unknown<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> (OrderRequest, Vec<String>) {
        let mut request = OrderRequest::default();
        let mut unknown = Vec::new();
        for (name, value) in pairs {
            match Field::from_wire_name(name.as_ref()) {
                Some(field) => request.set(field, value),
                None => unknown.push(name.as_ref().to_owned()),
            }
        }
        (request, unknown)
    }

    /// Every field with its value, empty ones included, in the manual's order.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &str)> + '_ {
        Field::iter().map(move |f| (f, self.get(f)))
    }

    /// The non-empty fields as `(wire name, value)` pairs in the manual's
    /// order: what the form sends.
    pub fn to_pairs(&self) -> Vec<(&'static str, &str)> {
        self.fields()
            .filter(|(_, v)| !v.is_empty())
            .map(|(f, v)| (f.wire_name(), v))
            .collect()
    }
}

/// Deserializes a string, or an unsigned integer as its decimal digits.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Text(s) => s,
        Raw::Number(n) => n.to_string(),
    })
}
