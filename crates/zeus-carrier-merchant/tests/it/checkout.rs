//! One call renders the form and saves the checkout.

use zeus_carrier_core::values::SendId;
use zeus_carrier_merchant::{CheckoutError, SENDID_PREFIX};

use crate::support::{Db, World, order_request, within};

#[tokio::test]
async fn r_lp_5_checkout_saves_before_it_renders() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "checkout").await else {
            return;
        };
        let form = w
            .merchant
            .checkout(order_request(1200))
            .await
            .expect("form");
        assert!(form.checkout.sendid.as_str().starts_with(SENDID_PREFIX));
        let saved = w
            .store
            .find_checkout(&form.checkout.sendid)
            .await
            .expect("read")
            .expect("saved");
        assert_eq!(saved.money.yen(), 1200);
        assert!(form.html.contains("order.cgi"));
        assert!(form.html.contains(form.checkout.sendid.as_str()));
        assert!(!form.body.is_empty());
        w.finish().await;
    })
    .await;
}

#[tokio::test]
async fn r_lp_1_invalid_requests_save_nothing() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "invalid").await else {
            return;
        };
        let mut request = order_request(0);
        request.sendid = "S-INVALID".to_owned();
        let err = w.merchant.checkout(request).await.expect_err("invalid");
        assert!(matches!(err, CheckoutError::Invalid(_)), "{err:?}");
        let id = SendId::parse("S-INVALID").expect("sendid");
        assert!(w.store.find_checkout(&id).await.expect("read").is_none());
        w.finish().await;
    })
    .await;
}

#[tokio::test]
async fn a_sendid_reused_with_another_amount_is_refused() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "reuse").await else {
            return;
        };
        let mut a = order_request(1000);
        a.sendid = "S-SAME".to_owned();
        w.merchant.checkout(a.clone()).await.expect("first");
        w.merchant.checkout(a).await.expect("same again renders");
        let mut b = order_request(2000);
        b.sendid = "S-SAME".to_owned();
        let err = w.merchant.checkout(b).await.expect_err("other amount");
        assert!(matches!(err, CheckoutError::SendIdInUse { .. }), "{err:?}");
        w.finish().await;
    })
    .await;
}

#[tokio::test]
async fn a_checkout_an_order_used_is_not_rendered_again() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "used").await else {
            return;
        };
        let order_no = w.authorized_order(1000).await;
        let used = w
            .store
            .get_order(&order_no)
            .await
            .expect("read")
            .and_then(|o| o.sendid().cloned())
            .expect("the order's sendid");
        assert_eq!(
            w.merchant.order_for_checkout(&used).await.expect("read"),
            Some(order_no.clone()),
            "the cart's sendid leads to the order to settle"
        );
        let mut again = order_request(1000);
        again.sendid = used.as_str().to_owned();
        let err = w.merchant.checkout(again).await.expect_err("used");
        match &err {
            CheckoutError::AlreadyUsed(e) => {
                assert_eq!(e.sendid, used);
                assert_eq!(e.order_no, order_no);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains(order_no.as_str()), "{err}");
        // A new checkout (no sendid given) still renders; no order used it.
        let fresh = w.merchant.checkout(order_request(1000)).await.expect("new");
        assert_eq!(
            w.merchant
                .order_for_checkout(&fresh.checkout.sendid)
                .await
                .expect("read"),
            None
        );
        w.finish().await;
    })
    .await;
}
