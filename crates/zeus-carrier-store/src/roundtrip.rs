//! Round-trip properties of every codec (proptest): generated records,
//! checkouts, notifications and steps written through one driver and read
//! back through another are equal to what was written.
//!
//! The codecs: sqlx on SQLite ([`SqlxSqlite`]), rusqlite (the SQLite
//! writer thread's [`Rusqlite`]), and sqlx on PostgreSQL ([`PgBatch`],
//! arrays) — every pair of SQLite codecs (write with one, read with the
//! other), and PostgreSQL with itself when `ZEUS_CARRIER_TEST_PG_URL` is
//! set (otherwise the PostgreSQL properties print `SKIPPED`, or fail with
//! `ZEUS_CARRIER_REQUIRE_PG=1`).
//!
//! Records are generated field by field, not through the model, so that
//! every value a field can hold is tried (instants with nanoseconds,
//! every reconciliation reason and in-flight mark, counters up to
//! `i64::MAX`, any notified set), keeping only parts
//! [`MerchantRecord::from_parts`] accepts.

use std::path::PathBuf;

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use zeus_carrier_core::callback::CgiErrorCode;
use zeus_carrier_core::error_code::lookup;
use zeus_carrier_core::merchant::{
    Checkout, Counters, FlagKind, InFlight, MerchantRecord, Notice, OperationKind, ReconcileReason,
    RecordParts, StatusSet, Step, UnknownSendId, Withdrawal, on_notification,
};
use zeus_carrier_core::strategies::{carrier, jst_datetime, status};
use zeus_carrier_core::values::{ClientIp, Money, OrderNo, SendId};
use zeus_carrier_core::{JstDateTime, Status};

use crate::Store;
use crate::db::{SqlxSqlite, Tx};
use crate::model::{HistoryRow, Source};
use crate::rows::{notification_values, record_values, step_row, step_values};
use crate::script::{Batch, Writes};
use crate::sqlite_writer::Rusqlite;
use crate::testing::TempPgDatabase;

const CTX: &str = "round trip";

/// Which driver writes or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    SqlxSqlite,
    Rusqlite,
    Postgres,
}

fn sqlite_codec() -> impl Strategy<Value = Codec> {
    prop_oneof![Just(Codec::SqlxSqlite), Just(Codec::Rusqlite)]
}

/// The databases of one property: a SQLite file, and PostgreSQL when
/// configured.
struct Dbs {
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    path: PathBuf,
    sqlite: Store,
    pg: Option<(TempPgDatabase, Store)>,
}

impl Dbs {
    fn new(test: &str) -> Dbs {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rt.db");
        let url = format!("sqlite://{}", path.display());
        let (sqlite, pg) = rt.block_on(async {
            let sqlite = Store::connect(&url).await.expect("sqlite");
            let pg = match TempPgDatabase::from_env(test, "zrt").await.expect("pg db") {
                Some(db) => {
                    let store = Store::connect(&db.url).await.expect("pg");
                    Some((db, store))
                }
                None => None,
            };
            (sqlite, pg)
        });
        Dbs {
            rt,
            _dir: dir,
            path,
            sqlite,
            pg,
        }
    }

    fn store(&self, codec: Codec) -> Option<&Store> {
        match codec {
            Codec::Postgres => self.pg.as_ref().map(|(_, s)| s),
            _ => Some(&self.sqlite),
        }
    }

    /// Drops the PostgreSQL database.
    fn drop_pg(self) {
        if let Some((db, store)) = self.pg {
            self.rt.block_on(async {
                store.close().await;
                db.drop_database().await.expect("drop");
            });
        }
    }
}

/// Runs `$body` with `$b` the [`Batch`] of codec `$codec` of `$dbs`, in a
/// transaction that commits when the body returns `Ok`.
macro_rules! in_codec {
    ($dbs:expr, $codec:expr, |$b:ident| $body:expr) => {{
        let dbs: &Dbs = &$dbs;
        match $codec {
            Codec::Rusqlite => {
                let mut conn = rusqlite::Connection::open(&dbs.path).expect("open");
                let tx = conn.transaction().expect("begin");
                let result = {
                    let mut $b = Rusqlite(&tx, CTX);
                    dbs.rt.block_on(async { $body })
                };
                tx.commit().expect("commit");
                result
            }
            codec => {
                let store = dbs.store(codec).expect("store");
                dbs.rt.block_on(async {
                    let mut tx = store.backend.begin_locked("", CTX).await.expect("begin");
                    let result = match &mut tx {
                        Tx::Sqlite(t) => {
                            let mut $b = SqlxSqlite {
                                conn: &mut *t,
                                ctx: CTX,
                            };
                            $body
                        }
                        Tx::Postgres(t) => {
                            let mut $b = crate::pg::PgBatch::new(&mut *t, CTX);
                            $body
                        }
                    };
                    tx.commit(CTX).await.expect("commit");
                    result
                })
            }
        }
    }};
}

fn order_no() -> impl Strategy<Value = OrderNo> {
    "[A-Za-z0-9][A-Za-z0-9.-]{0,30}".prop_filter_map("order number", |s| OrderNo::parse(&s).ok())
}

fn sendid() -> impl Strategy<Value = SendId> {
    "[A-Za-z0-9 !#$%()~|@:./*?_-]{1,25}".prop_filter_map("sendid", |s| SendId::parse(&s).ok())
}

fn clientip() -> impl Strategy<Value = ClientIp> {
    "[0-9]{10}".prop_filter_map("clientip", |s| ClientIp::parse(&s).ok())
}

fn money() -> impl Strategy<Value = Money> {
    (1u32..=999_999).prop_filter_map("money", Money::new)
}

/// An instant with nanoseconds.
fn instant() -> impl Strategy<Value = JstDateTime> {
    (jst_datetime(), 0i64..1_000_000_000).prop_map(|(t, ns)| t + Duration::nanoseconds(ns))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..4000)
        .prop_map(|d| NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + Duration::days(d))
}

fn operation() -> impl Strategy<Value = OperationKind> {
    prop_oneof![Just(OperationKind::Settle), Just(OperationKind::Cancel)]
}

fn reason() -> impl Strategy<Value = ReconcileReason> {
    let code = prop_oneof![
        proptest::sample::select(
            zeus_carrier_core::error_code::CATALOG
                .iter()
                .map(|e| e.code.to_owned())
                .collect::<Vec<_>>()
        ),
        "[0-9]{9}",
    ];
    prop_oneof![
        operation().prop_map(ReconcileReason::OutcomeUnknown),
        (operation(), code).prop_map(|(op, c)| ReconcileReason::ReconcileFirstCode(op, lookup(&c))),
        operation().prop_map(ReconcileReason::NotRecorded),
        proptest::sample::select(vec![
            FlagKind::CarrierMismatch,
            FlagKind::MoneyMismatch,
            FlagKind::CheckoutUsed,
            FlagKind::NoCheckout
        ])
        .prop_map(ReconcileReason::Flagged),
        Just(ReconcileReason::NeverApplied),
        Just(ReconcileReason::Unspecified),
    ]
}

fn in_flight() -> impl Strategy<Value = InFlight> {
    (operation(), proptest::option::of(money()), instant())
        .prop_map(|(op, m, since)| InFlight::new(op, m, since))
}

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..100, Just(i64::MAX as u64)]
}

/// Any record the model could have produced, field by field.
fn record() -> impl Strategy<Value = MerchantRecord> {
    let ids = (
        order_no(),
        status(),
        proptest::option::of(money()),
        proptest::option::of(money()),
        proptest::option::of(carrier()),
        proptest::option::of(clientip()),
        proptest::option::of(sendid()),
        proptest::option::of("\\PC{0,30}"),
    );
    let times = (
        instant(),
        0i64..(90 * 86_400_000_000_000),
        proptest::option::of(date()),
        proptest::option::of(instant()),
    );
    let state = (
        proptest::option::of(reason()),
        1u16..(1 << 11),
        any::<bool>(),
        proptest::option::of(in_flight()),
        (count(), count(), count(), count()),
    );
    (ids, times, state).prop_filter_map(
        "parts the model accepts",
        |(
            (order_no, status, money, original_money, carrier, clientip, sendid, sendpoint),
            (first_seen_at, later_ns, settle_date, settled_at),
            (reconciliation, bits, withdraw, in_flight, (n, d, s, f)),
        )| {
            let withdrawal = if withdraw && status == Status::SettleReserved {
                Withdrawal::Requested
            } else {
                Withdrawal::None
            };
            MerchantRecord::from_parts(RecordParts {
                order_no,
                status,
                money,
                original_money: original_money.or(money),
                carrier,
                clientip,
                sendid,
                sendpoint,
                first_seen_at,
                window_from: first_seen_at + Duration::nanoseconds(later_ns),
                settle_date,
                settled_at,
                reconciliation,
                notified: StatusSet::from_bits(bits),
                withdrawal,
                in_flight,
                counters: Counters::new(n, d, s, f),
            })
            .ok()
        },
    )
}

fn notice() -> impl Strategy<Value = Notice> {
    (
        (order_no(), status(), instant()),
        (
            proptest::option::of(money()),
            proptest::option::of(carrier()),
            proptest::option::of(clientip()),
            proptest::option::of(sendid()),
            proptest::option::of("\\PC{1,30}"),
            proptest::option::of("[0-9-]{1,9}"),
        ),
    )
        .prop_map(
            |((no, status, at), (money, carrier, clientip, sendid, sendpoint, code))| {
                let mut n = Notice::new(no, status, at);
                n.money = money;
                n.carrier = carrier;
                n.clientip = clientip;
                n.sendid = sendid;
                n.sendpoint = sendpoint;
                n.error_code = code.map(CgiErrorCode::new);
                n
            },
        )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The codec pairs a property runs: each SQLite pair, PostgreSQL with
/// itself when configured.
fn pairs(dbs: &Dbs, sqlite: (Codec, Codec)) -> Vec<(Codec, Codec)> {
    let mut out = vec![sqlite];
    if dbs.pg.is_some() {
        out.push((Codec::Postgres, Codec::Postgres));
    }
    out
}

#[test]
fn records_read_back_equal_through_every_codec() {
    let dbs = Dbs::new("records_read_back_equal_through_every_codec");
    proptest!(config(), |(records in proptest::collection::vec(record(), 1..4),
                          w in sqlite_codec(), r in sqlite_codec())| {
        // At most one row per order in one statement (as the script).
        let mut records = records;
        records.sort_by(|a, b| a.order_no().cmp(b.order_no()));
        records.dedup_by(|a, b| a.order_no() == b.order_no());
        let rows: Vec<_> = records.iter().map(record_values).collect();
        let keys: Vec<&str> = records.iter().map(|r| r.order_no().as_str()).collect();
        for (w, r) in pairs(&dbs, (w, r)) {
            in_codec!(dbs, w, |b| b.save_records(&rows).await).expect("save");
            let mut back = in_codec!(dbs, r, |b| b.records(&keys).await).expect("read");
            back.sort_by(|a, b| a.order_no().cmp(b.order_no()));
            prop_assert_eq!(&back, &records, "written with {:?}, read with {:?}", w, r);
            for rec in &records {
                let got = dbs.rt.block_on(dbs.store(r).expect("store").get_order(rec.order_no()))
                    .expect("get_order").expect("order");
                prop_assert_eq!(got.record(), rec);
            }
        }
    });
    dbs.drop_pg();
}

#[test]
fn checkouts_read_back_equal_through_every_codec() {
    let dbs = Dbs::new("checkouts_read_back_equal_through_every_codec");
    proptest!(config(), |(sendid in sendid(), money in money(), carrier in carrier(),
                          at in instant(), claim in proptest::option::of(order_no()),
                          w in sqlite_codec(), r in sqlite_codec())| {
        for (w, r) in pairs(&dbs, (w, r)) {
            let store = dbs.store(w).expect("store");
            // A fresh sendid per backend and case: the first save wins.
            let sendid = SendId::parse(&format!("{:.20}{}", sendid.as_str(), rand_suffix()))
                .unwrap_or_else(|_| sendid.clone());
            let mut c = Checkout::new(sendid.clone(), money, carrier, at);
            let saved = dbs.rt.block_on(store.save_checkout(&c)).expect("save");
            prop_assert_eq!(&saved, &c);
            if let Some(order_no) = &claim {
                let row = [order_no.as_str().into(), sendid.as_str().into()];
                in_codec!(dbs, w, |b| b.claim_checkouts(std::slice::from_ref(&row)).await)
                    .expect("claim");
                c.order_no = Some(order_no.clone());
            }
            let back = in_codec!(dbs, r, |b| b.checkouts(&[sendid.as_str()]).await).expect("read");
            prop_assert_eq!(&back, &vec![c.clone()], "written with {:?}, read with {:?}", w, r);
            let found = dbs.rt.block_on(store.find_checkout(&sendid)).expect("find");
            prop_assert_eq!(found, Some(c));
        }
    });
    dbs.drop_pg();
}

/// A suffix that makes a generated key unique in this process.
fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("-{}", N.fetch_add(1, Ordering::Relaxed))
}

#[test]
fn notifications_read_back_equal_through_every_codec() {
    let dbs = Dbs::new("notifications_read_back_equal_through_every_codec");
    proptest!(config(), |(notice in notice(), before in proptest::option::of(record()),
                          raw in proptest::collection::vec(any::<u8>(), 0..64),
                          flag_unknown in any::<bool>(), w in sqlite_codec())| {
        let mut notice = notice;
        if let Some(b) = &before {
            notice.order_no = b.order_no().clone();
        }
        let policy = if flag_unknown { UnknownSendId::Flag } else { UnknownSendId::Apply };
        let effect = on_notification(before.as_ref(), None, &notice, policy).effect;
        let flag = match &effect {
            zeus_carrier_core::merchant::NoticeEffect::Flagged { flag, .. } => Some(flag.to_string()),
            _ => None,
        };
        let row = notification_values(&notice, &raw, before.as_ref(), &effect, flag.clone());
        let mut codecs = vec![w];
        if dbs.pg.is_some() {
            codecs.push(Codec::Postgres);
        }
        for w in codecs {
            let ids = in_codec!(dbs, w, |b| {
                b.prepare(1, 0).await?;
                b.insert_notifications(std::slice::from_ref(&row)).await
            })
            .expect("insert");
            let store = dbs.store(w).expect("store");
            let stored = dbs.rt.block_on(store.notifications(&notice.order_no)).expect("read");
            let n = stored.iter().find(|n| Some(n.id) == ids.first().copied()).expect("row");
            prop_assert_eq!(&n.order_no, &notice.order_no);
            prop_assert_eq!(n.reported, notice.status);
            prop_assert_eq!(n.status_before, before.as_ref().map(MerchantRecord::status));
            prop_assert_eq!(n.effect, effect.kind());
            prop_assert_eq!(&n.integrity_flag, &flag);
            prop_assert_eq!(n.money, notice.money);
            prop_assert_eq!(n.carrier, notice.carrier);
            prop_assert_eq!(&n.clientip, &notice.clientip);
            prop_assert_eq!(&n.sendid, &notice.sendid);
            prop_assert_eq!(&n.sendpoint, &notice.sendpoint);
            prop_assert_eq!(&n.error_code, &notice.error_code);
            prop_assert_eq!(&n.raw_query, &raw);
            prop_assert_eq!(n.received_at, notice.received_at);
        }
    });
    dbs.drop_pg();
}

fn steps() -> impl Strategy<Value = Vec<(Step, Source)>> {
    proptest::collection::vec(
        (
            proptest::option::of(status()),
            status(),
            instant(),
            proptest::sample::select(vec![Source::Cgi, Source::Settle, Source::Cancel]),
        )
            .prop_map(|(from, to, at, source)| (Step { from, to, at }, source)),
        1..5,
    )
}

#[test]
fn steps_read_back_equal_through_every_codec() {
    let dbs = Dbs::new("steps_read_back_equal_through_every_codec");
    proptest!(config(), |(record in record(), steps in steps(),
                          w in sqlite_codec(), r in sqlite_codec())| {
        let (history, outbox): (Vec<_>, Vec<_>) =
            steps.iter().map(|(s, src)| step_values(&record, s, *src)).unzip();
        let want: Vec<HistoryRow> = steps.iter().map(|(s, src)| step_row(s, *src)).collect();
        for (w, r) in pairs(&dbs, (w, r)) {
            let store = dbs.store(w).expect("store");
            let before = in_codec!(dbs, r, |b| b.histories(&[record.order_no().as_str()]).await)
                .expect("history before").len();
            let events_before = dbs.rt.block_on(store.poll_outbox(0, 100_000)).expect("poll").len();
            in_codec!(dbs, w, |b| {
                b.save_records(&[record_values(&record)]).await?;
                b.prepare(0, history.len()).await?;
                b.append_steps(&history, &outbox).await
            })
            .expect("append");
            let back: Vec<HistoryRow> =
                in_codec!(dbs, r, |b| b.histories(&[record.order_no().as_str()]).await)
                    .expect("history")
                    .into_iter()
                    .skip(before)
                    .map(|(o, h)| {
                        assert_eq!(&o, record.order_no());
                        h
                    })
                    .collect();
            prop_assert_eq!(&back, &want, "written with {:?}, read with {:?}", w, r);
            let events = dbs.rt.block_on(store.poll_outbox(0, 100_000)).expect("poll");
            let got: Vec<_> = events[events_before..]
                .iter()
                .map(|e| (e.order_no.clone(), e.sendid.clone(), e.money, e.from, e.to, e.source, e.at))
                .collect();
            let want_events: Vec<_> = steps
                .iter()
                .map(|(s, src)| {
                    (record.order_no().clone(), record.sendid().cloned(), record.money(),
                     s.from, s.to, *src, s.at)
                })
                .collect();
            prop_assert_eq!(got, want_events);
        }
    });
    dbs.drop_pg();
}

/// One order of a generated batch: its final record, the call recorded
/// for it, its steps, and whether it claims a checkout.
type BatchOrder = (
    MerchantRecord,
    Notice,
    Vec<(Step, Source)>,
    Option<(SendId, Money)>,
);

#[test]
fn batch_writes_read_back_equal_through_every_codec() {
    // `Batch::write`: one statement on PostgreSQL, the separate writes on
    // SQLite; every table read back.
    let dbs = Dbs::new("batch_writes_read_back_equal_through_every_codec");
    let order = (
        record(),
        notice(),
        steps(),
        proptest::option::of((sendid(), money())),
    );
    proptest!(config(), |(orders in proptest::collection::vec(order, 1..4),
                          raw in proptest::collection::vec(any::<u8>(), 0..64),
                          w in sqlite_codec(), r in sqlite_codec())| {
        let mut orders: Vec<BatchOrder> = orders;
        orders.sort_by(|a, b| a.0.order_no().cmp(b.0.order_no()));
        orders.dedup_by(|a, b| a.0.order_no() == b.0.order_no());
        for (w, r) in pairs(&dbs, (w, r)) {
            let store = dbs.store(w).expect("store");
            let mut notifications = Vec::new();
            let mut history = Vec::new();
            let mut outbox = Vec::new();
            let mut claims = Vec::new();
            let mut checkouts = Vec::new();
            for (record, notice, steps, claim) in &orders {
                let mut notice = notice.clone();
                notice.order_no = record.order_no().clone();
                let effect = on_notification(None, None, &notice, UnknownSendId::Apply).effect;
                notifications.push(notification_values(&notice, &raw, None, &effect, None));
                for (step, source) in steps {
                    let (h, o) = step_values(record, step, *source);
                    history.push(h);
                    outbox.push(o);
                }
                if let Some((sendid, money)) = claim {
                    let sendid = SendId::parse(&format!("{:.20}{}", sendid.as_str(), rand_suffix()))
                        .unwrap_or_else(|_| sendid.clone());
                    let c = Checkout::new(sendid.clone(), *money, zeus_carrier_core::Carrier::Docomo,
                        record.first_seen_at());
                    dbs.rt.block_on(store.save_checkout(&c)).expect("save checkout");
                    claims.push([record.order_no().as_str().into(), sendid.as_str().into()]);
                    checkouts.push((c, record.order_no().clone()));
                }
            }
            let keys: Vec<&str> = orders.iter().map(|o| o.0.order_no().as_str()).collect();
            let history_before = in_codec!(dbs, r, |b| b.histories(&keys).await)
                .expect("history before").len();
            let events_before = dbs.rt.block_on(store.poll_outbox(0, 1_000_000)).expect("poll").len();
            let order_rows: Vec<_> = orders.iter().map(|o| record_values(&o.0)).collect();
            let ids = in_codec!(dbs, w, |b| b.write(Writes {
                notifications: &notifications,
                orders: &order_rows,
                history: &history,
                outbox: &outbox,
                claims: &claims,
            }).await).expect("write");
            prop_assert_eq!(ids.len(), orders.len());
            prop_assert!(ids.windows(2).all(|p| p[0] < p[1]), "ids increase: {:?}", ids);
            // Records.
            let mut back = in_codec!(dbs, r, |b| b.records(&keys).await).expect("records");
            back.sort_by(|a, b| a.order_no().cmp(b.order_no()));
            let want: Vec<MerchantRecord> = orders.iter().map(|o| o.0.clone()).collect();
            prop_assert_eq!(&back, &want, "written with {:?}, read with {:?}", w, r);
            // Notifications, by id, in order.
            for (id, (record, _, _, _)) in ids.iter().zip(&orders) {
                let stored = dbs.rt.block_on(store.notifications(record.order_no())).expect("read");
                let n = stored.iter().find(|n| n.id == *id).expect("notification row");
                prop_assert_eq!(&n.order_no, record.order_no());
                prop_assert_eq!(&n.raw_query, &raw);
            }
            // History rows and outbox events, in the batch's order.
            let new_history: Vec<(OrderNo, HistoryRow)> =
                in_codec!(dbs, r, |b| b.histories(&keys).await).expect("history")
                    .into_iter().skip(history_before).collect();
            let want_history: Vec<(OrderNo, HistoryRow)> = orders.iter()
                .flat_map(|(rec, _, steps, _)| steps.iter()
                    .map(|(s, src)| (rec.order_no().clone(), step_row(s, *src))))
                .collect();
            // Histories come back grouped by order; the batch is sorted by order too.
            if history_before == 0 {
                prop_assert_eq!(&new_history, &want_history);
            }
            let events = dbs.rt.block_on(store.poll_outbox(0, 1_000_000)).expect("poll");
            let got: Vec<_> = events[events_before..].iter()
                .map(|e| (e.order_no.clone(), e.from, e.to, e.source, e.at)).collect();
            let want_events: Vec<_> = want_history.iter()
                .map(|(o, h)| (o.clone(), h.from, h.to, h.source, h.at)).collect();
            prop_assert_eq!(got, want_events);
            // Claims.
            for (c, order_no) in &checkouts {
                let found = dbs.rt.block_on(store.find_checkout(&c.sendid)).expect("find")
                    .expect("checkout");
                prop_assert_eq!(found.order_no.as_ref(), Some(order_no));
            }
        }
    });
    dbs.drop_pg();
}
