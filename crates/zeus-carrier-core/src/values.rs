//! Values the manual defines, as types: an amount of money, the gateway's
//! order number, the merchant's IP code and its `sendid`. Each is checked
//! once, where it enters, and every crate passes the checked value on.
//!
//! [`OrderNo`] and [`ClientIp`] are read from CGI calls
//! ([`crate::callback`]) and live there; they are re-exported here so that
//! all the manual's values are found in one place.

use serde::{Deserialize, Serialize};

use crate::link_point::CharClass;

pub use crate::callback::{ClientIp, OrderNo};

/// A value that breaks the manual's rule for it. Names the field and the
/// rule; keeps the raw value (none of these values is secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// `money` outside 1 ..= 999,999 yen (six half-width digits, SPEC §4,
    /// §5, §9).
    #[error(
        "money: {value:?} is not an amount of 1 to 999999 yen (SPEC §4: six half-width digits)"
    )]
    Money {
        /// The value as given.
        value: String,
    },
    /// `sendid` empty, longer than 25 characters, or with a character the
    /// manual does not allow (R-LP-2).
    #[error(
        "sendid: {value:?} is not 1 to 25 half-width alphanumerics, spaces or the symbols of R-LP-2"
    )]
    SendId {
        /// The value as given.
        value: String,
    },
}

/// An amount in yen: 1 ..= 999,999 (the wire's six half-width digits).
/// Carrier limits (R-LP `money`, R-SL-5) are checked by the rules that
/// need them, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Money(u32);

impl Money {
    /// The smallest amount: 1 yen.
    pub const MIN: Money = Money(1);
    /// The largest amount six digits can carry: 999,999 yen.
    pub const MAX: Money = Money(999_999);

    /// `yen` when it lies in 1 ..= 999,999 (usable in `const` items).
    pub const fn new(yen: u32) -> Option<Money> {
        if yen >= Money::MIN.0 && yen <= Money::MAX.0 {
            Some(Money(yen))
        } else {
            None
        }
    }

    /// Checks `yen`; the error keeps it.
    pub fn from_yen(yen: u32) -> Result<Money, ValueError> {
        Money::new(yen).ok_or_else(|| ValueError::Money {
            value: yen.to_string(),
        })
    }

    /// Parses the wire form: 1 to 6 half-width digits, value ≥ 1.
    pub fn parse(s: &str) -> Result<Money, ValueError> {
        let err = || ValueError::Money {
            value: s.to_owned(),
        };
        if !(1..=6).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let yen: u32 = s.parse().map_err(|_| err())?;
        Money::new(yen).ok_or_else(err)
    }

    /// The amount in yen.
    pub const fn yen(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Money {
    type Error = ValueError;
    fn try_from(yen: u32) -> Result<Money, ValueError> {
        Money::from_yen(yen)
    }
}

impl From<Money> for u32 {
    fn from(m: Money) -> u32 {
        m.0
    }
}

impl std::fmt::Display for Money {
    /// The wire form: the digits, no separator.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for Money {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Money, ValueError> {
        Money::parse(s)
    }
}

/// The merchant's `sendid`: its own key for an order request, echoed back
/// by the gateway in CGI calls. 1 to 25 half-width alphanumerics, spaces
/// and the symbols of R-LP-2 (each one byte in Shift_JIS, D-4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SendId(String);

impl SendId {
    /// The longest `sendid`, in characters (SPEC §4: 25 bytes; every
    /// allowed character is one Shift_JIS byte).
    pub const MAX_CHARS: usize = 25;

    /// Checks `s`.
    pub fn parse(s: &str) -> Result<SendId, ValueError> {
        let n = s.chars().count();
        if (1..=SendId::MAX_CHARS).contains(&n) && s.chars().all(|c| CharClass::Free.allows(c)) {
            Ok(SendId(s.to_owned()))
        } else {
            Err(ValueError::SendId {
                value: s.to_owned(),
            })
        }
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SendId {
    type Error = ValueError;
    fn try_from(s: String) -> Result<SendId, ValueError> {
        SendId::parse(&s)
    }
}

impl From<SendId> for String {
    fn from(v: SendId) -> String {
        v.0
    }
}

impl AsRef<str> for SendId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SendId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SendId {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<SendId, ValueError> {
        SendId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_accepts_exactly_one_to_999999() {
        assert!(Money::from_yen(0).is_err());
        assert_eq!(Money::from_yen(1).map(Money::yen), Ok(1));
        assert_eq!(Money::from_yen(999_999).map(Money::yen), Ok(999_999));
        assert!(Money::from_yen(1_000_000).is_err());
        assert_eq!(
            Money::from_yen(0),
            Err(ValueError::Money { value: "0".into() })
        );
    }

    #[test]
    fn money_parses_only_one_to_six_digits() {
        assert_eq!(Money::parse("1000").map(Money::yen), Ok(1000));
        assert_eq!(Money::parse("000001").map(Money::yen), Ok(1));
        for bad in ["", "0", "000000", "1000000", "-1", "+1", " 1", "1e3", "１"] {
            assert!(Money::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!("999999".parse::<Money>().map(u32::from), Ok(999_999));
    }

    #[test]
    fn money_serde_refuses_out_of_range() {
        assert!(serde_json::from_str::<Money>("0").is_err());
        assert_eq!(serde_json::from_str::<Money>("7").ok(), Money::new(7));
        assert_eq!(
            serde_json::to_string(&Money::MAX).ok().as_deref(),
            Some("999999")
        );
    }

    #[test]
    fn r_lp_2_sendid_allows_free_symbols_up_to_25() {
        assert!(SendId::parse("S-1 ¥!#$%()~|-@[]:./`{}*?_").is_err()); // 26 chars
        assert!(SendId::parse("¥!#$%()~|-@[]:./`{}*?_ aZ").is_ok()); // 25 chars
        for bad in ["", "a^b", "a=b", "a+b", "ア", "a\nb", &"x".repeat(26)] {
            assert!(SendId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<SendId>("\"a=b\"").is_err());
    }
}
