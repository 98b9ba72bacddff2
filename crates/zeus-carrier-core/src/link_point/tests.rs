//! Unit tests of Link Point validation: one failing and one passing case
//! per rule, the boundaries in both charsets, the yen sign and pairs
//! (R-LP-1..4, D-3, D-4).

use super::*;
use crate::carrier::Carrier;
use crate::charset::Charset;
use crate::order::PaymentKind;

const SJIS: Charset = Charset::ShiftJis;
const UTF8: Charset = Charset::Utf8;

/// A valid request: the manual's データ送信例 with a real-looking IP code.
pub(super) fn base() -> OrderRequest {
    OrderRequest::from_pairs([
        ("clientip", "1234567890"),
        ("money", "1000"),
        ("carrier_type", "D"),
        ("username", "ゼウス"),
        ("telno", "0312345678"),
    ])
}

fn with(field: Field, value: &str) -> OrderRequest {
    let mut req = base();
    req.set(field, value);
    req
}

/// The rules `req` breaks for `field` in `charset`.
fn rules(req: &OrderRequest, charset: Charset, field: Field) -> Vec<Rule> {
    match req.validate(charset) {
        Ok(_) => Vec::new(),
        Err(v) => v.for_field(field).cloned().collect(),
    }
}

/// Asserts `value` in `field` is valid in `charset` (the rest is valid).
#[track_caller]
fn ok(field: Field, value: &str, charset: Charset) {
    if let Err(v) = with(field, value).validate(charset) {
        panic!("{field}={value:?} in {charset} should pass, got:\n{v}");
    }
}

/// The rules `value` in `field` breaks in `charset`.
fn bad(field: Field, value: &str, charset: Charset) -> Vec<Rule> {
    let req = with(field, value);
    let all = match req.validate(charset) {
        Ok(_) => Vec::new(),
        Err(v) => v.into_vec(),
    };
    assert!(
        all.iter().all(|v| v.field == field),
        "only {field} should fail: {all:?}"
    );
    all.into_iter().map(|v| v.rule).collect()
}

fn too_long(bytes: usize, max: usize, charset: Charset) -> Rule {
    Rule::TooLong {
        bytes,
        max,
        charset,
    }
}

fn wrong(ch: char, allowed: CharClass) -> Rule {
    Rule::WrongChar { ch, allowed }
}

#[test]
fn r_lp_1_valid_request_gives_typed_values_in_both_charsets() {
    for cs in [SJIS, UTF8] {
        let valid = base().validate(cs).expect("valid");
        assert_eq!(valid.clientip(), "1234567890");
        assert_eq!(valid.money(), 1000);
        assert_eq!(valid.carrier(), Carrier::Docomo);
        assert_eq!(valid.username(), "ゼウス");
        assert_eq!(valid.name(), "ゼウス");
        assert_eq!(valid.test_id(), None);
        assert_eq!(valid.telno(), "0312345678");
        assert_eq!(valid.email(), None);
        assert_eq!(valid.success_link(), None);
        assert_eq!(valid.charset(), cs);
    }
}

#[test]
fn r_lp_1_reports_every_violation_at_once() {
    let req = OrderRequest::from_pairs([
        ("clientip", "12345"),
        ("money", "60000"),
        ("carrier_type", "D"),
        ("username", "zeus"),
        ("email", "a b@example.com"),
        ("sendid", "a^b"),
        ("success_url", "https://shop.example/ok"),
        ("failure_str", "戻る"),
    ]);
    let v = req.validate(SJIS).expect_err("invalid");
    let expected = "\
clientip: must be exactly 10 half-width digits, got 5 (SPEC §4)
money: 60000 is outside 1..=50000 for docomo (R-LP-2)
username: 'z' (U+007A) is not allowed: full-width katakana (ァ-ヶ, ー, ・, full-width space) only (R-LP-4)
telno: required (SPEC §4)
email: U+0020 is not allowed: half-width alphanumerics and ! # $ % ~ | - @ . / ` { } * ? _ ^ = + only (R-LP-2)
sendid: '^' (U+005E) is not allowed: half-width alphanumerics, half-width space and ¥ ! # $ % ( ) ~ | - @ [ ] : . / ` { } * ? _ only (R-LP-2)
success_str: required when success_url is given (R-LP-3)
failure_url: required when failure_str is given (R-LP-3)";
    assert_eq!(v.to_string(), expected);
    assert_eq!(v.len(), 8);
}

#[test]
fn r_lp_1_missing_required_fields_are_violations() {
    let v = OrderRequest::default().validate(SJIS).expect_err("empty");
    let fields: Vec<Field> = v.iter().map(|v| v.field).collect();
    assert_eq!(
        fields,
        [
            Field::Clientip,
            Field::Money,
            Field::CarrierType,
            Field::Username,
            Field::Telno
        ]
    );
    assert!(v.iter().all(|v| v.rule == Rule::Required));
    // Optional fields may be absent (base() has none of them).
    assert!(base().validate(SJIS).is_ok());
}

#[test]
fn r_lp_1_violations_serialize_as_field_and_rule() {
    let v = with(Field::Money, "60000")
        .validate(SJIS)
        .expect_err("range");
    let json = serde_json::to_value(&v).expect("json");
    assert_eq!(
        json,
        serde_json::json!([{
            "field": "money",
            "rule": "60000 is outside 1..=50000 for docomo (R-LP-2)",
            "spec": "R-LP-2"
        }])
    );
}

#[test]
fn clientip_is_exactly_ten_half_width_digits() {
    ok(Field::Clientip, "0000000001", SJIS);
    let count = |actual| Rule::DigitCount {
        expected: 10,
        actual,
    };
    assert_eq!(bad(Field::Clientip, "123456789", SJIS), [count(9)]);
    assert_eq!(bad(Field::Clientip, "12345678901", SJIS), [count(11)]);
    assert_eq!(
        bad(Field::Clientip, "12345a7890", SJIS),
        [wrong('a', CharClass::Digits)]
    );
    assert_eq!(
        bad(Field::Clientip, "１２３４５６７８９０", UTF8),
        [wrong('１', CharClass::Digits)]
    );
}

#[test]
fn r_lp_2_money_boundaries_per_carrier() {
    let cases = [
        ("D", "0", false),
        ("D", "1", true),
        ("D", "50000", true),
        ("D", "50001", false),
        ("A", "0", false),
        ("A", "1", true),
        ("A", "50000", true),
        ("A", "50001", false),
        ("S", "0", false),
        ("S", "1", true),
        ("S", "100000", true),
        ("S", "100001", false),
    ];
    for (code, money, pass) in cases {
        let mut req = with(Field::Money, money);
        req.carrier_type = code.into();
        let carrier = Carrier::from_code(code);
        match req.validate(SJIS) {
            Ok(v) => {
                assert!(pass, "{code} {money} should fail");
                assert_eq!(Some(v.carrier()), carrier);
                assert_eq!(v.money().to_string(), money);
            }
            Err(v) => {
                assert!(!pass, "{code} {money} should pass: {v}");
                let expected = Rule::AmountOutOfRange {
                    money: money.into(),
                    carrier,
                };
                assert_eq!(
                    v.as_slice(),
                    [Violation {
                        field: Field::Money,
                        rule: expected
                    }]
                );
            }
        }
    }
    let v = with(Field::Money, "100001")
        .validate(SJIS)
        .expect_err("range");
    assert_eq!(
        v.to_string(),
        "money: 100001 is outside 1..=50000 for docomo (R-LP-2)"
    );
}

#[test]
fn r_lp_2_money_is_digits_of_at_most_six_bytes() {
    assert_eq!(
        bad(Field::Money, "1,000", SJIS),
        [wrong(',', CharClass::Digits)]
    );
    assert_eq!(
        bad(Field::Money, "-1", SJIS),
        [wrong('-', CharClass::Digits)]
    );
    // Seven digits: too long, and out of range as well.
    assert_eq!(
        bad(Field::Money, "1000000", SJIS),
        [
            too_long(7, 6, SJIS),
            Rule::AmountOutOfRange {
                money: "1000000".into(),
                carrier: Some(Carrier::Docomo)
            }
        ]
    );
    // Seven bytes even though the value is in range.
    assert_eq!(bad(Field::Money, "0001000", SJIS), [too_long(7, 6, SJIS)]);
    // Decision: leading zeros are accepted.
    let v = with(Field::Money, "01000")
        .validate(SJIS)
        .expect("leading zero");
    assert_eq!(v.money(), 1000);
    // A huge number does not overflow anything.
    assert_eq!(bad(Field::Money, "99999999999999999999999", SJIS).len(), 2);
}

#[test]
fn r_lp_2_money_range_with_an_unknown_carrier() {
    let mut req = with(Field::Money, "0");
    req.carrier_type = "X".into();
    let v = req.validate(SJIS).expect_err("invalid");
    assert_eq!(
        v.to_string(),
        "money: 0 is outside 1..=100000 for every carrier (R-LP-2)\n\
         carrier_type: \"X\" is not D (docomo), A (au) or S (SoftBank), upper case (SPEC §4)"
    );
    // In range for some carrier: only the carrier is reported.
    req.money = "60000".into();
    let v = req.validate(SJIS).expect_err("invalid");
    assert_eq!(v.len(), 1);
    assert_eq!(v.as_slice()[0].field, Field::CarrierType);
}

#[test]
fn carrier_type_is_an_upper_case_letter() {
    for code in ["D", "A", "S"] {
        ok(Field::CarrierType, code, SJIS);
    }
    for code in ["d", "DA", "Ｄ", "X"] {
        assert_eq!(
            rules(&with(Field::CarrierType, code), SJIS, Field::CarrierType),
            [Rule::UnknownCarrier { value: code.into() }]
        );
    }
}

#[test]
fn username_is_full_width_katakana() {
    ok(Field::Username, "ゼウス　タロウ", SJIS);
    ok(Field::Username, "ヴィー・エー", SJIS);
    let kana = CharClass::KatakanaName;
    assert_eq!(bad(Field::Username, "ぜうす", SJIS), [wrong('ぜ', kana)]);
    assert_eq!(bad(Field::Username, "ｾﾞｳｽ", SJIS), [wrong('ｾ', kana)]);
    assert_eq!(
        bad(Field::Username, "ゼウス タロウ", SJIS),
        [wrong(' ', kana)]
    );
    assert_eq!(bad(Field::Username, "漢字", UTF8), [wrong('漢', kana)]);
}

#[test]
fn r_lp_4_test_username_allows_the_digit_suffix() {
    let v = with(Field::Username, "ゼウステスト_12345678")
        .validate(SJIS)
        .expect("test username");
    assert_eq!(v.name(), "ゼウステスト");
    assert_eq!(v.test_id(), Some("12345678"));
    assert!(v.is_test(&["12345678"]));
    assert!(!v.is_test(&["87654321"]));
    assert!(v.details(PaymentKind::Test).test);
    assert!(!v.details(PaymentKind::Live).test);
}

#[test]
fn r_lp_4_malformed_test_suffixes_are_violations() {
    assert_eq!(
        bad(Field::Username, "ゼウス_12a", SJIS),
        [Rule::BadTestId {
            suffix: "12a".into()
        }]
    );
    assert_eq!(
        bad(Field::Username, "ゼウス_", SJIS),
        [Rule::BadTestId { suffix: "".into() }]
    );
    assert_eq!(
        bad(Field::Username, "ゼウス_１２", SJIS),
        [Rule::BadTestId {
            suffix: "１２".into()
        }]
    );
    assert_eq!(bad(Field::Username, "_12345678", SJIS), [Rule::EmptyName]);
    // Only the last `_` starts the suffix: an earlier one is a bad name char.
    assert_eq!(
        bad(Field::Username, "ア_イ_12", SJIS),
        [wrong('_', CharClass::KatakanaName)]
    );
}

#[test]
fn d3_katakana_counts_two_bytes_in_sjis() {
    let k = |n: usize| "ア".repeat(n);
    // 25 katakana = 50 bytes in Shift_JIS: the maximum.
    ok(Field::Username, &k(25), SJIS);
    assert_eq!(bad(Field::Username, &k(26), SJIS), [too_long(52, 50, SJIS)]);
    // 50/51 exactly, with the test suffix: 24 katakana (48) + "_1" / "_12".
    ok(Field::Username, &format!("{}_1", k(24)), SJIS);
    assert_eq!(
        bad(Field::Username, &format!("{}_12", k(24)), SJIS),
        [too_long(51, 50, SJIS)]
    );
}

#[test]
fn d3_katakana_counts_three_bytes_in_utf8() {
    let k = |n: usize| "ア".repeat(n);
    ok(Field::Username, &k(16), UTF8);
    // 16 katakana (48) + "_1" = 50; 17 katakana = 51.
    ok(Field::Username, &format!("{}_1", k(16)), UTF8);
    assert_eq!(bad(Field::Username, &k(17), UTF8), [too_long(51, 50, UTF8)]);
    // What passes in Shift_JIS can be too long in UTF-8.
    assert_eq!(bad(Field::Username, &k(25), UTF8), [too_long(75, 50, UTF8)]);
}

#[test]
fn d3_sendid_is_at_most_25_bytes() {
    for cs in [SJIS, UTF8] {
        ok(Field::Sendid, &"a".repeat(25), cs);
        assert_eq!(
            bad(Field::Sendid, &"a".repeat(26), cs),
            [too_long(26, 25, cs)]
        );
    }
}

#[test]
fn d4_yen_sign_and_backslash_are_the_yen_symbol() {
    for s in ["¥100", "\\100", "¥\\"] {
        ok(Field::Sendid, s, SJIS);
        ok(Field::Sendpoint, s, UTF8);
    }
    // One byte each in Shift_JIS (0x5C), so 25 of them fit there…
    ok(Field::Sendid, &"¥".repeat(25), SJIS);
    // …but `¥` is two bytes in UTF-8.
    assert_eq!(
        bad(Field::Sendid, &"¥".repeat(13), UTF8),
        [too_long(26, 25, UTF8)]
    );
    // email does not allow the yen symbol in either spelling.
    assert_eq!(
        bad(Field::Email, "a¥b@example.com", SJIS),
        [wrong('¥', CharClass::Email)]
    );
    assert_eq!(
        bad(Field::Email, "a\\b@example.com", SJIS),
        [wrong('\\', CharClass::Email)]
    );
}

/// The manual's 利用可能な記号 table: symbol, email, sendid/sendpoint.
const SYMBOL_TABLE: &[(char, bool, bool)] = &[
    ('¥', false, true),
    ('!', true, true),
    ('#', true, true),
    ('$', true, true),
    ('%', true, true),
    ('(', false, true),
    (')', false, true),
    ('~', true, true),
    ('|', true, true),
    ('-', true, true),
    ('@', true, true),
    ('[', false, true),
    (']', false, true),
    (':', false, true),
    ('.', true, true),
    ('/', true, true),
    ('`', true, true),
    ('{', true, true),
    ('}', true, true),
    ('*', true, true),
    ('?', true, true),
    ('_', true, true),
    ('^', true, false),
    ('=', true, false),
    ('+', true, false),
];

#[test]
fn r_lp_2_symbols_follow_the_manuals_table() {
    for &(ch, email, free) in SYMBOL_TABLE {
        let value = format!("a{ch}b");
        for (field, allowed, class) in [
            (Field::Email, email, CharClass::Email),
            (Field::Sendid, free, CharClass::Free),
            (Field::Sendpoint, free, CharClass::Free),
        ] {
            if allowed {
                ok(field, &value, SJIS);
            } else {
                assert_eq!(bad(field, &value, SJIS), [wrong(ch, class)], "{field} {ch}");
            }
        }
    }
}

#[test]
fn r_lp_2_symbols_outside_the_table_are_refused() {
    for ch in ['&', '\'', '"', '<', '>', ',', ';', '＠', 'ア', '\t'] {
        let value = format!("a{ch}b");
        assert_eq!(
            bad(Field::Email, &value, SJIS),
            [wrong(ch, CharClass::Email)]
        );
        assert_eq!(
            bad(Field::Sendid, &value, SJIS),
            [wrong(ch, CharClass::Free)]
        );
    }
    // The half-width space: sendid/sendpoint yes, email no.
    ok(Field::Sendpoint, "order 42", SJIS);
    assert_eq!(
        bad(Field::Email, "a b@x.jp", SJIS),
        [wrong(' ', CharClass::Email)]
    );
}

#[test]
fn email_and_telno_limits() {
    let email50 = format!("{}@x.jp", "a".repeat(45));
    ok(Field::Email, &email50, SJIS);
    assert_eq!(
        bad(Field::Email, &format!("a{email50}"), SJIS),
        [too_long(51, 50, SJIS)]
    );
    ok(Field::Telno, &"0".repeat(32), SJIS);
    assert_eq!(
        bad(Field::Telno, &"0".repeat(33), SJIS),
        [too_long(33, 32, SJIS)]
    );
    assert_eq!(
        bad(Field::Telno, "03-1234-5678", SJIS),
        [wrong('-', CharClass::Digits)]
    );
}

/// A request with both back links set.
pub(super) fn with_links(url: &str, text: &str) -> OrderRequest {
    let mut req = base();
    req.success_url = url.into();
    req.success_str = text.into();
    req.failure_url = url.into();
    req.failure_str = text.into();
    req
}

#[test]
fn r_lp_3_url_and_str_come_in_pairs() {
    let v = with_links("http://aaaaa.bb/", "サイトへ戻る (完了)")
        .validate(SJIS)
        .expect("pairs");
    let link = v.success_link().expect("success link");
    assert_eq!(link.url, "http://aaaaa.bb/");
    assert_eq!(link.text, "サイトへ戻る (完了)");
    assert!(v.failure_link().is_some());

    let only_url = with(Field::FailureUrl, "https://shop.example/ng");
    assert_eq!(
        rules(&only_url, SJIS, Field::FailureStr),
        [Rule::PairIncomplete {
            with: Field::FailureUrl
        }]
    );
    let only_str = with(Field::SuccessStr, "戻る");
    assert_eq!(
        rules(&only_str, SJIS, Field::SuccessUrl),
        [Rule::PairIncomplete {
            with: Field::SuccessStr
        }]
    );
}

#[test]
fn url_fields_are_http_urls_of_url_characters() {
    let req = with_links("https://shop.example/done?id=1&x=%E3#top", "戻る");
    assert!(req.validate(SJIS).is_ok());
    let req = with_links("HTTP://A.JP/(x)[y];z,+*!$~'", "戻る");
    assert!(req.validate(SJIS).is_ok());
    let mut req = with_links("javascript:alert(1)", "戻る");
    assert_eq!(rules(&req, SJIS, Field::SuccessUrl), [Rule::UrlScheme]);
    req.success_url = "https://".into();
    assert_eq!(rules(&req, SJIS, Field::SuccessUrl), [Rule::UrlScheme]);
    req.success_url = "https://例え.jp/".into();
    assert_eq!(
        rules(&req, SJIS, Field::SuccessUrl),
        [wrong('例', CharClass::Url)]
    );
    req.success_url = format!("https://a.jp/{}", "a".repeat(243));
    assert_eq!(rules(&req, SJIS, Field::SuccessUrl), []);
    req.success_url.push('a');
    assert_eq!(
        rules(&req, SJIS, Field::SuccessUrl),
        [too_long(257, 256, SJIS)]
    );
}

/// The manual, L71/L73: success_str and failure_str take 全角英数、漢字、
/// かな、カナ、半角英数字、スペース, and the `( )` of its own example
/// (`サイトへ戻る (完了)`, L146), nothing else.
#[test]
fn manual_l71_l73_str_fields_take_letters_kana_kanji_and_spaces_only() {
    let allowed = "Shop 2 サイトへ戻る (完了) ショッピングへ ｂａｃｋ１　々〆ーヽゝ";
    assert!(with_links("https://a.jp/", allowed).validate(SJIS).is_ok());
    for ch in [
        '<', '>', '&', '\'', '"', '!', '¥', '\\', '・', '、', '。', '「', '！', '（', 'ｱ', '\n',
        '\t', '\u{7f}',
    ] {
        let text = format!("戻{ch}る");
        assert_eq!(
            rules(&with_links("https://a.jp/", &text), UTF8, Field::SuccessStr),
            [wrong(ch, CharClass::LinkText)],
            "{ch:?}"
        );
        assert!(!is_link_text_char(ch), "{ch:?}");
    }
    // 128 katakana = 256 bytes in Shift_JIS; 129 is too many (D-3).
    let mut req = with_links("https://a.jp/", &"ア".repeat(128));
    assert!(req.validate(SJIS).is_ok());
    req.success_str.push('ア');
    assert_eq!(
        rules(&req, SJIS, Field::SuccessStr),
        [too_long(258, 256, SJIS)]
    );
    // A kanji Shift_JIS cannot hold is allowed by the class, refused by
    // the charset; UTF-8 takes it.
    let req = with_links("https://a.jp/", "戻る丂");
    assert_eq!(
        rules(&req, SJIS, Field::SuccessStr),
        [Rule::Unencodable {
            ch: '丂',
            charset: SJIS
        }]
    );
    assert!(req.validate(UTF8).is_ok());
}

#[test]
fn r_lp_1_violations_iterate_in_field_order_and_are_never_empty() {
    let req = OrderRequest::from_pairs([("money", "abc")]);
    let v = req.validate(Charset::ShiftJis).expect_err("invalid");
    assert!(!v.is_empty());
    let by_ref: Vec<Field> = (&v).into_iter().map(|x| x.field).collect();
    let by_iter: Vec<Field> = v.iter().map(|x| x.field).collect();
    assert_eq!(by_ref, by_iter);
    assert_eq!(by_ref.len(), v.len());
    assert_eq!(by_ref.first(), Some(&Field::Clientip));
    let owned: Vec<Field> = v.into_iter().map(|x| x.field).collect();
    assert_eq!(owned, by_ref);
}

#[test]
fn r_lp_1_valid_request_exposes_its_optional_fields() {
    let mut req = base();
    req.set(Field::Email, "shop@example.com");
    req.set(Field::Sendid, "cart-42");
    req.set(Field::Sendpoint, "p 1");
    let valid = req.clone().validate(Charset::ShiftJis).expect("valid");
    assert_eq!(valid.email(), Some("shop@example.com"));
    assert_eq!(valid.sendid(), Some("cart-42"));
    assert_eq!(valid.sendpoint(), Some("p 1"));
    assert_eq!(valid.into_request(), req);
    let bare = base().validate(Charset::ShiftJis).expect("valid");
    assert_eq!(
        (bare.email(), bare.sendid(), bare.sendpoint()),
        (None, None, None)
    );
}
