//! The merchant model against a reference model: the same rules spelled a
//! second way (forwardness as an explicit list of SPEC §3's reachable
//! statuses, outcomes by class), run over random sequences of
//! notifications and operations.

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

/// The reference record.
#[derive(Debug, Default)]
struct Ref {
    status: Option<Status>,
    seen: BTreeSet<Status>,
    withdrawal_pending: bool,
    marked: bool,
    created: u64,
    duplicates: u64,
    stale: u64,
    flagged: u64,
}

#[derive(Debug, Clone)]
enum Input {
    Notice {
        status: Status,
        tampered: bool,
    },
    /// An operation chosen among the ones the record's status allows.
    Op {
        choice: usize,
        outcome: usize,
    },
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => (proptest::sample::select(Status::iter().collect::<Vec<_>>()), proptest::bool::weighted(0.1))
            .prop_map(|(status, tampered)| Input::Notice { status, tampered }),
        2 => (0usize..8, 0usize..8).prop_map(|(choice, outcome)| Input::Op { choice, outcome }),
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

impl Ref {
    fn notice(&mut self, reported: Status, tampered: bool) {
        if tampered {
            self.flagged += u64::from(self.status.is_some());
            self.marked |= self.status.is_some();
            return;
        }
        let Some(current) = self.status else {
            self.status = Some(reported);
            self.seen.insert(reported);
            self.created += 1;
            return;
        };
        let back_by_withdrawal = current == Status::SettleReserved
            && reported == Status::Authorized
            && self.withdrawal_pending;
        let first_time = !self.seen.contains(&reported);
        if back_by_withdrawal || (first_time && reference_ahead(current, reported)) {
            self.status = Some(reported);
            self.created += 1;
        } else if reported == current || !first_time {
            self.duplicates += 1;
        } else {
            self.stale += 1;
        }
        self.seen.insert(reported);
        if self.status != Some(Status::SettleReserved) {
            self.withdrawal_pending = false;
        }
    }

    fn operation(&mut self, op: &Operation, outcome: &Outcome) {
        let Some(current) = self.status else { return };
        let carrier_failure =
            matches!(outcome, Outcome::Failure { code } if code.raw() == "010100034");
        match outcome {
            Outcome::Unknown { .. } => {
                self.marked = true;
                if matches!(op, Operation::Settle(SettlePlan::Withdraw)) {
                    self.withdrawal_pending = true;
                }
                return;
            }
            Outcome::Failure { code } if code.raw() == "010100023" => {
                self.marked = true;
                return;
            }
            _ => {}
        }
        let success = outcome.is_success();
        let next = match op {
            Operation::Settle(SettlePlan::Today { .. }) if success => Some(Status::Completed),
            Operation::Settle(SettlePlan::Today { .. }) if carrier_failure => {
                Some(Status::SettleFailed)
            }
            Operation::Settle(SettlePlan::Reserve { .. }) if success => {
                Some(Status::SettleReserved)
            }
            Operation::Settle(SettlePlan::Withdraw) if success => Some(Status::Authorized),
            Operation::Cancel(_) if success || carrier_failure => Some(match (current, success) {
                (Status::Completed, true) => Status::Cancelled,
                (Status::Completed, false) => Status::CompletedCancelFailed,
                (_, true) => Status::AuthorizationCancelled,
                (_, false) => Status::AuthorizationCancelFailed,
            }),
            _ => None,
        };
        if let Some(next) = next {
            self.status = Some(next);
        }
        if self.status != Some(Status::SettleReserved) {
            self.withdrawal_pending = false;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The merchant model agrees with the reference model on every prefix of
    /// any sequence of notifications (some tampered) and operations planned
    /// from the record's status: status, counters, notified set,
    /// reconciliation mark and pending withdrawal.
    #[test]
    fn r_cg_3_r_cg_4_r_rs_3_merchant_model_matches_the_reference(inputs in proptest::collection::vec(input(), 1..40)) {
        let today = NaiveDate::from_ymd_opt(2026, 1, 12).expect("date");
        let mut checkout = Checkout::new(sendid("S-1"), yen(1000), Carrier::Docomo, at("2026-01-11T09:00:00+09:00"));
        let mut sut: Option<MerchantRecord> = None;
        let mut reference = Ref::default();
        let mut clock = at("2026-01-11T10:00:00+09:00");
        for i in inputs {
            clock += TimeDelta::seconds(1);
            match i {
                Input::Notice { status, tampered } => {
                    let mut n = Notice::new(order_no("A1"), status, clock);
                    n.sendid = Some(sendid("S-1"));
                    n.carrier = Some(if tampered { Carrier::Au } else { Carrier::Docomo });
                    let d = on_notification(sut.as_ref(), Some(&checkout), &n, UnknownSendId::Flag);
                    if let Some(s) = d.claim {
                        prop_assert_eq!(s, checkout.sendid.clone());
                        checkout.order_no = Some(n.order_no.clone());
                    }
                    if d.record.is_some() {
                        sut = d.record;
                    }
                    reference.notice(status, tampered);
                }
                Input::Op { choice, outcome: o } => {
                    let Some(r) = &sut else { continue };
                    let options = plans(r.status());
                    let Some(op) = options.get(choice % options.len().max(1)).copied() else { continue };
                    let outcome = outcome(o, today);
                    let report = OperationReport::new(op, r.status(), outcome.clone(), clock);
                    let d = on_operation(r, &report).expect("planned from the record's status");
                    sut = Some(d.record);
                    reference.operation(&op, &outcome);
                }
            }
            prop_assert_eq!(sut.as_ref().map(MerchantRecord::status), reference.status);
            if let Some(r) = &sut {
                let c = r.counters();
                prop_assert_eq!(
                    (c.notifications, c.duplicates, c.stale, c.flagged),
                    (reference.created, reference.duplicates, reference.stale, reference.flagged)
                );
                prop_assert_eq!(r.notified().iter().collect::<BTreeSet<_>>(), reference.seen.clone());
                prop_assert_eq!(r.reconciliation().is_some(), reference.marked);
                prop_assert_eq!(r.withdrawal() == Withdrawal::Requested, reference.withdrawal_pending);
            }
        }
    }
}
