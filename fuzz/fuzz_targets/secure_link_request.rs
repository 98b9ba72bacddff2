//! The settle/cancel request the sandbox's `secure.cgi` reads:
//! `Request::parse_form`; a readable request validates and re-encodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeus_carrier_core::secure_link::Request;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = Request::parse_form(data) {
        let _ = request.validate();
        assert!(Request::parse_form(request.to_form_body().as_bytes()).is_ok());
    }
});
