//! [`Store`]: the one API over both backends. It persists what the core's
//! merchant model ([`zeus_carrier_core::merchant`]) decides and decides
//! nothing itself.

use chrono::{DateTime, TimeDelta, Utc};
use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::merchant::{
    Checkout, Deadline, InFlight, MerchantRecord, Notice, NoticeEffect, OperationReport,
    ReconcileReason, UnknownSendId, on_notification, on_operation,
};
use zeus_carrier_core::time::to_jst;
use zeus_carrier_core::values::{OrderNo, SendId};

use crate::codec::{time_ms, time_text};
use crate::db::{Backend, Exec, Value};
use crate::error::StoreError;
use crate::group_commit::GroupCommit;
use crate::lock::OperationLock;
use crate::model::{
    MerchantOrder, OperationRecorded, OutboxEvent, Recorded, Source, StoredNotification,
};
use crate::rows::{
    CLAIM_CHECKOUT, ORDER_COLUMNS, append_step, find_checkout, load_history, load_order,
    load_record, notification_from_row, outbox_from_row, parse_order_no_row, record_from_row,
    save_record,
};
#[cfg(feature = "sqlite")]
use crate::sqlite_writer::SqliteWriter;

mod notes;
pub use notes::ReconciliationNote;

/// The merchant's durable record of carrier-billing orders, on SQLite or
/// PostgreSQL. Cheap to clone (the clones share one connection pool).
///
/// See the crate documentation for the guarantees.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// The group-commit writer of CGI notifications (`None` only for a
    /// backend compiled out).
    writer: Option<Writer>,
}

/// The group-commit writer of a store.
#[derive(Clone, Debug)]
enum Writer {
    /// A database file: one rusqlite connection on its own thread
    /// (`src/sqlite_writer.rs`).
    #[cfg(feature = "sqlite")]
    Thread(SqliteWriter),
    /// An in-memory SQLite database (one pooled connection, which only
    /// the pool can reach) or PostgreSQL: a tokio task over the pool
    /// (`src/group_commit.rs`).
    Task(GroupCommit),
}

impl std::fmt::Debug for Store {
    /// Names the backend only: a connection URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and runs the schema migrations.
    ///
    /// - `sqlite://PATH` (created if missing; WAL journal, `synchronous=FULL`,
    ///   a 10 s busy timeout, foreign keys on);
    /// - `sqlite::memory:` (one connection, for tests);
    /// - `postgres://…` or `postgresql://…`.
    ///
    /// It starts the group-commit writer of [`Store::record_notification`]:
    /// for a SQLite file a thread of its own (stopped by [`Store::close`]
    /// or when the last clone is dropped); for an in-memory SQLite database
    /// or PostgreSQL, tasks on the current tokio runtime: use the store
    /// where that runtime runs (a current-thread runtime runs them only
    /// inside its `block_on`). If the writer is gone, calls record on
    /// their own, one transaction each.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::connect(url).await?;
        tracing::info!(backend = backend.name(), "store connected");
        let writer = match &backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite {
                file: Some(path), ..
            } => Some(Writer::Thread(SqliteWriter::start(
                backend.clone(),
                path.clone(),
            )?)),
            Backend::Sqlite { .. } => Some(Writer::Task(GroupCommit::start(backend.clone()))),
            Backend::Postgres(_) => Some(Writer::Task(GroupCommit::start(backend.clone()))),
        };
        Ok(Store { backend, writer })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// `Ok` when the storage answers and can take writes; otherwise
    /// [`StoreError::Unavailable`] (or another error naming what failed).
    /// A SQLite database whose file has been removed is unavailable.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.backend.health().await
    }

    /// Closes the pool, waiting for connections in use to be returned. Every
    /// write that returned `Ok` is already durable; this only releases the
    /// connections (and, for SQLite, checkpoints the WAL on the last close).
    pub async fn close(&self) {
        #[cfg(feature = "sqlite")]
        if let Some(Writer::Thread(w)) = &self.writer {
            w.close().await;
        }
        self.backend.close().await;
    }

    /// Records one CGI notification durably and idempotently (R-CG-3,
    /// R-CG-4), in one transaction serialized per order:
    ///
    /// 1. take the order's write lock (SQLite `BEGIN IMMEDIATE`;
    ///    PostgreSQL `pg_advisory_xact_lock(hashtext(order_no))`, then, for
    ///    a call with a `sendid`, a second transaction lock on that `sendid`
    ///    so that two orders cannot both claim one checkout);
    /// 2. read the order's [`MerchantRecord`] (if any) and the checkout
    ///    saved for `notice.sendid` (if any), and ask the core's
    ///    [`on_notification`] what the notification does;
    /// 3. persist exactly its answer: the notification row (with `raw_query`
    ///    and the effect; a flag's message in `integrity_flag`), the record
    ///    (every field, plus the window index columns), the accepted step
    ///    (history with source `cgi`, and one outbox event), and the claim
    ///    of the checkout for this order (one checkout, one order);
    /// 4. commit.
    ///
    /// Concurrent calls share one transaction and one commit (group
    /// commit: on a SQLite file one rusqlite connection on its own thread,
    /// `src/sqlite_writer.rs`; otherwise `src/group_commit.rs`, where a
    /// PostgreSQL batch takes every order lock and then every `sendid` lock
    /// in ascending key order): each call's steps 2–3 run in turn inside
    /// it, so the order is still serialized and read after every earlier
    /// write; a call that fails leaves the others to be recorded each on
    /// its own.
    ///
    /// It returns only after the commit succeeded: then, and only then, the
    /// receiver answers `successok`. On any error nothing was recorded;
    /// [`StoreError::Unavailable`] means "answer 503, the gateway resends".
    pub async fn record_notification(
        &self,
        notice: Notice,
        raw_query: Vec<u8>,
        unknown_sendid: UnknownSendId,
    ) -> Result<Recorded, StoreError> {
        let job = Incoming {
            notice,
            raw_query,
            unknown_sendid,
        };
        match &self.writer {
            #[cfg(feature = "sqlite")]
            Some(Writer::Thread(writer)) => writer.record(job).await,
            Some(Writer::Task(writer)) => writer.record(job).await,
            None => record_notification_alone(&self.backend, &job).await,
        }
    }

    /// The merchant's record of an order, with its history; `None` if no
    /// notification created it.
    pub async fn get_order(&self, order_no: &OrderNo) -> Result<Option<MerchantOrder>, StoreError> {
        const CTX: &str = "reading an order";
        let mut conn = self.backend.acquire(CTX).await?;
        load_order(&mut conn.exec(), CTX, order_no).await
    }

    /// Every stored notification of an order, in arrival order (audit).
    pub async fn notifications(
        &self,
        order_no: &OrderNo,
    ) -> Result<Vec<StoredNotification>, StoreError> {
        const CTX: &str = "reading notifications";
        let mut conn = self.backend.acquire(CTX).await?;
        let rows = conn
            .exec()
            .fetch_all(
                CTX,
                "SELECT id, order_no, reported_status, status_before, effect, integrity_flag, \
                 money, carrier, clientip, sendid, sendpoint, error_code, raw_query, received_at \
                 FROM notifications WHERE order_no = $1 ORDER BY id",
                &[order_no.as_str().into()],
            )
            .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// Records the outcome of the merchant's own settle or cancel, in one
    /// transaction serialized per order like [`Store::record_notification`]:
    /// reads the record ([`StoreError::OrderNotFound`] if there is none),
    /// asks the core's [`on_operation`] — which walks the outcome's events
    /// from the planned status, leaves out steps a CGI call already
    /// recorded or overtook, clears the in-flight mark and, for an
    /// `unknown` outcome or a "reconcile first" code, marks the order for
    /// reconciliation instead of moving it — and persists the record and
    /// each accepted step (history with source `settle` or `cancel`, and
    /// one outbox event each).
    ///
    /// A report the model refuses is [`StoreError::InvalidOperation`];
    /// nothing is recorded then.
    pub async fn record_operation(
        &self,
        order_no: &OrderNo,
        report: OperationReport,
    ) -> Result<OperationRecorded, StoreError> {
        const CTX: &str = "recording a merchant operation";
        let source = match Source::from_name(report.operation.name()) {
            Some(s) => s,
            None => {
                return Err(StoreError::corrupt(
                    "order_history",
                    "source",
                    format!("{:?} is no source", report.operation.name()),
                ));
            }
        };
        let mut tx = self.backend.begin_locked(order_no.as_str(), CTX).await?;
        let mut ex = tx.exec();
        let record = load_record(&mut ex, CTX, order_no).await?.ok_or_else(|| {
            StoreError::OrderNotFound {
                order_no: order_no.clone(),
            }
        })?;
        let decision =
            on_operation(&record, &report).map_err(|source| StoreError::InvalidOperation {
                order_no: order_no.clone(),
                source,
            })?;
        save_record(&mut ex, CTX, &decision.record).await?;
        let mut applied = Vec::with_capacity(decision.steps.len());
        for step in &decision.steps {
            applied.push(append_step(&mut ex, CTX, &decision.record, step, source).await?);
        }
        let history = load_history(&mut ex, CTX, order_no).await?;
        tx.commit(CTX).await?;
        tracing::info!(
            order_no = %order_no,
            operation = source.as_str(),
            steps = applied.len(),
            status = decision.record.status().code(),
            reconcile = decision.reconcile.as_ref().map(ReconcileReason::code),
            "merchant operation recorded"
        );
        Ok(OperationRecorded {
            applied,
            order: MerchantOrder::new(decision.record, history),
            reconcile: decision.reconcile,
        })
    }

    /// Stores, durably and before the operation is sent, that `operation`
    /// (`settle` or `cancel`) is in flight for the order
    /// ([`MerchantRecord::begin_operation`]); [`Store::record_operation`]
    /// clears it with the outcome. If the process stops in between, the
    /// mark stays and [`Store::list_deadlines`] lists the order for
    /// reconciliation (the gateway may have acted, R-RS-3).
    pub async fn begin_operation(
        &self,
        order_no: &OrderNo,
        mark: InFlight,
    ) -> Result<MerchantOrder, StoreError> {
        self.update_record(order_no, "marking an operation in flight", |r| {
            r.begin_operation(mark)
        })
        .await
    }

    /// Marks an order for reconciliation with the gateway (for example
    /// after a store failure following a gateway answer), through the
    /// core's [`MerchantRecord::with_reconciliation`]. The order does not
    /// move; [`Store::list_deadlines`] lists it until
    /// [`Store::clear_reconciliation`].
    pub async fn mark_reconciliation(
        &self,
        order_no: &OrderNo,
        reason: ReconcileReason,
    ) -> Result<MerchantOrder, StoreError> {
        self.update_record(order_no, "marking an order for reconciliation", |r| {
            r.with_reconciliation(reason)
        })
        .await
    }

    /// Clears an order's reconciliation mark (someone compared it with the
    /// gateway), through the core's [`MerchantRecord::reconciled`].
    pub async fn clear_reconciliation(
        &self,
        order_no: &OrderNo,
    ) -> Result<MerchantOrder, StoreError> {
        self.update_record(
            order_no,
            "clearing an order's reconciliation mark",
            MerchantRecord::reconciled,
        )
        .await
    }

    /// Reads the record in a transaction serialized per order, applies
    /// the core's `change`, writes it back and commits.
    async fn update_record(
        &self,
        order_no: &OrderNo,
        ctx: &'static str,
        change: impl FnOnce(MerchantRecord) -> MerchantRecord,
    ) -> Result<MerchantOrder, StoreError> {
        let mut tx = self.backend.begin_locked(order_no.as_str(), ctx).await?;
        let mut ex = tx.exec();
        let record = load_record(&mut ex, ctx, order_no).await?.ok_or_else(|| {
            StoreError::OrderNotFound {
                order_no: order_no.clone(),
            }
        })?;
        let record = change(record);
        save_record(&mut ex, ctx, &record).await?;
        let history = load_history(&mut ex, ctx, order_no).await?;
        tx.commit(ctx).await?;
        Ok(MerchantOrder::new(record, history))
    }

    /// What the merchant must act on, from each order's own
    /// [`MerchantRecord::deadlines`] between `now` and `now` +
    /// `within_days` × 24 h: its reconciliation mark, an operation in
    /// flight, and every window (settle, cancel; D-7, R-SL-1, R-CN-1) still
    /// open at `now` that closes by then. Plus, for every order known only
    /// from flagged notifications (no record), a reconciliation duty
    /// ([`Deadline::unrecorded`], status `None`) with the first flag's
    /// message. Sorted by [`Deadline::sort`]: reconciliations first, then
    /// the windows by closing time.
    ///
    /// The store only selects the candidates (orders with a mark, an
    /// operation in flight, or a window column in range); the core decides
    /// what each lists.
    pub async fn list_deadlines(
        &self,
        now: JstDateTime,
        within_days: u32,
    ) -> Result<Vec<Deadline>, StoreError> {
        const CTX: &str = "listing deadlines";
        let now = to_jst(&now);
        let until = now
            .checked_add_signed(TimeDelta::days(i64::from(within_days)))
            .unwrap_or(now);
        let (lo, hi) = (time_ms(&now), time_ms(&until));
        let mut conn = self.backend.acquire(CTX).await?;
        let mut ex = conn.exec();
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE needs_reconciliation IS NOT NULL \
             OR in_flight IS NOT NULL \
             OR (settle_closes_ms >= $1 AND settle_closes_ms <= $2) \
             OR (cancel_closes_ms >= $1 AND cancel_closes_ms <= $2) ORDER BY order_no"
        );
        let rows = ex.fetch_all(CTX, &sql, &[lo.into(), hi.into()]).await?;
        let mut out = Vec::new();
        for r in &rows {
            out.extend(record_from_row(r)?.deadlines(now, until));
        }
        const T: &str = "notifications";
        let flagged = ex
            .fetch_all(
                CTX,
                "SELECT DISTINCT n.order_no FROM notifications n \
                 WHERE n.effect = 'flagged' \
                 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_no = n.order_no) \
                 ORDER BY n.order_no",
                &[],
            )
            .await?;
        for r in &flagged {
            out.push(Deadline::unrecorded(parse_order_no_row(r, T)?));
        }
        Deadline::sort(&mut out);
        Ok(out)
    }

    /// Saves the merchant's order request under its `sendid`, to check the
    /// CGI calls against (the core's integrity check). Saving the same
    /// values again is a no-op returning the stored checkout (with the
    /// order that used it, if any); another amount or carrier under a
    /// saved `sendid` is refused ([`StoreError::CheckoutConflict`]). The
    /// order a checkout is bound to is written by
    /// [`Store::record_notification`] only.
    pub async fn save_checkout(&self, checkout: &Checkout) -> Result<Checkout, StoreError> {
        const CTX: &str = "saving a checkout";
        let mut conn = self.backend.acquire(CTX).await?;
        let mut ex = conn.exec();
        ex.execute(
            CTX,
            "INSERT INTO checkouts (sendid, money, carrier, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sendid) DO NOTHING",
            &[
                checkout.sendid.as_str().into(),
                i64::from(checkout.money.yen()).into(),
                checkout.carrier.code().into(),
                time_text(&checkout.created_at).into(),
            ],
        )
        .await?;
        let stored = find_checkout(&mut ex, CTX, &checkout.sendid)
            .await?
            .ok_or_else(|| {
                StoreError::corrupt(
                    "checkouts",
                    "sendid",
                    format!("{:?} vanished after insert", checkout.sendid.as_str()),
                )
            })?;
        if !stored.same_request(checkout) {
            return Err(StoreError::CheckoutConflict {
                sendid: checkout.sendid.clone(),
                stored_money: stored.money,
                stored_carrier: stored.carrier,
            });
        }
        Ok(stored)
    }

    /// The saved checkout for `sendid`, with the order that used it.
    pub async fn find_checkout(&self, sendid: &SendId) -> Result<Option<Checkout>, StoreError> {
        const CTX: &str = "reading a checkout";
        let mut conn = self.backend.acquire(CTX).await?;
        find_checkout(&mut conn.exec(), CTX, sendid).await
    }

    /// Takes the order's operation lock: settles and cancels of one order
    /// are serialized across every process and pool sharing the database,
    /// without blocking the recording of CGI calls (which take the
    /// per-transaction lock, not this one). Hold it from the pre-check
    /// until the outcome is recorded, then [`OperationLock::release`] it.
    ///
    /// - PostgreSQL: a session-level advisory lock on
    ///   `(2, hashtext(order_no))` (the two-key space, disjoint from the
    ///   one-key transaction lock of notifications), held on a connection
    ///   of its own kept in the guard. Dropped without release, the guard
    ///   closes that connection and the server frees the lock; a crashed
    ///   process frees it the same way. `hold_for` is not needed there.
    /// - SQLite: a lease row in `operation_locks` with a random holder
    ///   token, valid for `hold_for` (choose more than the longest
    ///   operation: the gateway's timeout plus margin); a crashed holder
    ///   blocks others at most that long. Dropped without release, the
    ///   guard deletes its row in the background.
    ///
    /// Waits (polling with backoff) up to [`crate::OPERATION_LOCK_WAIT`],
    /// then fails with [`StoreError::OperationLocked`].
    pub async fn lock_operation(
        &self,
        order_no: &OrderNo,
        hold_for: std::time::Duration,
    ) -> Result<OperationLock, StoreError> {
        crate::lock::lock_operation(&self.backend, order_no, hold_for).await
    }

    /// Up to `limit` outbox events not yet acknowledged, with an id above
    /// `after_id`, oldest first. Each carries the order's `sendid`.
    ///
    /// Delivery is at-least-once: an event is returned by every poll until
    /// [`Store::ack_outbox`] acknowledges it, so a consumer that crashes
    /// between handling and acknowledging sees it again and must
    /// deduplicate by [`OutboxEvent::id`]. `after_id` only pages within one
    /// round: ids are assigned before commit, so an event of a concurrent
    /// transaction can become visible after one with a higher id; start each
    /// round from `0` to never miss one. Events of one order appear in the
    /// order its transitions were recorded.
    pub async fn poll_outbox(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        const CTX: &str = "polling the outbox";
        let mut conn = self.backend.acquire(CTX).await?;
        let rows = conn
            .exec()
            .fetch_all(
                CTX,
                "SELECT id, order_no, sendid, from_status, to_status, source, at, money FROM outbox \
                 WHERE acked_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
                &[after_id.into(), i64::from(limit).into()],
            )
            .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// Acknowledges an outbox event: later polls no longer return it.
    /// Returns `true` the first time, `false` if it was already acknowledged
    /// or does not exist.
    pub async fn ack_outbox(&self, id: i64) -> Result<bool, StoreError> {
        const CTX: &str = "acknowledging an outbox event";
        // The acknowledgement time is for operators reading the table; no
        // rule depends on it.
        let now = to_jst(&DateTime::<Utc>::from(std::time::SystemTime::now()));
        let mut conn = self.backend.acquire(CTX).await?;
        let n = conn
            .exec()
            .execute(
                CTX,
                "UPDATE outbox SET acked_at = $2 WHERE id = $1 AND acked_at IS NULL",
                &[id.into(), time_text(&now).into()],
            )
            .await?;
        Ok(n > 0)
    }
}

/// The context of every error of [`Store::record_notification`].
pub(crate) const RECORD_CTX: &str = "recording a CGI notification";

/// One CGI notification to record: the notice, its raw query (kept as
/// received) and the merchant's policy for calls without a checkout.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) notice: Notice,
    pub(crate) raw_query: Vec<u8>,
    pub(crate) unknown_sendid: UnknownSendId,
}

/// Whether the transaction already holds the `sendid` lock of the
/// notification's checkout (a PostgreSQL batch takes every `sendid` lock
/// up front, in key order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendIdLock {
    /// Take it inside [`record_in_tx`], after the order lock.
    Take,
    /// Already held by the batch.
    Held,
}

/// [`Store::record_notification`] in a transaction of its own.
pub(crate) async fn record_notification_alone(
    backend: &Backend,
    job: &Incoming,
) -> Result<Recorded, StoreError> {
    let notice = &job.notice;
    let mut tx = backend
        .begin_locked(notice.order_no.as_str(), RECORD_CTX)
        .await?;
    let recorded = record_in_tx(&mut tx.exec(), job, SendIdLock::Take).await?;
    tx.commit(RECORD_CTX).await?;
    log_recorded(notice, &recorded);
    Ok(recorded)
}

/// The log line of a committed notification.
pub(crate) fn log_recorded(notice: &Notice, recorded: &Recorded) {
    match &recorded.effect {
        NoticeEffect::Flagged { flag, .. } => tracing::warn!(
            order_no = %notice.order_no,
            reported = notice.status.code(),
            notification_id = recorded.notification_id,
            %flag,
            "CGI notification stored but NOT applied: flagged; order marked for reconciliation"
        ),
        effect => tracing::info!(
            order_no = %notice.order_no,
            reported = notice.status.code(),
            effect = effect.kind().as_str(),
            notification_id = recorded.notification_id,
            "CGI notification recorded"
        ),
    }
}

/// Steps 2–3 of [`Store::record_notification`], inside a transaction that
/// holds the order's write lock; the caller commits. `sendid_locked`: the
/// transaction already holds the lock of the notice's `sendid`
/// (PostgreSQL batches take every lock first, `src/group_commit.rs`).
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
pub(crate) async fn record_in_tx(
    ex: &mut Exec<'_>,
    job: &Incoming,
    sendid_lock: SendIdLock,
) -> Result<Recorded, StoreError> {
    const CTX: &str = RECORD_CTX;
    let (notice, raw_query) = (&job.notice, job.raw_query.as_slice());
    let record = load_record(ex, CTX, &notice.order_no).await?;
    let checkout = match &notice.sendid {
        Some(sendid) => {
            #[cfg(feature = "postgres")]
            #[allow(irrefutable_let_patterns)] // only PostgreSQL compiled in
            if let (Exec::Postgres(_), SendIdLock::Take) = (&ex, sendid_lock) {
                // Two orders naming one sendid are not serialized by their
                // order locks: serialize their claim of the checkout. Always
                // taken after the order lock, so no cycle can form.
                ex.execute(
                    CTX,
                    "SELECT pg_advisory_xact_lock(1, hashtext($1))",
                    &[sendid.as_str().into()],
                )
                .await?;
            }
            find_checkout(ex, CTX, sendid).await?
        }
        None => None,
    };
    let decision = on_notification(
        record.as_ref(),
        checkout.as_ref(),
        notice,
        job.unknown_sendid,
    );
    let flag = match &decision.effect {
        NoticeEffect::Flagged { flag, .. } => Some(flag.to_string()),
        _ => None,
    };
    let row = ex
        .fetch_one(
            CTX,
            INSERT_NOTIFICATION,
            &notification_values(notice, raw_query, record.as_ref(), &decision.effect, flag),
        )
        .await?;
    let notification_id = row.int("notifications", "id")?;
    let order = match &decision.record {
        Some(r) => {
            // The history the order had (none when it had no record: history
            // rows are only written with one), read before this call's step
            // is appended, so that nothing this transaction writes is read
            // back.
            let mut history = match &record {
                Some(_) => load_history(ex, CTX, &notice.order_no).await?,
                None => Vec::new(),
            };
            save_record(ex, CTX, r).await?;
            if let Some(step) = &decision.step {
                history.push(append_step(ex, CTX, r, step, Source::Cgi).await?);
            }
            if let Some(sendid) = &decision.claim {
                ex.execute(
                    CTX,
                    CLAIM_CHECKOUT,
                    &[notice.order_no.as_str().into(), sendid.as_str().into()],
                )
                .await?;
            }
            Some(MerchantOrder::new(r.clone(), history))
        }
        None => None,
    };
    Ok(Recorded {
        notification_id,
        effect: decision.effect,
        order,
    })
}

/// Inserts a notification row ([`notification_values`] binds it) and
/// returns its id.
pub(crate) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (order_no, \
     reported_status, status_before, effect, integrity_flag, money, carrier, clientip, sendid, \
     sendpoint, error_code, raw_query, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
     $10, $11, $12, $13) RETURNING id";

/// The values of a notification row: the call's parameters, the record's
/// status before it, the model's effect and flag, the raw query.
pub(crate) fn notification_values(
    n: &Notice,
    raw_query: &[u8],
    before: Option<&MerchantRecord>,
    effect: &NoticeEffect,
    flag: Option<String>,
) -> [Value; 13] {
    [
        n.order_no.as_str().into(),
        n.status.code().into(),
        before.map(|r| r.status().code().to_owned()).into(),
        effect.kind().as_str().into(),
        flag.into(),
        n.money.map(|m| i64::from(m.yen())).into(),
        n.carrier.map(|c| c.code().to_owned()).into(),
        n.clientip.as_ref().map(|c| c.as_str().to_owned()).into(),
        n.sendid.as_ref().map(|s| s.as_str().to_owned()).into(),
        n.sendpoint.clone().into(),
        n.error_code.as_ref().map(|c| c.as_str().to_owned()).into(),
        Value::Bytes(raw_query.to_vec()),
        time_text(&n.received_at).into(),
    ]
}
