//! The store's behavioural suite: one set of cases (`cases.rs`), each run
//! against SQLite (a temporary file) and against PostgreSQL when
//! `ZEUS_CARRIER_TEST_PG_URL` is set (`scripts/pg-test.sh start`). Each
//! PostgreSQL case gets a fresh database of its own, so cases run in
//! parallel.

mod cases;
mod group_commit;
mod harness;
mod migrations;
mod sqlite_only;

/// Generates, for each named case, `sqlite::<case>` and `postgres::<case>`.
macro_rules! on_both_backends {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let db = crate::harness::TestDb::sqlite().await;
                    crate::$module::$case(&db).await;
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
                    crate::$module::$case(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_both_backends!(
    cases::notification_and_record_read_back_as_recorded,
    cases::recorded_decisions_equal_the_models_fold,
    cases::flagged_notification_is_stored_but_not_applied,
    cases::flagged_notification_for_an_unknown_order_is_a_deadline,
    cases::a_second_order_with_a_used_sendid_is_flagged,
    cases::concurrent_identical_deliveries_are_recorded_once,
    cases::concurrent_deliveries_through_two_stores_are_recorded_once,
    cases::outbox_gets_one_event_per_transition_with_sendid,
    cases::data_survives_reopening,
    cases::health_fails_when_the_database_is_gone,
    cases::deadlines_are_the_stored_records_own,
    cases::reconciliation_mark_round_trips,
    cases::in_flight_mark_round_trips_until_the_outcome,
    cases::operations_persist_the_models_decision,
    cases::refused_operation_records_nothing,
    cases::deadline_pages_concatenate_to_the_whole_list,
    cases::checkouts_save_find_and_conflict,
    cases::operation_lock_serializes_two_stores,
    cases::operation_lock_dropped_guard_frees_it,
    migrations::migrates_from_the_initial_schema,
    migrations::migrates_from_the_merchant_model_schema,
    migrations::migrates_from_the_outbox_money_schema,
);
