//! The sandbox's control JSON: `POST /_sandbox/clock` and
//! `POST /_sandbox/orders/{no}/carrier-outcome` bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeus_carrier_sandbox::control::{ClockChange, OutcomeChange};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ClockChange::parse(data) {
        assert!(e.0.starts_with("clock: "));
    }
    if let Err(e) = OutcomeChange::parse(data) {
        assert!(e.0.starts_with("carrier-outcome: "));
    }
});
