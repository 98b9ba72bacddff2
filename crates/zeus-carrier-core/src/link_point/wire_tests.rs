//! Unit tests of the Link Point request on the wire: pairs, JSON, the
//! urlencoded body, the gateway's parser and the HTML form (R-LP-5, D-3).

use super::tests::{base, with_links};
use super::*;
use crate::carrier::Carrier;
use crate::charset::Charset;

const SJIS: Charset = Charset::ShiftJis;
const UTF8: Charset = Charset::Utf8;

#[test]
fn pairs_keep_the_manuals_order_and_ignore_unknown_names() {
    let (req, unknown) = OrderRequest::from_pairs_with_unknown([
        ("telno", "1"),
        ("foo", "x"),
        ("money", "5"),
        ("money", "6"),
        ("sendid", ""),
    ]);
    assert_eq!(unknown, ["foo"]);
    // The last value wins; empty values are absent.
    assert_eq!(req.to_pairs(), [("money", "6"), ("telno", "1")]);
    assert_eq!(
        Field::iter().map(Field::wire_name).collect::<Vec<_>>(),
        [
            "clientip",
            "money",
            "carrier_type",
            "username",
            "telno",
            "email",
            "sendid",
            "sendpoint",
            "success_url",
            "success_str",
            "failure_url",
            "failure_str"
        ]
    );
    for f in Field::iter() {
        assert_eq!(Field::from_wire_name(f.wire_name()), Some(f));
    }
    assert_eq!(Field::from_wire_name("Money"), None);
    for f in Field::iter() {
        let json = serde_json::to_string(&f).expect("json");
        assert_eq!(json, format!("\"{}\"", f.wire_name()));
        assert_eq!(serde_json::from_str::<Field>(&json).ok(), Some(f));
    }
}

#[test]
fn json_money_may_be_a_number() {
    let req: OrderRequest =
        serde_json::from_str(r#"{"money": 1500, "carrier_type": "S", "extra": 1}"#).expect("json");
    assert_eq!(req.money, "1500");
    assert_eq!(req.carrier_type, "S");
    assert_eq!(req.username, "");
}

#[test]
fn details_carry_the_typed_values() {
    let mut req = base();
    req.carrier_type = "S".into();
    req.money = "100000".into();
    req.sendid = "id 1".into();
    let d = req
        .validate(SJIS)
        .expect("valid")
        .details(crate::order::PaymentKind::Live);
    assert_eq!(d.carrier, Carrier::SoftBank);
    assert_eq!(d.money, 100_000);
    assert_eq!(d.sendid, "id 1");
    assert_eq!(d.email, "");
    assert_eq!(d.username, "ゼウス");
}

#[test]
fn r_lp_5_urlencoded_body_is_in_the_charset() {
    let mut req = base();
    req.sendid = "¥1 a".into();
    assert_eq!(
        req.to_urlencoded(SJIS).expect("sjis"),
        "clientip=1234567890&money=1000&carrier_type=D&username=%83%5B%83E%83X\
         &telno=0312345678&sendid=%5C1+a"
    );
    assert_eq!(
        req.to_urlencoded(UTF8).expect("utf8"),
        "clientip=1234567890&money=1000&carrier_type=D\
         &username=%E3%82%BC%E3%82%A6%E3%82%B9&telno=0312345678&sendid=%C2%A51+a"
    );
    let valid = req.validate(SJIS).expect("valid");
    assert_eq!(
        valid.to_urlencoded(),
        req.to_urlencoded(SJIS).expect("sjis")
    );
    // An unencodable value names its field.
    req.success_str = "😀".into();
    let err = req.to_urlencoded(SJIS).expect_err("emoji");
    assert_eq!(err.field, Field::SuccessStr);
    assert!(err.to_string().starts_with("success_str: "), "{err}");
}

#[test]
fn r_lp_5_parse_urlencoded_reads_the_gateway_body() {
    let body = b"clientip=1234567890&money=1000&carrier_type=D&username=%83%5B%83E%83X\
                 &telno=0312345678&sendid=%5C1+a&unknown=%FF%FF&&x";
    let req = OrderRequest::parse_urlencoded(body, SJIS).expect("parse");
    assert_eq!(req.username, "ゼウス");
    // D-4: 0x5C decodes as the backslash, the same yen symbol.
    assert_eq!(req.sendid, "\\1 a");
    assert!(req.validate(SJIS).is_ok());
}

#[test]
fn r_lp_5_parse_urlencoded_errors_name_the_field() {
    assert_eq!(
        OrderRequest::parse_urlencoded(b"money=1&username=%82%20", SJIS),
        Err(ParseError::Malformed {
            field: Field::Username,
            charset: SJIS
        })
    );
    assert_eq!(
        OrderRequest::parse_urlencoded(b"sendid=%E3%82", UTF8),
        Err(ParseError::Malformed {
            field: Field::Sendid,
            charset: UTF8
        })
    );
    assert_eq!(
        OrderRequest::parse_urlencoded(b"telno=12%G0", SJIS),
        Err(ParseError::BadEscape {
            field: Field::Telno,
            at: 2
        })
    );
    let err = OrderRequest::parse_urlencoded(b"username=%82%20", SJIS).expect_err("bad");
    assert_eq!(
        err.to_string(),
        "username: value is not valid Shift_JIS (D-3)"
    );
}

#[test]
fn r_lp_5_html_form_escapes_every_value() {
    let mut req = base();
    req.sendpoint = "<script>\"'&".into();
    let page = req.render_html_form("https://gw.example/order.cgi?a=1&b=2", SJIS);
    insta::assert_snapshot!(page);
    assert!(!page.contains("<script>\""));
    assert!(page.contains("value=\"&lt;script&gt;&quot;&#39;&amp;\""));
    assert!(page.contains("action=\"https://gw.example/order.cgi?a=1&amp;b=2\""));
    // The page's own text is Shift_JIS, so the page can be sent in it.
    assert!(SJIS.encode(&page).is_ok());
}

#[test]
fn r_lp_5_html_form_declares_the_charset() {
    let valid = with_links("https://a.jp/", "戻る")
        .validate(UTF8)
        .expect("valid");
    let page = valid.render_html_form("https://gw.example/order.cgi");
    assert!(page.contains("<meta charset=\"UTF-8\">"));
    assert!(page.contains("accept-charset=\"UTF-8\""));
    assert!(page.contains("<input type=\"hidden\" name=\"success_str\" value=\"戻る\">"));
    // Absent fields get no input.
    assert!(!page.contains("name=\"email\""));
    assert_eq!(page.matches("type=\"hidden\"").count(), 9);
}
