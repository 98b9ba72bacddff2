//! The Secure Link client's reading of the gateway's answer:
//! `Response::parse` and `Outcome::from_http`. Total; success only when the
//! (percent-decoded) body says `Success_order` (R-RS-2).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeus_carrier_core::charset::percent_decode;
use zeus_carrier_core::secure_link::{Outcome, Response};

fn says_success(body: &[u8]) -> bool {
    let decoded: Vec<u8> = body
        .split(|b| *b == b'&')
        .flat_map(|seg| percent_decode(seg).unwrap_or_else(|_| seg.to_vec()))
        .collect();
    decoded.windows(13).any(|w| w == b"Success_order")
}

fuzz_target!(|data: &[u8]| {
    let _ = Response::parse(data);
    if let Outcome::Success { .. } = Outcome::from_http(200, data) {
        assert!(says_success(data), "success from {data:?}");
    }
    assert!(matches!(
        Outcome::from_http(500, data),
        Outcome::Unknown { .. }
    ));
});
