//! Settle rules R-SL-1..7, R-TR-1, R-TR-2, and the agreement between the
//! merchant's pre-check and the gateway's answer.

use super::*;
use crate::error_code::lookup;
use crate::order::{OrderDetails, OrderParts};
use crate::secure_link::ResultKind;
use crate::time::start_of_jst_day;
use chrono::{DateTime, TimeDelta};
use strum::IntoEnumIterator;

pub(crate) fn at(s: &str) -> JstDateTime {
    DateTime::parse_from_rfc3339(s).expect("test instant")
}

pub(crate) fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date")
}

/// `date` at `h:m:s` Japan time.
pub(crate) fn on(date: NaiveDate, h: i64, m: i64, s: i64) -> JstDateTime {
    start_of_jst_day(date) + TimeDelta::seconds(h * 3600 + m * 60 + s)
}

/// Every order in these tests is accepted at this instant ...
pub(crate) const ACCEPTED: &str = "2026-01-10T10:00:00+09:00";
/// ... so acceptance date + 50 days (D-7) is this date, counted by hand.
pub(crate) fn last_day() -> NaiveDate {
    ymd(2026, 3, 1)
}
/// Reservations are for this date; sales were confirmed at `SETTLED`.
pub(crate) fn reserved_for() -> NaiveDate {
    ymd(2026, 1, 25)
}
pub(crate) const SETTLED: &str = "2026-01-12T12:00:00+09:00";

pub(crate) const SETTLEABLE: [Status; 2] = [Status::Authorized, Status::SettleReserved];

pub(crate) fn order(status: Status, carrier: Carrier, original: u32) -> Order {
    let details = OrderDetails {
        clientip: "1234567890".into(),
        carrier,
        money: original,
        username: "ゼウステスト_12345678".into(),
        telno: "0312345678".into(),
        email: String::new(),
        sendid: String::new(),
        sendpoint: String::new(),
        test: true,
    };
    // A model of an order known from its facts: any status, no history.
    edit(Order::accept("ORD-1", details, at(ACCEPTED)), |o| {
        o.status = status;
        o.history.clear();
        if status == Status::SettleReserved {
            o.settle_date = Some(reserved_for());
        }
        if matches!(
            status,
            Status::Completed | Status::Cancelled | Status::CompletedCancelFailed
        ) {
            o.settled_at = Some(at(SETTLED));
        }
    })
}

/// `o` with its parts changed by `f`, rebuilt by [`Order::from_parts`].
pub(crate) fn edit(o: Order, f: impl FnOnce(&mut OrderParts)) -> Order {
    let mut p = o.into_parts();
    f(&mut p);
    Order::from_parts(p).expect("consistent parts")
}

pub(crate) fn facts(status: Status, carrier: Carrier, original: u32) -> OrderFacts {
    OrderFacts::from(&order(status, carrier, original))
}

fn sale(money: Option<u32>, date: Option<NaiveDate>) -> SettleParams {
    SettleParams {
        money,
        autype: None,
        date,
    }
}

fn code(r: Result<SettlePlan, Refusal>) -> Option<(&'static str, &'static str)> {
    r.err().map(|e| {
        assert_eq!(e.result(), ResultKind::FailureOrder);
        (e.code(), e.rule())
    })
}

#[test]
fn r_tr_1_settle_in_a_status_without_settle_is_refused_with_010010007() {
    let now = at("2026-01-15T10:00:00+09:00");
    for status in Status::iter().filter(|s| !SETTLEABLE.contains(s)) {
        for carrier in Carrier::iter() {
            for autype in [None, Some(Autype::Sale), Some(Autype::Auth)] {
                let p = SettleParams {
                    autype,
                    ..sale(None, None)
                };
                assert_eq!(
                    code(check_settle(&facts(status, carrier, 1000), &p, now)),
                    Some(("010010007", "R-TR-1")),
                    "{status} {carrier} {autype:?}"
                );
            }
        }
    }
}

#[test]
fn r_sl_1_past_date_is_refused_with_010010011() {
    let now = at("2026-01-15T00:00:00+09:00");
    for status in SETTLEABLE {
        for carrier in Carrier::iter() {
            let f = facts(status, carrier, 1000);
            assert_eq!(
                code(check_settle(&f, &sale(None, Some(ymd(2026, 1, 14))), now)),
                Some(("010010011", "R-SL-1"))
            );
            assert!(check_settle(&f, &sale(None, Some(ymd(2026, 1, 15))), now).is_ok());
        }
    }
}

#[test]
fn r_sl_1_date_on_day_50_is_accepted_and_day_51_is_refused_with_010010011() {
    let now = at("2026-01-20T09:00:00+09:00");
    for status in SETTLEABLE {
        for carrier in Carrier::iter() {
            let f = facts(status, carrier, 1000);
            assert_eq!(
                check_settle(&f, &sale(None, Some(last_day())), now),
                Ok(SettlePlan::Reserve {
                    date: last_day(),
                    money: 1000
                }),
                "{status} {carrier}"
            );
            let day_51 = last_day().succ_opt().expect("date");
            assert_eq!(
                code(check_settle(&f, &sale(None, Some(day_51)), now)),
                Some(("010010011", "R-SL-1")),
                "{status} {carrier}"
            );
        }
    }
}

#[test]
fn r_sl_2_future_date_reserves_and_today_settles_at_once() {
    let f = facts(Status::Authorized, Carrier::Docomo, 1000);
    let now = at("2026-01-15T12:00:00+09:00");
    assert_eq!(
        check_settle(&f, &sale(Some(700), Some(ymd(2026, 1, 16))), now),
        Ok(SettlePlan::Reserve {
            date: ymd(2026, 1, 16),
            money: 700
        })
    );
    assert_eq!(
        check_settle(&f, &sale(Some(700), Some(ymd(2026, 1, 15))), now),
        Ok(SettlePlan::Today {
            date: ymd(2026, 1, 15),
            money: 700
        })
    );
}

#[test]
fn r_sl_3_without_date_23_54_59_is_today_and_23_55_00_is_tomorrow() {
    let d = ymd(2026, 1, 15);
    let next = ymd(2026, 1, 16);
    for status in SETTLEABLE {
        for carrier in Carrier::iter() {
            let f = facts(status, carrier, 1000);
            let p = sale(None, None);
            assert_eq!(
                check_settle(&f, &p, on(d, 0, 0, 0)),
                Ok(SettlePlan::Today {
                    date: d,
                    money: 1000
                })
            );
            assert_eq!(
                check_settle(&f, &p, on(d, 23, 54, 59)),
                Ok(SettlePlan::Today {
                    date: d,
                    money: 1000
                })
            );
            assert_eq!(
                check_settle(&f, &p, on(d, 23, 55, 0)),
                Ok(SettlePlan::Reserve {
                    date: next,
                    money: 1000
                })
            );
            assert_eq!(
                check_settle(&f, &p, on(d, 23, 59, 59)),
                Ok(SettlePlan::Reserve {
                    date: next,
                    money: 1000
                })
            );
        }
    }
}

#[test]
fn r_sl_4_today_after_2355_is_refused_with_010010012() {
    let d = ymd(2026, 1, 15);
    for status in SETTLEABLE {
        for carrier in Carrier::iter() {
            let f = facts(status, carrier, 1000);
            let p = sale(None, Some(d));
            assert!(
                check_settle(&f, &p, on(d, 23, 54, 59)).is_ok(),
                "{status} {carrier}"
            );
            for (h, m, s) in [(23, 55, 0), (23, 57, 30), (23, 59, 59)] {
                assert_eq!(
                    code(check_settle(&f, &p, on(d, h, m, s))),
                    Some(("010010012", "R-SL-4")),
                    "{status} {carrier} {h}:{m}:{s}"
                );
            }
            // Tomorrow stays possible after the cutoff.
            let tomorrow = sale(None, Some(ymd(2026, 1, 16)));
            assert!(check_settle(&f, &tomorrow, on(d, 23, 55, 0)).is_ok());
        }
    }
}

#[test]
fn r_sl_5_docomo_and_au_above_original_or_zero_is_refused_with_010010014() {
    let now = at("2026-01-15T12:00:00+09:00");
    for carrier in [Carrier::Docomo, Carrier::Au] {
        for status in SETTLEABLE {
            let f = facts(status, carrier, 1000);
            for money in [1, 999, 1000] {
                assert!(
                    check_settle(&f, &sale(Some(money), None), now).is_ok(),
                    "{money}"
                );
            }
            for money in [0, 1001, 999_999] {
                assert_eq!(
                    code(check_settle(&f, &sale(Some(money), None), now)),
                    Some(("010010014", "R-SL-5")),
                    "{carrier} {money}"
                );
            }
        }
    }
}

#[test]
fn r_sl_5_softbank_other_than_original_is_refused_with_010010015() {
    let now = at("2026-01-15T12:00:00+09:00");
    for status in SETTLEABLE {
        let f = facts(status, Carrier::SoftBank, 1000);
        assert!(check_settle(&f, &sale(Some(1000), None), now).is_ok());
        assert!(check_settle(&f, &sale(None, None), now).is_ok());
        for money in [0, 1, 999, 1001] {
            assert_eq!(
                code(check_settle(&f, &sale(Some(money), None), now)),
                Some(("010010015", "R-SL-5")),
                "{money}"
            );
        }
    }
}

#[test]
fn r_sl_5_original_is_the_order_amount_not_a_reserved_one() {
    // Reserved at 700; a new settle may go back up to the original 1000.
    let o = edit(order(Status::SettleReserved, Carrier::Au, 1000), |o| {
        o.money = 700;
    });
    let now = at("2026-01-15T12:00:00+09:00");
    assert_eq!(
        check_settle(&OrderFacts::from(&o), &sale(None, None), now),
        Ok(SettlePlan::Today {
            date: ymd(2026, 1, 15),
            money: 1000
        })
    );
}

#[test]
fn r_sl_6_withdraw_only_from_reserved_before_its_date_else_010010010() {
    let auth = SettleParams {
        autype: Some(Autype::Auth),
        ..sale(None, None)
    };
    let eve = reserved_for().pred_opt().expect("date");
    for carrier in Carrier::iter() {
        let f = facts(Status::SettleReserved, carrier, 1000);
        assert_eq!(
            check_settle(&f, &auth, on(eve, 23, 59, 59)),
            Ok(SettlePlan::Withdraw)
        );
        assert_eq!(
            check_settle(&f, &auth, on(eve, 23, 55, 0)),
            Ok(SettlePlan::Withdraw)
        );
        assert_eq!(
            code(check_settle(&f, &auth, on(reserved_for(), 0, 0, 0))),
            Some(("010010010", "R-SL-6"))
        );
        let f = facts(Status::Authorized, carrier, 1000);
        assert_eq!(
            code(check_settle(&f, &auth, on(eve, 12, 0, 0))),
            Some(("010010010", "R-SL-6"))
        );
    }
}

/// The manual, L355: a response to a request without 売上指定日 carries
/// the reception date, or the next day from 23:55 — a withdrawal has none.
#[test]
fn r_sl_6_withdrawal_answer_carries_the_reception_date_as_l355_says() {
    let eve = reserved_for().pred_opt().expect("date");
    assert_eq!(SettlePlan::Withdraw.response_date(on(eve, 23, 54, 59)), eve);
    assert_eq!(
        SettlePlan::Withdraw.response_date(on(eve, 23, 55, 0)),
        reserved_for()
    );
    let plan = SettlePlan::Reserve {
        date: reserved_for(),
        money: 1000,
    };
    assert_eq!(plan.response_date(on(eve, 10, 0, 0)), reserved_for());
}

#[test]
fn r_sl_7_settle_on_day_50_is_accepted_and_day_51_is_refused_with_010010013() {
    for status in SETTLEABLE {
        for carrier in Carrier::iter() {
            let f = facts(status, carrier, 1000);
            assert_eq!(
                check_settle(&f, &sale(None, None), on(last_day(), 23, 54, 59)),
                Ok(SettlePlan::Today {
                    date: last_day(),
                    money: 1000
                }),
                "{status} {carrier}"
            );
            // 23:55 on day 50: the default date (day 51) is out of range.
            assert_eq!(
                code(check_settle(
                    &f,
                    &sale(None, None),
                    on(last_day(), 23, 55, 0)
                )),
                Some(("010010011", "R-SL-1"))
            );
            let day_51 = last_day().succ_opt().expect("date");
            for p in [
                sale(None, None),
                sale(None, Some(day_51)),
                sale(Some(5), None),
            ] {
                assert_eq!(
                    code(check_settle(&f, &p, on(day_51, 0, 0, 0))),
                    Some(("010010013", "R-SL-7")),
                    "{status} {carrier} {p:?}"
                );
            }
        }
    }
}

#[test]
fn rule_order_status_then_window_then_date_then_cutoff_then_amount() {
    let d = ymd(2026, 1, 15);
    let f = facts(Status::Authorized, Carrier::SoftBank, 1000);
    // Past date and wrong amount: the date wins.
    let r = check_settle(&f, &sale(Some(1), Some(ymd(2026, 1, 1))), on(d, 10, 0, 0));
    assert_eq!(code(r), Some(("010010011", "R-SL-1")));
    // Today after the cutoff and wrong amount: the cutoff wins.
    let r = check_settle(&f, &sale(Some(1), Some(d)), on(d, 23, 56, 0));
    assert_eq!(code(r), Some(("010010012", "R-SL-4")));
    // Completed with autype=auth: R-TR-1 before R-SL-6.
    let f = facts(Status::Completed, Carrier::Docomo, 1000);
    let p = SettleParams {
        autype: Some(Autype::Auth),
        ..sale(None, None)
    };
    assert_eq!(
        code(check_settle(&f, &p, on(d, 10, 0, 0))),
        Some(("010010007", "R-TR-1"))
    );
}

#[test]
fn r_tr_2_today_settle_answers_the_carrier_result_in_the_same_response() {
    let o = order(Status::Authorized, Carrier::Docomo, 1000);
    let now = at("2026-01-15T12:00:00+09:00");
    let ok = answer_settle(
        Some(&o),
        ZkeyCheck::Matches,
        &sale(None, None),
        CarrierResult::Succeeds,
        now,
    );
    assert_eq!(
        ok.response().render(0),
        "result=Success_order&error_code=-&date=20260115"
    );
    assert_eq!(
        ok.events(),
        [
            Event::SettleToday { money: 1000 },
            Event::CarrierConfirmsSettle
        ]
    );
    let ng = answer_settle(
        Some(&o),
        ZkeyCheck::Matches,
        &sale(None, None),
        CarrierResult::Fails,
        now,
    );
    assert_eq!(
        ng.response().render(0),
        "result=failure_order&error_code=010100034"
    );
    assert_eq!(
        ng.events(),
        [
            Event::SettleToday { money: 1000 },
            Event::CarrierRejectsSettle
        ]
    );
    let mut gw = o.clone();
    for e in ng.events() {
        gw.apply(e, now).expect("table allows it");
    }
    assert_eq!(gw.status(), Status::SettleFailed);
}

#[test]
fn unknown_order_is_010010001_and_wrong_zkey_is_010010000() {
    let now = at("2026-01-15T12:00:00+09:00");
    let o = order(Status::Authorized, Carrier::Au, 1000);
    let a = answer_settle(
        None,
        ZkeyCheck::Wrong,
        &sale(None, None),
        CarrierResult::Succeeds,
        now,
    );
    assert_eq!((a.code(), a.events().len()), ("010010001", 0));
    let a = answer_settle(
        Some(&o),
        ZkeyCheck::Wrong,
        &sale(None, None),
        CarrierResult::Succeeds,
        now,
    );
    assert_eq!((a.code(), a.events().len()), ("010010000", 0));
    assert_eq!(a.result(), ResultKind::FailureOrder);
}

#[test]
fn r_rs_3_merchant_applies_nothing_unless_the_gateway_said_so() {
    let plan = SettlePlan::Today {
        date: ymd(2026, 1, 15),
        money: 900,
    };
    for o in [
        Outcome::transport_failure("timeout"),
        Outcome::Failure {
            code: lookup("010010011"),
        },
        Outcome::Maintenance {
            code: lookup("020020008"),
        },
        Outcome::Invalid {
            code: lookup("00000002"),
        },
    ] {
        assert!(settle_events_for(&plan, &o).is_empty(), "{o:?}");
    }
    let reserve = SettlePlan::Reserve {
        date: ymd(2026, 1, 20),
        money: 900,
    };
    let carrier_fail = Outcome::Failure {
        code: lookup("010100034"),
    };
    assert!(settle_events_for(&reserve, &carrier_fail).is_empty());
    assert_eq!(
        settle_events_for(&plan, &carrier_fail),
        [
            Event::SettleToday { money: 900 },
            Event::CarrierRejectsSettle
        ]
    );
}

#[test]
fn r_sl_3_plan_for_today_answered_with_tomorrow_became_a_reservation() {
    // Checked at 23:54:59 without a date; the gateway received it at 23:55:00.
    let plan = SettlePlan::Today {
        date: ymd(2026, 1, 15),
        money: 900,
    };
    let o = Outcome::Success {
        date: Some(ymd(2026, 1, 16)),
    };
    assert_eq!(
        settle_events_for(&plan, &o),
        [Event::SettleFuture {
            date: ymd(2026, 1, 16),
            money: 900
        }]
    );
}

#[test]
fn r_sl_2_reservation_date_arrival_settles_through_05() {
    let t0 = at("2026-01-10T10:00:00+09:00");
    for (carrier, end) in [
        (CarrierResult::Succeeds, Status::Completed),
        (CarrierResult::Fails, Status::SettleFailed),
    ] {
        let mut o = order(Status::SettleReserved, Carrier::Docomo, 1000);
        let mut seen = Vec::new();
        for e in date_arrival_events(carrier) {
            seen.push(o.apply(&e, t0).expect("allowed"));
        }
        assert_eq!(seen, [Status::Settling, end]);
    }
}

#[test]
fn r_sl_settle_params_are_taken_from_the_request() {
    let req = SettleRequest {
        clientip: "1234567890".into(),
        order_no: "ORD-1".into(),
        zkey: crate::secure_link::Zkey::new("k"),
        money: Some(800),
        autype: Some(Autype::Auth),
        date: Some(ymd(2026, 1, 20)),
    };
    assert_eq!(
        SettleParams::from(&req),
        SettleParams {
            money: Some(800),
            autype: Some(Autype::Auth),
            date: Some(ymd(2026, 1, 20)),
        }
    );
}

#[test]
fn r_sl_4_settle_window_closes_at_2355_of_day_50() {
    let accepted = at("2026-01-01T10:00:00+09:00");
    let closes = settle_window_closes(&accepted);
    assert_eq!(closes, at("2026-02-20T23:55:00+09:00"));
    let f = OrderFacts {
        accepted_at: accepted,
        ..facts(Status::Authorized, Carrier::Docomo, 1000)
    };
    let today = sale(None, None);
    assert!(check_settle(&f, &today, closes - TimeDelta::seconds(1)).is_ok());
    assert!(check_settle(&f, &today, closes).is_err());
}
