//! Property tests of the settle rules (R-SL-1, R-SL-4, R-SL-5) and of the
//! agreement between the merchant's pre-check and the gateway's answer.

use super::*;
use crate::settle::tests::{SETTLEABLE, at, edit, order};
use crate::time::start_of_jst_day;
use chrono::TimeDelta;
use proptest::prelude::*;
use strum::IntoEnumIterator;

/// An order in any status (mostly the two that allow a settle), accepted at
/// any time of 2026, with a reservation or settle time where its status has
/// one.
fn order_strategy() -> impl Strategy<Value = Order> {
    (
        prop_oneof![
            3 => proptest::sample::select(SETTLEABLE.to_vec()),
            1 => proptest::sample::select(Status::iter().collect::<Vec<_>>()),
        ],
        proptest::sample::select(Carrier::iter().collect::<Vec<_>>()),
        1u32..=50_000,
        0i64..365 * 86_400,
        1i64..=50,
        0i64..50 * 86_400,
    )
        .prop_map(|(status, carrier, original, acc, res_day, settled)| {
            edit(order(status, carrier, original), |o| {
                o.accepted_at = at("2026-01-01T00:00:00+09:00") + TimeDelta::seconds(acc);
                let acc_date = jst_date(&o.accepted_at);
                o.settle_date = o.settle_date.map(|_| acc_date + TimeDelta::days(res_day));
                o.settled_at = o
                    .settled_at
                    .map(|_| o.accepted_at + TimeDelta::seconds(settled));
            })
        })
}

/// An order, settle parameters and an instant from the acceptance date to
/// 60 days later, often in the last minutes of a day (23:55:00 on), with
/// dates and amounts often on the edges of the rules.
fn scenario() -> impl Strategy<Value = (Order, SettleParams, JstDateTime)> {
    (
        order_strategy(),
        prop_oneof![0i64..=60, 49i64..=52],
        prop_oneof![0i64..86_400, 86_099i64..86_400],
        0u8..5,
        0u32..=60_000,
        proptest::option::of(proptest::sample::select(vec![Autype::Sale, Autype::Auth])),
        0u8..6,
        -3i64..=55,
    )
        .prop_map(
            |(o, day, secs, money_kind, money, autype, date_kind, offset)| {
                let acc_date = jst_date(&o.accepted_at());
                let today = acc_date + TimeDelta::days(day);
                let now = start_of_jst_day(today) + TimeDelta::seconds(secs);
                let original = o.original_money();
                let money = match money_kind {
                    0 => None,
                    1 => Some(original),
                    2 => Some(money),
                    3 => Some(0),
                    _ => Some(original.saturating_add(money % 3).saturating_sub(1)),
                };
                let date = match date_kind {
                    0 => None,
                    1 => Some(today),
                    2 => Some(today + TimeDelta::days(offset)),
                    3 => Some(acc_date + TimeDelta::days(50)),
                    4 => Some(acc_date + TimeDelta::days(51)),
                    _ => today.pred_opt(),
                };
                (
                    o,
                    SettleParams {
                        money,
                        autype,
                        date,
                    },
                    now,
                )
            },
        )
}

fn accepted_plan(o: &Order, p: &SettleParams, now: JstDateTime) -> Option<(NaiveDate, u32)> {
    match check_settle(&OrderFacts::from(o), p, now) {
        Ok(SettlePlan::Today { date, money } | SettlePlan::Reserve { date, money }) => {
            Some((date, money))
        }
        Ok(SettlePlan::Withdraw) | Err(_) => None,
    }
}

proptest! {
    /// R-SL-1: the pre-check never accepts a settle dated in the past.
    #[test]
    fn r_sl_1_precheck_never_accepts_a_past_date((o, p, now) in scenario()) {
        if let Some((date, _)) = accepted_plan(&o, &p, now) {
            prop_assert!(date >= jst_date(&now));
        }
    }

    /// R-SL-1/R-SL-7: never a date after acceptance date + 50 days.
    #[test]
    fn r_sl_1_precheck_never_accepts_a_date_beyond_the_window((o, p, now) in scenario()) {
        if let Some((date, _)) = accepted_plan(&o, &p, now) {
            prop_assert!(date <= jst_date(&o.accepted_at()) + TimeDelta::days(50));
        }
    }

    /// R-SL-4: never a settle for today at or after 23:55:00; a plan for
    /// today is dated today, a reservation later.
    #[test]
    fn r_sl_4_precheck_never_settles_today_at_or_after_2355((o, p, now) in scenario()) {
        match check_settle(&OrderFacts::from(&o), &p, now) {
            Ok(SettlePlan::Today { date, .. }) => {
                prop_assert_eq!(date, jst_date(&now));
                prop_assert!(now.time() < chrono::NaiveTime::from_hms_opt(23, 55, 0).expect("t"));
            }
            Ok(SettlePlan::Reserve { date, .. }) => prop_assert!(date > jst_date(&now)),
            Ok(SettlePlan::Withdraw) | Err(_) => {}
        }
    }

    /// R-SL-5: never an amount of 0 or above the original (docomo, au), never
    /// anything but the original (SoftBank).
    #[test]
    fn r_sl_5_precheck_never_accepts_a_wrong_amount((o, p, now) in scenario()) {
        if let Some((_, money)) = accepted_plan(&o, &p, now) {
            match o.carrier() {
                Carrier::Docomo | Carrier::Au => {
                    prop_assert!((1..=o.original_money()).contains(&money));
                }
                Carrier::SoftBank => prop_assert_eq!(money, o.original_money()),
            }
        }
    }

    /// The merchant's prediction equals the gateway's answer for the same
    /// order, parameters and instant; after the response (in any parameter
    /// order) the merchant applies exactly the gateway's events, which the
    /// transition table allows.
    #[test]
    fn r_sl_answer_settle_agrees_with_check_settle(
        (o, p, now) in scenario(),
        carrier_ok in any::<bool>(),
        variant in any::<usize>(),
    ) {
        let answer = answer_settle(
            Some(&o),
            ZkeyCheck::Matches,
            &p,
            if carrier_ok { CarrierResult::Succeeds } else { CarrierResult::Fails },
            now,
        );
        match check_settle(&OrderFacts::from(&o), &p, now) {
            Err(refusal) => {
                prop_assert_eq!(&answer.response(), &refusal.response());
                prop_assert!(answer.events().is_empty());
            }
            Ok(plan) => {
                let outcome = Outcome::from_http(200, answer.response().render(variant).as_bytes());
                prop_assert_eq!(settle_events_for(&plan, &outcome), answer.events().to_vec());
                if outcome.is_success() {
                    prop_assert_eq!(answer.date(), Some(plan.response_date(now)));
                }
                let mut gw = o.clone();
                for e in answer.events() {
                    prop_assert!(gw.apply(e, now).is_ok(), "{:?} in {}", e, gw.status());
                }
            }
        }
    }
}
