//! Test payments (R-TM-1, R-LP-4): a `username` of the form
//! `<name>_<testID>` (e.g. `ゼウステスト_12345678`) whose test ID is one of the
//! merchant's test IDs (売上管理画面「テストカード番号管理」) makes the gateway
//! show the payment test page instead of the carrier's login.
//!
//! Only the name part must be full-width katakana; the test ID is half-width
//! digits. Which characters count as full-width katakana is decided here once
//! ([`is_katakana_name_char`]) and used by the Link Point validation.
//!
//! Decisions (the manual is silent):
//! - The test suffix is split at the **last** `_`. A `_` followed by
//!   anything but one or more half-width digits is not a test suffix: the
//!   whole username is then the name part (and fails the katakana rule).
//! - The test ID is compared with the known IDs exactly, as a string
//!   (leading zeros matter).
//! - A test ID that is not one of the known IDs makes a real payment, as the
//!   manual warns ("テストIDが正しく入力されていない場合、テスト決済と認識されません").

/// The separator between the name and the test ID (R-LP-4).
pub const TEST_ID_SEPARATOR: char = '_';

/// A `username` split into its name part and its optional test ID (R-LP-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Username<'a> {
    /// The name part: everything before the test suffix, or the whole
    /// username when there is none.
    pub name: &'a str,
    /// The test ID: the half-width digits after the last `_`, if any.
    pub test_id: Option<&'a str>,
}

impl<'a> Username<'a> {
    /// Splits `username` (R-LP-4). Total: every input gives a value.
    ///
    /// ```
    /// use zeus_carrier_core::test_mode::Username;
    /// let u = Username::parse("ゼウステスト_12345678");
    /// assert_eq!((u.name, u.test_id), ("ゼウステスト", Some("12345678")));
    /// assert_eq!(Username::parse("ゼウス").test_id, None);
    /// ```
    pub fn parse(username: &'a str) -> Username<'a> {
        match Self::split(username) {
            (name, Some(suffix)) if is_test_id(suffix) => Username {
                name,
                test_id: Some(suffix),
            },
            (_, Some(_) | None) => Username {
                name: username,
                test_id: None,
            },
        }
    }

    /// Splits at the last `_` without judging the suffix: `(before,
    /// Some(after))`, or `(username, None)` when there is no `_`. The Link
    /// Point validation uses it to report a malformed suffix and the name
    /// part separately.
    pub fn split(username: &'a str) -> (&'a str, Option<&'a str>) {
        match username.rsplit_once(TEST_ID_SEPARATOR) {
            Some((name, suffix)) => (name, Some(suffix)),
            None => (username, None),
        }
    }

    /// The text after the last `_` when it is not a valid test ID (empty
    /// or not all half-width digits): a suffix that was probably meant as one.
    pub fn malformed_suffix(username: &'a str) -> Option<&'a str> {
        Self::split(username).1.filter(|suffix| !is_test_id(suffix))
    }

    /// The first character of the name part that is not full-width
    /// katakana, if any (SPEC §4 `username`).
    pub fn first_non_katakana(&self) -> Option<char> {
        self.name.chars().find(|c| !is_katakana_name_char(*c))
    }
}

/// Whether `s` is a well-formed test ID: one or more half-width digits.
pub fn is_test_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `ch` may appear in the name part of `username` (全角カナ).
///
/// Decision (the manual says only "全角カナ"): the full-width katakana
/// letters `ァ`..=`ヶ` (U+30A1..U+30F6, including `ヴ ヵ ヶ`), the long
/// vowel mark `ー` (U+30FC), the middle dot `・` (U+30FB, for foreign names)
/// and the full-width space `　` (U+3000, between family and given name).
/// Not allowed: hiragana, half-width katakana (`ｱ`), half-width space, the
/// iteration marks `ヽ ヾ` and `ヷ`..=`ヺ` (not in Shift_JIS).
pub const fn is_katakana_name_char(ch: char) -> bool {
    matches!(ch, '\u{30A1}'..='\u{30F6}' | 'ー' | '・' | '\u{3000}')
}

/// Whether `username` makes a test payment (R-TM-1): it carries a test ID
/// (R-LP-4) equal to one of `known_test_ids`, and its name part is
/// non-empty full-width katakana. Anything else is a real payment.
///
/// ```
/// use zeus_carrier_core::test_mode::is_test_payment;
/// assert!(is_test_payment("ゼウステスト_12345678", &["12345678"]));
/// assert!(!is_test_payment("ゼウステスト_1234567", &["12345678"]));
/// assert!(!is_test_payment("ゼウステスト", &["12345678"]));
/// ```
pub fn is_test_payment(username: &str, known_test_ids: &[impl AsRef<str>]) -> bool {
    let parsed = Username::parse(username);
    match parsed.test_id {
        Some(id) => {
            !parsed.name.is_empty()
                && parsed.first_non_katakana().is_none()
                && known_test_ids.iter().any(|k| k.as_ref() == id)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IDS: [&str; 2] = ["12345678", "00000001"];

    #[test]
    fn r_lp_4_splits_name_and_test_id() {
        let u = Username::parse("ゼウステスト_12345678");
        assert_eq!(u.name, "ゼウステスト");
        assert_eq!(u.test_id, Some("12345678"));
        assert_eq!(u.first_non_katakana(), None);
    }

    #[test]
    fn r_lp_4_without_suffix_the_whole_username_is_the_name() {
        for s in ["ゼウス", "ゼウス_", "ゼウス_12a", "ゼウス_１２３", ""] {
            let u = Username::parse(s);
            assert_eq!(u.name, s);
            assert_eq!(u.test_id, None);
        }
        assert_eq!(Username::malformed_suffix("ゼウス_12a"), Some("12a"));
        assert_eq!(Username::malformed_suffix("ゼウス_"), Some(""));
        assert_eq!(Username::malformed_suffix("ゼウス_12"), None);
        assert_eq!(Username::malformed_suffix("ゼウス"), None);
        assert_eq!(Username::split("ア_イ_x"), ("ア_イ", Some("x")));
        assert_eq!(Username::split("アイ"), ("アイ", None));
    }

    #[test]
    fn r_lp_4_splits_at_the_last_underscore() {
        let u = Username::parse("ア_イ_99");
        assert_eq!(u.name, "ア_イ");
        assert_eq!(u.test_id, Some("99"));
        assert_eq!(u.first_non_katakana(), Some('_'));
    }

    #[test]
    fn katakana_name_characters_as_decided() {
        for ok in "ァアヴヵヶー・\u{3000}".chars() {
            assert!(is_katakana_name_char(ok), "{ok:?}");
        }
        for bad in "あｱ A1_ヽヾヷ漢".chars() {
            assert!(!is_katakana_name_char(bad), "{bad:?}");
        }
        assert_eq!(Username::parse("ゼウス　タロウ").first_non_katakana(), None);
        assert_eq!(
            Username::parse("ゼウス タロウ").first_non_katakana(),
            Some(' ')
        );
        assert_eq!(Username::parse("ぜうす").first_non_katakana(), Some('ぜ'));
    }

    #[test]
    fn r_tm_1_known_test_id_makes_a_test_payment() {
        assert!(is_test_payment("ゼウステスト_12345678", &IDS));
        assert!(is_test_payment("テスト_00000001", &IDS));
        assert!(is_test_payment("テスト_1", &["1".to_owned()]));
    }

    #[test]
    fn r_tm_1_anything_else_is_a_real_payment() {
        // Unknown ID, wrong digits, leading zero dropped, no suffix.
        assert!(!is_test_payment("ゼウステスト_87654321", &IDS));
        assert!(!is_test_payment("ゼウステスト_1", &IDS));
        assert!(!is_test_payment("ゼウステスト12345678", &IDS));
        assert!(!is_test_payment("ゼウステスト", &IDS));
        // Full-width digits are not a test ID.
        assert!(!is_test_payment("ゼウステスト_１２３４５６７８", &IDS));
        // The name part must be valid and non-empty.
        assert!(!is_test_payment("_12345678", &IDS));
        assert!(!is_test_payment("zeus_12345678", &IDS));
        // No known IDs: never a test.
        assert!(!is_test_payment("ゼウステスト_12345678", &[] as &[&str]));
    }

    proptest! {
        /// R-LP-4: parsing is total and a parsed username reassembles into
        /// the input.
        #[test]
        fn r_lp_4_parse_is_total_and_lossless(s in any::<String>()) {
            let u = Username::parse(&s);
            let back = match u.test_id {
                Some(id) => format!("{}_{}", u.name, id),
                None => u.name.to_owned(),
            };
            prop_assert_eq!(back, s);
        }

        /// R-TM-1: a katakana name with one of the known IDs is a test.
        #[test]
        fn r_tm_1_katakana_name_with_known_id_is_a_test(
            name in "[ァ-ヶー]{1,20}",
            id in "[0-9]{1,12}",
        ) {
            let username = format!("{name}_{id}");
            prop_assert!(is_test_payment(&username, &[id.as_str()]));
            let other = format!("{id}0");
            prop_assert!(!is_test_payment(&username, &[other.as_str()]));
        }
    }
}
