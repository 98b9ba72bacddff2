//! Property tests of the Link Point request (R-LP-1, R-LP-5, D-3, D-4).

use proptest::prelude::*;
use strum::IntoEnumIterator;

use super::*;
use crate::charset::Charset;

fn charset() -> impl Strategy<Value = Charset> {
    prop_oneof![Just(Charset::ShiftJis), Just(Charset::Utf8)]
}

/// Text mixing what merchants type with what breaks charsets: ASCII,
/// katakana, kanji, the yen sign and overline (D-4), U+2212, emoji,
/// control characters.
fn text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range(' ', '~'),
        3 => proptest::char::range('ァ', 'ヶ'),
        1 => proptest::char::range('一', '龠'),
        1 => prop::sample::select(vec!['¥', '‾', '−', '　', '😀', '\n', '\u{80}', 'ｱ']),
        1 => any::<char>(),
    ];
    proptest::collection::vec(ch, 0..40).prop_map(|v| v.into_iter().collect())
}

/// Text Shift_JIS can hold: ASCII (with `&`, `=`, `%`, `+`),
/// katakana, half-width katakana, a few kanji, and the characters its
/// encoder folds (`¥` → `\`, `‾` → `~`, `−` → `－`): all encodable.
fn sjis_text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        8 => proptest::char::range(' ', '~'),
        4 => proptest::char::range('ァ', 'ヶ'),
        2 => prop::sample::select(vec!['戻', '完', '了', '漢', '字', '＆', '｢', 'ｱ', '\u{80}']),
        2 => prop::sample::select(vec!['¥', '‾', '−']),
    ];
    proptest::collection::vec(ch, 0..12).prop_map(|v| v.into_iter().collect())
}

/// A request whose every field is arbitrary text.
fn any_request() -> impl Strategy<Value = OrderRequest> {
    request_of(text())
}

/// A request whose every field is drawn from `text`.
fn request_of(text: impl Strategy<Value = String>) -> impl Strategy<Value = OrderRequest> {
    proptest::collection::vec(text, Field::iter().count()).prop_map(|values| {
        let mut req = OrderRequest::default();
        for (field, value) in Field::iter().zip(values) {
            req.set(field, value);
        }
        req
    })
}

/// A request that obeys SPEC §4 in both charsets (UTF-8's byte counts are
/// the larger ones).
fn valid_request() -> impl Strategy<Value = OrderRequest> {
    (
        "[0-9]{10}",
        prop_oneof![Just("D"), Just("A"), Just("S")],
        1u32..=50_000,
        "[ァ-ヶー]{1,14}(_[0-9]{1,6})?",
        "[0-9]{1,32}",
        "([a-zA-Z0-9.!#$%~|@/`{}*?_^=+-]{1,20}@[a-z]{1,10}\\.jp)?",
        "[a-zA-Z0-9 ¥\\\\!#$%()~|@\\[\\]:./`{}*?_-]{0,12}",
        "[a-zA-Z0-9 ¥\\\\!#$%()~|@\\[\\]:./`{}*?_-]{0,25}",
        proptest::option::of((
            "https?://[a-z]{1,20}\\.jp/[a-zA-Z0-9?=&%#]{0,30}",
            "[ァ-ヶ戻る完了失敗a-zＡ-Ｚ０-９ 　()]{1,40}",
        )),
    )
        .prop_map(
            |(clientip, carrier, money, username, telno, email, sendid, sendpoint, link)| {
                let mut req = OrderRequest {
                    clientip,
                    money: money.to_string(),
                    carrier_type: carrier.to_owned(),
                    username,
                    telno,
                    email,
                    sendid,
                    sendpoint,
                    ..OrderRequest::default()
                };
                if let Some((url, text)) = link {
                    req.success_url = url.clone();
                    req.failure_url = url;
                    req.success_str = text.clone();
                    req.failure_str = text;
                }
                req
            },
        )
}

/// What Shift_JIS gives back for text it can encode: the characters
/// WHATWG's encoder folds onto other bytes (D-4: `¥` is 0x5C).
fn sjis_folded(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '¥' => '\\',
            '‾' => '~',
            '−' => '－',
            other => other,
        })
        .collect()
}

fn expected_after_round_trip(req: &OrderRequest, charset: Charset) -> OrderRequest {
    let mut out = req.clone();
    if charset == Charset::ShiftJis {
        for field in Field::iter() {
            let folded = sjis_folded(req.get(field));
            out.set(field, folded);
        }
    }
    out
}

proptest! {
    /// R-LP-5: a urlencoded body parses back to the same fields, in both
    /// charsets (Shift_JIS folds `¥` onto `\`, D-4); an unencodable value is
    /// an error naming a field that really holds an unencodable character.
    #[test]
    fn r_lp_5_urlencoded_forms_parse_back_to_the_same_fields(
        req in prop_oneof![request_of(sjis_text()), any_request()],
        cs in charset(),
    ) {
        match req.to_urlencoded(cs) {
            Ok(body) => {
                let back = OrderRequest::parse_urlencoded(body.as_bytes(), cs);
                prop_assert_eq!(back, Ok(expected_after_round_trip(&req, cs)));
            }
            Err(e) => {
                prop_assert_eq!(cs, Charset::ShiftJis);
                prop_assert!(req.get(e.field).contains(e.source.ch));
                prop_assert!(cs.encode(&e.source.ch.to_string()).is_err());
            }
        }
    }

    /// R-LP-5: parsing is total on arbitrary bytes.
    #[test]
    fn r_lp_5_parse_urlencoded_is_total_on_arbitrary_bytes(
        raw in proptest::collection::vec(any::<u8>(), 0..200),
        cs in charset(),
    ) {
        let _ = OrderRequest::parse_urlencoded(&raw, cs);
    }

    /// R-LP-5: parsing is total on bodies that look like forms, and an error
    /// names a field that is in the body.
    #[test]
    fn r_lp_5_parse_urlencoded_errors_name_a_field_of_the_body(
        segments in proptest::collection::vec(
            (prop::sample::select(vec!["money", "username", "sendid", "foo"]),
             proptest::collection::vec(any::<u8>(), 0..8)),
            0..6),
        cs in charset(),
    ) {
        let mut raw = Vec::new();
        for (name, value) in &segments {
            raw.extend_from_slice(name.as_bytes());
            raw.push(b'=');
            raw.extend_from_slice(value);
            raw.push(b'&');
        }
        if let Err(e) = OrderRequest::parse_urlencoded(&raw, cs) {
            let field = e.field();
            prop_assert!(segments.iter().any(|(n, _)| *n == field.wire_name()));
        }
    }

    /// R-LP-1: validation is total on arbitrary strings; every violation
    /// names a field and prints as one line; a request with no violation
    /// renders and encodes.
    #[test]
    fn r_lp_1_validation_is_total_on_arbitrary_strings(req in any_request(), cs in charset()) {
        match req.validate(cs) {
            Ok(valid) => {
                prop_assert_eq!(Some(valid.to_urlencoded()), req.to_urlencoded(cs).ok());
            }
            Err(violations) => {
                prop_assert!(!violations.is_empty());
                let fields: Vec<Field> = violations.iter().map(|v| v.field).collect();
                let mut sorted = fields.clone();
                sorted.sort();
                prop_assert_eq!(&fields, &sorted, "violations come in field order");
                for v in &violations {
                    let line = v.to_string();
                    prop_assert!(!line.contains(['\n', '\r']), "one line: {line:?}");
                    let prefix = format!("{}: ", v.field);
                    prop_assert!(line.starts_with(&prefix), "{line:?}");
                }
            }
        }
    }

    /// R-LP-1, R-LP-5: a request within SPEC §4 validates in both charsets,
    /// and its body read back by the gateway validates to the same values.
    #[test]
    fn r_lp_5_valid_requests_survive_the_wire(req in valid_request(), cs in charset()) {
        let valid = req.validate(cs);
        prop_assert!(valid.is_ok(), "{}", valid.as_ref().err().map(ToString::to_string).unwrap_or_default());
        if let Ok(valid) = valid {
            let body = valid.to_urlencoded();
            let back = OrderRequest::parse_urlencoded(body.as_bytes(), cs);
            prop_assert_eq!(back.as_ref(), Ok(&expected_after_round_trip(&req, cs)));
            if let Ok(back) = back {
                let again = back.validate(cs);
                prop_assert!(again.is_ok());
                if let Ok(again) = again {
                    prop_assert_eq!(again.money(), valid.money());
                    prop_assert_eq!(again.carrier(), valid.carrier());
                    prop_assert_eq!(again.test_id(), valid.test_id());
                }
            }
            let page = valid.render_html_form("https://gw.example/cgi-bin/carrier/order.cgi");
            prop_assert!(cs.encode(&page).is_ok());
        }
    }
}
