//! [`Store`]: the one API over both backends.

use chrono::{DateTime, TimeDelta, Utc};
use zeus_carrier_core::notification::{NotificationEffect, classify};
use zeus_carrier_core::time::to_jst;
use zeus_carrier_core::transition::TRANSITIONS;
use zeus_carrier_core::{Carrier, JstDateTime, Status};

use crate::codec::{date_text, time_ms, time_text};
use crate::db::{Backend, Exec, Value};
use crate::error::StoreError;
use crate::group_commit::GroupCommit;
use crate::model::{
    Checkout, Deadline, DeadlineKind, MerchantOrder, NotificationInput, OperationInput,
    OperationRecorded, OutboxEvent, Recorded, RecordedEffect, SettleDateUpdate, Source,
    StoredNotification,
};
use crate::rows::{
    ORDER_COLUMNS, append_transition, find_checkout, load_order, load_order_head,
    notification_from_row, order_from_row, outbox_from_row, window_values,
};
use crate::windows::windows;

/// The merchant's durable record of carrier-billing orders, on SQLite or
/// PostgreSQL. Cheap to clone (the clones share one connection pool).
///
/// See the crate documentation for the guarantees.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// SQLite: the group-commit writer of CGI notifications
    /// (`src/group_commit.rs`); `None` for PostgreSQL.
    writer: Option<GroupCommit>,
}

impl std::fmt::Debug for Store {
    /// Names the backend only: a connection URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and runs the schema migrations.
    ///
    /// - `sqlite://PATH` (created if missing; WAL journal, `synchronous=FULL`,
    ///   a 10 s busy timeout, foreign keys on);
    /// - `sqlite::memory:` (one connection, for tests);
    /// - `postgres://…` or `postgresql://…`.
    ///
    /// For SQLite it spawns the group-commit writer of
    /// [`Store::record_notification`] on the current tokio runtime: use the
    /// store where that runtime runs (a current-thread runtime runs the
    /// writer only inside its `block_on`). If that runtime has shut down,
    /// calls record on their own, one transaction each.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::connect(url).await?;
        tracing::info!(backend = backend.name(), "store connected");
        let writer = match backend {
            Backend::Sqlite { .. } => Some(GroupCommit::start(backend.clone())),
            Backend::Postgres(_) => None,
        };
        Ok(Store { backend, writer })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// `Ok` when the storage answers and can take writes; otherwise
    /// [`StoreError::Unavailable`] (or another error naming what failed).
    /// A SQLite database whose file has been removed is unavailable.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.backend.health().await
    }

    /// Closes the pool, waiting for connections in use to be returned. Every
    /// write that returned `Ok` is already durable; this only releases the
    /// connections (and, for SQLite, checkpoints the WAL on the last close).
    pub async fn close(&self) {
        self.backend.close().await;
    }

    /// Records one CGI notification durably and idempotently (R-CG-3,
    /// R-CG-4), in one transaction serialized per order:
    ///
    /// 1. take the order's write lock (SQLite `BEGIN IMMEDIATE`;
    ///    PostgreSQL `pg_advisory_xact_lock(hashtext(order_no))`);
    /// 2. read the record's status and ask the core
    ///    ([`zeus_carrier_core::notification::classify`]) what the
    ///    notification does — unless the caller flagged it
    ///    ([`NotificationInput::integrity_flag`]): then it is not applied, and
    ///    an existing order is marked for reconciliation;
    /// 3. store the notification with its effect, update the order (status,
    ///    counters, history with source `cgi`) and append an outbox event for
    ///    a created or advanced record;
    /// 4. commit.
    ///
    /// On SQLite, concurrent calls share one transaction and one commit
    /// (group commit, `src/group_commit.rs`): each call's steps 2–3 run in
    /// turn inside it, so the order is still serialized and read after
    /// every earlier write; a call that fails leaves the others to be
    /// recorded each on its own.
    ///
    /// It returns only after the commit succeeded: then, and only then, the
    /// receiver answers `successok`. On any error nothing was recorded;
    /// [`StoreError::Unavailable`] means "answer 503, the gateway resends".
    pub async fn record_notification(&self, n: NotificationInput) -> Result<Recorded, StoreError> {
        match &self.writer {
            Some(writer) => writer.record(n).await,
            None => record_notification_alone(&self.backend, n).await,
        }
    }

    /// The merchant's record of an order, with its history; `None` if no
    /// notification for it was ever recorded.
    pub async fn get_order(&self, order_no: &str) -> Result<Option<MerchantOrder>, StoreError> {
        const CTX: &str = "reading an order";
        let mut conn = self.backend.acquire(CTX).await?;
        load_order(&mut conn.exec(), CTX, order_no).await
    }

    /// Every stored notification of an order, in arrival order (audit).
    pub async fn notifications(
        &self,
        order_no: &str,
    ) -> Result<Vec<StoredNotification>, StoreError> {
        const CTX: &str = "reading notifications";
        let mut conn = self.backend.acquire(CTX).await?;
        let rows = conn
            .exec()
            .fetch_all(
                CTX,
                "SELECT id, order_no, reported_status, status_before, effect, integrity_flag, \
                 money, carrier, clientip, sendid, sendpoint, error_code, raw_query, received_at \
                 FROM notifications WHERE order_no = $1 ORDER BY id",
                &[order_no.into()],
            )
            .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// Records a settle or cancel the gateway confirmed, in one transaction
    /// serialized per order like [`Store::record_notification`].
    ///
    /// Each step of `op.transitions` must be a row of the transition table
    /// (SPEC §3, R-TR-1) and start where the previous one ended. A step is
    /// applied (history with source `settle`/`cancel`, outbox event) when the
    /// record is at its start; when a CGI call has already moved the record,
    /// the core's [`classify`] decides: a step to a status ahead of the
    /// record advances it, any other step is left out (it was already
    /// recorded, or the record has moved past it). The amount, settle date
    /// and settle time are written only when the record ends in the
    /// operation's final status.
    pub async fn record_operation(
        &self,
        op: OperationInput,
    ) -> Result<OperationRecorded, StoreError> {
        const CTX: &str = "recording a merchant operation";
        let last = validate_steps(&op)?;
        let at = to_jst(&op.at);
        let source = Source::from(op.source);
        let mut tx = self.backend.begin_locked(&op.order_no, CTX).await?;
        let mut ex = tx.exec();
        let Some(order) = load_order_head(&mut ex, CTX, &op.order_no).await? else {
            return Err(StoreError::OrderNotFound {
                order_no: op.order_no,
            });
        };
        let mut current = order.status;
        let mut applied = Vec::new();
        for &(from, to) in &op.transitions {
            let step = if current == from {
                Some((from, to))
            } else {
                match classify(Some(current), to) {
                    NotificationEffect::Advance { from, to } => Some((from, to)),
                    NotificationEffect::Create { .. }
                    | NotificationEffect::Duplicate { .. }
                    | NotificationEffect::Stale { .. } => None,
                }
            };
            if let Some((from, to)) = step {
                let row =
                    append_transition(&mut ex, CTX, &op.order_no, Some(from), to, source, &at)
                        .await?;
                applied.push(row);
                current = to;
            } else {
                tracing::info!(
                    order_no = %op.order_no,
                    record = current.code(),
                    step_from = from.code(),
                    step_to = to.code(),
                    "operation step already recorded or overtaken; left out"
                );
            }
        }
        let consistent = current == last;
        let money = if consistent { op.money } else { order.money };
        let settle_date = match (consistent, op.settle_date) {
            (true, SettleDateUpdate::Set(d)) => Some(d),
            (true, SettleDateUpdate::Clear) => None,
            (true, SettleDateUpdate::Keep) | (false, _) => order.settle_date,
        }
        .map(date_text);
        let mut settled_at = order.settled_at;
        if consistent && op.settled_at.is_some() {
            settled_at = op.settled_at.map(|t| to_jst(&t));
        }
        if current == Status::Completed && settled_at.is_none() {
            settled_at = Some(at);
        }
        let w = windows(current, &order.window_from, settled_at.as_ref());
        let [settle_closes, cancel_closes] = window_values(&w);
        ex.execute(
            CTX,
            "UPDATE orders SET status = $2, money = COALESCE($3, money), settle_date = $4, \
             settled_at = $5, settle_closes_ms = $6, cancel_closes_ms = $7 WHERE order_no = $1",
            &[
                op.order_no.as_str().into(),
                current.code().into(),
                money.map(i64::from).into(),
                settle_date.into(),
                settled_at.as_ref().map(time_text).into(),
                settle_closes,
                cancel_closes,
            ],
        )
        .await?;
        let order = load_order(&mut ex, CTX, &op.order_no)
            .await?
            .ok_or_else(|| StoreError::OrderNotFound {
                order_no: op.order_no.clone(),
            })?;
        tx.commit(CTX).await?;
        tracing::info!(
            order_no = %op.order_no,
            source = source.as_str(),
            applied = applied.len(),
            status = current.code(),
            "merchant operation recorded"
        );
        Ok(OperationRecorded { applied, order })
    }

    /// Marks an order as needing reconciliation with the gateway (for
    /// example after a Secure Link call whose outcome is unknown, R-RS-3).
    /// A later mark replaces the reason; [`Store::clear_reconciliation`]
    /// removes it. (A flagged notification marks an order only when it is
    /// not marked yet, keeping the first reason.)
    pub async fn mark_reconciliation(
        &self,
        order_no: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.set_reconciliation(
            order_no,
            Some(reason),
            "marking an order for reconciliation",
        )
        .await
    }

    /// Clears an order's reconciliation mark (someone compared it with the
    /// gateway).
    pub async fn clear_reconciliation(&self, order_no: &str) -> Result<(), StoreError> {
        self.set_reconciliation(order_no, None, "clearing an order's reconciliation mark")
            .await
    }

    async fn set_reconciliation(
        &self,
        order_no: &str,
        reason: Option<&str>,
        ctx: &'static str,
    ) -> Result<(), StoreError> {
        let mut conn = self.backend.acquire(ctx).await?;
        let n = conn
            .exec()
            .execute(
                ctx,
                "UPDATE orders SET needs_reconciliation = $2 WHERE order_no = $1",
                &[order_no.into(), reason.map(str::to_owned).into()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::OrderNotFound {
                order_no: order_no.to_owned(),
            });
        }
        Ok(())
    }

    /// What the merchant must act on: every window (settle, cancel; D-7,
    /// R-SL-1, R-CN-1) that is still open at `now` and closes within
    /// `within_days` × 24 h, and every order marked for reconciliation.
    /// Reconciliations come first, then the windows by closing time.
    /// Windows that already closed are not listed.
    pub async fn list_deadlines(
        &self,
        now: JstDateTime,
        within_days: u32,
    ) -> Result<Vec<Deadline>, StoreError> {
        const CTX: &str = "listing deadlines";
        let now = to_jst(&now);
        let limit = now
            .checked_add_signed(TimeDelta::days(i64::from(within_days)))
            .unwrap_or(now);
        let (lo, hi) = (time_ms(&now), time_ms(&limit));
        let mut conn = self.backend.acquire(CTX).await?;
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE needs_reconciliation IS NOT NULL \
             OR (settle_closes_ms >= $1 AND settle_closes_ms <= $2) \
             OR (cancel_closes_ms >= $1 AND cancel_closes_ms <= $2) ORDER BY order_no"
        );
        let rows = conn
            .exec()
            .fetch_all(CTX, &sql, &[lo.into(), hi.into()])
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let o = order_from_row(r)?;
            if let Some(reason) = &o.needs_reconciliation {
                out.push(Deadline {
                    order_no: o.order_no.clone(),
                    status: o.status,
                    kind: DeadlineKind::Reconciliation,
                    closes_at: None,
                    reason: Some(reason.clone()),
                });
            }
            let w = windows(o.status, &o.window_from, o.settled_at.as_ref());
            for (kind, closes) in [
                (DeadlineKind::Settle, w.settle_closes),
                (DeadlineKind::Cancel, w.cancel_closes),
            ] {
                if let Some(t) = closes.filter(|t| *t >= now && *t <= limit) {
                    out.push(Deadline {
                        order_no: o.order_no.clone(),
                        status: o.status,
                        kind,
                        closes_at: Some(t),
                        reason: None,
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            (a.closes_at.is_some(), a.closes_at, &a.order_no).cmp(&(
                b.closes_at.is_some(),
                b.closes_at,
                &b.order_no,
            ))
        });
        Ok(out)
    }

    /// Saves the merchant's order request under its `sendid`, to check the
    /// callbacks against. Saving the same values again is a no-op; other
    /// values under a saved `sendid` are refused
    /// ([`StoreError::CheckoutConflict`]).
    pub async fn save_checkout(
        &self,
        sendid: &str,
        money: u32,
        carrier: Carrier,
        created_at: JstDateTime,
    ) -> Result<Checkout, StoreError> {
        const CTX: &str = "saving a checkout";
        let created_at = to_jst(&created_at);
        let mut conn = self.backend.acquire(CTX).await?;
        let mut ex = conn.exec();
        ex.execute(
            CTX,
            "INSERT INTO checkouts (sendid, money, carrier, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sendid) DO NOTHING",
            &[
                sendid.into(),
                i64::from(money).into(),
                carrier.code().into(),
                time_text(&created_at).into(),
            ],
        )
        .await?;
        let stored = find_checkout(&mut ex, CTX, sendid).await?.ok_or_else(|| {
            StoreError::corrupt(
                "checkouts",
                "sendid",
                format!("{sendid:?} vanished after insert"),
            )
        })?;
        if stored.money != money || stored.carrier != carrier {
            return Err(StoreError::CheckoutConflict {
                sendid: sendid.to_owned(),
                stored_money: stored.money,
                stored_carrier: stored.carrier.code().to_owned(),
            });
        }
        Ok(stored)
    }

    /// The saved checkout for `sendid`.
    pub async fn find_checkout(&self, sendid: &str) -> Result<Option<Checkout>, StoreError> {
        const CTX: &str = "reading a checkout";
        let mut conn = self.backend.acquire(CTX).await?;
        find_checkout(&mut conn.exec(), CTX, sendid).await
    }

    /// Up to `limit` outbox events not yet acknowledged, with an id above
    /// `after_id`, oldest first.
    ///
    /// Delivery is at-least-once: an event is returned by every poll until
    /// [`Store::ack_outbox`] acknowledges it, so a consumer that crashes
    /// between handling and acknowledging sees it again and must
    /// deduplicate by [`OutboxEvent::id`]. `after_id` only pages within one
    /// round: ids are assigned before commit, so an event of a concurrent
    /// transaction can become visible after one with a higher id; start each
    /// round from `0` to never miss one. Events of one order appear in the
    /// order its transitions were recorded.
    pub async fn poll_outbox(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        const CTX: &str = "polling the outbox";
        let mut conn = self.backend.acquire(CTX).await?;
        let rows = conn
            .exec()
            .fetch_all(
                CTX,
                "SELECT id, order_no, from_status, to_status, source, at FROM outbox \
                 WHERE acked_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
                &[after_id.into(), i64::from(limit).into()],
            )
            .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// Acknowledges an outbox event: later polls no longer return it.
    /// Returns `true` the first time, `false` if it was already acknowledged
    /// or does not exist.
    pub async fn ack_outbox(&self, id: i64) -> Result<bool, StoreError> {
        const CTX: &str = "acknowledging an outbox event";
        // The acknowledgement time is for operators reading the table; no
        // rule depends on it.
        let now = to_jst(&DateTime::<Utc>::from(std::time::SystemTime::now()));
        let mut conn = self.backend.acquire(CTX).await?;
        let n = conn
            .exec()
            .execute(
                CTX,
                "UPDATE outbox SET acked_at = $2 WHERE id = $1 AND acked_at IS NULL",
                &[id.into(), time_text(&now).into()],
            )
            .await?;
        Ok(n > 0)
    }
}

/// The context of every error of [`Store::record_notification`].
pub(crate) const RECORD_CTX: &str = "recording a CGI notification";

/// [`Store::record_notification`] in a transaction of its own.
pub(crate) async fn record_notification_alone(
    backend: &Backend,
    n: NotificationInput,
) -> Result<Recorded, StoreError> {
    let mut tx = backend.begin_locked(&n.order_no, RECORD_CTX).await?;
    let recorded = record_in_tx(&mut tx.exec(), &n).await?;
    tx.commit(RECORD_CTX).await?;
    log_recorded(&n, &recorded);
    Ok(recorded)
}

/// The log line of a committed notification.
pub(crate) fn log_recorded(n: &NotificationInput, recorded: &Recorded) {
    tracing::info!(
        order_no = %n.order_no,
        reported = n.status.code(),
        effect = recorded.effect.kind().as_str(),
        notification_id = recorded.notification_id,
        "CGI notification recorded"
    );
}

/// Steps 2–3 of [`Store::record_notification`], inside a transaction that
/// holds the order's write lock; the caller commits.
pub(crate) async fn record_in_tx(
    ex: &mut Exec<'_>,
    n: &NotificationInput,
) -> Result<Recorded, StoreError> {
    const CTX: &str = RECORD_CTX;
    let received_at = to_jst(&n.received_at);
    let current = load_order_head(ex, CTX, &n.order_no).await?;
    let current_status = current.as_ref().map(|o| o.status);
    let effect = match &n.integrity_flag {
        Some(reason) => RecordedEffect::Flagged {
            reason: reason.clone(),
            current: current_status,
            reported: n.status,
        },
        None => RecordedEffect::Classified(classify(current_status, n.status)),
    };
    let notification_id =
        insert_notification(ex, CTX, n, current_status, &effect, &received_at).await?;
    match (&effect, &current) {
        (RecordedEffect::Flagged { reason, .. }, Some(_)) => {
            let why = format!(
                "CGI notification {notification_id} (status {}) flagged: {reason}",
                n.status.code()
            );
            ex.execute(
                CTX,
                "UPDATE orders SET flagged = flagged + 1, \
                     needs_reconciliation = COALESCE(needs_reconciliation, $2) \
                     WHERE order_no = $1",
                &[n.order_no.as_str().into(), why.into()],
            )
            .await?;
        }
        (RecordedEffect::Flagged { .. }, None) => {}
        (RecordedEffect::Classified(NotificationEffect::Create { status }), _) => {
            create_order(ex, CTX, n, *status, &received_at).await?;
        }
        (RecordedEffect::Classified(NotificationEffect::Advance { from, to }), Some(order)) => {
            advance_order(ex, CTX, n, order, *from, *to, &received_at).await?;
        }
        (RecordedEffect::Classified(NotificationEffect::Duplicate { .. }), _) => {
            bump(ex, CTX, "duplicates", &n.order_no).await?;
        }
        (RecordedEffect::Classified(NotificationEffect::Stale { .. }), _) => {
            bump(ex, CTX, "stale", &n.order_no).await?;
        }
        (RecordedEffect::Classified(NotificationEffect::Advance { .. }), None) => {
            // classify(None, _) is always Create.
            return Err(StoreError::corrupt(
                "orders",
                "status",
                "the core classified an advance for an order with no record",
            ));
        }
    }
    let order = load_order(ex, CTX, &n.order_no).await?;
    Ok(Recorded {
        notification_id,
        effect,
        order,
    })
}

/// Checks that every step is a row of the table and that the steps chain;
/// returns the final status.
fn validate_steps(op: &OperationInput) -> Result<Status, StoreError> {
    let invalid = |detail: String| StoreError::InvalidOperation {
        order_no: op.order_no.clone(),
        detail,
    };
    let mut prev: Option<Status> = None;
    for &(from, to) in &op.transitions {
        if !TRANSITIONS.iter().any(|t| t.from == from && t.to == to) {
            return Err(invalid(format!(
                "{} → {} is not a step of the transition table (R-TR-1)",
                from.code(),
                to.code()
            )));
        }
        if let Some(p) = prev.filter(|p| *p != from) {
            return Err(invalid(format!(
                "step {} → {} does not start where the previous step ended ({})",
                from.code(),
                to.code(),
                p.code()
            )));
        }
        prev = Some(to);
    }
    prev.ok_or_else(|| invalid("an operation needs at least one step".to_owned()))
}

async fn insert_notification(
    ex: &mut Exec<'_>,
    ctx: &'static str,
    n: &NotificationInput,
    before: Option<Status>,
    effect: &RecordedEffect,
    received_at: &JstDateTime,
) -> Result<i64, StoreError> {
    let row = ex
        .fetch_one(
            ctx,
            "INSERT INTO notifications (order_no, reported_status, status_before, effect, \
             integrity_flag, money, carrier, clientip, sendid, sendpoint, error_code, raw_query, \
             received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             RETURNING id",
            &[
                n.order_no.as_str().into(),
                n.status.code().into(),
                before.map(|s| s.code().to_owned()).into(),
                effect.kind().as_str().into(),
                n.integrity_flag.clone().into(),
                n.money.map(i64::from).into(),
                n.carrier.map(|c| c.code().to_owned()).into(),
                n.clientip.clone().into(),
                n.sendid.clone().into(),
                n.sendpoint.clone().into(),
                n.error_code.clone().into(),
                Value::Bytes(n.raw_query.clone()),
                time_text(received_at).into(),
            ],
        )
        .await?;
    row.int("notifications", "id")
}

/// The first notification: the record is created in the reported status.
async fn create_order(
    ex: &mut Exec<'_>,
    ctx: &'static str,
    n: &NotificationInput,
    status: Status,
    received_at: &JstDateTime,
) -> Result<(), StoreError> {
    // The shopper's acceptance lies between the checkout and this call:
    // counting the windows from the checkout errs on the early side.
    let checkout = match &n.sendid {
        Some(sendid) => find_checkout(ex, ctx, sendid).await?,
        None => None,
    };
    let window_from = checkout
        .map(|c| c.created_at)
        .filter(|c| c <= received_at)
        .unwrap_or(*received_at);
    let settled_at = (status == Status::Completed).then_some(window_from);
    let w = windows(status, &window_from, settled_at.as_ref());
    let [settle_closes, cancel_closes] = window_values(&w);
    ex.execute(
        ctx,
        "INSERT INTO orders (order_no, status, money, original_money, carrier, clientip, sendid, \
         sendpoint, first_seen_at, window_from, settled_at, notifications, settle_closes_ms, \
         cancel_closes_ms) VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12)",
        &[
            n.order_no.as_str().into(),
            status.code().into(),
            n.money.map(i64::from).into(),
            n.carrier.map(|c| c.code().to_owned()).into(),
            n.clientip.clone().into(),
            n.sendid.clone().into(),
            n.sendpoint.clone().into(),
            time_text(received_at).into(),
            time_text(&window_from).into(),
            settled_at.as_ref().map(time_text).into(),
            settle_closes,
            cancel_closes,
        ],
    )
    .await?;
    append_transition(ex, ctx, &n.order_no, None, status, Source::Cgi, received_at).await?;
    Ok(())
}

/// A notification ahead of the record: the record moves forward.
async fn advance_order(
    ex: &mut Exec<'_>,
    ctx: &'static str,
    n: &NotificationInput,
    order: &MerchantOrder,
    from: Status,
    to: Status,
    received_at: &JstDateTime,
) -> Result<(), StoreError> {
    let settled_at = match order.settled_at {
        None if to == Status::Completed => Some(*received_at),
        other => other,
    };
    let w = windows(to, &order.window_from, settled_at.as_ref());
    let [settle_closes, cancel_closes] = window_values(&w);
    ex.execute(
        ctx,
        "UPDATE orders SET status = $2, notifications = notifications + 1, \
         money = COALESCE($3, money), original_money = COALESCE(original_money, $3), \
         carrier = COALESCE(carrier, $4), clientip = COALESCE(clientip, $5), \
         sendid = COALESCE(sendid, $6), sendpoint = COALESCE(sendpoint, $7), settled_at = $8, \
         settle_closes_ms = $9, cancel_closes_ms = $10 WHERE order_no = $1",
        &[
            n.order_no.as_str().into(),
            to.code().into(),
            n.money.map(i64::from).into(),
            n.carrier.map(|c| c.code().to_owned()).into(),
            n.clientip.clone().into(),
            n.sendid.clone().into(),
            n.sendpoint.clone().into(),
            settled_at.as_ref().map(time_text).into(),
            settle_closes,
            cancel_closes,
        ],
    )
    .await?;
    append_transition(
        ex,
        ctx,
        &n.order_no,
        Some(from),
        to,
        Source::Cgi,
        received_at,
    )
    .await?;
    Ok(())
}

/// Counts a notification that did not move the record.
async fn bump(
    ex: &mut Exec<'_>,
    ctx: &'static str,
    counter: &'static str,
    order_no: &str,
) -> Result<(), StoreError> {
    // `counter` is one of two fixed column names, never input.
    let sql = format!("UPDATE orders SET {counter} = {counter} + 1 WHERE order_no = $1");
    ex.execute(ctx, &sql, &[order_no.into()]).await?;
    Ok(())
}
