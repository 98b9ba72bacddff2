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
    /// A fresh SQLite file, `merchant.db` in `db/` in a temporary
    /// directory ([`TestDb::sqlite_dir`]: a directory of the database
    /// alone, which a test may remove or make read-only).
    ///
    /// # Panics
    /// If no temporary directory can be made.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("db")).expect("db directory");
        let url = format!(
            "sqlite://{}",
            dir.path().join("db").join("merchant.db").display()
        );
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
        TempPgDatabase::from_env(test, "zh")
            .await
            .expect("create a test database in the PostgreSQL test cluster")
            .map(TestDb::from_pg)
    }

    /// A fresh database in the cluster whose admin URL is `admin_url`.
    ///
    /// # Panics
    /// If the database cannot be created.
    pub async fn postgres_in(admin_url: &str) -> TestDb {
        let pg = TempPgDatabase::create(admin_url, "zh")
            .await
            .expect("create a test database");
        TestDb::from_pg(pg)
    }

    fn from_pg(pg: TempPgDatabase) -> TestDb {
        TestDb {
            url: pg.url.clone(),
            dir: None,
            pg: Some(pg),
        }
    }

    /// The SQLite database's own directory (`db/`).
    ///
    /// # Panics
    /// On a PostgreSQL test database.
    pub fn sqlite_dir(&self) -> std::path::PathBuf {
        self.dir
            .as_ref()
            .expect("a SQLite test database")
            .path()
            .join("db")
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
