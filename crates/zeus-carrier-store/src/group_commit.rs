//! Group commit of CGI notifications over the sqlx pool: PostgreSQL, and
//! an in-memory SQLite database (a SQLite file has its own writer thread,
//! `src/sqlite_writer.rs`, which follows the same steps).
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every
//! commit waits for the disk (an fsync of the WAL); on PostgreSQL every
//! statement is a round trip to a server process and every commit a WAL
//! flush. Recording each notification in a transaction of its own
//! therefore costs one flush (and, on PostgreSQL, a dozen round trips)
//! per call. Instead, [`Store::record_notification`](crate::Store::record_notification)
//! hands its notification to the store's writer tasks (one for SQLite,
//! [`PG_BATCHES`] for PostgreSQL, taking batches from one queue in turn),
//! each of which:
//!
//! 1. waits for a notification, then takes every other one already queued
//!    (at most [`MAX_BATCH`]) — no timer: a batch is whatever arrived while
//!    the previous commit was on its way to the disk;
//! 2. opens one transaction holding every lock the batch needs
//!    ([`Backend::begin_batch`](crate::db::Backend::begin_batch)): SQLite's
//!    write lock (`BEGIN IMMEDIATE`, as a lone call would); on PostgreSQL,
//!    in one statement, the advisory lock of every order of the batch,
//!    then, in another, of every `sendid`, each set in ascending key order
//!    — every writer takes its locks in that one global order, so batches
//!    of this and other instances and lone calls never deadlock;
//! 3. records the notifications one after the other inside it, with the
//!    same code a lone call runs — so each one reads every write before it,
//!    of its own order and of the checkouts too, and the core's model
//!    ([`zeus_carrier_core::merchant::on_notification`]) decides as if they
//!    had come one at a time (per-order serialization: each transition is
//!    recorded once);
//! 4. commits, and only then answers every caller with its result
//!    (nothing is acknowledged before the commit);
//! 5. if one notification fails inside the batch, rolls the whole batch
//!    back and records each notification of it in a transaction of its own
//!    (the failing one gets its own error, the others are recorded); if
//!    the transaction cannot begin or commit, every caller of the batch gets
//!    that error (nothing of the batch was committed).
//!
//! Other writers (operations, checkouts, other processes) take the same
//! SQLite write lock, or the same PostgreSQL order lock, and are
//! serialized with the batches as before.
//!
//! A caller whose writer task is gone (its runtime shut down) records on
//! its own; a caller whose batch was lost with the task gets
//! [`StoreError::Unavailable`] — not recorded as far as it knows, so the
//! receiver answers 503 and the gateway resends (a resend of a call that
//! was in fact committed counts as a duplicate).

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::db::Backend;
use crate::error::StoreError;

use crate::model::Recorded;
use crate::store::{
    Incoming, RECORD_CTX, SendIdLock, log_recorded, record_in_tx, record_notification_alone,
};

/// The most notifications one transaction records.
pub(crate) const MAX_BATCH: usize = 128;
/// Notifications waiting for the writer before callers wait to queue.
const QUEUE: usize = 1024;

type Reply = oneshot::Sender<Result<Recorded, StoreError>>;

struct Job {
    incoming: Incoming,
    reply: Reply,
}

/// The handle of a store's writer task. Cheap to clone; the task ends when
/// the last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct GroupCommit {
    backend: Backend,
    queue: mpsc::Sender<Job>,
}

/// Batches in flight at once on PostgreSQL (each on its own pooled
/// connection, of 10; their locks keep them apart): a batch spends most of
/// its time in round trips to the server, which other batches can use.
/// Measured on the 2-core machine (docs/PERFORMANCE.md): 8 gave 2,279 and
/// 2,648 calls/s where 4 gave 1,948 and 2,259 in the same minutes.
const PG_BATCHES: usize = 8;

impl GroupCommit {
    /// Spawns the writer task(s) on the current tokio runtime: one for
    /// SQLite (one writer at a time anyway), [`PG_BATCHES`] for PostgreSQL,
    /// taking batches from one queue.
    pub(crate) fn start(backend: Backend) -> GroupCommit {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let tasks = match backend {
            Backend::Postgres(_) => PG_BATCHES,
            Backend::Sqlite { .. } => 1,
        };
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..tasks {
            tokio::spawn(writer(backend.clone(), jobs.clone()));
        }
        GroupCommit { backend, queue }
    }

    /// Records `notice` in the next batch; returns after that batch
    /// committed.
    pub(crate) async fn record(&self, incoming: Incoming) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { incoming, reply };
        if let Err(mpsc::error::SendError(job)) = self.queue.send(job).await {
            // The writer task is gone (its runtime shut down).
            return record_notification_alone(&self.backend, &job.incoming).await;
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::unavailable(
                RECORD_CTX,
                "the store's writer stopped before the batch committed; not recorded, resend",
            ))
        })
    }
}

async fn writer(backend: Backend, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            // One task takes a batch at a time; the others wait here.
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else {
                return;
            };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        commit_batch(&backend, &mut batch).await;
        batch.clear();
    }
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

async fn try_batch(backend: &Backend, batch: &[Job]) -> Outcome {
    let order_nos: Vec<&str> = batch
        .iter()
        .map(|j| j.incoming.notice.order_no.as_str())
        .collect();
    let sendids: Vec<&str> = batch
        .iter()
        .filter_map(|j| j.incoming.notice.sendid.as_ref().map(|s| s.as_str()))
        .collect();
    let mut tx = match backend.begin_batch(&order_nos, &sendids, RECORD_CTX).await {
        Ok(tx) => tx,
        Err(e) => return Outcome::Failed(e),
    };
    // PostgreSQL: the batch's begin took every sendid lock already.
    let sendid_lock = if matches!(backend, Backend::Postgres(_)) {
        SendIdLock::Held
    } else {
        SendIdLock::Take
    };
    let mut recorded = Vec::with_capacity(batch.len());
    for job in batch {
        match record_in_tx(&mut tx.exec(), &job.incoming, sendid_lock).await {
            Ok(r) => recorded.push(r),
            // Dropping the transaction rolls it back.
            Err(_) => return Outcome::OneFailed,
        }
    }
    match tx.commit(RECORD_CTX).await {
        Ok(()) => Outcome::Committed(recorded),
        Err(e) => Outcome::Failed(e),
    }
}

async fn commit_batch(backend: &Backend, batch: &mut Vec<Job>) {
    match try_batch(backend, batch).await {
        Outcome::Committed(recorded) => {
            tracing::debug!(batch = batch.len(), "group commit");
            for (job, r) in batch.drain(..).zip(recorded) {
                log_recorded(&job.incoming.notice, &r);
                // A caller that went away was still recorded: its resend
                // will count as a duplicate.
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
                let result = record_notification_alone(backend, &job.incoming).await;
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
