//! What the merchant must act on, a page at a time
//! ([`crate::Store::list_deadlines_page`], INTERFACES v3 §3 `/deadlines`
//! with `limit` and `after`).
//!
//! The list is ordered by a key every entry has: first the reconciliation
//! duties by order number (an order's reconciliation mark, then its
//! operation in flight; an order known only from flagged notifications
//! has one), then the windows by the millisecond they close, then order
//! number, settle before cancel. A page reads only what it returns, from
//! indexes: the duties from a partial index of the orders with a mark or
//! an operation in flight (and of the flagged notifications), the windows
//! from one index per window on (closing millisecond, order number) —
//! so a page costs the same whatever the number of orders. The cursor is
//! the key of a page's last entry; the next page starts after it.
//!
//! The store only selects the candidates; each entry is what the core's
//! [`MerchantRecord::deadlines`] says for its record.

use std::fmt;

use chrono::TimeDelta;
use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::merchant::{Deadline, DeadlineKind, DutyReason};
use zeus_carrier_core::time::to_jst;

use crate::codec::parse_order_no;
use crate::codec::time_ms;
use crate::db::{Backend, Exec};
use crate::error::StoreError;
use crate::rows::{ORDER_COLUMNS, record_from_row};
use crate::script::Query;

/// The page size `/deadlines` uses when none is asked for.
pub const DEFAULT_DEADLINE_PAGE: u32 = 1000;
/// The largest page [`crate::Store::list_deadlines_page`] returns.
pub const MAX_DEADLINE_PAGE: u32 = 10_000;

/// Where a page of deadlines ends: pass it as `after` to get the next
/// page. Opaque: shown and parsed as text (URL-safe: letters, digits,
/// `.`, `-`), valid for the same `now` and range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeadlineCursor(Key);

/// The sort key of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// A reconciliation duty: the order, then 0 for its mark, 1 for its
    /// operation in flight, 2 for an order with no record.
    Duty { order_no: String, sub: u8 },
    /// A window: when it closes (Unix ms), the order, 0 settle / 1 cancel.
    Window {
        closes_ms: i64,
        order_no: String,
        sub: u8,
    },
}

/// A text that is no [`DeadlineCursor`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a deadline cursor (pass back the `next` of a page as it was given)")]
pub struct InvalidCursor;

impl fmt::Display for DeadlineCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Key::Duty { order_no, sub } => write!(f, "d.{sub}.{order_no}"),
            Key::Window {
                closes_ms,
                order_no,
                sub,
            } => write!(f, "w.{closes_ms}.{sub}.{order_no}"),
        }
    }
}

impl std::str::FromStr for DeadlineCursor {
    type Err = InvalidCursor;

    fn from_str(s: &str) -> Result<DeadlineCursor, InvalidCursor> {
        let sub = |s: &str| {
            s.parse::<u8>()
                .ok()
                .filter(|n| *n <= 2)
                .ok_or(InvalidCursor)
        };
        let order_no = |s: &str| {
            zeus_carrier_core::values::OrderNo::parse(s)
                .map(|o| o.as_str().to_owned())
                .map_err(|_| InvalidCursor)
        };
        let key = match s.split_once('.') {
            Some(("d", rest)) => {
                let (n, o) = rest.split_once('.').ok_or(InvalidCursor)?;
                Key::Duty {
                    order_no: order_no(o)?,
                    sub: sub(n)?,
                }
            }
            Some(("w", rest)) => {
                let mut parts = rest.splitn(3, '.');
                let ms = parts.next().ok_or(InvalidCursor)?;
                let n = parts.next().ok_or(InvalidCursor)?;
                let o = parts.next().ok_or(InvalidCursor)?;
                Key::Window {
                    closes_ms: ms.parse().map_err(|_| InvalidCursor)?,
                    order_no: order_no(o)?,
                    sub: sub(n)?,
                }
            }
            _ => return Err(InvalidCursor),
        };
        Ok(DeadlineCursor(key))
    }
}

/// One page of [`crate::Store::list_deadlines_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadlinePage {
    /// The entries, in list order.
    pub items: Vec<Deadline>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<DeadlineCursor>,
}

/// The duties' candidates: orders with a mark or an operation in flight,
/// from `$1` on (`{C}`: the byte order's collation on PostgreSQL).
const DUTY_ORDERS: &str = "SELECT {COLS} FROM orders \
     WHERE (needs_reconciliation IS NOT NULL OR in_flight IS NOT NULL) \
     AND order_no{C} >= $1 ORDER BY order_no{C} LIMIT $2";

/// Orders known only from flagged notifications that no review covers
/// (`Store::review_unrecorded`), from `$1` on.
const UNRECORDED: &str = "SELECT DISTINCT n.order_no{C} AS order_no FROM notifications n \
     WHERE n.effect = 'flagged' AND n.order_no{C} >= $1 \
     AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_no = n.order_no) \
     AND NOT EXISTS (SELECT 1 FROM unrecorded_reviews r \
     WHERE r.order_no = n.order_no AND r.up_to_notification >= n.id) \
     ORDER BY 1 LIMIT $2";

/// The windows closing by `$1` (ms), from (`$2` ms, `$3` order) on, in
/// (closing ms, order) order: each arm one range of its window's index,
/// read in index order and stopped at `$4` rows (so neither backend scans
/// or sorts more than a page), then the two merged (an order's settle and
/// cancel closing in the same millisecond come in either order: the
/// caller sorts them).
const WINDOWS: &str = "SELECT * FROM (\
     SELECT * FROM (SELECT settle_closes_ms AS closes_ms, CAST(0 AS BIGINT) AS sub, {COLS} \
     FROM orders WHERE (settle_closes_ms, order_no{C}) >= ($2, $3) AND settle_closes_ms <= $1 \
     ORDER BY settle_closes_ms, order_no{C} LIMIT $4) AS s \
     UNION ALL \
     SELECT * FROM (SELECT cancel_closes_ms AS closes_ms, CAST(1 AS BIGINT) AS sub, {COLS} \
     FROM orders WHERE (cancel_closes_ms, order_no{C}) >= ($2, $3) AND cancel_closes_ms <= $1 \
     ORDER BY cancel_closes_ms, order_no{C} LIMIT $4) AS c\
     ) AS w ORDER BY closes_ms, order_no{C} LIMIT $4";

/// `sql` for `backend`: the column list, and text compared byte by byte
/// (SQLite's default; PostgreSQL's `"C"` collation) as Rust compares it.
fn sql(backend: &Backend, sql: &str) -> String {
    let c = match backend {
        Backend::Postgres(_) => " COLLATE \"C\"",
        Backend::Sqlite { .. } => "",
    };
    sql.replace("{COLS}", ORDER_COLUMNS).replace("{C}", c)
}

fn duty_sub(d: &Deadline) -> u8 {
    match (&d.reason, d.status) {
        (_, None) => 2,
        (Some(DutyReason::InFlight(_)), _) => 1,
        _ => 0,
    }
}

/// A page of the list (see the module documentation): on a SQLite file
/// through a rusqlite connection of its own on a blocking thread (one
/// hand-off for the page, not one per row), otherwise through the pool.
pub(crate) async fn page(
    backend: &Backend,
    now: JstDateTime,
    within_days: u32,
    limit: u32,
    after: Option<&DeadlineCursor>,
) -> Result<DeadlinePage, StoreError> {
    const CTX: &str = "listing deadlines";
    let limit = usize::try_from(limit.clamp(1, MAX_DEADLINE_PAGE)).unwrap_or(1);
    let now = to_jst(&now);
    let until = now
        .checked_add_signed(TimeDelta::days(i64::from(within_days)))
        .unwrap_or(now);
    let after = after.map(|c| c.0.clone());
    let q = Queries::for_backend(backend);
    #[cfg(feature = "sqlite")]
    if let Backend::Sqlite {
        file: Some(path), ..
    } = backend
    {
        let handle = tokio::runtime::Handle::current();
        return crate::sqlite_writer::deadlines_page(path.clone(), move |s| {
            // Every statement of a rusqlite `Query` completes where
            // it is awaited: this never waits on the runtime.
            handle.block_on(page_in(s, &q, now, until, limit, after.as_ref()))
        })
        .await;
    }
    let mut conn = backend.acquire(CTX).await?;
    match conn.exec() {
        #[cfg(feature = "sqlite")]
        Exec::Sqlite(conn) => {
            let mut s = crate::db::SqlxSqlite { conn, ctx: CTX };
            page_in(&mut s, &q, now, until, limit, after.as_ref()).await
        }
        #[cfg(feature = "postgres")]
        Exec::Postgres(conn) => {
            let mut s = crate::db::SqlxPg { conn, ctx: CTX };
            page_in(&mut s, &q, now, until, limit, after.as_ref()).await
        }
    }
}

/// The three queries of a page, for one backend.
struct Queries {
    duty_orders: String,
    unrecorded: String,
    windows: String,
}

impl Queries {
    fn for_backend(backend: &Backend) -> Queries {
        Queries {
            duty_orders: sql(backend, DUTY_ORDERS),
            unrecorded: sql(backend, UNRECORDED),
            windows: sql(backend, WINDOWS),
        }
    }
}

async fn page_in<S: Query>(
    s: &mut S,
    q: &Queries,
    now: JstDateTime,
    until: JstDateTime,
    limit: usize,
    after: Option<&Key>,
) -> Result<DeadlinePage, StoreError> {
    // One more than the page: whether another page follows.
    let want = limit + 1;
    let mut items: Vec<(Key, Deadline)> = Vec::with_capacity(want);
    if !matches!(after, Some(Key::Window { .. })) {
        duties(s, q, now, until, after, want, &mut items).await?;
    }
    if items.len() < want {
        let from = match after {
            Some(k @ Key::Window { .. }) => Some(k),
            _ => None,
        };
        windows(s, q, now, until, from, want, &mut items).await?;
    }
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|(k, _)| DeadlineCursor(k.clone()))
    } else {
        None
    };
    Ok(DeadlinePage {
        items: items.into_iter().map(|(_, d)| d).collect(),
        next,
    })
}

/// Appends the duties after `after`, in key order, until `items` holds
/// `want` entries or there are no more.
async fn duties<S: Query>(
    s: &mut S,
    q: &Queries,
    now: JstDateTime,
    until: JstDateTime,
    after: Option<&Key>,
    want: usize,
    items: &mut Vec<(Key, Deadline)>,
) -> Result<(), StoreError> {
    let from = match after {
        Some(Key::Duty { order_no, .. }) => order_no.clone(),
        _ => String::new(),
    };
    // Every row gives at least one entry; one row may be the cursor's
    // own order, partly listed already.
    let n = want - items.len() + 2;
    let args = [from.into(), i64::try_from(n).unwrap_or(i64::MAX).into()];
    let orders = s.query(&q.duty_orders, &args, record_from_row).await?;
    let unrecorded = s
        .query(&q.unrecorded, &args, |r| {
            parse_order_no(
                "notifications",
                "order_no",
                &r.text("notifications", "order_no")?,
            )
        })
        .await?;
    let mut found: Vec<(Key, Deadline)> = Vec::new();
    for record in &orders {
        for d in record.deadlines(now, until) {
            if d.kind == DeadlineKind::Reconciliation {
                let key = Key::Duty {
                    order_no: record.order_no().as_str().to_owned(),
                    sub: duty_sub(&d),
                };
                found.push((key, d));
            }
        }
    }
    for order_no in &unrecorded {
        let d = Deadline::unrecorded(order_no.clone());
        let key = Key::Duty {
            order_no: order_no.as_str().to_owned(),
            sub: 2,
        };
        found.push((key, d));
    }
    // A query that returned all it was asked for may have more beyond its
    // last row: keep only what both queries saw completely.
    let bound = [
        orders
            .last()
            .filter(|_| orders.len() >= n)
            .map(|r| r.order_no().as_str().to_owned()),
        unrecorded
            .last()
            .filter(|_| unrecorded.len() >= n)
            .map(|o| o.as_str().to_owned()),
    ]
    .into_iter()
    .flatten()
    .min();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, d) in found {
        if after.is_some_and(|a| &key <= a) {
            continue;
        }
        if let (Some(b), Key::Duty { order_no, .. }) = (&bound, &key)
            && order_no > b
        {
            break;
        }
        items.push((key, d));
        if items.len() >= want {
            break;
        }
    }
    Ok(())
}

/// Appends the windows after `after` (from the first when `None`), in key
/// order, until `items` holds `want` entries or there are no more.
async fn windows<S: Query>(
    s: &mut S,
    q: &Queries,
    now: JstDateTime,
    until: JstDateTime,
    after: Option<&Key>,
    want: usize,
    items: &mut Vec<(Key, Deadline)>,
) -> Result<(), StoreError> {
    let (lo, hi) = (time_ms(&now), time_ms(&until));
    let after = after.cloned();
    // Where the query starts (inclusive): the cursor's row, or the range.
    let mut from = match &after {
        Some(Key::Window {
            closes_ms,
            order_no,
            ..
        }) if *closes_ms >= lo => (*closes_ms, order_no.clone()),
        _ => (lo, String::new()),
    };
    loop {
        let n = want - items.len() + 2;
        let args = [
            hi.into(),
            from.0.into(),
            from.1.clone().into(),
            i64::try_from(n).unwrap_or(i64::MAX).into(),
        ];
        let rows = s
            .query(&q.windows, &args, |r| {
                Ok((
                    record_from_row(r)?,
                    r.int("orders", "closes_ms")?,
                    r.int("orders", "sub")?,
                ))
            })
            .await?;
        let full = rows.len() >= n;
        let mut keyed = Vec::with_capacity(rows.len());
        for (record, closes_ms, sub) in rows {
            let sub = u8::try_from(sub).unwrap_or(u8::MAX);
            let key = Key::Window {
                closes_ms,
                order_no: record.order_no().as_str().to_owned(),
                sub,
            };
            keyed.push((key, sub, record));
        }
        // A full answer may have cut an order's two windows of one
        // millisecond apart: leave that order to the next query.
        let mut next = None;
        if full
            && let Some((
                Key::Window {
                    closes_ms,
                    order_no,
                    ..
                },
                ..,
            )) = keyed.last()
        {
            let edge = (*closes_ms, order_no.clone());
            keyed.retain(|(k, ..)| {
                !matches!(k, Key::Window { closes_ms, order_no, .. }
                    if (*closes_ms, order_no.as_str()) == (edge.0, edge.1.as_str()))
            });
            next = Some(edge);
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, sub, record) in keyed {
            if after.as_ref().is_some_and(|a| &key <= a)
                || items.last().is_some_and(|(last, _)| &key <= last)
            {
                continue;
            }
            let kind = if sub == 0 {
                DeadlineKind::Settle
            } else {
                DeadlineKind::Cancel
            };
            // The core decides; a window the column lists but the record
            // does not (closing within the same millisecond as `now` or
            // `until`, outside them) is left out.
            if let Some(d) = record
                .deadlines(now, until)
                .into_iter()
                .find(|d| d.kind == kind)
            {
                items.push((key, d));
                if items.len() >= want {
                    return Ok(());
                }
            }
        }
        match next {
            Some(edge) => from = edge,
            None => return Ok(()),
        }
    }
}
