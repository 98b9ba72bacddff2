//! Group commit of CGI notifications: the one batch loop, over a small
//! per-backend interface ([`Committer`]: run the recording script on a
//! batch in one transaction).
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every
//! commit waits for the disk (an fsync of the WAL); on PostgreSQL every
//! statement is a round trip to a server process and every commit a WAL
//! flush. Recording each notification in a transaction of its own would
//! cost one flush (and, on PostgreSQL, a dozen round trips) per call.
//! Instead, [`Store::record_notification`](crate::Store::record_notification)
//! hands its notification to the store's writer — for a SQLite file one
//! thread with its own rusqlite connection (`src/sqlite_writer.rs`); for
//! PostgreSQL [`PG_BATCHES`] tokio tasks, and for an in-memory SQLite
//! database one, over the sqlx pool ([`SqlxCommitter`]) — each of which
//! runs [`run`]:
//!
//! 1. waits for a notification, then takes every other one already queued
//!    (at most [`MAX_BATCH`]) — no timer: a batch is whatever arrived while
//!    the previous commit was on its way to the disk;
//! 2. opens one transaction holding every lock the batch needs: SQLite's
//!    write lock (`BEGIN IMMEDIATE`, as a lone call would); on PostgreSQL,
//!    in one statement, the advisory lock of every order of the batch,
//!    then of every `sendid`, each set in ascending key order
//!    ([`Backend::begin_batch`](crate::db::Backend::begin_batch)) — every
//!    writer takes its locks in that one global order, so batches of this
//!    and other instances and lone calls never deadlock;
//! 3. runs the recording script on the batch inside it
//!    ([`crate::script::record_batch`]: each call decided as if it had
//!    come alone, after every earlier one);
//! 4. commits, and only then answers every caller with its result
//!    (nothing is acknowledged before the commit);
//! 5. if the script fails inside the batch, rolls the whole batch back and
//!    records each notification of it in a transaction of its own (the
//!    failing one gets its own error, the others are recorded); if the
//!    transaction cannot begin or commit, every caller of the batch gets
//!    that error, with its kind ([`StoreError::Unavailable`] stays
//!    unavailable: 503), and nothing of the batch was committed.
//!
//! Other writers (operations, checkouts, other processes) take the same
//! SQLite write lock, or the same PostgreSQL order lock, and are
//! serialized with the batches.
//!
//! A caller whose writer is gone (its runtime shut down, the store
//! closed) records on its own, through the pool; a caller whose batch was
//! lost with the writer gets [`StoreError::Unavailable`] — not recorded as
//! far as it knows, so the receiver answers 503 and the gateway resends
//! (a resend of a call that was in fact committed counts as a duplicate).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::db::{Backend, with_batch};
use crate::error::StoreError;
use crate::model::Recorded;
use crate::script::{Incoming, RECORD_CTX, batch_keys, log_recorded, record_batch};

/// The most notifications one transaction records.
pub(crate) const MAX_BATCH: usize = 128;
/// Notifications waiting for the writer before callers wait to queue.
const QUEUE: usize = 1024;

/// Batches in flight at once on PostgreSQL, each on its own pooled
/// connection (of 10); their locks keep them apart. With set-based
/// batches (the same round trips whatever a batch's size) fewer, larger
/// batches win: measured back to back on the 2-core machine
/// (docs/PERFORMANCE.md, 32 connections, distinct / dup-heavy calls/s):
/// 8 gave 2,577 / 2,018, 2 gave 4,281 / 3,809, 1 gave 3,929 / 4,584.
const PG_BATCHES: usize = 2;

/// What a writer must do: record a batch in one transaction.
pub(crate) trait Committer {
    /// Records `jobs` in one transaction holding every lock they need and
    /// commits. `Err`: the transaction could not begin or commit (nothing
    /// committed); `Ok(Err)`: the script failed (rolled back; the error
    /// is the batch's, or its only job's).
    async fn transaction(
        &mut self,
        jobs: &[&Incoming],
    ) -> Result<Result<Vec<Recorded>, StoreError>, StoreError>;
}

/// A batch's transaction over the sqlx pool (PostgreSQL; an in-memory
/// SQLite database; any call whose writer is gone).
#[derive(Debug, Clone)]
pub(crate) struct SqlxCommitter {
    pub(crate) backend: Backend,
}

impl Committer for SqlxCommitter {
    async fn transaction(
        &mut self,
        jobs: &[&Incoming],
    ) -> Result<Result<Vec<Recorded>, StoreError>, StoreError> {
        let (order_nos, sendids) = batch_keys(jobs);
        let mut tx = self
            .backend
            .begin_batch(&order_nos, &sendids, RECORD_CTX)
            .await?;
        let result = with_batch!(tx.exec(), RECORD_CTX, |b| record_batch(&mut b, jobs).await);
        match result {
            Ok(recorded) => {
                tx.commit(RECORD_CTX).await?;
                Ok(Ok(recorded))
            }
            // Dropping the transaction rolls it back.
            Err(e) => Ok(Err(e)),
        }
    }
}

/// Records one notification in a transaction of its own, through the
/// pool.
pub(crate) async fn record_alone(
    backend: &Backend,
    job: &Incoming,
) -> Result<Recorded, StoreError> {
    let mut c = SqlxCommitter {
        backend: backend.clone(),
    };
    let recorded =
        c.transaction(&[job]).await??.pop().ok_or_else(|| {
            StoreError::unavailable(RECORD_CTX, "the batch of one recorded nothing")
        })?;
    log_recorded(&job.notice, &recorded);
    Ok(recorded)
}

type Reply = oneshot::Sender<Result<Recorded, StoreError>>;

/// A caller's notification and where to send its result.
pub(crate) struct Job {
    incoming: Incoming,
    reply: Reply,
}

/// What a writer is sent.
pub(crate) enum Msg {
    Record(Job),
    /// Stop after the current batch; answer once the writer is dropped.
    Close(oneshot::Sender<()>),
}

/// The queue the writers of a store take their batches from.
pub(crate) type Queue = Arc<Mutex<mpsc::Receiver<Msg>>>;

/// The batch loop: takes batches from `queue` and records each with
/// `committer` (see the module documentation), until the queue closes or
/// a [`Msg::Close`] arrives.
pub(crate) async fn run<C: Committer>(mut committer: C, queue: Queue) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut close = None;
    loop {
        {
            // One writer takes a batch at a time; the others wait here.
            let mut jobs = queue.lock().await;
            match jobs.recv().await {
                None => break,
                Some(Msg::Record(job)) => batch.push(job),
                Some(Msg::Close(done)) => close = Some(done),
            }
            while close.is_none() && batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(Msg::Record(job)) => batch.push(job),
                    Ok(Msg::Close(done)) => close = Some(done),
                    Err(_) => break,
                }
            }
        }
        if !batch.is_empty() {
            commit_batch(&mut committer, &mut batch).await;
        }
        if close.is_some() {
            break;
        }
    }
    // Closes the writer's connection (SQLite checkpoints the WAL when the
    // last connection to the file closes) and the queue, then tells
    // `close`.
    drop(committer);
    drop(queue);
    if let Some(done) = close {
        let _ = done.send(());
    }
}

async fn commit_batch<C: Committer>(committer: &mut C, batch: &mut Vec<Job>) {
    let jobs: Vec<&Incoming> = batch.iter().map(|j| &j.incoming).collect();
    match committer.transaction(&jobs).await {
        Ok(Ok(recorded)) => {
            tracing::debug!(batch = batch.len(), "group commit");
            for (job, r) in batch.drain(..).zip(recorded) {
                log_recorded(&job.incoming.notice, &r);
                // A caller that went away was still recorded: its resend
                // will count as a duplicate.
                let _ = job.reply.send(Ok(r));
            }
        }
        Ok(Err(e)) if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                let _ = job.reply.send(Err(e));
            }
        }
        Ok(Err(_)) => {
            tracing::warn!(
                batch = batch.len(),
                "a notification failed inside a group commit; recording the batch one by one"
            );
            for job in batch.drain(..) {
                let result = match committer.transaction(&[&job.incoming]).await {
                    Ok(Ok(mut r)) => r.pop().ok_or_else(|| {
                        StoreError::unavailable(RECORD_CTX, "the batch of one recorded nothing")
                    }),
                    Ok(Err(e)) | Err(e) => Err(e),
                };
                if let Ok(r) = &result {
                    log_recorded(&job.incoming.notice, r);
                }
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
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

/// The error of a failed batch for another caller of it: the same kind
/// (unavailable or not), context and message.
pub(crate) fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable { context, source } => StoreError::Unavailable {
            context,
            source: source.to_string().into(),
        },
        other => StoreError::Database {
            context: RECORD_CTX,
            source: other.to_string().into(),
        },
    }
}

/// The handle of a store's writer. Cheap to clone; the writer ends when
/// the last handle is dropped, or at [`GroupCommit::close`].
#[derive(Clone, Debug)]
pub(crate) struct GroupCommit {
    backend: Backend,
    queue: mpsc::Sender<Msg>,
    /// Set by [`GroupCommit::close`]: later calls record on their own.
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

impl GroupCommit {
    /// A queue and its handle; `start` starts the writer(s) on the
    /// receiving end.
    pub(crate) fn new(backend: Backend, start: impl FnOnce(Queue)) -> GroupCommit {
        let (queue, jobs) = mpsc::channel(QUEUE);
        start(Arc::new(Mutex::new(jobs)));
        GroupCommit {
            backend,
            queue,
            closed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Writer tasks over the pool, on the current tokio runtime:
    /// [`PG_BATCHES`] for PostgreSQL, one for SQLite (one writer at a time
    /// anyway).
    pub(crate) fn start_tasks(backend: Backend) -> GroupCommit {
        let tasks = match backend {
            Backend::Postgres(_) => PG_BATCHES,
            Backend::Sqlite { .. } => 1,
        };
        let b = backend.clone();
        GroupCommit::new(backend, move |queue| {
            for _ in 0..tasks {
                let committer = SqlxCommitter { backend: b.clone() };
                tokio::spawn(run(committer, queue.clone()));
            }
        })
    }

    /// Records `incoming` in the next batch; returns after that batch
    /// committed.
    pub(crate) async fn record(&self, incoming: Incoming) -> Result<Recorded, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return record_alone(&self.backend, &incoming).await;
        }
        let (reply, answer) = oneshot::channel();
        let job = Job { incoming, reply };
        if let Err(mpsc::error::SendError(Msg::Record(job))) =
            self.queue.send(Msg::Record(job)).await
        {
            // The writer is gone.
            return record_alone(&self.backend, &job.incoming).await;
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::unavailable(
                RECORD_CTX,
                "the store's writer stopped before the batch committed; not recorded, resend",
            ))
        })
    }

    /// Stops the writer after its current batch and waits until it is
    /// dropped (for a SQLite file, its connection closed). Later calls
    /// record on their own through the pool.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let (done, closed) = oneshot::channel();
        if self.queue.send(Msg::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_errors_keep_their_kind_and_message() {
        let unavailable = StoreError::unavailable("ctx", "disk gone");
        let copy = copy_error(&unavailable);
        assert!(copy.is_unavailable());
        assert_eq!(copy.to_string(), unavailable.to_string());
        let db = StoreError::sqlx("ctx", sqlx::Error::RowNotFound);
        let copy = copy_error(&db);
        assert!(!copy.is_unavailable());
        assert!(copy.to_string().contains(&db.to_string()), "{copy}");
    }
}
