//! The operation lock ([`crate::Store::lock_operation`]): one settle or
//! cancel of an order at a time, across every process and pool sharing the
//! database, without blocking the recording of CGI calls.
//!
//! - **PostgreSQL**: a session-level advisory lock on the two-key
//!   `(2, hashtext(order_no))`. PostgreSQL keeps the one-key and two-key
//!   lock spaces apart, so it never meets the notifications' one-key
//!   transaction lock `hashtext(order_no)` (nor the checkout claim's
//!   `(1, hashtext(sendid))`). It is held by a connection of its own, kept
//!   in the guard: [`OperationLock::release`] unlocks and returns it to the
//!   pool; a guard dropped without release detaches and closes it, and the
//!   server frees the lock with the session (as it does when a process
//!   dies). No lock is left behind in a pooled connection.
//! - **SQLite**: a lease row in `operation_locks (order_no, holder,
//!   expires_ms)`, taken with one upsert that only replaces an expired
//!   lease; `holder` is a random token, so only its taker deletes it. The
//!   lease lasts `hold_for`: a holder that crashed blocks the order at most
//!   that long. A guard dropped without release deletes its row in the
//!   background (when a tokio runtime is running; else the lease expires).
//!
//! Waiting polls with a growing pause (10 ms doubling up to 250 ms) for at
//! most [`OPERATION_LOCK_WAIT`], then fails with
//! [`StoreError::OperationLocked`].

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zeus_carrier_core::values::OrderNo;

use crate::db::{Backend, Conn};
use crate::error::StoreError;

/// How long [`crate::Store::lock_operation`] waits for another holder
/// before [`StoreError::OperationLocked`].
pub const OPERATION_LOCK_WAIT: Duration = Duration::from_secs(30);

const CTX: &str = "taking an order's operation lock";
const RELEASE_CTX: &str = "releasing an order's operation lock";
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// A held operation lock of one order ([`crate::Store::lock_operation`]).
/// Release it with [`OperationLock::release`]; dropping it also frees the
/// lock (see the module docs).
#[must_use = "the lock is released when the guard is dropped"]
pub struct OperationLock {
    order_no: OrderNo,
    held: Held,
}

enum Held {
    /// The connection that holds the session lock; `None` once released.
    Postgres(Option<Conn>),
    /// The lease row's holder token; `None` once released.
    Sqlite {
        backend: Backend,
        holder: Option<String>,
    },
}

impl std::fmt::Debug for OperationLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationLock")
            .field("order_no", &self.order_no)
            .finish_non_exhaustive()
    }
}

impl OperationLock {
    /// The order whose operations this guard serializes.
    pub fn order_no(&self) -> &OrderNo {
        &self.order_no
    }

    /// Frees the lock now: PostgreSQL unlocks and returns the connection to
    /// the pool; SQLite deletes the lease row (only if it is still this
    /// guard's).
    pub async fn release(mut self) -> Result<(), StoreError> {
        match &mut self.held {
            Held::Postgres(conn) => {
                let Some(mut c) = conn.take() else {
                    return Ok(());
                };
                let unlocked = c
                    .exec()
                    .execute(
                        RELEASE_CTX,
                        "SELECT pg_advisory_unlock(2, hashtext($1))",
                        &[self.order_no.as_str().into()],
                    )
                    .await;
                if let Err(e) = unlocked {
                    // Closing the session frees the lock anyway.
                    close_detached(c);
                    return Err(e);
                }
                Ok(())
            }
            Held::Sqlite { backend, holder } => {
                let Some(h) = holder.take() else {
                    return Ok(());
                };
                delete_lease(backend, &self.order_no, &h).await
            }
        }
    }
}

impl Drop for OperationLock {
    fn drop(&mut self) {
        match &mut self.held {
            Held::Postgres(conn) => {
                if let Some(c) = conn.take() {
                    tracing::warn!(
                        order_no = %self.order_no,
                        "operation lock dropped without release; closing its connection"
                    );
                    close_detached(c);
                }
            }
            Held::Sqlite { backend, holder } => {
                if let Some(h) = holder.take() {
                    tracing::warn!(
                        order_no = %self.order_no,
                        "operation lock dropped without release; deleting its lease"
                    );
                    if let Ok(rt) = tokio::runtime::Handle::try_current() {
                        let backend = backend.clone();
                        let order_no = self.order_no.clone();
                        rt.spawn(async move {
                            if let Err(e) = delete_lease(&backend, &order_no, &h).await {
                                tracing::warn!(%order_no, error = %e, "lease not deleted; it expires");
                            }
                        });
                    }
                }
            }
        }
    }
}

/// Takes the connection out of the pool and closes it: the server ends the
/// session and frees its advisory locks.
fn close_detached(conn: Conn) {
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => drop(c.detach()),
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => drop(c.detach()),
    }
}

async fn delete_lease(
    backend: &Backend,
    order_no: &OrderNo,
    holder: &str,
) -> Result<(), StoreError> {
    let mut conn = backend.acquire(RELEASE_CTX).await?;
    conn.exec()
        .execute(
            RELEASE_CTX,
            "DELETE FROM operation_locks WHERE order_no = $1 AND holder = $2",
            &[order_no.as_str().into(), holder.into()],
        )
        .await?;
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A token no other guard holds: randomly seeded hash of the process,
/// the time and a counter.
fn holder_token() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_i64(now_ms());
    h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
    format!(
        "{:016x}-{}-{}",
        h.finish(),
        std::process::id(),
        SEQ.load(Ordering::Relaxed)
    )
}

/// One attempt; `Some` when taken.
async fn try_take(
    backend: &Backend,
    order_no: &OrderNo,
    hold_for: Duration,
) -> Result<Option<Held>, StoreError> {
    let mut conn = backend.acquire(CTX).await?;
    match backend {
        Backend::Postgres(_) => {
            let row = conn
                .exec()
                .fetch_one(
                    CTX,
                    "SELECT CAST(CASE WHEN pg_try_advisory_lock(2, hashtext($1)) THEN 1 ELSE 0 END \
                     AS BIGINT) AS got",
                    &[order_no.as_str().into()],
                )
                .await?;
            Ok((row.int("operation_locks", "got")? == 1).then(|| Held::Postgres(Some(conn))))
        }
        Backend::Sqlite { .. } => {
            let holder = holder_token();
            let now = now_ms();
            let hold = i64::try_from(hold_for.as_millis()).unwrap_or(i64::MAX);
            let n = conn
                .exec()
                .execute(
                    CTX,
                    "INSERT INTO operation_locks (order_no, holder, expires_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (order_no) DO UPDATE SET holder = excluded.holder, \
                     expires_ms = excluded.expires_ms WHERE operation_locks.expires_ms < $4",
                    &[
                        order_no.as_str().into(),
                        holder.clone().into(),
                        now.saturating_add(hold).into(),
                        now.into(),
                    ],
                )
                .await?;
            Ok((n == 1).then(|| Held::Sqlite {
                backend: backend.clone(),
                holder: Some(holder),
            }))
        }
    }
}

/// [`crate::Store::lock_operation`].
pub(crate) async fn lock_operation(
    backend: &Backend,
    order_no: &OrderNo,
    hold_for: Duration,
) -> Result<OperationLock, StoreError> {
    let start = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(held) = try_take(backend, order_no, hold_for).await? {
            return Ok(OperationLock {
                order_no: order_no.clone(),
                held,
            });
        }
        let waited = start.elapsed();
        if waited >= OPERATION_LOCK_WAIT {
            return Err(StoreError::OperationLocked {
                order_no: order_no.clone(),
                waited,
            });
        }
        tokio::time::sleep(pause.min(OPERATION_LOCK_WAIT - waited)).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
