//! Clearing an order's reconciliation mark with a note (issue 20): the
//! staff compared the order with the gateway's 売上管理画面 and say what
//! they found. The mark is cleared through the core's
//! [`MerchantRecord::reconciled`] and the note is kept, with the mark it
//! cleared, in `reconciliation_notes` — in one transaction serialized per
//! order, so a note exists if and only if its clearing was committed.
//!
//! The note is the staff's free text: it is stored as given and never
//! interpreted (a page escapes it when it shows it).

use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::merchant::{InFlight, MerchantRecord, ReconcileReason};
use zeus_carrier_core::values::OrderNo;

use super::Store;
use crate::codec::{parse_opt_in_flight, parse_order_no, parse_reason, parse_time, time_text};
use crate::db::{Row, with_batch};
use crate::error::StoreError;
use crate::model::{MerchantOrder, Source};
use crate::script::change_record;

/// One clearing of an order's reconciliation mark, with the staff's note.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconciliationNote {
    /// The row's id (ascending in time).
    pub id: i64,
    /// The order.
    pub order_no: OrderNo,
    /// When the mark was cleared.
    pub at: JstDateTime,
    /// The reconciliation reason that was cleared (`None` when only an
    /// operation in flight was).
    pub reason: Option<ReconcileReason>,
    /// The in-flight mark that was cleared, if any.
    pub in_flight: Option<InFlight>,
    /// The staff's note, as given.
    pub note: String,
}

const T: &str = "reconciliation_notes";

fn note_from_row(r: &Row) -> Result<ReconciliationNote, StoreError> {
    Ok(ReconciliationNote {
        id: r.int(T, "id")?,
        order_no: parse_order_no(T, "order_no", &r.text(T, "order_no")?)?,
        at: parse_time(T, "at", &r.text(T, "at")?)?,
        reason: r.opt_text(T, "reason")?.map(|c| parse_reason(&c)),
        in_flight: parse_opt_in_flight(T, "in_flight", r.opt_text(T, "in_flight")?)?,
        note: r.text(T, "note")?,
    })
}

impl Store {
    /// Clears the order's reconciliation mark (and an operation still
    /// marked in flight, [`MerchantRecord::reconciled`]) and keeps `note`
    /// with the cleared mark, in one transaction serialized per order.
    ///
    /// Returns the record and the note; the note is `None` — and nothing
    /// is written — when the order carried neither mark (already cleared,
    /// for example by a second click). No record →
    /// [`StoreError::OrderNotFound`].
    pub async fn clear_reconciliation_noted(
        &self,
        order_no: &OrderNo,
        note: &str,
        at: JstDateTime,
    ) -> Result<(MerchantOrder, Option<ReconciliationNote>), StoreError> {
        const CTX: &str = "clearing an order's reconciliation mark with a note";
        let mut tx = self.backend.begin_locked(order_no.as_str(), CTX).await?;
        let mut cleared = (None, None);
        // The store's one way to change a record inside the order's lock
        // (a mark accepts no step: the source is never written).
        let (order, _) = with_batch!(tx.exec(), CTX, |b| {
            change_record(&mut b, order_no, Source::Cgi, |r| {
                cleared = (r.reconciliation().cloned(), r.in_flight().copied());
                Ok((MerchantRecord::reconciled(r), Vec::new()))
            })
            .await
        })?;
        let (reason, in_flight) = cleared;
        if reason.is_none() && in_flight.is_none() {
            // Nothing to clear: the transaction rolls back when dropped.
            return Ok((order, None));
        }
        let row = tx
            .exec()
            .fetch_one(
                CTX,
                "INSERT INTO reconciliation_notes (order_no, at, reason, in_flight, note) \
                 VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, order_no, at, reason, in_flight, note",
                &[
                    order_no.as_str().into(),
                    time_text(&at).into(),
                    reason.as_ref().map(ReconcileReason::code).into(),
                    in_flight.as_ref().map(InFlight::code).into(),
                    note.into(),
                ],
            )
            .await?;
        let stored = note_from_row(&row)?;
        tx.commit(CTX).await?;
        tracing::info!(
            order_no = %order_no,
            reason = reason.as_ref().map(ReconcileReason::code),
            in_flight = in_flight.is_some(),
            "reconciliation mark cleared with a note"
        );
        Ok((order, Some(stored)))
    }

    /// The notes kept when the order's reconciliation mark was cleared,
    /// oldest first.
    pub async fn reconciliation_notes(
        &self,
        order_no: &OrderNo,
    ) -> Result<Vec<ReconciliationNote>, StoreError> {
        const CTX: &str = "reading reconciliation notes";
        let mut conn = self.backend.acquire(CTX).await?;
        let rows = conn
            .exec()
            .fetch_all(
                CTX,
                "SELECT id, order_no, at, reason, in_flight, note FROM reconciliation_notes \
                 WHERE order_no = $1 ORDER BY id",
                &[order_no.as_str().into()],
            )
            .await?;
        rows.iter().map(note_from_row).collect()
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use zeus_carrier_core::Status;
    use zeus_carrier_core::merchant::{Notice, OperationKind, UnknownSendId};

    use super::*;

    fn at(s: &str) -> JstDateTime {
        chrono::DateTime::parse_from_rfc3339(s).expect("time")
    }

    #[tokio::test]
    async fn issue_20_clearing_keeps_the_note_with_the_cleared_mark() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        clearing_keeps_the_note(&store).await;
    }

    /// The same on PostgreSQL (skipped without `ZEUS_CARRIER_TEST_PG_URL`,
    /// unless `ZEUS_CARRIER_REQUIRE_PG=1`).
    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn issue_20_clearing_keeps_the_note_with_the_cleared_mark_postgres() {
        let test = "issue_20_clearing_keeps_the_note_with_the_cleared_mark_postgres";
        let Some(db) = crate::testing::TempPgDatabase::from_env(test, "notes")
            .await
            .expect("create database")
        else {
            return;
        };
        let store = Store::connect(&db.url).await.expect("store");
        clearing_keeps_the_note(&store).await;
        store.close().await;
        db.drop_database().await.expect("drop database");
    }

    async fn clearing_keeps_the_note(store: &Store) {
        let no = OrderNo::parse("N0001").expect("order no");
        let t0 = at("2026-01-10T10:00:00+09:00");
        store
            .record_notification(
                Notice::new(no.clone(), Status::Authorized, t0),
                b"order_no=N0001&status=03".to_vec(),
                UnknownSendId::Apply,
            )
            .await
            .expect("notification");
        // No mark: nothing cleared, nothing written.
        let (_, none) = store
            .clear_reconciliation_noted(&no, "nothing to see", t0)
            .await
            .expect("clear");
        assert_eq!(none, None);
        assert!(
            store
                .reconciliation_notes(&no)
                .await
                .expect("notes")
                .is_empty()
        );

        let reason = ReconcileReason::OutcomeUnknown(OperationKind::Settle);
        store
            .mark_reconciliation(&no, reason.clone())
            .await
            .expect("mark");
        let note = "売上管理画面で売上確定を確認 <b>&</b>";
        let (order, kept) = store
            .clear_reconciliation_noted(&no, note, at("2026-01-10T11:00:00+09:00"))
            .await
            .expect("clear");
        assert_eq!(order.record().reconciliation(), None);
        let kept = kept.expect("a note");
        assert_eq!(kept.reason, Some(reason));
        assert_eq!(kept.note, note);
        assert_eq!(kept.at, at("2026-01-10T11:00:00+09:00"));
        assert_eq!(
            store.reconciliation_notes(&no).await.expect("notes"),
            [kept]
        );
        assert_eq!(
            store
                .get_order(&no)
                .await
                .expect("read")
                .expect("order")
                .record()
                .reconciliation(),
            None
        );
    }

    #[tokio::test]
    async fn issue_20_an_order_never_recorded_is_not_found() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        let no = OrderNo::parse("N0002").expect("order no");
        let err = store
            .clear_reconciliation_noted(&no, "x", at("2026-01-10T10:00:00+09:00"))
            .await
            .expect_err("no record");
        assert!(matches!(err, StoreError::OrderNotFound { .. }), "{err}");
    }
}
