//! The merchant model against a reference model: the same rules spelled a
//! second way (forwardness as an explicit list of SPEC §3's reachable
//! statuses, outcomes by class, an operation's meaning as a hand-written
//! path, the amount rule as a set of known amounts), run over random
//! sequences of notifications (right, missing or foreign `sendid`; right,
//! missing or wrong carrier; the ordered, the current, the in-flight or any
//! other amount), operations (marked in flight, answered, or never
//! answered), failed recordings and reconciliations, under both
//! `--unknown-sendid` policies (INTERFACES v3 §3). After every step the
//! WHOLE record is compared, field by field.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;
use strum::IntoEnumIterator;

use super::tests::{at, order_no, plans, sendid, yen};
use super::*;
use crate::carrier::Carrier;
use crate::error_code::lookup;
use crate::secure_link::{Outcome, UnknownReason};
use crate::settle::SettlePlan;
use crate::status::Status;
use crate::time::{JstDateTime, jst_date};
use crate::values::{ClientIp, Money, SendId};

/// SPEC §3 read by hand: the statuses each status can still reach, without
/// the merchant's own withdrawal (04 → 03).
fn reference_ahead(from: Status, to: Status) -> bool {
    use Status::*;
    let ahead: &[Status] = match from {
        Accepting => &[
            PaymentFailed,
            Authorized,
            SettleReserved,
            Settling,
            SettleFailed,
            Completed,
            Cancelled,
            CompletedCancelFailed,
            AuthorizationCancelled,
            AuthorizationCancelFailed,
        ],
        Authorized | SettleReserved => &[
            SettleReserved,
            Settling,
            SettleFailed,
            Completed,
            Cancelled,
            CompletedCancelFailed,
            AuthorizationCancelled,
            AuthorizationCancelFailed,
        ],
        Settling => &[SettleFailed, Completed, Cancelled, CompletedCancelFailed],
        Completed => &[Cancelled, CompletedCancelFailed],
        PaymentFailed
        | SettleFailed
        | Cancelled
        | CompletedCancelFailed
        | AuthorizationCancelled
        | AuthorizationCancelFailed => &[],
    };
    from != to && ahead.contains(&to)
}

/// The ordered amount of the test's one checkout.
const ORDERED: u32 = 1000;

/// Which amount a notification carries.
#[derive(Debug, Clone, Copy)]
enum AmountPick {
    None,
    Ordered,
    /// The record's current amount (the ordered one while there is none).
    Current,
    /// The amount of the settle in flight (900 while there is none).
    InFlight,
    Other(u32),
}

/// Which carrier a notification carries.
#[derive(Debug, Clone, Copy)]
enum CarrierPick {
    None,
    Checkout,
    Other,
}

/// Which `sendid` a notification carries.
#[derive(Debug, Clone, Copy)]
enum SendIdPick {
    Checkout,
    None,
    Foreign,
}

#[derive(Debug, Clone)]
enum Input {
    Notice {
        status: Status,
        money: AmountPick,
        carrier: CarrierPick,
        sendid: SendIdPick,
        /// Whether the call carries `clientip` and `sendpoint`.
        extras: bool,
    },
    /// Marks an operation chosen among the ones the record's status allows
    /// in flight (stored before it is sent); its answer comes later, or
    /// never.
    Begin { choice: usize },
    /// The answer to the operation in flight.
    Answer { outcome: usize },
    /// An operation marked, sent and answered at once.
    Operate { choice: usize, outcome: usize },
    /// The answer came but could not be recorded.
    NotRecorded,
    /// Someone compared the order with the gateway.
    Reconciled,
}

fn input() -> impl Strategy<Value = Input> {
    let status = proptest::sample::select(Status::iter().collect::<Vec<_>>());
    let money = prop_oneof![
        2 => Just(AmountPick::None),
        3 => Just(AmountPick::Ordered),
        2 => Just(AmountPick::Current),
        1 => Just(AmountPick::InFlight),
        1 => (1u32..=1200).prop_map(AmountPick::Other),
    ];
    let carrier = prop_oneof![
        2 => Just(CarrierPick::None),
        6 => Just(CarrierPick::Checkout),
        1 => Just(CarrierPick::Other),
    ];
    let sendid = prop_oneof![
        8 => Just(SendIdPick::Checkout),
        1 => Just(SendIdPick::None),
        1 => Just(SendIdPick::Foreign),
    ];
    prop_oneof![
        6 => (status, money, carrier, sendid, any::<bool>()).prop_map(
            |(status, money, carrier, sendid, extras)| Input::Notice { status, money, carrier, sendid, extras }
        ),
        1 => (0usize..8).prop_map(|choice| Input::Begin { choice }),
        1 => (0usize..8).prop_map(|outcome| Input::Answer { outcome }),
        3 => (0usize..8, 0usize..8).prop_map(|(choice, outcome)| Input::Operate { choice, outcome }),
        1 => Just(Input::NotRecorded),
        1 => Just(Input::Reconciled),
    ]
}

/// The outcomes an operation may get, by class.
fn outcome(i: usize, today: NaiveDate) -> Outcome {
    let f = |c: &str| Outcome::Failure { code: lookup(c) };
    match i {
        0 | 1 => Outcome::Success { date: Some(today) },
        2 => f("010100034"),
        3 => f("010100023"),
        4 => f("010010007"),
        5 => Outcome::Maintenance {
            code: lookup("020020008"),
        },
        6 => Outcome::Invalid {
            code: lookup("00000002"),
        },
        _ => Outcome::Unknown {
            reason: UnknownReason::Transport("timeout".into()),
        },
    }
}

/// The reference record: every field of a merchant record, kept by hand.
#[derive(Debug, Clone, PartialEq)]
struct RefRecord {
    status: Status,
    money: Option<Money>,
    original_money: Option<Money>,
    carrier: Option<Carrier>,
    clientip: Option<ClientIp>,
    sendid: Option<SendId>,
    sendpoint: Option<String>,
    first_seen_at: JstDateTime,
    settle_date: Option<NaiveDate>,
    settled_at: Option<JstDateTime>,
    reconciliation: Option<ReconcileReason>,
    seen: BTreeSet<Status>,
    withdrawal_pending: bool,
    in_flight: Option<InFlight>,
    created: u64,
    duplicates: u64,
    stale: u64,
    flagged: u64,
}

impl RefRecord {
    /// The record's parts as the model must have them.
    fn parts(&self) -> RecordParts {
        RecordParts {
            order_no: order_no("A1"),
            status: self.status,
            money: self.money,
            original_money: self.original_money,
            carrier: self.carrier,
            clientip: self.clientip.clone(),
            sendid: self.sendid.clone(),
            sendpoint: self.sendpoint.clone(),
            first_seen_at: self.first_seen_at,
            // D-7: the windows count from the first notification's receipt.
            window_from: self.first_seen_at,
            settle_date: self.settle_date,
            settled_at: self.settled_at,
            reconciliation: self.reconciliation.clone(),
            notified: self.seen.iter().copied().collect(),
            withdrawal: if self.withdrawal_pending {
                Withdrawal::Requested
            } else {
                Withdrawal::None
            },
            in_flight: self.in_flight,
            counters: Counters::new(self.created, self.duplicates, self.stale, self.flagged),
        }
    }
}

/// The reference: the record (if any), whether a flagged call arrived for
/// an order with no record, and whether the checkout is bound to the order.
#[derive(Debug)]
struct Ref {
    policy: UnknownSendId,
    checkout_saved: bool,
    bound: bool,
    record: Option<RefRecord>,
    never_applied: bool,
}

/// A notification as the reference reads it.
struct Call {
    status: Status,
    money: Option<Money>,
    carrier: Option<Carrier>,
    sendid: Option<SendId>,
    clientip: Option<ClientIp>,
    sendpoint: Option<String>,
    at: JstDateTime,
}

/// What the reference expects a notification to do.
#[derive(Debug, PartialEq)]
struct Expect {
    effect: EffectKind,
    flag: Option<FlagKind>,
    claim: bool,
}

impl Ref {
    fn notice(&mut self, c: &Call) -> Expect {
        // INTERFACES v3 §3: the checkout of the call's sendid, if saved.
        let has_checkout = self.checkout_saved && c.sendid == Some(sendid("S-1"));
        let flag = if has_checkout {
            // R-SL-5: the amounts this merchant knows of: the ordered one,
            // the current one, and the one of a settle in flight.
            let mut known = BTreeSet::from([yen(ORDERED)]);
            if let Some(r) = &self.record {
                known.extend(r.money);
                known.extend(r.in_flight.and_then(|f| f.money));
            }
            if c.carrier.is_some_and(|x| x != Carrier::Docomo) {
                Some(FlagKind::CarrierMismatch)
            } else if c.money.is_some_and(|m| !known.contains(&m)) {
                Some(FlagKind::MoneyMismatch)
            } else {
                None
            }
        } else if self.policy == UnknownSendId::Flag {
            Some(FlagKind::NoCheckout)
        } else {
            None
        };
        if let Some(kind) = flag {
            match &mut self.record {
                Some(r) => {
                    r.flagged += 1;
                    r.reconciliation
                        .get_or_insert(ReconcileReason::Flagged(kind));
                }
                None => self.never_applied = true,
            }
            return Expect {
                effect: EffectKind::Flagged,
                flag: Some(kind),
                claim: false,
            };
        }
        let Some(r) = &mut self.record else {
            self.record = Some(RefRecord {
                status: c.status,
                money: c.money,
                original_money: c.money,
                carrier: c.carrier,
                clientip: c.clientip.clone(),
                sendid: c.sendid.clone(),
                sendpoint: c.sendpoint.clone(),
                first_seen_at: c.at,
                settle_date: None,
                settled_at: if c.status == Status::Completed {
                    Some(c.at)
                } else {
                    None
                },
                reconciliation: None,
                seen: BTreeSet::from([c.status]),
                withdrawal_pending: false,
                in_flight: None,
                created: 1,
                duplicates: 0,
                stale: 0,
                flagged: 0,
            });
            let claim = has_checkout && !self.bound;
            self.bound |= claim;
            return Expect {
                effect: EffectKind::Create,
                flag: None,
                claim,
            };
        };
        let current = r.status;
        let back_by_withdrawal = current == Status::SettleReserved
            && c.status == Status::Authorized
            && r.withdrawal_pending;
        let first_time = !r.seen.contains(&c.status);
        let effect = if back_by_withdrawal || (first_time && reference_ahead(current, c.status)) {
            if back_by_withdrawal {
                // R-SL-6: an authorization of the original amount again.
                r.money = r.original_money;
                r.settle_date = None;
            }
            r.status = c.status;
            r.created += 1;
            r.money = c.money.or(r.money);
            r.original_money = r.original_money.or(c.money);
            r.carrier = r.carrier.or(c.carrier);
            r.clientip = r.clientip.clone().or(c.clientip.clone());
            r.sendid = r.sendid.clone().or(c.sendid.clone());
            r.sendpoint = r.sendpoint.clone().or(c.sendpoint.clone());
            if c.status == Status::Completed {
                r.settled_at = r.settled_at.or(Some(c.at));
            }
            EffectKind::Advance
        } else if c.status == current || !first_time {
            r.duplicates += 1;
            EffectKind::Duplicate
        } else {
            r.stale += 1;
            EffectKind::Stale
        };
        r.seen.insert(c.status);
        if r.status != Status::SettleReserved {
            r.withdrawal_pending = false;
        }
        Expect {
            effect,
            flag: None,
            claim: false,
        }
    }

    fn operation(&mut self, op: &Operation, planned: Status, outcome: &Outcome, at: JstDateTime) {
        let Some(r) = &mut self.record else { return };
        r.in_flight = None;
        let kind = match op {
            Operation::Settle(_) => OperationKind::Settle,
            Operation::Cancel(_) => OperationKind::Cancel,
        };
        let carrier_failure =
            matches!(outcome, Outcome::Failure { code } if code.raw() == "010100034");
        match outcome {
            Outcome::Unknown { .. } => {
                r.reconciliation = Some(ReconcileReason::OutcomeUnknown(kind));
                if matches!(op, Operation::Settle(SettlePlan::Withdraw))
                    && r.status == Status::SettleReserved
                {
                    r.withdrawal_pending = true;
                }
                return;
            }
            Outcome::Failure { code } if code.raw() == "010100023" => {
                r.reconciliation = Some(ReconcileReason::ReconcileFirstCode(kind, code.clone()));
                return;
            }
            _ => {}
        }
        let success = outcome.is_success();
        let answered = match outcome {
            Outcome::Success { date } => *date,
            _ => None,
        };
        // The operation's path from the planned status, and what it sets
        // when the record ends where it ends: (path, amount, settle date,
        // settle time).
        type Sets = (Vec<Status>, Option<Money>, Option<Option<NaiveDate>>, bool);
        let today = jst_date(&at);
        let (path, money, date, confirmed): Sets = match *op {
            Operation::Settle(SettlePlan::Today { money, date }) if success => {
                if answered.is_some_and(|d| d > date) {
                    (
                        vec![Status::SettleReserved],
                        Money::new(money),
                        Some(answered),
                        false,
                    )
                } else {
                    (
                        vec![Status::Settling, Status::Completed],
                        Money::new(money),
                        Some(Some(today)),
                        true,
                    )
                }
            }
            Operation::Settle(SettlePlan::Today { money, .. }) if carrier_failure => (
                vec![Status::Settling, Status::SettleFailed],
                Money::new(money),
                Some(Some(today)),
                false,
            ),
            Operation::Settle(SettlePlan::Reserve { money, date }) if success => (
                vec![Status::SettleReserved],
                Money::new(money),
                Some(Some(answered.unwrap_or(date))),
                false,
            ),
            Operation::Settle(SettlePlan::Withdraw) if success => (
                vec![Status::Authorized],
                r.original_money,
                Some(None),
                false,
            ),
            Operation::Cancel(_) if success || carrier_failure => {
                let to = match (planned == Status::Completed, success) {
                    (true, true) => Status::Cancelled,
                    (true, false) => Status::CompletedCancelFailed,
                    (false, true) => Status::AuthorizationCancelled,
                    (false, false) => Status::AuthorizationCancelFailed,
                };
                (vec![to], None, None, false)
            }
            _ => (Vec::new(), None, None, false),
        };
        if let Some(&end) = path.last() {
            // The record joins the path where it stands on it, or moves to
            // its end when that lies ahead (a CGI call may have moved it
            // since the plan, or the operation overtaken the call).
            let stands_on = std::iter::once(planned)
                .chain(path.iter().copied())
                .take(path.len())
                .any(|s| s == r.status);
            if stands_on || reference_ahead(r.status, end) {
                r.status = end;
            }
            if r.status == end {
                r.money = money.or(r.money);
                if let Some(d) = date {
                    r.settle_date = d;
                }
                if confirmed {
                    r.settled_at = Some(at);
                }
            }
        }
        if r.status == Status::Completed && r.settled_at.is_none() {
            r.settled_at = Some(at);
        }
        if r.status != Status::SettleReserved {
            r.withdrawal_pending = false;
        }
    }
}

/// Settle plans ask for 900 yen; withdrawals and cancels for no amount.
fn asked(op: &Operation) -> Option<Money> {
    match op {
        Operation::Settle(SettlePlan::Today { money, .. } | SettlePlan::Reserve { money, .. }) => {
            Money::new(*money)
        }
        Operation::Settle(_) | Operation::Cancel(_) => None,
    }
}

fn policy() -> impl Strategy<Value = UnknownSendId> {
    proptest::sample::select(UnknownSendId::iter().collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// R-CG-3, R-CG-4, R-RS-3, R-SL-5, R-SL-6, INTERFACES v3 §3
    /// `--unknown-sendid`: the merchant model agrees with the reference
    /// model on every prefix of any sequence of notifications (with right,
    /// missing or foreign `sendid`, carrier and amount), operations (marked
    /// in flight, answered now, later or never), failed recordings and
    /// reconciliations, under either policy and with or without a saved
    /// checkout: the effect (and flag kind), the claim, and the WHOLE
    /// record after every step — status, amounts, settle date and time,
    /// windows, payout eligibility, typed reconciliation reason, in-flight
    /// mark, counters and notified set; an order with no record is listed
    /// for reconciliation exactly when a flagged call arrived for it.
    #[test]
    fn r_cg_3_r_cg_4_r_rs_3_r_sl_5_merchant_model_matches_the_reference_whole_record(
        policy in policy(),
        checkout_saved in proptest::bool::weighted(0.85),
        inputs in proptest::collection::vec(input(), 1..40),
    ) {
        let today = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
        let mut checkout = Checkout::new(sendid("S-1"), yen(ORDERED), Carrier::Docomo, at("2026-01-11T09:00:00+09:00"));
        let mut sut: Option<MerchantRecord> = None;
        let mut pending: Option<(Operation, Status)> = None;
        let mut reference = Ref { policy, checkout_saved, bound: false, record: None, never_applied: false };
        let mut clock = at("2026-01-11T10:00:00+09:00");
        for i in inputs {
            clock += TimeDelta::seconds(1);
            match i {
                Input::Notice { status, money, carrier, sendid: pick, extras } => {
                    let r = reference.record.as_ref();
                    let money = match money {
                        AmountPick::None => None,
                        AmountPick::Ordered => Some(yen(ORDERED)),
                        AmountPick::Current => Some(r.and_then(|r| r.money).unwrap_or(yen(ORDERED))),
                        AmountPick::InFlight => Some(r.and_then(|r| r.in_flight).and_then(|f| f.money).unwrap_or(yen(900))),
                        AmountPick::Other(m) => Some(yen(m)),
                    };
                    let mut n = Notice::new(order_no("A1"), status, clock);
                    n.money = money;
                    n.carrier = match carrier {
                        CarrierPick::None => None,
                        CarrierPick::Checkout => Some(Carrier::Docomo),
                        CarrierPick::Other => Some(Carrier::Au),
                    };
                    n.sendid = match pick {
                        SendIdPick::Checkout => Some(sendid("S-1")),
                        SendIdPick::None => None,
                        SendIdPick::Foreign => Some(sendid("S-2")),
                    };
                    if extras {
                        n.clientip = Some(ClientIp::parse("1234567890").expect("clientip"));
                        n.sendpoint = Some(format!("point-{}", status.code()));
                    }
                    let saved = checkout_saved.then_some(&checkout);
                    let d = on_notification(sut.as_ref(), saved, &n, policy);
                    let expect = reference.notice(&Call {
                        status,
                        money: n.money,
                        carrier: n.carrier,
                        sendid: n.sendid.clone(),
                        clientip: n.clientip.clone(),
                        sendpoint: n.sendpoint.clone(),
                        at: clock,
                    });
                    let flag = match &d.effect {
                        NoticeEffect::Flagged { flag, .. } => Some(flag.kind()),
                        _ => None,
                    };
                    prop_assert_eq!(
                        Expect { effect: d.effect.kind(), flag, claim: d.claim.is_some() },
                        expect
                    );
                    prop_assert_eq!(d.step.is_some(), d.effect.changes_state());
                    if let Some(s) = d.claim {
                        prop_assert_eq!(s, checkout.sendid.clone());
                        checkout.order_no = Some(n.order_no.clone());
                    }
                    if let Some(r) = d.record {
                        sut = Some(r);
                    } else {
                        prop_assert!(sut.is_none(), "a record stays a record");
                    }
                }
                Input::Begin { choice } => {
                    let Some(r) = sut.take() else { continue };
                    let options = plans(r.status());
                    match options.get(choice % options.len().max(1)).copied() {
                        Some(op) if pending.is_none() => {
                            let mark = InFlight::new(op.kind(), asked(&op), clock);
                            pending = Some((op, r.status()));
                            sut = Some(r.begin_operation(mark));
                            if let Some(rr) = &mut reference.record {
                                rr.in_flight = Some(mark);
                            }
                        }
                        _ => sut = Some(r),
                    }
                }
                Input::Answer { outcome: o } => {
                    let (Some(r), Some((op, planned))) = (&sut, pending.take()) else { continue };
                    let outcome = outcome(o, today);
                    let report = OperationReport::new(op, planned, outcome.clone(), clock);
                    let d = on_operation(r, &report).expect("planned from the record's status then");
                    prop_assert_eq!(&d.reconcile, &reconcile_reason(&op, &outcome));
                    sut = Some(d.record);
                    reference.operation(&op, planned, &outcome, clock);
                }
                Input::Operate { choice, outcome: o } => {
                    if pending.is_some() { continue }
                    let Some(r) = sut.take() else { continue };
                    let options = plans(r.status());
                    let Some(op) = options.get(choice % options.len().max(1)).copied() else {
                        sut = Some(r);
                        continue;
                    };
                    let planned = r.status();
                    let r = r.begin_operation(InFlight::new(op.kind(), asked(&op), clock));
                    let outcome = outcome(o, today);
                    let report = OperationReport::new(op, planned, outcome.clone(), clock);
                    let d = on_operation(&r, &report).expect("planned from the record's status");
                    sut = Some(d.record);
                    reference.operation(&op, planned, &outcome, clock);
                }
                Input::NotRecorded => {
                    let Some(r) = sut.take() else { continue };
                    let kind = pending.map_or(OperationKind::Settle, |(op, _)| op.kind());
                    sut = Some(r.with_reconciliation(ReconcileReason::NotRecorded(kind)));
                    if let Some(rr) = &mut reference.record {
                        rr.reconciliation = Some(ReconcileReason::NotRecorded(kind));
                    }
                }
                Input::Reconciled => {
                    let Some(r) = sut.take() else { continue };
                    sut = Some(r.reconciled());
                    if let Some(rr) = &mut reference.record {
                        rr.reconciliation = None;
                        rr.in_flight = None;
                    }
                }
            }
            // The whole record, field by field.
            prop_assert_eq!(sut.as_ref().map(|r| r.parts().clone()), reference.record.as_ref().map(RefRecord::parts));
            let Some(r) = &sut else { continue };
            let rr = reference.record.as_ref().expect("both have a record");
            // What the record implies: payout eligibility (R-ST-1) and the
            // windows (D-7: a settle window only for 03, a cancel window for
            // 03, 04 and 07).
            prop_assert_eq!(r.payout_eligible(), matches!(rr.status, Status::Completed | Status::CompletedCancelFailed));
            let w = r.windows();
            prop_assert_eq!(w.settle_closes.is_some(), rr.status == Status::Authorized);
            prop_assert_eq!(
                w.cancel_closes.is_some(),
                matches!(rr.status, Status::Authorized | Status::SettleReserved | Status::Completed)
            );
            // The duties listed: the mark, then the operation in flight.
            let far = at("2030-01-01T00:00:00+09:00");
            let duties: Vec<_> = r.deadlines(far, far).into_iter().filter_map(|d| d.reason).collect();
            let expected: Vec<_> = rr.reconciliation.clone().map(DutyReason::Reconcile).into_iter()
                .chain(rr.in_flight.map(DutyReason::InFlight))
                .collect();
            prop_assert_eq!(duties, expected);
            // Every record the model produces is one a store can read back:
            // from_parts accepts its parts, and its typed reasons survive
            // their stored codes.
            prop_assert_eq!(MerchantRecord::from_parts(r.parts().clone()), Ok(r.clone()));
            if let Some(reason) = r.reconciliation() {
                prop_assert_eq!(ReconcileReason::from_code(&reason.code()), Some(reason.clone()));
            }
            if let Some(mark) = r.in_flight() {
                prop_assert_eq!(InFlight::from_code(&mark.code()), Some(*mark));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every record the model produces passes `from_parts`: whatever
    /// sequence of notifications (any `sendid`, carrier and amount, either
    /// `--unknown-sendid` policy), operations (answered at once, later or
    /// never), failed recordings and reconciliations, a store that writes
    /// the record's parts can read them back to the same record, and its
    /// reason and in-flight codes read back to the same values.
    #[test]
    fn every_record_the_model_produces_passes_from_parts(
        policy in policy(),
        inputs in proptest::collection::vec(input(), 1..40),
    ) {
        let today = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
        let mut checkout = Checkout::new(sendid("S-1"), yen(ORDERED), Carrier::Docomo, at("2026-01-11T09:00:00+09:00"));
        let mut sut: Option<MerchantRecord> = None;
        let mut pending: Option<(Operation, Status)> = None;
        let mut clock = at("2026-01-11T10:00:00+09:00");
        for i in inputs {
            clock += TimeDelta::seconds(1);
            match i {
                Input::Notice { status, money, carrier, sendid: pick, extras } => {
                    let mut n = Notice::new(order_no("A1"), status, clock);
                    n.money = match money {
                        AmountPick::None => None,
                        AmountPick::Ordered | AmountPick::Current => Some(yen(ORDERED)),
                        AmountPick::InFlight => Some(yen(900)),
                        AmountPick::Other(m) => Some(yen(m)),
                    };
                    n.carrier = match carrier {
                        CarrierPick::None => None,
                        CarrierPick::Checkout => Some(Carrier::Docomo),
                        CarrierPick::Other => Some(Carrier::Au),
                    };
                    n.sendid = match pick {
                        SendIdPick::Checkout => Some(sendid("S-1")),
                        SendIdPick::None => None,
                        SendIdPick::Foreign => Some(sendid("S-2")),
                    };
                    if extras {
                        n.sendpoint = Some("p".to_owned());
                    }
                    let d = on_notification(sut.as_ref(), Some(&checkout), &n, policy);
                    if d.claim.is_some() {
                        checkout.order_no = Some(n.order_no.clone());
                    }
                    sut = d.record.or(sut);
                }
                Input::Begin { choice } | Input::Operate { choice, .. } => {
                    let Some(r) = sut.take() else { continue };
                    let options = plans(r.status());
                    let op = options.get(choice % options.len().max(1)).copied();
                    let planned = r.status();
                    let r = match op {
                        Some(op) if pending.is_none() => {
                            pending = Some((op, planned));
                            r.begin_operation(InFlight::new(op.kind(), asked(&op), clock))
                        }
                        _ => r,
                    };
                    sut = Some(r);
                    if let (Input::Operate { outcome: o, .. }, Some((op, planned))) = (i, pending) {
                        let report = OperationReport::new(op, planned, outcome(o, today), clock);
                        let r = sut.as_ref().expect("a record");
                        sut = Some(on_operation(r, &report).expect("planned from its status").record);
                        pending = None;
                    }
                }
                Input::Answer { outcome: o } => {
                    let (Some(r), Some((op, planned))) = (&sut, pending.take()) else { continue };
                    let report = OperationReport::new(op, planned, outcome(o, today), clock);
                    sut = Some(on_operation(r, &report).expect("planned from its status then").record);
                }
                Input::NotRecorded => {
                    sut = sut.map(|r| r.with_reconciliation(ReconcileReason::NotRecorded(OperationKind::Cancel)));
                }
                Input::Reconciled => sut = sut.map(MerchantRecord::reconciled),
            }
            if let Some(r) = &sut {
                prop_assert_eq!(MerchantRecord::from_parts(r.parts().clone()), Ok(r.clone()));
                if let Some(reason) = r.reconciliation() {
                    prop_assert_eq!(ReconcileReason::from_code(&reason.code()), Some(reason.clone()));
                }
                if let Some(mark) = r.in_flight() {
                    prop_assert_eq!(InFlight::from_code(&mark.code()), Some(*mark));
                }
            }
        }
    }
}
