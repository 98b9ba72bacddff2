//! Exhaustive tests of the merchant model over its finite inputs:
//! every (record status, notified set, withdrawal, reported status) for
//! notifications; every (record status, planned status, plan, outcome class)
//! for operations.

use chrono::{DateTime, NaiveDate};
use strum::IntoEnumIterator;

use super::*;
use crate::cancel::CancelPlan;
use crate::carrier::Carrier;
use crate::secure_link::{Outcome, UnknownReason};
use crate::settle::SettlePlan;
use crate::status::Status;
use crate::time::JstDateTime;
use crate::transition::TRANSITIONS;
use crate::values::{Money, OrderNo, SendId};

pub(super) fn at(s: &str) -> JstDateTime {
    DateTime::parse_from_rfc3339(s).expect("test instant")
}

pub(super) fn order_no(s: &str) -> OrderNo {
    OrderNo::parse(s).expect("order number")
}

pub(super) fn yen(n: u32) -> Money {
    Money::from_yen(n).expect("amount")
}

pub(super) fn sendid(s: &str) -> SendId {
    SendId::parse(s).expect("sendid")
}

/// A record in `status` with the given notified set and withdrawal.
pub(super) fn record(
    status: Status,
    notified: StatusSet,
    withdrawal: Withdrawal,
) -> MerchantRecord {
    MerchantRecord::from_parts(RecordParts {
        order_no: order_no("A1"),
        status,
        money: Some(yen(1000)),
        original_money: Some(yen(1000)),
        carrier: Some(Carrier::Docomo),
        clientip: None,
        sendid: Some(sendid("S-1")),
        sendpoint: None,
        first_seen_at: at("2026-01-10T10:00:00+09:00"),
        window_from: at("2026-01-10T10:00:00+09:00"),
        settle_date: None,
        settled_at: None,
        reconciliation: None,
        notified,
        withdrawal,
        in_flight: None,
        counters: Counters::default(),
    })
}

fn notice(status: Status) -> Notice {
    Notice::new(order_no("A1"), status, at("2026-01-11T10:00:00+09:00"))
}

fn total(c: Counters) -> u64 {
    c.notifications + c.duplicates + c.stale + c.flagged
}

/// Every subset of the eleven statuses.
fn all_sets() -> impl Iterator<Item = StatusSet> {
    (0..(1u16 << 11)).map(StatusSet::from_bits)
}

#[test]
fn r_cg_3_r_cg_4_every_notification_on_every_record() {
    let mut cases = 0u64;
    for current in Status::iter() {
        for notified in all_sets() {
            for withdrawal in [Withdrawal::None, Withdrawal::Requested] {
                let r = record(current, notified, withdrawal);
                for reported in Status::iter() {
                    let d = on_notification(Some(&r), None, &notice(reported));
                    let after = d.record.as_ref().expect("a record stays a record");
                    let withdrawn = current == Status::SettleReserved
                        && reported == Status::Authorized
                        && withdrawal == Withdrawal::Requested;
                    let expected = if withdrawn
                        || (reported != current
                            && !notified.contains(reported)
                            && is_ahead(current, reported))
                    {
                        NoticeEffect::Advanced {
                            from: current,
                            to: reported,
                        }
                    } else if reported == current || notified.contains(reported) {
                        NoticeEffect::Duplicate { status: current }
                    } else {
                        NoticeEffect::Stale { current, reported }
                    };
                    assert_eq!(
                        d.effect, expected,
                        "{current:?} {notified:?} {withdrawal:?} {reported:?}"
                    );
                    // Exactly one counter moves; the notified set gains the status.
                    assert_eq!(total(after.counters()), total(r.counters()) + 1);
                    assert!(after.notified().contains(reported));
                    // The record moves only to the reported status, and only
                    // forward or by the merchant's own withdrawal.
                    if after.status() != current {
                        assert_eq!(after.status(), reported);
                        assert!(is_ahead(current, reported) || withdrawn);
                        assert_eq!(
                            d.step.map(|s| (s.from, s.to)),
                            Some((Some(current), reported))
                        );
                    } else {
                        assert_eq!(d.step, None);
                    }
                    // D-2: nothing leaves a terminal status.
                    if current.is_terminal() {
                        assert_eq!(after.status(), current);
                    }
                    // A pending withdrawal survives only in 04.
                    if after.status() != Status::SettleReserved {
                        assert_eq!(after.withdrawal(), Withdrawal::None);
                    }
                    assert_eq!(d.claim, None);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 11 * 2048 * 2 * 11);
}

#[test]
fn r_cg_4_a_late_03_after_04_is_not_a_withdrawal() {
    let r = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let d = on_notification(Some(&r), None, &notice(Status::Authorized));
    assert_eq!(
        d.effect,
        NoticeEffect::Duplicate {
            status: Status::SettleReserved
        }
    );
    let r = record(Status::SettleReserved, StatusSet::EMPTY, Withdrawal::None);
    let d = on_notification(Some(&r), None, &notice(Status::Authorized));
    assert_eq!(
        d.effect,
        NoticeEffect::Stale {
            current: Status::SettleReserved,
            reported: Status::Authorized
        }
    );
}

#[test]
fn r_sl_6_the_merchants_own_withdrawal_moves_04_back_to_03() {
    let mut p = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::Requested,
    )
    .into_parts();
    p.settle_date = NaiveDate::from_ymd_opt(2026, 1, 20);
    p.money = Some(yen(800));
    let r = MerchantRecord::from_parts(p);
    let d = on_notification(Some(&r), None, &notice(Status::Authorized));
    let after = d.record.expect("record");
    assert_eq!(after.status(), Status::Authorized);
    assert_eq!(after.settle_date(), None);
    assert_eq!(after.money(), Some(yen(1000)));
    assert_eq!(after.withdrawal(), Withdrawal::None);
}

#[test]
fn r_cg_3_first_notification_creates_in_the_reported_status() {
    for s in Status::iter() {
        let mut n = notice(s);
        n.money = Some(yen(500));
        let d = on_notification(None, None, &n);
        let r = d.record.expect("created");
        assert_eq!(d.effect, NoticeEffect::Created { status: s });
        assert_eq!(r.status(), s);
        assert_eq!(r.counters(), Counters::new(1, 0, 0, 0));
        assert_eq!(r.notified(), StatusSet::EMPTY.with(s));
        assert_eq!(r.window_from(), n.received_at);
        assert_eq!(
            r.settled_at(),
            (s == Status::Completed).then_some(n.received_at)
        );
        assert_eq!(d.step.map(|st| (st.from, st.to)), Some((None, s)));
    }
}

fn checkout(carrier: Carrier, money: u32, used_by: Option<&str>) -> Checkout {
    let mut c = Checkout::new(
        sendid("S-1"),
        yen(money),
        carrier,
        at("2026-01-11T09:00:00+09:00"),
    );
    c.order_no = used_by.map(order_no);
    c
}

#[test]
fn d7_windows_count_from_the_first_notifications_receipt_not_the_checkout() {
    let c = checkout(Carrier::Docomo, 1000, None);
    let mut n = notice(Status::Authorized);
    n.sendid = Some(sendid("S-1"));
    let d = on_notification(None, Some(&c), &n);
    assert!(c.created_at < n.received_at);
    assert_eq!(d.record.expect("created").window_from(), n.received_at);
    assert_eq!(d.claim, Some(sendid("S-1")));
    // Without a checkout, or with another sendid's, the same.
    let d = on_notification(None, None, &n);
    assert_eq!(d.record.expect("created").window_from(), n.received_at);
    n.sendid = Some(sendid("S-2"));
    let d = on_notification(None, Some(&c), &n);
    assert_eq!(d.record.expect("created").window_from(), n.received_at);
    assert_eq!(d.claim, None);
}

#[test]
fn integrity_every_status_carrier_and_amount_against_the_checkout() {
    for ck in Carrier::iter() {
        let c = checkout(ck, 1000, None);
        for call in Carrier::iter() {
            for s in Status::iter() {
                for money in [1, 999, 1000, 1001] {
                    let mut n = notice(s);
                    n.sendid = Some(sendid("S-1"));
                    n.carrier = Some(call);
                    n.money = Some(yen(money));
                    for rec in [
                        None,
                        Some(record(
                            Status::Authorized,
                            StatusSet::EMPTY,
                            Withdrawal::None,
                        )),
                    ] {
                        let d = on_notification(rec.as_ref(), Some(&c), &n);
                        let payment = matches!(
                            s,
                            Status::Accepting | Status::PaymentFailed | Status::Authorized
                        );
                        let money_ok = if payment || !ck.may_change_amount() {
                            money == 1000
                        } else {
                            money <= 1000
                        };
                        let flagged = call != ck || !money_ok;
                        assert_eq!(
                            d.effect.kind() == EffectKind::Flagged,
                            flagged,
                            "{ck:?} {call:?} {s:?} {money}"
                        );
                        if flagged {
                            assert_eq!(d.step, None);
                            assert_eq!(d.claim, None);
                            match (&rec, &d.record) {
                                (None, None) => {}
                                (Some(before), Some(after)) => {
                                    assert_eq!(after.status(), before.status());
                                    assert_eq!(after.counters().flagged, 1);
                                    assert!(after.reconciliation().is_some());
                                }
                                other => panic!("flagged record mismatch {other:?}"),
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn one_checkout_one_order_a_replayed_sendid_is_flagged() {
    let c = checkout(Carrier::Docomo, 1000, Some("FIRST"));
    let mut n = notice(Status::Authorized);
    n.sendid = Some(sendid("S-1"));
    n.money = Some(yen(1000));
    let d = on_notification(None, Some(&c), &n);
    assert!(matches!(
        d.effect,
        NoticeEffect::Flagged {
            flag: Flag::CheckoutUsed { .. },
            current: None,
            ..
        }
    ));
    assert_eq!(d.record, None);
    // The order that used it may keep notifying.
    let c = checkout(Carrier::Docomo, 1000, Some("A1"));
    let d = on_notification(None, Some(&c), &n);
    assert_eq!(
        d.effect,
        NoticeEffect::Created {
            status: Status::Authorized
        }
    );
    assert_eq!(d.claim, None, "already bound to this order");
}

#[test]
fn flagging_keeps_the_first_reconciliation_reason() {
    let c = checkout(Carrier::Docomo, 1000, None);
    let r =
        record(Status::Authorized, StatusSet::EMPTY, Withdrawal::None).with_reconciliation("first");
    let mut n = notice(Status::Completed);
    n.sendid = Some(sendid("S-1"));
    n.carrier = Some(Carrier::Au);
    let d = on_notification(Some(&r), Some(&c), &n);
    assert_eq!(d.record.expect("record").reconciliation(), Some("first"));
}

/// Every plan the pre-checks can make, for a record in `status` (today is
/// 2026-01-12).
pub(super) fn plans(status: Status) -> Vec<Operation> {
    let day = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
    let later = NaiveDate::from_ymd_opt(2026, 1, 20).expect("date");
    let mut out = Vec::new();
    if matches!(status, Status::Authorized | Status::SettleReserved) {
        out.push(Operation::Settle(SettlePlan::Today {
            date: day,
            money: 900,
        }));
        out.push(Operation::Settle(SettlePlan::Reserve {
            date: later,
            money: 900,
        }));
        out.push(Operation::Cancel(CancelPlan::Authorization {
            deadline: at("2026-03-01T10:00:00+09:00"),
        }));
    }
    if status == Status::SettleReserved {
        out.push(Operation::Settle(SettlePlan::Withdraw));
    }
    if status == Status::Completed {
        out.push(Operation::Cancel(CancelPlan::Sale { deadline: None }));
    }
    out
}

/// One outcome of each class, with carrier codes that fail, codes that
/// leave the result open, and gateway refusals.
fn outcomes() -> Vec<Outcome> {
    let day = NaiveDate::from_ymd_opt(2026, 1, 12);
    let f = |c: &str| Outcome::Failure { code: c.to_owned() };
    vec![
        Outcome::Success { date: day },
        Outcome::Success {
            date: NaiveDate::from_ymd_opt(2026, 1, 13),
        },
        Outcome::Success { date: None },
        f("010100034"),
        f("010208451"),
        f("010100023"),
        f("010100036"),
        f("010100096"),
        f("010100021"),
        f("010010007"),
        f("010010013"),
        Outcome::Maintenance {
            code: "020020008".into(),
        },
        Outcome::Invalid {
            code: "00000002".into(),
        },
        Outcome::Unknown {
            reason: UnknownReason::Transport("timeout".into()),
        },
    ]
}

#[test]
fn r_rs_3_every_operation_outcome_on_every_record() {
    let when = at("2026-01-12T10:00:00+09:00");
    let mut cases = 0;
    for planned in Status::iter() {
        for op in plans(planned) {
            for outcome in outcomes() {
                for current in Status::iter() {
                    for withdrawal in [Withdrawal::None, Withdrawal::Requested] {
                        let r = record(current, StatusSet::EMPTY, withdrawal);
                        let report = OperationReport::new(op, planned, outcome.clone(), when);
                        let d = on_operation(&r, &report).expect("planned from its own status");
                        let open = reconcile_reason(&op, &outcome);
                        assert_eq!(d.reconcile, open);
                        if let Some(reason) = &open {
                            // Never a status change, always a mark.
                            assert!(d.steps.is_empty());
                            assert_eq!(d.record.status(), current);
                            assert_eq!(d.record.reconciliation(), Some(reason.as_str()));
                            let code = outcome.error_code();
                            assert!(
                                matches!(outcome, Outcome::Unknown { .. })
                                    || code.is_some_and(crate::error_code::reconcile_first)
                            );
                        }
                        // Each step is a row of the table, applied in a chain
                        // from the record's status, never backwards except the
                        // withdrawal itself.
                        let mut s = current;
                        for st in &d.steps {
                            assert_eq!(st.from, Some(s));
                            let row = TRANSITIONS.iter().any(|t| t.from == s && t.to == st.to);
                            assert!(row || is_ahead(s, st.to), "{s:?} → {:?}", st.to);
                            s = st.to;
                        }
                        assert_eq!(d.record.status(), s);
                        // Success of a cancel, or a carrier failure of a
                        // cancel, ends in the cancel's statuses when planned
                        // from the record's own status.
                        if current == planned && open.is_none() {
                            let moved = !d.steps.is_empty();
                            let success = outcome.is_success();
                            let carrier_fail = matches!(&outcome, Outcome::Failure { code } if crate::secure_link::is_carrier_code(code));
                            match op {
                                Operation::Cancel(_) => assert_eq!(moved, success || carrier_fail),
                                Operation::Settle(SettlePlan::Today { .. }) => {
                                    assert_eq!(moved, success || carrier_fail)
                                }
                                Operation::Settle(_) => assert_eq!(moved, success),
                            }
                        }
                        if d.record.status() != Status::SettleReserved {
                            assert_eq!(d.record.withdrawal(), Withdrawal::None);
                        }
                        cases += 1;
                    }
                }
            }
        }
    }
    assert!(cases > 1000, "{cases}");
}

#[test]
fn r_rs_3_already_settled_codes_never_move_a_settle_to_06() {
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let day = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
    for code in ["010100023", "010100036", "010100096"] {
        let report = OperationReport::new(
            Operation::Settle(SettlePlan::Today {
                date: day,
                money: 1000,
            }),
            Status::Authorized,
            Outcome::Failure { code: code.into() },
            at("2026-01-12T10:00:00+09:00"),
        );
        let d = on_operation(&r, &report).expect("applies");
        assert_eq!(d.record.status(), Status::Authorized, "{code}");
        assert!(d.record.reconciliation().is_some_and(|m| m.contains(code)));
        // The gateway's later CGI 07 (paid) then advances the record.
        let n = Notice::new(
            order_no("A1"),
            Status::Completed,
            at("2026-01-12T10:01:00+09:00"),
        );
        let after = on_notification(Some(&d.record), None, &n);
        assert_eq!(after.record.expect("record").status(), Status::Completed);
    }
}

#[test]
fn r_sl_6_an_unknown_withdrawal_lets_the_gateways_03_move_the_record_back() {
    let r = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let report = OperationReport::new(
        Operation::Settle(SettlePlan::Withdraw),
        Status::SettleReserved,
        Outcome::Unknown {
            reason: UnknownReason::Transport("timeout".into()),
        },
        at("2026-01-12T10:00:00+09:00"),
    );
    let d = on_operation(&r, &report).expect("applies");
    assert_eq!(d.record.withdrawal(), Withdrawal::Requested);
    let n = Notice::new(
        order_no("A1"),
        Status::Authorized,
        at("2026-01-12T10:01:00+09:00"),
    );
    let after = on_notification(Some(&d.record), None, &n)
        .record
        .expect("record");
    assert_eq!(after.status(), Status::Authorized);
}

#[test]
fn r_tr_2_settle_today_confirmed_records_amount_date_and_settle_time() {
    let r = record(Status::Authorized, StatusSet::EMPTY, Withdrawal::None);
    let day = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
    let when = at("2026-01-12T10:00:00+09:00");
    let report = OperationReport::new(
        Operation::Settle(SettlePlan::Today {
            date: day,
            money: 800,
        }),
        Status::Authorized,
        Outcome::Success { date: Some(day) },
        when,
    );
    let d = on_operation(&r, &report).expect("applies");
    let steps: Vec<_> = d.steps.iter().map(|s| (s.from, s.to)).collect();
    assert_eq!(
        steps,
        [
            (Some(Status::Authorized), Status::Settling),
            (Some(Status::Settling), Status::Completed)
        ]
    );
    assert_eq!(d.record.money(), Some(yen(800)));
    assert_eq!(d.record.settle_date(), Some(day));
    assert_eq!(d.record.settled_at(), Some(when));
    // Recorded after a CGI 07 already moved the record: no steps, the
    // operation's facts are still taken.
    let moved = record(
        Status::Completed,
        StatusSet::EMPTY.with(Status::Completed),
        Withdrawal::None,
    );
    let d = on_operation(&moved, &report).expect("applies");
    assert!(d.steps.is_empty());
    assert_eq!(d.record.money(), Some(yen(800)));
}

#[test]
fn operation_planned_for_another_status_is_an_error() {
    let r = record(Status::Authorized, StatusSet::EMPTY, Withdrawal::None);
    let report = OperationReport::new(
        Operation::Settle(SettlePlan::Withdraw),
        Status::Authorized,
        Outcome::Success { date: None },
        at("2026-01-12T10:00:00+09:00"),
    );
    assert!(matches!(
        on_operation(&r, &report),
        Err(OperationError::Transition(_))
    ));
}

#[test]
fn d7_windows_and_deadlines_per_status() {
    for s in Status::iter() {
        let r = record(s, StatusSet::EMPTY, Withdrawal::None);
        let w = r.windows();
        assert_eq!(w.settle_closes.is_some(), s == Status::Authorized, "{s:?}");
        assert_eq!(
            w.cancel_closes.is_some(),
            matches!(
                s,
                Status::Authorized | Status::SettleReserved | Status::Completed
            ),
            "{s:?}"
        );
    }
    let r = record(Status::Authorized, StatusSet::EMPTY, Withdrawal::None);
    assert_eq!(
        r.windows().settle_closes,
        Some(at("2026-03-01T23:55:00+09:00"))
    );
    assert_eq!(
        r.windows().cancel_closes,
        Some(at("2026-03-01T10:00:00+09:00"))
    );
    let now = at("2026-02-28T00:00:00+09:00");
    let kinds: Vec<_> = r
        .deadlines(now, at("2026-03-02T00:00:00+09:00"))
        .iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds, [DeadlineKind::Settle, DeadlineKind::Cancel]);
    assert!(r.deadlines(now, at("2026-03-01T09:59:59+09:00")).is_empty());
    assert!(
        r.deadlines(
            at("2026-03-02T00:00:00+09:00"),
            at("2027-01-01T00:00:00+09:00")
        )
        .is_empty()
    );
    let marked = r.with_reconciliation("why");
    let list = marked.deadlines(
        at("2027-01-01T00:00:00+09:00"),
        at("2027-01-02T00:00:00+09:00"),
    );
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(list[0].reason.as_deref(), Some("why"));
}

#[test]
fn facts_take_the_checkout_over_the_record() {
    let r = record(Status::Authorized, StatusSet::EMPTY, Withdrawal::None);
    let c = checkout(Carrier::Docomo, 1200, None);
    let f = r.facts(Some(&c)).expect("facts");
    assert_eq!(f.original_money, 1200);
    let f = r.facts(None).expect("facts");
    assert_eq!(f.original_money, 1000);
    let mut p = r.into_parts();
    p.carrier = None;
    p.original_money = None;
    let bare = MerchantRecord::from_parts(p);
    assert_eq!(bare.facts(None), Err(MissingFact::Carrier));
    assert_eq!(bare.facts(Some(&c)).map(|f| f.carrier), Ok(Carrier::Docomo));
}

#[test]
fn is_ahead_is_the_table_without_the_withdrawal() {
    assert!(!is_ahead(Status::SettleReserved, Status::Authorized));
    assert!(is_ahead(Status::Authorized, Status::Completed));
    assert!(is_ahead(Status::SettleReserved, Status::Completed));
    for s in Status::iter() {
        for t in Status::iter() {
            if s != t
                && crate::transition::is_forward(s, t)
                && !(s == Status::SettleReserved && t == Status::Authorized)
            {
                assert!(is_ahead(s, t), "{s:?} {t:?}");
            }
            if is_ahead(s, t) {
                assert!(crate::transition::is_forward(s, t));
            }
        }
    }
}

#[test]
fn notice_from_callback_requires_order_no_and_status_and_checks_values() {
    use crate::callback::Callback;
    let received = at("2026-01-11T10:00:00+09:00");
    let cb = Callback::default();
    assert!(matches!(
        Notice::from_callback(&cb, received),
        Err(NoticeError::Missing { .. })
    ));
    let mut cb = Callback {
        order_no: Some(order_no("A1")),
        status: Some(Status::Authorized),
        money: Some(0),
        ..Callback::default()
    };
    assert!(matches!(
        Notice::from_callback(&cb, received),
        Err(NoticeError::Value(_))
    ));
    cb.money = Some(1000);
    cb.sendid = Some(String::new());
    let n = Notice::from_callback(&cb, received).expect("notice");
    assert_eq!(n.sendid, None);
    assert_eq!(n.money, Some(yen(1000)));
}

#[test]
fn r_rs_3_an_operation_in_flight_is_listed_until_its_outcome_is_recorded() {
    let r = record(Status::Authorized, StatusSet::EMPTY, Withdrawal::None)
        .begin_operation("cancel", at("2026-01-12T10:00:00+09:00"));
    let far = at("2030-01-01T00:00:00+09:00");
    let list = r.deadlines(far, far);
    assert_eq!(list.len(), 1);
    assert!(
        list[0]
            .reason
            .as_deref()
            .is_some_and(|m| m.starts_with("cancel sent at 2026-01-12T10:00:00+09:00"))
    );
    let report = OperationReport::new(
        Operation::Cancel(CancelPlan::Authorization { deadline: far }),
        Status::Authorized,
        Outcome::Success { date: None },
        at("2026-01-12T10:00:01+09:00"),
    );
    let d = on_operation(&r, &report).expect("applies");
    assert_eq!(d.record.in_flight(), None);
    assert!(d.record.deadlines(far, far).is_empty());
}

// --- D-7: the merchant's windows against the gateway's, minute by minute.

use crate::cancel::check_cancel;
use crate::order::{Event, Order, OrderDetails, PaymentMode};
use crate::secure_link::Refusal;
use crate::settle::{OrderFacts, SettleParams, check_settle};
use crate::time::{jst_date, last_settle_date};

/// The gateway's order: accepted into 01 five minutes before `g`, and
/// its acceptance completed (01 → 03, or 01 → 07 immediately) at `g`.
fn gateway_order(g: JstDateTime, mode: PaymentMode) -> Order {
    let details = OrderDetails {
        clientip: "1234567890".into(),
        carrier: Carrier::Docomo,
        money: 1000,
        username: "テスト_12345678".into(),
        telno: "0312345678".into(),
        email: String::new(),
        sendid: String::new(),
        sendpoint: String::new(),
        test: true,
    };
    let mut o = Order::accept("A1", details, g - chrono::TimeDelta::minutes(5));
    o.apply(&Event::Approve { mode }, g).expect("approve");
    o
}

/// The merchant's facts after its first notification of `status` arrived
/// at `r`.
fn merchant_facts(status: Status, r: JstDateTime) -> OrderFacts {
    let mut n = Notice::new(order_no("A1"), status, r);
    n.money = Some(yen(1000));
    n.carrier = Some(Carrier::Docomo);
    let d = on_notification(None, None, &n);
    d.record.expect("created").facts(None).expect("facts")
}

/// Every minute from `from` to `to`, inclusive.
fn minutes(from: JstDateTime, to: JstDateTime) -> impl Iterator<Item = JstDateTime> {
    let n = (to - from).num_minutes();
    (0..=n).map(move |i| from + chrono::TimeDelta::minutes(i))
}

/// Checks one decision of both sides: the merchant never refuses what the
/// gateway accepts; with no delivery delay they agree exactly.
fn compare<T: PartialEq + std::fmt::Debug>(
    what: &str,
    gateway: Result<T, Refusal>,
    merchant: Result<T, Refusal>,
    exact: bool,
) {
    if exact {
        assert_eq!(
            gateway.as_ref().map_err(Refusal::code),
            merchant.as_ref().map_err(Refusal::code),
            "{what}"
        );
    }
    if let Err(refused) = &merchant {
        assert!(
            gateway.is_err(),
            "{what}: the merchant refused {} what the gateway accepts",
            refused.code()
        );
    }
}

/// The first-notification delays tried: none, a minute, past midnight, a
/// whole day (a lost first call resent by hand).
const DELAYS_MIN: [i64; 4] = [0, 1, 130, 24 * 60];

/// The completion instants tried: mid-day, a minute before midnight, and
/// 23:56 (the settle cutoff lies between G and a 1-minute-later R on the
/// last day only for these).
const COMPLETED_AT: [&str; 3] = [
    "2026-01-10T10:00:00+09:00",
    "2026-01-10T23:59:00+09:00",
    "2026-01-10T23:54:30+09:00",
];

#[test]
fn d7_r_sl_1_r_sl_7_settle_windows_minute_by_minute_merchant_never_refuses_what_the_gateway_accepts()
 {
    let mut cases = 0u64;
    for g in COMPLETED_AT.map(at) {
        let gateway = OrderFacts::from(&gateway_order(g, PaymentMode::Authorization));
        assert_eq!(gateway.accepted_at, g, "the gateway counts from 受付完了");
        for delay in DELAYS_MIN {
            let r = g + chrono::TimeDelta::minutes(delay);
            let merchant = merchant_facts(Status::Authorized, r);
            assert_eq!(merchant.accepted_at, r);
            // Around the last day of both windows: its 23:55 cutoff and
            // the next day's start.
            let first =
                crate::time::start_of_jst_day(last_settle_date(&g)) + chrono::TimeDelta::hours(23);
            let last = crate::time::start_of_jst_day(last_settle_date(&r))
                + chrono::TimeDelta::hours(24 + 1);
            for now in minutes(first, last) {
                let today = jst_date(&now);
                let dates = [
                    None,
                    Some(today),
                    today.succ_opt(),
                    Some(last_settle_date(&g)),
                    Some(last_settle_date(&r)),
                    last_settle_date(&r).succ_opt(),
                ];
                for date in dates {
                    let params = SettleParams {
                        date,
                        ..SettleParams::default()
                    };
                    compare(
                        &format!("settle G={g} R={r} now={now} date={date:?}"),
                        check_settle(&gateway, &params, now),
                        check_settle(&merchant, &params, now),
                        delay == 0,
                    );
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 10_000, "{cases}");
}

#[test]
fn d7_r_cn_1_cancel_windows_minute_by_minute_merchant_never_refuses_what_the_gateway_accepts() {
    let window = crate::time::CANCEL_WINDOW;
    for g in COMPLETED_AT.map(at) {
        for (mode, status) in [
            (PaymentMode::Authorization, Status::Authorized),
            // Immediate sale: 受付完了 and 売上確定 are one moment.
            (PaymentMode::Immediate, Status::Completed),
        ] {
            let order = gateway_order(g, mode);
            assert_eq!(order.status(), status);
            let gateway = OrderFacts::from(&order);
            for delay in DELAYS_MIN {
                let r = g + chrono::TimeDelta::minutes(delay);
                let merchant = merchant_facts(status, r);
                let edge = g + window;
                let mut gateway_ok_at_edge = false;
                for now in minutes(
                    edge - chrono::TimeDelta::minutes(10),
                    r + window + chrono::TimeDelta::minutes(10),
                ) {
                    let gw = check_cancel(&gateway, now);
                    if now == edge {
                        gateway_ok_at_edge = gw.is_ok();
                    }
                    // The gateway's window: open through G + 50 × 24 h
                    // inclusive, closed from the next minute (010010113).
                    assert_eq!(gw.is_ok(), now <= edge, "G={g} now={now}");
                    if let Err(e) = &gw {
                        assert_eq!(e.code(), "010010113");
                    }
                    let mc = check_cancel(&merchant, now);
                    assert_eq!(mc.is_ok(), now <= r + window, "R={r} now={now}");
                    compare(
                        &format!("cancel {status} G={g} R={r} now={now}"),
                        gw,
                        mc,
                        delay == 0,
                    );
                }
                assert!(gateway_ok_at_edge, "inclusive at the last instant");
            }
        }
    }
}

#[test]
fn d7_the_gateway_counts_from_acceptance_completed_not_from_01() {
    // Accepted into 01 at 23:58 on the 10th, completed (03) at 00:03 on the
    // 11th: the last settle date is the 11th + 50, not the 10th + 50.
    let g = at("2026-01-11T00:03:00+09:00");
    let o = gateway_order(g, PaymentMode::Authorization);
    assert_eq!(
        jst_date(&o.accepted_at()),
        jst_date(&at("2026-01-10T12:00:00+09:00"))
    );
    let f = OrderFacts::from(&o);
    assert_eq!(
        last_settle_date(&f.accepted_at),
        NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")
    );
    let now = at("2026-03-02T10:00:00+09:00");
    assert!(check_settle(&f, &SettleParams::default(), now).is_ok());
    // A model rebuilt from parts stored without the field reads it from
    // the history.
    let mut parts = o.clone().into_parts();
    parts.acceptance_completed_at = None;
    let rebuilt = Order::from_parts(parts).expect("parts");
    assert_eq!(rebuilt.acceptance_completed_at(), Some(g));
}
