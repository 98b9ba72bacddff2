//! Validation of a Link Point order request (R-LP-1..4, D-3, D-4) and the
//! typed request it produces.

use strum::IntoEnumIterator;

use super::rules::{CharClass, Rule, Violation, Violations};
use super::{Field, OrderRequest};
use crate::carrier::Carrier;
use crate::charset::{Charset, Unmappable, sjis_encoded_len, sjis_known_len};
use crate::order::{OrderDetails, PaymentKind};
use crate::test_mode::{self, Username};

impl OrderRequest {
    /// Checks every field against SPEC §4 in `charset` (byte limits count
    /// bytes of that charset, D-3) and reports EVERY violation at once, in
    /// field order (R-LP-1). Total: any strings give a value.
    ///
    /// ```
    /// use zeus_carrier_core::link_point::OrderRequest;
    /// use zeus_carrier_core::Charset;
    /// let req = OrderRequest::from_pairs([
    ///     ("clientip", "1234567890"), ("money", "60000"), ("carrier_type", "D"),
    ///     ("username", "ゼウス"), ("telno", "0312345678"),
    /// ]);
    /// let errors = req.validate(Charset::ShiftJis).unwrap_err();
    /// assert_eq!(errors.to_string(), "money: 60000 is outside 1..=50000 for docomo (R-LP-2)");
    /// ```
    pub fn validate(&self, charset: Charset) -> Result<ValidOrderRequest, Violations> {
        let carrier = Carrier::from_code(&self.carrier_type);
        let mut out = Vec::new();
        let mut money = None;
        for field in Field::iter() {
            let found = check_field(self, field, carrier, charset, &mut out);
            if field == Field::Money {
                money = found;
            }
        }
        match (Violations::from_vec(out), carrier, money) {
            (Some(violations), _, _) => Err(violations),
            (None, Some(carrier), Some(money)) => Ok(ValidOrderRequest {
                request: self.clone(),
                charset,
                money,
                carrier,
            }),
            // Not reachable: a missing carrier or amount was reported above.
            // Kept total by reporting it again rather than panicking.
            (None, None, _) => Err(single(Field::CarrierType, unknown_carrier(self))),
            (None, Some(c), None) => Err(single(Field::Money, out_of_range(self, Some(c)))),
        }
    }
}

fn single(field: Field, rule: Rule) -> Violations {
    Violations::one(Violation { field, rule })
}

fn unknown_carrier(req: &OrderRequest) -> Rule {
    Rule::UnknownCarrier {
        value: req.carrier_type.clone(),
    }
}

fn out_of_range(req: &OrderRequest, carrier: Option<Carrier>) -> Rule {
    Rule::AmountOutOfRange {
        money: req.money.clone(),
        carrier,
    }
}

/// The character class of each field; `carrier_type` has its own rule.
fn class_of(field: Field) -> Option<CharClass> {
    match field {
        Field::Clientip | Field::Money | Field::Telno => Some(CharClass::Digits),
        Field::CarrierType => None,
        Field::Username => Some(CharClass::KatakanaName),
        Field::Email => Some(CharClass::Email),
        Field::Sendid | Field::Sendpoint => Some(CharClass::Free),
        Field::SuccessUrl | Field::FailureUrl => Some(CharClass::Url),
        Field::SuccessStr | Field::FailureStr => Some(CharClass::LinkText),
    }
}

/// Bytes of one character in `charset`, `None` when it cannot be encoded.
fn char_bytes(charset: Charset, ch: char) -> Option<usize> {
    let mut buf = [0u8; 4];
    charset.byte_len(ch.encode_utf8(&mut buf)).ok()
}

/// Bytes of `s` in `charset` given its whole-string count `whole`, not
/// counting characters it cannot encode (those are reported as their own
/// violation) (D-3).
fn byte_len_lossy(charset: Charset, s: &str, whole: Result<usize, Unmappable>) -> usize {
    match whole {
        Ok(n) => n,
        Err(_) => s.chars().filter_map(|c| char_bytes(charset, c)).sum(),
    }
}

/// Parses half-width digits; `None` when the value exceeds `u32`.
fn parse_digits(s: &str) -> Option<u32> {
    s.bytes().try_fold(0u32, |acc, b| {
        acc.checked_mul(10)?
            .checked_add(u32::from(b.wrapping_sub(b'0')))
    })
}

/// What one pass over a field's value found.
struct Scan {
    /// The value's size in the charset; the error names the first
    /// character without a mapping.
    whole: Result<usize, Unmappable>,
    /// The first character of `value[..class_end]` outside the class.
    wrong: Option<char>,
}

/// One pass over `value`: the class of each character of
/// `value[..class_end]` and the Shift_JIS (or UTF-8) size of the whole,
/// together. ASCII bytes are checked against the class's bit set and
/// counted as one byte each; the other characters are checked with
/// [`CharClass::allows`], and counted directly when their size is known
/// (kana, `・ー`, `　、。`, half-width kana) or, for runs of the others
/// (kanji, symbols), by encoding the run into a stack buffer (the
/// encoder's table is the only source of truth for those).
fn scan(value: &str, class: CharClass, class_end: usize, charset: Charset) -> Scan {
    let table = class.ascii_table();
    let bytes = value.as_bytes();
    // The allowed ASCII prefix, one table load a byte: most values are
    // all of it.
    let mut i = 0;
    while i < bytes.len() && table[usize::from(bytes[i])] {
        i += 1;
    }
    if i == bytes.len() {
        return Scan {
            whole: Ok(bytes.len()),
            wrong: None,
        };
    }
    let mut wrong = None;
    let sjis = charset == Charset::ShiftJis;
    let mut n = i;
    let mut failed = None;
    let mut run: Option<usize> = None;
    for (off, ch) in value[i..].char_indices() {
        let at = i + off;
        if at < class_end && wrong.is_none() {
            let ok = if ch.is_ascii() {
                table[ch as usize]
            } else {
                class.allows(ch)
            };
            if !ok {
                wrong = Some(ch);
            }
        }
        if !sjis {
            continue;
        }
        match sjis_known_len(ch) {
            Some(len) => {
                if let Some(start) = run.take() {
                    match sjis_encoded_len(&value[start..at]) {
                        Ok(k) => n += k,
                        Err(c) => {
                            failed.get_or_insert(c);
                        }
                    }
                }
                n += len;
            }
            None => {
                run.get_or_insert(at);
            }
        }
    }
    if let Some(start) = run {
        match sjis_encoded_len(&value[start..]) {
            Ok(k) => n += k,
            Err(c) => {
                failed.get_or_insert(c);
            }
        }
    }
    let whole = if !sjis {
        Ok(value.len())
    } else {
        match failed {
            None => Ok(n),
            Some(ch) => Err(Unmappable { ch, charset }),
        }
    };
    Scan { whole, wrong }
}

/// `rest` of `value` after `prefix`, ASCII case ignored.
fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

/// Checks one field, pushing its violations. For `money` it returns the
/// amount when it is valid for the (valid) carrier.
fn check_field(
    req: &OrderRequest,
    field: Field,
    carrier: Option<Carrier>,
    charset: Charset,
    out: &mut Vec<Violation>,
) -> Option<u32> {
    let value = req.get(field);
    let mut push = |rule| out.push(Violation { field, rule });
    if value.is_empty() {
        if field.is_required() {
            push(Rule::Required);
        } else if let Some(with) = field.pair_partner() {
            if !req.get(with).is_empty() {
                push(Rule::PairIncomplete { with });
            }
        }
        return None;
    }
    let Some(class) = class_of(field) else {
        // carrier_type: its own rule states the length and the characters.
        if carrier.is_none() {
            push(unknown_carrier(req));
        }
        return None;
    };
    // The username's class applies to its name part only.
    let (name, suffix) = if field == Field::Username {
        Username::split(value)
    } else {
        (value, None)
    };
    // One pass: the class of every character and the size in the charset.
    let Scan { whole, wrong } = scan(value, class, name.len(), charset);
    // clientip: the specific rule states the length.
    if field != Field::Clientip {
        let bytes = byte_len_lossy(charset, value, whole.clone());
        let max = field.max_bytes();
        if bytes > max {
            push(Rule::TooLong {
                bytes,
                max,
                charset,
            });
        }
    }
    let mut money = None;
    if field == Field::Username {
        if let Some(suffix) = suffix {
            if !test_mode::is_test_id(suffix) {
                push(Rule::BadTestId {
                    suffix: suffix.to_owned(),
                });
            }
            if name.is_empty() {
                push(Rule::EmptyName);
            }
        }
        if let Some(ch) = wrong {
            push(Rule::WrongChar { ch, allowed: class });
        }
    } else if let Some(ch) = wrong {
        push(Rule::WrongChar { ch, allowed: class });
    } else {
        match check_specific(field, value, carrier) {
            Ok(found) => money = found,
            Err(rule) => push(rule),
        }
    }
    // A value the charset holds whole has no unencodable character.
    if whole.is_err() {
        if let Some(ch) = value
            .chars()
            .find(|c| class.allows(*c) && char_bytes(charset, *c).is_none())
        {
            push(Rule::Unencodable { ch, charset });
        }
    }
    money
}

/// The rule of one field whose characters are all in its class.
fn check_specific(
    field: Field,
    value: &str,
    carrier: Option<Carrier>,
) -> Result<Option<u32>, Rule> {
    match field {
        Field::Clientip => {
            let expected = Field::Clientip.max_bytes();
            match value.len() {
                n if n == expected => Ok(None),
                actual => Err(Rule::DigitCount { expected, actual }),
            }
        }
        Field::Money => {
            let max = match carrier {
                Some(c) => c.max_amount(),
                None => Carrier::iter().map(Carrier::max_amount).fold(0, u32::max),
            };
            match parse_digits(value) {
                Some(m) if (Carrier::MIN_AMOUNT..=max).contains(&m) => Ok(carrier.map(|_| m)),
                Some(_) | None => Err(Rule::AmountOutOfRange {
                    money: value.to_owned(),
                    carrier,
                }),
            }
        }
        Field::SuccessUrl | Field::FailureUrl => {
            let rest = strip_prefix_ignore_case(value, "https://")
                .or_else(|| strip_prefix_ignore_case(value, "http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(None),
                Some(_) | None => Err(Rule::UrlScheme),
            }
        }
        Field::CarrierType
        | Field::Username
        | Field::Telno
        | Field::Email
        | Field::Sendid
        | Field::Sendpoint
        | Field::SuccessStr
        | Field::FailureStr => Ok(None),
    }
}

/// A back link on the gateway's completion or failure page (R-LP-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BackLink<'a> {
    /// `success_url` / `failure_url`.
    pub url: &'a str,
    /// `success_str` / `failure_str`: the link text.
    pub text: &'a str,
}

/// A Link Point order request that passed [`OrderRequest::validate`]: every
/// field obeys SPEC §4 in [`ValidOrderRequest::charset`]. Only `validate`
/// makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrderRequest {
    request: OrderRequest,
    charset: Charset,
    money: u32,
    carrier: Carrier,
}

/// `Some(s)` when `s` is non-empty.
fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

impl ValidOrderRequest {
    /// The fields as typed.
    pub fn request(&self) -> &OrderRequest {
        &self.request
    }

    /// The fields as typed, by value.
    pub fn into_request(self) -> OrderRequest {
        self.request
    }

    /// The charset the request was validated in and is sent in (D-3).
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The IP code: exactly 10 half-width digits.
    pub fn clientip(&self) -> &str {
        &self.request.clientip
    }

    /// The amount in yen, within the carrier's range.
    pub fn money(&self) -> u32 {
        self.money
    }

    /// The carrier.
    pub fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// The whole username, test suffix included.
    pub fn username(&self) -> &str {
        &self.request.username
    }

    /// The name part of the username (full-width katakana, R-LP-4).
    pub fn name(&self) -> &str {
        Username::parse(&self.request.username).name
    }

    /// The test ID of the username, if it has one (R-LP-4). Whether it
    /// makes a test payment depends on the merchant's IDs: see
    /// [`ValidOrderRequest::is_test`].
    pub fn test_id(&self) -> Option<&str> {
        Username::parse(&self.request.username).test_id
    }

    /// Whether this is a test payment for a merchant with these test IDs
    /// (R-TM-1).
    pub fn is_test(&self, known_test_ids: &[impl AsRef<str>]) -> bool {
        test_mode::is_test_payment(&self.request.username, known_test_ids)
    }

    /// [`ValidOrderRequest::is_test`] as the kind of payment (R-TM-1), for
    /// [`ValidOrderRequest::details`].
    pub fn payment_kind(&self, known_test_ids: &[impl AsRef<str>]) -> PaymentKind {
        if self.is_test(known_test_ids) {
            PaymentKind::Test
        } else {
            PaymentKind::Live
        }
    }

    /// The phone number.
    pub fn telno(&self) -> &str {
        &self.request.telno
    }

    /// The e-mail address, if given.
    pub fn email(&self) -> Option<&str> {
        non_empty(&self.request.email)
    }

    /// `sendid`, if given.
    pub fn sendid(&self) -> Option<&str> {
        non_empty(&self.request.sendid)
    }

    /// `sendpoint`, if given.
    pub fn sendpoint(&self) -> Option<&str> {
        non_empty(&self.request.sendpoint)
    }

    /// The completion page's back link, if given (R-LP-3: both halves).
    pub fn success_link(&self) -> Option<BackLink<'_>> {
        Some(BackLink {
            url: non_empty(&self.request.success_url)?,
            text: non_empty(&self.request.success_str)?,
        })
    }

    /// The failure page's back link, if given (R-LP-3: both halves).
    pub fn failure_link(&self) -> Option<BackLink<'_>> {
        Some(BackLink {
            url: non_empty(&self.request.failure_url)?,
            text: non_empty(&self.request.failure_str)?,
        })
    }

    /// The order's fields as the gateway keeps them (the sandbox's
    /// `order.cgi`); `payment` says whether it is a test payment (R-TM-1,
    /// see [`ValidOrderRequest::is_test`]).
    pub fn details(&self, payment: PaymentKind) -> OrderDetails {
        OrderDetails {
            clientip: self.request.clientip.clone(),
            carrier: self.carrier,
            money: self.money,
            username: self.request.username.clone(),
            telno: self.request.telno.clone(),
            email: self.request.email.clone(),
            sendid: self.request.sendid.clone(),
            sendpoint: self.request.sendpoint.clone(),
            test: payment.is_test(),
        }
    }
}
