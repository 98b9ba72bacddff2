//! Benchmarks of the core operations against their floors (issue #5; the
//! figures and how to read them are in docs/PERFORMANCE.md).
//!
//! ```sh
//! cargo bench -p zeus-carrier-core --bench core             # everything, then the summary
//! cargo bench -p zeus-carrier-core --bench core -- summary  # the summary only (~20 s)
//! cargo bench -p zeus-carrier-core --bench core -- parse    # criterion's groups matching "parse"
//! ```
//!
//! Criterion measures each operation on its own; the summary at the end
//! measures the targets again side by side in interleaved rounds and prints
//! one line per target (`… = 1.2× (target ≤ 1.5×) met`). The machines this
//! runs on are shared and noisy: the ratios, measured in the same rounds,
//! are what judge the parsers; the floors are absolute and say so.

mod fixtures;
mod summary;

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use zeus_carrier_core::callback::Callback;
use zeus_carrier_core::cancel::check_cancel;
use zeus_carrier_core::secure_link::Response;
use zeus_carrier_core::settle::check_settle;
use zeus_carrier_core::transition::next_status;
use zeus_carrier_core::{Charset, EventKind, Order, Status};

use fixtures::{Fixtures, baseline_decode, baseline_encode};
use summary::{Batched, Loop};

/// Puts an order that [`Fixtures::approve`] moved back where it was:
/// status Accepting, the history's first entry only (its capacity stays, so
/// the next `Order::apply` pushes without allocating). Two stores, moved
/// through [`Order::into_parts`] and [`Order::from_parts`] (which checks the
/// one-entry history): no allocation.
fn reset(order: &mut Option<Order>) -> &mut Order {
    if let Some(o) = order.take() {
        let mut p = o.into_parts();
        p.status = Status::Accepting;
        p.history.truncate(1);
        *order = Order::from_parts(p).ok();
    }
    order.as_mut().expect("a reset order")
}

fn transitions(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("transition");
    g.bench_function("next_status/allowed", |b| {
        b.iter(|| {
            next_status(
                black_box(Status::Authorized),
                black_box(EventKind::CancelFail),
            )
        })
    });
    g.bench_function("next_status/refused", |b| {
        b.iter(|| next_status(black_box(Status::Cancelled), black_box(EventKind::CancelOk)))
    });
    g.bench_function("order_apply/history_grows", |b| {
        b.iter_batched_ref(
            || f.accepted.clone(),
            |o| o.apply(black_box(&f.approve), black_box(f.now)),
            BatchSize::SmallInput,
        )
    });
    let mut warm = Some(f.accepted.clone());
    g.bench_function("order_apply/history_has_room", |b| {
        b.iter(|| reset(&mut warm).apply(black_box(&f.approve), black_box(f.now)))
    });
    g.finish();
}

fn prechecks(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("precheck");
    g.bench_function("check_settle", |b| {
        b.iter(|| {
            check_settle(
                black_box(&f.authorized),
                black_box(&f.settle),
                black_box(f.now),
            )
        })
    });
    g.bench_function("check_cancel", |b| {
        b.iter(|| check_cancel(black_box(&f.authorized), black_box(f.now)))
    });
    g.finish();
}

fn link_point(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("link_point");
    g.bench_function("validate/typical", |b| {
        b.iter(|| black_box(&f.typical).validate(Charset::ShiftJis))
    });
    g.bench_function("validate/maximal", |b| {
        b.iter(|| black_box(&f.maximal).validate(Charset::ShiftJis))
    });
    g.bench_function("render_html_form/typical", |b| {
        b.iter(|| black_box(&f.typical).render_html_form(f.action, Charset::ShiftJis))
    });
    g.finish();
}

fn parsers(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("parse");
    g.bench_function("secure_link_response", |b| {
        b.iter(|| Response::parse(black_box(&f.secure_link_body)))
    });
    g.bench_function("secure_link_response/serde_urlencoded_baseline", |b| {
        b.iter(|| baseline_decode(black_box(&f.secure_link_body)))
    });
    g.bench_function("cgi_callback", |b| {
        b.iter(|| Callback::parse_query(black_box(&f.cgi_query), Charset::ShiftJis))
    });
    g.bench_function("cgi_callback/serde_urlencoded_baseline", |b| {
        b.iter(|| baseline_decode(black_box(&f.cgi_query)))
    });
    g.finish();
}

/// The targets of issues #5 and #7, measured side by side (see [`summary`]).
fn print_summary(f: &Fixtures) {
    let mut warm = Some(f.accepted.clone());
    println!();
    println!(
        "== summary: issue #5 and #7 targets, medians of interleaved rounds in this run \
         (zeus-carrier-core, --bench core) =="
    );
    summary::floors(&mut [
        (
            "transition::next_status (allowed)",
            &mut Loop(|| {
                next_status(
                    black_box(Status::Authorized),
                    black_box(EventKind::CancelFail),
                )
            }),
            Some(5.0),
        ),
        (
            "transition::next_status (refused)",
            &mut Loop(|| next_status(black_box(Status::Cancelled), black_box(EventKind::CancelOk))),
            Some(5.0),
        ),
        (
            "Order::apply (history has room)",
            &mut Batched(
                || f.with_room(),
                |o: &mut Order| o.apply(black_box(&f.approve), black_box(f.now)),
            ),
            Some(5.0),
        ),
        (
            "Order::apply (fresh order from Order::accept)",
            &mut Batched(
                || f.fresh(),
                |o: &mut Order| o.apply(black_box(&f.approve), black_box(f.now)),
            ),
            Some(5.0),
        ),
    ]);
    // Issue #7: apply against the table lookup it wraps, in the same rounds.
    summary::ratios(
        "next_status",
        &mut Loop(|| {
            next_status(
                black_box(Status::Accepting),
                black_box(EventKind::ApproveAuthorization),
            )
        }),
        &mut [
            (
                "Order::apply (history has room)",
                &mut Batched(
                    || f.with_room(),
                    |o: &mut Order| o.apply(black_box(&f.approve), black_box(f.now)),
                ),
                Some(3.0),
            ),
            (
                "Order::apply (fresh order from Order::accept)",
                &mut Batched(
                    || f.fresh(),
                    |o: &mut Order| o.apply(black_box(&f.approve), black_box(f.now)),
                ),
                Some(5.0),
            ),
            (
                "Order::apply (cloned order: history Vec grows)",
                &mut Batched(
                    || f.accepted.clone(),
                    |o: &mut Order| o.apply(black_box(&f.approve), black_box(f.now)),
                ),
                None,
            ),
            (
                "Order::apply (reset through from_parts each time, the #5 row)",
                &mut Loop(|| reset(&mut warm).apply(black_box(&f.approve), black_box(f.now))),
                None,
            ),
        ],
    );
    summary::floors(&mut [
        (
            "settle::check_settle",
            &mut Loop(|| {
                check_settle(
                    black_box(&f.authorized),
                    black_box(&f.settle),
                    black_box(f.now),
                )
            }),
            Some(100.0),
        ),
        (
            "cancel::check_cancel",
            &mut Loop(|| check_cancel(black_box(&f.authorized), black_box(f.now))),
            Some(100.0),
        ),
    ]);
    summary::floors(&mut [
        (
            "OrderRequest::validate (typical, Shift_JIS)",
            &mut Loop(|| black_box(&f.typical).validate(Charset::ShiftJis)),
            Some(1000.0),
        ),
        (
            "OrderRequest::validate (maximal, Shift_JIS)",
            &mut Loop(|| black_box(&f.maximal).validate(Charset::ShiftJis)),
            Some(1000.0),
        ),
        (
            "OrderRequest::render_html_form (typical)",
            &mut Loop(|| black_box(&f.typical).render_html_form(f.action, Charset::ShiftJis)),
            None,
        ),
    ]);
    // Issue #7: validation against encoding the same fields once.
    for (name, req) in [("typical", &f.typical), ("maximal", &f.maximal)] {
        summary::ratios(
            &format!("Shift_JIS encoding baseline ({name})"),
            &mut Loop(|| baseline_encode(black_box(req))),
            &mut [(
                &format!("OrderRequest::validate ({name}, Shift_JIS)"),
                &mut Loop(|| black_box(req).validate(Charset::ShiftJis)),
                Some(2.0),
            )],
        );
    }
    summary::ratio(
        "secure_link::Response::parse",
        &mut Loop(|| Response::parse(black_box(&f.secure_link_body))),
        "serde_urlencoded baseline",
        &mut Loop(|| baseline_decode(black_box(&f.secure_link_body))),
        1.5,
    );
    summary::ratio(
        "callback::Callback::parse_query",
        &mut Loop(|| Callback::parse_query(black_box(&f.cgi_query), Charset::ShiftJis)),
        "serde_urlencoded baseline",
        &mut Loop(|| baseline_decode(black_box(&f.cgi_query))),
        1.5,
    );
}

/// Options of criterion's command line that take a value (so that the
/// value is not mistaken for a filter).
const VALUED: &[&str] = &[
    "--save-baseline",
    "-s",
    "--baseline",
    "-b",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--format",
    "--color",
    "-c",
    "--plotting-backend",
    "--output-format",
];

/// Whether to print the summary: only in a real benchmark run (`cargo
/// bench`, not `cargo test --benches` or `--list`), and when no filter is
/// given or the filter is `summary`.
fn summary_wanted() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        return false;
    }
    if args
        .iter()
        .any(|a| a == "--list" || a == "--test" || a.starts_with("--profile-time"))
    {
        return false;
    }
    let mut filters = Vec::new();
    let mut skip = false;
    for a in &args {
        if skip {
            skip = false;
        } else if VALUED.contains(&a.as_str()) {
            skip = true;
        } else if !a.starts_with('-') {
            filters.push(a.as_str());
        }
    }
    filters.is_empty() || filters.contains(&"summary")
}

fn main() {
    let f = Fixtures::new();
    let mut c = Criterion::default().configure_from_args();
    transitions(&mut c, &f);
    prechecks(&mut c, &f);
    link_point(&mut c, &f);
    parsers(&mut c, &f);
    c.final_summary();
    if summary_wanted() {
        print_summary(&f);
    }
}
