//! `transitions`, `check-order` and `error-code`.

use crate::{stdout, zeus};
use zeus_carrier_core::error_code::CATALOG;
use zeus_carrier_core::transition::TRANSITIONS;

#[test]
fn r_tr_1_transitions_prints_every_format_from_the_table() {
    for format in ["markdown", "mermaid", "dot", "json"] {
        let out = zeus(&["transitions", "--format", format]);
        assert!(out.status.success(), "{format}");
        let text = stdout(&out);
        match format {
            "json" => {
                let rows: serde_json::Value = serde_json::from_str(&text).expect("json");
                let rows = rows.as_array().expect("array");
                assert_eq!(rows.len(), TRANSITIONS.len());
                assert_eq!(rows[0]["from"]["code"], "01");
                assert_eq!(rows[0]["from"]["label"], "受付中");
            }
            "mermaid" => assert!(text.starts_with("stateDiagram-v2")),
            "dot" => assert!(text.starts_with("digraph")),
            _ => assert_eq!(text.lines().count(), TRANSITIONS.len() + 2),
        }
    }
    let default = zeus(&["transitions"]);
    assert_eq!(
        stdout(&default),
        stdout(&zeus(&["transitions", "--format", "markdown"]))
    );
}

#[test]
fn r_ec_1_error_code_knows_all_137_codes() {
    assert_eq!(CATALOG.len(), 137);
    for entry in CATALOG {
        let out = zeus(&["error-code", entry.code]);
        assert_eq!(out.status.code(), Some(0), "{}", entry.code);
        let text = stdout(&out);
        assert!(text.contains(entry.meaning_ja), "{}: {text}", entry.code);
        assert!(text.contains(entry.class.wire_name()), "{}", entry.code);
    }
}

#[test]
fn r_ec_1_unknown_error_code_exits_1_with_advice() {
    let out = zeus(&["error-code", "019999999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("not in the gateway's error catalog"));
}

#[test]
fn r_ec_2_error_code_prints_retry_advice() {
    let out = zeus(&["error-code", "020020008"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("決済処理センター接続エラー"), "{text}");
    assert!(text.to_lowercase().contains("later"), "{text}");
}
