//! Integration tests of the sandbox gateway (INTERFACES.md §2): most drive
//! the router with `tower::ServiceExt::oneshot`; the CGI ones run a tiny
//! merchant receiver on a loopback socket.

mod admin;
mod cgi;
mod clock;
mod common;
mod control;
mod cross_site;
mod decision;
mod fixture;
mod order_cgi;
mod run;
mod screen;
mod secure;
