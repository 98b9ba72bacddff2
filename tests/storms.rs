//! Duplicate and out-of-order storms (R-CG-3, R-CG-4): proptest generates
//! orders with a lifecycle the gateway could report, then delivers every
//! notification one to four times (retries, manual resends), in a shuffled
//! order, split across two receiver instances (two pools on one database)
//! and sent in concurrent waves. The final state must equal the reference
//! model's and every order's history must hold each transition once.
//!
//! The reference model: the gateway's last reported status is the order's
//! final status; a delivery is counted exactly once as an accepted
//! notification, a duplicate or a stale call; the history is a chain of
//! steps forward along the order's own path (so no transition twice), and
//! the outbox holds exactly the history's transitions.
//!
//! Paths include the optional statuses 04, 10 and 11 (D-13, a merchant that
//! opted in): a late resend of 03 after 04 is a duplicate and never moves
//! the record back — only a withdrawal this merchant asked for itself does
//! (`zeus_carrier_core::merchant`).

use zeus_carrier_system_tests as support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use zeus_carrier_core::merchant::Checkout;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, Money, SendId};
use zeus_carrier_core::{Carrier, Charset, Status};
use zeus_carrier_merchant::{MerchantConfig, Receiver, callback_router};
use zeus_carrier_store::{Source, Store};

use crate::support::{TestDb, cgi_query, oneshot, runtime, within};

/// Where a failing case's seed is kept (committed); the seeds there run
/// first, before any new case (proptest's failure persistence).
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/storms.txt"
);

/// The notification paths an order can produce (SPEC §3 with CGI per §2),
/// each the statuses in the order the gateway sends them.
const PATHS: &[&[&str]] = &[
    &["02"],
    &["07"],
    &["07", "08"],
    &["07", "09"],
    &["03"],
    &["03", "07"],
    &["03", "06"],
    &["03", "07", "08"],
    &["03", "07", "09"],
    &["03", "10"],
    &["03", "11"],
    &["03", "04", "07"],
    &["03", "04", "06"],
    &["03", "04", "10"],
    &["03", "04", "11"],
    &["03", "04", "07", "08"],
    &["03", "04", "07", "09"],
];

/// One delivery of a storm.
#[derive(Debug, Clone)]
struct Delivery {
    order: usize,
    status: &'static str,
    instance: usize,
    wave: usize,
}

/// A storm: each order's path, and the deliveries in sending order.
#[derive(Debug, Clone)]
struct Storm {
    paths: Vec<&'static [&'static str]>,
    deliveries: Vec<Delivery>,
}

fn storm() -> impl Strategy<Value = Storm> {
    proptest::collection::vec(proptest::sample::select(PATHS), 1..=4)
        .prop_flat_map(|paths| {
            let notes: Vec<(usize, &'static str)> = paths
                .iter()
                .enumerate()
                .flat_map(|(o, p)| p.iter().map(move |s| (o, *s)))
                .collect();
            let copies = proptest::collection::vec(1usize..=4, notes.len());
            (Just(paths), Just(notes), copies)
        })
        .prop_flat_map(|(paths, notes, copies)| {
            let mut all = Vec::new();
            for ((o, s), n) in notes.iter().zip(copies) {
                for _ in 0..n {
                    all.push((*o, *s));
                }
            }
            let n = all.len();
            (
                Just(paths),
                Just(all).prop_shuffle(),
                proptest::collection::vec((0usize..2, 0usize..4), n),
            )
        })
        .prop_map(|(paths, all, placement)| {
            let mut deliveries: Vec<Delivery> = all
                .into_iter()
                .zip(placement)
                .map(|((order, status), (instance, wave))| Delivery {
                    order,
                    status,
                    instance,
                    wave,
                })
                .collect();
            // Waves go one after the other; inside a wave, all at once.
            deliveries.sort_by_key(|d| d.wave);
            Storm { paths, deliveries }
        })
}

fn status(code: &str) -> Status {
    Status::from_code(code).expect("a status code")
}

/// Figures for the report.
#[derive(Default)]
struct Figures {
    cases: usize,
    orders: usize,
    deliveries: usize,
}

/// Runs `cases` storms against two receivers on `db`; returns the figures.
fn run_storms(db: TestDb, cases: u32, label: &str) -> Figures {
    let rt = runtime();
    let (routers, stores) = rt.block_on(async {
        let mut routers = Vec::new();
        let mut stores = Vec::new();
        for _ in 0..2 {
            let store = db.store().await;
            // The merchant's one configuration: a local sandbox as the
            // gateway (loopback callers), UTF-8 calls.
            let config = MerchantConfig::builder(
                ClientIp::parse(crate::support::CLIENTIP).expect("clientip"),
                Zkey::new("storm-zkey-0123456789"),
            )
            .gateway_url("http://127.0.0.1:8931")
            .charset(Charset::Utf8)
            .build()
            .expect("merchant config");
            routers.push(callback_router(Receiver::new(store.clone(), config)));
            stores.push(store);
        }
        (routers, stores)
    });
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let figures = std::cell::RefCell::new(Figures::default());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..Config::default()
    });
    let result = runner.run(&storm(), |storm| {
        let case = CASE.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("ST{}-{case}", std::process::id());
        {
            let mut f = figures.borrow_mut();
            f.cases += 1;
            f.orders += storm.paths.len();
            f.deliveries += storm.deliveries.len();
        }
        rt.block_on(within(
            Duration::from_secs(60),
            check_storm(&routers, &stores[0], &prefix, &storm),
        ))
    });
    rt.block_on(async {
        for s in &stores {
            s.close().await;
        }
        db.cleanup().await;
    });
    if let Err(e) = result {
        panic!("{label}: {e}");
    }
    figures.into_inner()
}

async fn check_storm(
    routers: &[axum::Router],
    store: &Store,
    prefix: &str,
    storm: &Storm,
) -> Result<(), TestCaseError> {
    let order_no = |o: usize| format!("{prefix}-{o}");
    // Each order comes from a checkout this merchant saved (the gateway's
    // calls carry its sendid; with the default `UnknownSendId::Flag` a call
    // without one would be flagged, not applied). Its first call binds it.
    let sendid = |o: usize| format!("S{prefix}-{o}");
    for o in 0..storm.paths.len() {
        store
            .save_checkout(&Checkout::new(
                SendId::parse(&sendid(o)).expect("sendid"),
                Money::from_yen(1000).expect("money"),
                Carrier::Docomo,
                chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("instant"),
            ))
            .await
            .expect("save checkout");
    }
    // Send wave by wave; a wave's deliveries run concurrently.
    let mut i = 0;
    while i < storm.deliveries.len() {
        let wave = storm.deliveries[i].wave;
        let mut set = tokio::task::JoinSet::new();
        while i < storm.deliveries.len() && storm.deliveries[i].wave == wave {
            let d = storm.deliveries[i].clone();
            let router = routers[d.instance].clone();
            let q = cgi_query(
                &order_no(d.order),
                d.status,
                &[
                    ("money", "1000"),
                    ("carrier_type", "D"),
                    ("sendid", &sendid(d.order)),
                ],
            );
            set.spawn(async move {
                let r = oneshot(
                    &router,
                    "127.0.0.1:40000",
                    "GET",
                    &format!("/zeus/carrier/callback?{q}"),
                    None,
                )
                .await;
                (d, r.status.as_u16(), r.text())
            });
            i += 1;
        }
        while let Some(done) = set.join_next().await {
            let (d, code, body) = done.expect("delivery task");
            prop_assert_eq!(code, 200, "{:?}: {}", d, body);
            prop_assert_eq!(body.as_str(), "successok", "{:?}", d);
        }
    }
    for (o, path) in storm.paths.iter().enumerate() {
        let no = order_no(o);
        let delivered = storm.deliveries.iter().filter(|d| d.order == o).count() as u64;
        let number = zeus_carrier_core::values::OrderNo::parse(&no).expect("order number");
        let rec = store
            .get_order(&number)
            .await
            .expect("read order")
            .ok_or_else(|| TestCaseError::fail(format!("{no}: no record")))?;
        let last = status(path[path.len() - 1]);
        prop_assert_eq!(rec.status(), last, "{}: final status; path {:?}", no, path);
        let c = rec.counters();
        prop_assert_eq!(
            c.notifications + c.duplicates + c.stale,
            delivered,
            "{}: every delivery counted once",
            no
        );
        prop_assert_eq!(rec.history().len() as u64, c.notifications, "{}", no);
        prop_assert_eq!(c.flagged, 0, "{}: a call for its own checkout", no);
        // The history is a chain forward along the path: no transition
        // twice, no step back.
        let index = |s: Status| path.iter().position(|c| status(c) == s);
        let mut prev: Option<Status> = None;
        let mut prev_index = None;
        for h in rec.history() {
            prop_assert_eq!(h.from, prev, "{}: history chains; {:?}", no, rec.history());
            prop_assert_eq!(h.source, Source::Cgi);
            let at = index(h.to);
            prop_assert!(at.is_some(), "{}: {:?} not on the path", no, h.to);
            prop_assert!(
                prev_index.is_none_or(|p| at > Some(p)),
                "{}: history goes back: {:?}",
                no,
                rec.history()
            );
            prev = Some(h.to);
            prev_index = at;
        }
        prop_assert_eq!(prev, Some(last), "{}", no);
    }
    // The outbox holds exactly the history's transitions.
    let mut outbox: HashMap<String, Vec<(Option<Status>, Status)>> = HashMap::new();
    let mut after = 0;
    loop {
        let events = store.poll_outbox(after, 500).await.expect("outbox");
        let Some(last) = events.last() else { break };
        after = last.id;
        for e in events {
            if e.order_no.as_str().starts_with(&format!("{prefix}-")) {
                outbox
                    .entry(e.order_no.as_str().to_owned())
                    .or_default()
                    .push((e.from, e.to));
                store.ack_outbox(e.id).await.expect("ack");
            }
        }
    }
    for o in 0..storm.paths.len() {
        let no = order_no(o);
        let number = zeus_carrier_core::values::OrderNo::parse(&no).expect("order number");
        let rec = store
            .get_order(&number)
            .await
            .expect("read")
            .expect("record");
        let steps: Vec<(Option<Status>, Status)> =
            rec.history().iter().map(|h| (h.from, h.to)).collect();
        prop_assert_eq!(
            outbox.remove(&no).unwrap_or_default(),
            steps,
            "{} outbox",
            no
        );
    }
    Ok(())
}

/// Cases per backend: enough interleavings to matter, within CI's budget.
const CASES: u32 = 64;

#[test]
fn r_cg_3_r_cg_4_storms_across_two_instances_on_postgres() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::postgres(
        "r_cg_3_r_cg_4_storms_across_two_instances_on_postgres",
    )) else {
        return;
    };
    drop(rt);
    let started = Instant::now();
    let f = run_storms(db, CASES, "postgres");
    println!(
        "storms postgres: {} cases, {} orders, {} deliveries, {:?}",
        f.cases,
        f.orders,
        f.deliveries,
        started.elapsed()
    );
}

#[test]
fn r_cg_3_r_cg_4_storms_across_two_instances_on_sqlite() {
    let started = Instant::now();
    let f = run_storms(TestDb::sqlite(), CASES, "sqlite");
    println!(
        "storms sqlite: {} cases, {} orders, {} deliveries, {:?}",
        f.cases,
        f.orders,
        f.deliveries,
        started.elapsed()
    );
}
