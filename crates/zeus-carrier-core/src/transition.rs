//! The transition table of SPEC §3: one table that drives the guards and
//! generates the documentation (R-TR-1, R-TR-2, D-2).

use serde::{Deserialize, Serialize};
use strum::{EnumCount, EnumIter, IntoEnumIterator, IntoStaticStr};

use crate::status::Status;

/// What happens to an order, without the data it carries (SPEC §3 "event").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    EnumCount,
    IntoStaticStr,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    /// The carrier approves the payment of a merchant in immediate-sale mode
    /// (決済処理).
    ApproveImmediate,
    /// The carrier approves the payment of a merchant in authorization mode
    /// (仮売決済処理).
    ApproveAuthorization,
    /// The carrier declines the payment.
    Decline,
    /// The merchant settles with date = today (R-SL-2, D-6).
    SettleToday,
    /// The merchant settles with a future date: a reservation (R-SL-2).
    SettleFuture,
    /// The merchant withdraws a reservation with `autype=auth` before its
    /// date (R-SL-6).
    WithdrawReservation,
    /// 00:00 Japan time of a reservation's date arrives (R-SL-2).
    SettleDateArrives,
    /// The carrier confirms a settlement.
    CarrierConfirmsSettle,
    /// The carrier rejects a settlement.
    CarrierRejectsSettle,
    /// The merchant cancels and the carrier carries it out.
    CancelOk,
    /// The merchant cancels and the carrier fails to carry it out.
    CancelFail,
}

impl EventKind {
    /// The snake_case name used in JSON and docs.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// A one-line description for generated docs.
    pub const fn describe(self) -> &'static str {
        match self {
            EventKind::ApproveImmediate => "carrier approves (immediate mode)",
            EventKind::ApproveAuthorization => "carrier approves (authorization mode)",
            EventKind::Decline => "carrier declines",
            EventKind::SettleToday => "settle with date = today (D-6)",
            EventKind::SettleFuture => "settle with a future date (date/amount replaced)",
            EventKind::WithdrawReservation => "`autype=auth` before the settle date (R-SL-6)",
            EventKind::SettleDateArrives => "the settle date arrives (00:00 Japan time)",
            EventKind::CarrierConfirmsSettle => "carrier confirms",
            EventKind::CarrierRejectsSettle => "carrier rejects",
            EventKind::CancelOk => "cancel; carrier ok",
            EventKind::CancelFail => "cancel; carrier fails",
        }
    }

    /// The event in the words of the gateway's management screen
    /// (売上管理画面), as the sandbox's history shows it.
    pub const fn label_ja(self) -> &'static str {
        match self {
            EventKind::ApproveImmediate => "決済完了 (キャリア承認)",
            EventKind::ApproveAuthorization => "仮売完了 (キャリア承認)",
            EventKind::Decline => "決済失敗 (キャリア否認)",
            EventKind::SettleToday => "売上処理 (売上指定日 当日)",
            EventKind::SettleFuture => "売上指定 (決済予約)",
            EventKind::WithdrawReservation => "売上指定の取り下げ (仮売に変更)",
            EventKind::SettleDateArrives => "売上指定日の到来",
            EventKind::CarrierConfirmsSettle => "売上確定",
            EventKind::CarrierRejectsSettle => "売上確定失敗",
            EventKind::CancelOk => "取消",
            EventKind::CancelFail => "取消失敗",
        }
    }

    /// Who causes the event.
    pub const fn actor(self) -> Actor {
        match self {
            EventKind::ApproveImmediate
            | EventKind::ApproveAuthorization
            | EventKind::Decline
            | EventKind::CarrierConfirmsSettle
            | EventKind::CarrierRejectsSettle => Actor::Carrier,
            EventKind::SettleToday
            | EventKind::SettleFuture
            | EventKind::WithdrawReservation
            | EventKind::CancelOk
            | EventKind::CancelFail => Actor::Merchant,
            EventKind::SettleDateArrives => Actor::Clock,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who causes an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Actor {
    /// The carrier (through the gateway).
    Carrier,
    /// The merchant (Secure Link or the management screen).
    Merchant,
    /// The passing of time (a reservation's date).
    Clock,
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transition {
    /// The status the order is in.
    pub from: Status,
    /// What happens.
    pub event: EventKind,
    /// The status the order moves to.
    pub to: Status,
}

const fn t(from: Status, event: EventKind, to: Status) -> Transition {
    Transition { from, event, to }
}

use EventKind as E;
use Status as S;

/// Every allowed transition (SPEC §3). A pair not in this table is rejected
/// (R-TR-1). This is the only place the transitions are written down: the
/// guards, the sandbox, the receiver and the generated docs all read it.
pub const TRANSITIONS: &[Transition] = &[
    t(S::Accepting, E::ApproveImmediate, S::Completed),
    t(S::Accepting, E::ApproveAuthorization, S::Authorized),
    t(S::Accepting, E::Decline, S::PaymentFailed),
    t(S::Authorized, E::SettleToday, S::Settling),
    t(S::SettleReserved, E::SettleToday, S::Settling),
    t(S::Authorized, E::SettleFuture, S::SettleReserved),
    t(S::SettleReserved, E::SettleFuture, S::SettleReserved),
    t(S::SettleReserved, E::WithdrawReservation, S::Authorized),
    t(S::SettleReserved, E::SettleDateArrives, S::Settling),
    t(S::Settling, E::CarrierConfirmsSettle, S::Completed),
    t(S::Settling, E::CarrierRejectsSettle, S::SettleFailed),
    t(S::Authorized, E::CancelOk, S::AuthorizationCancelled),
    t(S::SettleReserved, E::CancelOk, S::AuthorizationCancelled),
    t(S::Authorized, E::CancelFail, S::AuthorizationCancelFailed),
    t(
        S::SettleReserved,
        E::CancelFail,
        S::AuthorizationCancelFailed,
    ),
    t(S::Completed, E::CancelOk, S::Cancelled),
    t(S::Completed, E::CancelFail, S::CompletedCancelFailed),
];

/// An event that the order's status does not allow (R-TR-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event {event} is not allowed in status {from} (R-TR-1; gateway code {})", self.error_code().code)]
#[non_exhaustive]
pub struct TransitionError {
    /// The status the order was in.
    pub from: Status,
    /// The event that was refused.
    pub event: EventKind,
}

impl TransitionError {
    /// The gateway's answer to an operation the status does not allow
    /// (R-TR-1): 処理できないステータス from the operation's own family —
    /// `010010107` for a cancel, `010010007` for a settle (the cancel's
    /// codes, docs/DECISIONS.md). Events no merchant operation causes
    /// (the carrier's, the clock's) are given the settle family's code.
    pub const fn error_code(&self) -> &'static crate::error_code::ErrorCode {
        match self.event {
            EventKind::CancelOk | EventKind::CancelFail => {
                crate::error_code::codes::CANCEL_NOT_ALLOWED
            }
            EventKind::ApproveImmediate
            | EventKind::ApproveAuthorization
            | EventKind::Decline
            | EventKind::SettleToday
            | EventKind::SettleFuture
            | EventKind::WithdrawReservation
            | EventKind::SettleDateArrives
            | EventKind::CarrierConfirmsSettle
            | EventKind::CarrierRejectsSettle => crate::error_code::codes::NOT_ALLOWED,
        }
    }
}

/// [`TRANSITIONS`] as a (status, event) → status array, built from it at
/// compile time: the table stays the only place a transition is written,
/// and a lookup is one indexed load (docs/PERFORMANCE.md).
const LOOKUP: [[Option<Status>; <EventKind as EnumCount>::COUNT]; <Status as EnumCount>::COUNT] = {
    let mut lookup = [[None; <EventKind as EnumCount>::COUNT]; <Status as EnumCount>::COUNT];
    let mut i = 0;
    while i < TRANSITIONS.len() {
        let t = TRANSITIONS[i];
        lookup[t.from as usize][t.event as usize] = Some(t.to);
        i += 1;
    }
    lookup
};

/// Looks `(from, event)` up in the table (R-TR-1).
pub fn next_status(from: Status, event: EventKind) -> Result<Status, TransitionError> {
    LOOKUP[from as usize][event as usize].ok_or(TransitionError { from, event })
}

/// Statuses reachable from `from` in one or more steps of the table.
pub fn reachable_from(from: Status) -> Vec<Status> {
    let mut seen = [false; <Status as EnumCount>::COUNT];
    let mut stack = vec![from];
    let mut out = Vec::new();
    while let Some(s) = stack.pop() {
        for t in TRANSITIONS.iter().filter(|t| t.from == s) {
            let i = t.to as usize;
            if !seen[i] {
                seen[i] = true;
                out.push(t.to);
                stack.push(t.to);
            }
        }
    }
    out.sort();
    out
}

/// Whether `to` lies ahead of `from` along the table: reachable in one or
/// more steps. A notification for a status that is not ahead would move the
/// order backwards or sideways (R-CG-4).
pub fn is_forward(from: Status, to: Status) -> bool {
    reachable_from(from).contains(&to)
}

/// Statuses in which no event is allowed (D-2).
pub fn terminal_statuses() -> Vec<Status> {
    Status::iter().filter(|s| s.is_terminal()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R-TR-1, R-CN-1: a refused cancel answers the cancel family's
    /// 010010107, a refused settle 010010007 — the same codes the core's
    /// answers give (`cancel::answer_cancel`, `settle::answer_settle`).
    #[test]
    fn r_tr_1_refused_operations_name_their_own_familys_code() {
        for from in Status::iter() {
            for event in EventKind::iter() {
                let Err(e) = next_status(from, event) else {
                    continue;
                };
                let want = match event {
                    EventKind::CancelOk | EventKind::CancelFail => "010010107",
                    _ => "010010007",
                };
                assert_eq!(e.error_code().code, want, "{from} {event}");
                assert!(
                    e.to_string().ends_with(&format!("gateway code {want})")),
                    "{e}"
                );
            }
        }
    }

    /// The screen's history names every event in Japanese, each one its own.
    #[test]
    fn every_event_has_its_own_japanese_label() {
        let labels: Vec<&str> = EventKind::iter().map(EventKind::label_ja).collect();
        for (i, l) in labels.iter().enumerate() {
            assert!(!l.is_ascii(), "{l}");
            assert!(!labels[..i].contains(l), "{l} twice");
        }
    }

    /// §3 written out independently of [`TRANSITIONS`], as (from, event) →
    /// to, so the exhaustive check compares two spellings of the spec.
    fn spec_section_3(from: Status, event: EventKind) -> Option<Status> {
        use EventKind::*;
        use Status::*;
        match (from, event) {
            (Accepting, ApproveImmediate) => Some(Completed),
            (Accepting, ApproveAuthorization) => Some(Authorized),
            (Accepting, Decline) => Some(PaymentFailed),
            (Authorized | SettleReserved, SettleToday) => Some(Settling),
            (Authorized | SettleReserved, SettleFuture) => Some(SettleReserved),
            (SettleReserved, WithdrawReservation) => Some(Authorized),
            (SettleReserved, SettleDateArrives) => Some(Settling),
            (Settling, CarrierConfirmsSettle) => Some(Completed),
            (Settling, CarrierRejectsSettle) => Some(SettleFailed),
            (Authorized | SettleReserved, CancelOk) => Some(AuthorizationCancelled),
            (Authorized | SettleReserved, CancelFail) => Some(AuthorizationCancelFailed),
            (Completed, CancelOk) => Some(Cancelled),
            (Completed, CancelFail) => Some(CompletedCancelFailed),
            _ => None,
        }
    }

    #[test]
    fn r_tr_1_every_status_event_pair_matches_section_3() {
        let mut allowed = 0;
        for from in Status::iter() {
            for event in EventKind::iter() {
                let got = next_status(from, event);
                match spec_section_3(from, event) {
                    Some(to) => {
                        allowed += 1;
                        assert_eq!(got, Ok(to), "{from} --{event}-->");
                    }
                    None => assert_eq!(got, Err(TransitionError { from, event })),
                }
            }
        }
        assert_eq!(allowed, TRANSITIONS.len());
    }

    #[test]
    fn r_tr_event_names_display_as_snake_case() {
        assert_eq!(
            EventKind::SettleDateArrives.to_string(),
            "settle_date_arrives"
        );
        assert_eq!(EventKind::CancelOk.to_string(), EventKind::CancelOk.name());
    }

    #[test]
    fn r_tr_table_has_no_duplicate_pairs() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in &TRANSITIONS[i + 1..] {
                assert!(!(a.from == b.from && a.event == b.event), "{a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn d2_terminal_statuses_absorb_every_event() {
        let terminal: Vec<_> = terminal_statuses().iter().map(|s| s.code()).collect();
        assert_eq!(terminal, ["02", "06", "08", "09", "10", "11"]);
        for s in terminal_statuses() {
            for e in EventKind::iter() {
                assert!(next_status(s, e).is_err());
            }
        }
    }

    #[test]
    fn r_tr_every_status_is_reachable_from_accepting() {
        let mut all = reachable_from(Status::Accepting);
        all.push(Status::Accepting);
        all.sort();
        assert_eq!(all, Status::iter().collect::<Vec<_>>());
    }

    #[test]
    fn r_cg_4_forward_order_examples() {
        assert!(is_forward(Status::Authorized, Status::Completed));
        assert!(!is_forward(Status::Completed, Status::Authorized));
        assert!(!is_forward(Status::Completed, Status::Completed));
        // SettleReserved ↔ Authorized is a cycle (reservation withdrawn).
        assert!(is_forward(Status::SettleReserved, Status::Authorized));
        assert!(!is_forward(Status::Authorized, Status::PaymentFailed));
    }
}
