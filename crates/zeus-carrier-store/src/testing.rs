//! Helpers for test suites that need a real database (feature `testing`):
//! a throwaway PostgreSQL database per test in the cluster named by
//! `ZEUS_CARRIER_TEST_PG_URL` (`scripts/pg-test.sh start`), and the rule
//! that a PostgreSQL test without a cluster prints `SKIPPED: …` — or fails
//! when `ZEUS_CARRIER_REQUIRE_PG=1` (CI).

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection as _;

/// The variable naming the PostgreSQL test cluster's admin URL.
pub const PG_URL_VAR: &str = "ZEUS_CARRIER_TEST_PG_URL";
/// With `1`, a PostgreSQL test that cannot run fails instead of skipping.
pub const REQUIRE_PG_VAR: &str = "ZEUS_CARRIER_REQUIRE_PG";

/// Prints `SKIPPED: {test}: {why}` on stdout and stderr, or panics when
/// `ZEUS_CARRIER_REQUIRE_PG=1`.
pub fn skip_pg(test: &str, why: &str) {
    let line = format!("SKIPPED: {test}: {why}");
    assert!(
        std::env::var(REQUIRE_PG_VAR).as_deref() != Ok("1"),
        "{line}; {REQUIRE_PG_VAR}=1 makes this a failure"
    );
    let _ = writeln!(std::io::stderr(), "{line}");
    println!("{line}");
}

/// `postgres://u@h:p/db?x` with the database name replaced by `name`.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A database created for one test and dropped by [`TempPgDatabase::drop_database`].
#[derive(Debug)]
pub struct TempPgDatabase {
    /// The URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl TempPgDatabase {
    /// A fresh database in the cluster of `ZEUS_CARRIER_TEST_PG_URL`, named
    /// `{prefix}_{pid}_{n}`; `None` after [`skip_pg`] when the variable is
    /// unset.
    pub async fn from_env(test: &str, prefix: &str) -> Result<Option<Self>, sqlx::Error> {
        let Ok(admin_url) = std::env::var(PG_URL_VAR) else {
            skip_pg(
                test,
                &format!("PostgreSQL test needs {PG_URL_VAR} (scripts/pg-test.sh start)"),
            );
            return Ok(None);
        };
        Self::create(&admin_url, prefix).await.map(Some)
    }

    /// A fresh database in the cluster whose admin URL is `admin_url`.
    pub async fn create(admin_url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        let _ = admin.close().await;
        Ok(TempPgDatabase {
            url: replace_db_name(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// Drops the database, closing whatever is still connected to it.
    pub async fn drop_database(self) -> Result<(), sqlx::Error> {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await?;
        let _ = admin.close().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::replace_db_name;

    #[test]
    fn replace_db_name_keeps_authority_and_params() {
        assert_eq!(
            replace_db_name("postgres://postgres@127.0.0.1:54329/zeus_test", "x"),
            "postgres://postgres@127.0.0.1:54329/x"
        );
        assert_eq!(
            replace_db_name("postgres://u:p@h/zeus_test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(replace_db_name("postgres://h:1", "x"), "postgres://h:1/x");
    }
}
