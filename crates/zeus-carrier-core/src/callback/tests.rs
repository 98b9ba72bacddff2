//! Tests of the CGI callback's parser and encoder (SPEC §9, D-1, D-3, D-4).

use chrono::DateTime;
use proptest::prelude::*;
use strum::IntoEnumIterator;

use super::*;
use crate::order::OrderDetails;
use crate::time::JstDateTime;

fn at(s: &str) -> JstDateTime {
    DateTime::parse_from_rfc3339(s).expect("test instant")
}

fn order(username: &str) -> Order {
    let details = OrderDetails {
        clientip: "1234567890".into(),
        carrier: Carrier::Docomo,
        money: 1000,
        username: username.into(),
        telno: "09012345678".into(),
        email: "shopper@example.invalid".into(),
        sendid: "A-1 x".into(),
        sendpoint: "p#1".into(),
        test: true,
    };
    Order::accept(
        "20260110ABC.001-9",
        details,
        at("2026-01-10T10:00:00+09:00"),
    )
}

fn parse(q: &str) -> Result<Callback, CallbackError> {
    Callback::parse_query(q.as_bytes(), Charset::Utf8)
}

#[test]
fn d1_all_eleven_status_codes_parse() {
    for s in Status::iter() {
        for cs in [Charset::ShiftJis, Charset::Utf8] {
            let q = format!("status={}", s.code());
            let cb = Callback::parse_query(q.as_bytes(), cs).expect("status");
            assert_eq!(cb.status, Some(s));
        }
    }
}

#[test]
fn d1_unknown_status_is_a_typed_error_keeping_the_raw_value() {
    for raw in ["00", "12", "7", "007", "", "ab", "０７"] {
        let err = parse(&format!("order_no=X1&status={raw}")).expect_err(raw);
        assert_eq!(
            err,
            CallbackError::UnknownStatus(UnknownStatus { raw: raw.into() })
        );
        assert_eq!(err.field(), CgiParam::Status);
    }
}

#[test]
fn r_cg_a_full_call_parses_into_typed_fields() {
    let q = "clientip=1234567890&money=1000&username=%E3%82%BC%E3%82%A6%E3%82%B9\
             &telno=0312345678&email=a%40b.jp&sendid=id+1&sendpoint=&order_no=2026.AB-1\
             &carrier_type=S&status=07&error_code=-";
    let cb = parse(q).expect("parse");
    assert_eq!(
        cb.clientip.as_ref().map(ClientIp::as_str),
        Some("1234567890")
    );
    assert_eq!(cb.money, Some(1000));
    assert_eq!(cb.username.as_deref(), Some("ゼウス"));
    assert_eq!(cb.telno.as_deref(), Some("0312345678"));
    assert_eq!(cb.email.as_deref(), Some("a@b.jp"));
    assert_eq!(cb.sendid.as_deref(), Some("id 1"));
    assert_eq!(cb.sendpoint.as_deref(), Some(""));
    assert_eq!(cb.order_no.as_ref().map(OrderNo::as_str), Some("2026.AB-1"));
    assert_eq!(cb.carrier, Some(Carrier::SoftBank));
    assert_eq!(cb.status, Some(Status::Completed));
    assert_eq!(cb.error_code.as_ref().map(CgiErrorCode::as_str), Some("-"));
    assert_eq!(cb.present_params(), CgiParam::ALL);
}

#[test]
fn r_cg_every_subset_of_params_round_trips_in_both_charsets() {
    let o = order("ゼウステスト_12345678");
    for mask in 0u32..(1 << 11) {
        let params: Vec<_> = CgiParam::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, p)| p)
            .collect();
        let cb = Callback::for_order(&o, Status::Authorized, "-", &params);
        assert_eq!(cb.present_params(), params);
        for cs in [Charset::ShiftJis, Charset::Utf8] {
            let q = cb.to_query(cs).expect("encode");
            assert_eq!(
                Callback::parse_query(q.as_bytes(), cs),
                Ok(cb.clone()),
                "{q}"
            );
        }
    }
}

#[test]
fn r_cg_query_lists_params_in_the_manuals_order() {
    let cb = Callback::for_order(
        &order("ゼウス"),
        Status::Completed,
        "-",
        &[
            CgiParam::ErrorCode,
            CgiParam::Status,
            CgiParam::OrderNo,
            CgiParam::ClientIp,
        ],
    );
    assert_eq!(
        cb.to_query(Charset::Utf8),
        Ok("clientip=1234567890&order_no=20260110ABC.001-9&status=07&error_code=-".into())
    );
}

#[test]
fn d3_shift_jis_katakana_username() {
    // ゼウステスト in Shift_JIS: 83 5B, 83 45, 83 58, 83 65, 83 58, 83 67.
    let escaped = "username=%83%5B%83%45%83%58%83%65%83%58%83%67_1&status=03";
    let cb = Callback::parse_query(escaped.as_bytes(), Charset::ShiftJis).expect("escaped");
    assert_eq!(cb.username.as_deref(), Some("ゼウステスト_1"));
    // The same bytes partly unescaped ('E', 'X', 'e', 'g' are ASCII), and raw.
    let mixed = "username=%83%5B%83E%83X%83e%83X%83g_1&status=03";
    let cb2 = Callback::parse_query(mixed.as_bytes(), Charset::ShiftJis).expect("mixed");
    assert_eq!(cb2, cb);
    let mut raw = b"username=".to_vec();
    raw.extend_from_slice(b"\x83\x5B\x83\x45\x83\x58\x83\x65\x83\x58\x83\x67_1&status=03");
    assert_eq!(
        Callback::parse_query(&raw, Charset::ShiftJis),
        Ok(cb.clone())
    );
    // The encoder writes the Shift_JIS bytes.
    let q = cb.to_query(Charset::ShiftJis).expect("encode");
    assert_eq!(q, "username=%83%5B%83E%83X%83e%83X%83g_1&status=03");
}

#[test]
fn d3_invalid_shift_jis_is_a_typed_error() {
    // 0x82 opens a double-byte character; 0x20 cannot close it.
    let err = Callback::parse_query(b"status=03&username=%82%20", Charset::ShiftJis)
        .expect_err("invalid");
    assert_eq!(
        err,
        CallbackError::Malformed {
            field: CgiParam::Username,
            charset: Charset::ShiftJis
        }
    );
    let err = Callback::parse_query(b"sendid=%FF", Charset::Utf8).expect_err("invalid utf-8");
    assert_eq!(err.field(), CgiParam::Sendid);
    // A lead byte with nothing after it.
    let err = Callback::parse_query(b"telno=%83&status=03", Charset::ShiftJis).expect_err("cut");
    assert_eq!(err.field(), CgiParam::Telno);
}

#[test]
fn r_cg_bad_escape_names_the_field() {
    assert_eq!(
        parse("money=1%2"),
        Err(CallbackError::BadEscape {
            field: CgiParam::Money,
            at: 1
        })
    );
}

#[test]
fn r_cg_repeated_key_is_an_error() {
    assert_eq!(
        parse("status=07&order_no=A&status=07"),
        Err(CallbackError::Repeated {
            field: CgiParam::Status
        })
    );
    // Also when the repeat is spelled with escapes.
    assert_eq!(
        parse("status=07&st%61tus=08"),
        Err(CallbackError::Repeated {
            field: CgiParam::Status
        })
    );
    // Unknown keys may repeat.
    assert!(parse("x=1&x=2&status=07").is_ok());
}

#[test]
fn r_cg_unknown_keys_are_ignored_even_when_malformed() {
    let cb = Callback::parse_query(b"?foo=%82%20&%ZZ=1&&Status=99&status=02", Charset::ShiftJis)
        .expect("parse");
    assert_eq!(
        cb,
        Callback {
            status: Some(Status::PaymentFailed),
            ..Callback::default()
        }
    );
    assert_eq!(parse(""), Ok(Callback::default()));
    assert_eq!(parse("?"), Ok(Callback::default()));
}

#[test]
fn r_cg_each_bad_value_names_field_and_rule() {
    let cases = [
        (
            "clientip=123456789",
            CgiParam::ClientIp,
            CallbackRule::ClientIpTenDigits,
        ),
        (
            "clientip=12345678901",
            CgiParam::ClientIp,
            CallbackRule::ClientIpTenDigits,
        ),
        (
            "clientip=123456789a",
            CgiParam::ClientIp,
            CallbackRule::ClientIpTenDigits,
        ),
        ("money=", CgiParam::Money, CallbackRule::MoneyDigits),
        ("money=1234567", CgiParam::Money, CallbackRule::MoneyDigits),
        ("money=-1", CgiParam::Money, CallbackRule::MoneyDigits),
        (
            "money=%EF%BC%91",
            CgiParam::Money,
            CallbackRule::MoneyDigits,
        ),
        ("order_no=", CgiParam::OrderNo, CallbackRule::OrderNoChars),
        (
            "order_no=A_1",
            CgiParam::OrderNo,
            CallbackRule::OrderNoChars,
        ),
        (
            "order_no=A+1",
            CgiParam::OrderNo,
            CallbackRule::OrderNoChars,
        ),
        (
            "carrier_type=d",
            CgiParam::CarrierType,
            CallbackRule::CarrierLetter,
        ),
        (
            "carrier_type=DA",
            CgiParam::CarrierType,
            CallbackRule::CarrierLetter,
        ),
    ];
    for (q, field, rule) in cases {
        match parse(q) {
            Err(CallbackError::Invalid {
                field: f, rule: r, ..
            }) => {
                assert_eq!((f, r), (field, rule), "{q}");
            }
            other => panic!("{q}: expected Invalid, got {other:?}"),
        }
    }
    let long = "A".repeat(ORDER_NO_MAX_LEN + 1);
    assert!(parse(&format!("order_no={long}")).is_err());
    let longest = "A".repeat(ORDER_NO_MAX_LEN);
    assert!(parse(&format!("order_no={longest}")).is_ok());
    assert_eq!(parse("money=000100").map(|c| c.money), Ok(Some(100)));
    assert_eq!(parse("money=999999").map(|c| c.money), Ok(Some(999_999)));
    let msg = parse("clientip=12").expect_err("short").to_string();
    assert!(
        msg.starts_with("clientip:") && msg.contains("10 half-width digits"),
        "{msg}"
    );
}

#[test]
fn r_cg_error_code_is_kept_raw() {
    for raw in ["-", "01010007", "0101000L0", "x y", ""] {
        let q = form_urlencode([("error_code", raw)], Charset::Utf8).expect("q");
        assert_eq!(
            parse(&q).map(|c| c.error_code),
            Ok(Some(CgiErrorCode::new(raw)))
        );
    }
}

#[test]
fn d4_yen_sign_comes_back_as_backslash_in_shift_jis() {
    let cb = Callback {
        sendid: Some("¥100".into()),
        ..Callback::default()
    };
    let q = cb.to_query(Charset::ShiftJis).expect("encode");
    assert_eq!(q, "sendid=%5C100");
    let back = Callback::parse_query(q.as_bytes(), Charset::ShiftJis).expect("parse");
    assert_eq!(back.sendid.as_deref(), Some("\\100"));
}

#[test]
fn r_cg_encode_errors_name_the_field() {
    let cb = Callback {
        username: Some("a😀".into()),
        ..Callback::default()
    };
    match cb.to_query(Charset::ShiftJis) {
        Err(EncodeError::Unmappable { field, source }) => {
            assert_eq!((field, source.ch), (CgiParam::Username, '😀'));
        }
        other => panic!("expected Unmappable, got {other:?}"),
    }
    assert!(cb.to_query(Charset::Utf8).is_ok());
    let big = Callback {
        money: Some(MAX_MONEY + 1),
        ..Callback::default()
    };
    assert_eq!(
        big.to_query(Charset::Utf8),
        Err(EncodeError::MoneyTooLarge { money: 1_000_000 })
    );
}

#[test]
fn r_cg_for_order_leaves_out_values_breaking_the_rule() {
    let mut p = order("ゼウス").into_parts();
    p.order_no = "bad_no".into();
    p.details.clientip = "12".into();
    let o = Order::from_parts(p).expect("parts");
    let cb = Callback::for_order(&o, Status::Completed, "-", &CgiParam::ALL);
    assert_eq!(cb.order_no, None);
    assert_eq!(cb.clientip, None);
    assert_eq!(cb.status, Some(Status::Completed));
}

#[test]
fn r_cg_callback_json_uses_wire_names() {
    let cb = Callback::for_order(&order("ゼウス"), Status::Authorized, "-", &CgiParam::ALL);
    let v = serde_json::to_value(&cb).expect("json");
    assert_eq!(v["carrier_type"], "D");
    assert_eq!(v["order_no"], "20260110ABC.001-9");
    assert_eq!(v["status"]["code"], "03");
    let back: Callback = serde_json::from_value(v).expect("back");
    assert_eq!(back, cb);
    let bad = serde_json::json!({"clientip": "12"});
    assert!(serde_json::from_value::<Callback>(bad).is_err());
}

fn katakana(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::char::range('ァ', 'ヶ'), 1..max).prop_map(String::from_iter)
}

prop_compose! {
    fn arb_order()(
        name in katakana(12),
        test_id in prop::option::of("[0-9]{8}"),
        clientip in "[0-9]{10}",
        order_no in "[A-Za-z0-9.-]{1,38}",
        carrier in prop::sample::select(vec![Carrier::Docomo, Carrier::Au, Carrier::SoftBank]),
        money in 1u32..=100_000,
        telno in "[0-9]{1,32}",
        email in "([a-z0-9._+-]{1,10}@[a-z]{1,8}\\.jp)?",
        sendid in "[A-Za-z0-9 !#$%()~|@\\[\\]:./`{}*?_\\\\-]{0,25}",
        sendpoint in "[A-Za-z0-9 !#$%()~|@\\[\\]:./`{}*?_\\\\-]{0,50}",
    ) -> Order {
        let username = match test_id {
            Some(id) => format!("{name}_{id}"),
            None => name,
        };
        let details = OrderDetails {
            clientip, carrier, money, username, telno, email, sendid, sendpoint,
            test: false,
        };
        Order::accept(order_no, details, at("2026-01-10T10:00:00+09:00"))
    }
}

fn arb_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            1 => any::<char>(),
            20 => prop::char::range(' ', '~'),
            20 => prop::char::range('ぁ', 'ヶ'),
            1 => Just('¥'),
            1 => Just('‾'),
            1 => Just('−'),
        ],
        0..12,
    )
    .prop_map(String::from_iter)
}

prop_compose! {
    fn arb_callback()(
        clientip in prop::option::of("[0-9]{10}"),
        money in prop::option::of(0u32..=MAX_MONEY),
        texts in prop::collection::vec(prop::option::of(arb_text()), 6),
        order_no in prop::option::of("[A-Za-z0-9.-]{1,38}"),
        carrier in prop::option::of(prop::sample::select(vec![Carrier::Docomo, Carrier::Au, Carrier::SoftBank])),
        status in prop::option::of(prop::sample::select(Status::iter().collect::<Vec<_>>())),
    ) -> Callback {
        let mut t = texts.into_iter();
        let mut next = || t.next().flatten();
        Callback {
            clientip: clientip.and_then(|c| ClientIp::parse(&c).ok()),
            money,
            username: next(),
            telno: next(),
            email: next(),
            sendid: next(),
            sendpoint: next(),
            order_no: order_no.and_then(|o| OrderNo::parse(&o).ok()),
            carrier,
            status,
            error_code: next().map(CgiErrorCode::new),
        }
    }
}

/// What a text field becomes after a trip through `cs`: the charset's own
/// decoding of its encoding (identity in UTF-8; `¥` → `\` etc. in
/// Shift_JIS, D-4).
fn through(cs: Charset, s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| match cs.encode(s) {
        Ok(b) => cs.decode(&b).map(|d| d.into_owned()).unwrap_or_default(),
        Err(_) => String::new(),
    })
}

proptest! {
    /// The sandbox's call for any valid order, any status, any selection of
    /// params, is read back by the merchant as exactly that call, in both
    /// charsets (SPEC §9, D-3).
    #[test]
    fn r_cg_for_order_to_query_parse_query_round_trip(
        o in arb_order(),
        status in prop::sample::select(Status::iter().collect::<Vec<_>>()),
        error_code in prop_oneof![Just("-".to_owned()), "0[0-2][0-9A-Z]{6,7}"],
        params in prop::sample::subsequence(CgiParam::ALL.to_vec(), 0..=11),
        sjis in any::<bool>(),
    ) {
        let cs = if sjis { Charset::ShiftJis } else { Charset::Utf8 };
        let cb = Callback::for_order(&o, status, &error_code, &params);
        prop_assert_eq!(cb.present_params(), params);
        let q = cb.to_query(cs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(Callback::parse_query(q.as_bytes(), cs), Ok(cb));
    }

    /// Any callback that encodes reads back as itself, up to the charset's
    /// own normalisation of text (D-4); in UTF-8 every callback encodes.
    #[test]
    fn r_cg_any_encodable_callback_round_trips(cb in arb_callback(), sjis in any::<bool>()) {
        let cs = if sjis { Charset::ShiftJis } else { Charset::Utf8 };
        match cb.to_query(cs) {
            Ok(q) => {
                let expected = Callback {
                    username: through(cs, &cb.username),
                    telno: through(cs, &cb.telno),
                    email: through(cs, &cb.email),
                    sendid: through(cs, &cb.sendid),
                    sendpoint: through(cs, &cb.sendpoint),
                    error_code: through(cs, &cb.error_code.as_ref().map(|e| e.as_str().to_owned()))
                        .map(CgiErrorCode::new),
                    ..cb.clone()
                };
                prop_assert_eq!(Callback::parse_query(q.as_bytes(), cs), Ok(expected));
            }
            Err(e) => {
                prop_assert!(sjis, "UTF-8 refused {:?}: {}", cb, e);
                let unmappable = matches!(e, EncodeError::Unmappable { .. });
                prop_assert!(unmappable, "{}", e);
            }
        }
    }

    /// Parsing is total on arbitrary bytes, and whatever parses re-encodes
    /// to a query that parses to the same callback.
    #[test]
    fn r_cg_parse_is_total_on_arbitrary_bytes(raw in any::<Vec<u8>>(), sjis in any::<bool>()) {
        let cs = if sjis { Charset::ShiftJis } else { Charset::Utf8 };
        if let Ok(cb) = Callback::parse_query(&raw, cs) {
            match cb.to_query(cs) {
                Ok(q) => prop_assert_eq!(Callback::parse_query(q.as_bytes(), cs), Ok(cb)),
                Err(e) => prop_assert!(sjis, "UTF-8 re-encode failed: {}", e),
            }
        }
    }

    /// The same, on inputs shaped like queries: known keys with arbitrary
    /// bytes, escapes and separators.
    #[test]
    fn r_cg_parse_is_total_on_query_shaped_bytes(
        pairs in prop::collection::vec(
            (
                prop_oneof![
                    prop::sample::select(CgiParam::ALL.map(CgiParam::name).to_vec()).prop_map(str::to_owned),
                    "[a-z_%=&+]{0,6}",
                ],
                prop::collection::vec(
                    prop_oneof![any::<u8>(), Just(b'%'), Just(b'&'), Just(b'='), Just(b'+')],
                    0..12,
                ),
            ),
            0..8,
        ),
        sjis in any::<bool>(),
    ) {
        let cs = if sjis { Charset::ShiftJis } else { Charset::Utf8 };
        let mut raw = Vec::new();
        for (k, v) in &pairs {
            raw.extend_from_slice(k.as_bytes());
            raw.push(b'=');
            raw.extend_from_slice(v);
            raw.push(b'&');
        }
        match Callback::parse_query(&raw, cs) {
            Ok(cb) => {
                if let Ok(q) = cb.to_query(cs) {
                    prop_assert_eq!(Callback::parse_query(q.as_bytes(), cs), Ok(cb));
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn r_cg_money_up_to_six_digits_encodes_and_seven_is_refused() {
    let cb = Callback {
        money: Some(MAX_MONEY),
        ..Callback::default()
    };
    let q = cb.to_query(Charset::Utf8).expect("six digits encode");
    assert_eq!(q, "money=999999");
    let too_big = Callback {
        money: Some(MAX_MONEY + 1),
        ..Callback::default()
    };
    assert!(matches!(
        too_big.to_query(Charset::Utf8),
        Err(EncodeError::MoneyTooLarge { money }) if money == MAX_MONEY + 1
    ));
}

#[test]
fn r_cg_error_code_displays_verbatim() {
    let cb = Callback::parse_query(b"error_code=0101000L0", Charset::ShiftJis).expect("parse");
    let code = cb.error_code.expect("present");
    assert_eq!(code.to_string(), "0101000L0");
    assert_eq!(code.as_str(), "0101000L0");
}

#[test]
fn r_cg_1_attempt_outcomes_display_their_wire_names() {
    assert_eq!(AttemptOutcome::BadBody.to_string(), "bad_body");
    assert_eq!(AttemptOutcome::ConnectError.to_string(), "connect_error");
}
