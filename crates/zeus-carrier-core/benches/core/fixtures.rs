//! The inputs every benchmark uses: one order, one typical and one maximal
//! Link Point request, one CGI query, one Secure Link body. Each is checked
//! once when built (a benchmark of an error path would measure the wrong
//! thing).

use std::collections::HashMap;

use chrono::DateTime;
use zeus_carrier_core::callback::{Callback, CgiParam};
use zeus_carrier_core::link_point::{Field, OrderRequest};
use zeus_carrier_core::secure_link::Response;
use zeus_carrier_core::settle::{OrderFacts, SettleParams};
use zeus_carrier_core::{
    Carrier, Charset, Event, JstDateTime, Order, OrderDetails, PaymentMode, Status,
};

/// Everything the benchmarks read.
pub(crate) struct Fixtures {
    /// The instant every rule is evaluated at.
    pub(crate) now: JstDateTime,
    /// A docomo order just accepted (status 01, one history entry), as
    /// cloned: its history has no room (a clone's capacity is its length).
    pub(crate) accepted: Order,
    /// The order number and fields it was accepted with, to accept fresh
    /// ones ([`Fixtures::fresh`]).
    order_no: &'static str,
    details: OrderDetails,
    /// The event that moves it: the carrier approves (authorization mode).
    pub(crate) approve: Event,
    /// The facts of the same order once authorized (status 03).
    pub(crate) authorized: OrderFacts,
    /// A settle with every parameter defaulted (today's default date, the
    /// original amount).
    pub(crate) settle: SettleParams,
    /// A typical checkout: required fields, e-mail, sendid, one back link.
    pub(crate) typical: OrderRequest,
    /// Every field at its maximum size in Shift_JIS bytes, the text fields
    /// full-width (two bytes a character).
    pub(crate) maximal: OrderRequest,
    /// The Link Point form's action.
    pub(crate) action: &'static str,
    /// A CGI call carrying all eleven parameters, Shift_JIS, as the gateway
    /// sends it (the username percent-encoded).
    pub(crate) cgi_query: Vec<u8>,
    /// A Secure Link settle answer with a date.
    pub(crate) secure_link_body: Vec<u8>,
}

fn at(s: &str) -> JstDateTime {
    DateTime::parse_from_rfc3339(s).expect("fixture instant")
}

/// `n` copies of `s`.
fn rep(s: &str, n: usize) -> String {
    s.repeat(n)
}

impl Fixtures {
    pub(crate) fn new() -> Fixtures {
        let now = at("2026-01-10T10:00:00+09:00");
        let details = OrderDetails {
            clientip: "1234567890".into(),
            carrier: Carrier::Docomo,
            money: 1000,
            username: "ゼウステスト_12345678".into(),
            telno: "09012345678".into(),
            email: "shopper@example.invalid".into(),
            sendid: "A-1".into(),
            sendpoint: "p-1".into(),
            test: true,
        };
        let order_no = "20260110ABC.001-9";
        let accepted = Order::accept(order_no, details.clone(), now);
        let approve = Event::Approve {
            mode: PaymentMode::Authorization,
        };
        let mut authorized_order = accepted.clone();
        authorized_order.apply(&approve, now).expect("approve");
        let authorized = OrderFacts::from(&authorized_order);
        assert_eq!(authorized.status, Status::Authorized);

        let typical = OrderRequest::from_pairs([
            ("clientip", "1234567890"),
            ("money", "1000"),
            ("carrier_type", "D"),
            ("username", "ゼウステスト_12345678"),
            ("telno", "09012345678"),
            ("email", "shopper@example.invalid"),
            ("sendid", "A-1"),
            ("success_url", "https://shop.example.invalid/thanks"),
            ("success_str", "ショップへ戻る"),
        ]);
        // Every field at its maximum in Shift_JIS (D-3): katakana and the
        // link texts are two bytes a character.
        let maximal = OrderRequest::from_pairs([
            ("clientip", "1234567890".to_owned()),
            ("money", "100000".to_owned()),
            ("carrier_type", "S".to_owned()),
            ("username", format!("{}_123456789", rep("ゼ", 20))),
            ("telno", rep("0", 32)),
            ("email", format!("{}@example.invalid", rep("a", 34))),
            ("sendid", rep("A", 25)),
            ("sendpoint", rep("p", 50)),
            (
                "success_url",
                format!("https://shop.example.invalid/{}", rep("s", 227)),
            ),
            ("success_str", rep("戻", 128)),
            (
                "failure_url",
                format!("https://shop.example.invalid/{}", rep("f", 227)),
            ),
            ("failure_str", rep("ア", 128)),
        ]);
        for field in [
            Field::Username,
            Field::Email,
            Field::SuccessStr,
            Field::FailureUrl,
        ] {
            let len = Charset::ShiftJis
                .byte_len(maximal.get(field))
                .expect("encodable");
            assert_eq!(len, field.max_bytes(), "{field} is not at its maximum");
        }
        for req in [&typical, &maximal] {
            req.validate(Charset::ShiftJis)
                .expect("fixture requests are valid");
        }

        let cgi = Callback::for_order(&authorized_order, Status::Authorized, "-", &CgiParam::ALL);
        let cgi_query = cgi
            .to_query(Charset::ShiftJis)
            .expect("encodable")
            .into_bytes();
        assert!(Callback::parse_query(&cgi_query, Charset::ShiftJis).is_ok());

        let secure_link_body = b"result=Success_order&error_code=-&date=20260120".to_vec();
        assert!(Response::parse(&secure_link_body).is_ok());
        for body in [&cgi_query, &secure_link_body] {
            assert!(baseline_decode(body).is_ok());
        }

        Fixtures {
            now,
            accepted,
            order_no,
            details,
            approve,
            authorized,
            settle: SettleParams::default(),
            typical,
            maximal,
            action: "https://linkpt.example.invalid/cgi-bin/carrier/order.cgi",
            cgi_query,
            secure_link_body,
        }
    }
}

impl Fixtures {
    /// A new order made by `Order::accept`, as the sandbox makes one.
    pub(crate) fn fresh(&self) -> Order {
        Order::accept(self.order_no, self.details.clone(), self.now)
    }

    /// The accepted order with room in its history for later steps (as an
    /// order that has been applied to before, or made by `Order::accept`).
    pub(crate) fn with_room(&self) -> Order {
        let mut p = self.accepted.clone().into_parts();
        p.history.reserve(8);
        Order::from_parts(p).expect("the accepted order's parts")
    }
}

/// Validation's floor: every field of the request encoded to Shift_JIS
/// once with `encoding_rs` (`Encoding::encode`: borrowed when the value is
/// ASCII, a new buffer otherwise) — every character looked at once.
pub(crate) fn baseline_encode(req: &OrderRequest) -> usize {
    let mut n = 0;
    for field in <Field as strum::IntoEnumIterator>::iter() {
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(req.get(field));
        n += bytes.len() + usize::from(unmappable);
    }
    n
}

/// The parsers' baseline: only decode the same bytes into a map, with
/// `serde_urlencoded` (percent-decoding and UTF-8, no rules).
pub(crate) fn baseline_decode(
    raw: &[u8],
) -> Result<HashMap<String, String>, serde_urlencoded::de::Error> {
    serde_urlencoded::from_bytes(raw)
}
