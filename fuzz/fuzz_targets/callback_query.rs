//! The CGI receiver's parser: `Callback::parse_query` in both charsets.
//! Total (no panic); a readable call re-encodes and reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeus_carrier_core::Charset;
use zeus_carrier_core::callback::Callback;

fuzz_target!(|data: &[u8]| {
    let Some((&first, raw)) = data.split_first() else {
        return;
    };
    let charset = if first & 1 == 0 {
        Charset::ShiftJis
    } else {
        Charset::Utf8
    };
    if let Ok(cb) = Callback::parse_query(raw, charset)
        && let Ok(query) = cb.to_query(charset)
    {
        assert_eq!(
            Callback::parse_query(query.as_bytes(), charset).as_ref(),
            Ok(&cb)
        );
    }
});
