//! The merchant facade against the sandbox gateway over real sockets, on
//! SQLite and on PostgreSQL.

mod cgi_support;
mod checkout;
mod deadline_pages;
mod operate;
mod outbox;
mod receiver;
mod support;
