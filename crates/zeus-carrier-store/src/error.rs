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
    /// The database URL names no backend this store supports. Nothing of
    /// the value is shown but its scheme, and the scheme only when the
    /// value starts like a URL (`SCHEME://`, SCHEME being 1 to 16 letters,
    /// digits, `+`, `-` or `.`, starting with a letter): a password pasted
    /// by mistake is never repeated.
    #[error("{}", unsupported_url_message(scheme.as_deref()))]
    UnsupportedUrl {
        /// The URL's scheme, when the value starts like a URL.
        scheme: Option<String>,
    },
    /// The database setting is a libpq `key=value` connection string
    /// (`host=… dbname=… password=…`), which the store does not take; the
    /// message does not repeat it (it may hold a password).
    #[error(
        "the database setting looks like a libpq key=value connection string (host=… dbname=…), which is not supported (the value is not shown: it may hold a password): give a URL, postgres://USER@HOST:PORT/DBNAME, with the password in PGPASSWORD, ~/.pgpass or the URL"
    )]
    KeyValueDsn,
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
    /// The database URL could not be parsed by the driver. The driver's
    /// own message is not kept: it may quote a part of the URL (`unknown
    /// value "…" for ssl_mode`); `reason` is a fixed description.
    #[error("invalid {backend} database URL ({reason}; the URL is not shown)")]
    InvalidUrl {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What is wrong, in words that never quote the URL (e.g. `invalid
        /// port number`).
        reason: String,
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

/// The message of [`StoreError::UnsupportedUrl`].
fn unsupported_url_message(scheme: Option<&str>) -> String {
    const EXPECTED: &str = "expected sqlite://PATH, sqlite::memory: or postgres://…";
    match scheme {
        Some(scheme) => format!(
            "unsupported database URL scheme {scheme:?}: {EXPECTED} (the rest of the URL is not shown)"
        ),
        None => format!(
            "the database setting is not a database URL: {EXPECTED} (the value is not shown: it may hold a password)"
        ),
    }
}

/// The error for a database setting that names no supported backend:
/// [`StoreError::KeyValueDsn`] for a libpq `key=value` string, else
/// [`StoreError::UnsupportedUrl`] with the scheme when `url` starts like a
/// URL (`SCHEME://`).
pub(crate) fn unsupported_url(url: &str) -> StoreError {
    if looks_like_key_value_dsn(url) {
        return StoreError::KeyValueDsn;
    }
    let scheme = url.split_once("://").map(|(s, _)| s).filter(|s| {
        (1..=16).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    StoreError::UnsupportedUrl {
        scheme: scheme.map(str::to_owned),
    }
}

/// Whether `s` is shaped like a libpq `key=value` connection string: not a
/// `scheme:` URL, and its first word is `KEY=` with KEY made of letters,
/// digits and `_`.
pub(crate) fn looks_like_key_value_dsn(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or("");
    match first.split_once('=') {
        Some((key, _)) => {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// A description of why the driver could not parse a database URL, that
/// never quotes it: the URL parser's, a number's, an address's or UTF-8's
/// own fixed messages; anything else (messages such as `unknown value
/// "…" for ssl_mode` quote the URL) is described without the driver's
/// text.
pub(crate) fn url_reason(e: &sqlx::Error) -> String {
    if let sqlx::Error::Configuration(inner) = e {
        if let Some(p) = inner.downcast_ref::<url::ParseError>() {
            return p.to_string();
        }
        if inner.downcast_ref::<std::num::ParseIntError>().is_some() {
            return "a number in it is invalid".to_owned();
        }
        if inner.downcast_ref::<std::net::AddrParseError>().is_some() {
            return "an IP address in it is invalid".to_owned();
        }
        if inner.downcast_ref::<std::str::Utf8Error>().is_some() {
            return "a percent-encoded part is not UTF-8".to_owned();
        }
    }
    "the driver refused a parameter or its value".to_owned()
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

    const PW: &str = "SECRETPW";

    #[test]
    fn key_value_dsns_and_pasted_passwords_are_refused_without_the_value() {
        for dsn in [
            "host=db.internal port=5432 dbname=zeus user=merchant password=SECRETPW",
            "password=SECRETPW host=h",
            "  dbname=zeus password=SECRETPW",
            "host=/var/run/postgresql password=SECRETPW",
        ] {
            let e = unsupported_url(dsn);
            assert!(matches!(e, StoreError::KeyValueDsn), "{dsn}: {e:?}");
            let text = format!("{e} {e:?}");
            assert!(!text.contains(PW) && text.contains("key=value"), "{text}");
        }
        for (value, scheme) in [
            ("SECRETPW", None),
            ("SECRETPW:more", None),
            ("-SECRETPW", None),
            ("p@ss:SECRETPW//x", None),
            ("SECRETPW with spaces", None),
            ("mysql://u:SECRETPW@h/db", Some("mysql")),
            ("mysql+tcp://SECRETPW@h/db", Some("mysql+tcp")),
            ("SECRETPW-but-much-too-long-for-a-scheme://x", None),
        ] {
            let e = unsupported_url(value);
            assert!(
                matches!(&e, StoreError::UnsupportedUrl { scheme: s } if s.as_deref() == scheme),
                "{value}: {e:?}"
            );
            let text = format!("{e} {e:?}");
            assert!(!text.contains(PW), "{value}: {text}");
            assert!(text.contains("not shown"), "{text}");
        }
    }

    #[test]
    fn url_reasons_never_quote_the_driver_message() {
        let quoting =
            sqlx::Error::Configuration(format!("unknown value {PW:?} for `ssl_mode`").into());
        assert!(!url_reason(&quoting).contains(PW));
        let port = sqlx::Error::Configuration(Box::new(url::ParseError::InvalidPort));
        assert_eq!(url_reason(&port), "invalid port number");
        let e = StoreError::InvalidUrl {
            backend: "postgres",
            reason: url_reason(&quoting),
        };
        assert!(!format!("{e} {e:?}").contains(PW));
        assert!(std::error::Error::source(&e).is_none());
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
