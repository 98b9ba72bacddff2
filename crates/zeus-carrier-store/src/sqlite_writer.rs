//! Group commit of CGI notifications on a SQLite file, on one synchronous
//! connection owned by one thread.
//!
//! sqlx runs every SQLite statement on the connection's worker thread and
//! hands the statement and its rows across channels: two thread wake-ups a
//! statement, ~11 per notification (docs/PERFORMANCE.md). Here the whole
//! batch runs on one plain thread with its own rusqlite connection to the
//! same file (the same bundled SQLite as sqlx: libsqlite3-sys 0.30), with
//! prepared statements cached on the connection. A notification costs two
//! hand-offs: the caller's job to the thread, the thread's answer back.
//!
//! The thread:
//!
//! 1. waits for a notification, then takes every other one already queued
//!    (at most [`MAX_BATCH`]) — no timer: a batch is whatever arrived while
//!    the previous commit was on its way to the disk;
//! 2. opens one transaction with the database's write lock
//!    (`BEGIN IMMEDIATE`, as a lone call would), after checking that the
//!    database file is still there (and again under the lock);
//! 3. records the notifications one after the other inside it: for each,
//!    reads the order's record (and, when it had one, its history) and the
//!    checkout of its `sendid`, asks the core's
//!    [`on_notification`](zeus_carrier_core::merchant::on_notification),
//!    and writes exactly its answer — the same statements as the sqlx path
//!    (`store::record_in_tx`), so each call reads every write before it and
//!    the model decides as if the calls had come one at a time; nothing the
//!    batch wrote is read back;
//! 4. commits (`synchronous=FULL`: the WAL is on the disk), and only then
//!    answers every caller (nothing is acknowledged before the commit);
//! 5. if one notification fails inside the batch, rolls the whole batch
//!    back and records each notification of it in a transaction of its own
//!    (the failing one gets its own error, the others are recorded); if the
//!    transaction cannot begin or commit, every caller of the batch gets
//!    that error, with its kind ([`StoreError::Unavailable`] stays
//!    unavailable: 503).
//!
//! After an "unavailable" error, or when a failed transaction could not be
//! rolled back, the connection is dropped and the next batch opens a new
//! one: a connection SQLite opened while the file could not be written
//! (read-only, silently) or that an I/O error left inside a transaction is
//! never reused.
//!
//! Other writers (operations, checkouts, other processes) take the same
//! SQLite write lock through the sqlx pool and are serialized with the
//! batches (a 10 s busy timeout, as on the pool).
//!
//! [`SqliteWriter::close`] (from [`Store::close`](crate::Store::close))
//! stops the thread after its current batch and closes its connection;
//! later calls record through the (closed) sqlx pool and fail as before.
//! A caller whose thread is gone records on its own through the pool; a
//! caller whose batch was lost with the thread gets
//! [`StoreError::Unavailable`] (not recorded as far as it knows: 503, the
//! gateway resends, and a resend of a call that was in fact committed
//! counts as a duplicate).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};
use zeus_carrier_core::merchant::{NoticeEffect, on_notification};

use crate::db::{Backend, SQLITE_BUSY_TIMEOUT, Value};
use crate::error::StoreError;
use crate::group_commit::{MAX_BATCH, copy_error};
use crate::model::{MerchantOrder, Recorded, Source};
use crate::rows::{
    CLAIM_CHECKOUT, Columns, INSERT_HISTORY, INSERT_OUTBOX, SELECT_CHECKOUT, SELECT_HISTORY,
    SELECT_ORDER, UPSERT_ORDER, checkout_from_row, history_from_row, record_from_row,
    record_values, step_row, step_values,
};
use crate::store::{
    INSERT_NOTIFICATION, Incoming, RECORD_CTX, log_recorded, notification_values,
    record_notification_alone,
};

/// Notifications waiting for the writer before callers wait to queue.
const QUEUE: usize = 1024;

type Reply = oneshot::Sender<Result<Recorded, StoreError>>;

struct Job {
    incoming: Incoming,
    reply: Reply,
}

/// What the thread is sent.
enum Msg {
    Record(Job),
    /// Stop after the current batch; answer when the connection is closed.
    Close(oneshot::Sender<()>),
}

/// The handle of a store's writer thread. Cheap to clone; the thread ends
/// when the last handle is dropped or [`SqliteWriter::close`] is called.
#[derive(Clone, Debug)]
pub(crate) struct SqliteWriter {
    backend: Backend,
    queue: mpsc::Sender<Msg>,
    closed: Arc<AtomicBool>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Record(_) => "Record",
            Msg::Close(_) => "Close",
        })
    }
}

impl SqliteWriter {
    /// Spawns the writer thread for the database file `path` (created and
    /// migrated already). `backend` is the store's pool, for the calls
    /// made when the thread is gone.
    pub(crate) fn start(backend: Backend, path: PathBuf) -> Result<SqliteWriter, StoreError> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("zeus-sqlite-writer".to_owned())
            .spawn(move || Writer { path, conn: None }.run(jobs))
            .map_err(|e| {
                StoreError::unavailable("starting the SQLite writer", format!("spawn: {e}"))
            })?;
        Ok(SqliteWriter {
            backend,
            queue,
            closed: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Records `notice` in the next batch; returns after that batch
    /// committed.
    pub(crate) async fn record(&self, incoming: Incoming) -> Result<Recorded, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return record_notification_alone(&self.backend, &incoming).await;
        }
        let (reply, answer) = oneshot::channel();
        let job = Job { incoming, reply };
        if let Err(mpsc::error::SendError(Msg::Record(job))) =
            self.queue.send(Msg::Record(job)).await
        {
            // The thread is gone.
            return record_notification_alone(&self.backend, &job.incoming).await;
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::unavailable(
                RECORD_CTX,
                "the store's writer stopped before the batch committed; not recorded, resend",
            ))
        })
    }

    /// Stops the thread after its current batch and waits until its
    /// connection is closed.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let (done, closed) = oneshot::channel();
        if self.queue.send(Msg::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

/// The thread's state: the database file and its connection (opened on
/// the first batch, dropped after a failure that may have left it unusable).
struct Writer {
    path: PathBuf,
    conn: Option<Connection>,
}

/// What happened to a batch's transaction.
enum Outcome {
    /// Committed: every result is final.
    Committed(Vec<Recorded>),
    /// One notification failed: nothing was committed; record each alone.
    OneFailed,
    /// The transaction could not begin or commit: nothing was committed.
    Failed(StoreError),
}

impl Writer {
    fn run(mut self, mut jobs: mpsc::Receiver<Msg>) {
        let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        let mut close = None;
        while let Some(msg) = jobs.blocking_recv() {
            match msg {
                Msg::Record(job) => batch.push(job),
                Msg::Close(done) => close = Some(done),
            }
            while close.is_none() && batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(Msg::Record(job)) => batch.push(job),
                    Ok(Msg::Close(done)) => close = Some(done),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                self.commit_batch(&mut batch);
            }
            if close.is_some() {
                break;
            }
        }
        // Closes the connection (SQLite checkpoints the WAL when the last
        // connection to the file closes), then tells `close`.
        drop(self);
        drop(jobs);
        if let Some(done) = close {
            let _ = done.send(());
        }
    }

    fn commit_batch(&mut self, batch: &mut Vec<Job>) {
        match self.try_batch(batch) {
            Outcome::Committed(recorded) => {
                tracing::debug!(batch = batch.len(), "group commit");
                for (job, r) in batch.drain(..).zip(recorded) {
                    log_recorded(&job.incoming.notice, &r);
                    // A caller that went away was still recorded: its
                    // resend will count as a duplicate.
                    let _ = job.reply.send(Ok(r));
                }
            }
            Outcome::OneFailed => {
                if batch.len() > 1 {
                    tracing::warn!(
                        batch = batch.len(),
                        "a notification failed inside a group commit; recording the batch one by one"
                    );
                }
                for job in batch.drain(..) {
                    let result = self.record_alone(&job);
                    if let Ok(r) = &result {
                        log_recorded(&job.incoming.notice, r);
                    }
                    let _ = job.reply.send(result);
                }
            }
            Outcome::Failed(e) => {
                let mut jobs = batch.drain(..);
                if let Some(first) = jobs.next() {
                    for job in jobs {
                        let _ = job.reply.send(Err(copy_error(&e)));
                    }
                    let _ = first.reply.send(Err(e));
                }
            }
        }
    }

    fn try_batch(&mut self, batch: &[Job]) -> Outcome {
        let result = self.in_transaction(|tx| {
            let mut recorded = Vec::with_capacity(batch.len());
            for job in batch {
                match record_in_tx(tx, &job.incoming) {
                    Ok(r) => recorded.push(r),
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(Ok(recorded))
        });
        match result {
            Ok(Ok(recorded)) => Outcome::Committed(recorded),
            Ok(Err(_)) => Outcome::OneFailed,
            Err(e) => Outcome::Failed(e),
        }
    }

    fn record_alone(&mut self, job: &Job) -> Result<Recorded, StoreError> {
        self.in_transaction(|tx| Ok(record_in_tx(tx, &job.incoming)))?
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: commits when it
    /// returns `Ok(Ok(_))`, rolls back when it returns `Ok(Err(_))` (the
    /// inner error is the body's). The outer error is the transaction's
    /// own (open, begin, commit), after which nothing was committed.
    fn in_transaction<T>(
        &mut self,
        body: impl FnOnce(&Transaction<'_>) -> Result<Result<T, StoreError>, StoreError>,
    ) -> Result<Result<T, StoreError>, StoreError> {
        let result = self.try_in_transaction(body);
        let broken = match &result {
            Err(e) | Ok(Err(e)) => e.is_unavailable(),
            Ok(Ok(_)) => false,
        };
        // A connection an outage touched, or left inside a transaction
        // (its rollback failed), is not reused.
        if broken || self.conn.as_ref().is_some_and(|c| !c.is_autocommit()) {
            self.conn = None;
        }
        result
    }

    fn try_in_transaction<T>(
        &mut self,
        body: impl FnOnce(&Transaction<'_>) -> Result<Result<T, StoreError>, StoreError>,
    ) -> Result<Result<T, StoreError>, StoreError> {
        const CTX: &str = RECORD_CTX;
        check_file(&self.path)?;
        if self.conn.is_none() {
            self.conn = Some(open(&self.path)?);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(StoreError::unavailable(CTX, "no SQLite connection"));
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::rusqlite(CTX, e))?;
        // Checked again under the lock: the file may have gone while we
        // waited for it.
        check_file(&self.path)?;
        match body(&tx)? {
            Ok(value) => {
                tx.commit().map_err(|e| StoreError::rusqlite(CTX, e))?;
                Ok(Ok(value))
            }
            // Dropping the transaction rolls it back.
            Err(e) => Ok(Err(e)),
        }
    }
}

/// Opens the writer's connection: read-write, never creating the file
/// (the store created it with mode 0600 and migrated it; a file gone is
/// not re-created with SQLite's default mode), the pool's settings (`synchronous=FULL`, the
/// busy timeout, foreign keys; the WAL journal is the file's own).
fn open(path: &Path) -> Result<Connection, StoreError> {
    const CTX: &str = "opening the SQLite writer's connection";
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::rusqlite(CTX, e))?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)
        .map_err(|e| StoreError::rusqlite(CTX, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| StoreError::rusqlite(CTX, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| StoreError::rusqlite(CTX, e))?;
    Ok(conn)
}

/// A SQLite database whose file was removed keeps working on the unlinked
/// inode and loses everything at the next open: refuse to write to it.
fn check_file(path: &Path) -> Result<(), StoreError> {
    if path.exists() {
        Ok(())
    } else {
        Err(StoreError::unavailable(
            RECORD_CTX,
            format!("the SQLite database file {} is gone", path.display()),
        ))
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::OptText(Some(s)) => ValueRef::Text(s.as_bytes()),
            Value::OptText(None) | Value::OptInt(None) => ValueRef::Null,
            Value::Int(i) | Value::OptInt(Some(i)) => ValueRef::Integer(*i),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, table: &'static str, col: &'static str) -> Result<String, StoreError> {
        self.get(col)
            .map_err(|e| StoreError::corrupt(table, col, e.to_string()))
    }
    fn opt_text(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Option<String>, StoreError> {
        self.get(col)
            .map_err(|e| StoreError::corrupt(table, col, e.to_string()))
    }
    fn int(&self, table: &'static str, col: &'static str) -> Result<i64, StoreError> {
        self.get(col)
            .map_err(|e| StoreError::corrupt(table, col, e.to_string()))
    }
    fn opt_int(&self, table: &'static str, col: &'static str) -> Result<Option<i64>, StoreError> {
        self.get(col)
            .map_err(|e| StoreError::corrupt(table, col, e.to_string()))
    }
}

/// Runs a statement (prepared once per connection) with `args`.
fn execute(tx: &Transaction<'_>, sql: &str, args: &[Value]) -> Result<usize, StoreError> {
    tx.prepare_cached(sql)
        .and_then(|mut st| st.execute(rusqlite::params_from_iter(args)))
        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))
}

/// Runs a query for at most one row and reads it with `read`.
fn query_one<T>(
    tx: &Transaction<'_>,
    sql: &str,
    args: &[Value],
    read: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut st = tx
        .prepare_cached(sql)
        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))?;
    let mut rows = st
        .query(rusqlite::params_from_iter(args))
        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))?;
    match rows
        .next()
        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))?
    {
        Some(row) => read(row).map(Some),
        None => Ok(None),
    }
}

/// `store::record_in_tx` on the writer's connection: the same reads, the
/// same decision by the core's model, the same writes; the history the
/// caller gets is the one read before this call's step plus that step.
fn record_in_tx(tx: &Transaction<'_>, job: &Incoming) -> Result<Recorded, StoreError> {
    let (notice, raw_query) = (&job.notice, job.raw_query.as_slice());
    let order_no: [Value; 1] = [notice.order_no.as_str().into()];
    let record = query_one(tx, SELECT_ORDER, &order_no, |r| record_from_row(r))?;
    let checkout = match &notice.sendid {
        Some(sendid) => query_one(tx, SELECT_CHECKOUT, &[sendid.as_str().into()], |r| {
            checkout_from_row(r)
        })?,
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
    let values = notification_values(notice, raw_query, record.as_ref(), &decision.effect, flag);
    let notification_id = query_one(tx, INSERT_NOTIFICATION, &values, |r| {
        r.int("notifications", "id")
    })?
    .ok_or_else(|| StoreError::corrupt("notifications", "id", "no id returned"))?;
    let order = match &decision.record {
        Some(r) => {
            // No history without a record: history rows are only written
            // with one.
            let mut history = match &record {
                Some(_) => {
                    let mut st = tx
                        .prepare_cached(SELECT_HISTORY)
                        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))?;
                    let mut rows = st
                        .query(rusqlite::params_from_iter(&order_no))
                        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))?;
                    let mut history = Vec::new();
                    while let Some(row) = rows
                        .next()
                        .map_err(|e| StoreError::rusqlite(RECORD_CTX, e))?
                    {
                        history.push(history_from_row(row)?);
                    }
                    history
                }
                None => Vec::new(),
            };
            execute(tx, UPSERT_ORDER, &record_values(r))?;
            if let Some(step) = &decision.step {
                let (h, o) = step_values(r, step, Source::Cgi);
                execute(tx, INSERT_HISTORY, &h)?;
                execute(tx, INSERT_OUTBOX, &o)?;
                history.push(step_row(step, Source::Cgi));
            }
            if let Some(sendid) = &decision.claim {
                execute(
                    tx,
                    CLAIM_CHECKOUT,
                    &[notice.order_no.as_str().into(), sendid.as_str().into()],
                )?;
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
