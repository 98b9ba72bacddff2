//! Reading and writing the tables' rows: the SQL lives here, written once
//! for both backends.

use zeus_carrier_core::{JstDateTime, Status};

use crate::codec::{
    parse_count, parse_money, parse_opt_carrier, parse_opt_date, parse_opt_money, parse_opt_status,
    parse_opt_time, parse_status, parse_time, time_ms, time_text,
};
use crate::db::{Exec, Row, Value};
use crate::error::StoreError;
use crate::model::{
    Checkout, EffectKind, HistoryRow, MerchantOrder, OutboxEvent, Source, StoredNotification,
};
use crate::windows::Windows;

pub(crate) const ORDER_COLUMNS: &str = "order_no, status, money, original_money, carrier, \
     clientip, sendid, sendpoint, first_seen_at, window_from, settle_date, settled_at, \
     needs_reconciliation, notifications, duplicates, stale, flagged";

/// Reads an `orders` row selected with [`ORDER_COLUMNS`]; the history is
/// left empty.
pub(crate) fn order_from_row(r: &Row) -> Result<MerchantOrder, StoreError> {
    const T: &str = "orders";
    Ok(MerchantOrder {
        order_no: r.text(T, "order_no")?,
        status: parse_status(T, "status", &r.text(T, "status")?)?,
        money: parse_opt_money(T, "money", r.opt_int(T, "money")?)?,
        original_money: parse_opt_money(T, "original_money", r.opt_int(T, "original_money")?)?,
        carrier: parse_opt_carrier(T, "carrier", r.opt_text(T, "carrier")?)?,
        clientip: r.opt_text(T, "clientip")?,
        sendid: r.opt_text(T, "sendid")?,
        sendpoint: r.opt_text(T, "sendpoint")?,
        first_seen_at: parse_time(T, "first_seen_at", &r.text(T, "first_seen_at")?)?,
        window_from: parse_time(T, "window_from", &r.text(T, "window_from")?)?,
        settle_date: parse_opt_date(T, "settle_date", r.opt_text(T, "settle_date")?)?,
        settled_at: parse_opt_time(T, "settled_at", r.opt_text(T, "settled_at")?)?,
        needs_reconciliation: r.opt_text(T, "needs_reconciliation")?,
        notifications: parse_count(T, "notifications", r.int(T, "notifications")?)?,
        duplicates: parse_count(T, "duplicates", r.int(T, "duplicates")?)?,
        stale: parse_count(T, "stale", r.int(T, "stale")?)?,
        flagged: parse_count(T, "flagged", r.int(T, "flagged")?)?,
        history: Vec::new(),
    })
}

/// The order's row without its history.
pub(crate) async fn load_order_head(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &str,
) -> Result<Option<MerchantOrder>, StoreError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1");
    ex.fetch_optional(context, &sql, &[order_no.into()])
        .await?
        .map(|r| order_from_row(&r))
        .transpose()
}

/// The order with its history.
pub(crate) async fn load_order(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &str,
) -> Result<Option<MerchantOrder>, StoreError> {
    let Some(mut order) = load_order_head(ex, context, order_no).await? else {
        return Ok(None);
    };
    order.history = load_history(ex, context, order_no).await?;
    Ok(Some(order))
}

/// The order's history, oldest first.
pub(crate) async fn load_history(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &str,
) -> Result<Vec<HistoryRow>, StoreError> {
    const T: &str = "order_history";
    let rows = ex
        .fetch_all(
            context,
            "SELECT at, from_status, to_status, source FROM order_history \
             WHERE order_no = $1 ORDER BY id",
            &[order_no.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                at: parse_time(T, "at", &r.text(T, "at")?)?,
                from: parse_opt_status(T, "from_status", r.opt_text(T, "from_status")?)?,
                to: parse_status(T, "to_status", &r.text(T, "to_status")?)?,
                source: parse_source(T, &r.text(T, "source")?)?,
            })
        })
        .collect()
}

fn parse_source(table: &'static str, s: &str) -> Result<Source, StoreError> {
    Source::from_name(s)
        .ok_or_else(|| StoreError::corrupt(table, "source", format!("{s:?} is no source")))
}

/// Appends an accepted transition: a history row and an outbox event, in
/// the caller's transaction.
pub(crate) async fn append_transition(
    ex: &mut Exec<'_>,
    context: &'static str,
    order_no: &str,
    from: Option<Status>,
    to: Status,
    source: Source,
    at: &JstDateTime,
) -> Result<HistoryRow, StoreError> {
    let args = [
        order_no.into(),
        time_text(at).into(),
        from.map(|s| s.code().to_owned()).into(),
        to.code().into(),
        source.as_str().into(),
    ];
    ex.execute(
        context,
        "INSERT INTO order_history (order_no, at, from_status, to_status, source) \
         VALUES ($1, $2, $3, $4, $5)",
        &args,
    )
    .await?;
    ex.execute(
        context,
        "INSERT INTO outbox (order_no, at, from_status, to_status, source) \
         VALUES ($1, $2, $3, $4, $5)",
        &args,
    )
    .await?;
    Ok(HistoryRow {
        at: *at,
        from,
        to,
        source,
    })
}

/// The window columns' values.
pub(crate) fn window_values(w: &Windows) -> [Value; 2] {
    [
        w.settle_closes.as_ref().map(time_ms).into(),
        w.cancel_closes.as_ref().map(time_ms).into(),
    ]
}

/// Reads a checkout row.
pub(crate) fn checkout_from_row(r: &Row) -> Result<Checkout, StoreError> {
    const T: &str = "checkouts";
    let carrier = r.text(T, "carrier")?;
    Ok(Checkout {
        sendid: r.text(T, "sendid")?,
        money: parse_money(T, "money", r.int(T, "money")?)?,
        carrier: parse_opt_carrier(T, "carrier", Some(carrier))?
            .ok_or_else(|| StoreError::corrupt(T, "carrier", "missing"))?,
        created_at: parse_time(T, "created_at", &r.text(T, "created_at")?)?,
    })
}

/// The saved checkout for `sendid`.
pub(crate) async fn find_checkout(
    ex: &mut Exec<'_>,
    context: &'static str,
    sendid: &str,
) -> Result<Option<Checkout>, StoreError> {
    ex.fetch_optional(
        context,
        "SELECT sendid, money, carrier, created_at FROM checkouts WHERE sendid = $1",
        &[sendid.into()],
    )
    .await?
    .map(|r| checkout_from_row(&r))
    .transpose()
}

/// Reads an outbox row.
pub(crate) fn outbox_from_row(r: &Row) -> Result<OutboxEvent, StoreError> {
    const T: &str = "outbox";
    Ok(OutboxEvent {
        id: r.int(T, "id")?,
        order_no: r.text(T, "order_no")?,
        from: parse_opt_status(T, "from_status", r.opt_text(T, "from_status")?)?,
        to: parse_status(T, "to_status", &r.text(T, "to_status")?)?,
        source: parse_source(T, &r.text(T, "source")?)?,
        at: parse_time(T, "at", &r.text(T, "at")?)?,
    })
}

/// Reads a notifications row.
pub(crate) fn notification_from_row(r: &Row) -> Result<StoredNotification, StoreError> {
    const T: &str = "notifications";
    let effect = r.text(T, "effect")?;
    Ok(StoredNotification {
        id: r.int(T, "id")?,
        order_no: r.text(T, "order_no")?,
        reported: parse_status(T, "reported_status", &r.text(T, "reported_status")?)?,
        status_before: parse_opt_status(T, "status_before", r.opt_text(T, "status_before")?)?,
        effect: EffectKind::from_name(&effect)
            .ok_or_else(|| StoreError::corrupt(T, "effect", format!("{effect:?}")))?,
        integrity_flag: r.opt_text(T, "integrity_flag")?,
        money: parse_opt_money(T, "money", r.opt_int(T, "money")?)?,
        carrier: parse_opt_carrier(T, "carrier", r.opt_text(T, "carrier")?)?,
        clientip: r.opt_text(T, "clientip")?,
        sendid: r.opt_text(T, "sendid")?,
        sendpoint: r.opt_text(T, "sendpoint")?,
        error_code: r.opt_text(T, "error_code")?,
        raw_query: r.bytes(T, "raw_query")?,
        received_at: parse_time(T, "received_at", &r.text(T, "received_at")?)?,
    })
}
