//! Reviewing an order known only from flagged notifications: no record
//! exists to carry a reconciliation mark (every call for it was stored
//! and flagged, never applied), so `/deadlines` lists it as
//! `never_applied` ([`Deadline::unrecorded`](zeus_carrier_core::merchant::Deadline::unrecorded)).
//! Once the staff compared it with the gateway's 売上管理画面, a review
//! with their note covers every flagged call of the order up to the newest
//! one: the duty is listed no more — until a later flagged call for the
//! same order arrives, which no review covers yet.
//!
//! An order that has a record is cleared through its mark instead
//! ([`Store::clear_reconciliation_noted`]).

use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::values::OrderNo;

use super::Store;
use crate::codec::{parse_order_no, parse_time, time_text};
use crate::db::Row;
use crate::error::StoreError;

/// One review of an order known only from flagged notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnrecordedReview {
    /// The row's id (ascending in time).
    pub id: i64,
    /// The order.
    pub order_no: OrderNo,
    /// The newest flagged notification of the order when it was
    /// reviewed: this and every earlier one are covered.
    pub up_to_notification: i64,
    /// When it was reviewed.
    pub at: JstDateTime,
    /// The staff's note, as given.
    pub note: String,
}

impl UnrecordedReview {
    /// Whether this review covers the notification `notification_id` of
    /// its order: every flagged call up to the newest one when it was made
    /// (the same rule `/deadlines` applies in SQL).
    pub fn covers(&self, notification_id: i64) -> bool {
        notification_id <= self.up_to_notification
    }
}

const T: &str = "unrecorded_reviews";

fn review_from_row(r: &Row) -> Result<UnrecordedReview, StoreError> {
    Ok(UnrecordedReview {
        id: r.int(T, "id")?,
        order_no: parse_order_no(T, "order_no", &r.text(T, "order_no")?)?,
        up_to_notification: r.int(T, "up_to_notification")?,
        at: parse_time(T, "at", &r.text(T, "at")?)?,
        note: r.text(T, "note")?,
    })
}

impl Store {
    /// Reviews an order known only from flagged notifications, keeping
    /// `note`: its `never_applied` duty is listed no more until another
    /// flagged call for it arrives. One transaction, serialized with the
    /// order's recording.
    ///
    /// Returns the review; `None` — nothing written — when every flagged
    /// call of the order is already covered by a review, or when the order
    /// has a record (its mark is cleared with
    /// [`Store::clear_reconciliation_noted`]). No flagged call at all →
    /// [`StoreError::OrderNotFound`].
    pub async fn review_unrecorded(
        &self,
        order_no: &OrderNo,
        note: &str,
        at: JstDateTime,
    ) -> Result<Option<UnrecordedReview>, StoreError> {
        const CTX: &str = "reviewing an order known only from flagged notifications";
        let mut tx = self.backend.begin_locked(order_no.as_str(), CTX).await?;
        let key = [order_no.as_str().into()];
        let row = tx
            .exec()
            .fetch_one(
                CTX,
                "SELECT \
                 (SELECT max(id) FROM notifications \
                  WHERE order_no = $1 AND effect = 'flagged') AS newest, \
                 (SELECT max(up_to_notification) FROM unrecorded_reviews \
                  WHERE order_no = $1) AS reviewed, \
                 (SELECT count(*) FROM orders WHERE order_no = $1) AS recorded",
                &key,
            )
            .await?;
        let Some(newest) = row.opt_int(T, "newest")? else {
            return Err(StoreError::OrderNotFound {
                order_no: order_no.clone(),
            });
        };
        let covered = row.opt_int(T, "reviewed")?.is_some_and(|r| r >= newest);
        if covered || row.int(T, "recorded")? > 0 {
            // Nothing to review: the transaction rolls back when dropped.
            return Ok(None);
        }
        let row = tx
            .exec()
            .fetch_one(
                CTX,
                "INSERT INTO unrecorded_reviews (order_no, up_to_notification, at, note) \
                 VALUES ($1, $2, $3, $4) \
                 RETURNING id, order_no, up_to_notification, at, note",
                &[
                    order_no.as_str().into(),
                    newest.into(),
                    time_text(&at).into(),
                    note.into(),
                ],
            )
            .await?;
        let review = review_from_row(&row)?;
        tx.commit(CTX).await?;
        tracing::info!(
            order_no = %order_no,
            up_to_notification = newest,
            "order known only from flagged notifications reviewed, with a note"
        );
        Ok(Some(review))
    }

    /// The reviews of an order known only from flagged notifications,
    /// oldest first.
    pub async fn unrecorded_reviews(
        &self,
        order_no: &OrderNo,
    ) -> Result<Vec<UnrecordedReview>, StoreError> {
        const CTX: &str = "reading the reviews of an unrecorded order";
        let mut conn = self.backend.acquire(CTX).await?;
        let rows = conn
            .exec()
            .fetch_all(
                CTX,
                "SELECT id, order_no, up_to_notification, at, note FROM unrecorded_reviews \
                 WHERE order_no = $1 ORDER BY id",
                &[order_no.as_str().into()],
            )
            .await?;
        rows.iter().map(review_from_row).collect()
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use zeus_carrier_core::Status;
    use zeus_carrier_core::merchant::{DeadlineKind, Notice, UnknownSendId};
    use zeus_carrier_core::values::SendId;

    use super::*;

    fn at(s: &str) -> JstDateTime {
        chrono::DateTime::parse_from_rfc3339(s).expect("time")
    }

    #[tokio::test]
    async fn a_review_clears_the_never_applied_duty_until_the_next_flagged_call() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        review_cycle(&store).await;
    }

    /// The same on PostgreSQL (skipped without `ZEUS_CARRIER_TEST_PG_URL`,
    /// unless `ZEUS_CARRIER_REQUIRE_PG=1`).
    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn a_review_clears_the_never_applied_duty_until_the_next_flagged_call_postgres() {
        let test = "a_review_clears_the_never_applied_duty_until_the_next_flagged_call_postgres";
        let Some(db) = crate::testing::TempPgDatabase::from_env(test, "reviews")
            .await
            .expect("create database")
        else {
            return;
        };
        let store = Store::connect(&db.url).await.expect("store");
        review_cycle(&store).await;
        store.close().await;
        db.drop_database().await.expect("drop database");
    }

    /// A call for `no` whose `sendid` has no checkout: stored, flagged.
    async fn flagged_call(store: &Store, no: &OrderNo, received: &str) {
        let mut n = Notice::new(no.clone(), Status::Authorized, at(received));
        n.sendid = Some(SendId::parse("NO-CHECKOUT").expect("sendid"));
        store
            .record_notification(n, b"status=03".to_vec(), UnknownSendId::Flag)
            .await
            .expect("flagged call");
    }

    async fn duties(store: &Store, now: &str) -> Vec<OrderNo> {
        store
            .list_deadlines(at(now), 0)
            .await
            .expect("deadlines")
            .into_iter()
            .filter(|d| d.kind == DeadlineKind::Reconciliation)
            .map(|d| d.order_no)
            .collect()
    }

    async fn review_cycle(store: &Store) {
        let no = OrderNo::parse("U0001").expect("order no");
        let other = OrderNo::parse("U0002").expect("order no");
        let now = "2026-01-10T12:00:00+09:00";
        // Never seen: nothing to review.
        let err = store
            .review_unrecorded(&no, "x", at(now))
            .await
            .expect_err("unknown order");
        assert!(matches!(err, StoreError::OrderNotFound { .. }), "{err}");

        flagged_call(store, &no, "2026-01-10T10:00:00+09:00").await;
        flagged_call(store, &no, "2026-01-10T10:00:40+09:00").await;
        flagged_call(store, &other, "2026-01-10T10:01:00+09:00").await;
        assert_eq!(duties(store, now).await, [no.clone(), other.clone()]);

        let note = "売上管理画面に該当なし <b>&</b>";
        let review = store
            .review_unrecorded(&no, note, at(now))
            .await
            .expect("review")
            .expect("written");
        assert_eq!(review.order_no, no);
        assert_eq!(review.note, note);
        assert_eq!(review.at, at(now));
        let newest = store
            .notifications(&no)
            .await
            .expect("notifications")
            .iter()
            .map(|n| n.id)
            .max();
        assert_eq!(Some(review.up_to_notification), newest);
        let newest = newest.expect("a notification");
        assert!(review.covers(newest) && !review.covers(newest + 1));
        // Listed no more; the other order still is.
        assert_eq!(duties(store, now).await, std::slice::from_ref(&other));
        // Reviewing again writes nothing.
        assert_eq!(
            store
                .review_unrecorded(&no, "again", at(now))
                .await
                .expect("again"),
            None
        );
        assert_eq!(
            store.unrecorded_reviews(&no).await.expect("reviews"),
            std::slice::from_ref(&review)
        );

        // A later flagged call raises the duty again, and a second review
        // covers it.
        flagged_call(store, &no, "2026-01-10T13:00:00+09:00").await;
        assert_eq!(duties(store, now).await, [no.clone(), other.clone()]);
        let second = store
            .review_unrecorded(&no, "二度目も該当なし", at("2026-01-10T13:05:00+09:00"))
            .await
            .expect("review")
            .expect("written");
        assert!(second.up_to_notification > review.up_to_notification);
        assert_eq!(duties(store, now).await, [other]);
        assert_eq!(
            store.unrecorded_reviews(&no).await.expect("reviews"),
            [review, second]
        );
    }

    #[tokio::test]
    async fn an_order_with_a_record_is_not_reviewed_here() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        let no = OrderNo::parse("U0003").expect("order no");
        flagged_call(&store, &no, "2026-01-10T10:00:00+09:00").await;
        store
            .record_notification(
                Notice::new(
                    no.clone(),
                    Status::Authorized,
                    at("2026-01-10T10:01:00+09:00"),
                ),
                b"status=03".to_vec(),
                UnknownSendId::Apply,
            )
            .await
            .expect("applied call");
        assert!(store.get_order(&no).await.expect("read").is_some());
        let none = store
            .review_unrecorded(&no, "x", at("2026-01-10T11:00:00+09:00"))
            .await
            .expect("review");
        assert_eq!(none, None);
        assert!(
            store
                .unrecorded_reviews(&no)
                .await
                .expect("reviews")
                .is_empty()
        );
    }
}
