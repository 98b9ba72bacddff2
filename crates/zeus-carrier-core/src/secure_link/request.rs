//! Secure Link requests: encoding for the merchant, decoding and field
//! checks for the gateway (SPEC §5, §6).

use chrono::NaiveDate;
use strum::{EnumIter, IntoStaticStr};

use super::{Act, Autype, Response, Zkey, zkey_format_ok};
use crate::charset::{percent_decode, percent_encode};
use crate::error_code::{ErrorCode, codes};
use crate::time::{format_yyyymmdd, parse_yyyymmdd};

/// A settle request (`act=settled`, SPEC §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleRequest {
    /// The merchant's IP code (ten digits).
    pub clientip: String,
    /// The gateway's order number.
    pub order_no: String,
    /// The merchant's key (a secret).
    pub zkey: Zkey,
    /// The amount; absent means the original amount.
    pub money: Option<u32>,
    /// `sale` or `auth`; absent means `sale`.
    pub autype: Option<Autype>,
    /// The settle date; absent means today or tomorrow (R-SL-3).
    pub date: Option<NaiveDate>,
}

/// A cancel request (`act=return`, SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    /// The merchant's IP code (ten digits).
    pub clientip: String,
    /// The gateway's order number.
    pub order_no: String,
    /// The merchant's key (a secret).
    pub zkey: Zkey,
}

/// A Secure Link request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `act=settled`.
    Settle(SettleRequest),
    /// `act=return`.
    Cancel(CancelRequest),
}

/// A request field, in the order of its `invalid` code (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Field {
    /// `act`: `settled` or `return` (code 00000000).
    Act,
    /// `clientip`: exactly ten digits (code 00000001).
    #[strum(serialize = "clientip")]
    ClientIp,
    /// `money`: one to six digits (code 00000002).
    Money,
    /// `order_no`: 1–38 of `A-Z a-z 0-9 . -` (code 00000003).
    OrderNo,
    /// `autype`: `sale` or `auth` (code 00000004).
    Autype,
    /// `date`: `YYYYMMDD`, a real date (code 00000005).
    Date,
    /// `zkey`: 1–40 printable ASCII characters (code 00000006).
    Zkey,
}

impl Field {
    /// The parameter name on the wire.
    pub fn wire_name(self) -> &'static str {
        self.into()
    }

    /// The catalog entry of the `invalid` answer for this field (SPEC §5).
    pub const fn invalid_error_code(self) -> &'static ErrorCode {
        match self {
            Field::Act => codes::INVALID_ACT,
            Field::ClientIp => codes::INVALID_CLIENTIP,
            Field::Money => codes::INVALID_MONEY,
            Field::OrderNo => codes::INVALID_ORDER_NO,
            Field::Autype => codes::INVALID_AUTYPE,
            Field::Date => codes::INVALID_DATE,
            Field::Zkey => codes::INVALID_ZKEY,
        }
    }

    /// The `error_code` of the `invalid` answer for this field, as sent
    /// (SPEC §5).
    pub const fn invalid_code(self) -> &'static str {
        self.invalid_error_code().code
    }

    /// The catalog entry of the `invalid` answer for this field in a
    /// request whose `act` is `act` (`None`: `act` itself is unreadable).
    /// A cancel's clientip, order_no and zkey answer the cancel family
    /// `00000100`, `00000101`, `00000103` (see [`crate::cancel`]); every
    /// other case the settle family of [`Field::invalid_error_code`].
    pub const fn invalid_error_code_in(self, act: Option<Act>) -> &'static ErrorCode {
        match (act, self) {
            (Some(Act::Return), Field::ClientIp) => codes::CANCEL_INVALID_CLIENTIP,
            (Some(Act::Return), Field::OrderNo) => codes::CANCEL_INVALID_ORDER_NO,
            (Some(Act::Return), Field::Zkey) => codes::CANCEL_INVALID_ZKEY,
            (Some(Act::Return), Field::Act | Field::Money | Field::Autype | Field::Date)
            | (Some(Act::Settled) | None, _) => self.invalid_error_code(),
        }
    }

    /// The format rule, for messages.
    pub const fn rule(self) -> &'static str {
        match self {
            Field::Act => "must be `settled` or `return`",
            Field::ClientIp => "must be exactly 10 half-width digits",
            Field::Money => "must be 1 to 6 half-width digits",
            Field::OrderNo => "must be 1 to 38 of A-Z a-z 0-9 `.` `-`",
            Field::Autype => "must be `sale` or `auth`",
            Field::Date => "must be YYYYMMDD naming a real date",
            Field::Zkey => "must be 1 to 40 printable ASCII characters",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// A malformed request field: the gateway answers `invalid` with the
/// field's code in the request's family (SPEC §5, §6). The value is never
/// included (it may be the zkey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}; {rule} (SPEC §5, §6, answered invalid {code})",
    rule = field.rule(), code = field.invalid_error_code_in(*act).code)]
#[non_exhaustive]
pub struct InvalidField {
    /// The first malformed field in code order.
    pub field: Field,
    /// What is wrong: `missing`, `sent twice` or `bad format`.
    pub problem: &'static str,
    /// The request's `act`, when it was read (it picks the code family).
    pub act: Option<Act>,
}

impl InvalidField {
    /// The catalog entry of the answer's code (see
    /// [`Field::invalid_error_code_in`]).
    pub const fn error_code(&self) -> &'static ErrorCode {
        self.field.invalid_error_code_in(self.act)
    }

    /// The `error_code` the gateway answers, as sent.
    pub const fn code(&self) -> &'static str {
        self.error_code().code
    }

    /// The gateway's answer: `result=invalid&error_code=<field code>`.
    pub fn response(&self) -> Response {
        Response::error(self.error_code())
    }

    fn in_act(self, act: Act) -> InvalidField {
        InvalidField {
            act: Some(act),
            ..self
        }
    }
}

const MISSING: &str = "missing";
const TWICE: &str = "sent twice";
const BAD: &str = "bad format";

fn clientip_ok(v: &[u8]) -> bool {
    v.len() == 10 && v.iter().all(u8::is_ascii_digit)
}

fn money_ok(v: &[u8]) -> bool {
    (1..=6).contains(&v.len()) && v.iter().all(u8::is_ascii_digit)
}

fn order_no_ok(v: &[u8]) -> bool {
    (1..=38).contains(&v.len())
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
}

/// What a lookup found: nothing, one value, or a malformed/repeated field.
enum Lookup<'a> {
    Absent,
    One(&'a [u8]),
    Bad(&'static str),
}

/// The decoded `name=value` pairs of a body, as raw bytes.
struct Fields {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Names whose value has a bad percent escape.
    undecodable: Vec<Vec<u8>>,
}

impl Fields {
    /// Splits `a=b&c=d`; a pair whose name cannot be decoded is dropped (an
    /// unknown key); a name whose value cannot be decoded is remembered, so
    /// that field is malformed.
    fn parse(raw: &[u8]) -> Fields {
        let mut pairs = Vec::new();
        let mut undecodable = Vec::new();
        for seg in raw.split(|b| *b == b'&').filter(|s| !s.is_empty()) {
            let (k, v) = match seg.iter().position(|b| *b == b'=') {
                Some(p) => (&seg[..p], &seg[p + 1..]),
                None => (seg, &[][..]),
            };
            let Ok(k) = percent_decode(k) else { continue };
            match percent_decode(v) {
                Ok(v) => pairs.push((k, v)),
                Err(_) => undecodable.push(k),
            }
        }
        Fields { pairs, undecodable }
    }

    fn get(&self, field: Field) -> Lookup<'_> {
        let name = field.wire_name().as_bytes();
        if self.undecodable.iter().any(|k| k == name) {
            return Lookup::Bad(BAD);
        }
        let mut found = self.pairs.iter().filter(|(k, _)| k == name);
        match (found.next(), found.next()) {
            (None, _) => Lookup::Absent,
            (Some((_, v)), None) => Lookup::One(v),
            (Some(_), Some(_)) => Lookup::Bad(TWICE),
        }
    }

    /// A required field that passes `ok`.
    fn required(&self, field: Field, ok: fn(&[u8]) -> bool) -> Result<String, InvalidField> {
        let bad = |problem| InvalidField {
            field,
            problem,
            act: None,
        };
        match self.get(field) {
            Lookup::Absent => Err(bad(MISSING)),
            Lookup::Bad(p) => Err(bad(p)),
            Lookup::One([]) => Err(bad(MISSING)),
            Lookup::One(v) if ok(v) => {
                // `ok` admits ASCII only, so this never fails.
                std::str::from_utf8(v)
                    .map(str::to_owned)
                    .map_err(|_| bad(BAD))
            }
            Lookup::One(_) => Err(bad(BAD)),
        }
    }

    /// An optional field: absent or empty is `None`, otherwise `parse`.
    fn optional<T>(
        &self,
        field: Field,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, InvalidField> {
        let bad = |problem| InvalidField {
            field,
            problem,
            act: None,
        };
        match self.get(field) {
            Lookup::Absent => Ok(None),
            Lookup::Bad(p) => Err(bad(p)),
            Lookup::One([]) => Ok(None),
            Lookup::One(v) => std::str::from_utf8(v)
                .ok()
                .and_then(parse)
                .map(Some)
                .ok_or(bad(BAD)),
        }
    }
}

/// The fields of a request whose `act` is known: a malformed one is
/// reported in `act`'s code family.
struct ActFields<'a> {
    f: &'a Fields,
    act: Act,
}

impl ActFields<'_> {
    fn required(&self, field: Field, ok: fn(&[u8]) -> bool) -> Result<String, InvalidField> {
        self.f.required(field, ok).map_err(|e| e.in_act(self.act))
    }

    fn optional<T>(
        &self,
        field: Field,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, InvalidField> {
        self.f
            .optional(field, parse)
            .map_err(|e| e.in_act(self.act))
    }
}

/// Reads a Secure Link `money` value as the gateway does: 1 to 6
/// half-width digits (SPEC §5), else `None` (answered `invalid` with the
/// field's code). The amount rules (R-SL-5, and 0) are the pre-check's.
pub fn parse_money(s: &str) -> Option<u32> {
    if money_ok(s.as_bytes()) {
        s.parse().ok()
    } else {
        None
    }
}

impl Request {
    /// The `act` of this request.
    pub fn act(&self) -> Act {
        match self {
            Request::Settle(_) => Act::Settled,
            Request::Cancel(_) => Act::Return,
        }
    }

    /// The order number.
    pub fn order_no(&self) -> &str {
        match self {
            Request::Settle(r) => &r.order_no,
            Request::Cancel(r) => &r.order_no,
        }
    }

    /// The merchant's key.
    pub fn zkey(&self) -> &Zkey {
        match self {
            Request::Settle(r) => &r.zkey,
            Request::Cancel(r) => &r.zkey,
        }
    }

    /// The IP code.
    pub fn clientip(&self) -> &str {
        match self {
            Request::Settle(r) => &r.clientip,
            Request::Cancel(r) => &r.clientip,
        }
    }

    /// The urlencoded body, parameters in the manual's order (clientip, act,
    /// order_no, zkey, money, autype, date); absent optional fields are left
    /// out; `date` is `YYYYMMDD`. Every well-formed value is ASCII, so the
    /// body is the same in Shift_JIS and UTF-8.
    pub fn to_form_body(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("clientip", self.clientip().to_owned()),
            ("act", self.act().wire_name().to_owned()),
            ("order_no", self.order_no().to_owned()),
            ("zkey", self.zkey().expose_secret().to_owned()),
        ];
        if let Request::Settle(r) = self {
            if let Some(m) = r.money {
                pairs.push(("money", m.to_string()));
            }
            if let Some(a) = r.autype {
                pairs.push(("autype", a.wire_name().to_owned()));
            }
            if let Some(d) = r.date {
                pairs.push(("date", format_yyyymmdd(d)));
            }
        }
        let mut out = String::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            percent_encode(k.as_bytes(), &mut out);
            out.push('=');
            percent_encode(v.as_bytes(), &mut out);
        }
        out
    }

    /// Checks the format of every field the gateway checks, as
    /// [`Request::parse_form`] would on the encoded body: the first malformed
    /// field in code order. A merchant calls this before sending.
    pub fn validate(&self) -> Result<(), InvalidField> {
        let act = Some(self.act());
        let bad = |field| {
            Err(InvalidField {
                field,
                problem: BAD,
                act,
            })
        };
        if !clientip_ok(self.clientip().as_bytes()) {
            return bad(Field::ClientIp);
        }
        let (money, date) = match self {
            Request::Settle(r) => (r.money, r.date),
            Request::Cancel(_) => (None, None),
        };
        if money.is_some_and(|m| m > 999_999) {
            return bad(Field::Money);
        }
        if !order_no_ok(self.order_no().as_bytes()) {
            return bad(Field::OrderNo);
        }
        if date.is_some_and(|d| parse_yyyymmdd(&format_yyyymmdd(d)) != Some(d)) {
            return bad(Field::Date);
        }
        if !self.zkey().is_well_formed() {
            return bad(Field::Zkey);
        }
        Ok(())
    }

    /// Decodes a request body on the gateway side and checks every field's
    /// format (SPEC §5): on failure, the first malformed field in code order
    /// (act, clientip, money, order_no, autype, date, zkey). Total on any
    /// bytes. Unknown parameters are ignored; see the module docs for empty,
    /// repeated and cancel-irrelevant fields.
    pub fn parse_form(raw: &[u8]) -> Result<Request, InvalidField> {
        let f = Fields::parse(raw);
        let act = match f.get(Field::Act) {
            Lookup::Absent => Err(MISSING),
            Lookup::Bad(p) => Err(p),
            Lookup::One(v) => std::str::from_utf8(v)
                .ok()
                .and_then(Act::from_wire)
                .ok_or(if v.is_empty() { MISSING } else { BAD }),
        }
        .map_err(|problem| InvalidField {
            field: Field::Act,
            problem,
            act: None,
        })?;
        let f = ActFields { f: &f, act };
        let clientip = f.required(Field::ClientIp, clientip_ok)?;
        match act {
            Act::Settled => {
                let money = f.optional(Field::Money, parse_money)?;
                let order_no = f.required(Field::OrderNo, order_no_ok)?;
                let autype = f.optional(Field::Autype, Autype::from_wire)?;
                let date = f.optional(Field::Date, parse_yyyymmdd)?;
                let zkey = f.required(Field::Zkey, zkey_format_ok)?;
                Ok(Request::Settle(SettleRequest {
                    clientip,
                    order_no,
                    zkey: Zkey::new(zkey),
                    money,
                    autype,
                    date,
                }))
            }
            Act::Return => {
                let order_no = f.required(Field::OrderNo, order_no_ok)?;
                let zkey = f.required(Field::Zkey, zkey_format_ok)?;
                Ok(Request::Cancel(CancelRequest {
                    clientip,
                    order_no,
                    zkey: Zkey::new(zkey),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests;
