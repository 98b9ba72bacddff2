//! Tests of the error catalog (R-EC-1, R-EC-2, SPEC §8).

use std::collections::BTreeSet;

use proptest::prelude::*;
use strum::IntoEnumIterator;

use super::*;
use crate::secure_link::Act;

fn entry(code: &str) -> &'static ErrorCode {
    match lookup(code) {
        Lookup::Known(e) => e,
        Lookup::Unknown(u) => panic!("{u}"),
    }
}

#[test]
fn r_ec_1_catalog_has_all_137_codes() {
    assert_eq!(CATALOG.len(), 137);
}

#[test]
fn r_ec_1_per_class_counts_match_the_manual() {
    let counts: Vec<_> = ResultKind::iter()
        .map(|c| (c.wire_name(), c.entries().count()))
        .collect();
    assert_eq!(
        counts,
        [
            ("Success_order", 0),
            ("invalid", 19),
            ("failure_order", 96),
            ("maintenance", 21),
            ("unhandled", 1),
        ]
    );
}

#[test]
fn r_ec_1_codes_are_unique_sorted_and_8_or_9_ascii_alphanumerics() {
    for pair in CATALOG.windows(2) {
        if let [a, b] = pair {
            assert!(
                a.code < b.code,
                "not strictly sorted: {} then {}",
                a.code,
                b.code
            );
        }
    }
    let unique: BTreeSet<_> = CATALOG.iter().map(|e| e.code).collect();
    assert_eq!(unique.len(), CATALOG.len());
    for e in CATALOG {
        assert!(matches!(e.code.len(), 8 | 9), "{}", e.code);
        assert!(
            e.code
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
            "{}",
            e.code
        );
        assert!(
            !e.meaning_ja.is_empty() && !e.gloss_en.is_empty(),
            "{}",
            e.code
        );
        assert_eq!(e.meaning_ja.trim(), e.meaning_ja, "{}", e.code);
    }
}

#[test]
fn r_ec_1_class_ranges_follow_spec_section_8() {
    // SPEC §8 written out as prefixes, independently of the catalog.
    for e in CATALOG {
        let c = e.code;
        let expected = if (c.len() == 8 && (c.starts_with("000000") || c.starts_with("000001")))
            || (c.len() == 9 && c.starts_with("0001000"))
        {
            ResultKind::Invalid
        } else if c.len() == 9
            && (c.starts_with("0100100")
                || c.starts_with("0100101")
                || c.starts_with("0101000")
                || c.starts_with("0102"))
        {
            ResultKind::FailureOrder
        } else if c.len() == 9
            && (c.starts_with("0200200") || c.starts_with("0200201") || c.starts_with("0201000"))
        {
            ResultKind::Maintenance
        } else if c == "999999999" {
            ResultKind::Unhandled
        } else {
            panic!("{c} is in no range of SPEC §8");
        };
        assert_eq!(e.class, expected, "{c}");
    }
}

#[test]
fn r_ec_1_verbatim_meanings_spot_checks() {
    let checks = [
        ("00000000", ResultKind::Invalid, "処理種別入力エラー"),
        ("00000102", ResultKind::Invalid, "メールプラグ入力エラー"),
        (
            "000100007",
            ResultKind::Invalid,
            "定義値エラー(決済機関キャリア)",
        ),
        (
            "010010007",
            ResultKind::FailureOrder,
            "処理できないステータス",
        ),
        ("010010030", ResultKind::FailureOrder, "NULL不正"),
        (
            "010100011",
            ResultKind::FailureOrder,
            "処理対象 決済処理センターのトランザクションID エラー(決済機関キャリア)",
        ),
        (
            "0101000L0",
            ResultKind::FailureOrder,
            "初回申込結果が存在しないため、定期購入処理を中止しました。(決済機関キャリア)",
        ),
        (
            "0101000L1",
            ResultKind::FailureOrder,
            "初回申込結果と加盟店顧客ID が異なるため、定期購入処理を中止しました。(決済機関キャリア)",
        ),
        (
            "0101000L2",
            ResultKind::FailureOrder,
            "既に解約済みのため、定期購入処理を中止しました。(決済機関キャリア)",
        ),
        (
            "0101000L3",
            ResultKind::FailureOrder,
            "決済処理センターによりご指定の定期購入は取扱不可と判定されました。(決済機関キャリア)",
        ),
        (
            "0101000L4",
            ResultKind::FailureOrder,
            "決済処理センターにて該当顧客の決済がエラーと判定されました。(決済機関キャリア)",
        ),
        (
            "010201301",
            ResultKind::FailureOrder,
            "購入NG画面(結果通知エラー)(決済機関キャリア)",
        ),
        (
            "010208454",
            ResultKind::FailureOrder,
            "売上確定可能期間を過ぎているため、売上処理を中止しました。(決済機関キャリア)",
        ),
        (
            "020020008",
            ResultKind::Maintenance,
            "決済処理センター接続エラー",
        ),
        ("020020106", ResultKind::Maintenance, "システムエラー"),
        (
            "020100008",
            ResultKind::Maintenance,
            "使用していないエラーコード(決済機関キャリア)",
        ),
        ("999999999", ResultKind::Unhandled, "キャリア判定エラー"),
    ];
    for (code, class, meaning) in checks {
        let e = entry(code);
        assert_eq!((e.class, e.meaning_ja), (class, meaning), "{code}");
    }
}

#[test]
fn r_ec_1_codes_named_by_the_spec_rules_have_the_manuals_meaning() {
    // The codes other rules rely on (R-TR-1, R-SL-*, R-CN-1, SPEC §5).
    let named = [
        ("010010000", "認証失敗"),
        ("010010001", "申込データなし"),
        ("010010007", "処理できないステータス"),
        ("010010010", "処理できないステータス"),
        ("010010011", "売上指定日不正"),
        ("010010012", "売上指定日不正"),
        ("010010013", "処理期限切"),
        ("010010014", "決済金額不正"),
        ("010010015", "決済金額不正"),
        ("00000000", "処理種別入力エラー"),
        ("00000001", "加盟店コード入力エラー"),
        ("00000002", "決済金額入力エラー"),
        ("00000003", "オーダー番号入力エラー"),
        ("00000004", "処理種類入力エラー"),
        ("00000005", "売上指定日入力エラー"),
        ("00000006", "認証キー入力エラー"),
    ];
    for (code, meaning) in named {
        assert_eq!(entry(code).meaning_ja, meaning, "{code}");
    }
    assert_eq!(codes::NOT_ALLOWED.class, ResultKind::FailureOrder);
}

#[test]
fn r_ec_1_every_entry_looks_itself_up() {
    for e in CATALOG {
        let found = lookup(e.code);
        assert_eq!(found, Lookup::Known(e));
        assert_eq!(found.raw(), e.code);
        assert_eq!(found.known().map(|k| k.code), Some(e.code));
    }
}

#[test]
fn r_ec_1_unknown_codes_give_unknown_with_the_raw_value() {
    for raw in [
        "",
        "-",
        "0",
        "00000009",
        "010010032",
        "0101000L5",
        "0101000l0",
        " 010010007",
        "010010007 ",
        "0100100070",
        "０１００１０００７",
        "999999998",
        "99999999",
    ] {
        let got = lookup(raw);
        assert_eq!(
            got,
            Lookup::Unknown(UnknownErrorCode {
                raw: raw.to_owned()
            }),
            "{raw:?}"
        );
        assert_eq!(got.raw(), raw);
        assert_eq!(
            got.into_result(),
            Err(UnknownErrorCode {
                raw: raw.to_owned()
            })
        );
    }
}

#[test]
fn r_ec_2_retry_advice_follows_the_class_with_documented_exceptions() {
    // The exceptions documented in catalog.rs, spelled out again here.
    let later_failures = [
        "010100034",
        "010100080",
        "010100085",
        "010100086",
        "010100090",
        "010100092",
        "010201101",
        "010202101",
        "010208451",
    ];
    let reconcile = [
        "010010008",
        "010010009",
        "010010017",
        "010010018",
        "010010019",
        "010010020",
        "010010031",
        "010010108",
        "010010109",
        "010100021",
        "010100023",
        "010100026",
        "010100030",
        "010100036",
        "010100037",
        "010100038",
        "010100084",
        "010100096",
        "999999999",
    ];
    for e in CATALOG {
        let expected = if reconcile.contains(&e.code) {
            RetryAdvice::ReconcileFirst
        } else if later_failures.contains(&e.code) {
            RetryAdvice::Later
        } else {
            match e.class {
                ResultKind::Invalid | ResultKind::FailureOrder => RetryAdvice::NotWithoutChange,
                ResultKind::Maintenance => RetryAdvice::Later,
                ResultKind::Unhandled => RetryAdvice::ReconcileFirst,
                ResultKind::SuccessOrder => panic!("no catalog code is a success: {}", e.code),
            }
        };
        assert_eq!(e.retry, expected, "{}", e.code);
    }
    for code in later_failures {
        assert_eq!(entry(code).class, ResultKind::FailureOrder, "{code}");
    }
}

#[test]
fn r_ec_2_edge_cases() {
    assert_eq!(entry("010010008").retry, RetryAdvice::ReconcileFirst);
    assert_eq!(entry("010100096").retry, RetryAdvice::ReconcileFirst);
    assert_eq!(entry("999999999").retry, RetryAdvice::ReconcileFirst);
    assert_eq!(entry("010010007").retry, RetryAdvice::NotWithoutChange);
    assert_eq!(entry("00000006").retry, RetryAdvice::NotWithoutChange);
    assert_eq!(entry("020020008").retry, RetryAdvice::Later);
    assert_eq!(entry("010100085").retry, RetryAdvice::Later);
}

#[test]
fn r_ec_2_unknown_codes_get_advice_from_their_prefix() {
    let advice = |raw: &str| lookup(raw).retry_advice();
    assert_eq!(advice("020099999"), RetryAdvice::Later);
    assert_eq!(advice("010099999"), RetryAdvice::NotWithoutChange);
    assert_eq!(advice("00000099"), RetryAdvice::NotWithoutChange);
    assert_eq!(advice("123456789"), RetryAdvice::ReconcileFirst);
    assert_eq!(advice("-"), RetryAdvice::ReconcileFirst);
    assert_eq!(advice(""), RetryAdvice::ReconcileFirst);
}

#[test]
fn r_ec_cgi_prefixes_classify_error_codes() {
    let code = |s: &str| s.to_owned();
    assert_eq!(ErrorCodePrefix::parse("-"), ErrorCodePrefix::NoError);
    assert_eq!(
        ErrorCodePrefix::parse("00000001"),
        ErrorCodePrefix::ParameterError {
            code: code("00000001")
        }
    );
    assert_eq!(
        ErrorCodePrefix::parse("010010007"),
        ErrorCodePrefix::Failure {
            code: code("010010007")
        }
    );
    assert_eq!(
        ErrorCodePrefix::parse("0101000L3"),
        ErrorCodePrefix::Failure {
            code: code("0101000L3")
        }
    );
    assert_eq!(
        ErrorCodePrefix::parse("020020000"),
        ErrorCodePrefix::Maintenance {
            code: code("020020000")
        }
    );
    for raw in [
        "",
        "0",
        "-0",
        "--",
        " -",
        "03000000",
        "999999999",
        "1",
        "０１",
    ] {
        assert_eq!(
            ErrorCodePrefix::parse(raw),
            ErrorCodePrefix::Unknown { raw: code(raw) },
            "{raw:?}"
        );
    }
    assert!(!ErrorCodePrefix::NoError.is_error());
    assert_eq!(ErrorCodePrefix::NoError.lookup(), None);
    assert_eq!(
        ErrorCodePrefix::parse("010010007")
            .lookup()
            .and_then(|l| l.known())
            .map(|e| e.meaning_ja),
        Some("処理できないステータス")
    );
    assert_eq!(
        ErrorCodePrefix::parse("999999999")
            .lookup()
            .and_then(|l| l.known())
            .map(|e| e.class),
        Some(ResultKind::Unhandled)
    );
}

#[test]
fn r_ec_cgi_prefix_agrees_with_every_catalog_class() {
    for e in CATALOG {
        let parsed = ErrorCodePrefix::parse(e.code);
        let expected = match e.class {
            ResultKind::Invalid | ResultKind::FailureOrder | ResultKind::Maintenance => {
                Some(e.class)
            }
            ResultKind::SuccessOrder | ResultKind::Unhandled => None,
        };
        assert_eq!(parsed.class(), expected, "{}", e.code);
        assert!(parsed.is_error());
        assert_eq!(parsed.as_str(), e.code);
    }
}

fn names_to_kinds(names: &[&str]) -> Vec<ResultKind> {
    names
        .iter()
        .filter_map(|n| ResultKind::iter().find(|r| r.wire_name() == *n))
        .collect()
}

#[test]
fn r_ec_wire_names_of_the_classes() {
    let names: Vec<_> = ResultKind::iter().map(ResultKind::wire_name).collect();
    assert_eq!(
        names,
        [
            "Success_order",
            "invalid",
            "failure_order",
            "maintenance",
            "unhandled"
        ]
    );
    assert_eq!(names_to_kinds(&names[1..]), ResultKind::ERROR_CLASSES);
    for r in ResultKind::iter() {
        let json = serde_json::to_string(&r).expect("json");
        assert_eq!(json, format!("\"{}\"", r.wire_name()));
        assert_eq!(serde_json::from_str::<ResultKind>(&json).ok(), Some(r));
    }
    let json = serde_json::to_string(&ResultKind::FailureOrder).expect("json");
    assert_eq!(json, "\"failure_order\"");
    assert_eq!(ResultKind::Maintenance.to_string(), "maintenance");
}

#[test]
fn r_ec_display_of_entries_and_unknown_codes() {
    insta::assert_snapshot!("display_010100096", entry("010100096").to_string());
    insta::assert_snapshot!("display_0101000L0", entry("0101000L0").to_string());
    insta::assert_snapshot!("display_unknown_020099999", lookup("020099999").to_string());
    insta::assert_snapshot!("display_unknown_empty", lookup("").to_string());
}

#[test]
fn r_ec_entries_serialize_as_json_for_the_cli() {
    let v = serde_json::to_value(lookup("010010008")).expect("json");
    assert_eq!(
        v,
        serde_json::json!({
            "kind": "known",
            "code": "010010008",
            "class": "failure_order",
            "meaning_ja": "データ更新エラー",
            "gloss_en": "Data update error at the gateway",
            "retry": "reconcile_first",
        })
    );
    let u = serde_json::to_value(lookup("x")).expect("json");
    assert_eq!(u, serde_json::json!({"kind": "unknown", "raw": "x"}));
}

#[test]
fn r_ec_1_markdown_lists_every_code_once_under_its_class() {
    let md = catalog_markdown();
    for e in CATALOG {
        let row = format!(
            "| `{}` | {} | {} | {} |",
            e.code,
            e.meaning_ja,
            e.gloss_en,
            e.retry.label()
        );
        assert_eq!(md.matches(&row).count(), 1, "{row}");
        assert_eq!(
            md.matches(&format!("`{}`", e.code)).count(),
            1,
            "{}",
            e.code
        );
    }
    let headings: Vec<_> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## `invalid` — パラメータ不正 (19 codes)",
            "## `failure_order` — 失敗 (96 codes)",
            "## `maintenance` — メンテナンス中 (21 codes)",
            "## `unhandled` — 未対応コード (1 code)",
        ]
    );
}

proptest! {
    /// Property: `lookup` is total — any string gives Known (of exactly that
    /// code) or Unknown keeping the raw value — and never panics (R-EC-1).
    #[test]
    fn r_ec_1_lookup_is_total_on_arbitrary_strings(raw in any::<String>()) {
        match lookup(&raw) {
            Lookup::Known(e) => prop_assert_eq!(e.code, raw.as_str()),
            Lookup::Unknown(u) => prop_assert_eq!(u.raw, raw),
        }
    }

    /// Property: on code-shaped strings `lookup` finds exactly the catalog's
    /// members (compared with a linear scan).
    #[test]
    fn r_ec_1_lookup_agrees_with_a_linear_scan(raw in "[0-9L-]{0,10}") {
        let linear = CATALOG.iter().find(|e| e.code == raw);
        prop_assert_eq!(lookup(&raw).known(), linear);
    }

    /// Property: the CGI prefix classifier is total and keeps the value:
    /// `parse(raw).as_str() == raw` for every string (SPEC §8).
    #[test]
    fn r_ec_cgi_prefix_classifier_is_total_and_keeps_the_raw_value(
        raw in prop_oneof![any::<String>(), "(-|0[0-3])?[0-9A-Z]{0,8}"]
    ) {
        let parsed = ErrorCodePrefix::parse(&raw);
        prop_assert_eq!(parsed.as_str(), raw.as_str());
        prop_assert_eq!(parsed.to_string(), raw.clone());
        prop_assert_eq!(parsed.is_error(), raw != "-");
        let _ = lookup(&raw).to_string();
    }
}

#[test]
fn r_ec_2_retry_advice_names_and_labels() {
    let names: Vec<_> = RetryAdvice::iter().map(RetryAdvice::name).collect();
    assert_eq!(names, ["later", "not_without_change", "reconcile_first"]);
    let shown: Vec<_> = RetryAdvice::iter().map(|r| r.to_string()).collect();
    assert_eq!(shown, ["later", "not without a change", "reconcile first"]);
}

/// R-EC-1: every code the core can emit is a catalog entry — every refusal
/// of `check_settle`, `check_cancel`, `answer_settle` and `answer_cancel`
/// over their inputs (each status, carrier, `autype`, date, amount, zkey,
/// carrier result and instants on the edges of the windows), every
/// `Field::invalid_code`, and the carrier-failure codes — and the set is
/// exactly the named codes of [`codes`].
#[test]
fn r_ec_1_every_code_the_core_emits_is_in_the_catalog() {
    use crate::cancel::{answer_cancel, check_cancel};
    use crate::carrier::{Carrier, CarrierResult};
    use crate::secure_link::{Autype, Field, ZkeyCheck};
    use crate::settle::tests::{ACCEPTED, SETTLED, at, on, order, reserved_for};
    use crate::settle::{OrderFacts, SettleParams, answer_settle, check_settle};
    use crate::status::Status;
    use chrono::TimeDelta;

    let mut emitted: BTreeSet<&'static str> = BTreeSet::new();
    let accepted = at(ACCEPTED);
    let first_day = crate::time::jst_date(&accepted);
    let nows: Vec<_> = [0i64, 1, 2, 15, 49, 50, 51, 52, 60]
        .iter()
        .flat_map(|d| {
            [
                (0, 0, 0),
                (14, 0, 0),
                (23, 54, 59),
                (23, 55, 0),
                (23, 59, 59),
            ]
            .map(|(h, m, sec)| on(first_day + TimeDelta::days(*d), h, m, sec))
        })
        .chain([accepted, at(SETTLED)])
        .collect();
    for status in Status::iter() {
        for carrier in Carrier::iter() {
            let o = order(status, carrier, 1000);
            let facts = OrderFacts::from(&o);
            for &now in &nows {
                let today = crate::time::jst_date(&now);
                let dates = [
                    None,
                    Some(today - TimeDelta::days(1)),
                    Some(today),
                    Some(today + TimeDelta::days(1)),
                    Some(reserved_for()),
                    Some(today + TimeDelta::days(60)),
                ];
                for autype in [None, Some(Autype::Sale), Some(Autype::Auth)] {
                    for date in dates {
                        for money in [None, Some(0), Some(1), Some(999), Some(1000), Some(1001)] {
                            let params = SettleParams {
                                money,
                                autype,
                                date,
                            };
                            if let Err(r) = check_settle(&facts, &params, now) {
                                emitted.insert(r.code());
                            }
                            for zkey in ZkeyCheck::iter() {
                                for carrier_result in CarrierResult::iter() {
                                    for order_arg in [None, Some(&o)] {
                                        let a = answer_settle(
                                            order_arg,
                                            zkey,
                                            &params,
                                            carrier_result,
                                            now,
                                        );
                                        if let Some(e) = a.error_code() {
                                            emitted.insert(e.code);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                if let Err(r) = check_cancel(&facts, now) {
                    emitted.insert(r.code());
                }
                for zkey in ZkeyCheck::iter() {
                    for carrier_result in CarrierResult::iter() {
                        for order_arg in [None, Some(&o)] {
                            let a = answer_cancel(order_arg, zkey, carrier_result, now);
                            if let Some(e) = a.error_code() {
                                emitted.insert(e.code);
                            }
                        }
                    }
                }
            }
        }
    }
    for field in Field::iter() {
        for act in [None, Some(Act::Settled), Some(Act::Return)] {
            emitted.insert(field.invalid_error_code_in(act).code);
        }
    }
    emitted.insert(codes::SETTLE_CARRIER_FAILURE.code);
    emitted.insert(codes::CANCEL_CARRIER_FAILURE.code);
    for code in &emitted {
        assert!(
            lookup(code).known().is_some(),
            "{code} is not in the catalog"
        );
    }
    let named: BTreeSet<&str> = [
        codes::AUTH_FAILED,
        codes::ORDER_NOT_FOUND,
        codes::NOT_ALLOWED,
        codes::WITHDRAW_NOT_ALLOWED,
        codes::DATE_OUT_OF_RANGE,
        codes::DATE_AFTER_CUTOFF,
        codes::EXPIRED,
        codes::AMOUNT_ABOVE_ORIGINAL,
        codes::AMOUNT_NOT_ORIGINAL,
        codes::SETTLE_CARRIER_FAILURE,
        codes::CANCEL_CARRIER_FAILURE,
        codes::INVALID_ACT,
        codes::INVALID_CLIENTIP,
        codes::INVALID_MONEY,
        codes::INVALID_ORDER_NO,
        codes::INVALID_AUTYPE,
        codes::INVALID_DATE,
        codes::INVALID_ZKEY,
        codes::CANCEL_AUTH_FAILED,
        codes::CANCEL_ORDER_NOT_FOUND,
        codes::CANCEL_NOT_ALLOWED,
        codes::CANCEL_EXPIRED,
        codes::CANCEL_INVALID_CLIENTIP,
        codes::CANCEL_INVALID_ORDER_NO,
        codes::CANCEL_INVALID_ZKEY,
    ]
    .iter()
    .map(|e| e.code)
    .collect();
    assert_eq!(emitted, named);
}

#[test]
fn r_ec_1_named_codes_are_the_catalog_entries() {
    assert_eq!(codes::entry("010010007"), entry("010010007"));
    assert_eq!(codes::NOT_ALLOWED.meaning_ja, "処理できないステータス");
    assert_eq!(codes::EXPIRED.class, ResultKind::FailureOrder);
    assert_eq!(codes::INVALID_ZKEY.class, ResultKind::Invalid);
}
