//! Request encoding and the gateway's field checks (SPEC §5, §6).

use super::*;
use proptest::prelude::*;

fn settle() -> SettleRequest {
    SettleRequest {
        clientip: "1234567890".into(),
        order_no: "ORD-2026.0001".into(),
        zkey: Zkey::new("SeCrEt#zkey&=%+"),
        money: Some(800),
        autype: Some(Autype::Sale),
        date: NaiveDate::from_ymd_opt(2026, 1, 20),
    }
}

fn invalid(body: &str) -> (Field, &'static str) {
    match Request::parse_form(body.as_bytes()) {
        Ok(r) => panic!("{body:?} parsed as {r:?}"),
        Err(e) => (e.field, e.field.invalid_code()),
    }
}

#[test]
fn r_sl_body_uses_manual_order_and_yyyymmdd() {
    let r = Request::Settle(settle());
    assert_eq!(
        r.to_form_body(),
        "clientip=1234567890&act=settled&order_no=ORD-2026.0001\
         &zkey=SeCrEt%23zkey%26%3D%25%2B&money=800&autype=sale&date=20260120"
    );
    let c = Request::Cancel(CancelRequest {
        clientip: "1234567890".into(),
        order_no: "A1".into(),
        zkey: Zkey::new("k"),
    });
    assert_eq!(
        c.to_form_body(),
        "clientip=1234567890&act=return&order_no=A1&zkey=k"
    );
}

#[test]
fn r_sl_optional_fields_are_left_out_when_absent() {
    let r = Request::Settle(SettleRequest {
        money: None,
        autype: None,
        date: None,
        ..settle()
    });
    let body = r.to_form_body();
    assert!(!body.contains("money") && !body.contains("autype") && !body.contains("date"));
    assert_eq!(Request::parse_form(body.as_bytes()), Ok(r));
}

#[test]
fn r_sl_each_malformed_field_answers_its_invalid_code() {
    let ok = "act=settled&clientip=1234567890&money=100&order_no=A-1.b\
              &autype=auth&date=20260131&zkey=k";
    assert!(Request::parse_form(ok.as_bytes()).is_ok());
    let cases = [
        ("act", "settle", Field::Act, "00000000"),
        ("clientip", "123456789", Field::ClientIp, "00000001"),
        ("money", "1234567", Field::Money, "00000002"),
        ("order_no", "A_1", Field::OrderNo, "00000003"),
        ("autype", "SALE", Field::Autype, "00000004"),
        ("date", "20260230", Field::Date, "00000005"),
        ("zkey", "a b", Field::Zkey, "00000006"),
    ];
    for (name, bad, field, code) in cases {
        let body: Vec<String> = ok
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k == name => format!("{k}={bad}"),
                _ => kv.to_owned(),
            })
            .collect();
        assert_eq!(invalid(&body.join("&")), (field, code), "{name}={bad}");
    }
}

#[test]
fn r_sl_field_format_edges() {
    let base = |extra: &str| format!("act=settled&clientip=1234567890&order_no=A&zkey=k{extra}");
    assert!(Request::parse_form(base("&money=999999").as_bytes()).is_ok());
    assert_eq!(invalid(&base("&money=-1")).0, Field::Money);
    assert_eq!(invalid(&base("&money=１")).0, Field::Money);
    let order_no = |n: usize| {
        format!(
            "act=return&clientip=1234567890&order_no={}&zkey=k",
            "a".repeat(n)
        )
    };
    assert!(Request::parse_form(order_no(38).as_bytes()).is_ok());
    assert_eq!(invalid(&order_no(39)).0, Field::OrderNo);
    assert_eq!(
        invalid(&format!(
            "act=settled&clientip=1234567890&order_no=A&zkey={}",
            "k".repeat(41)
        ))
        .0,
        Field::Zkey
    );
    assert_eq!(
        invalid("act=settled&clientip=12345678901&order_no=A&zkey=k").0,
        Field::ClientIp
    );
    assert_eq!(
        invalid("act=settled&clientip=123456789a&order_no=A&zkey=k").0,
        Field::ClientIp
    );
    assert_eq!(invalid(&base("&date=2026012")).0, Field::Date);
    assert_eq!(invalid(&base("&autype=%zz")).0, Field::Autype);
}

#[test]
fn r_sl_first_bad_field_in_code_order_wins() {
    // Every field bad: act's code comes first.
    assert_eq!(
        invalid("act=x&clientip=1&money=a&order_no=_&autype=x&date=1&zkey=").1,
        "00000000"
    );
    // act fine, the rest bad: clientip, then money, then order_no ...
    assert_eq!(
        invalid("act=settled&clientip=1&money=a&order_no=_&autype=x&date=1&zkey=").1,
        "00000001"
    );
    assert_eq!(
        invalid("act=settled&clientip=1234567890&money=a&order_no=_&autype=x&date=1&zkey=").1,
        "00000002"
    );
    assert_eq!(
        invalid("act=settled&clientip=1234567890&order_no=_&autype=x&date=1&zkey=").1,
        "00000003"
    );
    assert_eq!(
        invalid("act=settled&clientip=1234567890&order_no=A&autype=x&date=1&zkey=").1,
        "00000004"
    );
    assert_eq!(
        invalid("act=settled&clientip=1234567890&order_no=A&date=1&zkey=").1,
        "00000005"
    );
    assert_eq!(
        invalid("act=settled&clientip=1234567890&order_no=A").1,
        "00000006"
    );
    assert_eq!(invalid("").1, "00000000");
}

#[test]
fn r_sl_empty_optional_is_absent_and_repeated_field_is_invalid() {
    let r = Request::parse_form(
        b"act=settled&clientip=1234567890&order_no=A&zkey=k&money=&date=&autype=",
    );
    let Ok(Request::Settle(r)) = r else {
        panic!("{r:?}")
    };
    assert_eq!((r.money, r.autype, r.date), (None, None, None));
    assert_eq!(
        invalid("act=settled&clientip=1234567890&order_no=A&order_no=B&zkey=k").0,
        Field::OrderNo
    );
    assert_eq!(
        invalid("act=settled&clientip=1234567890&order_no=A&zkey=k&money=1&money=1").0,
        Field::Money
    );
    assert_eq!(
        invalid("act=settled&clientip=&order_no=A&zkey=k"),
        (Field::ClientIp, "00000001")
    );
}

#[test]
fn r_cn_cancel_ignores_settle_only_fields_and_unknown_keys() {
    let r = Request::parse_form(
        b"foo=bar&act=return&clientip=1234567890&order_no=A&zkey=k&money=abc&date=x",
    );
    assert_eq!(
        r,
        Ok(Request::Cancel(CancelRequest {
            clientip: "1234567890".into(),
            order_no: "A".into(),
            zkey: Zkey::new("k"),
        }))
    );
}

#[test]
fn r_cn_malformed_cancel_fields_answer_the_cancel_family_000001xx() {
    let ok = "act=return&clientip=1234567890&order_no=A-1&zkey=k";
    assert!(Request::parse_form(ok.as_bytes()).is_ok());
    let cases = [
        ("act", "returns", Field::Act, "00000000"),
        ("clientip", "123456789", Field::ClientIp, "00000100"),
        ("order_no", "A_1", Field::OrderNo, "00000101"),
        ("zkey", "a b", Field::Zkey, "00000103"),
    ];
    for (name, bad, field, code) in cases {
        let body: Vec<String> = ok
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k == name => format!("{k}={bad}"),
                _ => kv.to_owned(),
            })
            .collect();
        let e = Request::parse_form(body.join("&").as_bytes()).expect_err("invalid");
        assert_eq!((e.field, e.code()), (field, code), "{name}={bad}");
        assert_eq!(
            e.response().render(0),
            format!("result=invalid&error_code={code}")
        );
    }
    // Missing fields too, and the merchant's own check agrees.
    let e = Request::parse_form(b"act=return&clientip=1234567890&zkey=k").expect_err("no order_no");
    assert_eq!(e.code(), "00000101");
    let r = Request::Cancel(CancelRequest {
        clientip: "12345".into(),
        order_no: "A-1".into(),
        zkey: Zkey::new("k"),
    });
    assert_eq!(r.validate().map_err(|e| e.code()), Err("00000100"));
}

#[test]
fn invalid_field_message_names_field_and_rule_but_not_the_value() {
    let e = Request::parse_form(b"act=settled&clientip=1234567890&order_no=A&zkey=top%20secret")
        .expect_err("zkey with a space");
    let msg = e.to_string();
    assert_eq!(
        msg,
        "zkey: bad format; must be 1 to 40 printable ASCII characters (SPEC §5, §6, answered invalid 00000006)"
    );
    assert!(!msg.contains("secret"));
    assert_eq!(e.response().render(0), "result=invalid&error_code=00000006");
}

#[test]
fn validate_agrees_with_the_gateway_checks() {
    assert_eq!(Request::Settle(settle()).validate(), Ok(()));
    let bad = Request::Settle(SettleRequest {
        money: Some(1_000_000),
        ..settle()
    });
    assert_eq!(bad.validate().map_err(|e| e.field), Err(Field::Money));
    assert_eq!(
        Request::parse_form(bad.to_form_body().as_bytes()).map_err(|e| e.field),
        Err(Field::Money)
    );
    let bad = Request::Settle(SettleRequest {
        zkey: Zkey::new(""),
        ..settle()
    });
    assert_eq!(bad.validate().map_err(|e| e.field), Err(Field::Zkey));
}

#[test]
fn zkey_never_appears_in_debug_output_of_requests() {
    let s = settle();
    let c = CancelRequest {
        clientip: s.clientip.clone(),
        order_no: s.order_no.clone(),
        zkey: s.zkey.clone(),
    };
    for out in [
        format!("{:?}", Request::Settle(s)),
        format!("{:#?}", Request::Cancel(c)),
    ] {
        assert!(!out.contains("SeCrEt"), "{out}");
        assert!(out.contains("Zkey(***)"), "{out}");
    }
}

fn zkey_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(0x21u8..=0x7E, 1..=40)
        .prop_map(|v| v.into_iter().map(char::from).collect())
}

fn date_strategy() -> impl Strategy<Value = NaiveDate> {
    (0i64..3_650_000).prop_map(|d| {
        NaiveDate::from_ymd_opt(0, 1, 1)
            .and_then(|base| base.checked_add_signed(chrono::TimeDelta::days(d)))
            .unwrap_or_default()
    })
}

fn request_strategy() -> impl Strategy<Value = Request> {
    let common = || ("[0-9]{10}", "[A-Za-z0-9.-]{1,38}", zkey_strategy());
    let settle = (
        common(),
        proptest::option::of(0u32..=999_999),
        proptest::option::of(prop_oneof![Just(Autype::Sale), Just(Autype::Auth)]),
        proptest::option::of(date_strategy()),
    )
        .prop_map(|((clientip, order_no, zkey), money, autype, date)| {
            Request::Settle(SettleRequest {
                clientip,
                order_no,
                zkey: Zkey::new(zkey),
                money,
                autype,
                date,
            })
        });
    let cancel = common().prop_map(|(clientip, order_no, zkey)| {
        Request::Cancel(CancelRequest {
            clientip,
            order_no,
            zkey: Zkey::new(zkey),
        })
    });
    prop_oneof![settle, cancel]
}

proptest! {
    /// SPEC §5/§6: what the merchant encodes, the gateway decodes unchanged.
    #[test]
    fn r_sl_parse_form_inverts_to_form_body(r in request_strategy()) {
        prop_assert_eq!(r.validate(), Ok(()));
        prop_assert_eq!(Request::parse_form(r.to_form_body().as_bytes()), Ok(r));
    }

    /// The zkey is a secret: no request's `Debug` output contains it.
    #[test]
    fn zkey_never_appears_in_debug_output(r in request_strategy(), secret in "[A-Za-z0-9]{8,30}") {
        let marked = format!("ZK#{secret}");
        let r = match r {
            Request::Settle(s) => Request::Settle(SettleRequest { zkey: Zkey::new(marked.clone()), ..s }),
            Request::Cancel(c) => Request::Cancel(CancelRequest { zkey: Zkey::new(marked.clone()), ..c }),
        };
        let out = format!("{r:?}{r:#?}");
        prop_assert!(!out.contains(&marked));
        prop_assert!(r.to_form_body().contains("ZK%23"));
    }

    /// The gateway's parser is total: any bytes give a request or a field.
    #[test]
    fn r_sl_parse_form_is_total(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Request::parse_form(&raw);
    }
}

#[test]
fn r_sl_money_of_six_digits_is_well_formed_and_seven_is_not() {
    let mut r = settle();
    r.money = Some(999_999);
    assert_eq!(Request::Settle(r.clone()).validate(), Ok(()));
    r.money = Some(1_000_000);
    let err = Request::Settle(r).validate().expect_err("seven digits");
    assert_eq!(err.field, Field::Money);
}
