//! Exhaustive tests of the merchant model over its finite inputs:
//! every (record status, notified set, withdrawal, reported status) for
//! notifications; every (record status, planned status, plan, outcome class)
//! for operations.

use chrono::{DateTime, NaiveDate};
use strum::IntoEnumIterator;

use super::*;
use crate::cancel::CancelPlan;
use crate::carrier::Carrier;
use crate::error_code::lookup;
use crate::secure_link::{Outcome, UnknownReason};
use crate::settle::SettlePlan;
use crate::status::Status;
use crate::time::JstDateTime;
use crate::transition::TRANSITIONS;
use crate::values::{ClientIp, Money, OrderNo, SendId};

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
    .expect("valid parts")
}

fn notice(status: Status) -> Notice {
    Notice::new(order_no("A1"), status, at("2026-01-11T10:00:00+09:00"))
}

fn total(c: Counters) -> u64 {
    c.notifications + c.duplicates + c.stale + c.flagged
}

/// Every non-empty subset of the eleven statuses (a record exists only
/// once a notification created it, so its notified set is never empty).
fn all_sets() -> impl Iterator<Item = StatusSet> {
    (1..(1u16 << 11)).map(StatusSet::from_bits)
}

/// The withdrawals a record in `status` can have pending: only a
/// reservation (04) can be withdrawn (R-SL-6).
fn withdrawals(status: Status) -> &'static [Withdrawal] {
    if status == Status::SettleReserved {
        &[Withdrawal::None, Withdrawal::Requested]
    } else {
        &[Withdrawal::None]
    }
}

/// The record after notification `n` had `effect` on `before`, spelled
/// field by field (R-CG-3, R-CG-4, R-SL-6): a duplicate or a stale call
/// moves only its counter; an advance takes the reported status, counts a
/// notification, fills the fields the record did not know (the call's
/// amount replaces the current one), resets the reservation on the
/// merchant's own withdrawal, and takes the receipt as the settle time
/// when it first reaches 07; the notified set always gains the status, and
/// a withdrawal stays pending only in 04.
fn expected_after_notice(before: &RecordParts, n: &Notice, effect: EffectKind) -> RecordParts {
    let mut e = before.clone();
    match effect {
        EffectKind::Advance => {
            if before.status == Status::SettleReserved && n.status == Status::Authorized {
                e.settle_date = None;
                e.money = e.original_money;
            }
            e.status = n.status;
            e.counters.notifications += 1;
            if n.money.is_some() {
                e.money = n.money;
            }
            if e.original_money.is_none() {
                e.original_money = n.money;
            }
            if e.carrier.is_none() {
                e.carrier = n.carrier;
            }
            if e.clientip.is_none() {
                e.clientip = n.clientip.clone();
            }
            if e.sendid.is_none() {
                e.sendid = n.sendid.clone();
            }
            if e.sendpoint.is_none() {
                e.sendpoint = n.sendpoint.clone();
            }
            if n.status == Status::Completed && e.settled_at.is_none() {
                e.settled_at = Some(n.received_at);
            }
        }
        EffectKind::Duplicate => e.counters.duplicates += 1,
        EffectKind::Stale => e.counters.stale += 1,
        EffectKind::Create | EffectKind::Flagged => unreachable!("not on a record: {effect:?}"),
    }
    e.notified = e.notified.with(n.status);
    if e.status != Status::SettleReserved {
        e.withdrawal = Withdrawal::None;
    }
    e
}

/// A record in `status` that knows everything but its settle time, with a
/// lowered amount (800 of 1000) and a reserved date, so that every change
/// to a field shows.
fn full_record(status: Status, notified: StatusSet, withdrawal: Withdrawal) -> MerchantRecord {
    let mut p = record(status, notified, withdrawal).into_parts();
    p.money = Some(yen(800));
    p.settle_date = NaiveDate::from_ymd_opt(2026, 1, 20);
    p.clientip = Some(ClientIp::parse("1234567890").expect("clientip"));
    p.sendpoint = Some("point-1".to_owned());
    p.counters = Counters::new(3, 5, 7, 11);
    MerchantRecord::from_parts(p).expect("valid parts")
}

/// A record that knows only its status: no amount, carrier, clientip,
/// sendid or sendpoint.
fn bare_record(status: Status, notified: StatusSet, withdrawal: Withdrawal) -> MerchantRecord {
    let mut p = record(status, notified, withdrawal).into_parts();
    p.money = None;
    p.original_money = None;
    p.carrier = None;
    p.sendid = None;
    MerchantRecord::from_parts(p).expect("valid parts")
}

/// A notification of `status` carrying every optional parameter.
fn full_notice(status: Status) -> Notice {
    let mut n = notice(status);
    n.money = Some(yen(900));
    n.carrier = Some(Carrier::Au);
    n.clientip = Some(ClientIp::parse("9876543210").expect("clientip"));
    n.sendid = Some(sendid("S-9"));
    n.sendpoint = Some("point-9".to_owned());
    n
}

/// R-CG-3, R-CG-4, R-SL-6, D-2: for every record status × every non-empty
/// set of already-notified statuses × pending withdrawal (04 only) × every
/// reported status, the effect is advance / duplicate / stale exactly as
/// the rules say, and the WHOLE record after it is the one
/// [`expected_after_notice`] spells out (status, amounts, settle date and
/// time, counters, notified set, withdrawal, …); the step is the move, if
/// any; the record moves only to the reported status, only forward or by
/// the merchant's own withdrawal, and never leaves a terminal status.
#[test]
fn r_cg_3_r_cg_4_every_notification_on_every_record() {
    let mut cases = 0u64;
    for current in Status::iter() {
        for notified in all_sets() {
            for &withdrawal in withdrawals(current) {
                let r = full_record(current, notified, withdrawal);
                for reported in Status::iter() {
                    let n = notice(reported);
                    let d = on_notification(Some(&r), None, &n, UnknownSendId::Apply);
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
                    let what = format!("{current:?} {notified:?} {withdrawal:?} {reported:?}");
                    assert_eq!(d.effect, expected, "{what}");
                    assert_eq!(
                        after.parts(),
                        &expected_after_notice(r.parts(), &n, expected.kind()),
                        "{what}"
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
                            d.step,
                            Some(Step {
                                from: Some(current),
                                to: reported,
                                at: n.received_at
                            })
                        );
                    } else {
                        assert_eq!(d.step, None);
                    }
                    // D-2: nothing leaves a terminal status.
                    if current.is_terminal() {
                        assert_eq!(after.status(), current);
                    }
                    assert_eq!(d.claim, None);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, (11 + 1) * 2047 * 11);
}

/// R-CG-4, R-SL-6: what an applied notification fills in, for every record
/// status × reported status × pending withdrawal (04 only) × a record that
/// knows everything or only its status × a call that carries every
/// parameter or none, with and without a settle time: the WHOLE record
/// after it is the one [`expected_after_notice`] spells out. In particular
/// the settle time is taken only by the first move to 07, and only the
/// merchant's own withdrawal (04 → 03) resets the amount and the date.
#[test]
fn r_cg_4_r_sl_6_an_applied_notification_fills_what_the_record_did_not_know() {
    let mut advanced = 0;
    let settled = at("2026-01-10T12:00:00+09:00");
    for current in Status::iter() {
        for reported in Status::iter() {
            for &withdrawal in withdrawals(current) {
                let seen = StatusSet::EMPTY.with(current);
                for r in [
                    full_record(current, seen, withdrawal),
                    bare_record(current, seen, withdrawal),
                ] {
                    for settled_at in [None, Some(settled)] {
                        let mut p = r.clone().into_parts();
                        p.settled_at = settled_at;
                        let r = MerchantRecord::from_parts(p).expect("valid parts");
                        for n in [notice(reported), full_notice(reported)] {
                            let d = on_notification(Some(&r), None, &n, UnknownSendId::Apply);
                            let after = d.record.expect("a record stays a record");
                            assert_eq!(
                                after.parts(),
                                &expected_after_notice(r.parts(), &n, d.effect.kind()),
                                "{current:?} {reported:?} {withdrawal:?} {r:?} {n:?}"
                            );
                            advanced += u32::from(d.effect.kind() == EffectKind::Advance);
                        }
                    }
                }
            }
        }
    }
    assert!(advanced > 100, "{advanced}");
}

#[test]
fn r_cg_4_a_late_03_after_04_is_not_a_withdrawal() {
    let r = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let d = on_notification(
        Some(&r),
        None,
        &notice(Status::Authorized),
        UnknownSendId::Apply,
    );
    assert_eq!(
        d.effect,
        NoticeEffect::Duplicate {
            status: Status::SettleReserved
        }
    );
    let r = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::SettleReserved),
        Withdrawal::None,
    );
    let d = on_notification(
        Some(&r),
        None,
        &notice(Status::Authorized),
        UnknownSendId::Apply,
    );
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
    let r = MerchantRecord::from_parts(p).expect("valid parts");
    let d = on_notification(
        Some(&r),
        None,
        &notice(Status::Authorized),
        UnknownSendId::Apply,
    );
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
        let d = on_notification(None, None, &n, UnknownSendId::Apply);
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
    for policy in UnknownSendId::iter() {
        let d = on_notification(None, Some(&c), &n, policy);
        assert!(c.created_at < n.received_at);
        assert_eq!(d.record.expect("created").window_from(), n.received_at);
        assert_eq!(d.claim, Some(sendid("S-1")));
    }
    // Without a checkout, or with another sendid's, the same when such calls
    // are applied (INTERFACES v3 §3 `--unknown-sendid apply`).
    let d = on_notification(None, None, &n, UnknownSendId::Apply);
    assert_eq!(d.record.expect("created").window_from(), n.received_at);
    n.sendid = Some(sendid("S-2"));
    let d = on_notification(None, Some(&c), &n, UnknownSendId::Apply);
    assert_eq!(d.record.expect("created").window_from(), n.received_at);
    assert_eq!(d.claim, None);
}

/// The records the integrity tests try: none, and a record in a few
/// statuses with no amount, the ordered amount or a lower amount this
/// merchant settled, each with no operation in flight, a settle of 700 yen
/// in flight, a settle of the current amount in flight, or a cancel.
fn integrity_records() -> Vec<Option<MerchantRecord>> {
    let mut out = vec![None];
    let since = at("2026-01-11T09:30:00+09:00");
    for status in [
        Status::Authorized,
        Status::SettleReserved,
        Status::Completed,
        Status::Cancelled,
    ] {
        for money in [None, Some(1000), Some(800)] {
            for mark in [
                None,
                Some(InFlight::new(OperationKind::Settle, Some(yen(700)), since)),
                Some(InFlight::new(OperationKind::Settle, None, since)),
                Some(InFlight::new(OperationKind::Cancel, None, since)),
            ] {
                let mut p =
                    record(status, StatusSet::EMPTY.with(status), Withdrawal::None).into_parts();
                p.money = money.map(yen);
                p.original_money = money.map(|_| yen(1000));
                p.in_flight = mark;
                out.push(Some(MerchantRecord::from_parts(p).expect("valid parts")));
            }
        }
    }
    out
}

/// The flag the rules of INTERFACES v3 §3 give a call, spelled out case by
/// case: one checkout, one order; the carrier; the amount equal to the
/// checkout's, to the record's current amount, or to a settle in flight
/// (R-SL-5); and, with no saved checkout for the call's `sendid`, the
/// `--unknown-sendid` policy.
fn expected_flag(
    checkout: Option<&Checkout>,
    rec: Option<&MerchantRecord>,
    n: &Notice,
    policy: UnknownSendId,
) -> Option<Flag> {
    let Some(c) = checkout.filter(|c| n.sendid.as_ref() == Some(&c.sendid)) else {
        return match policy {
            UnknownSendId::Flag => Some(Flag::NoCheckout {
                sendid: n.sendid.clone(),
            }),
            UnknownSendId::Apply => None,
        };
    };
    if let Some(used_by) = c.order_no.clone().filter(|o| *o != n.order_no) {
        return Some(Flag::CheckoutUsed {
            sendid: c.sendid.clone(),
            used_by,
        });
    }
    if let Some(call) = n.carrier.filter(|call| *call != c.carrier) {
        return Some(Flag::CarrierMismatch {
            sendid: c.sendid.clone(),
            checkout: c.carrier,
            call,
        });
    }
    let call = n.money?;
    let mut known = vec![c.money];
    if let Some(r) = rec {
        known.extend(r.money());
        known.extend(r.in_flight().and_then(|f| f.money));
    }
    (!known.contains(&call)).then(|| Flag::MoneyMismatch {
        sendid: c.sendid.clone(),
        checkout: c.money,
        call,
        status: n.status,
    })
}

/// INTERFACES v3 §3 (`--unknown-sendid`, the amount at every status) and
/// R-SL-5, R-CG-3, R-CG-4: for every reported status × policy × checkout
/// (absent; another `sendid`'s; saved for the call's `sendid`: fresh, used
/// by this order, used by another; each carrier) × call carrier × call
/// amount × record (none; four statuses × amount none / ordered / lower ×
/// in-flight mark none / settle with an amount / settle without / cancel):
/// the call is flagged exactly when the rules say, with the flag they
/// name; a flagged call changes nothing in the record but the flagged
/// counter and (when unmarked) the reason `flagged.<kind>`; a call that
/// passes is decided exactly as the same call applied unchecked, whole
/// record included, and claims a fresh checkout only when it creates the
/// record.
#[test]
fn interfaces_v3_unknown_sendid_r_sl_5_every_status_policy_checkout_amount_and_record() {
    let mut cases = 0u64;
    let mut flagged_cases = 0u64;
    let records = integrity_records();
    let mut checkouts: Vec<(Option<Checkout>, Option<SendId>)> = vec![
        (None, None),
        (None, Some(sendid("S-1"))),
        (
            Some(Checkout::new(
                sendid("S-2"),
                yen(1000),
                Carrier::Docomo,
                at("2026-01-11T09:00:00+09:00"),
            )),
            Some(sendid("S-1")),
        ),
    ];
    for ck in Carrier::iter() {
        for used_by in [None, Some("A1"), Some("B9")] {
            checkouts.push((Some(checkout(ck, 1000, used_by)), Some(sendid("S-1"))));
        }
    }
    for s in Status::iter() {
        for policy in UnknownSendId::iter() {
            for (c, call_sendid) in &checkouts {
                for call_carrier in std::iter::once(None).chain(Carrier::iter().map(Some)) {
                    for money in [
                        None,
                        Some(1),
                        Some(700),
                        Some(800),
                        Some(999),
                        Some(1000),
                        Some(1001),
                    ] {
                        let mut n = notice(s);
                        n.sendid = call_sendid.clone();
                        n.carrier = call_carrier;
                        n.money = money.map(yen);
                        for rec in &records {
                            let d = on_notification(rec.as_ref(), c.as_ref(), &n, policy);
                            let flag = expected_flag(c.as_ref(), rec.as_ref(), &n, policy);
                            let what = format!("{s:?} {policy:?} {c:?} {n:?} {rec:?}");
                            match flag {
                                Some(flag) => {
                                    flagged_cases += 1;
                                    assert_eq!(d.step, None, "{what}");
                                    assert_eq!(d.claim, None, "{what}");
                                    let kind = flag.kind();
                                    assert_eq!(
                                        d.effect,
                                        NoticeEffect::Flagged {
                                            flag,
                                            current: rec.as_ref().map(MerchantRecord::status),
                                            reported: s,
                                        },
                                        "{what}"
                                    );
                                    let expected = rec.as_ref().map(|r| {
                                        let mut p = r.parts().clone();
                                        p.counters.flagged += 1;
                                        p.reconciliation = p
                                            .reconciliation
                                            .or(Some(ReconcileReason::Flagged(kind)));
                                        p
                                    });
                                    assert_eq!(
                                        d.record.map(MerchantRecord::into_parts),
                                        expected,
                                        "{what}"
                                    );
                                }
                                None => {
                                    let unchecked = on_notification(
                                        rec.as_ref(),
                                        None,
                                        &n,
                                        UnknownSendId::Apply,
                                    );
                                    assert_eq!(d.effect, unchecked.effect, "{what}");
                                    assert_eq!(d.record, unchecked.record, "{what}");
                                    assert_eq!(d.step, unchecked.step, "{what}");
                                    let fresh = c
                                        .as_ref()
                                        .filter(|c| {
                                            n.sendid.as_ref() == Some(&c.sendid)
                                                && c.order_no.is_none()
                                        })
                                        .map(|c| c.sendid.clone());
                                    assert_eq!(d.claim, fresh.filter(|_| rec.is_none()), "{what}");
                                }
                            }
                            cases += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cases, 11 * 2 * 12 * 4 * 7 * 49);
    assert!(
        flagged_cases > 0 && flagged_cases < cases,
        "{flagged_cases}"
    );
}

/// INTERFACES v3 §3 and R-SL-5: [`amount_agrees`] accepts exactly the
/// ordered amount, the record's current amount and the amount of a settle
/// in flight — for every combination over a small domain of amounts, with
/// and without a record.
#[test]
fn r_sl_5_amount_agrees_is_exactly_ordered_or_current_or_in_flight_amount() {
    let since = at("2026-01-11T09:30:00+09:00");
    let amounts = [1u32, 2, 3];
    let opt = || std::iter::once(None).chain(amounts.iter().copied().map(Some));
    for ordered in amounts {
        for call in amounts {
            assert_eq!(
                amount_agrees(yen(ordered), None, yen(call)),
                call == ordered,
                "no record: {ordered} {call}"
            );
            for current in opt() {
                for op in OperationKind::iter() {
                    for flying in opt() {
                        let mut p = record(
                            Status::Completed,
                            StatusSet::EMPTY.with(Status::Completed),
                            Withdrawal::None,
                        )
                        .into_parts();
                        p.money = current.map(yen);
                        p.original_money = current.map(|_| yen(ordered));
                        p.in_flight = Some(InFlight::new(op, flying.map(yen), since));
                        let r = MerchantRecord::from_parts(p).expect("valid parts");
                        let expected =
                            call == ordered || current == Some(call) || flying == Some(call);
                        assert_eq!(
                            amount_agrees(yen(ordered), Some(&r), yen(call)),
                            expected,
                            "{ordered} {current:?} {op:?} {flying:?} {call}"
                        );
                        let idle = r.clone().reconciled();
                        assert_eq!(
                            amount_agrees(yen(ordered), Some(&idle), yen(call)),
                            call == ordered || current == Some(call),
                            "no mark: {ordered} {current:?} {call}"
                        );
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
    let d = on_notification(None, Some(&c), &n, UnknownSendId::Apply);
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
    let d = on_notification(None, Some(&c), &n, UnknownSendId::Flag);
    assert_eq!(
        d.effect,
        NoticeEffect::Created {
            status: Status::Authorized
        }
    );
    assert_eq!(d.claim, None, "already bound to this order");
}

#[test]
fn one_checkout_one_order_a_used_checkout_is_not_rendered_again() {
    // Not yet used: the form may be rendered (again: a reload).
    assert_eq!(checkout(Carrier::Docomo, 1000, None).check_unused(), Ok(()));
    // Used: refused, naming the checkout and the order that used it, so a
    // second payment that on_notification would flag is never offered.
    let used = checkout(Carrier::Docomo, 1000, Some("FIRST"));
    let err = used.check_unused().expect_err("used");
    assert_eq!(err.sendid, sendid("S-1"));
    assert_eq!(err.order_no, order_no("FIRST"));
    assert!(err.to_string().contains("\"S-1\"") && err.to_string().contains("FIRST"));
    let mut n = notice(Status::Authorized);
    n.sendid = Some(sendid("S-1"));
    n.money = Some(yen(1000));
    let second = on_notification(None, Some(&used), &n, UnknownSendId::Apply);
    assert!(matches!(
        second.effect,
        NoticeEffect::Flagged {
            flag: Flag::CheckoutUsed { .. },
            ..
        }
    ));
}

#[test]
fn flagging_keeps_the_first_reconciliation_reason() {
    let c = checkout(Carrier::Docomo, 1000, None);
    let first = ReconcileReason::OutcomeUnknown(OperationKind::Settle);
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    )
    .with_reconciliation(first.clone());
    let mut n = notice(Status::Completed);
    n.sendid = Some(sendid("S-1"));
    n.carrier = Some(Carrier::Au);
    for policy in UnknownSendId::iter() {
        let d = on_notification(Some(&r), Some(&c), &n, policy);
        assert_eq!(d.record.expect("record").reconciliation(), Some(&first));
    }
    // Without a mark, the flag's kind becomes the reason.
    let unmarked = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let d = on_notification(Some(&unmarked), Some(&c), &n, UnknownSendId::Flag);
    assert_eq!(
        d.record.expect("record").reconciliation(),
        Some(&ReconcileReason::Flagged(FlagKind::CarrierMismatch))
    );
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
    let f = |c: &str| Outcome::Failure { code: lookup(c) };
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
            code: lookup("020020008"),
        },
        Outcome::Invalid {
            code: lookup("00000002"),
        },
        Outcome::Unknown {
            reason: UnknownReason::Transport("timeout".into()),
        },
    ]
}

/// What an operation's outcome means, spelled by hand from R-SL-2,
/// R-SL-6, R-CN-1 and R-TR-2: the statuses its path visits from the
/// planned status (none when nothing is applied), the amount it sets, the
/// settle date it sets (`Some(None)` clears it, `None` leaves it) and
/// whether the carrier confirmed the sale (the settle time is the answer's
/// time).
struct Meaning {
    path: Vec<Status>,
    money: Option<Money>,
    settle_date: Option<Option<NaiveDate>>,
    confirmed: bool,
}

fn meaning(
    op: &Operation,
    planned: Status,
    outcome: &Outcome,
    before: &RecordParts,
    when: JstDateTime,
) -> Meaning {
    let carrier_failure = matches!(outcome, Outcome::Failure { code }
        if crate::secure_link::is_carrier_code(code.raw())
            && code.retry_advice() != crate::error_code::RetryAdvice::ReconcileFirst);
    let success = matches!(outcome, Outcome::Success { .. });
    let answered = match outcome {
        Outcome::Success { date } => *date,
        _ => None,
    };
    let nothing = Meaning {
        path: Vec::new(),
        money: None,
        settle_date: None,
        confirmed: false,
    };
    let today = crate::time::jst_date(&when);
    match *op {
        Operation::Settle(SettlePlan::Today { date, money }) if success => match answered {
            Some(d) if d > date => Meaning {
                path: vec![Status::SettleReserved],
                money: Money::new(money),
                settle_date: Some(Some(d)),
                confirmed: false,
            },
            _ => Meaning {
                path: vec![Status::Settling, Status::Completed],
                money: Money::new(money),
                settle_date: Some(Some(today)),
                confirmed: true,
            },
        },
        Operation::Settle(SettlePlan::Today { money, .. }) if carrier_failure => Meaning {
            path: vec![Status::Settling, Status::SettleFailed],
            money: Money::new(money),
            settle_date: Some(Some(today)),
            confirmed: false,
        },
        Operation::Settle(SettlePlan::Reserve { date, money }) if success => Meaning {
            path: vec![Status::SettleReserved],
            money: Money::new(money),
            settle_date: Some(Some(answered.unwrap_or(date))),
            confirmed: false,
        },
        Operation::Settle(SettlePlan::Withdraw) if success => Meaning {
            path: vec![Status::Authorized],
            money: before.original_money,
            settle_date: Some(None),
            confirmed: false,
        },
        Operation::Cancel(_) if success || carrier_failure => Meaning {
            path: vec![match (planned, success) {
                (Status::Completed, true) => Status::Cancelled,
                (Status::Completed, false) => Status::CompletedCancelFailed,
                (_, true) => Status::AuthorizationCancelled,
                (_, false) => Status::AuthorizationCancelFailed,
            }],
            money: None,
            settle_date: None,
            confirmed: false,
        },
        _ => nothing,
    }
}

/// The steps and the WHOLE record after `report` on `before`, spelled out
/// (R-RS-2, R-RS-3, R-TR-2): an open outcome changes nothing but the mark
/// (replaced), the in-flight mark (cleared) and, for a withdrawal, the
/// pending withdrawal; otherwise the record joins the operation's path where
/// it stands on it, or at the first status of the path ahead of it, and
/// follows it to its end; the amount, settle date and settle time are taken
/// only when the record ends where the operation ends; a record in 07
/// without a settle time takes the answer's.
fn expected_after_operation(
    before: &RecordParts,
    report: &OperationReport,
) -> (Vec<(Status, Status)>, RecordParts) {
    let mut e = before.clone();
    e.in_flight = None;
    if let Some(reason) = reconcile_reason(&report.operation, &report.outcome) {
        e.reconciliation = Some(reason);
        if matches!(report.operation, Operation::Settle(SettlePlan::Withdraw))
            && matches!(report.outcome, Outcome::Unknown { .. })
            && e.status == Status::SettleReserved
        {
            e.withdrawal = Withdrawal::Requested;
        }
        return (Vec::new(), e);
    }
    let m = meaning(
        &report.operation,
        report.planned_from,
        &report.outcome,
        before,
        report.at,
    );
    let mut statuses = vec![report.planned_from];
    statuses.extend(m.path.iter().copied());
    let edges: Vec<(Status, Status)> = statuses.windows(2).map(|w| (w[0], w[1])).collect();
    let mut steps = Vec::new();
    if let Some(i) = edges.iter().position(|(from, _)| *from == before.status) {
        steps.extend(edges[i..].iter().copied());
    } else if let Some(j) = edges
        .iter()
        .position(|(_, to)| *to != before.status && is_ahead(before.status, *to))
    {
        steps.push((before.status, edges[j].1));
        steps.extend(edges[j + 1..].iter().copied());
    }
    if let Some((_, last)) = steps.last() {
        e.status = *last;
    }
    if !m.path.is_empty() && Some(&e.status) == m.path.last() {
        if m.money.is_some() {
            e.money = m.money;
        }
        if let Some(date) = m.settle_date {
            e.settle_date = date;
        }
        if m.confirmed {
            e.settled_at = Some(report.at);
        }
    }
    if e.status == Status::Completed && e.settled_at.is_none() {
        e.settled_at = Some(report.at);
    }
    if e.status != Status::SettleReserved {
        e.withdrawal = Withdrawal::None;
    }
    (steps, e)
}

/// R-RS-2, R-RS-3, R-TR-2: for every planned status × plan × outcome
/// class × record status × pending withdrawal (04 only) × a record with
/// or without a settle time, an in-flight mark and an earlier reason: the
/// decision's reason is [`reconcile_reason`]'s; the steps and the WHOLE
/// record after it are the ones [`expected_after_operation`] spells out;
/// unknown and "reconcile first" outcomes never move the record and always
/// mark it; each step is a row of the table (or a move ahead) chained from
/// the record's status; cancels and settles today move exactly on success
/// or a carrier failure when planned from the record's own status.
#[test]
fn r_rs_3_every_operation_outcome_on_every_record() {
    let when = at("2026-01-12T10:00:00+09:00");
    let mut cases = 0;
    for planned in Status::iter() {
        for op in plans(planned) {
            for outcome in outcomes() {
                for current in Status::iter() {
                    for &withdrawal in withdrawals(current) {
                        for busy in [false, true] {
                            let mut p =
                                full_record(current, StatusSet::EMPTY.with(current), withdrawal)
                                    .into_parts();
                            if busy {
                                p.settled_at = Some(at("2026-01-11T12:00:00+09:00"));
                                p.in_flight = Some(InFlight::new(
                                    op.kind(),
                                    Some(yen(900)),
                                    at("2026-01-12T09:59:00+09:00"),
                                ));
                                p.reconciliation =
                                    Some(ReconcileReason::NotRecorded(OperationKind::Settle));
                            }
                            let r = MerchantRecord::from_parts(p).expect("valid parts");
                            let report = OperationReport::new(op, planned, outcome.clone(), when);
                            let d = on_operation(&r, &report).expect("planned from its own status");
                            let what = format!("{planned:?} {op:?} {outcome:?} {r:?}");
                            let open = reconcile_reason(&op, &outcome);
                            assert_eq!(d.reconcile, open, "{what}");
                            let (steps, expected) = expected_after_operation(r.parts(), &report);
                            assert_eq!(
                                d.steps
                                    .iter()
                                    .map(|s| (s.from, s.to, s.at))
                                    .collect::<Vec<_>>(),
                                steps
                                    .iter()
                                    .map(|(f, t)| (Some(*f), *t, when))
                                    .collect::<Vec<_>>(),
                                "{what}"
                            );
                            assert_eq!(d.record.parts(), &expected, "{what}");
                            if let Some(reason) = &open {
                                // Never a status change, always a mark.
                                assert!(d.steps.is_empty());
                                assert_eq!(d.record.status(), current);
                                assert_eq!(d.record.reconciliation(), Some(reason));
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
                                let carrier_fail = matches!(&outcome, Outcome::Failure { code } if crate::secure_link::is_carrier_code(code.raw()));
                                match op {
                                    Operation::Cancel(_) => {
                                        assert_eq!(moved, success || carrier_fail)
                                    }
                                    Operation::Settle(SettlePlan::Today { .. }) => {
                                        assert_eq!(moved, success || carrier_fail)
                                    }
                                    Operation::Settle(_) => assert_eq!(moved, success),
                                }
                            }
                            assert_eq!(d.record.in_flight(), None);
                            cases += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cases, 8 * 14 * 12 * 2);
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
            Outcome::Failure { code: lookup(code) },
            at("2026-01-12T10:00:00+09:00"),
        );
        let d = on_operation(&r, &report).expect("applies");
        assert_eq!(d.record.status(), Status::Authorized, "{code}");
        assert_eq!(
            d.record.reconciliation(),
            Some(&ReconcileReason::ReconcileFirstCode(
                OperationKind::Settle,
                lookup(code)
            )),
            "{code}"
        );
        // The gateway's later CGI 07 (paid) then advances the record.
        let n = Notice::new(
            order_no("A1"),
            Status::Completed,
            at("2026-01-12T10:01:00+09:00"),
        );
        let after = on_notification(Some(&d.record), None, &n, UnknownSendId::Apply);
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
    let after = on_notification(Some(&d.record), None, &n, UnknownSendId::Apply)
        .record
        .expect("record");
    assert_eq!(after.status(), Status::Authorized);
}

#[test]
fn r_tr_2_settle_today_confirmed_records_amount_date_and_settle_time() {
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
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
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
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
        let r = record(s, StatusSet::EMPTY.with(s), Withdrawal::None);
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
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
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
    let why = ReconcileReason::NotRecorded(OperationKind::Cancel);
    let marked = r.with_reconciliation(why.clone());
    let list = marked.deadlines(
        at("2027-01-01T00:00:00+09:00"),
        at("2027-01-02T00:00:00+09:00"),
    );
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(list[0].reason, Some(DutyReason::Reconcile(why)));
}

#[test]
fn facts_take_the_checkout_over_the_record() {
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let c = checkout(Carrier::Docomo, 1200, None);
    let f = r.facts(Some(&c)).expect("facts");
    assert_eq!(f.original_money, 1200);
    let f = r.facts(None).expect("facts");
    assert_eq!(f.original_money, 1000);
    let mut p = r.into_parts();
    p.carrier = None;
    p.original_money = None;
    let bare = MerchantRecord::from_parts(p).expect("valid parts");
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
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    )
    .begin_operation(InFlight::new(
        OperationKind::Cancel,
        None,
        at("2026-01-12T10:00:00+09:00"),
    ));
    let far = at("2030-01-01T00:00:00+09:00");
    let list = r.deadlines(far, far);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    let reason = list[0].reason.as_ref().expect("a reason");
    assert_eq!(reason.code(), "in_flight.cancel");
    assert!(
        reason
            .text_en()
            .starts_with("cancel sent at 2026-01-12T10:00:00+09:00"),
        "{}",
        reason.text_en()
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
    let d = on_notification(None, None, &n, UnknownSendId::Apply);
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

// --- Small rules, each pinned down (mutation testing found them unpinned).

/// R-ST-1: a record is eligible for payout exactly in 07 and 09, for every
/// status.
#[test]
fn r_st_1_a_record_is_eligible_for_payout_iff_its_status_is_07_or_09() {
    for s in Status::iter() {
        let r = record(s, StatusSet::EMPTY.with(s), Withdrawal::None);
        assert_eq!(
            r.payout_eligible(),
            matches!(s, Status::Completed | Status::CompletedCancelFailed),
            "{s:?}"
        );
    }
}

/// R-CG-3: an empty `sendid` or `sendpoint` counts as absent; every other
/// parameter is taken as received.
#[test]
fn r_cg_3_notice_from_callback_takes_the_parameters_and_drops_empty_sendid_and_sendpoint() {
    use crate::callback::{Callback, CgiErrorCode};
    let received = at("2026-01-11T10:00:00+09:00");
    let mut cb = Callback {
        order_no: Some(order_no("A1")),
        status: Some(Status::Completed),
        money: Some(800),
        carrier: Some(Carrier::Au),
        clientip: Some(ClientIp::parse("1234567890").expect("clientip")),
        sendid: Some("S-1".to_owned()),
        sendpoint: Some("point-1".to_owned()),
        error_code: Some(CgiErrorCode::new("-")),
        ..Callback::default()
    };
    let n = Notice::from_callback(&cb, received).expect("notice");
    assert_eq!(n.order_no, order_no("A1"));
    assert_eq!(n.status, Status::Completed);
    assert_eq!(n.money, Some(yen(800)));
    assert_eq!(n.carrier, Some(Carrier::Au));
    assert_eq!(n.clientip, cb.clientip);
    assert_eq!(n.sendid, Some(sendid("S-1")));
    assert_eq!(n.sendpoint.as_deref(), Some("point-1"));
    assert_eq!(n.error_code, cb.error_code);
    assert_eq!(n.received_at, received);
    cb.sendid = Some(String::new());
    cb.sendpoint = Some(String::new());
    let n = Notice::from_callback(&cb, received).expect("notice");
    assert_eq!((n.sendid, n.sendpoint), (None, None));
    cb.status = None;
    assert_eq!(
        Notice::from_callback(&cb, received),
        Err(NoticeError::Missing {
            param: crate::callback::CgiParam::Status
        })
    );
}

/// INTERFACES §3 `/deadlines`: reconciliations first (by order number),
/// then windows by closing time, then by order number.
#[test]
fn d7_deadlines_sort_reconciliations_first_then_by_closing_time_then_order_number() {
    let window = |o: &str, t: &str, kind| Deadline {
        order_no: order_no(o),
        status: Some(Status::Authorized),
        kind,
        closes_at: Some(at(t)),
        reason: None,
    };
    let mut list = vec![
        window("B", "2026-03-01T10:00:00+09:00", DeadlineKind::Cancel),
        Deadline::unrecorded(order_no("Z")),
        window("A", "2026-03-01T23:55:00+09:00", DeadlineKind::Settle),
        window("A", "2026-03-01T10:00:00+09:00", DeadlineKind::Cancel),
        Deadline::unrecorded(order_no("C")),
    ];
    Deadline::sort(&mut list);
    let got: Vec<_> = list
        .iter()
        .map(|d| (d.order_no.as_str().to_owned(), d.kind, d.closes_at))
        .collect();
    assert_eq!(
        got,
        [
            ("C".to_owned(), DeadlineKind::Reconciliation, None),
            ("Z".to_owned(), DeadlineKind::Reconciliation, None),
            (
                "A".to_owned(),
                DeadlineKind::Cancel,
                Some(at("2026-03-01T10:00:00+09:00"))
            ),
            (
                "B".to_owned(),
                DeadlineKind::Cancel,
                Some(at("2026-03-01T10:00:00+09:00"))
            ),
            (
                "A".to_owned(),
                DeadlineKind::Settle,
                Some(at("2026-03-01T23:55:00+09:00"))
            ),
        ]
    );
}

/// The duty of an order with no record: a reconciliation, without status
/// or time, with the reason `never_applied`.
#[test]
fn interfaces_v3_an_order_with_only_flagged_calls_is_listed_as_never_applied() {
    let d = Deadline::unrecorded(order_no("A1"));
    assert_eq!(d.order_no, order_no("A1"));
    assert_eq!(d.status, None);
    assert_eq!(d.kind, DeadlineKind::Reconciliation);
    assert_eq!(d.closes_at, None);
    assert_eq!(
        d.reason,
        Some(DutyReason::Reconcile(ReconcileReason::NeverApplied))
    );
    // And the model gives such an order no record, under the default policy.
    let n = notice(Status::Authorized);
    let decision = on_notification(None, None, &n, UnknownSendId::default());
    assert_eq!(decision.record, None);
    assert_eq!(decision.effect.kind(), EffectKind::Flagged);
}

/// The persisted form of the notified set: bit i for the i-th status;
/// bits naming no status are dropped; iteration is in table order.
#[test]
fn status_set_bits_round_trip_and_name_the_table_order() {
    for (i, s) in Status::iter().enumerate() {
        let one = StatusSet::EMPTY.with(s);
        assert_eq!(one.bits(), 1 << i, "{s:?}");
        assert!(one.contains(s));
        assert_eq!(
            Status::iter().filter(|t| one.contains(*t)).count(),
            1,
            "{s:?}"
        );
        assert_eq!(one.iter().collect::<Vec<_>>(), [s]);
    }
    for bits in 0..(1u16 << 11) {
        let set = StatusSet::from_bits(bits);
        assert_eq!(set.bits(), bits);
        assert_eq!(set.iter().collect::<StatusSet>(), set);
        assert_eq!(set.iter().count(), bits.count_ones() as usize);
        assert_eq!(StatusSet::from_bits(bits | 0xF800), set, "unknown bits");
    }
    assert!(!StatusSet::EMPTY.contains(Status::Accepting));
    assert_eq!(StatusSet::default(), StatusSet::EMPTY);
    let order: Vec<_> = StatusSet::from_bits(0x7FF).iter().collect();
    assert_eq!(order, Status::iter().collect::<Vec<_>>());
}

/// The stored names of the effects, and each effect's kind.
#[test]
fn effect_kinds_have_their_stored_names() {
    let names: Vec<_> = EffectKind::iter().map(EffectKind::as_str).collect();
    assert_eq!(
        names,
        ["create", "advance", "duplicate", "stale", "flagged"]
    );
    for k in EffectKind::iter() {
        assert_eq!(EffectKind::from_name(k.as_str()), Some(k));
    }
    assert_eq!(EffectKind::from_name("Create"), None);
    assert_eq!(EffectKind::from_name(""), None);
    let s = Status::Authorized;
    let effects = [
        (
            NoticeEffect::Created { status: s },
            EffectKind::Create,
            true,
        ),
        (
            NoticeEffect::Advanced { from: s, to: s },
            EffectKind::Advance,
            true,
        ),
        (
            NoticeEffect::Duplicate { status: s },
            EffectKind::Duplicate,
            false,
        ),
        (
            NoticeEffect::Stale {
                current: s,
                reported: s,
            },
            EffectKind::Stale,
            false,
        ),
        (
            NoticeEffect::Flagged {
                flag: Flag::NoCheckout { sendid: None },
                current: None,
                reported: s,
            },
            EffectKind::Flagged,
            false,
        ),
    ];
    for (e, kind, changes) in effects {
        assert_eq!(e.kind(), kind);
        assert_eq!(e.changes_state(), changes, "{e:?}");
    }
}

/// The effect in JSON: its name, the statuses as codes, a flag as its
/// message, and `null` for the status of an order with no record.
#[test]
fn notice_effects_serialize_with_status_codes_and_flag_messages() {
    let json = |e: &NoticeEffect| serde_json::to_value(e).expect("json");
    assert_eq!(
        json(&NoticeEffect::Advanced {
            from: Status::Authorized,
            to: Status::Completed
        }),
        serde_json::json!({"effect": "advanced", "from": "03", "to": "07"})
    );
    let flag = Flag::NoCheckout {
        sendid: Some(sendid("S-1")),
    };
    assert_eq!(
        json(&NoticeEffect::Flagged {
            flag: flag.clone(),
            current: None,
            reported: Status::Authorized
        }),
        serde_json::json!({"effect": "flagged", "flag": flag.to_string(), "current": null, "reported": "03"})
    );
    assert_eq!(
        json(&NoticeEffect::Flagged {
            flag,
            current: Some(Status::Completed),
            reported: Status::Authorized
        })["current"],
        "07"
    );
}

/// Each flag's stable kind.
#[test]
fn flags_name_their_kind() {
    let s = sendid("S-1");
    let flags = [
        (
            Flag::CarrierMismatch {
                sendid: s.clone(),
                checkout: Carrier::Docomo,
                call: Carrier::Au,
            },
            FlagKind::CarrierMismatch,
        ),
        (
            Flag::MoneyMismatch {
                sendid: s.clone(),
                checkout: yen(1000),
                call: yen(1),
                status: Status::Completed,
            },
            FlagKind::MoneyMismatch,
        ),
        (
            Flag::CheckoutUsed {
                sendid: s.clone(),
                used_by: order_no("B9"),
            },
            FlagKind::CheckoutUsed,
        ),
        (Flag::NoCheckout { sendid: Some(s) }, FlagKind::NoCheckout),
    ];
    for (flag, kind) in flags {
        assert_eq!(flag.kind(), kind, "{flag}");
        assert_eq!(
            serde_json::to_value(&flag).expect("json"),
            serde_json::Value::String(flag.to_string())
        );
    }
}

/// Every accessor reads its own field of the parts.
#[test]
fn record_accessors_read_their_parts() {
    let mut p = full_record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::Requested,
    )
    .into_parts();
    p.window_from = at("2026-01-10T11:00:00+09:00");
    p.settled_at = Some(at("2026-01-10T12:00:00+09:00"));
    p.reconciliation = Some(ReconcileReason::NeverApplied);
    p.in_flight = Some(InFlight::new(
        OperationKind::Settle,
        Some(yen(700)),
        at("2026-01-10T13:00:00+09:00"),
    ));
    let r = MerchantRecord::from_parts(p.clone()).expect("valid parts");
    assert_eq!(r.order_no(), &p.order_no);
    assert_eq!(r.status(), p.status);
    assert_eq!(r.money(), p.money);
    assert_eq!(r.original_money(), p.original_money);
    assert_eq!(r.carrier(), p.carrier);
    assert_eq!(r.clientip(), p.clientip.as_ref());
    assert_eq!(r.sendid(), p.sendid.as_ref());
    assert_eq!(r.sendpoint(), p.sendpoint.as_deref());
    assert_eq!(r.first_seen_at(), p.first_seen_at);
    assert_eq!(r.window_from(), p.window_from);
    assert_ne!(r.window_from(), r.first_seen_at());
    assert_eq!(r.settle_date(), p.settle_date);
    assert_eq!(r.settled_at(), p.settled_at);
    assert_eq!(r.reconciliation(), p.reconciliation.as_ref());
    assert_eq!(r.notified(), p.notified);
    assert_eq!(r.withdrawal(), Withdrawal::Requested);
    assert_eq!(r.in_flight(), p.in_flight.as_ref());
    assert_eq!(r.counters(), Counters::new(3, 5, 7, 11));
    let c = r.counters();
    assert_eq!(
        (c.notifications, c.duplicates, c.stale, c.flagged),
        (3, 5, 7, 11)
    );
    assert_eq!(r.parts(), &p);
    assert_eq!(r.into_parts(), p);
}

/// Every [`RecordError`]: a pending withdrawal outside 04 (R-SL-6, for
/// every other status), an empty notified set, windows counting from
/// before the first notification (D-7); each message names the field.
/// Parts at the edge of each rule pass.
#[test]
fn r_sl_6_d7_from_parts_rejects_each_record_no_input_can_produce() {
    let good = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::SettleReserved),
        Withdrawal::Requested,
    )
    .into_parts();
    assert!(MerchantRecord::from_parts(good.clone()).is_ok());
    for s in Status::iter().filter(|s| *s != Status::SettleReserved) {
        let mut p = good.clone();
        p.status = s;
        let e = MerchantRecord::from_parts(p).expect_err("withdrawal outside 04");
        assert_eq!(e, RecordError::WithdrawalOutsideReservation { status: s });
        assert!(e.to_string().starts_with("withdrawal:"), "{e}");
        assert!(e.to_string().contains(s.code()), "{e}");
    }
    let mut p = good.clone();
    p.notified = StatusSet::EMPTY;
    let e = MerchantRecord::from_parts(p).expect_err("nothing notified");
    assert_eq!(e, RecordError::NothingNotified);
    assert!(e.to_string().starts_with("notified:"), "{e}");
    let mut p = good.clone();
    p.window_from = p.first_seen_at - chrono::TimeDelta::seconds(1);
    let e = MerchantRecord::from_parts(p).expect_err("window before first seen");
    assert_eq!(e, RecordError::WindowBeforeFirstSeen);
    assert!(e.to_string().starts_with("window_from:"), "{e}");
    // The edges: windows from the first notification itself or later; an
    // amount the merchant settled before any call carried one.
    let mut p = good.clone();
    p.window_from = p.first_seen_at + chrono::TimeDelta::seconds(1);
    assert!(MerchantRecord::from_parts(p).is_ok());
    let mut p = good;
    p.original_money = None;
    p.withdrawal = Withdrawal::None;
    assert!(MerchantRecord::from_parts(p).is_ok());
}

/// R-SL-2, R-TR-2: a settle of a record whose amount no call carried
/// (`money` not received) records the settled amount and leaves the
/// original unknown, and the stored record reads back (the model once
/// produced a record `from_parts` refused).
#[test]
fn r_tr_2_a_settle_without_a_known_original_amount_reads_back() {
    let r = bare_record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let day = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
    let report = OperationReport::new(
        Operation::Settle(SettlePlan::Today {
            date: day,
            money: 900,
        }),
        Status::Authorized,
        Outcome::Success { date: Some(day) },
        at("2026-01-12T10:00:00+09:00"),
    );
    let d = on_operation(&r, &report).expect("applies");
    assert_eq!(d.record.money(), Some(yen(900)));
    assert_eq!(d.record.original_money(), None);
    assert_eq!(
        MerchantRecord::from_parts(d.record.parts().clone()),
        Ok(d.record)
    );
}

/// R-RS-3: the reconciliation mark replaces an earlier one; clearing it
/// (someone compared the order) also clears the operation in flight.
#[test]
fn r_rs_3_with_reconciliation_replaces_and_reconciled_clears_the_mark_and_the_in_flight_operation()
{
    let mark = InFlight::new(
        OperationKind::Settle,
        Some(yen(900)),
        at("2026-01-12T10:00:00+09:00"),
    );
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    )
    .begin_operation(mark)
    .with_reconciliation(ReconcileReason::OutcomeUnknown(OperationKind::Settle))
    .with_reconciliation(ReconcileReason::NotRecorded(OperationKind::Settle));
    assert_eq!(r.in_flight(), Some(&mark));
    assert_eq!(
        r.reconciliation(),
        Some(&ReconcileReason::NotRecorded(OperationKind::Settle))
    );
    let far = at("2030-01-01T00:00:00+09:00");
    assert_eq!(r.deadlines(far, far).len(), 2);
    let done = r.reconciled();
    assert_eq!(done.reconciliation(), None);
    assert_eq!(done.in_flight(), None);
    assert!(done.deadlines(far, far).is_empty());
}

/// D-7, R-SL-4, R-CN-1: a window closing exactly at `now` or exactly at
/// `until` is listed; one second outside either end is not.
#[test]
fn d7_deadlines_include_both_ends_of_the_interval() {
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let cancel = at("2026-03-01T10:00:00+09:00");
    let settle = at("2026-03-01T23:55:00+09:00");
    let s = chrono::TimeDelta::seconds(1);
    let kinds = |now, until| -> Vec<DeadlineKind> {
        r.deadlines(now, until).iter().map(|d| d.kind).collect()
    };
    assert_eq!(kinds(cancel, cancel), [DeadlineKind::Cancel]);
    assert_eq!(kinds(settle, settle), [DeadlineKind::Settle]);
    assert_eq!(
        kinds(cancel, settle),
        [DeadlineKind::Settle, DeadlineKind::Cancel]
    );
    assert_eq!(kinds(cancel + s, settle - s), []);
    for d in r.deadlines(cancel, settle) {
        assert_eq!(d.order_no, order_no("A1"));
        assert_eq!(d.status, Some(Status::Authorized));
        assert_eq!(d.reason, None);
        assert_eq!(
            d.closes_at,
            Some(if d.kind == DeadlineKind::Settle {
                settle
            } else {
                cancel
            })
        );
    }
}

/// R-CN-1, D-7: a sale's cancel window counts from its settle time, or —
/// when that is unknown — from the windows' start; an authorization's and a
/// reservation's from the windows' start.
#[test]
fn d7_r_cn_1_a_sales_cancel_window_counts_from_its_settle_time() {
    let settled = at("2026-01-20T15:00:00+09:00");
    let mut p = record(
        Status::Completed,
        StatusSet::EMPTY.with(Status::Completed),
        Withdrawal::None,
    )
    .into_parts();
    p.settled_at = Some(settled);
    let sale = MerchantRecord::from_parts(p.clone()).expect("valid parts");
    assert_eq!(
        sale.windows().cancel_closes,
        Some(settled + crate::time::CANCEL_WINDOW)
    );
    assert_eq!(sale.windows().settle_closes, None);
    p.settled_at = None;
    let unknown = MerchantRecord::from_parts(p).expect("valid parts");
    assert_eq!(
        unknown.windows().cancel_closes,
        Some(unknown.window_from() + crate::time::CANCEL_WINDOW)
    );
    let reserved = record(
        Status::SettleReserved,
        StatusSet::EMPTY.with(Status::SettleReserved),
        Withdrawal::None,
    );
    assert_eq!(
        reserved.windows().cancel_closes,
        Some(reserved.window_from() + crate::time::CANCEL_WINDOW)
    );
}

/// R-SL-5: the pre-check's facts take a checkout only when it is this
/// order's (same `sendid`); another checkout is ignored.
#[test]
fn r_sl_5_facts_ignore_a_checkout_of_another_sendid() {
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let mut foreign = checkout(Carrier::Au, 1200, None);
    foreign.sendid = sendid("S-2");
    let f = r.facts(Some(&foreign)).expect("facts");
    assert_eq!((f.carrier, f.original_money), (Carrier::Docomo, 1000));
    let mut p = r.into_parts();
    p.carrier = None;
    p.original_money = None;
    let bare = MerchantRecord::from_parts(p).expect("valid parts");
    assert_eq!(bare.facts(Some(&foreign)), Err(MissingFact::Carrier));
    let own = checkout(Carrier::Au, 1200, None);
    let f = bare.facts(Some(&own)).expect("facts");
    assert_eq!((f.carrier, f.original_money), (Carrier::Au, 1200));
    assert_eq!(f.status, Status::Authorized);
    assert_eq!(f.accepted_at, bare.window_from());
    let mut p = bare.into_parts();
    p.carrier = Some(Carrier::Docomo);
    let no_amount = MerchantRecord::from_parts(p).expect("valid parts");
    assert_eq!(no_amount.facts(None), Err(MissingFact::OriginalMoney));
}

/// The operations' stored names.
#[test]
fn operations_name_their_kind() {
    let day = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
    let settle = Operation::Settle(SettlePlan::Today {
        date: day,
        money: 1,
    });
    let cancel = Operation::Cancel(CancelPlan::Sale { deadline: None });
    assert_eq!(
        (settle.name(), settle.kind()),
        ("settle", OperationKind::Settle)
    );
    assert_eq!(
        (cancel.name(), cancel.kind()),
        ("cancel", OperationKind::Cancel)
    );
    assert_eq!(
        (
            OperationKind::Settle.label_ja(),
            OperationKind::Cancel.label_ja()
        ),
        ("売上", "取消")
    );
}

/// Every reconciliation reason and duty says what it is about, in both
/// languages, and what to check: its operation, its code, its flag.
#[test]
fn r_rs_3_reasons_and_duties_name_their_operation_code_and_flag() {
    let mut reasons = vec![ReconcileReason::NeverApplied, ReconcileReason::Unspecified];
    for op in OperationKind::iter() {
        reasons.push(ReconcileReason::OutcomeUnknown(op));
        reasons.push(ReconcileReason::NotRecorded(op));
        reasons.push(ReconcileReason::ReconcileFirstCode(op, lookup("010100036")));
        reasons.push(ReconcileReason::ReconcileFirstCode(op, lookup("0199ZZZZ9")));
    }
    reasons.extend(FlagKind::iter().map(ReconcileReason::Flagged));
    let mut texts_ja = std::collections::HashSet::new();
    for r in &reasons {
        let (ja, en, check) = (r.text_ja(), r.text_en(), r.check_ja());
        assert_eq!(r.to_string(), en);
        assert!(texts_ja.insert(ja.clone()), "distinct: {ja}");
        match r {
            ReconcileReason::OutcomeUnknown(op) | ReconcileReason::NotRecorded(op) => {
                assert!(ja.starts_with(op.label_ja()), "{ja}");
                assert!(en.starts_with(op.as_str()), "{en}");
                assert!(check.contains("再送はしないでください"), "{check}");
                let marker = if matches!(r, ReconcileReason::OutcomeUnknown(_)) {
                    ("結果が不明", "outcome unknown")
                } else {
                    ("記録に失敗", "recording the answer failed")
                };
                assert!(ja.contains(marker.0) && en.contains(marker.1), "{ja} {en}");
            }
            ReconcileReason::ReconcileFirstCode(op, code) => {
                assert!(
                    ja.starts_with(op.label_ja()) && ja.contains(code.raw()),
                    "{ja}"
                );
                assert!(
                    en.starts_with(op.as_str()) && en.contains(code.raw()),
                    "{en}"
                );
                let meaning = code.known().map_or("未登録のコード", |e| e.meaning_ja);
                assert!(ja.contains(meaning), "{ja}");
                assert!(check.contains("売上確定・取消済み"), "{check}");
                assert_eq!(r.error_code(), code.known());
            }
            ReconcileReason::Flagged(kind) => {
                assert!(ja.contains("照合に失敗"), "{ja}");
                assert!(en.contains(kind.as_str()), "{en}");
                assert!(check.contains("自店の注文と一致"), "{check}");
            }
            ReconcileReason::NeverApplied => {
                assert!(ja.contains("注文として記録していません"), "{ja}");
                assert!(en.contains("no record exists"), "{en}");
                assert!(check.contains("自店の注文と一致"), "{check}");
            }
            ReconcileReason::Unspecified => {
                assert!(ja.contains("以前のバージョン"), "{ja}");
                assert!(en.contains("earlier version"), "{en}");
                assert_eq!(check, "売上管理画面で注文の状態を確認してください");
            }
        }
        if !matches!(r, ReconcileReason::ReconcileFirstCode(..)) {
            assert_eq!(r.error_code(), None);
        }
        let duty = DutyReason::Reconcile(r.clone());
        assert_eq!(
            (duty.code(), duty.text_ja(), duty.text_en(), duty.check_ja()),
            (r.code(), ja, en.clone(), check)
        );
        assert_eq!(
            serde_json::to_value(&duty).expect("json"),
            serde_json::Value::String(en)
        );
    }
    for op in OperationKind::iter() {
        let mark = InFlight::new(op, None, at("2026-01-12T10:00:00+09:00"));
        let duty = DutyReason::InFlight(mark);
        assert_eq!(duty.code(), format!("in_flight.{}", op.as_str()));
        assert_eq!(duty.text_ja(), mark.text_ja());
        assert!(duty.text_ja().starts_with(op.label_ja()));
        assert_eq!(duty.text_en(), mark.text_en());
        assert!(duty.check_ja().contains("再送はしないでください"));
        assert_eq!(
            serde_json::to_value(&duty).expect("json"),
            serde_json::Value::String(mark.text_en())
        );
    }
}

/// INTERFACES v3 §3, R-SL-5, R-CG-4: the gateway's CGI 07 for the
/// merchant's own settle of a lower amount may arrive before the settle's
/// answer is recorded: it agrees with the amount in flight and is applied;
/// the answer recorded afterwards moves nothing and keeps the amount. The
/// same call with no settle in flight is flagged (a lower amount nobody
/// asked for), and after the answer a resend agrees with the recorded
/// amount.
#[test]
fn interfaces_v3_r_sl_5_a_cgi_call_overtaking_the_merchants_own_settle_agrees_with_its_amount() {
    let c = checkout(Carrier::Docomo, 1000, Some("A1"));
    let r = record(
        Status::Authorized,
        StatusSet::EMPTY.with(Status::Authorized),
        Withdrawal::None,
    );
    let mut paid = notice(Status::Completed);
    paid.sendid = Some(sendid("S-1"));
    paid.carrier = Some(Carrier::Docomo);
    paid.money = Some(yen(800));
    // No settle in flight: flagged, not applied.
    let d = on_notification(Some(&r), Some(&c), &paid, UnknownSendId::Flag);
    assert_eq!(
        d.effect,
        NoticeEffect::Flagged {
            flag: Flag::MoneyMismatch {
                sendid: sendid("S-1"),
                checkout: yen(1000),
                call: yen(800),
                status: Status::Completed
            },
            current: Some(Status::Authorized),
            reported: Status::Completed
        }
    );
    // The merchant's settle of 800 is in flight: the call agrees.
    let day = NaiveDate::from_ymd_opt(2026, 1, 11).expect("date");
    let sent = r.begin_operation(InFlight::new(
        OperationKind::Settle,
        Some(yen(800)),
        at("2026-01-11T09:59:00+09:00"),
    ));
    let d = on_notification(Some(&sent), Some(&c), &paid, UnknownSendId::Flag);
    assert_eq!(
        d.effect,
        NoticeEffect::Advanced {
            from: Status::Authorized,
            to: Status::Completed
        }
    );
    let after_call = d.record.expect("record");
    assert_eq!(after_call.money(), Some(yen(800)));
    assert_eq!(after_call.settled_at(), Some(paid.received_at));
    assert!(after_call.in_flight().is_some(), "the answer is still due");
    // The answer, recorded late: no step, the amount and settle time kept.
    let report = OperationReport::new(
        Operation::Settle(SettlePlan::Today {
            date: day,
            money: 800,
        }),
        Status::Authorized,
        Outcome::Success { date: Some(day) },
        at("2026-01-11T10:00:05+09:00"),
    );
    let d = on_operation(&after_call, &report).expect("applies");
    assert!(d.steps.is_empty());
    assert_eq!(d.record.status(), Status::Completed);
    assert_eq!(d.record.money(), Some(yen(800)));
    assert_eq!(d.record.in_flight(), None);
    // A resend of the 07 agrees with the recorded amount: a duplicate.
    let again = on_notification(Some(&d.record), Some(&c), &paid, UnknownSendId::Flag);
    assert_eq!(
        again.effect,
        NoticeEffect::Duplicate {
            status: Status::Completed
        }
    );
}
