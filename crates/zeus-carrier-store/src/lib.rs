//! # zeus-carrier-store
//!
//! The merchant's durable record of ZEUS carrier-billing orders, on SQLite
//! or PostgreSQL (sqlx), behind one API: [`Store`].
//!
//! **The store persists what the core's model decides and decides nothing
//! itself.** What a CGI notification does to an order is
//! [`zeus_carrier_core::merchant::on_notification`]'s answer (create,
//! advance, duplicate, stale, or flagged by the integrity check against the
//! saved checkout); what a settle or cancel outcome does is
//! [`zeus_carrier_core::merchant::on_operation`]'s; the windows and
//! deadlines are [`zeus_carrier_core::merchant::MerchantRecord::windows`]
//! and [`MerchantRecord::deadlines`](zeus_carrier_core::merchant::MerchantRecord::deadlines).
//! The store reads the record and the checkout, passes them to the model
//! inside a transaction that serializes the order, and writes back exactly
//! what the model returned.
//!
//! **What it persists.**
//! - every CGI notification (its raw query, its parameters, its effect and,
//!   when flagged, the flag's message);
//! - the merchant's record of each order: every field of the core's
//!   [`RecordParts`](zeus_carrier_core::merchant::RecordParts) (status,
//!   amounts, carrier, `clientip`/`sendid`/`sendpoint`, first seen, window
//!   start, settle date and time, reconciliation mark, notified statuses,
//!   pending withdrawal, operation in flight, counters), plus the window
//!   closing times as an index for [`Store::list_deadlines_page`];
//! - each accepted step ([`zeus_carrier_core::merchant::Step`]) as a
//!   history row (source `cgi`, `settle` or `cancel`) and one outbox event;
//! - the merchant's checkouts (order requests by `sendid`) and the order
//!   that used each (one checkout, one order);
//! - the operation locks' leases (SQLite).
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
//!   and the gateway resends. Concurrent calls share one transaction and
//!   one disk flush (group commit: `src/sqlite_writer.rs` for a SQLite
//!   file, `src/group_commit.rs` otherwise): each call still returns only
//!   after the commit that holds it.
//! - **Serialized per order (R-CG-3, R-CG-4).** Writes to one order are
//!   serialized — SQLite takes the database's write lock at the start of
//!   the transaction (`BEGIN IMMEDIATE`); PostgreSQL takes
//!   `pg_advisory_xact_lock(hashtext(order_no))`, which holds across pools
//!   and processes, and for a call with a `sendid` also
//!   `pg_advisory_xact_lock(1, hashtext(sendid))`, so that two orders
//!   cannot both claim one checkout — so the read, the model's decision
//!   and the write happen as one step. The same notification delivered any
//!   number of times, concurrently or not, moves the order once; the rest
//!   are duplicates.
//! - **Operation lock.** [`Store::lock_operation`] serializes the
//!   merchant's settles and cancels of one order across every instance
//!   sharing the database without blocking CGI recording (PostgreSQL: a
//!   session advisory lock held on a connection of the guard; SQLite: a
//!   lease row with a random holder token, bounded by `hold_for`). A
//!   caller that waited [`OPERATION_LOCK_WAIT`] gets
//!   [`StoreError::OperationLocked`].
//! - **In flight before sending.** [`Store::begin_operation`] stores the
//!   operation as in flight before it is sent;
//!   [`Store::record_operation`] clears it with the outcome. Until then
//!   [`Store::list_deadlines`] lists the order for reconciliation.
//! - **Outbox: at-least-once delivery; deduplicate by id.** Each accepted
//!   step writes one outbox event, carrying the order's `sendid`, in the
//!   same transaction as the step, so an event exists if and only if its
//!   step was committed. [`Store::poll_outbox`] returns an event until
//!   [`Store::ack_outbox`] acknowledges it: a consumer sees each event at
//!   least once and deduplicates by [`OutboxEvent::id`].
//!
//! ## Schema
//!
//! `migrations/{sqlite,postgres}` (run on [`Store::connect`]): `orders`,
//! `order_history`, `notifications`, `outbox`, `checkouts`,
//! `operation_locks`. The same columns on both backends: instants as
//! RFC 3339 text in Japan time (what the JSON shows), with Unix-millisecond
//! columns where the store compares instants; statuses as their two-digit
//! codes; the notified statuses as a bit set (bit `i` for the `i`-th status,
//! 01 is bit 0).

mod codec;
mod db;
mod deadlines;
mod error;
mod group_commit;
mod lock;
mod model;
#[cfg(feature = "postgres")]
mod pg;
#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod roundtrip;
mod rows;
mod script;
#[cfg(feature = "sqlite")]
mod sqlite_writer;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use deadlines::{
    DEFAULT_DEADLINE_PAGE, DeadlineCursor, DeadlinePage, InvalidCursor, MAX_DEADLINE_PAGE,
};
pub use error::{BoxError, StoreError};
pub use lock::{OPERATION_LOCK_WAIT, OperationLock};
pub use model::{
    HistoryRow, MerchantOrder, OperationRecorded, OutboxEvent, Recorded, Source, StoredNotification,
};
pub use store::{ReconciliationNote, Store, UnrecordedReview};
/// The core's deadline types, as [`Store::list_deadlines`] returns them.
pub use zeus_carrier_core::merchant::{Deadline, DeadlineKind};
