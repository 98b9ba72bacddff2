//! Cases that only make sense for SQLite, and connection errors.

use sqlx::Connection as _;
use zeus_carrier_core::Status;
use zeus_carrier_core::merchant::EffectKind;
use zeus_carrier_store::{Store, StoreError};

use crate::harness::{RecordCall as _, TestDb, notification, ono};

#[tokio::test]
async fn sqlite_memory_database_works_for_tests() {
    let store = Store::connect("sqlite::memory:").await.expect("memory");
    assert_eq!(store.backend_name(), "sqlite");
    store.health().await.expect("healthy");
    store
        .record(notification(
            "M-1",
            Status::Authorized,
            1000,
            "2026-03-01T10:00:00+09:00",
        ))
        .await
        .expect("03");
    let r = store
        .record(notification(
            "M-1",
            Status::Authorized,
            1000,
            "2026-03-01T10:01:00+09:00",
        ))
        .await
        .expect("dup");
    assert_eq!(r.effect.kind(), EffectKind::Duplicate);
    assert_eq!(
        store
            .get_order(&ono("M-1"))
            .await
            .expect("get")
            .map(|o| o.counters().duplicates),
        Some(1)
    );
}

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    store.health().await.expect("healthy");
    let mut conn = sqlx::SqliteConnection::connect(&db.url)
        .await
        .expect("open");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn unsupported_url_scheme_is_a_typed_error_without_the_rest_of_the_url() {
    let e = Store::connect("mysql://user:secret@host/db")
        .await
        .expect_err("mysql is not supported");
    assert!(
        matches!(e, StoreError::UnsupportedUrl { ref scheme } if scheme.as_deref() == Some("mysql")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("secret"), "{e}");
    assert!(!e.is_unavailable());
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable() {
    // Port 9 on loopback: nothing listens there.
    let e = Store::connect("postgres://nobody@127.0.0.1:9/none")
        .await
        .expect_err("nothing listens");
    assert!(e.is_unavailable(), "{e:?}");
}

/// SQLite: a holder that vanished without releasing (a crash: no drop, no
/// delete) blocks the order only until its lease expires.
#[tokio::test]
async fn sqlite_operation_lease_of_a_crashed_holder_expires() {
    let db = TestDb::sqlite().await;
    let a = db.store().await;
    let b = db.store().await;
    let lock = a
        .lock_operation(&ono("LK-C"), std::time::Duration::from_millis(300))
        .await
        .expect("lock");
    std::mem::forget(lock);
    let start = std::time::Instant::now();
    let again = b
        .lock_operation(&ono("LK-C"), std::time::Duration::from_secs(60))
        .await
        .expect("lock after expiry");
    let waited = start.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(200),
        "taken before the lease expired: {waited:?}"
    );
    again.release().await.expect("release");
}

/// The permission bits of `path`.
#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// The database holds shoppers' data (e-mail addresses, amounts): its file
/// and its -wal and -shm files are created 0600 (SQLite's own default is
/// 0644 less the umask), before anything is written.
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_created_with_mode_0600() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("shop.db");
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    store
        .record(notification(
            "P-1",
            Status::Authorized,
            1000,
            "2026-03-01T10:00:00+09:00",
        ))
        .await
        .expect("recorded");
    for file in ["shop.db", "shop.db-wal", "shop.db-shm"] {
        assert_eq!(mode_of(&dir.path().join(file)), 0o600, "{file}");
    }
    store.close().await;
    // An existing file keeps its mode (the store only warns about it).
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640))
        .expect("chmod");
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("reopen");
    store.health().await.expect("healthy");
    assert_eq!(mode_of(&path), 0o640);
    store.close().await;
}

/// A link where the database file should be is not followed to create
/// the file elsewhere with SQLite's default mode.
#[cfg(unix)]
#[tokio::test]
async fn a_dangling_link_is_not_created_through() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let target = dir.path().join("elsewhere.db");
    let link = dir.path().join("shop.db");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let e = Store::connect(&format!("sqlite://{}", link.display()))
        .await
        .expect_err("nothing to open");
    assert!(e.is_unavailable(), "{e:?}");
    assert!(!target.exists(), "created through the link");
}

/// Neither a libpq key=value string nor a pasted password nor a URL the
/// driver refuses is repeated in the error.
#[tokio::test]
async fn database_settings_are_never_repeated_in_errors() {
    const PW: &str = "SECRETPW";
    for (url, what) in [
        (
            format!("host=127.0.0.1 port=1 dbname=zeus password={PW}"),
            "key=value",
        ),
        (PW.to_owned(), "not a database URL"),
        (format!("{PW}:{PW}"), "not a database URL"),
        (
            format!("postgres://u@127.0.0.1:1/db?sslmode={PW}"),
            "invalid postgres",
        ),
        (format!("sqlite://x.db?mode={PW}"), "invalid sqlite"),
        (
            format!("postgres://u:{PW}@127.0.0.1:notaport/db"),
            "invalid port number",
        ),
    ] {
        let e = Store::connect(&url).await.expect_err(&url);
        let text = format!("{e} {e:?}");
        assert!(!text.contains(PW), "{url}: {text}");
        assert!(text.contains(what), "{url}: {text}");
    }
}

/// `sqlite://:memory:` is an in-memory database like `sqlite::memory:`:
/// no file is created for it, and it takes writes.
#[tokio::test]
async fn sqlite_slash_memory_creates_no_file() {
    let store = Store::connect("sqlite://:memory:").await.expect("memory");
    store
        .record(notification(
            "M-2",
            Status::Authorized,
            1000,
            "2026-03-01T10:00:00+09:00",
        ))
        .await
        .expect("recorded");
    let junk: Vec<_> = std::fs::read_dir(".")
        .expect("working directory")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("sqlx-in-memory"))
        .map(|e| e.path())
        .collect();
    assert!(junk.is_empty(), "{junk:?}");
}
