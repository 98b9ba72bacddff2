//! The three carriers and their amount rules (SPEC §4 `money`, R-SL-5).

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr};

/// What the carrier does with an operation that reaches it (the sandbox
/// decides; the core's answers take it as an input): a settle dated today
/// or arriving from a reservation, or a cancel (R-TR-2, SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierResult {
    /// The carrier carries the operation out.
    #[default]
    Succeeds,
    /// The carrier fails it: the order still moves (06, 09, 11).
    Fails,
}

/// A mobile carrier, as the wire's `carrier_type` letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, IntoStaticStr)]
pub enum Carrier {
    /// docomo (d払い), `D`.
    Docomo,
    /// au (auかんたん決済), `A`.
    Au,
    /// SoftBank (まとめて支払い), `S`.
    SoftBank,
}

impl Carrier {
    /// The `carrier_type` letter on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            Carrier::Docomo => "D",
            Carrier::Au => "A",
            Carrier::SoftBank => "S",
        }
    }

    /// Parses the `carrier_type` letter: upper case only (SPEC §4).
    pub fn from_code(code: &str) -> Option<Carrier> {
        match code {
            "D" => Some(Carrier::Docomo),
            "A" => Some(Carrier::Au),
            "S" => Some(Carrier::SoftBank),
            _ => None,
        }
    }

    /// The name merchants and mails use (利用キャリア).
    pub const fn display_name(self) -> &'static str {
        match self {
            Carrier::Docomo => "docomo",
            Carrier::Au => "au",
            Carrier::SoftBank => "SoftBank",
        }
    }

    /// The largest amount a payment may have, in yen (SPEC §4: docomo and au
    /// 1–50000, SoftBank 1–100000).
    pub const fn max_amount(self) -> u32 {
        match self {
            Carrier::Docomo | Carrier::Au => 50_000,
            Carrier::SoftBank => 100_000,
        }
    }

    /// The smallest amount a payment may have, in yen.
    pub const MIN_AMOUNT: u32 = 1;

    /// Whether a settle may lower the amount below the original (R-SL-5:
    /// docomo and au may, SoftBank must settle exactly the original).
    pub const fn may_change_amount(self) -> bool {
        match self {
            Carrier::Docomo | Carrier::Au => true,
            Carrier::SoftBank => false,
        }
    }
}

impl std::fmt::Display for Carrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

impl Serialize for Carrier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Carrier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Carrier::from_code(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown carrier_type {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn codes_round_trip() {
        for c in Carrier::iter() {
            assert_eq!(Carrier::from_code(c.code()), Some(c));
        }
        assert_eq!(Carrier::from_code("d"), None);
        assert_eq!(Carrier::from_code(""), None);
    }

    #[test]
    fn r_lp_amount_limits_per_carrier() {
        assert_eq!(Carrier::Docomo.max_amount(), 50_000);
        assert_eq!(Carrier::Au.max_amount(), 50_000);
        assert_eq!(Carrier::SoftBank.max_amount(), 100_000);
        assert!(Carrier::Docomo.may_change_amount());
        assert!(Carrier::Au.may_change_amount());
        assert!(!Carrier::SoftBank.may_change_amount());
    }
}
