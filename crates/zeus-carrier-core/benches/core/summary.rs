//! The end-of-run summary: each target of issue #5 checked by a measurement
//! taken side by side in this run.
//!
//! Criterion's figures above are the detailed ones; on a shared, noisy
//! machine they are taken minutes apart. The summary measures again in
//! **interleaved rounds**: in each round every subject runs one batch
//! (about a millisecond of work), in alternating order, so a burst of load
//! from another process hits the subject and its baseline alike. A ratio is
//! the median of the per-round ratios; a time is shown as the median round
//! and the best round, and a floor is judged on the best round (other
//! processes only add time).

// The core reads no clock (clippy.toml); a benchmark of it must.
#![allow(
    clippy::disallowed_methods,
    reason = "the benchmark times the core from outside it"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Rounds per measurement (odd: the median is one round's value).
const ROUNDS: usize = 31;
/// How long one batch of one subject should take.
const BATCH_TARGET: Duration = Duration::from_micros(1000);

/// Something measured: runs `n` operations and returns the time they took
/// (setup excluded).
pub(crate) trait Subject {
    /// Runs `n` operations; the time of the operations only.
    fn run(&mut self, n: u64) -> Duration;
}

/// A subject whose operation needs no fresh input: `op` is called `n`
/// times in a loop.
pub(crate) struct Loop<F>(pub(crate) F);

impl<R, F: FnMut() -> R> Subject for Loop<F> {
    fn run(&mut self, n: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            black_box((self.0)());
        }
        start.elapsed()
    }
}

/// A subject whose operation consumes a fresh input (an order to apply an
/// event to): inputs are made by `setup` in chunks of [`CHUNK`] before the
/// clock starts and dropped after it stops (small chunks stay in the cache,
/// as one order being worked on would).
pub(crate) struct Batched<S, F>(pub(crate) S, pub(crate) F);

/// Inputs made at a time by [`Batched`].
const CHUNK: u64 = 64;

impl<I, R, S: FnMut() -> I, F: FnMut(&mut I) -> R> Subject for Batched<S, F> {
    fn run(&mut self, n: u64) -> Duration {
        let mut took = Duration::ZERO;
        let mut left = n;
        while left > 0 {
            let k = left.min(CHUNK);
            left -= k;
            let mut inputs: Vec<I> = (0..k).map(|_| (self.0)()).collect();
            let start = Instant::now();
            for input in &mut inputs {
                black_box((self.1)(black_box(input)));
            }
            took += start.elapsed();
            drop(inputs);
        }
        took
    }
}

/// How many operations make one batch of about [`BATCH_TARGET`].
fn calibrate(subject: &mut dyn Subject) -> u64 {
    let mut n = 1u64;
    loop {
        let took = subject.run(n);
        if took >= BATCH_TARGET / 4 || n >= 1 << 26 {
            let per_op = took.as_secs_f64() / n as f64;
            return ((BATCH_TARGET.as_secs_f64() / per_op) as u64).max(1);
        }
        n *= 4;
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Nanoseconds per operation of each item's subject, round by round,
/// measured interleaved.
fn interleaved<T>(items: &mut [T], subject: fn(&mut T) -> &mut dyn Subject) -> Vec<Vec<f64>> {
    let sizes: Vec<u64> = items.iter_mut().map(|i| calibrate(subject(i))).collect();
    let mut per_round = vec![Vec::with_capacity(ROUNDS); items.len()];
    for round in 0..ROUNDS {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..items.len()).collect()
        } else {
            (0..items.len()).rev().collect()
        };
        for i in order {
            let took = subject(&mut items[i]).run(sizes[i]);
            per_round[i].push(took.as_secs_f64() * 1e9 / sizes[i] as f64);
        }
    }
    per_round
}

/// Formats nanoseconds with a unit that suits them.
pub(crate) fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else if ns >= 10.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.2} ns")
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// Several subjects measured interleaved in the same rounds, each against
/// its own floor. Printed: the median round and the best round; the floor
/// is judged on the best round, because other processes only ever add time
/// to a batch (the median shows how much they added in this run).
pub(crate) fn floors(rows: &mut [(&str, &mut dyn Subject, Option<f64>)]) {
    let rounds = interleaved(rows, |(_, s, _)| &mut **s);
    for ((name, _, max), r) in rows.iter().zip(rounds) {
        let best = r.iter().copied().fold(f64::INFINITY, f64::min);
        let ns = median(r);
        let target = match max {
            Some(max) => format!("target ≤ {:<8} {}", fmt_ns(*max), verdict(best <= *max)),
            None => "(no target)".to_owned(),
        };
        println!(
            "{name:<46} median {:>9}  best {:>9}   {target}",
            fmt_ns(ns),
            fmt_ns(best),
        );
    }
}

/// A ratio target: `name` against `baseline`, measured in the same rounds.
pub(crate) fn ratio<'a>(
    name: &str,
    subject: &'a mut dyn Subject,
    baseline_name: &str,
    baseline: &'a mut dyn Subject,
    max_ratio: f64,
) {
    let rounds = interleaved(&mut [subject, baseline], |s| &mut **s);
    let ratios: Vec<f64> = rounds[0]
        .iter()
        .zip(&rounds[1])
        .map(|(a, b)| a / b)
        .collect();
    let r = median(ratios);
    println!(
        "{name} / {baseline_name} = {r:.2}× (target ≤ {max_ratio}×)   {}   [{} vs {}]",
        verdict(r <= max_ratio),
        fmt_ns(median(rounds[0].clone())),
        fmt_ns(median(rounds[1].clone())),
    );
}

/// Ratio targets against one baseline: every subject and the baseline
/// measured in the same interleaved rounds; each ratio is the median of
/// the per-round ratios (subject ÷ baseline of the same round).
pub(crate) fn ratios(
    baseline_name: &str,
    baseline: &mut dyn Subject,
    rows: &mut [(&str, &mut dyn Subject, Option<f64>)],
) {
    let mut subjects: Vec<&mut dyn Subject> = vec![baseline];
    for (_, s, _) in rows.iter_mut() {
        subjects.push(&mut **s);
    }
    let rounds = interleaved(&mut subjects, |s| &mut **s);
    let base = &rounds[0];
    for ((name, _, max), r) in rows.iter().zip(&rounds[1..]) {
        let ratio = median(r.iter().zip(base).map(|(a, b)| a / b).collect());
        let target = match max {
            Some(max) => format!("(target ≤ {max}×)   {}", verdict(ratio <= *max)),
            None => "(no target)".to_owned(),
        };
        println!(
            "{name} / {baseline_name} = {ratio:.2}× {target}   [{} vs {}]",
            fmt_ns(median(r.clone())),
            fmt_ns(median(base.clone())),
        );
    }
}
