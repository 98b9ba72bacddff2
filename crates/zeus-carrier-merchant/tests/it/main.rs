//! The merchant facade against the sandbox gateway over real sockets, on
//! SQLite and on PostgreSQL.

mod cgi_support;
mod checkout;
mod deadline_pages;
mod hyper_adapter;
mod one_config;
mod operate;
mod operator;
mod outbox;
mod receiver;
mod security;
mod support;
