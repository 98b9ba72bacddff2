//! The exported strategies produce what they promise (feature `proptest`).
#![cfg(feature = "proptest")]

use proptest::prelude::*;
use zeus_carrier_core::Charset;
use zeus_carrier_core::callback::Callback;
use zeus_carrier_core::secure_link::Response;
use zeus_carrier_core::strategies;
use zeus_carrier_core::transition::next_status;

proptest! {
    /// Property: generated orders are consistent with the transition table:
    /// the history starts at 01 and every step is a row of §3 (R-TR-1).
    #[test]
    fn r_tr_1_generated_orders_follow_the_table(order in strategies::order()) {
        prop_assert_eq!(order.history()[0].to.code(), "01");
        for w in order.history().windows(2) {
            let step = &w[1];
            prop_assert_eq!(step.from, Some(w[0].to));
            let zeus_carrier_core::order::HistoryEvent::Event(kind) = step.event else {
                return Err(TestCaseError::fail("only the first entry is the acceptance"));
            };
            prop_assert_eq!(next_status(w[0].to, kind), Ok(step.to));
        }
        prop_assert_eq!(order.history().last().map(|h| h.to), Some(order.status()));
    }

    /// Property: valid order requests validate in both charsets (R-LP-1, D-3).
    #[test]
    fn r_lp_1_generated_valid_requests_validate(req in strategies::valid_order_request()) {
        prop_assert!(req.validate(Charset::ShiftJis).is_ok(), "{:?}", req.validate(Charset::ShiftJis).err());
        prop_assert!(req.validate(Charset::Utf8).is_ok());
    }

    /// Property: generated callback queries parse back to the callback (R-CG).
    #[test]
    fn r_cg_generated_callbacks_round_trip(cb in strategies::callback()) {
        for cs in [Charset::ShiftJis, Charset::Utf8] {
            if let Ok(q) = cb.to_query(cs) {
                let back = Callback::parse_query(q.as_bytes(), cs);
                prop_assert_eq!(back.as_ref().ok(), Some(&cb), "{:?}", back);
            }
        }
    }

    /// Property: generated response bodies, in any parameter order, parse
    /// to a response (R-RS-1).
    #[test]
    fn r_rs_1_generated_response_bodies_parse(r in strategies::response(), v in 0usize..6) {
        prop_assert_eq!(Response::parse(r.render(v).as_bytes()), Ok(r));
    }

    /// Property: arbitrary order requests never make validation panic.
    #[test]
    fn r_lp_1_validation_is_total_on_arbitrary_requests(req in strategies::order_request()) {
        let _ = req.validate(Charset::ShiftJis);
        let _ = req.validate(Charset::Utf8);
    }
}
