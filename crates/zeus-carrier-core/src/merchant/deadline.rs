//! When the merchant must act on an order: its settle and cancel windows
//! (D-7, R-SL-1, R-SL-4, R-CN-1) and its reconciliation mark.

use serde::Serialize;

use super::reason::{InFlight, ReconcileReason};
use super::record::MerchantRecord;
use crate::cancel::cancel_plan;
use crate::settle::settle_window_closes;
use crate::status::Status;
use crate::time::{JstDateTime, to_jst};
use crate::values::OrderNo;

/// The windows of an order: the last moments a settle and a cancel are
/// accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Windows {
    /// The last moment to settle: only an authorization (03) still needs the
    /// merchant's settle — until 23:55 (R-SL-4: from then on "today" is
    /// refused and the default date is tomorrow) of the last allowed settle
    /// date (acceptance date + 50, D-7). A reservation (04) settles by
    /// itself on its date.
    pub settle_closes: Option<JstDateTime>,
    /// The last moment to cancel: acceptance + 50 × 24 h for 03 and 04,
    /// settle time + 50 × 24 h for 07 (R-CN-1); none for other statuses.
    pub cancel_closes: Option<JstDateTime>,
}

/// Why an order needs a person, as a [`Deadline`] says: a reconciliation
/// mark, or an operation whose outcome is not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DutyReason {
    /// The record's reconciliation mark.
    Reconcile(ReconcileReason),
    /// An operation in flight: sent, its outcome not recorded.
    InFlight(InFlight),
}

impl DutyReason {
    /// A stable code: the reason's, or `in_flight.settle` / `in_flight.cancel`.
    pub fn code(&self) -> String {
        match self {
            DutyReason::Reconcile(r) => r.code(),
            DutyReason::InFlight(f) => format!("in_flight.{}", f.operation.as_str()),
        }
    }

    /// In Japanese.
    pub fn text_ja(&self) -> String {
        match self {
            DutyReason::Reconcile(r) => r.text_ja(),
            DutyReason::InFlight(f) => f.text_ja(),
        }
    }

    /// In English.
    pub fn text_en(&self) -> String {
        match self {
            DutyReason::Reconcile(r) => r.text_en(),
            DutyReason::InFlight(f) => f.text_en(),
        }
    }

    /// What to check on the gateway's 売上管理画面, in Japanese.
    pub fn check_ja(&self) -> &'static str {
        match self {
            DutyReason::Reconcile(r) => r.check_ja(),
            DutyReason::InFlight(_) => {
                "売上管理画面で注文のステータスを確認し、CGI通知を待つか、確認後にマークを解除してください（再送はしないでください）"
            }
        }
    }
}

impl Serialize for DutyReason {
    /// The English text (INTERFACES §3 `/deadlines` `reason`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text_en())
    }
}

/// Which window or duty a [`Deadline`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The last moment to settle an authorization.
    Settle,
    /// The end of the cancel window.
    Cancel,
    /// The order needs comparing with the gateway (no fixed time).
    Reconciliation,
}

/// Something the merchant must act on before a time (or soon). In JSON:
/// `{"order_no", "status" (the status object, or null for an order never
/// accepted),
/// "kind", "closes_at", "reason"}` (INTERFACES §3 `/deadlines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Deadline {
    /// The order.
    pub order_no: OrderNo,
    /// Its status; `None` for an order with no record (only flagged
    /// notifications).
    pub status: Option<Status>,
    /// What closes.
    pub kind: DeadlineKind,
    /// When it closes; `None` for [`DeadlineKind::Reconciliation`].
    pub closes_at: Option<JstDateTime>,
    /// Why reconciliation is needed, for [`DeadlineKind::Reconciliation`].
    pub reason: Option<DutyReason>,
}

impl Deadline {
    /// The reconciliation duty of an order with no record: notifications
    /// were stored for it but none was applied (each was flagged).
    pub fn unrecorded(order_no: OrderNo) -> Deadline {
        Deadline {
            order_no,
            status: None,
            kind: DeadlineKind::Reconciliation,
            closes_at: None,
            reason: Some(DutyReason::Reconcile(ReconcileReason::NeverApplied)),
        }
    }

    /// Orders deadlines as `/deadlines` lists them: reconciliations first,
    /// then windows by closing time, then by order number.
    pub fn sort(list: &mut [Deadline]) {
        list.sort_by(|a, b| {
            (a.closes_at.is_some(), a.closes_at, &a.order_no).cmp(&(
                b.closes_at.is_some(),
                b.closes_at,
                &b.order_no,
            ))
        });
    }
}

impl MerchantRecord {
    /// The order's windows in its current status (see [`Windows`]).
    pub fn windows(&self) -> Windows {
        let status = self.status();
        let from = self.window_from();
        let settle_closes = (status == Status::Authorized).then(|| settle_window_closes(&from));
        // A completed sale whose settle time is unknown counts from the
        // windows' start, the earliest it can have been settled.
        let settled_at = self.settled_at().unwrap_or(from);
        let cancel_closes =
            cancel_plan(status, &from, Some(&settled_at)).and_then(|plan| plan.deadline());
        Windows {
            settle_closes,
            cancel_closes,
        }
    }

    /// What the merchant must act on for this order: its reconciliation
    /// mark, an operation in flight (its outcome not recorded), and each
    /// window still open at `now` that closes by `until`.
    pub fn deadlines(&self, now: JstDateTime, until: JstDateTime) -> Vec<Deadline> {
        let (now, until) = (to_jst(&now), to_jst(&until));
        let mut out = Vec::new();
        let duties = [
            self.reconciliation().cloned().map(DutyReason::Reconcile),
            self.in_flight().copied().map(DutyReason::InFlight),
        ];
        for reason in duties.into_iter().flatten() {
            out.push(Deadline {
                order_no: self.order_no().clone(),
                status: Some(self.status()),
                kind: DeadlineKind::Reconciliation,
                closes_at: None,
                reason: Some(reason),
            });
        }
        let w = self.windows();
        for (kind, closes) in [
            (DeadlineKind::Settle, w.settle_closes),
            (DeadlineKind::Cancel, w.cancel_closes),
        ] {
            if let Some(t) = closes.filter(|t| *t >= now && *t <= until) {
                out.push(Deadline {
                    order_no: self.order_no().clone(),
                    status: Some(self.status()),
                    kind,
                    closes_at: Some(t),
                    reason: None,
                });
            }
        }
        out
    }
}
