//! Integration tests of zeus-carrier-http: the Secure Link client against a
//! fake gateway and the CGI receiver (through its axum adapter and through
//! `Receiver::receive` directly). The reference service's tests live in
//! zeus-carrier-serve.

mod client;
mod receiver;
mod support;
