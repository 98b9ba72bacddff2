//! Reading and writing the tables' rows: the SQL lives here, written once
//! for both backends. Every value written is one the core's model decided
//! ([`RecordParts`], [`Step`]); nothing here chooses a status or a time.

use zeus_carrier_core::merchant::{
    Checkout, Counters, InFlight, MerchantRecord, ReconcileReason, RecordParts, StatusSet, Step,
};

use crate::codec::{
    count_value, date_text, parse_carrier, parse_clientip, parse_count, parse_money,
    parse_opt_carrier, parse_opt_clientip, parse_opt_date, parse_opt_in_flight, parse_opt_money,
    parse_opt_sendid, parse_opt_status, parse_opt_time, parse_order_no, parse_reason, parse_sendid,
    parse_status, parse_time, parse_withdrawal, time_ms, time_text, withdrawal_text,
};
use crate::db::{Row, Value};
use crate::error::StoreError;
use crate::model::{HistoryRow, OutboxEvent, Source, StoredNotification};
use zeus_carrier_core::merchant::{Notice, NoticeEffect};

/// The `orders` columns, in the order [`record_values`] binds them, as a
/// literal (for `concat!`).
macro_rules! order_columns {
    () => {
        "order_no, status, money, original_money, carrier, \
         clientip, sendid, sendpoint, first_seen_at, window_from, settle_date, settled_at, \
         needs_reconciliation, notifications, duplicates, stale, flagged, notified_bits, \
         withdrawal, in_flight, settle_closes_ms, cancel_closes_ms"
    };
}

/// The `orders` columns, in the order [`record_values`] binds them.
pub(crate) const ORDER_COLUMNS: &str = order_columns!();

/// One order's row by its number.
pub(crate) const SELECT_ORDER: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE order_no = $1"
);

/// The rows of the orders in an array (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const SELECT_ORDERS_ANY: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE order_no = ANY($1::text[])"
);

/// What an upsert of `orders` does with an existing row: every column is
/// replaced (a literal, for `concat!`).
macro_rules! order_conflict {
    () => {
        " ON CONFLICT (order_no) DO UPDATE SET status = excluded.status, \
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
    };
}

/// Inserts or updates an order's row: [`record_values`] binds it.
pub(crate) const UPSERT_ORDER: &str = concat!(
    "INSERT INTO orders (",
    order_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    order_conflict!()
);

/// The same for many rows: the columns given as 22 arrays (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const UPSERT_ORDERS_UNNEST: &str = concat!(
    "INSERT INTO orders (",
    order_columns!(),
    ") SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
     $13::text[], $14::int8[], $15::int8[], $16::int8[], $17::int8[], $18::int8[], \
     $19::text[], $20::text[], $21::int8[], $22::int8[])",
    order_conflict!()
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

/// The histories of the orders in an array, each oldest first
/// (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const SELECT_HISTORIES_ANY: &str = "SELECT order_no, at, from_status, to_status, \
     source FROM order_history WHERE order_no = ANY($1::text[]) ORDER BY order_no, id";

/// The checkouts of the `sendid`s in an array (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const SELECT_CHECKOUTS_ANY: &str = "SELECT sendid, money, carrier, created_at, \
     order_no FROM checkouts WHERE sendid = ANY($1::text[])";

/// Ids for new notification, history and outbox rows, reserved in one
/// round trip: `$1`, `$2` and `$2` of them (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const RESERVE_IDS: &str = "SELECT \
     ARRAY(SELECT nextval(pg_get_serial_sequence('notifications', 'id')) \
           FROM generate_series(1, $1)) AS notifications, \
     ARRAY(SELECT nextval(pg_get_serial_sequence('order_history', 'id')) \
           FROM generate_series(1, $2)) AS history, \
     ARRAY(SELECT nextval(pg_get_serial_sequence('outbox', 'id')) \
           FROM generate_series(1, $2)) AS outbox";

/// Notification rows with reserved ids: an id array and the 13 columns
/// of [`notification_values`] as arrays (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const INSERT_NOTIFICATIONS_UNNEST: &str = "INSERT INTO notifications (id, order_no, \
     reported_status, status_before, effect, integrity_flag, money, carrier, clientip, sendid, \
     sendpoint, error_code, raw_query, received_at) OVERRIDING SYSTEM VALUE \
     SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], \
     $6::text[], $7::int8[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
     $13::bytea[], $14::text[])";

/// History rows and outbox events with reserved ids, in one statement:
/// history ids, outbox ids, then the 7 columns of an outbox row (the
/// first 5 are the history row's) as arrays (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const INSERT_STEPS_UNNEST: &str = "WITH s AS (SELECT * FROM unnest($1::int8[], \
     $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
     $9::int8[]) AS s(hid, oid, order_no, at, from_status, to_status, source, sendid, money)), \
     h AS (INSERT INTO order_history (id, order_no, at, from_status, to_status, source) \
     OVERRIDING SYSTEM VALUE SELECT hid, order_no, at, from_status, to_status, source FROM s) \
     INSERT INTO outbox (id, order_no, at, from_status, to_status, source, sendid, money) \
     OVERRIDING SYSTEM VALUE SELECT oid, order_no, at, from_status, to_status, source, sendid, \
     money FROM s";

/// A whole batch's writes in one statement (PostgreSQL): reserves the
/// notification, history and outbox ids (each table's ids sorted and
/// given to its rows in the batch's order, so they increase in arrival
/// order), inserts the notification rows, upserts the orders, inserts the
/// history rows and outbox events, claims the checkouts; returns the
/// notification ids in order. Binds, as arrays: `$1`–`$13` the 13
/// columns of [`notification_values`], `$14`–`$35` the 22 of
/// [`record_values`], `$36`–`$42` the 7 of an outbox row (the first 5
/// are the history row's), `$43`–`$44` the claims' order numbers and
/// `sendid`s. The sub-statements see one snapshot and touch different
/// rows; the foreign keys of new history rows to new orders are checked
/// at the end of the statement.
#[cfg(feature = "postgres")]
pub(crate) const WRITE_BATCH: &str = concat!(
    "WITH n AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
     $5::text[], $6::int8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
     $12::bytea[], $13::text[]) WITH ORDINALITY AS n(order_no, reported_status, status_before, \
     effect, integrity_flag, money, carrier, clientip, sendid, sendpoint, error_code, raw_query, \
     received_at, i)), \
     s AS (SELECT * FROM unnest($36::text[], $37::text[], $38::text[], $39::text[], \
     $40::text[], $41::text[], $42::int8[]) WITH ORDINALITY AS s(order_no, at, from_status, \
     to_status, source, sendid, money, i)), \
     nid AS (SELECT array_agg(v ORDER BY v) AS ids FROM (SELECT \
     nextval(pg_get_serial_sequence('notifications', 'id')) AS v FROM n) AS g), \
     hid AS (SELECT array_agg(v ORDER BY v) AS ids FROM (SELECT \
     nextval(pg_get_serial_sequence('order_history', 'id')) AS v FROM s) AS g), \
     oid AS (SELECT array_agg(v ORDER BY v) AS ids FROM (SELECT \
     nextval(pg_get_serial_sequence('outbox', 'id')) AS v FROM s) AS g), \
     ins_n AS (INSERT INTO notifications (id, order_no, reported_status, status_before, effect, \
     integrity_flag, money, carrier, clientip, sendid, sendpoint, error_code, raw_query, \
     received_at) OVERRIDING SYSTEM VALUE SELECT nid.ids[n.i], n.order_no, n.reported_status, \
     n.status_before, n.effect, n.integrity_flag, n.money, n.carrier, n.clientip, n.sendid, \
     n.sendpoint, n.error_code, n.raw_query, n.received_at FROM n, nid), \
     ins_o AS (INSERT INTO orders (",
    order_columns!(),
    ") SELECT * FROM unnest($14::text[], $15::text[], $16::int8[], $17::int8[], $18::text[], \
     $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], \
     $26::text[], $27::int8[], $28::int8[], $29::int8[], $30::int8[], $31::int8[], \
     $32::text[], $33::text[], $34::int8[], $35::int8[])",
    order_conflict!(),
    "), ins_h AS (INSERT INTO order_history (id, order_no, at, from_status, to_status, source) \
     OVERRIDING SYSTEM VALUE SELECT hid.ids[s.i], s.order_no, s.at, s.from_status, s.to_status, \
     s.source FROM s, hid), \
     ins_e AS (INSERT INTO outbox (id, order_no, at, from_status, to_status, source, sendid, \
     money) OVERRIDING SYSTEM VALUE SELECT oid.ids[s.i], s.order_no, s.at, s.from_status, \
     s.to_status, s.source, s.sendid, s.money FROM s, oid), \
     claim AS (UPDATE checkouts c SET order_no = u.o FROM unnest($43::text[], $44::text[]) \
     AS u(o, s) WHERE c.sendid = u.s AND c.order_no IS NULL) \
     SELECT coalesce(nid.ids, '{}') AS ids FROM nid"
);

/// Claims of checkouts: order numbers and `sendid`s as arrays
/// (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const CLAIM_CHECKOUTS_UNNEST: &str = "UPDATE checkouts c SET order_no = u.o \
     FROM unnest($1::text[], $2::text[]) AS u(o, s) \
     WHERE c.sendid = u.s AND c.order_no IS NULL";

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
pub(crate) fn record_from_row(r: &dyn Columns) -> Result<MerchantRecord, StoreError> {
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

/// Reads an `order_history` row selected by [`SELECT_HISTORY`].
pub(crate) fn history_from_row(r: &dyn Columns) -> Result<HistoryRow, StoreError> {
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
pub(crate) fn checkout_from_row(r: &dyn Columns) -> Result<Checkout, StoreError> {
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
#[cfg(feature = "postgres")]
pub(crate) fn parse_order_no_row(
    r: &Row,
    table: &'static str,
) -> Result<zeus_carrier_core::values::OrderNo, StoreError> {
    parse_order_no(table, "order_no", &r.text(table, "order_no")?)
}

/// Inserts a notification row ([`notification_values`] binds it); its id
/// is the new row's rowid. No `RETURNING id`: in SQLite that clause costs a
/// temporary B-tree per statement (docs/PERFORMANCE.md), and the
/// connection knows the rowid it just gave.
pub(crate) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (order_no, \
     reported_status, status_before, effect, integrity_flag, money, carrier, clientip, sendid, \
     sendpoint, error_code, raw_query, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
     $10, $11, $12, $13)";

/// The values of a notification row: the call's parameters, the record's
/// status before it, the model's effect and flag, the raw query.
pub(crate) fn notification_values(
    n: &Notice,
    raw_query: &[u8],
    before: Option<&MerchantRecord>,
    effect: &NoticeEffect,
    flag: Option<String>,
) -> [Value; 13] {
    [
        n.order_no.as_str().into(),
        n.status.code().into(),
        before.map(|r| r.status().code().to_owned()).into(),
        effect.kind().as_str().into(),
        flag.into(),
        n.money.map(|m| i64::from(m.yen())).into(),
        n.carrier.map(|c| c.code().to_owned()).into(),
        n.clientip.as_ref().map(|c| c.as_str().to_owned()).into(),
        n.sendid.as_ref().map(|s| s.as_str().to_owned()).into(),
        n.sendpoint.clone().into(),
        n.error_code.as_ref().map(|c| c.as_str().to_owned()).into(),
        Value::Bytes(raw_query.to_vec()),
        time_text(&n.received_at).into(),
    ]
}
