//! # zeus-carrier-store
//!
//! The merchant's durable record of ZEUS carrier-billing orders, on SQLite
//! or PostgreSQL (sqlx), behind one API: [`Store`].
//!
//! **What it records.** The CGI notifications the gateway sends (every one,
//! with its raw query and what it did), the merchant's record of each order
//! (status, amounts, counters, history), the merchant's own settle and
//! cancel operations, its checkouts (order requests, to check callbacks
//! against) and an outbox of accepted transitions for the embedding service.
//!
//! **Architecture invariant.** The store decides nothing about statuses by
//! itself: what a notification does is
//! [`zeus_carrier_core::notification::classify`]'s answer, which steps exist
//! is [`zeus_carrier_core::transition::TRANSITIONS`], and the settle and
//! cancel windows are [`zeus_carrier_core::time`]'s functions.
//!
//! ## Feature flags
//!
//! - `sqlite` (default): the embedded SQLite backend.
//! - `postgres`: the PostgreSQL backend.
//! - `testing`: helpers for suites that need a real PostgreSQL database
//!   (turns on `postgres`).
//!
//! Connecting to a URL whose backend was not compiled in is
//! [`StoreError::BackendNotCompiled`], naming the feature. [`StoreError`]
//! holds no driver type: driver errors are opaque [`BoxError`] sources.
//!
//! ## Guarantees
//!
//! - **Durable before `successok` (R-CG-1).** [`Store::record_notification`]
//!   returns `Ok` only after its transaction committed (SQLite in WAL mode
//!   with `synchronous=FULL`; PostgreSQL's commit). The receiver answers
//!   `successok` only then; on [`StoreError::Unavailable`] it answers `503`
//!   and the gateway resends. On SQLite, concurrent calls share one
//!   transaction and one disk flush (group commit, `src/group_commit.rs`):
//!   each call still returns only after the commit that holds it.
//! - **Idempotent and never backwards (R-CG-3, R-CG-4).** Writes to one order
//!   are serialized — SQLite takes the database's write lock at the start of
//!   the transaction (`BEGIN IMMEDIATE`); PostgreSQL takes
//!   `pg_advisory_xact_lock(hashtext(order_no))`, which holds across pools
//!   and processes — so the status read, the core's classification and the
//!   write happen as one step. The same notification delivered any number of
//!   times, concurrently or not, moves the order once; the rest count as
//!   duplicates. A late or out-of-order call is stored and counted as stale
//!   and moves nothing.
//! - **Flagged notifications are kept, not applied.** A notification the
//!   caller flags (an integrity check failed) is stored with the reason;
//!   the order does not move and is marked for reconciliation.
//! - **Outbox: exactly-once recording, at-least-once delivery.** Each
//!   accepted transition (created or advanced record; applied operation
//!   step) writes exactly one outbox event in the same transaction as the
//!   transition, so an event exists if and only if its transition was
//!   committed. [`Store::poll_outbox`] returns an event until
//!   [`Store::ack_outbox`] acknowledges it: a consumer sees each event at
//!   least once and deduplicates by [`OutboxEvent::id`].
//!
//! ## Schema
//!
//! `migrations/{sqlite,postgres}` (run on [`Store::connect`]): `orders`,
//! `order_history`, `notifications`, `outbox`, `checkouts`. The same
//! columns on both backends: instants as RFC 3339 text in Japan time (what
//! the JSON shows), with Unix-millisecond columns where the store compares
//! instants; statuses as their two-digit codes.
//!
//! ## Decisions (where the spec is silent)
//!
//! - The record is created by the first notification, in the reported
//!   status (the merchant learns the order number from the gateway).
//! - `notifications` counts the notifications that created or advanced the
//!   record; `duplicates` and `stale` the ones that did not; `flagged` the
//!   ones the caller flagged.
//! - The 50-day windows (D-7) count from the saved checkout's time when the
//!   first notification's `sendid` matches one (never later than the real
//!   acceptance), else from the first notification's receipt (a little
//!   later than the acceptance: the deadlines are then a little late).

mod codec;
mod db;
mod error;
mod group_commit;
mod model;
mod rows;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod windows;

pub use error::{BoxError, StoreError};
pub use model::{
    Checkout, Deadline, DeadlineKind, EffectKind, HistoryRow, MerchantOrder, NotificationInput,
    OperationInput, OperationRecorded, OperationSource, OutboxEvent, Recorded, RecordedEffect,
    SettleDateUpdate, Source, StoredNotification,
};
pub use store::Store;
