//! Cancel rule R-CN-1 (D-7 windows), the gateway's answer and the
//! merchant's events.

use super::*;
use crate::carrier::Carrier;
use crate::error_code::lookup;
use crate::secure_link::ResultKind;
use crate::settle::tests::{ACCEPTED, SETTLED, at, facts, order};
use crate::transition::{EventKind, next_status};
use chrono::TimeDelta;
use proptest::prelude::*;
use strum::IntoEnumIterator;

const CANCELLABLE: [Status; 3] = [
    Status::Authorized,
    Status::SettleReserved,
    Status::Completed,
];

/// The instant the R-CN-1 window starts for a cancellable status.
fn window_start(status: Status) -> JstDateTime {
    if status == Status::Completed {
        at(SETTLED)
    } else {
        at(ACCEPTED)
    }
}

fn refusal(r: Result<CancelPlan, Refusal>) -> Option<(&'static str, &'static str)> {
    r.err().map(|e| {
        assert_eq!(e.result(), ResultKind::FailureOrder);
        (e.code(), e.rule())
    })
}

#[test]
fn r_cn_1_other_statuses_are_refused_with_010010107() {
    for status in Status::iter().filter(|s| !CANCELLABLE.contains(s)) {
        for carrier in Carrier::iter() {
            let now = at("2026-01-13T10:00:00+09:00");
            assert_eq!(
                refusal(check_cancel(&facts(status, carrier, 1000), now)),
                Some(("010010107", "R-CN-1")),
                "{status} {carrier}"
            );
        }
    }
}

#[test]
fn r_cn_1_cancellable_statuses_are_exactly_those_of_the_transition_table() {
    let now = at("2026-01-13T10:00:00+09:00");
    for status in Status::iter() {
        let allowed = next_status(status, EventKind::CancelOk).is_ok();
        assert_eq!(allowed, next_status(status, EventKind::CancelFail).is_ok());
        assert_eq!(
            check_cancel(&facts(status, Carrier::Au, 1000), now).is_ok(),
            allowed,
            "{status}"
        );
    }
}

/// D-7, R-CN-1: for every status, [`cancel_plan`] exists iff the table has
/// a CancelOk row from it; an authorization plan is the one whose rows lead
/// to 10/11 (deadline acceptance + 50 × 24 h), a sale plan the one whose
/// rows lead to 08/09 (deadline settle time + 50 × 24 h, unknown without a
/// settle time).
#[test]
fn r_cn_1_d7_cancel_plan_exists_iff_the_table_has_a_cancel_ok_row() {
    use crate::transition::TRANSITIONS;
    let accepted = at(ACCEPTED);
    let settled = at(SETTLED);
    for status in Status::iter() {
        let row = |event| {
            TRANSITIONS
                .iter()
                .find(|t| t.from == status && t.event == event)
                .map(|t| t.to)
        };
        let plan = cancel_plan(status, &accepted, Some(&settled));
        let unknown_settle = cancel_plan(status, &accepted, None);
        match (row(EventKind::CancelOk), row(EventKind::CancelFail)) {
            (None, None) => {
                assert_eq!(plan, None, "{status}");
                assert_eq!(unknown_settle, None, "{status}");
            }
            (Some(Status::AuthorizationCancelled), Some(Status::AuthorizationCancelFailed)) => {
                let want = Some(CancelPlan::Authorization {
                    deadline: cancel_deadline(&accepted),
                });
                assert_eq!(plan, want, "{status}");
                assert_eq!(unknown_settle, want, "{status}");
            }
            (Some(Status::Cancelled), Some(Status::CompletedCancelFailed)) => {
                assert_eq!(
                    plan,
                    Some(CancelPlan::Sale {
                        deadline: Some(cancel_deadline(&settled)),
                    }),
                    "{status}"
                );
                assert_eq!(
                    unknown_settle,
                    Some(CancelPlan::Sale { deadline: None }),
                    "{status}"
                );
            }
            other => panic!("{status}: unexpected cancel rows {other:?}"),
        }
    }
}

#[test]
fn r_cn_1_window_is_inclusive_at_50x24h_and_refused_one_second_later_with_010010113() {
    for status in CANCELLABLE {
        for carrier in Carrier::iter() {
            let f = facts(status, carrier, 1000);
            let start = window_start(status);
            let day_50 = start + TimeDelta::hours(50 * 24);
            assert!(check_cancel(&f, start).is_ok(), "{status} {carrier}");
            assert!(check_cancel(&f, day_50 - TimeDelta::seconds(1)).is_ok());
            assert!(
                check_cancel(&f, day_50).is_ok(),
                "{status} {carrier} at the deadline"
            );
            for late in [
                day_50 + TimeDelta::seconds(1),
                start + TimeDelta::hours(51 * 24),
            ] {
                assert_eq!(
                    refusal(check_cancel(&f, late)),
                    Some(("010010113", "R-CN-1")),
                    "{status} {carrier} {late}"
                );
            }
        }
    }
}

#[test]
fn r_cn_1_completed_counts_from_the_settle_time_not_the_acceptance() {
    let f = facts(Status::Completed, Carrier::Docomo, 1000);
    // 50 days after acceptance but within 50 days of the settle (2 days later).
    let now = at(ACCEPTED) + TimeDelta::hours(50 * 24 + 1);
    assert_eq!(
        check_cancel(&f, now),
        Ok(CancelPlan::Sale {
            deadline: Some(at(SETTLED) + TimeDelta::hours(50 * 24))
        })
    );
    // Without a known settle time, the window is not held against the merchant.
    let unknown = OrderFacts {
        settled_at: None,
        ..f
    };
    assert_eq!(
        check_cancel(&unknown, at("2027-01-01T00:00:00+09:00")),
        Ok(CancelPlan::Sale { deadline: None })
    );
}

#[test]
fn r_cn_1_gateway_answers_and_moves_the_order() {
    let now = at("2026-01-13T10:00:00+09:00");
    let cases = [
        (Status::Authorized, true, Status::AuthorizationCancelled),
        (Status::Authorized, false, Status::AuthorizationCancelFailed),
        (Status::SettleReserved, true, Status::AuthorizationCancelled),
        (
            Status::SettleReserved,
            false,
            Status::AuthorizationCancelFailed,
        ),
        (Status::Completed, true, Status::Cancelled),
        (Status::Completed, false, Status::CompletedCancelFailed),
    ];
    for (from, carrier_ok, to) in cases {
        let mut o = order(from, Carrier::SoftBank, 1000);
        let a = answer_cancel(
            Some(&o),
            ZkeyCheck::Matches,
            if carrier_ok {
                CarrierResult::Succeeds
            } else {
                CarrierResult::Fails
            },
            now,
        );
        let want = if carrier_ok {
            "result=Success_order&error_code=-"
        } else {
            "result=failure_order&error_code=010208451"
        };
        assert_eq!(a.response().render(0), want);
        for e in a.events() {
            o.apply(e, now).expect("the table allows it");
        }
        assert_eq!(o.status(), to, "{from} carrier_ok={carrier_ok}");
    }
}

#[test]
fn r_cn_unknown_order_is_010010101_and_wrong_zkey_is_010010100_the_cancel_family() {
    let now = at("2026-01-13T10:00:00+09:00");
    let o = order(Status::Completed, Carrier::Au, 1000);
    let a = answer_cancel(None, ZkeyCheck::Matches, CarrierResult::Succeeds, now);
    assert_eq!((a.code(), a.events().len()), ("010010101", 0));
    let a = answer_cancel(Some(&o), ZkeyCheck::Wrong, CarrierResult::Succeeds, now);
    assert_eq!((a.code(), a.events().len()), ("010010100", 0));
}

#[test]
fn r_rs_3_cancel_events_only_for_what_the_gateway_said() {
    let plan = CancelPlan::Authorization {
        deadline: at(ACCEPTED),
    };
    assert_eq!(
        cancel_events_for(&plan, &Outcome::Success { date: None }),
        [Event::CancelOk]
    );
    assert_eq!(
        cancel_events_for(
            &plan,
            &Outcome::Failure {
                code: lookup("010208451")
            }
        ),
        [Event::CancelFail]
    );
    for o in [
        Outcome::transport_failure("connection reset"),
        Outcome::Failure {
            code: lookup("010010013"),
        },
        Outcome::Maintenance {
            code: lookup("020020000"),
        },
        Outcome::Invalid {
            code: lookup("00000006"),
        },
    ] {
        assert!(cancel_events_for(&plan, &o).is_empty(), "{o:?}");
    }
}

proptest! {
    /// R-CN-1: the merchant's prediction equals the gateway's answer for the
    /// same order and instant, and the merchant applies the gateway's events.
    #[test]
    fn r_cn_1_answer_cancel_agrees_with_check_cancel(
        status in proptest::sample::select(Status::iter().collect::<Vec<_>>()),
        carrier in proptest::sample::select(Carrier::iter().collect::<Vec<_>>()),
        secs in 0i64..120 * 86_400,
        carrier_ok in any::<bool>(),
        variant in any::<usize>(),
    ) {
        let o = order(status, carrier, 1000);
        let now = at(ACCEPTED) + TimeDelta::seconds(secs);
        let answer = answer_cancel(Some(&o), ZkeyCheck::Matches, if carrier_ok { CarrierResult::Succeeds } else { CarrierResult::Fails }, now);
        match check_cancel(&OrderFacts::from(&o), now) {
            Err(r) => {
                prop_assert_eq!(&answer.response(), &r.response());
                prop_assert!(answer.events().is_empty());
            }
            Ok(plan) => {
                let outcome = Outcome::from_http(200, answer.response().render(variant).as_bytes());
                prop_assert_eq!(cancel_events_for(&plan, &outcome), answer.events());
            }
        }
    }
}
