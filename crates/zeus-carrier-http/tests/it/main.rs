//! Integration tests of zeus-carrier-http: the Secure Link client against a
//! fake gateway, the CGI receiver, and the `serve` endpoints.

mod client;
mod lifecycle;
mod receiver;
mod serve;
mod support;
