//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database
//! in the cluster named by `ZEUS_CARRIER_TEST_PG_URL`.

use std::io::Write as _;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use zeus_carrier_store::testing::replace_db_name;

use chrono::DateTime;
use sqlx::Connection as _;
use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::Status;
use zeus_carrier_core::callback::CgiErrorCode;
use zeus_carrier_core::merchant::{Notice, UnknownSendId};
use zeus_carrier_core::values::{ClientIp, Money, OrderNo, SendId};
use zeus_carrier_store::{Recorded, Store, StoreError};

/// The variable naming the PostgreSQL test cluster.
pub(crate) const PG_URL_VAR: &str = "ZEUS_CARRIER_TEST_PG_URL";
/// When `1`, a missing PostgreSQL is a failure (CI sets it).
pub(crate) const REQUIRE_PG_VAR: &str = "ZEUS_CARRIER_REQUIRE_PG";

/// A database for one test.
pub(crate) struct TestDb {
    /// The URL to connect a [`Store`] to.
    pub(crate) url: String,
    kind: Kind,
}

enum Kind {
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

static SKIP_NOTICE: Once = Once::new();
static SEQ: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub(crate) async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("store.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            kind: Kind::Sqlite { _dir: dir, path },
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a notice) when
    /// `ZEUS_CARRIER_TEST_PG_URL` is unset. With `ZEUS_CARRIER_REQUIRE_PG=1`
    /// a missing variable fails the test.
    pub(crate) async fn postgres(case: &str) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(PG_URL_VAR) else {
            let line = format!(
                "SKIPPED: PostgreSQL tests need {PG_URL_VAR} (run scripts/pg-test.sh start)"
            );
            if std::env::var(REQUIRE_PG_VAR).as_deref() == Ok("1") {
                panic!("{line}; {REQUIRE_PG_VAR}=1 makes this a failure");
            }
            // Written to the process's stderr directly, past the test
            // harness's output capture, once per run.
            SKIP_NOTICE.call_once(|| {
                let _ = writeln!(std::io::stderr(), "{line}");
            });
            return None;
        };
        let mut short: String = case
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        short.truncate(30);
        let name = format!(
            "zt_{}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            short
        )
        .to_ascii_lowercase();
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {PG_URL_VAR}={admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        let url = replace_db_name(&admin_url, &name);
        Some(TestDb {
            url,
            kind: Kind::Postgres { admin_url, name },
        })
    }

    /// Connects a new [`Store`] (a new pool) to this database.
    pub(crate) async fn store(&self) -> Store {
        Store::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url))
    }

    /// Makes the database disappear under a running store: the SQLite file
    /// (and its WAL) is removed; the PostgreSQL database is dropped, its
    /// connections terminated.
    pub(crate) async fn destroy(&self) {
        match &self.kind {
            Kind::Sqlite { path, .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let p = format!("{}{suffix}", path.display());
                    let _ = std::fs::remove_file(&p);
                }
                assert!(!path.exists(), "{} still exists", path.display());
            }
            Kind::Postgres { admin_url, name } => drop_pg_database(admin_url, name).await,
        }
    }

    /// Drops a PostgreSQL test database (best effort).
    pub(crate) async fn cleanup(&self) {
        if let Kind::Postgres { admin_url, name } = &self.kind {
            drop_pg_database(admin_url, name).await;
        }
    }
}

async fn drop_pg_database(admin_url: &str, name: &str) {
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {admin_url}: {e}"));
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("DROP DATABASE {name}: {e}"));
    let _ = admin.close().await;
}

/// An instant from RFC 3339 text.
pub(crate) fn at(s: &str) -> JstDateTime {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("test instant {s:?}: {e}"))
}

/// A CGI call: the model's input and the raw query.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) notice: Notice,
    pub(crate) raw: Vec<u8>,
}

/// `Store::record_notification` for a [`Call`], with the policy the
/// cases use for calls without a saved checkout: apply them (the cases
/// that test checkouts save one first).
pub(crate) trait RecordCall {
    fn record(&self, c: Call) -> impl Future<Output = Result<Recorded, StoreError>> + Send;
}

/// The policy of [`RecordCall::record`].
pub(crate) const POLICY: UnknownSendId = UnknownSendId::Apply;

impl RecordCall for Store {
    fn record(&self, c: Call) -> impl Future<Output = Result<Recorded, StoreError>> + Send {
        self.record_notification(c.notice, c.raw, POLICY)
    }
}

/// An order number.
pub(crate) fn ono(s: &str) -> OrderNo {
    OrderNo::parse(s).unwrap_or_else(|e| panic!("order number {s:?}: {e}"))
}

/// A `sendid`.
pub(crate) fn sid(s: &str) -> SendId {
    SendId::parse(s).unwrap_or_else(|e| panic!("sendid {s:?}: {e}"))
}

/// An amount.
pub(crate) fn yen(n: u32) -> Money {
    Money::from_yen(n).unwrap_or_else(|e| panic!("{e}"))
}

/// A notification as the receiver would build it from
/// `order_no=…&status=…&money=…`, with carrier docomo and `sendid`
/// `sid-{order_no}`.
pub(crate) fn notification(order_no: &str, status: Status, money: u32, received: &str) -> Call {
    let raw = format!("order_no={order_no}&status={}&money={money}", status.code());
    let mut n = Notice::new(ono(order_no), status, at(received));
    n.money = Some(yen(money));
    n.carrier = Some(zeus_carrier_core::Carrier::Docomo);
    n.clientip = Some(ClientIp::parse("1234567890").expect("clientip"));
    n.sendid = Some(sid(&format!("sid-{order_no}")));
    n.error_code = Some(CgiErrorCode::new("-"));
    Call {
        notice: n,
        raw: raw.into_bytes(),
    }
}
