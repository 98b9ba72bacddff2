//! The store's behavioural suite: one set of cases (`cases.rs`), each run
//! against SQLite (a temporary file) and against PostgreSQL when
//! `ZEUS_CARRIER_TEST_PG_URL` is set (`scripts/pg-test.sh start`). Each
//! PostgreSQL case gets a fresh database of its own, so cases run in
//! parallel.

mod cases;
mod group_commit;
mod harness;
mod sqlite_only;

/// Generates, for each named case, `sqlite::<case>` and `postgres::<case>`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let db = crate::harness::TestDb::sqlite().await;
                    crate::cases::$case(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(db) = crate::harness::TestDb::postgres(stringify!($case)).await else {
                        return;
                    };
                    crate::cases::$case(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_both_backends!(
    r_cg_3_first_notification_creates_the_record,
    r_cg_3_duplicate_changes_nothing_but_is_counted,
    r_cg_4_forward_notification_advances,
    r_cg_4_late_calls_are_duplicate_or_stale_and_order_unchanged,
    flagged_notification_is_stored_but_not_applied,
    flagged_notification_for_an_unknown_order_is_a_deadline,
    a_second_order_with_a_used_sendid_is_flagged,
    r_cg_3_fifty_concurrent_identical_deliveries_make_one_transition,
    r_cg_3_fifty_concurrent_deliveries_from_two_stores_make_one_transition,
    outbox_gets_one_event_per_transition_with_sendid,
    data_survives_reopening,
    health_fails_when_the_database_is_gone,
    d7_list_deadlines_finds_closing_windows,
    d7_windows_count_from_the_first_notification_not_the_checkout,
    r_rs_3_reconciliation_mark_and_clear,
    r_rs_3_in_flight_operation_is_listed_until_its_outcome,
    r_tr_2_settle_operation_records_steps_and_fields,
    r_cg_3_operation_after_the_cgi_call_adds_no_transition,
    r_tr_2_operation_records_only_the_steps_not_overtaken,
    r_tr_1_operation_the_model_refuses_records_nothing,
    checkouts_save_find_and_conflict,
    json_matches_interfaces_section_3,
    operation_lock_serializes_two_stores,
    operation_lock_dropped_guard_frees_it,
);
