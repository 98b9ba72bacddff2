//! [`Store`]: the one API over both backends. It persists what the core's
//! merchant model ([`zeus_carrier_core::merchant`]) decides and decides
//! nothing itself.

use chrono::{DateTime, Utc};
use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::merchant::{
    Checkout, Deadline, InFlight, MerchantRecord, Notice, OperationReport, ReconcileReason,
    UnknownSendId, on_operation,
};
use zeus_carrier_core::time::to_jst;
use zeus_carrier_core::values::{OrderNo, SendId};

use crate::codec::time_text;
use crate::db::{Backend, with_batch};
use crate::deadlines::{DeadlineCursor, DeadlinePage, MAX_DEADLINE_PAGE};
use crate::error::StoreError;
use crate::group_commit::GroupCommit;
use crate::lock::OperationLock;
use crate::model::{
    MerchantOrder, OperationRecorded, OutboxEvent, Recorded, Source, StoredNotification,
};
use crate::rows::{notification_from_row, outbox_from_row};
use crate::script::{Batch, Incoming, change_record};

mod notes;
mod reviews;
pub use notes::ReconciliationNote;
pub use reviews::UnrecordedReview;

/// The merchant's durable record of carrier-billing orders, on SQLite or
/// PostgreSQL. Cheap to clone (the clones share one connection pool).
///
/// See the crate documentation for the guarantees.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    /// The group-commit writer of CGI notifications (`src/group_commit.rs`):
    /// for a SQLite file, one rusqlite connection on a thread of its own
    /// (`src/sqlite_writer.rs`); for an in-memory SQLite database (one
    /// pooled connection, which only the pool can reach) or PostgreSQL,
    /// tokio tasks over the pool.
    writer: GroupCommit,
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
    /// for a SQLite file a thread of its own with its own connection, which
    /// keeps up to 64 MiB of the file's pages in memory (stopped by
    /// [`Store::close`] or when the last clone is dropped); for an
    /// in-memory SQLite database
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
            } => crate::sqlite_writer::start(backend.clone(), path.clone())?,
            _ => GroupCommit::start_tasks(backend.clone()),
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
        self.writer.close().await;
        self.backend.close().await;
    }

    /// Records one CGI notification durably and idempotently (R-CG-3,
    /// R-CG-4), in a transaction that serializes its order:
    ///
    /// 1. take the order's write lock (SQLite `BEGIN IMMEDIATE`;
    ///    PostgreSQL `pg_advisory_xact_lock(hashtext(order_no))`, then, for
    ///    a call with a `sendid`, a second transaction lock on that `sendid`
    ///    so that two orders cannot both claim one checkout);
    /// 2. read the order's [`MerchantRecord`] (if any) and the checkout
    ///    saved for `notice.sendid` (if any), and ask the core's
    ///    [`on_notification`](zeus_carrier_core::merchant::on_notification)
    ///    what the notification does (`unknown_sendid`: the merchant's
    ///    policy for a call whose `sendid` has no checkout);
    /// 3. persist exactly its answer: the notification row (with `raw_query`
    ///    and the effect; a flag's message in `integrity_flag`), the record
    ///    (every field, plus the window index columns), the accepted step
    ///    (history with source `cgi`, and one outbox event), and the claim
    ///    of the checkout for this order (one checkout, one order);
    /// 4. commit.
    ///
    /// Concurrent calls share one transaction and one commit (group
    /// commit, `src/group_commit.rs`: on a SQLite file one rusqlite
    /// connection on its own thread; on PostgreSQL a batch takes every
    /// order lock and then every `sendid` lock in ascending key order).
    /// The recording script (`src/script.rs`) reads what the whole batch
    /// needs, decides each call in arrival order as if it had come alone
    /// (each sees every earlier call's effect), and writes the batch; a
    /// batch that fails leaves its calls to be recorded each on its own.
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
        self.writer.record(job).await
    }

    /// The merchant's record of an order, with its history; `None` if no
    /// notification created it.
    pub async fn get_order(&self, order_no: &OrderNo) -> Result<Option<MerchantOrder>, StoreError> {
        const CTX: &str = "reading an order";
        let mut conn = self.backend.acquire(CTX).await?;
        with_batch!(conn.exec(), CTX, |b| {
            let Some(record) = b.records(&[order_no.as_str()]).await?.pop() else {
                return Ok(None);
            };
            let history = b.histories(&[order_no.as_str()]).await?;
            Ok(Some(MerchantOrder::new(
                record,
                history.into_iter().map(|(_, h)| h).collect(),
            )))
        })
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
        let mut reconcile = None;
        let (order, applied) = with_batch!(tx.exec(), CTX, |b| {
            change_record(&mut b, order_no, source, |record| {
                let decision = on_operation(&record, &report).map_err(|source| {
                    StoreError::InvalidOperation {
                        order_no: order_no.clone(),
                        source,
                    }
                })?;
                reconcile = decision.reconcile;
                Ok((decision.record, decision.steps))
            })
            .await
        })?;
        tx.commit(CTX).await?;
        tracing::info!(
            order_no = %order_no,
            operation = source.as_str(),
            steps = applied.len(),
            status = order.status().code(),
            reconcile = reconcile.as_ref().map(ReconcileReason::code),
            "merchant operation recorded"
        );
        Ok(OperationRecorded {
            applied,
            order,
            reconcile,
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
        // A mark accepts no step: the source is never written.
        let (order, _) = with_batch!(tx.exec(), ctx, |b| {
            change_record(&mut b, order_no, Source::Cgi, |r| {
                Ok((change(r), Vec::new()))
            })
            .await
        })?;
        tx.commit(ctx).await?;
        Ok(order)
    }

    /// What the merchant must act on between `now` and `now` +
    /// `within_days` × 24 h, a page at a time (INTERFACES v3 §3
    /// `/deadlines`): each order's own [`MerchantRecord::deadlines`] — its
    /// reconciliation mark, an operation in flight, every window (settle,
    /// cancel; D-7, R-SL-1, R-CN-1) still open at `now` that closes by
    /// then — and, for every order known only from flagged notifications,
    /// [`Deadline::unrecorded`]. Reconciliation entries first (by order
    /// number), then the windows by closing time (to the millisecond),
    /// then order number.
    ///
    /// At most `limit` entries (clamped to 1 ..= [`MAX_DEADLINE_PAGE`]);
    /// when more remain, [`DeadlinePage::next`] is the cursor to pass as
    /// `after` for the next page (with the same `now` and `within_days`).
    /// A page reads only what it returns, through indexes: its cost does
    /// not grow with the number of orders (`src/deadlines.rs`).
    ///
    /// [`MAX_DEADLINE_PAGE`]: crate::MAX_DEADLINE_PAGE
    pub async fn list_deadlines_page(
        &self,
        now: JstDateTime,
        within_days: u32,
        limit: u32,
        after: Option<&DeadlineCursor>,
    ) -> Result<DeadlinePage, StoreError> {
        crate::deadlines::page(&self.backend, now, within_days, limit, after).await
    }

    /// Every entry [`Store::list_deadlines_page`] lists, all pages read,
    /// sorted by [`Deadline::sort`]. Unbounded: prefer the pages.
    pub async fn list_deadlines(
        &self,
        now: JstDateTime,
        within_days: u32,
    ) -> Result<Vec<Deadline>, StoreError> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .list_deadlines_page(now, within_days, MAX_DEADLINE_PAGE, after.as_ref())
                .await?;
            out.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
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
        conn.exec()
            .execute(
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
        let stored = with_batch!(conn.exec(), CTX, |b| b
            .checkouts(&[checkout.sendid.as_str()])
            .await)?
        .pop()
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
        Ok(with_batch!(conn.exec(), CTX, |b| b.checkouts(&[sendid.as_str()]).await)?.pop())
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
