//! The floor rows (`--only bare,floor-sqlite,floor-pg`): the least that
//! any receiver storing a call durably before answering it must do, to
//! tell what a ratio to bare axum can reach on the machine at hand.
//!
//! A floor handler parses nothing and checks nothing: it hands the raw
//! query to a group-commit writer, which appends each call of a batch as
//! one row of a one-column table (`id`, `raw`) in one transaction and
//! answers `successok` to the batch's callers after the commit — durable
//! as the store's commits are (SQLite: WAL, `synchronous=FULL`;
//! PostgreSQL: the cluster's fsync and `synchronous_commit`). The store
//! does this and more per call: it also reads the order, runs the model
//! and writes the order's row, its history and the outbox. So a receiver
//! row cannot be faster than the floor row of its backend; the floor is
//! not a receiver and has no target.
//!
//! After the row, the table must hold one row per acknowledged call (the
//! row's check).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::PATH;

/// One call: its raw query, and where to say it is stored.
type Job = (Vec<u8>, oneshot::Sender<()>);

/// Most calls in one transaction (the store's SQLite writer takes up to
/// as many).
const MAX_BATCH: usize = 1024;

/// Batches in flight on PostgreSQL (the store's `PG_BATCHES`).
const PG_BATCHES: usize = 2;

/// A running floor writer: the router that feeds it, and how to count
/// what it stored.
pub(crate) struct Floor {
    pub(crate) router: Router,
    target: Target,
}

enum Target {
    Sqlite(PathBuf),
    Postgres(sqlx::PgPool, String),
}

async fn handler(
    State(jobs): State<mpsc::UnboundedSender<Job>>,
    RawQuery(q): RawQuery,
) -> (StatusCode, &'static str) {
    let (done, stored) = oneshot::channel();
    let raw = q.unwrap_or_default().into_bytes();
    if jobs.send((raw, done)).is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "writer gone");
    }
    match stored.await {
        Ok(()) => (StatusCode::OK, "successok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "not stored"),
    }
}

fn router(jobs: mpsc::UnboundedSender<Job>) -> Router {
    Router::new().route(PATH, get(handler)).with_state(jobs)
}

/// Opens the file (WAL, `synchronous=FULL`, as the store's writer).
fn open(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)",
    )?;
    Ok(conn)
}

/// Appends `batch` in one transaction and commits.
fn append(conn: &mut rusqlite::Connection, batch: &[Job]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut st = tx.prepare_cached("INSERT INTO calls (raw) VALUES (?1)")?;
        for (raw, _) in batch {
            st.execute([raw])?;
        }
    }
    tx.commit()
}

/// The SQLite floor on a new file `path`: one writer thread.
pub(crate) fn sqlite(path: PathBuf) -> Result<Floor, String> {
    let mut conn = open(&path).map_err(|e| format!("floor database: {e}"))?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    std::thread::Builder::new()
        .name("floor-sqlite-writer".to_owned())
        .spawn(move || {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.blocking_recv() {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                match append(&mut conn, &batch) {
                    Ok(()) => batch.drain(..).for_each(|(_, done)| {
                        let _ = done.send(());
                    }),
                    // Dropping the senders answers "not stored".
                    Err(e) => {
                        eprintln!("floor-sqlite: {e}");
                        batch.clear();
                    }
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(Floor {
        router: router(tx),
        target: Target::Sqlite(path),
    })
}

/// The PostgreSQL floor on `url`, in a table of its own (`table`, created
/// here, dropped by [`Floor::finish`]): [`PG_BATCHES`] writers, each batch
/// one `INSERT … SELECT unnest($1)` committed on its own.
pub(crate) async fn postgres(url: &str, table: &str) -> Result<Floor, String> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(PG_BATCHES as u32 + 1)
        .connect(url)
        .await
        .map_err(|e| format!("floor database: {e}"))?;
    sqlx::query(&format!(
        "CREATE TABLE {table} (id bigserial PRIMARY KEY, raw bytea NOT NULL)"
    ))
    .execute(&pool)
    .await
    .map_err(|e| format!("floor table: {e}"))?;
    let insert: Arc<str> =
        format!("INSERT INTO {table} (raw) SELECT * FROM unnest($1::bytea[])").into();
    let (tx, rx) = mpsc::unbounded_channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..PG_BATCHES {
        let (rx, pool, insert) = (rx.clone(), pool.clone(), insert.clone());
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            loop {
                if rx.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
                    return;
                }
                let raws: Vec<&[u8]> = batch.iter().map(|(raw, _)| raw.as_slice()).collect();
                match sqlx::query(&insert).bind(raws).execute(&pool).await {
                    Ok(_) => batch.drain(..).for_each(|(_, done)| {
                        let _ = done.send(());
                    }),
                    Err(e) => {
                        eprintln!("floor-pg: {e}");
                        batch.clear();
                    }
                }
            }
        });
    }
    Ok(Floor {
        router: router(tx),
        target: Target::Postgres(pool, table.to_owned()),
    })
}

impl Floor {
    /// How many calls the table holds (and, on PostgreSQL, drops it).
    pub(crate) async fn finish(&self) -> Result<u64, String> {
        match &self.target {
            Target::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                conn.query_row("SELECT count(*) FROM calls", [], |r| r.get::<_, i64>(0))
                    .map(|n| n.unsigned_abs())
                    .map_err(|e| e.to_string())
            }
            Target::Postgres(pool, table) => {
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(pool)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP TABLE {table}"))
                    .execute(pool)
                    .await
                    .map_err(|e| e.to_string())?;
                pool.close().await;
                Ok(n.unsigned_abs())
            }
        }
    }
}
