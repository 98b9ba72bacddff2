//! `zeus-carrier-bench growth`: the cost of the receiver and of the
//! operator's reads as the merchant's tables grow (issue 19, item 5).
//!
//! One database per backend grows through the given sizes (default 0,
//! 10^4, 10^5, 10^6 orders), the way a shop's does: each step adds orders
//! through the store's own API ([`Store::record_notification`], and for
//! some orders [`Store::begin_operation`] / [`Store::record_operation`] /
//! [`Store::mark_reconciliation`]), so every row is one the store wrote.
//! The orders were accepted over the last 60 days (so windows close all
//! over the next 50): 60 % stay authorized (a settle and a cancel
//! window), 30 % are completed by a second CGI call, 10 % fail; every
//! 20th authorized order is settled by the merchant (history rows from an
//! operation); every 7th order's first call is delivered twice; one order
//! in 1,000 is marked for reconciliation and one in 5,000 has an
//! operation in flight.
//!
//! At each size it measures:
//! - the receiver: a closed-loop row of new orders and a paced row, as
//!   `receiver` does (stand-in handler: `src/cgi.rs`), with every order of
//!   the closed-loop row read back and checked;
//! - `/deadlines`: the first page (1,000 entries) within 7 and within 60
//!   days, and the page after it ([`Store::list_deadlines_page`]);
//! - one order's read ([`Store::get_order`]) of a random prefilled order.
//!
//! Summary lines: the receiver within 20 % of its empty-database figure,
//! and every `/deadlines` p99 within 50 ms, `met` or `MISSED` per size.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;
use zeus_carrier_core::merchant::{
    InFlight, Notice, Operation, OperationKind, OperationReport, ReconcileReason, UnknownSendId,
};
use zeus_carrier_core::secure_link::Outcome;
use zeus_carrier_core::settle::SettlePlan;
use zeus_carrier_core::time::to_jst;
use zeus_carrier_core::values::{ClientIp, Money, OrderNo, SendId};
use zeus_carrier_core::{Carrier, JstDateTime, Status};
use zeus_carrier_store::{DEFAULT_DEADLINE_PAGE, Store};

use crate::load::{self, Pace, Plan};
use crate::{CLIENTIP, MAX_P99, Mix, PATH, ms, prefix, query, serve, verdict, verify};

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct GrowthArgs {
    /// PostgreSQL admin URL: each run creates (and drops) a database of
    /// its own in that cluster (use `scripts/pg-bench.sh`, fsync on).
    #[arg(long, env = "ZEUS_CARRIER_BENCH_PG_URL")]
    pg_url: Option<String>,
    /// Order counts to measure at, ascending (the database grows from one
    /// to the next).
    #[arg(long, value_delimiter = ',', default_value = "0,10000,100000,1000000")]
    sizes: Vec<u64>,
    /// Requests of the receiver's closed-loop row at each size (shorter
    /// rows move by ±10 points from run to run: docs/PERFORMANCE.md).
    #[arg(long, default_value_t = 20_000)]
    requests: u64,
    /// Concurrent connections of the receiver rows.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Rate of the paced row (0: none).
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Duration of the paced row, in seconds.
    #[arg(long, default_value_t = 5)]
    paced_secs: u64,
    /// Repetitions of each read measured.
    #[arg(long, default_value_t = 100)]
    reads: usize,
    /// Orders being prefilled at once.
    #[arg(long, default_value_t = 256)]
    prefill_concurrency: usize,
    /// Time cap of a receiver row, in seconds.
    #[arg(long, default_value_t = 60)]
    max_secs: u64,
    /// Where the SQLite database goes (a real disk).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only these backends (sqlite, pg).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
}

/// What one size measured.
struct Step {
    size: u64,
    prefill: Duration,
    rps: f64,
    checked: Result<u64, String>,
    paced_p99: Option<(Duration, f64)>,
    /// (label, p50, p99, entries) of each deadline query.
    deadlines: Vec<(&'static str, Duration, Duration, usize)>,
    read: (Duration, Duration),
}

fn quantiles(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let q = |q: f64| {
        v.get(((v.len().saturating_sub(1)) as f64 * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    (q(0.5), q(0.99))
}

fn order(i: u64) -> Result<OrderNo, String> {
    OrderNo::parse(&format!("G{i:09}")).map_err(|e| e.to_string())
}

/// Adds order `i` (see the module documentation) as of `now`.
async fn one_order(store: &Store, i: u64, now: JstDateTime) -> Result<(), String> {
    let e = |e: zeus_carrier_store::StoreError| format!("order {i}: {e}");
    let no = order(i)?;
    let received = now - TimeDelta::days((i % 60) as i64) - TimeDelta::seconds((i % 3600) as i64);
    let kind = i % 10;
    let first = if kind == 9 {
        Status::PaymentFailed
    } else {
        Status::Authorized
    };
    let money = Money::new(1000).ok_or("money")?;
    let notice = |status: Status, at: JstDateTime| -> Result<(Notice, Vec<u8>), String> {
        let mut n = Notice::new(no.clone(), status, at);
        n.money = Some(money);
        n.carrier = Some(Carrier::Docomo);
        n.clientip = Some(ClientIp::parse(CLIENTIP).map_err(|e| e.to_string())?);
        n.sendid = Some(SendId::parse(&format!("g{i}")).map_err(|e| e.to_string())?);
        let raw = format!(
            "clientip={CLIENTIP}&money=1000&order_no={}&carrier_type=D&sendid=g{i}&status={}",
            no.as_str(),
            status.code()
        );
        Ok((n, raw.into_bytes()))
    };
    let (n, raw) = notice(first, received)?;
    store
        .record_notification(n.clone(), raw.clone(), UnknownSendId::Apply)
        .await
        .map_err(e)?;
    if i % 7 == 0 {
        store
            .record_notification(n, raw, UnknownSendId::Apply)
            .await
            .map_err(e)?;
    }
    let later = received + TimeDelta::hours(1);
    if (6..=8).contains(&kind) {
        let (n, raw) = notice(Status::Completed, later)?;
        store
            .record_notification(n, raw, UnknownSendId::Apply)
            .await
            .map_err(e)?;
    } else if kind < 6 && i % 20 == 0 {
        store
            .begin_operation(
                &no,
                InFlight::new(OperationKind::Settle, Some(money), later),
            )
            .await
            .map_err(e)?;
        let date = later.date_naive();
        let report = OperationReport::new(
            Operation::Settle(SettlePlan::Today { date, money: 1000 }),
            Status::Authorized,
            Outcome::Success { date: Some(date) },
            later,
        );
        store.record_operation(&no, report).await.map_err(e)?;
    } else if kind < 6 && i % 5000 == 2500 {
        store
            .begin_operation(&no, InFlight::new(OperationKind::Cancel, None, later))
            .await
            .map_err(e)?;
    }
    if i % 1000 == 500 && kind != 9 {
        store
            .mark_reconciliation(&no, ReconcileReason::OutcomeUnknown(OperationKind::Settle))
            .await
            .map_err(e)?;
    }
    Ok(())
}

/// Adds orders `from..to`, `concurrency` at a time.
async fn prefill(
    store: &Store,
    from: u64,
    to: u64,
    now: JstDateTime,
    concurrency: usize,
) -> Result<(), String> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for i in from..to {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let store = store.clone();
        tasks.spawn(async move {
            let r = one_order(&store, i, now).await;
            drop(permit);
            r
        });
        while let Some(done) = tasks.try_join_next() {
            done.map_err(|e| e.to_string())??;
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Times `reads` runs of `f`.
async fn timed<F, Fut, T>(reads: usize, mut f: F) -> Result<(Vec<Duration>, T), String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut times = Vec::with_capacity(reads);
    let mut last = None;
    for k in 0..reads.max(1) {
        let start = Instant::now();
        let v = f(k).await?;
        times.push(start.elapsed());
        last = Some(v);
    }
    Ok((times, last.ok_or("no read")?))
}

/// The reads measured at one size.
async fn reads(
    store: &Store,
    have: u64,
    now: JstDateTime,
    reads: usize,
) -> Result<
    (
        Vec<(&'static str, Duration, Duration, usize)>,
        (Duration, Duration),
    ),
    String,
> {
    let mut out = Vec::new();
    for (label, days) in [("7 d", 7), ("60 d", 60)] {
        let (t, n) = timed(reads, |_| async {
            store
                .list_deadlines_page(now, days, DEFAULT_DEADLINE_PAGE, None)
                .await
                .map(|p| p.items.len())
                .map_err(|e| e.to_string())
        })
        .await?;
        let (p50, p99) = quantiles(t);
        out.push((label, p50, p99, n));
    }
    let first = store
        .list_deadlines_page(now, 60, DEFAULT_DEADLINE_PAGE, None)
        .await
        .map_err(|e| e.to_string())?;
    let (t, n) = timed(reads, |_| async {
        store
            .list_deadlines_page(now, 60, DEFAULT_DEADLINE_PAGE, first.next.as_ref())
            .await
            .map(|p| p.items.len())
            .map_err(|e| e.to_string())
    })
    .await?;
    let (p50, p99) = quantiles(t);
    out.push(("60 d, 2nd page", p50, p99, n));
    // Pseudo-random prefilled orders (an LCG), the same at every run.
    let (t, _) = timed(reads, |k| async move {
        if have == 0 {
            return Ok(());
        }
        let i = (k as u64)
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1)
            % have;
        store
            .get_order(&order(i)?)
            .await
            .map_err(|e| e.to_string())?
            .map(drop)
            .ok_or_else(|| format!("order {i} missing"))
    })
    .await?;
    Ok((out, quantiles(t)))
}

/// One receiver row against `store` (distinct new orders, or paced).
fn receiver_row(
    server_rt: &Runtime,
    client_rt: &Runtime,
    store: &Store,
    pace: Pace,
    requests: u64,
    args: &GrowthArgs,
) -> Result<(load::Report, Result<u64, String>), String> {
    let (addr, stop, task) = server_rt
        .block_on(serve(crate::cgi::router(store.clone())))
        .map_err(|e| e.to_string())?;
    let prefix = Arc::new(prefix(match pace {
        Pace::ClosedLoop => "gd",
        Pace::Rate { .. } => "gp",
    }));
    let p = prefix.clone();
    let plan = Plan {
        addr,
        path: PATH.to_owned(),
        requests,
        max: Duration::from_secs(args.max_secs),
        concurrency: args.concurrency,
        pace,
        query: Arc::new(move |i| query(&p, Mix::Distinct, i)),
    };
    let report = client_rt.block_on(load::run(plan));
    let checked = server_rt.block_on(verify(store, &prefix, Mix::Distinct, &report));
    let _ = stop.send(());
    let _ = server_rt.block_on(task);
    Ok((report, checked))
}

fn print_step(backend: &str, s: &Step, empty_rps: Option<f64>) {
    let vs = match empty_rps {
        Some(e) if e > 0.0 => format!("{:.0} %", 100.0 * s.rps / e),
        _ => "-".to_owned(),
    };
    let paced = s.paced_p99.map_or("-".to_owned(), |(p99, _)| ms(p99));
    let deadlines: Vec<String> = s
        .deadlines
        .iter()
        .map(|(l, p50, p99, n)| format!("{l}: {}/{} ({n})", ms(*p50), ms(*p99)))
        .collect();
    let check = match &s.checked {
        Ok(0) => "not checked".to_owned(),
        Ok(n) => format!("ok ({n})"),
        Err(e) => format!("FAILED: {e}"),
    };
    println!(
        "| {backend:<8} | {:>9} | {:>8.1} | {:>8.0} | {:>6} | {:>8} | {} | {}/{} | {check} |",
        s.size,
        s.prefill.as_secs_f64(),
        s.rps,
        vs,
        paced,
        deadlines.join("; "),
        ms(s.read.0),
        ms(s.read.1),
    );
}

/// Runs the growth benchmark on each backend.
pub(crate) fn growth(args: GrowthArgs) -> Result<(), String> {
    let (server_rt, client_rt) = crate::runtimes(args.server_threads, args.client_threads)?;
    let mut backends = vec!["sqlite"];
    if args.pg_url.is_some() {
        backends.push("pg");
    }
    if !args.only.is_empty() {
        backends.retain(|b| args.only.iter().any(|o| o == b));
    }
    println!(
        "zeus-carrier-bench growth: sizes {:?}, receiver {} requests ({} connections), paced \
         {}/s for {} s, {} reads each, {} CPUs",
        args.sizes,
        args.requests,
        args.concurrency,
        args.rate,
        args.paced_secs,
        args.reads,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| backend  |    orders | prefill s | recv req/s | vs empty | paced p99 ms | \
         /deadlines first page p50/p99 ms (entries) | order read p50/p99 ms | check |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    let mut failed = false;
    for backend in backends {
        let dir = match &args.dir {
            Some(d) => tempfile::tempdir_in(d),
            None => tempfile::tempdir(),
        }
        .map_err(|e| format!("temp dir: {e}"))?;
        let (store, pg_db) = server_rt.block_on(async {
            match backend {
                "pg" => {
                    let admin = args.pg_url.as_deref().ok_or("no --pg-url")?;
                    let db = zeus_carrier_store::testing::TempPgDatabase::create(admin, "zgrowth")
                        .await
                        .map_err(|e| e.to_string())?;
                    let store = Store::connect(&db.url).await.map_err(|e| e.to_string())?;
                    Ok::<_, String>((store, Some(db)))
                }
                _ => {
                    let url = format!("sqlite://{}", dir.path().join("growth.db").display());
                    let store = Store::connect(&url).await.map_err(|e| e.to_string())?;
                    Ok((store, None))
                }
            }
        })?;
        let now = to_jst(&Utc::now());
        let mut have = 0;
        let mut prefill_time = Duration::ZERO;
        let mut empty_rps = None;
        let mut steps = Vec::new();
        for &size in &args.sizes {
            if size > have {
                let start = Instant::now();
                server_rt.block_on(prefill(&store, have, size, now, args.prefill_concurrency))?;
                prefill_time += start.elapsed();
                have = size;
            }
            let (deadlines, read) = server_rt.block_on(reads(&store, have, now, args.reads))?;
            let (report, checked) = receiver_row(
                &server_rt,
                &client_rt,
                &store,
                Pace::ClosedLoop,
                args.requests,
                &args,
            )?;
            let paced_p99 = if args.rate > 0 {
                let (r, _) = receiver_row(
                    &server_rt,
                    &client_rt,
                    &store,
                    Pace::Rate {
                        per_sec: args.rate as f64,
                    },
                    args.rate * args.paced_secs,
                    &args,
                )?;
                Some((r.quantile(0.99), r.throughput()))
            } else {
                None
            };
            failed |= checked.is_err();
            let step = Step {
                size,
                prefill: prefill_time,
                rps: report.throughput(),
                checked,
                paced_p99,
                deadlines,
                read,
            };
            if empty_rps.is_none() {
                empty_rps = Some(step.rps);
            }
            print_step(backend, &step, empty_rps);
            steps.push(step);
        }
        summary.push((backend, steps, empty_rps));
        server_rt.block_on(async {
            store.close().await;
            if let Some(db) = pg_db {
                let _ = db.drop_database().await;
            }
        });
    }
    println!();
    println!("== summary: issue 19 item 5 targets (this run) ==");
    for (backend, steps, empty) in &summary {
        for s in steps {
            let worst = s
                .deadlines
                .iter()
                .map(|(_, _, p99, _)| *p99)
                .max()
                .unwrap_or_default();
            println!(
                "{backend} /deadlines at {} orders: worst p99 {} ms (target ≤ {} ms)   {}",
                s.size,
                ms(worst),
                MAX_DEADLINES_P99.as_millis(),
                verdict(worst <= MAX_DEADLINES_P99)
            );
            if let (Some(e), true) = (empty, s.size > 0) {
                let share = 100.0 * s.rps / e;
                println!(
                    "{backend} receiver at {} orders: {:.0} req/s = {share:.0} % of its \
                     empty-database {e:.0} (target ≥ 80 %)   {}",
                    s.size,
                    s.rps,
                    verdict(share >= 80.0 && s.checked.is_ok())
                );
            }
            if let Some((p99, rps)) = s.paced_p99 {
                let kept = rps >= 0.98 * args.rate as f64;
                println!(
                    "{backend} receiver paced {}/s at {} orders: p99 {} ms (target ≤ {} ms){}   {}",
                    args.rate,
                    s.size,
                    ms(p99),
                    MAX_P99.as_millis(),
                    if kept { "" } else { ", fell behind the pace" },
                    verdict(p99 <= MAX_P99 && kept)
                );
            }
        }
    }
    if failed {
        return Err("a receiver row failed its check".to_owned());
    }
    Ok(())
}

/// The `/deadlines` bound at every size.
const MAX_DEADLINES_P99: Duration = Duration::from_millis(50);
