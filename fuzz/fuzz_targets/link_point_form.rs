//! The Link Point form the sandbox's `order.cgi` reads:
//! `OrderRequest::parse_urlencoded`, then validation; a valid form
//! re-encodes, reads back the same and renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeus_carrier_core::Charset;
use zeus_carrier_core::link_point::OrderRequest;

fuzz_target!(|data: &[u8]| {
    let Some((&first, raw)) = data.split_first() else {
        return;
    };
    let charset = if first & 1 == 0 {
        Charset::ShiftJis
    } else {
        Charset::Utf8
    };
    if let Ok(request) = OrderRequest::parse_urlencoded(raw, charset)
        && let Ok(valid) = request.validate(charset)
    {
        let body = valid.to_urlencoded();
        assert_eq!(
            OrderRequest::parse_urlencoded(body.as_bytes(), charset).as_ref(),
            Ok(valid.request())
        );
        let _ = valid.render_html_form("https://gateway.example.invalid/cgi-bin/carrier/order.cgi");
    }
});
