//! The merchant facade against the sandbox gateway over real sockets, on
//! SQLite and on PostgreSQL.

mod checkout;
mod operate;
mod outbox;
mod support;
