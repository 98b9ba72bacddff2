//! The regression corpus: captured inputs under `tests/corpus/<kind>/`,
//! each replayed through the core's parsers and the merchant's handling,
//! with its outcome snapshot-tested (insta).
//!
//! | directory | a file holds | charset |
//! |---|---|---|
//! | `corpus/cgi/` | the raw query of one CGI call (bytes after `?`, still percent-encoded) | `.sjis` Shift_JIS, `.utf8` UTF-8 |
//! | `corpus/secure_link/` | one Secure Link answer: `.body` the raw body of a `200`, `.http` a raw HTTP response (status line, headers, blank line, body) | — |
//! | `corpus/link_point/` | one urlencoded `order.cgi` form body | `.sjis` Shift_JIS, `.utf8` UTF-8 |
//!
//! Each file's outcome is the snapshot `corpus/snapshots/<kind>@<file>.snap`.
//! A new file is a new snapshot: `cargo insta test -p
//! zeus-carrier-system-tests --test corpus` (or `cargo test`, which leaves a
//! `.snap.new`), then `cargo insta review`, and commit both. With `CI=true`
//! insta writes nothing and a missing or different snapshot fails. A
//! snapshot whose file is gone fails the run too.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use zeus_carrier_core::callback::Callback;
use zeus_carrier_core::link_point::OrderRequest;
use zeus_carrier_core::merchant::{
    Checkout, MerchantRecord, Notice, NoticeEffect, RecordParts, StatusSet, UnknownSendId,
    Withdrawal, on_notification,
};
use zeus_carrier_core::secure_link::{Outcome, Response};
use zeus_carrier_core::values::{Money, OrderNo, SendId};
use zeus_carrier_core::{Charset, Status, error_code};

/// Values and inputs longer than this are cut in the snapshots (the bytes
/// are still replayed whole).
const SHOWN: usize = 160;

/// Input bytes shown in the snapshots (the whole input is replayed).
const SHOWN_INPUT: usize = 400;

/// Replays one corpus file (its path and bytes) into its outcome, or says
/// why the file cannot be replayed (e.g. an extension naming no charset).
type Replay = fn(&Path, &[u8]) -> Result<String, String>;

/// The corpus's kinds: directory name and replay.
const KINDS: &[(&str, Replay)] = &[
    ("cgi", replay_cgi_file),
    ("secure_link", replay_secure_link_file),
    ("link_point", replay_link_point_file),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn snapshot_dir() -> PathBuf {
    corpus_dir().join("snapshots")
}

/// The snapshot name of a corpus file: `<kind>@<file name>`.
fn snapshot_name(kind: &str, file: &Path) -> String {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("corpus file names are UTF-8");
    format!("{kind}@{name}")
}

/// The files of one kind, sorted.
fn files(kind: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Every corpus file replayed and compared with its snapshot. All files
/// are replayed before the test fails, so one run lists every difference
/// (and, outside CI, writes every `.snap.new`).
#[test]
fn every_corpus_file_replays_to_its_snapshot() {
    let mut failed = Vec::new();
    let mut names = Vec::new();
    for (kind, replay) in KINDS {
        let files = files(kind);
        assert!(
            !files.is_empty(),
            "corpus/{kind}/ is empty: the corpus has moved?"
        );
        for file in files {
            let name = snapshot_name(kind, &file);
            names.push(name.clone());
            let raw = std::fs::read(&file).expect("read corpus file");
            let outcome = match replay(&file, &raw) {
                Ok(outcome) => outcome,
                Err(e) => {
                    failed.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(snapshot_dir());
            settings.set_prepend_module_to_snapshot(false);
            settings.set_input_file(&file);
            settings.set_omit_expression(true);
            let checked = catch_unwind(AssertUnwindSafe(|| {
                settings.bind(|| insta::assert_snapshot!(name.clone(), outcome));
            }));
            if checked.is_err() {
                failed.push(format!(
                    "{}: snapshot {name} differs or is new",
                    file.display()
                ));
            }
        }
    }
    // A snapshot without its input is a removed file: delete the snapshot too.
    let snapshots = std::fs::read_dir(snapshot_dir()).into_iter().flatten();
    for entry in snapshots {
        let path = entry.expect("directory entry").path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        if !names.iter().any(|n| n == stem) {
            failed.push(format!(
                "{}: no corpus file corpus/{} any more: delete the snapshot",
                path.display(),
                stem.replacen('@', "/", 1)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} problem(s) with the {} corpus files (review new or changed snapshots with `cargo insta review`):\n{}",
        failed.len(),
        names.len(),
        failed.join("\n")
    );
}

/// The charset a file's extension names: `.sjis` or `.utf8`.
fn charset_of(file: &Path) -> Result<Charset, String> {
    match file.extension().and_then(|e| e.to_str()) {
        Some("sjis") => Ok(Charset::ShiftJis),
        Some("utf8") => Ok(Charset::Utf8),
        other => Err(format!(
            "extension {other:?}: name the charset with .sjis or .utf8"
        )),
    }
}

fn replay_cgi_file(file: &Path, raw: &[u8]) -> Result<String, String> {
    Ok(replay_cgi(raw, charset_of(file)?))
}

/// What happens to one CGI call: the core's reading of the query, then
/// what the merchant's model ([`on_notification`], which the store runs
/// inside each order's transaction) does with it, for an order with no
/// record yet, for a record in 03 (仮売完了) that was notified of 03, and
/// for no record but a saved checkout for the call's `sendid` (1,000 yen,
/// docomo, unused).
fn replay_cgi(raw: &[u8], charset: Charset) -> String {
    let mut out = input(raw, &format!("{charset} CGI query"));
    match Callback::parse_query(raw, charset) {
        Err(e) => {
            let _ = writeln!(out, "parse: error: {e}");
            let _ = writeln!(out, "  {e:?}");
            let _ = writeln!(
                out,
                "merchant: the receiver answers 400; nothing is recorded"
            );
        }
        Ok(cb) => {
            let _ = writeln!(out, "parse: ok");
            for param in cb.present_params() {
                let value = cb.value_of(param).unwrap_or_default();
                let _ = writeln!(out, "  {param}: {}", shown(&value));
            }
            let received =
                chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("instant");
            match Notice::from_callback(&cb, received) {
                Err(e) => {
                    let _ = writeln!(
                        out,
                        "merchant: not a notification ({e}); the receiver answers 400, nothing is recorded"
                    );
                }
                Ok(notice) => {
                    let _ = writeln!(out, "merchant:");
                    let record = record_in_03(&notice.order_no, received);
                    let checkout = notice.sendid.clone().map(|sendid| {
                        Checkout::new(
                            sendid,
                            Money::from_yen(1000).expect("money"),
                            zeus_carrier_core::Carrier::Docomo,
                            received,
                        )
                    });
                    // The default policy (`UnknownSendId::Flag`, INTERFACES
                    // v3): a call without a saved checkout is flagged. The
                    // transitions themselves show under `apply` (v2's
                    // behaviour, `--unknown-sendid apply`).
                    let (flag, apply) = (UnknownSendId::Flag, UnknownSendId::Apply);
                    for (case, record, checkout, policy) in [
                        ("no record yet", None, None, flag),
                        ("no record yet, apply", None, None, apply),
                        ("record in 03, apply", Some(&record), None, apply),
                        ("no record, checkout saved", None, checkout.as_ref(), flag),
                    ] {
                        let d = on_notification(record, checkout, &notice, policy);
                        let _ = writeln!(out, "  {case}: {}", effect(&d.effect));
                    }
                }
            }
        }
    }
    out
}

/// A record in 03, notified of 03.
fn record_in_03(order_no: &OrderNo, at: zeus_carrier_core::JstDateTime) -> MerchantRecord {
    MerchantRecord::from_parts(RecordParts {
        order_no: order_no.clone(),
        status: Status::Authorized,
        money: Money::from_yen(1000).ok(),
        original_money: Money::from_yen(1000).ok(),
        carrier: Some(zeus_carrier_core::Carrier::Docomo),
        clientip: None,
        sendid: SendId::parse("S-1").ok(),
        sendpoint: None,
        first_seen_at: at,
        window_from: at,
        settle_date: None,
        settled_at: None,
        reconciliation: None,
        notified: StatusSet::EMPTY.with(Status::Authorized),
        withdrawal: Withdrawal::None,
        in_flight: None,
        counters: Default::default(),
    })
    .expect("a valid record")
}

/// A notification's effect in words.
fn effect(e: &NoticeEffect) -> String {
    match e {
        NoticeEffect::Created { status } => format!("create in {status}"),
        NoticeEffect::Duplicate { status } => format!("duplicate, stays {status}"),
        NoticeEffect::Advanced { from, to } => format!("advance {from} → {to}"),
        NoticeEffect::Stale { current, reported } => {
            format!("stale: stays {current}, {reported} is recorded only")
        }
        NoticeEffect::Flagged { flag, .. } => {
            format!("flagged, not applied (reconciliation): {flag}")
        }
        other => format!("{other:?}"),
    }
}

fn replay_secure_link_file(file: &Path, raw: &[u8]) -> Result<String, String> {
    match file.extension().and_then(|e| e.to_str()) {
        Some("body") => Ok(replay_secure_link(200, raw)),
        Some("http") => {
            let (status, body) = split_http(raw)?;
            Ok(replay_secure_link(status, body))
        }
        other => Err(format!(
            "extension {other:?}: .body (a 200's body) or .http (a whole HTTP response)"
        )),
    }
}

/// A raw HTTP response: its status code and body.
fn split_http(raw: &[u8]) -> Result<(u16, &[u8]), String> {
    let status = raw
        .strip_prefix(b"HTTP/")
        .and_then(|r| r.split(|b| *b == b' ').nth(1))
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.trim().parse().ok())
        .ok_or("a .http file starts with a status line such as `HTTP/1.1 200 OK`")?;
    let body = find(raw, b"\r\n\r\n")
        .map(|i| &raw[i + 4..])
        .or_else(|| find(raw, b"\n\n").map(|i| &raw[i + 2..]))
        .ok_or("a .http file has a blank line between headers and body")?;
    Ok((status, body))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the merchant makes of one Secure Link answer: the core's reading
/// of the body, the outcome the client reports (R-RS-2, R-RS-3) and the
/// error catalog's entry for its code.
fn replay_secure_link(status: u16, body: &[u8]) -> String {
    let mut out = input(body, &format!("Secure Link answer, HTTP {status}"));
    match Response::parse(body) {
        Ok(r) => {
            let _ = writeln!(out, "parse: ok");
            let _ = writeln!(out, "  result: {}", r.result.wire_name());
            let _ = writeln!(out, "  error_code: {}", shown(&r.error_code));
            let date = r.date.map_or_else(|| "none".to_owned(), |d| d.to_string());
            let _ = writeln!(out, "  date: {date}");
        }
        Err(e) => {
            let _ = writeln!(out, "parse: error: {e}");
        }
    }
    let outcome = Outcome::from_http(status, body);
    let _ = writeln!(out, "outcome: {}", outcome.wire_name());
    // The variant and the raw code as received (the catalog entry follows).
    let shown = match &outcome {
        Outcome::Failure { code } => format!("Failure {{ code: {:?} }}", code.raw()),
        Outcome::Maintenance { code } => format!("Maintenance {{ code: {:?} }}", code.raw()),
        Outcome::Invalid { code } => format!("Invalid {{ code: {:?} }}", code.raw()),
        other => format!("{other:?}"),
    };
    let _ = writeln!(out, "  {shown}");
    if let Some(code) = outcome.error_code().filter(|c| *c != "-") {
        let _ = writeln!(out, "catalog:");
        for line in error_code::lookup(code).to_string().lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn replay_link_point_file(file: &Path, raw: &[u8]) -> Result<String, String> {
    Ok(replay_link_point(raw, charset_of(file)?))
}

/// What the gateway's `order.cgi` (and the sandbox) makes of one Link Point
/// form: the core's reading of the body, then its validation (R-LP-1:
/// every violation at once).
fn replay_link_point(raw: &[u8], charset: Charset) -> String {
    let mut out = input(raw, &format!("{charset} Link Point form"));
    match OrderRequest::parse_urlencoded(raw, charset) {
        Err(e) => {
            let _ = writeln!(out, "parse: error: {e}");
        }
        Ok(request) => {
            let _ = writeln!(out, "parse: ok");
            for (field, value) in request.fields().filter(|(_, v)| !v.is_empty()) {
                let _ = writeln!(out, "  {}: {}", field.wire_name(), shown(value));
            }
            match request.validate(charset) {
                Ok(valid) => {
                    let test = valid
                        .test_id()
                        .map_or_else(|| "no".to_owned(), |id| format!("yes, test ID {id}"));
                    let _ = writeln!(
                        out,
                        "validate: valid ({}, {} yen, test order: {test})",
                        valid.carrier(),
                        valid.money()
                    );
                }
                Err(violations) => {
                    let _ = writeln!(out, "validate: {} violation(s)", violations.len());
                    for v in &violations {
                        let _ = writeln!(out, "  {}", shown(&v.to_string()));
                    }
                }
            }
        }
    }
    out
}

/// The input's header: what it is, its length, and its bytes (ASCII
/// escaped, cut after [`SHOWN_INPUT`] bytes).
fn input(raw: &[u8], what: &str) -> String {
    let cut = &raw[..raw.len().min(SHOWN_INPUT)];
    let more = if raw.len() > SHOWN_INPUT { " …" } else { "" };
    format!(
        "input: {what}, {} bytes\n  {}{more}\n",
        raw.len(),
        cut.escape_ascii()
    )
}

/// A decoded value for the snapshot: `Debug`-quoted, cut after [`SHOWN`]
/// characters.
fn shown(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHOWN {
        format!("{value:?}")
    } else {
        let cut: String = value.chars().take(SHOWN).collect();
        format!("{cut:?} … ({count} characters)")
    }
}
