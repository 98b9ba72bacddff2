//! The writer of CGI notifications on a SQLite file: one thread with its
//! own synchronous rusqlite connection, running the one batch loop
//! ([`crate::group_commit::run`]) on a current-thread runtime, with this
//! file's [`Committer`] and the recording script over rusqlite
//! ([`Statements`]).
//!
//! sqlx runs every SQLite statement on the connection's worker thread and
//! hands the statement and its rows across channels: two thread wake-ups a
//! statement, ~11 per notification (docs/PERFORMANCE.md). Here the whole
//! batch runs on one plain thread with its own rusqlite connection to the
//! same file (the same bundled SQLite as sqlx: libsqlite3-sys 0.30), with
//! prepared statements cached on the connection. A notification costs two
//! hand-offs: the caller's job to the thread, the thread's answer back.
//! The script's futures never wait on this thread: each statement runs to
//! completion where it is awaited.
//!
//! Each batch's transaction takes the database's write lock
//! (`BEGIN IMMEDIATE`, as a lone call would) after checking that the
//! database file is still there (and again under the lock), and commits
//! with `synchronous=FULL`: the WAL is on the disk before any caller is
//! answered.
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
//! [`crate::Store::close`] stops the thread after its current batch and
//! closes its connection; later calls record through the (closed) sqlx
//! pool and fail as before.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::db::{Backend, SQLITE_BUSY_TIMEOUT, Value};
use crate::error::StoreError;
use crate::group_commit::{Committer, GroupCommit, run};
use crate::model::Recorded;
use crate::rows::Columns;
use crate::script::{Incoming, Query, RECORD_CTX, Statements, record_batch};

/// Starts the writer thread for the database file `path` (created and
/// migrated already). `backend` is the store's pool, for the calls made
/// when the thread is gone.
pub(crate) fn start(backend: Backend, path: PathBuf) -> Result<GroupCommit, StoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| {
            StoreError::unavailable("starting the SQLite writer", format!("runtime: {e}"))
        })?;
    let mut spawned = Ok(());
    let writer = GroupCommit::new(backend, |queue| {
        spawned = std::thread::Builder::new()
            .name("zeus-sqlite-writer".to_owned())
            .spawn(move || runtime.block_on(run(SqliteFile { path, conn: None }, queue)))
            .map(drop);
    });
    spawned.map_err(|e| {
        StoreError::unavailable("starting the SQLite writer", format!("spawn: {e}"))
    })?;
    Ok(writer)
}

/// The thread's state: the database file and its connection (opened on
/// the first batch, dropped after a failure that may have left it
/// unusable).
struct SqliteFile {
    path: PathBuf,
    conn: Option<Connection>,
}

impl Committer for SqliteFile {
    async fn transaction(
        &mut self,
        jobs: &[&Incoming],
    ) -> Result<Result<Vec<Recorded>, StoreError>, StoreError> {
        let result = self.try_transaction(jobs).await;
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
}

impl SqliteFile {
    async fn try_transaction(
        &mut self,
        jobs: &[&Incoming],
    ) -> Result<Result<Vec<Recorded>, StoreError>, StoreError> {
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
        match record_batch(&mut Rusqlite(&tx, CTX), jobs).await {
            Ok(recorded) => {
                tx.commit().map_err(|e| StoreError::rusqlite(CTX, e))?;
                Ok(Ok(recorded))
            }
            // Dropping the transaction rolls it back.
            Err(e) => Ok(Err(e)),
        }
    }
}

/// A page of deadlines read on a connection of its own, on a blocking
/// thread: one hand-off for the page instead of one per row (sqlx's
/// SQLite worker), in one read transaction.
pub(crate) async fn deadlines_page(
    path: PathBuf,
    run: impl FnOnce(&mut Rusqlite<'_>) -> Result<crate::DeadlinePage, StoreError> + Send + 'static,
) -> Result<crate::DeadlinePage, StoreError> {
    const CTX: &str = "listing deadlines";
    tokio::task::spawn_blocking(move || {
        check_file(&path)?;
        let mut conn = open(&path)?;
        let tx = conn
            .transaction()
            .map_err(|e| StoreError::rusqlite(CTX, e))?;
        run(&mut Rusqlite(&tx, CTX))
    })
    .await
    .map_err(|e| StoreError::unavailable(CTX, format!("reader thread: {e}")))?
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
    // 64 MiB of page cache (SQLite's default is 2 MiB): with a million
    // orders a batch's lookups and index inserts touch more pages than
    // that, and each miss is a read (docs/PERFORMANCE.md, growth).
    conn.pragma_update(None, "cache_size", -65_536)
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

/// A rusqlite transaction (the writer's, or a page of deadlines'), as
/// [`Statements`]: statements prepared once per connection. Errors name
/// `.1`.
pub(crate) struct Rusqlite<'a>(pub(crate) &'a Transaction<'a>, pub(crate) &'static str);

/// The names of the `$N` placeholders: SQLite numbers named parameters
/// in the order they first appear, so each value is bound by its name.
const PLACEHOLDERS: [&str; 24] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16", "$17", "$18", "$19", "$20", "$21", "$22", "$23", "$24",
];

/// Prepares `sql` (cached on the connection) and binds `args` to `$1`,
/// `$2`, … by name.
fn prepare<'c>(
    tx: &'c Transaction<'_>,
    sql: &str,
    args: &[Value],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut st = tx.prepare_cached(sql)?;
    if args.len() != st.parameter_count() || args.len() > PLACEHOLDERS.len() {
        return Err(rusqlite::Error::InvalidParameterCount(
            args.len(),
            st.parameter_count(),
        ));
    }
    for (name, arg) in PLACEHOLDERS.iter().zip(args) {
        let index = st
            .parameter_index(name)?
            .ok_or_else(|| rusqlite::Error::InvalidParameterName((*name).to_owned()))?;
        st.raw_bind_parameter(index, arg)?;
    }
    Ok(st)
}

impl Statements for Rusqlite<'_> {
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<(), StoreError> {
        prepare(self.0, sql, args)
            .and_then(|mut st| st.raw_execute())
            .map(drop)
            .map_err(|e| StoreError::rusqlite(self.1, e))
    }

    async fn insert(&mut self, sql: &str, args: &[Value]) -> Result<i64, StoreError> {
        self.execute(sql, args).await?;
        Ok(self.0.last_insert_rowid())
    }
}

impl Query for Rusqlite<'_> {
    async fn query<T>(
        &mut self,
        sql: &str,
        args: &[Value],
        mut read: impl FnMut(&dyn Columns) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut st = prepare(self.0, sql, args).map_err(|e| StoreError::rusqlite(self.1, e))?;
        let mut rows = st.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| StoreError::rusqlite(self.1, e))? {
            out.push(read(row)?);
        }
        Ok(out)
    }
}
