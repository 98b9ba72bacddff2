//! The recording script: what recording CGI notifications (and the
//! merchant's operations) does, written once over a small per-backend
//! interface, [`Batch`].
//!
//! [`record_batch`] records a batch of notifications inside one
//! transaction that already holds every lock the batch needs (the caller
//! took them: [`Backend::begin_batch`](crate::db::Backend::begin_batch),
//! or SQLite's write lock):
//!
//! 1. **read**, set-wise: the records of every order of the batch, their
//!    histories, and the checkouts of every `sendid`;
//! 2. **decide**, in arrival order, in memory: for each notification the
//!    core's [`on_notification`] is asked with the record and the checkout
//!    *as the earlier notifications of the batch left them* — so the
//!    model decides exactly as if the calls had come one at a time, each
//!    in its own transaction (per-order serialization: each transition is
//!    recorded once; one checkout, one order);
//! 3. **write**, set-wise, exactly what the model returned: every
//!    notification row, the final record of every order touched, each
//!    accepted step (a history row and an outbox event carrying the
//!    order's `sendid` and amount after it), and each checkout's claim.
//!
//! The caller commits; nothing is acknowledged before that. Nothing the
//! batch wrote is read back.
//!
//! A backend is added by implementing [`Batch`] — seven set-shaped
//! reads and writes — or, for a driver that runs one statement at a time
//! cheaply (SQLite, in process), just [`Statements`] (run a statement,
//! read rows by column name), which gets [`Batch`] for free, one
//! statement per row. PostgreSQL implements [`Batch`] itself with arrays:
//! one statement per table for the reads, and the whole of a batch's
//! writes as one statement ([`Batch::write`]; `src/pg.rs`).

use std::collections::HashMap;

use zeus_carrier_core::merchant::{
    Checkout, MerchantRecord, Notice, NoticeEffect, Step, UnknownSendId, on_notification,
};
use zeus_carrier_core::values::OrderNo;

use crate::db::Value;
use crate::error::StoreError;
use crate::model::{HistoryRow, MerchantOrder, Recorded, Source};
use crate::rows::{
    CLAIM_CHECKOUT, Columns, INSERT_HISTORY, INSERT_NOTIFICATION, INSERT_OUTBOX, SELECT_CHECKOUT,
    SELECT_HISTORY, SELECT_ORDER, UPSERT_ORDER, checkout_from_row, history_from_row,
    notification_values, record_from_row, record_values, step_row, step_values,
};

/// The context of every error of [`crate::Store::record_notification`].
pub(crate) const RECORD_CTX: &str = "recording a CGI notification";

/// One CGI notification to record: the notice, its raw query (kept as
/// received) and the merchant's policy for calls without a checkout.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) notice: Notice,
    pub(crate) raw_query: Vec<u8>,
    pub(crate) unknown_sendid: UnknownSendId,
}

/// A notification row's values ([`INSERT_NOTIFICATION`]).
pub(crate) type NotificationRow = [Value; 13];
/// An `orders` row's values ([`UPSERT_ORDER`]).
pub(crate) type OrderRow = [Value; 22];
/// A history row's values ([`INSERT_HISTORY`]).
pub(crate) type HistoryValues = [Value; 5];
/// An outbox row's values ([`INSERT_OUTBOX`]).
pub(crate) type OutboxRow = [Value; 7];
/// A checkout claim: the order, the `sendid` ([`CLAIM_CHECKOUT`]).
pub(crate) type ClaimRow = [Value; 2];

/// Everything a batch writes, each table's rows in the order the script
/// produced them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Writes<'a> {
    /// Notification rows, one per call.
    pub(crate) notifications: &'a [NotificationRow],
    /// The final row of every order the batch touched.
    pub(crate) orders: &'a [OrderRow],
    /// History rows, one per accepted step.
    pub(crate) history: &'a [HistoryValues],
    /// Outbox events, one per accepted step (the history row's values
    /// first).
    pub(crate) outbox: &'a [OutboxRow],
    /// Checkout claims.
    pub(crate) claims: &'a [ClaimRow],
}

/// What one transaction of a backend must do for the recording script:
/// set-shaped reads and writes, each taking everything a batch needs at
/// once. Every method runs inside the caller's transaction.
pub(crate) trait Batch {
    /// Called before the writes with how many notification rows and steps
    /// follow (a backend may reserve ids in one round trip).
    async fn prepare(&mut self, notifications: usize, steps: usize) -> Result<(), StoreError> {
        let _ = (notifications, steps);
        Ok(())
    }
    /// The records of those of `order_nos` that have one.
    async fn records(&mut self, order_nos: &[&str]) -> Result<Vec<MerchantRecord>, StoreError>;
    /// The history of each of `order_nos`, oldest first.
    async fn histories(
        &mut self,
        order_nos: &[&str],
    ) -> Result<Vec<(OrderNo, HistoryRow)>, StoreError>;
    /// The checkouts saved for those of `sendids` that have one.
    async fn checkouts(&mut self, sendids: &[&str]) -> Result<Vec<Checkout>, StoreError>;
    /// Inserts notification rows; returns their ids, in `rows`' order,
    /// increasing.
    async fn insert_notifications(
        &mut self,
        rows: &[NotificationRow],
    ) -> Result<Vec<i64>, StoreError>;
    /// Inserts or updates `orders` rows (at most one per order).
    async fn save_records(&mut self, rows: &[OrderRow]) -> Result<(), StoreError>;
    /// Appends steps: history rows and outbox events, each table's ids
    /// increasing in the given order.
    async fn append_steps(
        &mut self,
        history: &[HistoryValues],
        outbox: &[OutboxRow],
    ) -> Result<(), StoreError>;
    /// Binds each checkout not yet bound to the order (one checkout, one
    /// order).
    async fn claim_checkouts(&mut self, claims: &[ClaimRow]) -> Result<(), StoreError>;
    /// Writes a batch: the notification rows (returning their ids, in
    /// order, increasing), the orders, the steps, the claims. By default
    /// the methods above one after the other; a backend whose statements
    /// are round trips may do it all at once (PostgreSQL: `src/pg.rs`).
    async fn write(&mut self, w: Writes<'_>) -> Result<Vec<i64>, StoreError> {
        self.prepare(w.notifications.len(), w.history.len()).await?;
        let ids = self.insert_notifications(w.notifications).await?;
        if !w.orders.is_empty() {
            self.save_records(w.orders).await?;
        }
        if !w.history.is_empty() {
            self.append_steps(w.history, w.outbox).await?;
        }
        if !w.claims.is_empty() {
            self.claim_checkouts(w.claims).await?;
        }
        Ok(ids)
    }
}

/// Runs a query, reading each row: all the deadline pages need of a
/// connection.
pub(crate) trait Query {
    /// Runs a query and reads each row with `read`.
    async fn query<T>(
        &mut self,
        sql: &str,
        args: &[Value],
        read: impl FnMut(&dyn Columns) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError>;
}

/// One statement at a time, for a driver where that is cheap (SQLite in
/// process): every [`Statements`] is a [`Batch`] that runs one statement
/// per row.
pub(crate) trait Statements: Query {
    /// Runs a statement.
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<(), StoreError>;
    /// Runs an `INSERT` into a table keyed by SQLite's rowid; returns the
    /// new row's rowid.
    async fn insert(&mut self, sql: &str, args: &[Value]) -> Result<i64, StoreError>;
}

/// Runs the one-key query `sql` for each of `keys`; every row read with
/// `read`.
async fn for_each_key<S: Statements, T>(
    s: &mut S,
    sql: &'static str,
    keys: &[&str],
    read: impl Fn(&dyn Columns) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.extend(s.query(sql, &[(*k).into()], &read).await?);
    }
    Ok(out)
}

impl<S: Statements> Batch for S {
    async fn records(&mut self, order_nos: &[&str]) -> Result<Vec<MerchantRecord>, StoreError> {
        for_each_key(self, SELECT_ORDER, order_nos, record_from_row).await
    }

    async fn histories(
        &mut self,
        order_nos: &[&str],
    ) -> Result<Vec<(OrderNo, HistoryRow)>, StoreError> {
        let mut out = Vec::new();
        for o in order_nos {
            let order_no = crate::codec::parse_order_no("order_history", "order_no", o)?;
            for h in self
                .query(SELECT_HISTORY, &[(*o).into()], |r| history_from_row(r))
                .await?
            {
                out.push((order_no.clone(), h));
            }
        }
        Ok(out)
    }

    async fn checkouts(&mut self, sendids: &[&str]) -> Result<Vec<Checkout>, StoreError> {
        for_each_key(self, SELECT_CHECKOUT, sendids, checkout_from_row).await
    }

    async fn insert_notifications(
        &mut self,
        rows: &[NotificationRow],
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(self.insert(INSERT_NOTIFICATION, row).await?);
        }
        Ok(ids)
    }

    async fn save_records(&mut self, rows: &[OrderRow]) -> Result<(), StoreError> {
        for row in rows {
            self.execute(UPSERT_ORDER, row).await?;
        }
        Ok(())
    }

    async fn append_steps(
        &mut self,
        history: &[HistoryValues],
        outbox: &[OutboxRow],
    ) -> Result<(), StoreError> {
        for row in history {
            self.execute(INSERT_HISTORY, row).await?;
        }
        for row in outbox {
            self.execute(INSERT_OUTBOX, row).await?;
        }
        Ok(())
    }

    async fn claim_checkouts(&mut self, claims: &[ClaimRow]) -> Result<(), StoreError> {
        for row in claims {
            self.execute(CLAIM_CHECKOUT, row).await?;
        }
        Ok(())
    }
}

/// The distinct order numbers and `sendid`s of `jobs`, each ascending:
/// what a batch reads, and the keys of the locks it takes.
pub(crate) fn batch_keys<'a>(jobs: &[&'a Incoming]) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut order_nos: Vec<&str> = jobs.iter().map(|j| j.notice.order_no.as_str()).collect();
    order_nos.sort_unstable();
    order_nos.dedup();
    let mut sendids: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j.notice.sendid.as_ref().map(|s| s.as_str()))
        .collect();
    sendids.sort_unstable();
    sendids.dedup();
    (order_nos, sendids)
}

/// Records `jobs` (see the module documentation) inside the caller's
/// transaction, which holds every lock they need; the caller commits.
/// Returns one [`Recorded`] per job, in order.
pub(crate) async fn record_batch<B: Batch>(
    b: &mut B,
    jobs: &[&Incoming],
) -> Result<Vec<Recorded>, StoreError> {
    // 1. Read.
    let (order_nos, sendids) = batch_keys(jobs);
    let mut records: HashMap<OrderNo, MerchantRecord> = b
        .records(&order_nos)
        .await?
        .into_iter()
        .map(|r| (r.order_no().clone(), r))
        .collect();
    let mut histories: HashMap<OrderNo, Vec<HistoryRow>> = HashMap::new();
    if !records.is_empty() {
        let known: Vec<&str> = records.keys().map(OrderNo::as_str).collect();
        for (order_no, h) in b.histories(&known).await? {
            histories.entry(order_no).or_default().push(h);
        }
    }
    let mut checkouts: HashMap<String, Checkout> = if sendids.is_empty() {
        HashMap::new()
    } else {
        b.checkouts(&sendids)
            .await?
            .into_iter()
            .map(|c| (c.sendid.as_str().to_owned(), c))
            .collect()
    };

    // 2. Decide, one notification after the other.
    let mut notifications = Vec::with_capacity(jobs.len());
    let mut history_rows = Vec::new();
    let mut outbox_rows = Vec::new();
    let mut claims = Vec::new();
    let mut touched: Vec<OrderNo> = Vec::new();
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        let n = &job.notice;
        let before = records.get(&n.order_no);
        let checkout = n.sendid.as_ref().and_then(|s| checkouts.get(s.as_str()));
        let decision = on_notification(before, checkout, n, job.unknown_sendid);
        let flag = match &decision.effect {
            NoticeEffect::Flagged { flag, .. } => Some(flag.to_string()),
            _ => None,
        };
        notifications.push(notification_values(
            n,
            &job.raw_query,
            before,
            &decision.effect,
            flag,
        ));
        let order = match decision.record {
            Some(record) => {
                let history = histories.entry(n.order_no.clone()).or_default();
                if let Some(step) = &decision.step {
                    let (h, o) = step_values(&record, step, Source::Cgi);
                    history_rows.push(h);
                    outbox_rows.push(o);
                    history.push(step_row(step, Source::Cgi));
                }
                if let Some(sendid) = &decision.claim {
                    claims.push([n.order_no.as_str().into(), sendid.as_str().into()]);
                    if let Some(c) = checkouts.get_mut(sendid.as_str()) {
                        c.order_no.get_or_insert_with(|| n.order_no.clone());
                    }
                }
                if !touched.contains(&n.order_no) {
                    touched.push(n.order_no.clone());
                }
                let order = MerchantOrder::new(record.clone(), history.clone());
                records.insert(n.order_no.clone(), record);
                Some(order)
            }
            None => None,
        };
        answers.push((decision.effect, order));
    }

    // 3. Write.
    let order_rows: Vec<OrderRow> = touched
        .iter()
        .filter_map(|o| records.get(o).map(record_values))
        .collect();
    let ids = b
        .write(Writes {
            notifications: &notifications,
            orders: &order_rows,
            history: &history_rows,
            outbox: &outbox_rows,
            claims: &claims,
        })
        .await?;
    if ids.len() != answers.len() {
        return Err(StoreError::corrupt(
            "notifications",
            "id",
            format!("{} ids for {} rows", ids.len(), answers.len()),
        ));
    }
    Ok(ids
        .into_iter()
        .zip(answers)
        .map(|(notification_id, (effect, order))| Recorded {
            notification_id,
            effect,
            order,
        })
        .collect())
}

/// A change of one order's record outside CGI recording (an operation's
/// outcome, an in-flight or reconciliation mark), inside the caller's
/// transaction holding the order's lock: reads the record
/// ([`StoreError::OrderNotFound`] without one), applies `change` — the
/// core's decision: the new record and the steps it accepted — writes
/// both (history and outbox with `source`) and returns the order with its
/// history and the steps as history rows.
pub(crate) async fn change_record<B: Batch>(
    b: &mut B,
    order_no: &OrderNo,
    source: Source,
    change: impl FnOnce(MerchantRecord) -> Result<(MerchantRecord, Vec<Step>), StoreError>,
) -> Result<(MerchantOrder, Vec<HistoryRow>), StoreError> {
    let record = b
        .records(&[order_no.as_str()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::OrderNotFound {
            order_no: order_no.clone(),
        })?;
    let (record, steps) = change(record)?;
    b.save_records(&[record_values(&record)]).await?;
    let (history, outbox): (Vec<_>, Vec<_>) = steps
        .iter()
        .map(|s| step_values(&record, s, source))
        .unzip();
    if !history.is_empty() {
        b.prepare(0, history.len()).await?;
        b.append_steps(&history, &outbox).await?;
    }
    let history = b
        .histories(&[order_no.as_str()])
        .await?
        .into_iter()
        .map(|(_, h)| h)
        .collect();
    let applied = steps.iter().map(|s| step_row(s, source)).collect();
    Ok((MerchantOrder::new(record, history), applied))
}

/// The log line of a committed notification.
pub(crate) fn log_recorded(notice: &Notice, recorded: &Recorded) {
    match &recorded.effect {
        NoticeEffect::Flagged { flag, .. } => tracing::warn!(
            order_no = %notice.order_no,
            reported = notice.status.code(),
            notification_id = recorded.notification_id,
            %flag,
            "CGI notification stored but NOT applied: flagged; order marked for reconciliation"
        ),
        effect => tracing::info!(
            order_no = %notice.order_no,
            reported = notice.status.code(),
            effect = effect.kind().as_str(),
            notification_id = recorded.notification_id,
            "CGI notification recorded"
        ),
    }
}
