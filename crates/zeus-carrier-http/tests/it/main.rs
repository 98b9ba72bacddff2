//! Integration tests of zeus-carrier-http: the Secure Link client against a
//! fake gateway. The CGI receiver's tests live in zeus-carrier-merchant.

mod client;
mod support;
