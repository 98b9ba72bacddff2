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
        matches!(e, StoreError::UnsupportedUrl { ref scheme } if scheme == "mysql"),
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
