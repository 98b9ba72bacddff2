//! Migrations from every earlier schema: a database at an earlier
//! version, holding rows as that version wrote them (free-text
//! reconciliation and in-flight marks included), opened by the current
//! store, reads back as the current model says.

use std::borrow::Cow;
use std::str::FromStr as _;

use zeus_carrier_core::Status;
use zeus_carrier_core::merchant::{
    Deadline, DutyReason, InFlight, OperationKind, ReconcileReason, StatusSet,
};
use zeus_carrier_store::Source;

use crate::harness::{TestDb, at, ono, sid, yen};

/// The schema versions a store may find (every migration but the last
/// ones this version added).
const INITIAL: i64 = 20260101000000;
const MERCHANT_MODEL: i64 = 20260301000000;
const OUTBOX_MONEY: i64 = 20261206000000;

/// A pool on the test database, at an earlier schema.
enum Old {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A value bound to a `$N` placeholder.
enum Arg {
    Text(Option<&'static str>),
    Int(Option<i64>),
    Bytes(Vec<u8>),
}

use Arg::{Bytes, Int, Text};

fn t(s: &'static str) -> Arg {
    Text(Some(s))
}

fn i(n: i64) -> Arg {
    Int(Some(n))
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Text(s) => q.bind(s),
                Int(n) => q.bind(n),
                Bytes(b) => q.bind(b),
            };
        }
        q
    }};
}

impl Old {
    /// The database migrated up to `version` only.
    async fn at(db: &TestDb, version: i64) -> Old {
        macro_rules! migrate_to {
            ($dir:literal, $pool:expr) => {{
                let mut m = sqlx::migrate!($dir);
                m.migrations = Cow::Owned(
                    m.migrations
                        .iter()
                        .filter(|x| x.version <= version)
                        .cloned()
                        .collect(),
                );
                m.run(&$pool).await.expect("earlier migrations");
            }};
        }
        if db.url.starts_with("sqlite") {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                .expect("url")
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options)
                .await
                .expect("sqlite");
            migrate_to!("./migrations/sqlite", pool);
            Old::Sqlite(pool)
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("pg");
            migrate_to!("./migrations/postgres", pool);
            Old::Postgres(pool)
        }
    }

    async fn exec(&self, sql: &str, args: Vec<Arg>) {
        match self {
            Old::Sqlite(p) => bind_args!(sqlx::query(sql), args)
                .execute(p)
                .await
                .map(drop),
            Old::Postgres(p) => bind_args!(sqlx::query(sql), args)
                .execute(p)
                .await
                .map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    async fn close(self) {
        match self {
            Old::Sqlite(p) => p.close().await,
            Old::Postgres(p) => p.close().await,
        }
    }
}

/// The rows every earlier version wrote: an authorized order marked for
/// reconciliation with free text, its history, its notification, its
/// outbox event, its checkout; and a flagged notification of an order
/// that has no record.
async fn initial_rows(old: &Old) {
    old.exec(
        "INSERT INTO orders (order_no, status, money, original_money, carrier, clientip, \
         sendid, sendpoint, first_seen_at, window_from, settle_date, settled_at, \
         needs_reconciliation, notifications, duplicates, stale, flagged, settle_closes_ms, \
         cancel_closes_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, $18, $19)",
        vec![
            t("M-1"),
            t("03"),
            i(1000),
            i(1000),
            t("D"),
            t("1234567890"),
            t("sid-M-1"),
            Text(None),
            t("2026-03-01T10:00:00+09:00"),
            t("2026-03-01T10:00:00+09:00"),
            Text(None),
            Text(None),
            t("settle outcome unknown: timeout after 30 s"),
            i(2),
            i(1),
            i(0),
            i(0),
            i(at("2026-04-20T23:55:00+09:00").timestamp_millis()),
            i(at("2026-04-20T10:00:00+09:00").timestamp_millis()),
        ],
    )
    .await;
    old.exec(
        "INSERT INTO order_history (order_no, at, from_status, to_status, source) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            t("M-1"),
            t("2026-03-01T10:00:00+09:00"),
            Text(None),
            t("03"),
            t("cgi"),
        ],
    )
    .await;
    for (order_no, effect, flag, status_before) in [
        ("M-1", "create", None, None),
        ("M-1", "duplicate", None, Some("03")),
        ("F-9", "flagged", Some("money mismatch: 1200 yen"), None),
    ] {
        old.exec(
            "INSERT INTO notifications (order_no, reported_status, status_before, effect, \
             integrity_flag, money, carrier, clientip, sendid, sendpoint, error_code, \
             raw_query, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13)",
            vec![
                t(order_no),
                t("03"),
                Text(status_before),
                t(effect),
                Text(flag),
                i(1000),
                t("D"),
                t("1234567890"),
                Text(None),
                Text(None),
                t("-"),
                Bytes(b"order_no=M-1&status=03".to_vec()),
                t("2026-03-01T10:00:00+09:00"),
            ],
        )
        .await;
    }
    old.exec(
        "INSERT INTO outbox (order_no, from_status, to_status, source, at) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            t("M-1"),
            Text(None),
            t("03"),
            t("cgi"),
            t("2026-03-01T10:00:00+09:00"),
        ],
    )
    .await;
    old.exec(
        "INSERT INTO checkouts (sendid, money, carrier, created_at) VALUES ($1, $2, $3, $4)",
        vec![
            t("sid-M-1"),
            i(1000),
            t("D"),
            t("2026-03-01T09:59:00+09:00"),
        ],
    )
    .await;
}

/// What the current store reads from [`initial_rows`].
async fn check_initial_rows(db: &TestDb, in_flight: Option<InFlight>) {
    let store = db.store().await;
    let o = store
        .get_order(&ono("M-1"))
        .await
        .expect("get")
        .expect("order");
    let r = o.record();
    assert_eq!(r.status(), Status::Authorized);
    assert_eq!(
        (r.money(), r.original_money()),
        (Some(yen(1000)), Some(yen(1000)))
    );
    assert_eq!(r.sendid(), Some(&sid("sid-M-1")));
    assert_eq!(r.first_seen_at(), at("2026-03-01T10:00:00+09:00"));
    // Free text read back as "marked, reason unspecified".
    assert_eq!(r.reconciliation(), Some(&ReconcileReason::Unspecified));
    assert_eq!(r.in_flight(), in_flight.as_ref());
    // Backfilled: the status and every applied notification's.
    assert_eq!(r.notified(), StatusSet::EMPTY.with(Status::Authorized));
    let c = r.counters();
    assert_eq!((c.notifications, c.duplicates), (2, 1));
    assert_eq!(o.history().len(), 1);
    assert_eq!(o.history()[0].source, Source::Cgi);

    let n = store.notifications(&ono("M-1")).await.expect("n");
    assert_eq!(n.len(), 2);
    assert_eq!(n[1].status_before, Some(Status::Authorized));
    assert_eq!(n[0].raw_query, b"order_no=M-1&status=03");

    let events = store.poll_outbox(0, 10).await.expect("outbox");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].sendid, Some(sid("sid-M-1")), "backfilled");
    assert_eq!(events[0].money, None, "written before the amount was");

    let checkout = store
        .find_checkout(&sid("sid-M-1"))
        .await
        .expect("find")
        .expect("checkout");
    assert_eq!(checkout.order_no, Some(ono("M-1")), "backfilled");

    let list = store
        .list_deadlines(at("2026-04-19T00:00:00+09:00"), 7)
        .await
        .expect("deadlines");
    let mut want = r.deadlines(
        at("2026-04-19T00:00:00+09:00"),
        at("2026-04-26T00:00:00+09:00"),
    );
    want.push(Deadline::unrecorded(ono("F-9")));
    Deadline::sort(&mut want);
    assert_eq!(list, want);
    assert!(
        list.iter()
            .any(|d| d.reason == Some(DutyReason::Reconcile(ReconcileReason::Unspecified))),
        "{list:?}"
    );
    store.close().await;
}

/// A database at the first schema, with its rows, opened by this store.
pub(crate) async fn migrates_from_the_initial_schema(db: &TestDb) {
    let old = Old::at(db, INITIAL).await;
    initial_rows(&old).await;
    old.close().await;
    check_initial_rows(db, None).await;
}

/// What versions from the merchant-model schema on wrote themselves for
/// [`initial_rows`] (the migration backfilled only rows already there):
/// the notified set (03 is bit 2), the checkout's order, the event's
/// `sendid`; and the two marks as given.
async fn merchant_model_columns(old: &Old, reconciliation: &'static str, in_flight: &'static str) {
    old.exec(
        "UPDATE orders SET needs_reconciliation = $1, in_flight = $2, notified_bits = $3 \
         WHERE order_no = $4",
        vec![t(reconciliation), t(in_flight), i(1 << 2), t("M-1")],
    )
    .await;
    old.exec(
        "UPDATE checkouts SET order_no = $1 WHERE sendid = $2",
        vec![t("M-1"), t("sid-M-1")],
    )
    .await;
    old.exec(
        "UPDATE outbox SET sendid = $1 WHERE order_no = $2",
        vec![t("sid-M-1"), t("M-1")],
    )
    .await;
}

/// A database at the merchant-model schema (before stable codes and the
/// outbox amount), with a free-text in-flight mark.
pub(crate) async fn migrates_from_the_merchant_model_schema(db: &TestDb) {
    let old = Old::at(db, MERCHANT_MODEL).await;
    initial_rows(&old).await;
    // Both marks as free text.
    merchant_model_columns(
        &old,
        "settle outcome unknown: timeout after 30 s",
        "settle sent at 2026-03-01T10:05:00+09:00; no outcome recorded yet",
    )
    .await;
    old.close().await;
    check_initial_rows(
        db,
        Some(InFlight::new(
            OperationKind::Settle,
            None,
            at("2026-03-01T10:05:00+09:00"),
        )),
    )
    .await;
}

/// A database at the outbox-amount schema (before the deadline pages'
/// indexes), with marks as stable codes and an event with its amount.
pub(crate) async fn migrates_from_the_outbox_money_schema(db: &TestDb) {
    let old = Old::at(db, OUTBOX_MONEY).await;
    initial_rows(&old).await;
    merchant_model_columns(
        &old,
        "reconcile_first.cancel.010100036",
        "settle:800@2026-03-01T10:05:00.250+09:00",
    )
    .await;
    old.exec(
        "UPDATE outbox SET money = $1 WHERE order_no = $2",
        vec![i(1000), t("M-1")],
    )
    .await;
    old.close().await;
    let store = db.store().await;
    let o = store
        .get_order(&ono("M-1"))
        .await
        .expect("get")
        .expect("order");
    assert_eq!(
        o.record().reconciliation(),
        Some(&ReconcileReason::ReconcileFirstCode(
            OperationKind::Cancel,
            zeus_carrier_core::error_code::lookup("010100036")
        ))
    );
    assert_eq!(
        o.record().in_flight(),
        Some(&InFlight::new(
            OperationKind::Settle,
            Some(yen(800)),
            at("2026-03-01T10:05:00.250+09:00")
        ))
    );
    let events = store.poll_outbox(0, 10).await.expect("outbox");
    assert_eq!(events[0].money, Some(yen(1000)));
    // The new indexes serve the pages.
    let page = store
        .list_deadlines_page(at("2026-04-19T00:00:00+09:00"), 7, 2, None)
        .await
        .expect("page");
    assert_eq!(page.items.len(), 2);
    assert!(page.next.is_some());
    let all = store
        .list_deadlines(at("2026-04-19T00:00:00+09:00"), 7)
        .await
        .expect("all");
    assert_eq!(all[..2], page.items[..]);
    store.close().await;
}
