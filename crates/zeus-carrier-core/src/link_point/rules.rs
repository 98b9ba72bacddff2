//! The rules a Link Point field can break, and the violations reported for
//! them (R-LP-1). A violation prints as one line, `field: rule`, which is
//! what `zeus-carrier check-order` prints and what `POST /checkout` answers
//! as `{"errors": [{"field", "rule"}]}`.

use std::fmt;

use serde::Serialize;
use serde::ser::SerializeStruct;
use strum::IntoEnumIterator;

use super::Field;
use crate::carrier::Carrier;
use crate::charset::Charset;

/// The characters a field may contain (SPEC §4, R-LP-2, D-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharClass {
    /// Half-width digits `0-9` (`clientip`, `money`, `telno`).
    Digits,
    /// `email`: half-width alphanumerics and `! # $ % ~ | - @ . / `` ` ``
    /// `{ } * ? _ ^ = +` (利用可能な記号; no `¥`/`\`, no parentheses).
    Email,
    /// `sendid`, `sendpoint`: half-width alphanumerics, the half-width space
    /// and `¥ ! # $ % ( ) ~ | - @ [ ] : . / `` ` `` `{ } * ? _`; not `^ = +`.
    /// `¥` (U+00A5) and `\` (U+005C) are the same yen symbol (D-4).
    Free,
    /// `success_url`, `failure_url` (decision: the manual says "半角英数字
    /// 一部記号"): half-width alphanumerics and the RFC 3986 symbols
    /// `- . _ ~ : / ? # [ ] @ ! $ & ' ( ) * + , ; = %`.
    Url,
    /// The name part of `username`: full-width katakana as decided in
    /// [`crate::test_mode::is_katakana_name_char`].
    KatakanaName,
    /// `success_str`, `failure_str`: the manual's "全角英数、漢字、かな、
    /// カナ、半角英数字、スペース" (L71, L73; it wins over SPEC §4's
    /// "full-/half-width text") and the `( )` of its example: see
    /// [`is_link_text_char`].
    LinkText,
}

/// Whether `ch` may appear in `success_str`/`failure_str` (the manual,
/// L71/L73: 全角英数、漢字、かな、カナ、半角英数字、スペース, and the
/// half-width parentheses of its own example `サイトへ戻る (完了)`,
/// L146/L177): half-width alphanumerics, space and `( )`; full-width alphanumerics
/// (`０-９ Ａ-Ｚ ａ-ｚ`) and the full-width space; hiragana (`ぁ-ゖ`, `ゝゞ`);
/// full-width katakana (`ァ-ヺ`, `ヽヾ`) and the long vowel mark `ー`; kanji
/// (CJK unified ideographs with extension A, compatibility ideographs,
/// and `々 〆 〇`). Decisions: half-width katakana are not "カナ" here (the
/// manual says 半角 only for 英数字); other punctuation and symbols (`・ 、
/// 。 （ ） ! < &` …) are none of the listed kinds and are refused
/// (docs/DECISIONS.md).
pub const fn is_link_text_char(ch: char) -> bool {
    matches!(ch,
        '0'..='9' | 'A'..='Z' | 'a'..='z' | ' ' | '(' | ')'
        | '\u{3000}'
        | '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}'
        | '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}'
        | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'..='\u{30FE}'
        | '\u{3005}'..='\u{3007}'
        | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Symbols allowed in `email` besides alphanumerics (利用可能な記号).
const EMAIL_SYMBOLS: &str = "!#$%~|-@./`{}*?_^=+";
/// Symbols allowed in `sendid`/`sendpoint` besides alphanumerics and the
/// half-width space; `\` is the yen symbol's byte (D-4).
const FREE_SYMBOLS: &str = "¥\\!#$%()~|-@[]:./`{}*?_";
/// Symbols allowed in URL fields besides alphanumerics (RFC 3986).
const URL_SYMBOLS: &str = "-._~:/?#[]@!$&'()*+,;=%";

/// The ASCII characters of `symbols` as a bit set (bit `b` for byte `b`),
/// made at compile time so that [`CharClass::allows`] is one test for an
/// ASCII character instead of a search of the string.
const fn ascii_set(symbols: &str) -> u128 {
    let bytes = symbols.as_bytes();
    let mut set = 0u128;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            set |= 1u128 << bytes[i];
        }
        i += 1;
    }
    set
}

/// `0-9a-zA-Z` as an ASCII bit set.
const ALNUM_SET: u128 = ascii_range(b'0', b'9') | ascii_range(b'a', b'z') | ascii_range(b'A', b'Z');

/// The bytes `lo..=hi` as an ASCII bit set.
const fn ascii_range(lo: u8, hi: u8) -> u128 {
    let mut set = 0u128;
    let mut b = lo;
    while b <= hi {
        set |= 1u128 << b;
        b += 1;
    }
    set
}

const EMAIL_SET: u128 = ascii_set(EMAIL_SYMBOLS);

/// [`CharClass::ascii_table`] of each class, in declaration order.
static ASCII_TABLES: [[bool; 256]; 6] = {
    let classes = [
        CharClass::Digits,
        CharClass::Email,
        CharClass::Free,
        CharClass::Url,
        CharClass::KatakanaName,
        CharClass::LinkText,
    ];
    let mut tables = [[false; 256]; 6];
    let mut c = 0;
    while c < classes.len() {
        let set = classes[c].ascii_allowed();
        let mut b = 0;
        while b < 128 {
            tables[classes[c] as usize][b] = set & (1u128 << b) != 0;
            b += 1;
        }
        c += 1;
    }
    tables
};
const FREE_SET: u128 = ascii_set(FREE_SYMBOLS);
const URL_SET: u128 = ascii_set(URL_SYMBOLS);

/// Whether `ch` is one of `symbols` (`set` is `ascii_set(symbols)`).
#[inline]
fn is_symbol(set: u128, symbols: &str, ch: char) -> bool {
    if ch.is_ascii() {
        set & (1u128 << u32::from(ch)) != 0
    } else {
        symbols.contains(ch)
    }
}

impl CharClass {
    /// Whether `ch` belongs to the class.
    #[inline(always)]
    pub fn allows(self, ch: char) -> bool {
        match self {
            CharClass::Digits => ch.is_ascii_digit(),
            CharClass::Email => {
                ch.is_ascii_alphanumeric() || is_symbol(EMAIL_SET, EMAIL_SYMBOLS, ch)
            }
            CharClass::Free => {
                ch.is_ascii_alphanumeric() || ch == ' ' || is_symbol(FREE_SET, FREE_SYMBOLS, ch)
            }
            CharClass::Url => ch.is_ascii_alphanumeric() || is_symbol(URL_SET, URL_SYMBOLS, ch),
            CharClass::KatakanaName => crate::test_mode::is_katakana_name_char(ch),
            CharClass::LinkText => is_link_text_char(ch),
        }
    }

    /// The ASCII characters the class allows, as a bit set (bit `b` for
    /// the byte `b`): the same answer as [`CharClass::allows`] for every
    /// ASCII character (a test checks all 128), without a branch per
    /// symbol, for the one-pass scan of `validate`.
    pub(crate) const fn ascii_allowed(self) -> u128 {
        match self {
            CharClass::Digits => ascii_range(b'0', b'9'),
            CharClass::Email => ALNUM_SET | EMAIL_SET,
            CharClass::Free => ALNUM_SET | FREE_SET | (1u128 << b' '),
            CharClass::Url => ALNUM_SET | URL_SET,
            CharClass::KatakanaName => 0,
            CharClass::LinkText => ALNUM_SET | ascii_set(" ()"),
        }
    }

    /// [`CharClass::ascii_allowed`] as a byte table: `true` for each ASCII
    /// byte the class allows, `false` for the others and for every byte
    /// from 0x80 (the start or middle of a non-ASCII character). One load
    /// per byte in the one-pass scan of `validate`.
    pub(crate) const fn ascii_table(self) -> &'static [bool; 256] {
        &ASCII_TABLES[self as usize]
    }

    /// What the class allows, for messages.
    pub const fn description(self) -> &'static str {
        match self {
            CharClass::Digits => "half-width digits 0-9 only",
            CharClass::Email => {
                "half-width alphanumerics and ! # $ % ~ | - @ . / ` { } * ? _ ^ = + only"
            }
            CharClass::Free => {
                "half-width alphanumerics, half-width space and ¥ ! # $ % ( ) ~ | - @ [ ] : . / ` { } * ? _ only"
            }
            CharClass::Url => {
                "half-width alphanumerics and - . _ ~ : / ? # [ ] @ ! $ & ' ( ) * + , ; = % only"
            }
            CharClass::KatakanaName => "full-width katakana (ァ-ヶ, ー, ・, full-width space) only",
            CharClass::LinkText => {
                "full-width alphanumerics, kanji, hiragana, katakana, half-width alphanumerics, spaces and ( ) only"
            }
        }
    }

    /// The SPEC id that states the class.
    pub const fn spec_id(self) -> &'static str {
        match self {
            CharClass::Email | CharClass::Free => "R-LP-2",
            CharClass::KatakanaName => "R-LP-4",
            CharClass::Digits | CharClass::Url | CharClass::LinkText => "SPEC §4",
        }
    }
}

/// A rule of SPEC §4 that a field's value breaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// A required field (●) is absent or empty.
    Required,
    /// The value is longer than the field's maximum, counted in bytes of the
    /// charset (D-3).
    TooLong {
        /// The value's size in `charset` (characters the charset cannot
        /// hold are not counted).
        bytes: usize,
        /// The field's maximum.
        max: usize,
        /// The charset the bytes were counted in.
        charset: Charset,
    },
    /// A character outside the field's class; the first one is named.
    WrongChar {
        /// The first offending character.
        ch: char,
        /// What the field allows.
        allowed: CharClass,
    },
    /// `clientip` has the wrong number of digits: it is exactly 10.
    DigitCount {
        /// The required count.
        expected: usize,
        /// The count given.
        actual: usize,
    },
    /// `carrier_type` is not `D`, `A` or `S` (upper case).
    UnknownCarrier {
        /// The value given.
        value: String,
    },
    /// `money` is outside the carrier's range (docomo/au 1–50000, SoftBank
    /// 1–100000); with an unknown carrier, outside every carrier's range.
    AmountOutOfRange {
        /// The digits given.
        money: String,
        /// The carrier, when `carrier_type` is valid.
        carrier: Option<Carrier>,
    },
    /// `username` has a `_` whose suffix is not a test ID of half-width
    /// digits (R-LP-4).
    BadTestId {
        /// The text after the last `_`.
        suffix: String,
    },
    /// `username` is only `_` and a test ID: the name is empty (R-LP-4).
    EmptyName,
    /// A URL field does not start with `http://` or `https://` followed by
    /// a host (decision: no `javascript:` or relative links).
    UrlScheme,
    /// One half of a url/str pair is given without this one (R-LP-3).
    PairIncomplete {
        /// The half that was given.
        with: Field,
    },
    /// A character the field allows but the charset cannot encode (D-3).
    Unencodable {
        /// The first such character.
        ch: char,
        /// The charset.
        charset: Charset,
    },
}

impl Rule {
    /// The SPEC id the rule comes from (`R-LP-2`, `D-3`, …).
    pub fn spec_id(&self) -> &'static str {
        match self {
            Rule::Required | Rule::DigitCount { .. } | Rule::UnknownCarrier { .. } => "SPEC §4",
            Rule::UrlScheme => "SPEC §4",
            Rule::TooLong { .. } | Rule::Unencodable { .. } => "D-3",
            Rule::WrongChar { allowed, .. } => allowed.spec_id(),
            Rule::AmountOutOfRange { .. } => "R-LP-2",
            Rule::BadTestId { .. } | Rule::EmptyName => "R-LP-4",
            Rule::PairIncomplete { .. } => "R-LP-3",
        }
    }
}

/// Shows a character in a message: `'x' (U+0078)`, or only the code point
/// for control and space characters.
struct ShowChar(char);

impl fmt::Display for ShowChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ch = self.0;
        if ch.is_control() || ch.is_whitespace() {
            write!(f, "U+{:04X}", u32::from(ch))
        } else {
            write!(f, "'{ch}' (U+{:04X})", u32::from(ch))
        }
    }
}

/// The largest amount any carrier accepts (SoftBank's 100000).
fn any_carrier_max() -> u32 {
    Carrier::iter()
        .map(Carrier::max_amount)
        .fold(Carrier::MIN_AMOUNT, u32::max)
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.spec_id();
        match self {
            Rule::Required => write!(f, "required ({id})"),
            Rule::TooLong {
                bytes,
                max,
                charset,
            } => write!(f, "{bytes} bytes in {charset}, at most {max} ({id})"),
            Rule::WrongChar { ch, allowed } => write!(
                f,
                "{} is not allowed: {} ({id})",
                ShowChar(*ch),
                allowed.description()
            ),
            Rule::DigitCount { expected, actual } => write!(
                f,
                "must be exactly {expected} half-width digits, got {actual} ({id})"
            ),
            Rule::UnknownCarrier { value } => write!(
                f,
                "{value:?} is not D (docomo), A (au) or S (SoftBank), upper case ({id})"
            ),
            Rule::AmountOutOfRange { money, carrier } => match carrier {
                Some(c) => write!(
                    f,
                    "{money} is outside {}..={} for {c} ({id})",
                    Carrier::MIN_AMOUNT,
                    c.max_amount()
                ),
                None => write!(
                    f,
                    "{money} is outside {}..={} for every carrier ({id})",
                    Carrier::MIN_AMOUNT,
                    any_carrier_max()
                ),
            },
            Rule::BadTestId { suffix } => write!(
                f,
                "test ID {suffix:?} after '_' must be half-width digits ({id})"
            ),
            Rule::EmptyName => write!(f, "the name before '_' and the test ID is empty ({id})"),
            Rule::UrlScheme => write!(f, "must start with http:// or https:// and a host ({id})"),
            Rule::PairIncomplete { with } => write!(f, "required when {with} is given ({id})"),
            Rule::Unencodable { ch, charset } => {
                write!(f, "{} cannot be encoded in {charset} ({id})", ShowChar(*ch))
            }
        }
    }
}

/// One broken rule of one field (R-LP-1). `Display`: `field: rule`.
/// `Serialize`: `{"field": "<wire name>", "rule": "<rule text>", "spec":
/// "<SPEC id>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Violation {
    /// The field.
    pub field: Field,
    /// The rule it breaks.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl Serialize for Violation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Violation", 3)?;
        st.serialize_field("field", self.field.wire_name())?;
        st.serialize_field("rule", &self.rule.to_string())?;
        st.serialize_field("spec", self.rule.spec_id())?;
        st.end()
    }
}

/// Every violation of a request, in field order, never empty (R-LP-1).
/// `Display` prints one violation a line; `Serialize` gives the JSON array
/// that goes under `"errors"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Violations(Vec<Violation>);

impl std::error::Error for Violations {}

impl Violations {
    /// Wraps a list; `None` when it is empty (then the request is valid).
    pub(crate) fn from_vec(list: Vec<Violation>) -> Option<Violations> {
        if list.is_empty() {
            None
        } else {
            Some(Violations(list))
        }
    }

    /// A single violation.
    pub(crate) fn one(violation: Violation) -> Violations {
        Violations(vec![violation])
    }

    /// The violations, in field order.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// Iterates over the violations.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    /// How many violations there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `Violations` holds at least one violation (its
    /// only constructors refuse an empty list).
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The rules broken by `field`.
    pub fn for_field(&self, field: Field) -> impl Iterator<Item = &Rule> + '_ {
        self.0
            .iter()
            .filter(move |v| v.field == field)
            .map(|v| &v.rule)
    }

    /// The list.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod symbol_set_tests {
    use super::*;

    /// The bit sets say exactly what a search of the symbol strings says,
    /// for every character up to U+3000 (ASCII, Latin-1 with `¥`, and
    /// beyond).
    #[test]
    fn r_lp_2_symbol_sets_match_the_symbol_strings() {
        for symbols in [EMAIL_SYMBOLS, FREE_SYMBOLS, URL_SYMBOLS] {
            let set = ascii_set(symbols);
            for ch in (0..=0x3000u32).filter_map(char::from_u32) {
                assert_eq!(
                    is_symbol(set, symbols, ch),
                    symbols.contains(ch),
                    "{ch:?} in {symbols:?}"
                );
            }
        }
        assert!(CharClass::Free.allows('¥'));
        assert!(CharClass::Free.allows('\\'));
        assert!(!CharClass::Email.allows('\\'));
    }

    #[test]
    fn r_lp_2_ascii_bit_sets_match_allows_for_every_ascii_character() {
        for class in [
            CharClass::Digits,
            CharClass::Email,
            CharClass::Free,
            CharClass::Url,
            CharClass::KatakanaName,
            CharClass::LinkText,
        ] {
            let set = class.ascii_allowed();
            let table = class.ascii_table();
            for b in 0u8..0x80 {
                assert_eq!(
                    set & (1u128 << b) != 0,
                    class.allows(char::from(b)),
                    "{class:?} {b:#04x}"
                );
                assert_eq!(table[usize::from(b)], class.allows(char::from(b)));
            }
            assert!(table[0x80..].iter().all(|ok| !ok), "{class:?}");
        }
    }
}
