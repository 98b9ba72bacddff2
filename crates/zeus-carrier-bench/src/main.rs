//! `zeus-carrier-bench`: the load benchmark of the durable CGI receiver
//! against a bare HTTP handler (issue #5; figures in docs/PERFORMANCE.md).
//!
//! ```sh
//! cargo run --release -p zeus-carrier-bench -- receiver                  # bare + SQLite
//! cargo run --release -p zeus-carrier-bench -- receiver --pg-url URL     # + PostgreSQL
//! cargo run --release -p zeus-carrier-bench -- growth --dir /var/tmp       # cost as data grows
//! ```
//!
//! Every server runs in this process on `127.0.0.1:0` (its own tokio
//! runtime); the load generator ([`load`]) runs on another runtime in the
//! same process and talks to it over loopback only. Each row is bounded by a
//! request count and a time cap.
//!
//! Rows, each with the same load:
//! - **bare axum**: a handler that answers `successok` and does nothing
//!   else, served like the receiver (with connect info);
//! - **receiver + SQLite**: [`zeus_carrier_merchant::callback_router`] (`src/cgi.rs`) over a
//!   fresh database file (WAL, `synchronous=FULL`);
//! - **receiver + PostgreSQL** (with `--pg-url`): the same over the given
//!   database (rows are added with a unique order-number prefix; point it
//!   at a throwaway database).
//!
//! - **floor** (`--only bare,floor-sqlite,floor-pg`, not run by default):
//!   the least any receiver that stores each call durably before answering
//!   must do — one row per call, group-committed ([`floor`]) — so the
//!   ratio a receiver row can reach on this machine is measured, not
//!   guessed.
//!
//! Mixes: `distinct` (every call a new order) and `dup-heavy` (every order
//! gets its notification ten times in a row, so 90 % are redeliveries, some
//! racing the first). After each receiver row every order is read back and
//! checked: created once, one notification applied, the rest counted as
//! duplicates, so a fast but wrong store cannot pass.
//!
//! Then a paced run: a fixed rate (default 1,000 req/s) for a few seconds,
//! reporting p50 and p99 from each request's due time.

mod cgi;
mod floor;
mod growth;
mod load;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use clap::{Parser, Subcommand};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use zeus_carrier_core::Status;
use zeus_carrier_store::Store;

use load::{Pace, Plan, Report};

/// The merchant's IP code in every call.
const CLIENTIP: &str = "1234567890";
/// The receiver's path (the default of `MerchantConfig`).
const PATH: &str = "/zeus/carrier/callback";
/// `ゼウステスト_12345678` in Shift_JIS, percent-encoded, as the gateway
/// sends it.
const USERNAME_SJIS: &str = "%83%5B%83E%83X%83e%83X%83g_12345678";
/// Calls per order in the duplicate-heavy mix (1 first + 9 redeliveries).
const DUP_FACTOR: u64 = 10;

#[derive(Parser, Debug)]
#[command(name = "zeus-carrier-bench", about = "Benchmarks of zeus-carrier")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The receiver load benchmark: bare axum vs the receiver on SQLite
    /// (and PostgreSQL with --pg-url).
    Receiver(ReceiverArgs),
    /// The receiver's and the operator reads' cost as the tables grow
    /// (prefilled to each of --sizes orders).
    Growth(growth::GrowthArgs),
}

#[derive(clap::Args, Debug, Clone)]
struct ReceiverArgs {
    /// PostgreSQL URL for the PostgreSQL rows (a throwaway database; use a
    /// cluster with fsync on for durable figures).
    #[arg(long, env = "ZEUS_CARRIER_BENCH_PG_URL")]
    pg_url: Option<String>,
    /// Requests per closed-loop row.
    #[arg(long, default_value_t = 20_000)]
    requests: u64,
    /// Time cap per row, in seconds (no request starts after it).
    #[arg(long, default_value_t = 60)]
    max_secs: u64,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Rate of the paced run, requests per second (0: no paced run).
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Duration of the paced run per backend, in seconds.
    #[arg(long, default_value_t = 10)]
    paced_secs: u64,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Where the SQLite database files go (a real disk: the figures are
    /// about fsync).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only these rows (comma-separated: bare, sqlite, pg, floor-sqlite,
    /// floor-pg; the floor rows run only when named).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// Which server a row runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Bare,
    Sqlite,
    Postgres,
    FloorSqlite,
    FloorPostgres,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Bare => "bare axum (successok only)",
            Backend::Sqlite => "receiver + SQLite (WAL, FULL)",
            Backend::Postgres => "receiver + PostgreSQL",
            Backend::FloorSqlite => "floor: 1 row/call, SQLite",
            Backend::FloorPostgres => "floor: 1 row/call, PostgreSQL",
        }
    }

    /// A floor row ([`floor`]), not a receiver.
    fn is_floor(self) -> bool {
        matches!(self, Backend::FloorSqlite | Backend::FloorPostgres)
    }

    fn key(self) -> &'static str {
        match self {
            Backend::Bare => "bare",
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "pg",
            Backend::FloorSqlite => "floor-sqlite",
            Backend::FloorPostgres => "floor-pg",
        }
    }
}

/// The traffic of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    /// Every call a new order.
    Distinct,
    /// Each order's notification ten times in a row.
    DupHeavy,
}

impl Mix {
    fn label(self) -> &'static str {
        match self {
            Mix::Distinct => "distinct",
            Mix::DupHeavy => "dup-heavy (90 %)",
        }
    }

    /// The order (index) that request `i` is about.
    fn order_of(self, i: u64) -> u64 {
        match self {
            Mix::Distinct => i,
            Mix::DupHeavy => i / DUP_FACTOR,
        }
    }
}

/// A running server: its address and the way to stop it.
struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    store: Option<Store>,
    floor: Option<floor::Floor>,
    _dir: Option<tempfile::TempDir>,
}

async fn bare_handler() -> &'static str {
    "successok"
}

/// Serves `app` on `127.0.0.1:0` with connect info, like the receiver needs.
async fn serve(
    app: Router,
) -> std::io::Result<(SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await;
        if let Err(e) = served {
            eprintln!("server: {e}");
        }
    });
    Ok((addr, tx, task))
}

async fn start(backend: Backend, args: &ReceiverArgs) -> Result<Server, String> {
    let (store, dir) = match backend {
        Backend::Bare => {
            let app = Router::new().route(PATH, get(bare_handler));
            let (addr, stop, task) = serve(app).await.map_err(|e| e.to_string())?;
            return Ok(Server {
                addr,
                stop: Some(stop),
                task,
                store: None,
                floor: None,
                _dir: None,
            });
        }
        Backend::FloorSqlite | Backend::FloorPostgres => {
            let (f, dir) = if backend == Backend::FloorSqlite {
                let dir = temp_dir(args)?;
                (floor::sqlite(dir.path().join("floor.db"))?, Some(dir))
            } else {
                let url = args.pg_url.as_deref().ok_or("no --pg-url")?;
                let table = format!("bench_floor_{}", prefix("f").to_lowercase());
                (floor::postgres(url, &table).await?, None)
            };
            let (addr, stop, task) = serve(f.router.clone()).await.map_err(|e| e.to_string())?;
            return Ok(Server {
                addr,
                stop: Some(stop),
                task,
                store: None,
                floor: Some(f),
                _dir: dir,
            });
        }
        Backend::Sqlite => {
            let dir = temp_dir(args)?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            let store = Store::connect(&url).await.map_err(|e| e.to_string())?;
            (store, Some(dir))
        }
        Backend::Postgres => {
            let url = args.pg_url.as_deref().ok_or("no --pg-url")?;
            let store = Store::connect(url).await.map_err(|e| e.to_string())?;
            (store, None)
        }
    };
    let (addr, stop, task) = serve(cgi::router(store.clone()))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Server {
        addr,
        stop: Some(stop),
        task,
        store: Some(store),
        floor: None,
        _dir: dir,
    })
}

/// A directory for a row's database file: in `--dir`, or the system's.
fn temp_dir(args: &ReceiverArgs) -> Result<tempfile::TempDir, String> {
    match &args.dir {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .map_err(|e| format!("temp dir: {e}"))
}

impl Server {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(store) = &self.store {
            store.close().await;
        }
    }
}

/// The order number of order `n` in run `prefix`: at most 38 characters of
/// `A-Z a-z 0-9 . -` (SPEC §9).
fn order_no(prefix: &str, n: u64) -> String {
    format!("{prefix}-{n:08}")
}

/// The CGI query of request `i`: every parameter selected, as the gateway
/// sends a status 03 (authorized) call.
fn query(prefix: &str, mix: Mix, i: u64) -> String {
    let n = mix.order_of(i);
    format!(
        "clientip={CLIENTIP}&money=1000&username={USERNAME_SJIS}&telno=09012345678\
         &email=shopper%40example.invalid&sendid={prefix}-S{n}&sendpoint=p-1\
         &order_no={}&carrier_type=D&status={}&error_code=-",
        order_no(prefix, n),
        Status::Authorized.code()
    )
}

/// A unique order-number prefix for one row (rows may share a database).
fn prefix(tag: &str) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("B{secs}{:05}{tag}", std::process::id() % 100_000)
}

/// Checks every order a receiver row touched: created once, in status 03,
/// one applied notification and the rest counted as duplicates. `Ok` with
/// the number of orders checked.
async fn verify(store: &Store, prefix: &str, mix: Mix, report: &Report) -> Result<u64, String> {
    if report.errors > 0 || report.capped {
        // Which calls were recorded is then not known exactly; the counts
        // below would not add up. Check what can be checked: no order is
        // recorded twice (the unique key) and none moved past 03.
        return Ok(0);
    }
    let sent = report.ok;
    let orders = match mix {
        Mix::Distinct => sent,
        Mix::DupHeavy => sent.div_ceil(DUP_FACTOR),
    };
    for n in 0..orders {
        let no = order_no(prefix, n);
        let number = zeus_carrier_core::values::OrderNo::parse(&no).map_err(|e| e.to_string())?;
        let o = store
            .get_order(&number)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{no}: acknowledged but not recorded"))?;
        let calls = match mix {
            Mix::Distinct => 1,
            Mix::DupHeavy => DUP_FACTOR.min(sent - n * DUP_FACTOR),
        };
        let c = o.counters();
        if o.status() != Status::Authorized || c.notifications != 1 || c.duplicates != calls - 1 {
            return Err(format!(
                "{no}: status {} notifications {} duplicates {} (expected 03, 1, {})",
                o.status().code(),
                c.notifications,
                c.duplicates,
                calls - 1
            ));
        }
        if o.history().len() != 1 {
            return Err(format!(
                "{no}: {} history rows, expected 1",
                o.history().len()
            ));
        }
    }
    Ok(orders)
}

/// One measured row.
struct Row {
    backend: Backend,
    mix: String,
    report: Report,
    verified: Option<Result<u64, String>>,
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn run_row(
    server_rt: &Runtime,
    client_rt: &Runtime,
    backend: Backend,
    mix: Mix,
    pace: Pace,
    requests: u64,
    args: &ReceiverArgs,
) -> Result<Row, String> {
    let server = server_rt.block_on(start(backend, args))?;
    let tag = match (mix, pace) {
        (_, Pace::Rate { .. }) => "p",
        (Mix::Distinct, Pace::ClosedLoop) => "d",
        (Mix::DupHeavy, Pace::ClosedLoop) => "u",
    };
    let prefix = Arc::new(prefix(tag));
    let p = prefix.clone();
    let plan = Plan {
        addr: server.addr,
        path: PATH.to_owned(),
        requests,
        max: Duration::from_secs(args.max_secs),
        concurrency: args.concurrency,
        pace,
        query: Arc::new(move |i| query(&p, mix, i)),
    };
    let report = client_rt.block_on(load::run(plan));
    let verified = match (&server.store, &server.floor) {
        (Some(store), _) => Some(server_rt.block_on(verify(store, &prefix, mix, &report))),
        (None, Some(f)) => Some(server_rt.block_on(f.finish()).and_then(|n| {
            if n == report.ok {
                Ok(n)
            } else {
                Err(format!("{n} rows for {} acknowledged calls", report.ok))
            }
        })),
        (None, None) => None,
    };
    server_rt.block_on(server.stop());
    let mix = match pace {
        Pace::ClosedLoop => mix.label().to_owned(),
        Pace::Rate { per_sec } => format!("paced {per_sec:.0}/s"),
    };
    Ok(Row {
        backend,
        mix,
        report,
        verified,
    })
}

fn print_row(row: &Row, bare: Option<f64>) {
    let r = &row.report;
    let ratio = match bare {
        Some(b) if b > 0.0 => format!("{:.1} %", 100.0 * r.throughput() / b),
        _ => "-".to_owned(),
    };
    let check = match &row.verified {
        None => "-".to_owned(),
        Some(Ok(0)) => "not checked (errors)".to_owned(),
        Some(Ok(n)) if row.backend.is_floor() => format!("ok ({n} rows)"),
        Some(Ok(n)) => format!("ok ({n} orders)"),
        Some(Err(e)) => format!("FAILED: {e}"),
    };
    println!(
        "| {:<30} | {:<16} | {:>6} | {:>6} | {:>8.0} | {:>7} | {:>7} | {:>7} | {:>8} | {} |",
        row.backend.label(),
        row.mix,
        r.ok,
        r.errors,
        r.throughput(),
        ms(r.quantile(0.50)),
        ms(r.quantile(0.99)),
        ms(r.quantile(1.0)),
        ratio,
        check
    );
    if let Some(e) = &r.first_error {
        println!("|   first error: {e}");
    }
    if r.capped {
        println!("|   stopped by the time cap before every request was sent");
    }
}

fn header() {
    println!(
        "| {:<30} | {:<16} | {:>6} | {:>6} | {:>8} | {:>7} | {:>7} | {:>7} | {:>8} | check |",
        "server", "load", "ok", "errors", "req/s", "p50 ms", "p99 ms", "max ms", "vs bare"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|{}|{}|{}|---|",
        "-".repeat(32),
        "-".repeat(18),
        "-".repeat(8),
        "-".repeat(8),
        "-".repeat(10),
        "-".repeat(9),
        "-".repeat(9),
        "-".repeat(9),
        "-".repeat(10)
    );
}

/// Whether a receiver row's every order was checked and correct.
fn checked(row: &Row) -> bool {
    matches!(row.verified, Some(Ok(n)) if n > 0)
}

/// The issue #12 targets of the receiver rows: throughput of the distinct
/// mix as a share of the bare handler's (measured right before it), and
/// p99 of the paced run.
#[derive(Default)]
struct Targets {
    /// `(backend, req/s, bare req/s, every order checked)` of the distinct rows.
    closed: Vec<(Backend, f64, Option<f64>, bool)>,
    /// `(backend, p99, req/s, every order checked)` of the paced rows.
    paced: Vec<(Backend, Duration, f64, bool)>,
}

/// The share of the bare handler's throughput each backend must reach.
fn min_share(backend: Backend) -> Option<f64> {
    match backend {
        Backend::Bare | Backend::FloorSqlite | Backend::FloorPostgres => None,
        Backend::Sqlite => Some(50.0),
        Backend::Postgres => Some(25.0),
    }
}

/// The paced run's p99 bound.
const MAX_P99: Duration = Duration::from_millis(20);

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

impl Targets {
    fn print(&self, rate: u64) {
        println!();
        println!("== summary: issue #12 targets (this run; every order checked after each row) ==");
        for &(backend, rps, bare, ok) in &self.closed {
            if let (true, Some(bare)) = (backend.is_floor(), bare) {
                println!(
                    "{} distinct: {rps:.0} / {bare:.0} req/s = {:.1} % of bare axum \
                     (no target: the most a receiver storing each call could reach here){}",
                    backend.label(),
                    100.0 * rps / bare,
                    if ok { "" } else { " (rows not checked)" },
                );
            }
            let (Some(min), Some(bare)) = (min_share(backend), bare) else {
                continue;
            };
            let share = 100.0 * rps / bare;
            println!(
                "{} distinct: {rps:.0} / {bare:.0} req/s = {share:.1} % of bare axum \
                 (target ≥ {min} %)   {}{}",
                backend.label(),
                verdict(share >= min && ok),
                if ok { "" } else { " (orders not checked)" },
            );
        }
        for &(backend, p99, rps, ok) in &self.paced {
            if backend == Backend::Bare {
                continue;
            }
            // Behind the pace, p99 is the queue's: not met.
            let kept = rps >= 0.98 * rate as f64;
            println!(
                "{} paced {rate}/s: p99 {} ms (target ≤ {} ms){}   {}",
                backend.label(),
                ms(p99),
                MAX_P99.as_millis(),
                if kept { "" } else { ", fell behind the pace" },
                verdict(p99 <= MAX_P99 && kept && ok),
            );
        }
    }
}

/// The server's and the load generator's runtimes.
fn runtimes(server_threads: usize, client_threads: usize) -> Result<(Runtime, Runtime), String> {
    let runtime = |threads: usize, name: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    };
    Ok((
        runtime(server_threads, "server")?,
        runtime(client_threads, "load")?,
    ))
}

fn receiver(args: ReceiverArgs) -> Result<(), String> {
    let (server_rt, client_rt) = runtimes(args.server_threads, args.client_threads)?;
    let mut backends = vec![Backend::Bare, Backend::Sqlite];
    if args.pg_url.is_some() {
        backends.push(Backend::Postgres);
    }
    if !args.only.is_empty() {
        backends = [
            Backend::Bare,
            Backend::Sqlite,
            Backend::Postgres,
            Backend::FloorSqlite,
            Backend::FloorPostgres,
        ]
        .into_iter()
        .filter(|b| args.only.iter().any(|o| o == b.key()))
        .collect();
    }
    println!(
        "zeus-carrier-bench receiver: {} requests per row (time cap {} s), {} connections, \
         server {} threads, load generator {} threads, {} CPUs",
        args.requests,
        args.max_secs,
        args.concurrency,
        args.server_threads,
        args.client_threads,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let started = Instant::now();
    header();
    let mut failed = false;
    let mut targets = Targets::default();
    for mix in [Mix::Distinct, Mix::DupHeavy] {
        let mut bare = None;
        for &backend in &backends {
            let row = run_row(
                &server_rt,
                &client_rt,
                backend,
                mix,
                Pace::ClosedLoop,
                args.requests,
                &args,
            )?;
            if backend == Backend::Bare {
                bare = Some(row.report.throughput());
            }
            failed |= matches!(row.verified, Some(Err(_)));
            print_row(&row, bare);
            if mix == Mix::Distinct {
                targets
                    .closed
                    .push((backend, row.report.throughput(), bare, checked(&row)));
            }
        }
    }
    if args.rate > 0 {
        let requests = args.rate * args.paced_secs;
        for &backend in &backends {
            let row = run_row(
                &server_rt,
                &client_rt,
                backend,
                Mix::Distinct,
                Pace::Rate {
                    per_sec: args.rate as f64,
                },
                requests,
                &args,
            )?;
            failed |= matches!(row.verified, Some(Err(_)));
            print_row(&row, None);
            targets.paced.push((
                backend,
                row.report.quantile(0.99),
                row.report.throughput(),
                checked(&row),
            ));
        }
    }
    targets.print(args.rate);
    println!("total time {:.1} s", started.elapsed().as_secs_f64());
    if failed {
        return Err("a receiver row failed its check".to_owned());
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Receiver(args) => receiver(args),
        Command::Growth(args) => growth::growth(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zeus-carrier-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
