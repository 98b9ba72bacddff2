//! Secure Link (`secure.cgi`): the merchant server's settle (`act=settled`)
//! and cancel (`act=return`) requests, the gateway's answers, and what an
//! answer means for the merchant (SPEC §5, §6, §7).
//!
//! Both sides live here, because both must agree byte for byte:
//! - the merchant builds a [`Request`] and sends [`Request::to_form_body`],
//!   then turns the HTTP status and body into an [`Outcome`] with
//!   [`Outcome::from_http`] (or [`Outcome::transport_failure`] when no answer
//!   came: R-RS-3);
//! - the gateway (the sandbox) decodes the body with [`Request::parse_form`],
//!   answers malformed fields with `invalid` ([`InvalidField::response`]),
//!   lets [`crate::settle::answer_settle`] / [`crate::cancel::answer_cancel`]
//!   decide, and writes the [`Response`] with [`Response::render`].
//!
//! # Decisions where the manual is silent
//! - `zkey` (manual: "半角英数字 一部記号", symbols not listed): 1–40 printable
//!   ASCII characters, `!` (0x21) through `~` (0x7E), i.e. alphanumerics and
//!   every ASCII symbol; no space, no control characters, nothing outside
//!   ASCII. The value is percent-encoded on the wire, so no symbol is
//!   ambiguous, and a key the gateway issues is never refused by us.
//! - `clientip` is exactly ten digits (the IP code is always ten, SPEC §4).
//! - An optional request field sent with an empty value (`money=`) counts as
//!   absent, like an HTML form's empty input.
//! - A request field sent twice is malformed (`invalid` with that field's
//!   code): we cannot tell which value was meant.
//! - A cancel (`act=return`) ignores `money`, `autype` and `date`: they are
//!   not parameters of 取消処理.

mod outcome;
mod request;
mod response;

pub use crate::error_code::ResultKind;
pub use outcome::{Outcome, UnknownReason};
pub use request::{CancelRequest, Field, InvalidField, Request, SettleRequest, parse_money};
pub use response::{NO_ERROR_CODE, Response, ResponseError};

use chrono::NaiveDate;
use strum::{EnumIter, IntoStaticStr};

use crate::error_code::ErrorCode;
use crate::order::Event;

/// The path of the Secure Link endpoint on the gateway's host (SPEC §1).
pub const SECURE_LINK_PATH: &str = "/cgi-bin/carrier/secure.cgi";

/// The operation a Secure Link request asks for (`act`, SPEC §5, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, IntoStaticStr)]
pub enum Act {
    /// `settled`: settle (売上処理).
    #[strum(serialize = "settled")]
    Settled,
    /// `return`: cancel (取消処理).
    #[strum(serialize = "return")]
    Return,
}

impl Act {
    /// The value on the wire.
    pub fn wire_name(self) -> &'static str {
        self.into()
    }

    /// Parses the wire value, exactly (lower case).
    pub fn from_wire(s: &str) -> Option<Act> {
        match s {
            "settled" => Some(Act::Settled),
            "return" => Some(Act::Return),
            _ => None,
        }
    }
}

/// What a settle does (`autype`, SPEC §5): settle, or withdraw a
/// reservation back to an authorization (R-SL-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, IntoStaticStr)]
pub enum Autype {
    /// `sale` (売上に変更): settle; the default when absent.
    #[default]
    #[strum(serialize = "sale")]
    Sale,
    /// `auth` (仮売に変更): withdraw a reservation (R-SL-6).
    #[strum(serialize = "auth")]
    Auth,
}

impl Autype {
    /// The value on the wire.
    pub fn wire_name(self) -> &'static str {
        self.into()
    }

    /// Parses the wire value, exactly (lower case).
    pub fn from_wire(s: &str) -> Option<Autype> {
        match s {
            "sale" => Some(Autype::Sale),
            "auth" => Some(Autype::Auth),
            _ => None,
        }
    }
}

/// Whether an operation authenticates the order's merchant at the gateway
/// (SPEC §5, §6): a Secure Link request whose `clientip` and `zkey` are
/// wrong is answered 認証失敗 (`010010000` settle, `010010100` cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter)]
pub enum ZkeyCheck {
    /// The Secure Link request's clientip and zkey authenticate the merchant.
    Matches,
    /// They do not: 認証失敗.
    Wrong,
    /// The operation comes from the management screen (売上管理画面), where
    /// the merchant's staff logged in with the screen's ID and password
    /// (the manual: "売上管理画面をご利用いただくための、IDとパスワード"); no
    /// zkey is sent there. Authenticated like [`ZkeyCheck::Matches`]; every
    /// other rule is the same as for Secure Link.
    ScreenLogin,
}

/// The merchant's authentication key (認証キー, SPEC §5). A secret: its
/// `Debug` and `Display` print `Zkey(***)`, never the value; read it only
/// with [`Zkey::expose_secret`] where it goes onto the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Zkey(String);

impl Zkey {
    /// Wraps a key. No check here: [`Zkey::is_well_formed`] tells whether the
    /// gateway accepts its format.
    pub fn new(key: impl Into<String>) -> Zkey {
        Zkey(key.into())
    }

    /// The key itself, for the request body and nothing else.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the key has the format the gateway accepts: 1–40 printable
    /// ASCII characters (`!`..=`~`), see the module docs.
    pub fn is_well_formed(&self) -> bool {
        zkey_format_ok(self.0.as_bytes())
    }

    /// Compares with a candidate in time independent of where they differ
    /// (the sandbox's authentication).
    pub fn matches(&self, candidate: &Zkey) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.0.as_bytes());
        let mut diff = a.len() ^ b.len();
        for (i, x) in a.iter().enumerate() {
            let y = b.get(i).copied().unwrap_or(0);
            diff |= usize::from(x ^ y);
        }
        diff == 0
    }
}

/// The zkey format rule (see the module docs).
pub(crate) fn zkey_format_ok(v: &[u8]) -> bool {
    (1..=40).contains(&v.len()) && v.iter().all(|b| (0x21..=0x7E).contains(b))
}

impl std::fmt::Debug for Zkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Zkey(***)")
    }
}

impl std::fmt::Display for Zkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Zkey(***)")
    }
}

/// A request the gateway would refuse, with the exact answer it would give
/// and the rule that refuses it (R-SL-1..7, R-CN-1, R-TR-1).
///
/// The answer's `result` is the code's class in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the gateway would answer {} {} ({rule})", code.class, code.code)]
pub struct Refusal {
    code: &'static ErrorCode,
    rule: &'static str,
}

impl Refusal {
    /// A refusal with a catalog code (see [`crate::error_code::codes`]) and
    /// the SPEC id of the rule, e.g. `"R-SL-4"`.
    pub const fn new(code: &'static ErrorCode, rule: &'static str) -> Refusal {
        Refusal { code, rule }
    }

    /// The `result` of the answer: the code's class (`failure_order` for
    /// every rule of §5–§6).
    pub const fn result(&self) -> ResultKind {
        self.code.class
    }

    /// The catalog entry of the answer's `error_code`.
    pub const fn error_code(&self) -> &'static ErrorCode {
        self.code
    }

    /// The `error_code` as the gateway sends it.
    pub const fn code(&self) -> &'static str {
        self.code.code
    }

    /// The SPEC id of the rule, e.g. `"R-SL-4"`.
    pub const fn rule(&self) -> &'static str {
        self.rule
    }

    /// The response the gateway sends for this refusal (no `date`).
    pub fn response(&self) -> Response {
        Response::error(self.code)
    }
}

/// What the gateway does for one Secure Link request: the answer it sends
/// (`Success_order` with an optional date, or a catalog code) and the events
/// it applies to its order, in order (empty when the request was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayAnswer {
    code: Option<&'static ErrorCode>,
    date: Option<NaiveDate>,
    events: Vec<Event>,
}

impl GatewayAnswer {
    /// `Success_order` with the date the response carries (a settle,
    /// R-SL-3) and the events to apply.
    pub fn success(date: Option<NaiveDate>, events: Vec<Event>) -> GatewayAnswer {
        GatewayAnswer {
            code: None,
            date,
            events,
        }
    }

    /// An answer with a catalog code whose operation still moved the order
    /// (the carrier failed it, R-TR-2): the code's class as `result`, no
    /// date, and the events to apply.
    pub fn failed(code: &'static ErrorCode, events: Vec<Event>) -> GatewayAnswer {
        GatewayAnswer {
            code: Some(code),
            date: None,
            events,
        }
    }

    /// A refusal: the refusal's code and no event.
    pub fn refused(refusal: &Refusal) -> GatewayAnswer {
        GatewayAnswer::failed(refusal.error_code(), Vec::new())
    }

    /// The `result`: `Success_order`, or the code's class.
    pub fn result(&self) -> ResultKind {
        self.code.map_or(ResultKind::SuccessOrder, |c| c.class)
    }

    /// The catalog entry of the `error_code`; `None` for `Success_order`.
    pub const fn error_code(&self) -> Option<&'static ErrorCode> {
        self.code
    }

    /// The `error_code` as the gateway sends it: `-` on success.
    pub fn code(&self) -> &'static str {
        self.code.map_or(NO_ERROR_CODE, |c| c.code)
    }

    /// The date the response carries (a settle, R-SL-3).
    pub const fn date(&self) -> Option<NaiveDate> {
        self.date
    }

    /// The events to apply to the gateway's order, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events, owned.
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    /// The response body's parameters.
    pub fn response(&self) -> Response {
        match self.code {
            None => Response::success(self.date),
            Some(code) => Response::error(code),
        }
    }
}

/// Whether an `error_code` comes from the carrier (決済機関キャリア): the
/// `0101…` and `0102…` families of the manual's `failure_order` tables. Such
/// a code on a settle dated today or a cancel means the operation reached
/// the carrier and failed there (R-TR-2): the order moved (06, 09, 11).
pub fn is_carrier_code(code: &str) -> bool {
    code.len() == 9 && (code.starts_with("0101") || code.starts_with("0102"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn act_and_autype_wire_names_round_trip() {
        for a in Act::iter() {
            assert_eq!(Act::from_wire(a.wire_name()), Some(a));
        }
        for a in Autype::iter() {
            assert_eq!(Autype::from_wire(a.wire_name()), Some(a));
        }
        assert_eq!(Act::wire_name(Act::Return), "return");
        assert_eq!(Autype::default(), Autype::Sale);
        assert_eq!(Act::from_wire("SETTLED"), None);
        assert_eq!(Autype::from_wire("Auth"), None);
    }

    #[test]
    fn zkey_debug_and_display_hide_the_value() {
        let k = Zkey::new("very-secret-key");
        assert_eq!(format!("{k:?}"), "Zkey(***)");
        assert_eq!(format!("{k}"), "Zkey(***)");
        assert_eq!(k.expose_secret(), "very-secret-key");
    }

    #[test]
    fn zkey_format_allows_printable_ascii_up_to_40() {
        assert!(Zkey::new("sandbox-zkey").is_well_formed());
        assert!(Zkey::new("!~#$%&'()*+,-./:;<=>?@[]^_`{|}\\\"").is_well_formed());
        assert!(Zkey::new("a".repeat(40)).is_well_formed());
        assert!(!Zkey::new("a".repeat(41)).is_well_formed());
        assert!(!Zkey::new("").is_well_formed());
        assert!(!Zkey::new("with space").is_well_formed());
        assert!(!Zkey::new("ｚｋｅｙ").is_well_formed());
    }

    #[test]
    fn zkey_matches_only_the_same_key() {
        let k = Zkey::new("abc");
        assert!(k.matches(&Zkey::new("abc")));
        assert!(!k.matches(&Zkey::new("abd")));
        assert!(!k.matches(&Zkey::new("ab")));
        assert!(!k.matches(&Zkey::new("abcd")));
        assert!(!k.matches(&Zkey::new("")));
    }

    #[test]
    fn carrier_codes_are_the_0101_and_0102_families() {
        for c in ["010100034", "0101000L0", "010208451"] {
            assert!(is_carrier_code(c), "{c}");
        }
        for c in ["010010007", "020020000", "00000001", "-", "0101", ""] {
            assert!(!is_carrier_code(c), "{c}");
        }
    }

    #[test]
    fn refusal_response_carries_result_and_code() {
        let r = Refusal::new(crate::error_code::codes::DATE_AFTER_CUTOFF, "R-SL-4");
        assert_eq!(
            r.response().render(0),
            "result=failure_order&error_code=010010012"
        );
        assert_eq!(
            r.to_string(),
            "the gateway would answer failure_order 010010012 (R-SL-4)"
        );
    }
}
