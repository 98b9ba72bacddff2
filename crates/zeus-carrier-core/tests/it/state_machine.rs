//! Model-based test (proptest-state-machine): random sequences of shopper
//! decisions, settles, cancels and clock ticks drive the core (the gateway's
//! order with `answer_settle`/`answer_cancel`, the merchant's pre-checks and
//! its notification-driven copy) and a small reference model written
//! independently from SPEC §3, §5 and §6. After every step the two agree on
//! the status, the amount, the exact gateway answer, and the merchant's view.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use zeus_carrier_core::cancel::{answer_cancel, check_cancel};
use zeus_carrier_core::carrier::CarrierResult;
use zeus_carrier_core::merchant::{MerchantRecord, Notice, UnknownSendId, on_notification};
use zeus_carrier_core::secure_link::{Autype, Response, ResultKind, ZkeyCheck, is_carrier_code};
use zeus_carrier_core::settle::{OrderFacts, SettleParams, answer_settle, check_settle};
use zeus_carrier_core::status::OptionalCgi;
use zeus_carrier_core::time::{start_of_jst_day, to_jst};
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_core::{Carrier, Event, JstDateTime, Order, OrderDetails, PaymentMode, Status};

/// What the model expects the gateway to answer.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Success,
    /// `failure_order` with a carrier code (the carrier rejected it).
    CarrierFailure,
    /// `failure_order` with this gateway code.
    Refused(&'static str),
}

#[derive(Clone, Debug)]
struct Model {
    immediate: bool,
    carrier: Carrier,
    original: u32,
    status: &'static str,
    money: u32,
    accepted: NaiveDateTime,
    /// 受付完了: when the order left 01 for 03/07; the windows count from
    /// here (docs/DECISIONS.md).
    completed: Option<NaiveDateTime>,
    settle_date: Option<NaiveDate>,
    settled_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
    expect: Option<Expect>,
}

#[derive(Clone, Debug)]
enum Op {
    Decide {
        approve: bool,
    },
    Settle {
        date_offset: Option<i64>,
        money: Option<u32>,
        auth: bool,
        carrier_ok: bool,
    },
    Cancel {
        carrier_ok: bool,
    },
    Tick {
        secs: i64,
    },
}

fn cutoff() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 55, 0).expect("time")
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        (
            prop::bool::weighted(0.2),
            prop_oneof![
                Just(Carrier::Docomo),
                Just(Carrier::Au),
                Just(Carrier::SoftBank)
            ],
            1u32..=50_000,
            0u32..24,
            prop_oneof![0u32..60, Just(54), Just(55)],
            0u32..60,
        )
            .prop_map(|(immediate, carrier, original, h, m, s)| {
                let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
                let accepted = day.and_hms_opt(h, m, s).expect("time");
                Model {
                    immediate,
                    carrier,
                    original,
                    status: "01",
                    money: original,
                    accepted,
                    completed: None,
                    settle_date: None,
                    settled_at: None,
                    now: accepted,
                    expect: None,
                }
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Op> {
        let o = state.original;
        let money = prop_oneof![
            Just(None),
            Just(Some(o)),
            Just(Some(o.saturating_sub(1))),
            Just(Some(o + 1)),
            Just(Some(0)),
            Just(Some(1)),
        ];
        let offset = prop_oneof![Just(None), (-2i64..=52).prop_map(Some), Just(Some(0))];
        prop_oneof![
            1 => any::<bool>().prop_map(|approve| Op::Decide { approve }),
            4 => (offset, money, prop::bool::weighted(0.2), prop::bool::weighted(0.8)).prop_map(
                |(date_offset, money, auth, carrier_ok)| Op::Settle { date_offset, money, auth, carrier_ok }
            ),
            2 => prop::bool::weighted(0.7).prop_map(|carrier_ok| Op::Cancel { carrier_ok }),
            3 => prop_oneof![
                Just(1i64), Just(59), Just(300), Just(3_600), Just(6 * 3_600),
                Just(86_400), Just(10 * 86_400), Just(45 * 86_400), Just(50 * 86_400),
            ].prop_map(|secs| Op::Tick { secs }),
        ]
        .boxed()
    }

    fn apply(mut m: Model, op: &Op) -> Model {
        m.expect = None;
        let today = m.now.date();
        let window_from = m.completed.unwrap_or(m.accepted);
        let last_day = window_from.date() + Duration::days(50);
        match *op {
            Op::Decide { approve } => {
                if m.status == "01" {
                    m.status = match (approve, m.immediate) {
                        (false, _) => "02",
                        (true, true) => "07",
                        (true, false) => "03",
                    };
                    if m.status == "07" {
                        m.settled_at = Some(m.now);
                    }
                    if approve {
                        m.completed = Some(m.now);
                    }
                }
            }
            Op::Settle {
                date_offset,
                money,
                auth,
                carrier_ok,
            } => {
                let settleable = m.status == "03" || m.status == "04";
                m.expect = Some(if !settleable {
                    Expect::Refused("010010007")
                } else if auth {
                    if m.status == "04" && m.settle_date.is_some_and(|d| today < d) {
                        m.status = "03";
                        m.money = m.original;
                        m.settle_date = None;
                        Expect::Success
                    } else {
                        Expect::Refused("010010010")
                    }
                } else if today > last_day {
                    Expect::Refused("010010013")
                } else {
                    let after_cutoff = m.now.time() >= cutoff();
                    let date = match date_offset {
                        Some(d) => today + Duration::days(d),
                        None if after_cutoff => today + Duration::days(1),
                        None => today,
                    };
                    let amount = money.unwrap_or(m.original);
                    let amount_ok = match m.carrier {
                        Carrier::SoftBank => amount == m.original,
                        Carrier::Docomo | Carrier::Au => amount >= 1 && amount <= m.original,
                    };
                    if date < today || date > last_day {
                        Expect::Refused("010010011")
                    } else if date == today && after_cutoff {
                        Expect::Refused("010010012")
                    } else if !amount_ok {
                        Expect::Refused(match m.carrier {
                            Carrier::SoftBank => "010010015",
                            Carrier::Docomo | Carrier::Au => "010010014",
                        })
                    } else {
                        m.money = amount;
                        m.settle_date = Some(date);
                        if date > today {
                            m.status = "04";
                            Expect::Success
                        } else if carrier_ok {
                            m.status = "07";
                            m.settled_at = Some(m.now);
                            Expect::Success
                        } else {
                            m.status = "06";
                            Expect::CarrierFailure
                        }
                    }
                });
            }
            Op::Cancel { carrier_ok } => {
                let window_start = match m.status {
                    "03" | "04" => Some(window_from),
                    "07" => m.settled_at,
                    _ => None,
                };
                m.expect = Some(match window_start {
                    // The cancel's own family, 0100101xx (core `cancel` docs).
                    None => Expect::Refused("010010107"),
                    Some(from) if m.now > from + Duration::days(50) => Expect::Refused("010010113"),
                    Some(_) => {
                        m.status = match (m.status, carrier_ok) {
                            ("07", true) => "08",
                            ("07", false) => "09",
                            (_, true) => "10",
                            (_, false) => "11",
                        };
                        if carrier_ok {
                            Expect::Success
                        } else {
                            Expect::CarrierFailure
                        }
                    }
                });
            }
            Op::Tick { secs } => {
                m.now += Duration::seconds(secs);
                if let (Some(date), "04") = (m.settle_date, m.status) {
                    if m.now.date() >= date {
                        m.status = "07";
                        m.settled_at = Some(date.and_time(NaiveTime::MIN));
                    }
                }
            }
        }
        m
    }
}

fn jst(t: NaiveDateTime) -> JstDateTime {
    to_jst(
        &t.and_local_timezone(zeus_carrier_core::time::jst())
            .single()
            .expect("fixed offset"),
    )
}

/// The system under test: the gateway's order, the clock, and the merchant's
/// copy kept by notifications (CGI is sent for the statuses that send it).
struct Sut {
    gateway: Order,
    mode: PaymentMode,
    now: JstDateTime,
    merchant: Option<MerchantRecord>,
    last: Option<Response>,
}

impl Sut {
    /// The merchant's model receives the gateway's notification of `status`.
    /// This merchant renders its Link Point forms without saving checkouts,
    /// so it applies calls that have none (INTERFACES v3 §3
    /// `--unknown-sendid apply`).
    fn notify(&mut self, status: Status, at: JstDateTime) {
        let order_no = OrderNo::parse(self.gateway.order_no()).expect("order number");
        let d = on_notification(
            self.merchant.as_ref(),
            None,
            &Notice::new(order_no, status, at),
            UnknownSendId::Apply,
        );
        if d.record.is_some() {
            self.merchant = d.record;
        }
    }

    fn apply_events(&mut self, events: &[Event], at: JstDateTime) {
        for e in events {
            let to = self
                .gateway
                .apply(e, at)
                .expect("the gateway's events are allowed");
            if to.sends_cgi(OptionalCgi::Skip) {
                self.notify(to, at);
            }
        }
    }
}

struct CoreTest;

impl StateMachineTest for CoreTest {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(m: &Model) -> Sut {
        let details = OrderDetails {
            clientip: "1234567890".into(),
            carrier: m.carrier,
            money: m.original,
            username: "ゼウステスト_12345678".into(),
            telno: "0312345678".into(),
            email: String::new(),
            sendid: String::new(),
            sendpoint: String::new(),
            test: true,
        };
        Sut {
            gateway: Order::accept("SM-1", details, jst(m.accepted)),
            mode: if m.immediate {
                PaymentMode::Immediate
            } else {
                PaymentMode::Authorization
            },
            now: jst(m.now),
            merchant: None,
            last: None,
        }
    }

    fn apply(mut sut: Sut, _m: &Model, op: Op) -> Sut {
        sut.last = None;
        let now = sut.now;
        match op {
            Op::Decide { approve } => {
                let e = if approve {
                    Event::Approve { mode: sut.mode }
                } else {
                    Event::Decline
                };
                if sut.gateway.apply(&e, now).is_ok()
                    && sut.gateway.status().sends_cgi(OptionalCgi::Skip)
                {
                    let status = sut.gateway.status();
                    sut.notify(status, now);
                }
            }
            Op::Settle {
                date_offset,
                money,
                auth,
                carrier_ok,
            } => {
                let today = zeus_carrier_core::time::jst_date(&now);
                let params = SettleParams {
                    money,
                    autype: auth.then_some(Autype::Auth),
                    date: date_offset.map(|d| today + Duration::days(d)),
                };
                let predicted = check_settle(&OrderFacts::from(&sut.gateway), &params, now);
                let answer = answer_settle(
                    Some(&sut.gateway),
                    ZkeyCheck::Matches,
                    &params,
                    if carrier_ok {
                        CarrierResult::Succeeds
                    } else {
                        CarrierResult::Fails
                    },
                    now,
                );
                if let Err(refusal) = &predicted {
                    assert_eq!(refusal.code(), answer.code(), "prediction = answer");
                    assert!(answer.events().is_empty());
                }
                sut.apply_events(answer.events(), now);
                sut.last = Some(answer.response());
            }
            Op::Cancel { carrier_ok } => {
                let predicted = check_cancel(&OrderFacts::from(&sut.gateway), now);
                let answer = answer_cancel(
                    Some(&sut.gateway),
                    ZkeyCheck::Matches,
                    if carrier_ok {
                        CarrierResult::Succeeds
                    } else {
                        CarrierResult::Fails
                    },
                    now,
                );
                if let Err(refusal) = &predicted {
                    assert_eq!(refusal.code(), answer.code(), "prediction = answer");
                }
                sut.apply_events(answer.events(), now);
                sut.last = Some(answer.response());
            }
            Op::Tick { secs } => {
                sut.now = now + Duration::seconds(secs);
                let today = zeus_carrier_core::time::jst_date(&sut.now);
                if let (Status::SettleReserved, Some(date)) =
                    (sut.gateway.status(), sut.gateway.settle_date())
                {
                    if today >= date {
                        let at = start_of_jst_day(date);
                        sut.apply_events(
                            &[Event::SettleDateArrives, Event::CarrierConfirmsSettle],
                            at,
                        );
                    }
                }
            }
        }
        sut
    }

    fn check_invariants(sut: &Sut, m: &Model) {
        assert_eq!(sut.gateway.status().code(), m.status, "status");
        assert_eq!(sut.gateway.money(), m.money, "amount");
        assert_eq!(
            sut.gateway.settle_date().is_some(),
            m.settle_date.is_some(),
            "settle date"
        );
        assert_eq!(
            sut.gateway.status().payout_eligible(),
            matches!(m.status, "07" | "09"),
            "R-ST-1"
        );
        match (&m.expect, &sut.last) {
            (None, None) => {}
            (Some(Expect::Success), Some(r)) => {
                assert_eq!(
                    (r.result, r.error_code.as_str()),
                    (ResultKind::SuccessOrder, "-")
                );
            }
            (Some(Expect::CarrierFailure), Some(r)) => {
                assert_eq!(r.result, ResultKind::FailureOrder);
                assert!(is_carrier_code(&r.error_code), "{r:?}");
            }
            (Some(Expect::Refused(code)), Some(r)) => {
                assert_eq!(
                    (r.result, r.error_code.as_str()),
                    (ResultKind::FailureOrder, *code)
                );
            }
            (e, r) => panic!("model expected {e:?}, gateway answered {r:?}"),
        }
        // The merchant's copy is the latest notified status: never behind a
        // notified status, never ahead of the gateway (R-CG-3, R-CG-4).
        let notified = sut
            .gateway
            .history()
            .iter()
            .rev()
            .map(|h| h.to)
            .find(|s| s.sends_cgi(OptionalCgi::Skip));
        assert_eq!(
            sut.merchant.as_ref().map(MerchantRecord::status),
            notified,
            "merchant copy"
        );
        // History is a chain: each entry starts where the last one ended.
        for w in sut.gateway.history().windows(2) {
            assert_eq!(w[1].from, Some(w[0].to));
        }
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    /// Property: for any sequence of decisions, settles, cancels and clock
    /// ticks, the core and the reference model agree step by step (R-TR-1,
    /// R-TR-2, R-SL-1..7, R-CN-1, R-CG-3, R-CG-4, R-ST-1, D-7).
    #[test]
    fn r_tr_core_agrees_with_reference_model_on_random_operation_sequences(sequential 1..40 => CoreTest);
}
