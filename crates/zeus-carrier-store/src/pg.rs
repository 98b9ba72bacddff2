//! The recording script's interface ([`Batch`]) on PostgreSQL: set-based,
//! arrays in. Every statement is a round trip to the server, so a batch
//! of any size costs the same seven: begin, the locks (one statement:
//! [`crate::db::Backend::begin_batch`]), three reads (one per table),
//! every write of the batch as one statement ([`Batch::write`]:
//! [`WRITE_BATCH`]), commit — where each notification alone cost a dozen.
//! The separate writes remain for one order's change outside CGI
//! recording (an operation's outcome: [`crate::script::change_record`]).
//!
//! Ids are reserved with `nextval` and assigned in the batch's order (in
//! [`WRITE_BATCH`] itself, or [`RESERVE_IDS`] for the separate writes), so
//! notification, history and outbox ids increase in the order the script
//! produced the rows (the order of arrival, and of each order's
//! transitions), whatever order the server inserts them in.

use sqlx::PgConnection;
use sqlx::Row as _;
use zeus_carrier_core::merchant::{Checkout, MerchantRecord};
use zeus_carrier_core::values::OrderNo;

use crate::db::{Row, Value};
use crate::error::StoreError;
use crate::model::HistoryRow;
use crate::rows::{
    CLAIM_CHECKOUTS_UNNEST, INSERT_NOTIFICATIONS_UNNEST, INSERT_STEPS_UNNEST, RESERVE_IDS,
    SELECT_CHECKOUTS_ANY, SELECT_HISTORIES_ANY, SELECT_ORDERS_ANY, UPSERT_ORDERS_UNNEST,
    WRITE_BATCH, checkout_from_row, history_from_row, parse_order_no_row, record_from_row,
};
use crate::script::{Batch, ClaimRow, HistoryValues, NotificationRow, OrderRow, OutboxRow, Writes};

/// A PostgreSQL transaction, as the recording script's [`Batch`].
pub(crate) struct PgBatch<'a> {
    conn: &'a mut PgConnection,
    ctx: &'static str,
    /// Ids reserved by [`Batch::prepare`]: notifications, history, outbox.
    reserved: [Vec<i64>; 3],
}

impl<'a> PgBatch<'a> {
    /// The transaction on `conn`; errors name `ctx`.
    pub(crate) fn new(conn: &'a mut PgConnection, ctx: &'static str) -> PgBatch<'a> {
        PgBatch {
            conn,
            ctx,
            reserved: Default::default(),
        }
    }
}

/// One column of many rows, as an array parameter.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bytes(Vec<Vec<u8>>),
}

/// The type of an array parameter.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bytes,
}

/// Column `i` of `rows` as an array of `kind` (typed even when `rows` is
/// empty).
fn typed_column<const N: usize>(rows: &[[Value; N]], i: usize, kind: Kind) -> Column {
    match kind {
        Kind::Bytes => Column::Bytes(
            rows.iter()
                .map(|r| match &r[i] {
                    Value::Bytes(b) => b.clone(),
                    _ => Vec::new(),
                })
                .collect(),
        ),
        Kind::Int => Column::Int(
            rows.iter()
                .map(|r| match &r[i] {
                    Value::Int(v) => Some(*v),
                    Value::OptInt(v) => *v,
                    _ => None,
                })
                .collect(),
        ),
        Kind::Text => Column::Text(
            rows.iter()
                .map(|r| match &r[i] {
                    Value::Text(s) => Some(s.clone()),
                    Value::OptText(s) => s.clone(),
                    _ => None,
                })
                .collect(),
        ),
    }
}

/// The columns of `rows`, typed by `kinds`.
fn typed_columns<const N: usize>(rows: &[[Value; N]], kinds: [Kind; N]) -> Vec<Column> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| typed_column(rows, i, *k))
        .collect()
}

use Kind::{Bytes as B, Int as I, Text as T};
/// The types of [`crate::rows::notification_values`]' columns.
const NOTIFICATION_KINDS: [Kind; 13] = [T, T, T, T, T, I, T, T, T, T, T, B, T];
/// The types of [`crate::rows::record_values`]' columns.
const ORDER_KINDS: [Kind; 22] = [
    T, T, I, I, T, T, T, T, T, T, T, T, T, I, I, I, I, I, T, T, I, I,
];
/// The types of an outbox row's columns.
const OUTBOX_KINDS: [Kind; 7] = [T, T, T, T, T, T, I];
/// The types of a claim's columns.
const CLAIM_KINDS: [Kind; 2] = [T, T];

/// Each step is a history row and its outbox event: as many of each.
fn one_event_per_step(history: &[HistoryValues], outbox: &[OutboxRow]) -> Result<(), StoreError> {
    if history.len() == outbox.len() {
        Ok(())
    } else {
        Err(StoreError::corrupt(
            "outbox",
            "id",
            format!("{} history rows, {} events", history.len(), outbox.len()),
        ))
    }
}

fn bind_columns<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    columns: Vec<Column>,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for c in columns {
        q = match c {
            Column::Text(v) => q.bind(v),
            Column::Int(v) => q.bind(v),
            Column::Bytes(v) => q.bind(v),
        };
    }
    q
}

/// Ids reserved for `n` rows, ascending.
fn sorted(mut ids: Vec<i64>, n: usize, table: &'static str) -> Result<Vec<i64>, StoreError> {
    ids.sort_unstable();
    if ids.len() == n {
        Ok(ids)
    } else {
        Err(StoreError::corrupt(
            table,
            "id",
            format!("{} ids reserved for {n} rows", ids.len()),
        ))
    }
}

impl PgBatch<'_> {
    async fn fetch_all(
        &mut self,
        sql: &'static str,
        keys: &[&str],
    ) -> Result<Vec<Row>, StoreError> {
        sqlx::query(sql)
            .bind(keys)
            .fetch_all(&mut *self.conn)
            .await
            .map(|rows| rows.into_iter().map(Row::Postgres).collect())
            .map_err(|e| StoreError::sqlx(self.ctx, e))
    }

    async fn execute(
        &mut self,
        q: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<(), StoreError> {
        q.execute(&mut *self.conn)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::sqlx(self.ctx, e))
    }

    /// Reserves ids for `notifications` notification rows and `steps`
    /// history rows and outbox events.
    async fn reserve_ids(
        &mut self,
        notifications: usize,
        steps: usize,
    ) -> Result<[Vec<i64>; 3], StoreError> {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let row = sqlx::query(RESERVE_IDS)
            .bind(count(notifications))
            .bind(count(steps))
            .fetch_one(&mut *self.conn)
            .await
            .map_err(|e| StoreError::sqlx(self.ctx, e))?;
        let get = |col: &'static str| {
            row.try_get::<Vec<i64>, _>(col)
                .map_err(|e| StoreError::corrupt(col, "id", e.to_string()))
        };
        Ok([
            sorted(get("notifications")?, notifications, "notifications")?,
            sorted(get("history")?, steps, "order_history")?,
            sorted(get("outbox")?, steps, "outbox")?,
        ])
    }
}

impl Batch for PgBatch<'_> {
    async fn prepare(&mut self, notifications: usize, steps: usize) -> Result<(), StoreError> {
        if notifications + steps > 0 {
            self.reserved = self.reserve_ids(notifications, steps).await?;
        }
        Ok(())
    }

    async fn records(&mut self, order_nos: &[&str]) -> Result<Vec<MerchantRecord>, StoreError> {
        let rows = self.fetch_all(SELECT_ORDERS_ANY, order_nos).await?;
        rows.iter().map(|r| record_from_row(r)).collect()
    }

    async fn histories(
        &mut self,
        order_nos: &[&str],
    ) -> Result<Vec<(OrderNo, HistoryRow)>, StoreError> {
        let rows = self.fetch_all(SELECT_HISTORIES_ANY, order_nos).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_order_no_row(r, "order_history")?,
                    history_from_row(r)?,
                ))
            })
            .collect()
    }

    async fn checkouts(&mut self, sendids: &[&str]) -> Result<Vec<Checkout>, StoreError> {
        let rows = self.fetch_all(SELECT_CHECKOUTS_ANY, sendids).await?;
        rows.iter().map(|r| checkout_from_row(r)).collect()
    }

    async fn insert_notifications(
        &mut self,
        rows: &[NotificationRow],
    ) -> Result<Vec<i64>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        if self.reserved[0].len() != rows.len() {
            self.reserved = self.reserve_ids(rows.len(), self.reserved[1].len()).await?;
        }
        let ids = std::mem::take(&mut self.reserved[0]);
        let q = sqlx::query(INSERT_NOTIFICATIONS_UNNEST).bind(ids.clone());
        self.execute(bind_columns(q, typed_columns(rows, NOTIFICATION_KINDS)))
            .await?;
        Ok(ids)
    }

    async fn save_records(&mut self, rows: &[OrderRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let q = sqlx::query(UPSERT_ORDERS_UNNEST);
        self.execute(bind_columns(q, typed_columns(rows, ORDER_KINDS)))
            .await
    }

    async fn append_steps(
        &mut self,
        history: &[HistoryValues],
        outbox: &[OutboxRow],
    ) -> Result<(), StoreError> {
        // An outbox row holds its history row's five values first.
        one_event_per_step(history, outbox)?;
        if outbox.is_empty() {
            return Ok(());
        }
        if self.reserved[1].len() != outbox.len() {
            self.reserved = self.reserve_ids(0, outbox.len()).await?;
        }
        let hids = std::mem::take(&mut self.reserved[1]);
        let oids = std::mem::take(&mut self.reserved[2]);
        let q = sqlx::query(INSERT_STEPS_UNNEST).bind(hids).bind(oids);
        self.execute(bind_columns(q, typed_columns(outbox, OUTBOX_KINDS)))
            .await
    }

    async fn claim_checkouts(&mut self, claims: &[ClaimRow]) -> Result<(), StoreError> {
        if claims.is_empty() {
            return Ok(());
        }
        let q = sqlx::query(CLAIM_CHECKOUTS_UNNEST);
        self.execute(bind_columns(q, typed_columns(claims, CLAIM_KINDS)))
            .await
    }

    /// One statement, one round trip: [`WRITE_BATCH`].
    async fn write(&mut self, w: Writes<'_>) -> Result<Vec<i64>, StoreError> {
        one_event_per_step(w.history, w.outbox)?;
        let mut all = typed_columns(w.notifications, NOTIFICATION_KINDS);
        all.extend(typed_columns(w.orders, ORDER_KINDS));
        // An outbox row holds its history row's five values first.
        all.extend(typed_columns(w.outbox, OUTBOX_KINDS));
        all.extend(typed_columns(w.claims, CLAIM_KINDS));
        let row = bind_columns(sqlx::query(WRITE_BATCH), all)
            .fetch_one(&mut *self.conn)
            .await
            .map_err(|e| StoreError::sqlx(self.ctx, e))?;
        let ids: Vec<i64> = row
            .try_get("ids")
            .map_err(|e| StoreError::corrupt("notifications", "id", e.to_string()))?;
        if ids.len() == w.notifications.len() {
            Ok(ids)
        } else {
            Err(StoreError::corrupt(
                "notifications",
                "id",
                format!("{} ids for {} rows", ids.len(), w.notifications.len()),
            ))
        }
    }
}
