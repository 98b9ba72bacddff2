//! Reading and writing the tables' rows: the SQL lives here, written once
//! for both backends. Every value written is one the core's model decided
//! ([`RecordParts`], [`Step`]); nothing here chooses a status or a time.

use zeus_carrier_core::merchant::{
    Checkout, Counters, InFlight, MerchantRecord, ReconcileReason, RecordParts, StatusSet, Step,
};
use zeus_carrier_core::values::{OrderNo, SendId};

use crate::codec::{
    count_value, date_text, parse_carrier, parse_clientip, parse_count, parse_money,
    parse_opt_carrier, parse_opt_clientip, parse_opt_date, parse_opt_in_flight, parse_opt_money,
    parse_opt_sendid, parse_opt_status, parse_opt_time, parse_order_no, parse_reason, parse_sendid,
    parse_status, parse_time, parse_withdrawal, time_ms, time_text, withdrawal_text,
};
use crate::db::{Exec, Row, Value};
use crate::error::StoreError;
use crate::model::{HistoryRow, MerchantOrder, OutboxEvent, Source, StoredNotification};

/// The `orders` columns, in the order [`save_record`] binds them, as a
/// literal (for `concat!`).
macro_rules! order_columns {
    () => {
        "order_no, status, money, original_money, carrier, \
         clientip, sendid, sendpoint, first_seen_at, window_from, settle_date, settled_at, \
         needs_reconciliation, notifications, duplicates, stale, flagged, notified_bits, \
         withdrawal, in_flight, settle_closes_ms, cancel_closes_ms"
    };
}

/// The `orders` columns, in the order [`save_record`] binds them.
pub(crate) const ORDER_COLUMNS: &str = order_columns!();

/// One order's row by its number.
pub(crate) const SELECT_ORDER: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE order_no = $1"
);

/// Inserts or updates an order's row: [`record_values`] binds it.
pub(crate) const UPSERT_ORDER: &str = concat!(
    "INSERT INTO orders (",
    order_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) \
     ON CONFLICT (order_no) DO UPDATE SET status = excluded.status, \
     money = excluded.money, original_money = excluded.original_money, \
     carrier = excluded.carrier, clientip = excluded.clientip, sendid = excluded.sendid, \
     sendpoint = excluded.sendpoint, first_seen_at = excluded.first_seen_at, \
     window_from = excluded.window_from, settle_date = excluded.settle_date, \
     settled_at = excluded.settled_at, needs_reconciliation = excluded.needs_reconciliation, \
     notifications = excluded.notifications, duplicates = excluded.duplicates, \
     stale = excluded.stale, flagged = excluded.flagged, \
     notified_bits = excluded.notified_bits, withdrawal = excluded.withdrawal, \
     in_flight = excluded.in_flight, settle_closes_ms = excluded.settle_closes_ms, \
     cancel_closes_ms = excluded.cancel_closes_ms"
);

/// An order's history, oldest first.
pub(crate) const SELECT_HISTORY: &str = "SELECT at, from_status, to_status, source \
     FROM order_history WHERE order_no = $1 ORDER BY id";

/// A history row: [`step_values`] binds it.
pub(crate) const INSERT_HISTORY: &str = "INSERT INTO order_history (order_no, at, from_status, to_status, source) \
     VALUES ($1, $2, $3, $4, $5)";

/// An outbox event: [`step_values`] and the order's `sendid` bind it.
pub(crate) const INSERT_OUTBOX: &str = "INSERT INTO outbox (order_no, at, from_status, to_status, source, sendid, money) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// A checkout by its `sendid`.
pub(crate) const SELECT_CHECKOUT: &str =
    "SELECT sendid, money, carrier, created_at, order_no FROM checkouts WHERE sendid = $1";

/// The claim of a checkout by an order (one checkout, one order).
pub(crate) const CLAIM_CHECKOUT: &str =
    "UPDATE checkouts SET order_no = $1 WHERE sendid = $2 AND order_no IS NULL";

/// The columns of a result row, read by name, on any driver: the row
/// readers below are written once for sqlx's rows and, on SQLite, for the
/// notification writer's rusqlite rows (`src/sqlite_writer.rs`).
pub(crate) trait Columns {
    /// A non-null text column.
    fn text(&self, table: &'static str, col: &'static str) -> Result<String, StoreError>;
    /// A nullable text column.
    fn opt_text(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Option<String>, StoreError>;
    /// A non-null integer column.
    fn int(&self, table: &'static str, col: &'static str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn opt_int(&self, table: &'static str, col: &'static str) -> Result<Option<i64>, StoreError>;
}

impl Columns for Row {
    fn text(&self, table: &'static str, col: &'static str) -> Result<String, StoreError> {
        Row::text(self, table, col)
    }
    fn opt_text(
        &self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Option<String>, StoreError> {
        Row::opt_text(self, table, col)
    }
    fn int(&self, table: &'static str, col: &'static str) -> Result<i64, StoreError> {
        Row::int(self, table, col)
    }
    fn opt_int(&self, table: &'static str, col: &'static str) -> Result<Option<i64>, StoreError> {
        Row::opt_int(self, table, col)
    }
}

/// Reads an `orders` row selected with [`ORDER_COLUMNS`].
pub(crate) fn record_from_row(r: &impl Columns) -> Result<MerchantRecord, StoreError> {
    const T: &str = "orders";
    let bits = r.int(T, "notified_bits")?;
    let notified = u16::try_from(bits)
        .map(StatusSet::from_bits)
        .map_err(|_| StoreError::corrupt(T, "notified_bits", format!("{bits} is no status set")))?;
    MerchantRecord::from_parts(RecordParts {
        order_no: parse_order_no(T, "order_no", &r.text(T, "order_no")?)?,
        status: parse_status(T, "status", &r.text(T, "status")?)?,
        money: parse_opt_money(T, "money", r.opt_int(T, "money")?)?,
        original_money: parse_opt_money(T, "original_money", r.opt_int(T, "original_money")?)?,
        carrier: parse_opt_carrier(T, "carrier", r.opt_text(T, "carrier")?)?,
        clientip: parse_opt_clientip(T, "clientip", r.opt_text(T, "clientip")?)?,
        sendid: parse_opt_sendid(T, "sendid", r.opt_text(T, "sendid")?)?,
        sendpoint: r.opt_text(T, "sendpoint")?,
        first_seen_at: parse_time(T, "first_seen_at", &r.text(T, "first_seen_at")?)?,
        window_from: parse_time(T, "window_from", &r.text(T, "window_from")?)?,
        settle_date: parse_opt_date(T, "settle_date", r.opt_text(T, "settle_date")?)?,
        settled_at: parse_opt_time(T, "settled_at", r.opt_text(T, "settled_at")?)?,
        reconciliation: r
            .opt_text(T, "needs_reconciliation")?
            .map(|code| parse_reason(&code)),
        notified,
        withdrawal: parse_withdrawal(T, "withdrawal", &r.text(T, "withdrawal")?)?,
        in_flight: parse_opt_in_flight(T, "in_flight", r.opt_text(T, "in_flight")?)?,
        counters: Counters::new(
            parse_count(T, "notifications", r.int(T, "notifications")?)?,
            parse_count(T, "duplicates", r.int(T, "duplicates")?)?,
            parse_count(T, "stale", r.int(T, "stale")?)?,
            parse_count(T, "flagged", r.int(T, "flagged")?)?,
        ),
    })
    .map_err(|e| StoreError::corrupt(T, "order_no", e.to_string()))
}

/// The order's record without its history.
pub(crate) async fn load_record(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &OrderNo,
) -> Result<Option<MerchantRecord>, StoreError> {
    ex.fetch_optional(context, SELECT_ORDER, &[order_no.as_str().into()])
        .await?
        .map(|r| record_from_row(&r))
        .transpose()
}

/// The order with its history.
pub(crate) async fn load_order(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &OrderNo,
) -> Result<Option<MerchantOrder>, StoreError> {
    let Some(record) = load_record(ex, context, order_no).await? else {
        return Ok(None);
    };
    let history = load_history(ex, context, order_no).await?;
    Ok(Some(MerchantOrder::new(record, history)))
}

/// Writes every field of `record` (insert, or update of the existing row),
/// with the window columns the record's own [`MerchantRecord::windows`]
/// gives (the index of `list_deadlines`).
pub(crate) async fn save_record(
    ex: &mut Exec<'_>,
    context: &'static str,
    record: &MerchantRecord,
) -> Result<(), StoreError> {
    ex.execute(context, UPSERT_ORDER, &record_values(record))
        .await?;
    Ok(())
}

/// The values [`UPSERT_ORDER`] binds: every field of `record`, and the
/// window closing times.
pub(crate) fn record_values(record: &MerchantRecord) -> [Value; 22] {
    // Destructured so that a new field of the core's record breaks this
    // function until it is persisted.
    let RecordParts {
        order_no,
        status,
        money,
        original_money,
        carrier,
        clientip,
        sendid,
        sendpoint,
        first_seen_at,
        window_from,
        settle_date,
        settled_at,
        reconciliation,
        notified,
        withdrawal,
        in_flight,
        counters,
    } = record.parts();
    let w = record.windows();
    [
        order_no.as_str().into(),
        status.code().into(),
        money.map(|m| i64::from(m.yen())).into(),
        original_money.map(|m| i64::from(m.yen())).into(),
        carrier.map(|c| c.code().to_owned()).into(),
        clientip.as_ref().map(|c| c.as_str().to_owned()).into(),
        sendid.as_ref().map(|s| s.as_str().to_owned()).into(),
        sendpoint.clone().into(),
        time_text(first_seen_at).into(),
        time_text(window_from).into(),
        settle_date.map(date_text).into(),
        settled_at.as_ref().map(time_text).into(),
        reconciliation.as_ref().map(ReconcileReason::code).into(),
        count_value(counters.notifications).into(),
        count_value(counters.duplicates).into(),
        count_value(counters.stale).into(),
        count_value(counters.flagged).into(),
        i64::from(notified.bits()).into(),
        withdrawal_text(*withdrawal).into(),
        in_flight.as_ref().map(InFlight::code).into(),
        w.settle_closes.as_ref().map(time_ms).into(),
        w.cancel_closes.as_ref().map(time_ms).into(),
    ]
}

/// The order's history, oldest first.
pub(crate) async fn load_history(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &OrderNo,
) -> Result<Vec<HistoryRow>, StoreError> {
    let rows = ex
        .fetch_all(context, SELECT_HISTORY, &[order_no.as_str().into()])
        .await?;
    rows.iter().map(history_from_row).collect()
}

/// Reads an `order_history` row selected by [`SELECT_HISTORY`].
pub(crate) fn history_from_row(r: &impl Columns) -> Result<HistoryRow, StoreError> {
    const T: &str = "order_history";
    Ok(HistoryRow {
        at: parse_time(T, "at", &r.text(T, "at")?)?,
        from: parse_opt_status(T, "from_status", r.opt_text(T, "from_status")?)?,
        to: parse_status(T, "to_status", &r.text(T, "to_status")?)?,
        source: parse_source(T, &r.text(T, "source")?)?,
    })
}

fn parse_source(table: &'static str, s: &str) -> Result<Source, StoreError> {
    Source::from_name(s)
        .ok_or_else(|| StoreError::corrupt(table, "source", format!("{s:?} is no source")))
}

/// Appends a step the model accepted: a history row and an outbox event
/// (carrying the order's `sendid`), in the caller's transaction.
pub(crate) async fn append_step(
    ex: &mut Exec<'_>,
    context: &'static str,
    record: &MerchantRecord,
    step: &Step,
    source: Source,
) -> Result<HistoryRow, StoreError> {
    let (history, outbox) = step_values(record, step, source);
    ex.execute(context, INSERT_HISTORY, &history).await?;
    ex.execute(context, INSERT_OUTBOX, &outbox).await?;
    Ok(step_row(step, source))
}

/// The values of a step's history row ([`INSERT_HISTORY`]) and of its
/// outbox event ([`INSERT_OUTBOX`]: the same, the order's `sendid` and
/// its amount after the transaction).
pub(crate) fn step_values(
    record: &MerchantRecord,
    step: &Step,
    source: Source,
) -> ([Value; 5], [Value; 7]) {
    let history: [Value; 5] = [
        record.order_no().as_str().into(),
        time_text(&step.at).into(),
        step.from.map(|s| s.code().to_owned()).into(),
        step.to.code().into(),
        source.as_str().into(),
    ];
    let [a, b, c, d, e] = history.clone();
    let outbox = [
        a,
        b,
        c,
        d,
        e,
        record.sendid().map(|s| s.as_str().to_owned()).into(),
        record.money().map(|m| i64::from(m.yen())).into(),
    ];
    (history, outbox)
}

/// The history row a step appends.
pub(crate) fn step_row(step: &Step, source: Source) -> HistoryRow {
    HistoryRow {
        at: step.at,
        from: step.from,
        to: step.to,
        source,
    }
}

/// Reads a checkout row.
pub(crate) fn checkout_from_row(r: &impl Columns) -> Result<Checkout, StoreError> {
    const T: &str = "checkouts";
    let mut c = Checkout::new(
        parse_sendid(T, "sendid", &r.text(T, "sendid")?)?,
        parse_money(T, "money", r.int(T, "money")?)?,
        parse_carrier(T, "carrier", &r.text(T, "carrier")?)?,
        parse_time(T, "created_at", &r.text(T, "created_at")?)?,
    );
    c.order_no = r
        .opt_text(T, "order_no")?
        .map(|s| parse_order_no(T, "order_no", &s))
        .transpose()?;
    Ok(c)
}

/// The saved checkout for `sendid`.
pub(crate) async fn find_checkout(
    ex: &mut Exec<'_>,
    context: &'static str,
    sendid: &SendId,
) -> Result<Option<Checkout>, StoreError> {
    ex.fetch_optional(context, SELECT_CHECKOUT, &[sendid.as_str().into()])
        .await?
        .map(|r| checkout_from_row(&r))
        .transpose()
}

/// Reads an outbox row.
pub(crate) fn outbox_from_row(r: &Row) -> Result<OutboxEvent, StoreError> {
    const T: &str = "outbox";
    Ok(OutboxEvent {
        id: r.int(T, "id")?,
        order_no: parse_order_no(T, "order_no", &r.text(T, "order_no")?)?,
        sendid: parse_opt_sendid(T, "sendid", r.opt_text(T, "sendid")?)?,
        from: parse_opt_status(T, "from_status", r.opt_text(T, "from_status")?)?,
        to: parse_status(T, "to_status", &r.text(T, "to_status")?)?,
        source: parse_source(T, &r.text(T, "source")?)?,
        at: parse_time(T, "at", &r.text(T, "at")?)?,
        money: parse_opt_money(T, "money", r.opt_int(T, "money")?)?,
    })
}

/// Reads a notifications row.
pub(crate) fn notification_from_row(r: &Row) -> Result<StoredNotification, StoreError> {
    const T: &str = "notifications";
    let effect = r.text(T, "effect")?;
    Ok(StoredNotification {
        id: r.int(T, "id")?,
        order_no: parse_order_no(T, "order_no", &r.text(T, "order_no")?)?,
        reported: parse_status(T, "reported_status", &r.text(T, "reported_status")?)?,
        status_before: parse_opt_status(T, "status_before", r.opt_text(T, "status_before")?)?,
        effect: zeus_carrier_core::merchant::EffectKind::from_name(&effect)
            .ok_or_else(|| StoreError::corrupt(T, "effect", format!("{effect:?}")))?,
        integrity_flag: r.opt_text(T, "integrity_flag")?,
        money: parse_opt_money(T, "money", r.opt_int(T, "money")?)?,
        carrier: parse_opt_carrier(T, "carrier", r.opt_text(T, "carrier")?)?,
        clientip: r
            .opt_text(T, "clientip")?
            .map(|s| parse_clientip(T, "clientip", &s))
            .transpose()?,
        sendid: parse_opt_sendid(T, "sendid", r.opt_text(T, "sendid")?)?,
        sendpoint: r.opt_text(T, "sendpoint")?,
        error_code: r
            .opt_text(T, "error_code")?
            .map(zeus_carrier_core::callback::CgiErrorCode::new),
        raw_query: r.bytes(T, "raw_query")?,
        received_at: parse_time(T, "received_at", &r.text(T, "received_at")?)?,
    })
}

/// Reads the `order_no` column of a row of `table`.
pub(crate) fn parse_order_no_row(r: &Row, table: &'static str) -> Result<OrderNo, StoreError> {
    parse_order_no(table, "order_no", &r.text(table, "order_no")?)
}
