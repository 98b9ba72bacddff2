//! `zeus-carrier demo` as a user runs it (INTERFACES §1).

use std::process::Command;
use std::time::Duration;

use crate::process::Running;

#[test]
fn interfaces_1_demo_runs_the_whole_lifecycle_and_exits_0() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zeus-carrier"));
    cmd.arg("demo").env_remove("RUST_LOG");
    let mut demo = Running::start(cmd);
    let exit = demo.wait(Duration::from_secs(150));
    let out = demo.rest_of_stdout(Duration::from_secs(10)).join("\n");
    assert_eq!(exit.code(), Some(0), "{out}");
    for line in [
        // order → authorization → CGI
        "order DEMO-000001 accepted: 01 受付中",
        "01 受付中 → 03 仮売完了 (approve_authorization)",
        "【ZEUS】キャリア決済 仮売完了通知",
        "status 03 仮売完了 (order DEMO-000001, attempt 1) → 200 successok (ok)",
        "GET /orders/DEMO-000001 → 03 仮売完了",
        // settle: a reservation, then a refused one
        "settle {\"date\": \"20260117\"} → 200 outcome success",
        "GET /orders/DEMO-000001 → 04 決済予約",
        "→ 422 failure_order 010010011",
        // the settle date arrives at 00:00 Japan time
        "2026-01-17 00:00:00  gateway   04 決済予約 → 05 確定処理中",
        "05 確定処理中 → 07 決済完了",
        "【ZEUS】キャリア決済 決済完了通知",
        "GET /orders/DEMO-000001 → 07 決済完了 · payout_eligible true",
        // cancel
        "/cancel → 200 outcome success",
        "【ZEUS】キャリア決済 仮売取消完了通知",
        "status 10 仮売取消完了 (order DEMO-000002",
        "GET /orders/DEMO-000002 → 10 仮売取消完了",
        // resends
        "manual resend of #3) → 200 successok (ok)",
        "duplicates 1 · stale 0 (counted in duplicates)",
        // R-CG-3: the 03 resent after 07 was stored before: a duplicate.
        "duplicates 2 · stale 0 (counted in duplicates)",
        "checks behaved as SPEC.md says",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains('✗'), "a check differed:\n{out}");
}
