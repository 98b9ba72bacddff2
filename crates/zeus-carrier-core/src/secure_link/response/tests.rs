//! Response parsing and rendering (SPEC §7, R-RS-1, R-RS-2).

use super::*;
use proptest::prelude::*;
use strum::IntoEnumIterator;

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Every permutation of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first.clone());
            out.push(p);
        }
    }
    out
}

#[test]
fn r_rs_manual_example_parses() {
    assert_eq!(
        Response::parse(b"result=Success_order&error_code=-&date=20150101"),
        Ok(Response::success(date(2015, 1, 1)))
    );
    assert_eq!(
        Response::parse(b"result=Success_order&error_code=-"),
        Ok(Response::success(None))
    );
}

#[test]
fn r_rs_2_result_wire_names_are_exact() {
    let names: Vec<_> = ResultKind::iter()
        .filter(|r| r.is_gateway_result())
        .map(ResultKind::wire_name)
        .collect();
    assert_eq!(
        names,
        ["Success_order", "invalid", "failure_order", "maintenance"]
    );
    for r in ResultKind::iter() {
        let back = ResultKind::from_wire(r.wire_name());
        assert_eq!(back, r.is_gateway_result().then_some(r), "{r}");
    }
    // The catalog's class of 999999999 is never a gateway `result` (R-RS-2).
    assert_eq!(ResultKind::from_wire("unhandled"), None);
    assert_eq!(ResultKind::from_wire("success_order"), None);
    assert_eq!(
        Response::parse(b"result=SUCCESS_ORDER&error_code=-"),
        Err(ResponseError::UnknownResult {
            raw: "SUCCESS_ORDER".into()
        })
    );
}

#[test]
fn r_rs_1_every_parameter_order_parses_the_same_with_unknown_keys_anywhere() {
    let params = [
        "result=failure_order",
        "error_code=010010011",
        "date=20260101",
        "x-extra=1",
    ];
    let want = Response {
        result: ResultKind::FailureOrder,
        error_code: "010010011".into(),
        date: date(2026, 1, 1),
    };
    let all = permutations(&params);
    assert_eq!(all.len(), 24);
    for p in all {
        let body = p.join("&");
        assert_eq!(Response::parse(body.as_bytes()), Ok(want.clone()), "{body}");
    }
}

#[test]
fn r_rs_1_render_produces_every_order_and_each_parses_back() {
    for r in [
        Response::success(date(2026, 2, 20)),
        Response::success(None),
        Response {
            result: ResultKind::Maintenance,
            error_code: "020020008".into(),
            date: None,
        },
    ] {
        let n = r.permutation_count();
        let mut bodies: Vec<String> = (0..n).map(|v| r.render(v)).collect();
        for b in &bodies {
            assert_eq!(Response::parse(b.as_bytes()), Ok(r.clone()), "{b}");
        }
        assert_eq!(r.render(n), r.render(0), "the variant wraps around");
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), n, "every variant is a distinct order");
    }
    assert_eq!(
        Response::success(date(2015, 1, 1)).render(0),
        "result=Success_order&error_code=-&date=20150101"
    );
}

#[test]
fn r_rs_malformed_bodies_are_typed_errors() {
    use ResponseError as E;
    let cases: [(&[u8], ResponseError); 8] = [
        (b"", E::MissingResult),
        (b"error_code=-&date=20150101", E::MissingResult),
        (
            b"result=failure_order",
            E::MissingErrorCode {
                result: ResultKind::FailureOrder,
            },
        ),
        (
            b"result=invalid&error_code=",
            E::BadErrorCode { raw: String::new() },
        ),
        (
            b"result=Success_order&error_code=-&date=2015011",
            E::BadDate {
                raw: "2015011".into(),
            },
        ),
        (
            b"result=Success_order&result=failure_order&error_code=-",
            E::Duplicate { key: "result" },
        ),
        (
            b"result=Success_order&error_code=%G1",
            E::BadEscape { key: "error_code" },
        ),
        (
            b"result=%FF&error_code=-",
            E::UnknownResult {
                raw: "\u{FFFD}".into(),
            },
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            Response::parse(body),
            Err(want),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn r_rs_trailing_newline_and_empty_date_are_tolerated() {
    assert_eq!(
        Response::parse(b"result=Success_order&error_code=-&date=20150101\r\n"),
        Ok(Response::success(date(2015, 1, 1)))
    );
    assert_eq!(
        Response::parse(b"date=&result=Success_order&error_code=-"),
        Ok(Response::success(None))
    );
    // Codes keep letters and unknown values verbatim (R-EC).
    assert_eq!(
        Response::parse(b"result=failure_order&error_code=0101000L3").map(|r| r.error_code),
        Ok("0101000L3".to_owned())
    );
}

proptest! {
    /// R-RS-1: parsing is total on arbitrary bytes (a value or a typed error).
    #[test]
    fn r_rs_1_parse_is_total(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Response::parse(&body);
    }

    /// R-RS-1: any rendered order of any response parses back to it.
    #[test]
    fn r_rs_1_render_then_parse_is_identity(
        result in prop_oneof![
            Just(ResultKind::SuccessOrder), Just(ResultKind::FailureOrder),
            Just(ResultKind::Maintenance), Just(ResultKind::Invalid)],
        code in "[0-9A-Z-]{1,10}",
        day in proptest::option::of(0i64..40_000),
        variant in any::<usize>(),
    ) {
        let date = day.and_then(|d| NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|b| b.checked_add_signed(chrono::TimeDelta::days(d))));
        let r = Response { result, error_code: code, date };
        prop_assert_eq!(Response::parse(r.render(variant).as_bytes()), Ok(r));
    }
}

#[test]
fn r_rs_1_permutation_count_is_2_without_date_and_6_with() {
    let with = Response::success(date(2026, 1, 20));
    let without = Response::success(None);
    assert_eq!(with.permutation_count(), 6);
    assert_eq!(without.permutation_count(), 2);
    let distinct = |r: &Response| {
        (0..r.permutation_count())
            .map(|v| r.render(v))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert_eq!(distinct(&with), 6);
    assert_eq!(distinct(&without), 2);
}
