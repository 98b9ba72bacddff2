//! The store's one error type. No driver type appears in it: driver errors
//! are kept as opaque boxed sources (their message and source chain stay
//! readable through [`std::error::Error::source`]).

/// An opaque error from the database driver or the migrator.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

use zeus_carrier_core::Carrier;
use zeus_carrier_core::merchant::OperationError;
use zeus_carrier_core::values::{Money, OrderNo, SendId};

/// What went wrong in the store.
///
/// [`StoreError::Unavailable`] is the one a CGI receiver must tell apart: the
/// storage could not be reached or could not take the write (connection, I/O,
/// locked, read-only, database gone). The receiver answers `503` and does not
/// say `successok`, so the gateway reports the failure and can resend
/// (INTERFACES §3, R-CG-1). [`StoreError::is_unavailable`] asks it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage cannot be reached or cannot take the write right now:
    /// connection refused or lost, I/O error, database locked or busy beyond
    /// the busy timeout, read-only, full, or the database (file) is gone.
    /// Nothing was recorded; the same request may succeed later.
    #[error("storage unavailable while {context}: {source}")]
    Unavailable {
        /// What the store was doing.
        context: &'static str,
        /// The driver's error (opaque).
        #[source]
        source: BoxError,
    },
    /// The database answered with an error that retrying will not fix (a bug
    /// or a schema problem).
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// The driver's error (opaque).
        #[source]
        source: BoxError,
    },
    /// The schema migrations failed on connect.
    #[error("running the {backend} schema migrations failed: {source}")]
    Migrate {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The migrator's error (opaque).
        #[source]
        source: BoxError,
    },
    /// The database URL names no backend this store supports.
    #[error(
        "unsupported database URL scheme {scheme:?}: expected sqlite://PATH, sqlite::memory: or postgres://…"
    )]
    UnsupportedUrl {
        /// The part before the first `:` (the rest is not shown: it may hold
        /// a password).
        scheme: String,
    },
    /// The database URL names a backend this build of the store was
    /// compiled without: turn on the cargo feature `feature` of
    /// `zeus-carrier-store`.
    #[error(
        "database URL is for {backend}, but zeus-carrier-store was built without its `{feature}` feature"
    )]
    BackendNotCompiled {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The cargo feature that compiles it in.
        feature: &'static str,
    },
    /// The database URL could not be parsed by the driver.
    #[error("invalid {backend} database URL: {source}")]
    InvalidUrl {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The driver's error (opaque).
        #[source]
        source: BoxError,
    },
    /// An operation named an order the store has never seen.
    #[error("order {order_no} is not in the store")]
    OrderNotFound {
        /// The order number asked for.
        order_no: OrderNo,
    },
    /// The core's model refused an operation report
    /// ([`zeus_carrier_core::merchant::on_operation`]): its events are not a
    /// path of the transition table from the planned status (SPEC §3,
    /// R-TR-1). Nothing was recorded.
    #[error("operation on order {order_no} refused: {source}")]
    InvalidOperation {
        /// The order.
        order_no: OrderNo,
        /// The model's reason.
        #[source]
        source: OperationError,
    },
    /// A checkout with this `sendid` was already saved with other values.
    #[error(
        "checkout sendid {sendid} is already saved with money {stored_money} carrier {}; refusing to overwrite it",
        stored_carrier.code()
    )]
    CheckoutConflict {
        /// The `sendid`.
        sendid: SendId,
        /// The stored amount.
        stored_money: Money,
        /// The stored carrier.
        stored_carrier: Carrier,
    },
    /// Another settle or cancel of this order holds its operation lock
    /// ([`crate::Store::lock_operation`]) and did not release it within the
    /// wait: try again later.
    #[error(
        "order {order_no}: another settle or cancel is in progress (waited {waited:?} for its operation lock)"
    )]
    OperationLocked {
        /// The order.
        order_no: OrderNo,
        /// How long the caller waited.
        waited: std::time::Duration,
    },
    /// A stored value could not be read back (a corrupt or foreign row).
    #[error("corrupt value in {table}.{column}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

impl StoreError {
    /// Whether this is [`StoreError::Unavailable`]: the receiver answers
    /// `503` and the gateway can resend.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// Wraps a driver error, deciding whether it means "unavailable".
    pub(crate) fn sqlx(context: &'static str, e: sqlx::Error) -> StoreError {
        if is_unavailable(&e) {
            StoreError::Unavailable {
                context,
                source: Box::new(e),
            }
        } else {
            StoreError::Database {
                context,
                source: Box::new(e),
            }
        }
    }

    /// An error of the SQLite notification writer's connection
    /// (`src/sqlite_writer.rs`), classified like [`StoreError::sqlx`]'s
    /// SQLite errors: the same result codes are "unavailable".
    #[cfg(feature = "sqlite")]
    pub(crate) fn rusqlite(context: &'static str, e: rusqlite::Error) -> StoreError {
        let unavailable = match &e {
            rusqlite::Error::SqliteFailure(f, _) => sqlite_code_unavailable(f.extended_code),
            _ => false,
        };
        if unavailable {
            StoreError::Unavailable {
                context,
                source: Box::new(e),
            }
        } else {
            StoreError::Database {
                context,
                source: Box::new(e),
            }
        }
    }

    /// An "unavailable" error that did not come from the driver.
    pub(crate) fn unavailable(context: &'static str, why: impl Into<String>) -> StoreError {
        StoreError::Unavailable {
            context,
            source: why.into().into(),
        }
    }

    pub(crate) fn corrupt(
        table: &'static str,
        column: &'static str,
        detail: impl Into<String>,
    ) -> StoreError {
        StoreError::Corrupt {
            table,
            column,
            detail: detail.into(),
        }
    }
}

/// Whether a driver error means the storage is unreachable or cannot take
/// writes (as opposed to a bug).
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            #[cfg(feature = "postgres")]
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                return pg_code_unavailable(pg.code());
            }
            #[cfg(feature = "sqlite")]
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                return db
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(sqlite_code_unavailable);
            }
            let _ = db;
            false
        }
        _ => false,
    }
}

/// SQLite result codes (primary code = low byte of the extended code) that
/// mean the database cannot take the write now.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
fn sqlite_code_unavailable(extended: i32) -> bool {
    const BUSY: i32 = 5;
    const LOCKED: i32 = 6;
    const NOMEM: i32 = 7;
    const READONLY: i32 = 8;
    const IOERR: i32 = 10;
    const CORRUPT: i32 = 11;
    const FULL: i32 = 13;
    const CANTOPEN: i32 = 14;
    const NOTADB: i32 = 26;
    matches!(
        extended & 0xff,
        BUSY | LOCKED | NOMEM | READONLY | IOERR | CORRUPT | FULL | CANTOPEN | NOTADB
    )
}

/// PostgreSQL SQLSTATEs that mean the server cannot take the write now:
/// connection exceptions (08), insufficient resources (53), operator
/// intervention such as shutdown (57), system errors (58), serialization
/// failure and deadlock (40001, 40P01), read-only transaction (25006),
/// database gone (3D000).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn pg_code_unavailable(code: &str) -> bool {
    let class = code.get(..2).unwrap_or("");
    matches!(class, "08" | "53" | "57" | "58")
        || matches!(code, "40001" | "40P01" | "25006" | "3D000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_locked_readonly_ioerr_are_unavailable() {
        assert!(sqlite_code_unavailable(5));
        assert!(sqlite_code_unavailable(6));
        assert!(sqlite_code_unavailable(8));
        // SQLITE_IOERR_WRITE = 10 | (3 << 8)
        assert!(sqlite_code_unavailable(10 | (3 << 8)));
        // SQLITE_CONSTRAINT_UNIQUE = 19 | (8 << 8) is a bug, not an outage.
        assert!(!sqlite_code_unavailable(19 | (8 << 8)));
        assert!(!sqlite_code_unavailable(1));
    }

    #[test]
    fn pg_connection_and_shutdown_codes_are_unavailable() {
        for c in ["08006", "57P01", "53300", "40001", "3D000", "25006"] {
            assert!(pg_code_unavailable(c), "{c}");
        }
        for c in ["23505", "42P01", "22001"] {
            assert!(!pg_code_unavailable(c), "{c}");
        }
    }

    #[test]
    fn pool_timeouts_are_unavailable_and_row_not_found_is_not() {
        assert!(StoreError::sqlx("x", sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!StoreError::sqlx("x", sqlx::Error::RowNotFound).is_unavailable());
    }

    #[test]
    fn driver_errors_keep_their_message_and_source_chain() {
        let e = StoreError::sqlx("reading an order", sqlx::Error::RowNotFound);
        assert!(matches!(e, StoreError::Database { .. }));
        let source = std::error::Error::source(&e).expect("source kept");
        assert_eq!(source.to_string(), sqlx::Error::RowNotFound.to_string());
        assert!(e.to_string().contains("reading an order"), "{e}");
    }
}
