//! `transitions`, `check-order` and `error-code`.

use crate::{stdout, zeus};
use strum::IntoEnumIterator;
use zeus_carrier_core::Status;
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
            _ => {
                // The document of docs/TRANSITIONS.md, byte for byte.
                let doc = std::fs::read_to_string(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../docs/TRANSITIONS.md"
                ))
                .expect("docs/TRANSITIONS.md");
                assert_eq!(text, doc);
            }
        }
        // Every status by code, label and English name, in every format.
        for s in Status::iter() {
            let (code, label, name) = (s.code(), s.label_ja(), s.name());
            for part in [code, label, name] {
                assert!(text.contains(part), "{format}: {part} missing");
            }
            if format != "json" {
                assert!(
                    text.contains(&format!("{code} {label}")),
                    "{format}: `{code} {label}` missing"
                );
            }
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

const VALID: &[&str] = &[
    "clientip=1234567890",
    "money=1000",
    "carrier_type=D",
    "username=ゼウステスト_12345678",
    "telno=0312345678",
];

#[test]
fn r_lp_1_check_order_accepts_a_valid_request() {
    let mut args = vec!["check-order"];
    args.extend_from_slice(VALID);
    let out = zeus(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn r_lp_1_check_order_prints_every_violation_one_a_line() {
    let out = zeus(&[
        "check-order",
        "clientip=12345",
        "money=60000",
        "carrier_type=D",
        "username=abc",
        "success_url=https://shop.example/done",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let fields: Vec<_> = text
        .lines()
        .map(|l| l.split_once(": ").expect("field: rule").0)
        .collect();
    // clientip digits, money range, username katakana, telno missing,
    // success_str missing (R-LP-3).
    for f in ["clientip", "money", "username", "telno", "success_str"] {
        assert!(fields.contains(&f), "{f} missing in:\n{text}");
    }
    assert!(!fields.contains(&"carrier_type"), "{text}");
}

#[test]
fn d3_check_order_counts_bytes_in_the_chosen_charset() {
    // 17 katakana: 34 bytes in Shift_JIS (fits 50), 51 in UTF-8 (too long).
    let name = format!("username={}", "ア".repeat(17));
    let mut args = vec![
        "check-order",
        "clientip=1234567890",
        "money=1",
        "carrier_type=S",
    ];
    args.extend([name.as_str(), "telno=0312345678"]);
    assert_eq!(zeus(&args).status.code(), Some(0));
    args.extend(["--charset", "utf8"]);
    let out = zeus(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("username: "), "{}", stdout(&out));
}

#[test]
fn check_order_usage_errors_exit_2() {
    assert_eq!(zeus(&["check-order", "money"]).status.code(), Some(2));
    assert_eq!(zeus(&["check-order", "colour=red"]).status.code(), Some(2));
    assert_eq!(zeus(&["check-order"]).status.code(), Some(2));
    assert_eq!(
        zeus(&["check-order", "money=1", "--charset", "latin1"])
            .status
            .code(),
        Some(2)
    );
}
