//! A test database: a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database in the cluster `ZEUS_CARRIER_TEST_PG_URL` names.

use zeus_carrier_store::Store;
use zeus_carrier_store::testing::TempPgDatabase;

/// A test database, removed when dropped (SQLite) or at
/// [`TestDb::cleanup`] (PostgreSQL).
pub struct TestDb {
    /// The store URL.
    pub url: String,
    /// The SQLite file's directory (`None` on PostgreSQL).
    pub dir: Option<tempfile::TempDir>,
    pg: Option<TempPgDatabase>,
}

impl TestDb {
    /// A fresh SQLite file, `merchant.db` in a temporary directory.
    ///
    /// # Panics
    /// If no temporary directory can be made.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("merchant.db").display());
        TestDb {
            url,
            dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database for `test`; `None` with a SKIPPED line
    /// when the variable is unset, a failure when
    /// `ZEUS_CARRIER_REQUIRE_PG=1`.
    ///
    /// # Panics
    /// If the cluster is named but the database cannot be created.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let pg = TempPgDatabase::from_env(test, "zh")
            .await
            .expect("create a test database in the PostgreSQL test cluster")?;
        Some(TestDb {
            url: pg.url.clone(),
            dir: None,
            pg: Some(pg),
        })
    }

    /// A new store (a new pool) on this database.
    ///
    /// # Panics
    /// If the store cannot connect.
    pub async fn store(&self) -> Store {
        Store::connect(&self.url).await.expect("connect store")
    }

    /// Drops a PostgreSQL test database (best effort).
    pub async fn cleanup(self) {
        if let Some(pg) = self.pg {
            let _ = pg.drop_database().await;
        }
    }
}
