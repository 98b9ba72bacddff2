//! The demo's output: a timeline on stdout, one line per thing that
//! happened (Japan time first), and the checks against SPEC.md, each
//! printed `✓` or `✗ … differs`.

use std::fmt::Display;

use chrono::DateTime;
use zeus_carrier_core::Status;

/// Where the timeline goes and what the checks found.
#[derive(Debug)]
pub(super) struct Timeline<W> {
    out: W,
    passed: usize,
    differed: Vec<String>,
}

impl<W: std::io::Write> Timeline<W> {
    pub(super) fn new(out: W) -> Timeline<W> {
        Timeline {
            out,
            passed: 0,
            differed: Vec::new(),
        }
    }

    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        // The timeline is best effort: a closed stdout must not stop the
        // checks (the exit code still tells the result).
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    /// Free text.
    pub(super) fn say(&mut self, text: impl Display) {
        self.line(format_args!("{text}"));
    }

    /// A step's heading.
    pub(super) fn step(&mut self, n: u32, title: &str) {
        self.line(format_args!("\n── {n}. {title} ──"));
    }

    /// Something that happened at `at` (RFC 3339; shown in Japan time),
    /// seen from `who`.
    pub(super) fn event(&mut self, at: &str, who: &str, text: impl Display) {
        self.line(format_args!("{}  {who:<9} {text}", jst(at)));
    }

    /// A check: `ok` or not; `what` says what SPEC.md expects.
    pub(super) fn check(&mut self, ok: bool, what: impl Display, got: impl Display) {
        if ok {
            self.passed += 1;
            self.line(format_args!("                     ✓ {what}"));
        } else {
            let msg = format!("{what}: differs, got {got}");
            self.line(format_args!("                     ✗ {msg}"));
            self.differed.push(msg);
        }
    }

    /// A check that `got` equals `expected`.
    pub(super) fn expect_eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: impl Display,
        expected: T,
        got: T,
    ) {
        let ok = expected == got;
        self.check(ok, what, format!("{got:?} (expected {expected:?})"));
    }

    /// How many checks passed.
    pub(super) fn passed(&self) -> usize {
        self.passed
    }

    /// The checks that differed.
    pub(super) fn differed(&self) -> &[String] {
        &self.differed
    }
}

/// An RFC 3339 instant as `2026-01-14 10:00:00` in Japan time (D-5); an
/// unreadable one is shown as it is, padded to the same width.
pub(super) fn jst(at: &str) -> String {
    match DateTime::parse_from_rfc3339(at) {
        Ok(t) => zeus_carrier_core::time::to_jst(&t)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) if at.is_empty() => " ".repeat(19),
        Err(_) => format!("{at:<19}"),
    }
}

/// `03 仮売完了` for a status code; an unknown code as it is.
pub(super) fn status_text(code: &str) -> String {
    match Status::from_code(code) {
        Ok(s) => format!("{code} {}", s.label_ja()),
        Err(_) => format!("{code} (unknown status)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d_5_times_are_shown_in_japan_time() {
        assert_eq!(jst("2026-01-14T01:00:00Z"), "2026-01-14 10:00:00");
        assert_eq!(jst("2026-01-14T10:00:00+09:00"), "2026-01-14 10:00:00");
        assert_eq!(jst("nonsense"), format!("{:<19}", "nonsense"));
    }

    #[test]
    fn checks_count_and_keep_what_differed() {
        let mut t = Timeline::new(Vec::new());
        t.expect_eq("status", "03", "03");
        t.expect_eq("status", "07", "05");
        t.check(false, "mail", "none");
        assert_eq!(t.passed(), 1);
        assert_eq!(t.differed().len(), 2);
        let text = String::from_utf8(t.out).expect("utf-8");
        assert!(text.contains("✓ status"), "{text}");
        assert!(
            text.contains("✗ status: differs, got \"05\" (expected \"07\")"),
            "{text}"
        );
        assert_eq!(status_text("10"), "10 仮売取消完了");
        assert_eq!(status_text("99"), "99 (unknown status)");
    }
}
