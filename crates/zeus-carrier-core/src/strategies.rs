//! Proptest strategies for downstream regression suites (feature
//! `proptest`).
//!
//! Every strategy produces values the core itself would produce or accept:
//! orders are reached by applying allowed events from acceptance, so their
//! history and fields are consistent; valid order requests pass
//! [`OrderRequest::validate`]; callbacks and responses are rendered by the
//! core's own encoders. Arbitrary (possibly invalid) inputs are offered next
//! to them for parser robustness tests.
//!
//! ```
//! use proptest::prelude::*;
//! use zeus_carrier_core::strategies;
//! use zeus_carrier_core::Charset;
//!
//! proptest!(ProptestConfig::with_cases(32), |(order in strategies::order())| {
//!     // A merchant invariant: payout iff Completed or CompletedCancelFailed (R-ST-1).
//!     let paid = order.status().payout_eligible();
//!     prop_assert_eq!(paid, matches!(order.status().code(), "07" | "09"));
//! });
//! proptest!(ProptestConfig::with_cases(32), |(q in strategies::callback_query(Charset::ShiftJis))| {
//!     let parsed = zeus_carrier_core::callback::Callback::parse_query(q.as_bytes(), Charset::ShiftJis);
//!     prop_assert!(parsed.is_ok());
//! });
//! ```

use chrono::{DateTime, Duration, NaiveDate};
use proptest::prelude::*;
use proptest::sample::subsequence;

use crate::callback::{Callback, CgiParam};
use crate::carrier::Carrier;
use crate::charset::Charset;
use crate::link_point::OrderRequest;
use crate::order::{Event, Order, OrderDetails, PaymentMode};
use crate::secure_link::{Response, ResultKind};
use crate::status::Status;
use crate::time::{JstDateTime, to_jst};
use crate::transition::EventKind;

/// Any of the three carriers.
pub fn carrier() -> impl Strategy<Value = Carrier> {
    prop_oneof![
        Just(Carrier::Docomo),
        Just(Carrier::Au),
        Just(Carrier::SoftBank)
    ]
}

/// Any of the eleven statuses.
pub fn status() -> impl Strategy<Value = Status> {
    proptest::sample::select(<Status as strum::IntoEnumIterator>::iter().collect::<Vec<_>>())
}

/// Any event kind.
pub fn event_kind() -> impl Strategy<Value = EventKind> {
    proptest::sample::select(<EventKind as strum::IntoEnumIterator>::iter().collect::<Vec<_>>())
}

/// An instant in Japan time between 2020 and 2035, with extra weight on the
/// 23:55 settle cut-off and on midnight.
pub fn jst_datetime() -> impl Strategy<Value = JstDateTime> {
    let base = DateTime::parse_from_rfc3339("2020-01-01T00:00:00+09:00")
        .map(|t| to_jst(&t))
        .unwrap_or_default();
    (
        0i64..(15 * 365),
        prop_oneof![
            4 => 0i64..86_400,
            1 => Just(23 * 3600 + 54 * 60 + 59),
            1 => Just(23 * 3600 + 55 * 60),
            1 => Just(0),
        ],
    )
        .prop_map(move |(day, sec)| base + Duration::days(day) + Duration::seconds(sec))
}

/// Any event, with plausible data (dates within 60 days of 2026-01-01).
pub fn event() -> impl Strategy<Value = Event> {
    let date = (0i64..60)
        .prop_map(|d| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + Duration::days(d));
    prop_oneof![
        prop_oneof![
            Just(PaymentMode::Immediate),
            Just(PaymentMode::Authorization)
        ]
        .prop_map(|mode| Event::Approve { mode }),
        Just(Event::Decline),
        (1u32..=100_000).prop_map(|money| Event::SettleToday { money }),
        (date, 1u32..=100_000).prop_map(|(date, money)| Event::SettleFuture { date, money }),
        Just(Event::WithdrawReservation),
        Just(Event::SettleDateArrives),
        Just(Event::CarrierConfirmsSettle),
        Just(Event::CarrierRejectsSettle),
        Just(Event::CancelOk),
        Just(Event::CancelFail),
    ]
}

/// Half-width digits of a given length range.
fn digits(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::char::range('0', '9'), len)
        .prop_map(|v| v.into_iter().collect())
}

/// A katakana name of 1 to 10 characters.
fn katakana_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::char::range('ァ', 'ヶ'), 1..=10)
        .prop_map(|v| v.into_iter().collect())
}

/// Free-parameter text (sendid/sendpoint) within its symbol set (R-LP-2).
fn free_text(max: usize) -> impl Strategy<Value = String> {
    const CHARS: &str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !#$%()~|@:./*?_-";
    proptest::collection::vec(
        proptest::sample::select(CHARS.chars().collect::<Vec<_>>()),
        0..=max,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// The fields of an order the gateway accepted: always valid per R-LP.
pub fn order_details() -> impl Strategy<Value = OrderDetails> {
    (
        digits(10..=10),
        carrier(),
        katakana_name(),
        prop::option::of(digits(8..=8)),
        digits(10..=11),
        free_text(25),
        free_text(50),
    )
        .prop_flat_map(
            |(clientip, carrier, name, test_id, telno, sendid, sendpoint)| {
                (1..=carrier.max_amount()).prop_map(move |money| {
                    let test = test_id.is_some();
                    OrderDetails {
                        clientip: clientip.clone(),
                        carrier,
                        money,
                        username: match &test_id {
                            Some(id) => format!("{name}_{id}"),
                            None => name.clone(),
                        },
                        telno: telno.clone(),
                        email: String::new(),
                        sendid: sendid.clone(),
                        sendpoint: sendpoint.clone(),
                        test,
                    }
                })
            },
        )
}

/// An order reached from acceptance by up to 8 allowed events at
/// non-decreasing times (refused events are skipped), so its fields and
/// history are consistent with the transition table.
pub fn order() -> impl Strategy<Value = Order> {
    (
        "[A-Z0-9]{4}-[0-9]{6}",
        order_details(),
        jst_datetime(),
        proptest::collection::vec((event(), 0i64..(20 * 86_400)), 0..8),
    )
        .prop_map(|(no, details, t0, steps)| {
            let mut order = Order::accept(no, details, t0);
            let mut now = t0;
            for (event, dt) in steps {
                now += Duration::seconds(dt);
                let _refused_events_are_skipped = order.apply(&event, now);
            }
            order
        })
}

/// A Link Point order request that passes validation in both charsets.
pub fn valid_order_request() -> impl Strategy<Value = OrderRequest> {
    order_details().prop_map(|d| {
        OrderRequest::from_pairs([
            ("clientip", d.clientip.as_str()),
            ("money", d.money.to_string().as_str()),
            ("carrier_type", d.carrier.code()),
            ("username", d.username.as_str()),
            ("telno", d.telno.as_str()),
            ("sendid", d.sendid.as_str()),
            ("sendpoint", d.sendpoint.as_str()),
        ])
    })
}

/// A Link Point order request with arbitrary (usually invalid) values for
/// every field, for validation robustness tests.
pub fn order_request() -> impl Strategy<Value = OrderRequest> {
    proptest::collection::vec(".{0,60}", 12).prop_map(|values| {
        let names = [
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
            "failure_str",
        ];
        OrderRequest::from_pairs(names.into_iter().zip(values))
    })
}

/// A CGI callback the gateway would send for an order: any notified status,
/// any non-empty subset of the eleven parameters (R-CG).
pub fn callback() -> impl Strategy<Value = Callback> {
    (
        order(),
        status(),
        prop_oneof![Just("-"), Just("010010007"), Just("020020008")],
        subsequence(CgiParam::ALL.to_vec(), 1..=CgiParam::ALL.len()),
    )
        .prop_map(|(order, status, code, params)| {
            Callback::for_order(&order, status, code, &params)
        })
}

/// A callback query string as the gateway sends it, in `charset`.
pub fn callback_query(charset: Charset) -> impl Strategy<Value = String> {
    callback().prop_filter_map("encodable in the charset", move |cb| {
        cb.to_query(charset).ok()
    })
}

/// A Secure Link response the gateway could send.
pub fn response() -> impl Strategy<Value = Response> {
    let date =
        prop::option::of((0i64..400).prop_map(|d| {
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + Duration::days(d)
        }));
    let code = proptest::sample::select(
        crate::error_code::CATALOG
            .iter()
            .map(|e| e.code)
            .collect::<Vec<_>>(),
    );
    prop_oneof![
        date.prop_map(Response::success),
        (
            prop_oneof![
                Just(ResultKind::FailureOrder),
                Just(ResultKind::Maintenance),
                Just(ResultKind::Invalid)
            ],
            code
        )
            .prop_map(|(result, code)| Response {
                result,
                error_code: code.to_owned(),
                date: None,
            }),
    ]
}

/// A response body in any of its parameter orders (R-RS-1).
pub fn response_body() -> impl Strategy<Value = String> {
    (response(), 0usize..6).prop_map(|(r, variant)| r.render(variant))
}
