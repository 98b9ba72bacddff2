//! Why an order needs a person: [`ReconcileReason`], one enum with a stable
//! code (what storage keeps) and a Japanese and an English text (what
//! people read), and [`InFlight`], the durable mark of an operation sent
//! whose outcome is not recorded yet.
//!
//! Reasons are state, so they are never free text: a storage adapter
//! writes [`ReconcileReason::code`] and reads it back with
//! [`ReconcileReason::from_code`]; pages and logs show
//! [`ReconcileReason::text_ja`] / [`ReconcileReason::text_en`] and
//! [`ReconcileReason::check_ja`] (what to compare on the gateway's
//! 売上管理画面).

use std::fmt;

use crate::error_code::{ErrorCode, Lookup, lookup};
use crate::time::{JstDateTime, to_jst};
use crate::values::Money;

/// The merchant's own operations.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum OperationKind {
    /// A settle (`act=settled`, including `autype=auth`).
    Settle,
    /// A cancel (`act=return`).
    Cancel,
}

impl OperationKind {
    /// `settle` or `cancel` (stable, stored).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// 売上 or 取消 (the manual's words).
    pub const fn label_ja(self) -> &'static str {
        match self {
            OperationKind::Settle => "売上",
            OperationKind::Cancel => "取消",
        }
    }
}

/// Why a CGI call was stored but not applied (the stable part of a
/// [`super::Flag`]).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum FlagKind {
    /// `carrier_type` differs from the checkout's.
    CarrierMismatch,
    /// `money` differs from the checkout's (and from any amount this
    /// merchant settled).
    MoneyMismatch,
    /// The checkout was already used by another order.
    CheckoutUsed,
    /// No checkout was saved for the call's `sendid` (the merchant issues
    /// its checkouts, [`super::UnknownSendId::Flag`]).
    NoCheckout,
}

impl FlagKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Why an order needs comparing with the gateway before anyone acts on it
/// again. Stored as [`ReconcileReason::code`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReconcileReason {
    /// A settle or cancel got no readable answer: the gateway may have
    /// acted (R-RS-3).
    OutcomeUnknown(OperationKind),
    /// A settle or cancel answered a code the catalog marks
    /// [`RetryAdvice::ReconcileFirst`](crate::error_code::RetryAdvice::ReconcileFirst)
    /// (already settled, already cancelled, a double request, the carrier's
    /// undetermined answer, …): the gateway's state is not what the record
    /// says.
    ReconcileFirstCode(OperationKind, Lookup),
    /// The gateway answered but the answer could not be recorded.
    NotRecorded(OperationKind),
    /// A CGI call for this order failed the integrity check and was not
    /// applied.
    Flagged(FlagKind),
    /// CGI calls for an order with no record were stored, none applied.
    NeverApplied,
    /// A mark stored by an earlier version of this software, as free text
    /// (read back only; never written).
    Unspecified,
}

impl ReconcileReason {
    /// The stable code storage keeps: `outcome_unknown.settle`,
    /// `reconcile_first.cancel.010100036`, `not_recorded.settle`,
    /// `flagged.money_mismatch`, `never_applied`, `unspecified`.
    pub fn code(&self) -> String {
        match self {
            ReconcileReason::OutcomeUnknown(op) => format!("outcome_unknown.{}", op.as_str()),
            ReconcileReason::ReconcileFirstCode(op, code) => {
                format!("reconcile_first.{}.{}", op.as_str(), code.raw())
            }
            ReconcileReason::NotRecorded(op) => format!("not_recorded.{}", op.as_str()),
            ReconcileReason::Flagged(kind) => format!("flagged.{}", kind.as_str()),
            ReconcileReason::NeverApplied => "never_applied".to_owned(),
            ReconcileReason::Unspecified => "unspecified".to_owned(),
        }
    }

    /// Reads [`ReconcileReason::code`] back; `None` for anything else.
    pub fn from_code(code: &str) -> Option<ReconcileReason> {
        let mut parts = code.splitn(3, '.');
        let head = parts.next()?;
        let op = |s: Option<&str>| s.and_then(|s| s.parse::<OperationKind>().ok());
        let reason = match head {
            "outcome_unknown" => ReconcileReason::OutcomeUnknown(op(parts.next())?),
            "reconcile_first" => {
                let kind = op(parts.next())?;
                let raw = parts.next().filter(|c| !c.is_empty())?;
                return Some(ReconcileReason::ReconcileFirstCode(kind, lookup(raw)));
            }
            "not_recorded" => ReconcileReason::NotRecorded(op(parts.next())?),
            "flagged" => ReconcileReason::Flagged(parts.next()?.parse().ok()?),
            "never_applied" => ReconcileReason::NeverApplied,
            "unspecified" => ReconcileReason::Unspecified,
            _ => return None,
        };
        parts.next().is_none().then_some(reason)
    }

    /// The reason in Japanese, for the merchant's staff.
    pub fn text_ja(&self) -> String {
        match self {
            ReconcileReason::OutcomeUnknown(op) => format!(
                "{}の結果が不明です（応答なし・タイムアウト等）。ゲートウェイで処理された可能性があります",
                op.label_ja()
            ),
            ReconcileReason::ReconcileFirstCode(op, code) => format!(
                "{}がエラーコード {}（{}）で返されました。ゲートウェイ上の状態がこの記録と異なります",
                op.label_ja(),
                code.raw(),
                code.known().map_or("未登録のコード", |e| e.meaning_ja)
            ),
            ReconcileReason::NotRecorded(op) => {
                format!("{}の応答を受けましたが、記録に失敗しました", op.label_ja())
            }
            ReconcileReason::Flagged(kind) => format!(
                "CGI通知が照合に失敗し、反映していません（{}）",
                match kind {
                    FlagKind::CarrierMismatch => "キャリアが注文時と異なる",
                    FlagKind::MoneyMismatch => "金額が注文時と異なる",
                    FlagKind::CheckoutUsed => "同じsendidが別の注文で使用済み",
                    FlagKind::NoCheckout => "sendidに対応する注文（チェックアウト）がない",
                }
            ),
            ReconcileReason::NeverApplied => {
                "この注文番号のCGI通知はすべて照合に失敗し、注文として記録していません".to_owned()
            }
            ReconcileReason::Unspecified => "以前のバージョンで照合が必要とされました".to_owned(),
        }
    }

    /// The reason in English.
    pub fn text_en(&self) -> String {
        match self {
            ReconcileReason::OutcomeUnknown(op) => format!(
                "{} outcome unknown: the gateway may have acted; compare with the management screen or wait for its CGI call (R-RS-3)",
                op.as_str()
            ),
            ReconcileReason::ReconcileFirstCode(op, code) => format!(
                "{} answered {}: the order's state at the gateway is not what this record says; compare before acting",
                op.as_str(),
                code.raw()
            ),
            ReconcileReason::NotRecorded(op) => {
                format!("{} answered but recording the answer failed", op.as_str())
            }
            ReconcileReason::Flagged(kind) => format!(
                "a CGI notification was flagged ({}) and not applied",
                kind.as_str()
            ),
            ReconcileReason::NeverApplied => {
                "CGI notifications for this order were flagged and not applied; no record exists"
                    .to_owned()
            }
            ReconcileReason::Unspecified => {
                "marked for reconciliation by an earlier version".to_owned()
            }
        }
    }

    /// What to check on the gateway's 売上管理画面 before clearing the
    /// mark, in Japanese.
    pub fn check_ja(&self) -> &'static str {
        match self {
            ReconcileReason::OutcomeUnknown(_) | ReconcileReason::NotRecorded(_) => {
                "売上管理画面で注文のステータスと金額を確認し、CGI通知を待つか、確認後にマークを解除してください（再送はしないでください）"
            }
            ReconcileReason::ReconcileFirstCode(..) => {
                "売上管理画面で注文のステータス（売上確定・取消済み等）を確認してください"
            }
            ReconcileReason::Flagged(_) | ReconcileReason::NeverApplied => {
                "売上管理画面で注文番号・キャリア・金額を確認し、自店の注文と一致するか確かめてください"
            }
            ReconcileReason::Unspecified => "売上管理画面で注文の状態を確認してください",
        }
    }

    /// The catalog entry of a "reconcile first" code, when known.
    pub fn error_code(&self) -> Option<&'static ErrorCode> {
        match self {
            ReconcileReason::ReconcileFirstCode(_, code) => code.known(),
            _ => None,
        }
    }
}

impl fmt::Display for ReconcileReason {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text_en())
    }
}

/// An operation sent (or about to be sent) whose outcome is not recorded
/// yet ([`super::MerchantRecord::begin_operation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InFlight {
    /// What was sent.
    pub operation: OperationKind,
    /// The amount a settle asked for (`None` for a cancel, or a settle of
    /// the current amount). A CGI call reporting this amount agrees with
    /// the merchant's own settle even before its answer is recorded.
    pub money: Option<Money>,
    /// When it was marked, just before sending.
    pub since: JstDateTime,
}

impl InFlight {
    /// The mark of `operation` (asking for `money`, for a settle) sent at
    /// `since`.
    pub fn new(operation: OperationKind, money: Option<Money>, since: JstDateTime) -> InFlight {
        InFlight {
            operation,
            money,
            since: to_jst(&since),
        }
    }

    /// The stable code storage keeps: `settle@2026-12-07T10:00:00+09:00`,
    /// or `settle:800@…` with an amount.
    pub fn code(&self) -> String {
        match self.money {
            Some(m) => format!(
                "{}:{}@{}",
                self.operation.as_str(),
                m.yen(),
                self.since.to_rfc3339()
            ),
            None => format!("{}@{}", self.operation.as_str(), self.since.to_rfc3339()),
        }
    }

    /// Reads [`InFlight::code`] back; `None` for anything else.
    pub fn from_code(code: &str) -> Option<InFlight> {
        let (head, at) = code.split_once('@')?;
        let since = chrono::DateTime::parse_from_rfc3339(at).ok()?;
        let (op, money) = match head.split_once(':') {
            Some((op, yen)) => (op, Some(Money::new(yen.parse().ok()?)?)),
            None => (head, None),
        };
        Some(InFlight::new(op.parse().ok()?, money, since))
    }

    /// In Japanese.
    pub fn text_ja(&self) -> String {
        format!(
            "{}を{}に送信しましたが、結果が記録されていません",
            self.operation.label_ja(),
            self.since.format("%Y/%m/%d %H:%M:%S")
        )
    }

    /// In English.
    pub fn text_en(&self) -> String {
        format!(
            "{} sent at {}; no outcome recorded yet",
            self.operation.as_str(),
            self.since.to_rfc3339()
        )
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;
    use crate::error_code::CATALOG;

    fn every_reason() -> Vec<ReconcileReason> {
        let mut v = vec![ReconcileReason::NeverApplied, ReconcileReason::Unspecified];
        for op in OperationKind::iter() {
            v.push(ReconcileReason::OutcomeUnknown(op));
            v.push(ReconcileReason::NotRecorded(op));
            for e in CATALOG {
                v.push(ReconcileReason::ReconcileFirstCode(op, lookup(e.code)));
            }
            v.push(ReconcileReason::ReconcileFirstCode(op, lookup("99ZZ")));
        }
        v.extend(FlagKind::iter().map(ReconcileReason::Flagged));
        v
    }

    #[test]
    fn every_reason_round_trips_through_its_code() {
        for r in every_reason() {
            let code = r.code();
            assert_eq!(ReconcileReason::from_code(&code), Some(r.clone()), "{code}");
            assert!(!r.text_ja().is_empty() && !r.text_en().is_empty());
            assert!(!r.check_ja().is_empty());
        }
    }

    #[test]
    fn codes_are_distinct() {
        let all = every_reason();
        let codes: std::collections::HashSet<String> = all.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn free_text_is_not_a_code() {
        for bad in [
            "",
            "settle outcome unknown",
            "outcome_unknown",
            "outcome_unknown.refund",
            "outcome_unknown.settle.extra",
            "reconcile_first.settle",
            "reconcile_first.settle.",
            "flagged.nope",
            "never_applied.x",
        ] {
            assert_eq!(ReconcileReason::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn in_flight_round_trips() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00+09:00").expect("t");
        for op in OperationKind::iter() {
            for money in [None, Money::new(800)] {
                let m = InFlight::new(op, money, at);
                assert_eq!(InFlight::from_code(&m.code()), Some(m));
                assert!(m.text_ja().contains("2026/12/07 10:00:00"));
            }
        }
        assert_eq!(
            InFlight::from_code("settle:0@2026-12-07T10:00:00+09:00"),
            None
        );
        assert_eq!(InFlight::from_code("settle sent at noon"), None);
        assert_eq!(
            InFlight::from_code("refund@2026-12-07T10:00:00+09:00"),
            None
        );
    }

    #[test]
    fn the_texts_name_the_operation_and_the_code() {
        let r = ReconcileReason::ReconcileFirstCode(OperationKind::Cancel, lookup("010100036"));
        assert!(r.text_en().contains("cancel") && r.text_en().contains("010100036"));
        assert!(r.text_ja().contains("取消") && r.text_ja().contains("010100036"));
        assert!(r.error_code().is_some());
    }
}
