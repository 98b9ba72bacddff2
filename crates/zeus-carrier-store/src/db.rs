//! The thin layer over the two sqlx backends: connect, begin a per-order
//! serialized transaction, run a statement with a few value kinds, read
//! columns. Everything above it is written once for both backends; every
//! statement uses `$N` placeholders, which SQLite and PostgreSQL both take.
//!
//! Each backend is a cargo feature (`sqlite`, `postgres`). A backend built
//! without its feature keeps its [`Backend`] variant, holding an
//! uninhabited type, so the code above needs no `cfg`; connecting to its
//! URL is [`StoreError::BackendNotCompiled`].

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("zeus-carrier-store needs at least one backend feature: `sqlite` or `postgres`");

#[cfg(feature = "sqlite")]
use std::path::PathBuf;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::Postgres;
use sqlx::Row as _;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use sqlx::Transaction;
use sqlx::pool::PoolConnection;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};

use crate::error::StoreError;

/// A backend compiled out: no value of it exists.
#[cfg(not(all(feature = "sqlite", feature = "postgres")))]
#[derive(Debug, Clone)]
pub(crate) enum NotCompiled {}

#[cfg(not(feature = "sqlite"))]
type SqlitePool = NotCompiled;
#[cfg(not(feature = "sqlite"))]
type PathBuf = NotCompiled;
#[cfg(not(feature = "postgres"))]
type PgPool = NotCompiled;

/// How long a SQLite connection waits for another writer's lock before the
/// store reports [`StoreError::Unavailable`].
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per pool for a SQLite file (writers are serialized by SQLite
/// anyway; readers run in parallel under WAL).
#[cfg(feature = "sqlite")]
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// Connections per pool for PostgreSQL.
#[cfg(feature = "postgres")]
const PG_MAX_CONNECTIONS: u32 = 10;

/// The connected backend.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Sqlite {
        pool: SqlitePool,
        /// The database file; `None` for an in-memory database.
        file: Option<PathBuf>,
    },
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres(PgPool),
}

impl Backend {
    /// Connects to `url` and runs the backend's migrations. No error
    /// repeats `url` (it may hold a password): an unknown form gives its
    /// scheme at most ([`crate::error::unsupported_url`]), a URL the driver
    /// cannot parse a fixed reason ([`crate::error::url_reason`]).
    pub(crate) async fn connect(url: &str) -> Result<Backend, StoreError> {
        // `split_once`: a value without `:` (a bare password, a key=value
        // string) has no scheme, rather than being one.
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => Self::connect_sqlite(url).await,
            #[cfg(not(feature = "sqlite"))]
            "sqlite" => Err(StoreError::BackendNotCompiled {
                backend: "sqlite",
                feature: "sqlite",
            }),
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => Self::connect_postgres(url).await,
            #[cfg(not(feature = "postgres"))]
            "postgres" | "postgresql" => Err(StoreError::BackendNotCompiled {
                backend: "postgres",
                feature: "postgres",
            }),
            _ => Err(crate::error::unsupported_url(url)),
        }
    }

    #[cfg(feature = "sqlite")]
    async fn connect_sqlite(url: &str) -> Result<Backend, StoreError> {
        // `sqlite://:memory:` too: sqlx names it `file:sqlx-in-memory-N`,
        // which must not be created as a file.
        let in_memory = url.starts_with("sqlite::memory:")
            || url.starts_with("sqlite://:memory:")
            || url.contains("mode=memory");
        let mut options =
            SqliteConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl {
                backend: "sqlite",
                reason: crate::error::url_reason(&e),
            })?;
        options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            // Every commit reaches the disk before `successok` is answered.
            .synchronous(SqliteSynchronous::Full);
        let pool_options = if in_memory {
            // Each connection to `:memory:` would otherwise see its own
            // database: keep exactly one, forever.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            options = options.journal_mode(SqliteJournalMode::Wal);
            SqlitePoolOptions::new()
                .max_connections(SQLITE_MAX_CONNECTIONS)
                .before_acquire(|conn, _| Box::pin(std::future::ready(Ok(usable(conn)))))
                // SQLite opens a file it cannot write read-only, silently,
                // and such a connection stays read-only after the file is
                // writable again: prove each new connection can commit.
                .after_connect(|conn, _| Box::pin(write_probe(conn)))
        };
        let file = (!in_memory).then(|| options.get_filename().to_path_buf());
        // A read-only URL (`mode=ro`) creates nothing.
        if let Some(path) = file.as_ref().filter(|_| !url.contains("mode=ro")) {
            // The file holds shoppers' data: the store creates it 0600
            // itself, and SQLite never creates it (nor, later, re-creates
            // it after it was removed: `check_file`) with its default 0644.
            // SQLite gives the -wal and -shm files the main file's mode.
            create_private(path)?;
            options = options.create_if_missing(false);
        }
        let pool = pool_options
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::sqlx("opening the SQLite database", e))?;
        // An absolute path, so that the "file is gone" check does not depend
        // on the working directory.
        let file = file.map(|f| std::fs::canonicalize(&f).unwrap_or(f));
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                backend: "sqlite",
                source: Box::new(source),
            })?;
        Ok(Backend::Sqlite { pool, file })
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(url: &str) -> Result<Backend, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl {
            backend: "postgres",
            reason: crate::error::url_reason(&e),
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(PG_MAX_CONNECTIONS)
            .before_acquire(|conn, _| Box::pin(std::future::ready(Ok(usable(conn)))))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::sqlx("connecting to PostgreSQL", e))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                backend: "postgres",
                source: Box::new(source),
            })?;
        Ok(Backend::Postgres(pool))
    }

    /// The backend's name, for logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// A SQLite database whose file was removed keeps working on the
    /// unlinked inode and loses everything at the next open: refuse to
    /// write to it.
    #[cfg_attr(not(feature = "sqlite"), allow(unused_variables))]
    fn check_file(&self, context: &'static str) -> Result<(), StoreError> {
        #[cfg(feature = "sqlite")]
        if let Backend::Sqlite {
            file: Some(path), ..
        } = self
        {
            if !path.exists() {
                return Err(StoreError::unavailable(
                    context,
                    format!("the SQLite database file {} is gone", path.display()),
                ));
            }
        }
        Ok(())
    }

    /// Begins a transaction that holds the write lock for `order_no` until
    /// it ends: SQLite takes the database's write lock at once
    /// (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory
    /// lock on the order number, which every writer of that order takes
    /// first, across pools and processes.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) async fn begin_locked(
        &self,
        order_no: &str,
        context: &'static str,
    ) -> Result<Tx, StoreError> {
        self.check_file(context)?;
        match self {
            #[cfg(not(feature = "sqlite"))]
            Backend::Sqlite { pool, .. } => match *pool {},
            #[cfg(feature = "sqlite")]
            Backend::Sqlite { pool, .. } => {
                let tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(|e| StoreError::sqlx(context, e))?;
                // Checked again under the lock: the file may have gone while
                // we waited for it.
                self.check_file(context)?;
                Ok(Tx::Sqlite(tx))
            }
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres(pool) => match *pool {},
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let mut tx = pool
                    .begin()
                    .await
                    .map_err(|e| StoreError::sqlx(context, e))?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(order_no)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::sqlx(context, e))?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// Begins the transaction of a batch of CGI notifications
    /// (`src/group_commit.rs`) holding every lock its calls need. SQLite:
    /// the database's write lock, as [`Backend::begin_locked`]. PostgreSQL:
    /// the advisory lock of every order number, then of every `sendid`,
    /// each set in ascending key order (one statement each). Every other
    /// writer takes at most one order lock and then at most one `sendid`
    /// lock, so all of them take locks in one global order (order locks
    /// before `sendid` locks, keys ascending) and no two transactions —
    /// batches, lone calls, other instances sharing the database — can
    /// wait for each other in a cycle.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) async fn begin_batch(
        &self,
        order_nos: &[&str],
        sendids: &[&str],
        context: &'static str,
    ) -> Result<Tx, StoreError> {
        match self {
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {
                let mut tx = self.begin_unlocked(context).await?;
                #[allow(irrefutable_let_patterns)] // only PostgreSQL compiled in
                if let Tx::Postgres(t) = &mut tx {
                    // One statement: every order's lock, then every
                    // `sendid`'s, each set ascending; the subquery fixes
                    // the order the locks are taken in.
                    sqlx::query(
                        "SELECT CASE WHEN c = 0 THEN pg_advisory_xact_lock(k) \
                         ELSE pg_advisory_xact_lock(1, k::int4) END \
                         FROM (SELECT 0 AS c, k FROM (SELECT DISTINCT hashtext(o)::bigint AS k \
                         FROM unnest($1::text[]) AS o) AS a \
                         UNION ALL SELECT 1 AS c, k FROM (SELECT DISTINCT hashtext(o)::bigint AS k \
                         FROM unnest($2::text[]) AS o) AS b ORDER BY c, k) AS s",
                    )
                    .bind(order_nos)
                    .bind(sendids)
                    .execute(&mut **t)
                    .await
                    .map_err(|e| StoreError::sqlx(context, e))?;
                }
                Ok(tx)
            }
            _ => self.begin_locked("", context).await,
        }
    }

    /// A PostgreSQL transaction without any lock yet.
    #[cfg(feature = "postgres")]
    async fn begin_unlocked(&self, context: &'static str) -> Result<Tx, StoreError> {
        match self {
            Backend::Postgres(pool) => pool
                .begin()
                .await
                .map(Tx::Postgres)
                .map_err(|e| StoreError::sqlx(context, e)),
            Backend::Sqlite { .. } => self.begin_locked("", context).await,
        }
    }

    /// A pooled connection for reads and single-statement writes.
    pub(crate) async fn acquire(&self, context: &'static str) -> Result<Conn, StoreError> {
        match self {
            #[cfg(not(feature = "sqlite"))]
            Backend::Sqlite { pool, .. } => match *pool {},
            #[cfg(feature = "sqlite")]
            Backend::Sqlite { pool, .. } => pool
                .acquire()
                .await
                .map(Conn::Sqlite)
                .map_err(|e| StoreError::sqlx(context, e)),
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres(pool) => match *pool {},
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool
                .acquire()
                .await
                .map(Conn::Postgres)
                .map_err(|e| StoreError::sqlx(context, e)),
        }
    }

    /// Whether the storage answers and can take writes.
    pub(crate) async fn health(&self) -> Result<(), StoreError> {
        const CONTEXT: &str = "checking storage health";
        self.check_file(CONTEXT)?;
        match self {
            #[cfg(not(feature = "sqlite"))]
            Backend::Sqlite { pool, .. } => match *pool {},
            #[cfg(feature = "sqlite")]
            Backend::Sqlite { pool, .. } => {
                let mut conn = pool
                    .acquire()
                    .await
                    .map_err(|e| StoreError::sqlx(CONTEXT, e))?;
                sqlx::query("SELECT count(*) FROM orders")
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| StoreError::sqlx(CONTEXT, e))?;
                write_probe(&mut conn)
                    .await
                    .map_err(|e| StoreError::sqlx(CONTEXT, e))
            }
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres(pool) => match *pool {},
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                sqlx::query("SELECT count(*) FROM orders")
                    .execute(pool)
                    .await
                    .map_err(|e| StoreError::sqlx(CONTEXT, e))?;
                Ok(())
            }
        }
    }

    /// Closes every pooled connection (waits for those in use).
    pub(crate) async fn close(&self) {
        match self {
            #[cfg(not(feature = "sqlite"))]
            Backend::Sqlite { pool, .. } => match *pool {},
            #[cfg(feature = "sqlite")]
            Backend::Sqlite { pool, .. } => pool.close().await,
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres(pool) => match *pool {},
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// Creates the SQLite database file `path`, empty, with mode 0600 whatever
/// the umask (set on the new file before anything is written to it); a
/// file already there is left as it is, with a warning when group or
/// others may read or write it. Anything at the path — a dangling symbolic
/// link included — counts as there: nothing is created through a link.
#[cfg(feature = "sqlite")]
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    const CONTEXT: &str = "creating the SQLite database file";
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let unavailable = |e: std::io::Error| StoreError::Unavailable {
        context: CONTEXT,
        source: Box::new(e),
    };
    match options.open(path) {
        Ok(file) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(unavailable)?;
            }
            file.sync_all().map_err(unavailable)?;
            tracing::info!(path = %path.display(), "created the SQLite database file (mode 0600)");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            if let Ok(meta) = std::fs::metadata(path) {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = meta.permissions().mode() & 0o7777;
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format_args!("{mode:04o}"),
                        "the SQLite database file is open to group or others: chmod 600 it (and its -wal and -shm files)"
                    );
                }
            }
            Ok(())
        }
        Err(e) => Err(unavailable(e)),
    }
}

/// A committed write on a SQLite connection that changes no data: the
/// write lock and `user_version` set to the value it has (nothing uses it). Taking the lock alone is not enough: it lives in
/// the shared-memory file and succeeds on a database whose files cannot be
/// written (an immutable or failing WAL, a connection SQLite opened
/// read-only).
#[cfg(feature = "sqlite")]
async fn write_probe(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    use sqlx::Connection as _;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(&format!("PRAGMA user_version = {version}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Whether a pooled connection may be handed out: not when the driver
/// still counts a transaction open on it. That happens after a `COMMIT`
/// failed (an I/O error, a full or immutable file): SQLite has already
/// rolled the transaction back, so the rollback queued when the
/// transaction was dropped fails too, and the connection would refuse
/// every later `BEGIN` ("non-zero transaction depth") — a `500` instead of
/// a `503`, even after the storage recovered. The pool pings a connection
/// (running any queued rollback) before this check, so a connection whose
/// rollback went through is kept; one left inconsistent is closed and
/// replaced.
fn usable<C: sqlx::Connection>(conn: &mut C) -> bool {
    let ok = !conn.is_in_transaction();
    if !ok {
        tracing::warn!("closing a pooled connection left inside a failed transaction");
    }
    ok
}

/// A transaction on either backend. Dropped without [`Tx::commit`], it rolls
/// back.
pub(crate) enum Tx {
    #[cfg(feature = "sqlite")]
    Sqlite(Transaction<'static, Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Runs statements inside the transaction.
    pub(crate) fn exec(&mut self) -> Exec<'_> {
        match self {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(tx) => Exec::Sqlite(tx),
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => Exec::Postgres(tx),
        }
    }

    /// Commits. Only when this returns `Ok` is the write durable.
    pub(crate) async fn commit(self, context: &'static str) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(tx) => tx.commit().await,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(|e| StoreError::sqlx(context, e))
    }
}

/// A pooled connection on either backend.
pub(crate) enum Conn {
    #[cfg(feature = "sqlite")]
    Sqlite(PoolConnection<Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(PoolConnection<Postgres>),
}

impl Conn {
    /// Runs statements on the connection (each its own transaction).
    pub(crate) fn exec(&mut self) -> Exec<'_> {
        match self {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => Exec::Sqlite(c),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => Exec::Postgres(c),
        }
    }
}

/// Something statements can run on.
pub(crate) enum Exec<'a> {
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut sqlx::SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(&'a mut sqlx::PgConnection),
}

/// A value bound to a `$N` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bytes(Vec<u8>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        Value::OptText(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<Option<i64>> for Value {
    fn from(i: Option<i64>) -> Self {
        Value::OptInt(i)
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Bytes(b)
    }
}

/// Binds `args` in order, on either backend's query type.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                Value::Text(s) => q.bind(s.as_str()),
                Value::OptText(s) => q.bind(s.as_deref()),
                Value::Int(i) => q.bind(*i),
                Value::OptInt(i) => q.bind(*i),
                Value::Bytes(b) => q.bind(b.as_slice()),
            };
        }
        q
    }};
}

impl Exec<'_> {
    /// Runs a statement; returns the number of rows it touched.
    pub(crate) async fn execute(
        &mut self,
        context: &'static str,
        sql: &str,
        args: &[Value],
    ) -> Result<u64, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Exec::Sqlite(c) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected()),
            #[cfg(feature = "postgres")]
            Exec::Postgres(c) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(|e| StoreError::sqlx(context, e))
    }

    /// Runs a query that returns exactly one row.
    pub(crate) async fn fetch_one(
        &mut self,
        context: &'static str,
        sql: &str,
        args: &[Value],
    ) -> Result<Row, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Exec::Sqlite(c) => bind_all!(sqlx::query(sql), args)
                .fetch_one(&mut **c)
                .await
                .map(Row::Sqlite),
            #[cfg(feature = "postgres")]
            Exec::Postgres(c) => bind_all!(sqlx::query(sql), args)
                .fetch_one(&mut **c)
                .await
                .map(Row::Postgres),
        }
        .map_err(|e| StoreError::sqlx(context, e))
    }

    /// Runs a query and collects every row.
    pub(crate) async fn fetch_all(
        &mut self,
        context: &'static str,
        sql: &str,
        args: &[Value],
    ) -> Result<Vec<Row>, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Exec::Sqlite(c) => bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut **c)
                .await
                .map(|rows| rows.into_iter().map(Row::Sqlite).collect()),
            #[cfg(feature = "postgres")]
            Exec::Postgres(c) => bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut **c)
                .await
                .map(|rows| rows.into_iter().map(Row::Postgres).collect()),
        }
        .map_err(|e| StoreError::sqlx(context, e))
    }
}

/// A sqlx SQLite connection (or transaction), as the recording script's
/// [`Statements`]: one statement per row.
#[cfg(feature = "sqlite")]
pub(crate) struct SqlxSqlite<'a> {
    pub(crate) conn: &'a mut sqlx::SqliteConnection,
    pub(crate) ctx: &'static str,
}

/// A sqlx PostgreSQL connection, as [`Query`](crate::script::Query) (the
/// reads that go row by row on every backend: the deadline pages).
#[cfg(feature = "postgres")]
pub(crate) struct SqlxPg<'a> {
    pub(crate) conn: &'a mut sqlx::PgConnection,
    pub(crate) ctx: &'static str,
}

/// [`Query`](crate::script::Query) on a sqlx connection wrapper whose rows
/// are `Row::$row`.
macro_rules! sqlx_query {
    ($wrapper:ident, $row:ident) => {
        impl crate::script::Query for $wrapper<'_> {
            async fn query<T>(
                &mut self,
                sql: &str,
                args: &[Value],
                mut read: impl FnMut(&dyn crate::rows::Columns) -> Result<T, StoreError>,
            ) -> Result<Vec<T>, StoreError> {
                let rows = bind_all!(sqlx::query(sql), args)
                    .fetch_all(&mut *self.conn)
                    .await
                    .map_err(|e| StoreError::sqlx(self.ctx, e))?;
                rows.into_iter().map(|r| read(&Row::$row(r))).collect()
            }
        }
    };
}
#[cfg(feature = "sqlite")]
sqlx_query!(SqlxSqlite, Sqlite);
#[cfg(feature = "postgres")]
sqlx_query!(SqlxPg, Postgres);

#[cfg(feature = "sqlite")]
impl crate::script::Statements for SqlxSqlite<'_> {
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<(), StoreError> {
        bind_all!(sqlx::query(sql), args)
            .execute(&mut *self.conn)
            .await
            .map(drop)
            .map_err(|e| StoreError::sqlx(self.ctx, e))
    }

    async fn insert(&mut self, sql: &str, args: &[Value]) -> Result<i64, StoreError> {
        bind_all!(sqlx::query(sql), args)
            .execute(&mut *self.conn)
            .await
            .map(|r| r.last_insert_rowid())
            .map_err(|e| StoreError::sqlx(self.ctx, e))
    }
}

/// Runs `$body` with `$b` bound to the recording script's
/// [`Batch`](crate::script::Batch) of `$exec`'s backend: the one place
/// that chooses a backend's implementation.
macro_rules! with_batch {
    ($exec:expr, $ctx:expr, |$b:ident| $body:expr) => {
        match $exec {
            #[cfg(feature = "sqlite")]
            $crate::db::Exec::Sqlite(conn) => {
                let mut $b = $crate::db::SqlxSqlite { conn, ctx: $ctx };
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::db::Exec::Postgres(conn) => {
                let mut $b = $crate::pg::PgBatch::new(conn, $ctx);
                $body
            }
        }
    };
}
pub(crate) use with_batch;

/// A result row of either backend.
pub(crate) enum Row {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(PgRow),
}

/// Reads a column of either backend's row as `$ty`.
macro_rules! get {
    ($row:expr, $col:expr, $ty:ty) => {
        match $row {
            #[cfg(feature = "sqlite")]
            Row::Sqlite(r) => r.try_get::<$ty, _>($col),
            #[cfg(feature = "postgres")]
            Row::Postgres(r) => r.try_get::<$ty, _>($col),
        }
    };
}

impl Row {
    fn col_err(&self, table: &'static str, col: &'static str, e: sqlx::Error) -> StoreError {
        StoreError::corrupt(table, col, e.to_string())
    }

    /// A non-null text column.
    pub(crate) fn text(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<String, StoreError> {
        get!(self, col, String).map_err(|e| self.col_err(table, col, e))
    }

    /// A nullable text column.
    pub(crate) fn opt_text(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Option<String>, StoreError> {
        get!(self, col, Option<String>).map_err(|e| self.col_err(table, col, e))
    }

    /// A non-null integer column.
    pub(crate) fn int(&self, table: &'static str, col: &'static str) -> Result<i64, StoreError> {
        get!(self, col, i64).map_err(|e| self.col_err(table, col, e))
    }

    /// A nullable integer column.
    pub(crate) fn opt_int(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Option<i64>, StoreError> {
        get!(self, col, Option<i64>).map_err(|e| self.col_err(table, col, e))
    }

    /// A non-null bytes column.
    pub(crate) fn bytes(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Vec<u8>, StoreError> {
        get!(self, col, Vec<u8>).map_err(|e| self.col_err(table, col, e))
    }
}
