//! A sandbox gateway on loopback with a frozen clock, a merchant on a
//! fresh store (SQLite in a temporary directory, or a throwaway PostgreSQL
//! database), and the shopper's steps.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::Duration;

use zeus_carrier_core::Charset;
use zeus_carrier_core::link_point::OrderRequest;
use zeus_carrier_core::merchant::Notice;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, Money, OrderNo};
use zeus_carrier_core::{Carrier, Status};
use zeus_carrier_http::Clock;
use zeus_carrier_merchant::{CheckoutForm, Merchant, MerchantConfig, MerchantConfigBuilder};
use zeus_carrier_sandbox::{ORDER_NO_HEADER, Sandbox};
use zeus_carrier_store::Store;
use zeus_carrier_store::testing::TempPgDatabase;

/// Every test runs inside this bound.
pub const BOUND: Duration = Duration::from_secs(60);

/// The frozen start: a Saturday morning, Japan time.
pub const T0: &str = "2026-01-10T10:00:00+09:00";

/// The merchant's IP code (the sandbox's default).
pub const CLIENTIP: &str = "1234567890";

const ZKEY: &str = "test-zkey-0123456789";

/// Runs `f` within [`BOUND`].
pub async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(BOUND, f)
        .await
        .expect("test exceeded its bound")
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A throwaway PostgreSQL database (skipped without a cluster, unless
    /// `ZEUS_CARRIER_REQUIRE_PG=1`).
    Postgres,
}

/// The sandbox, the database and the URL to open more stores on it.
pub struct World {
    pub sandbox: Sandbox,
    pub db_url: String,
    pub store: Store,
    pub merchant: Merchant,
    pg: Option<TempPgDatabase>,
    _dir: tempfile::TempDir,
}

impl World {
    /// A sandbox in authorization mode and a merchant against it; `None`
    /// when the PostgreSQL test is skipped.
    pub async fn start(db: Db, test: &str) -> Option<World> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db_url, pg) = match db {
            Db::Sqlite => (
                format!("sqlite://{}", dir.path().join("merchant.db").display()),
                None,
            ),
            Db::Postgres => {
                let pg = TempPgDatabase::from_env(test, "merchant")
                    .await
                    .expect("create database")?;
                (pg.url.clone(), Some(pg))
            }
        };
        let sandbox = Sandbox::builder()
            .mode(zeus_carrier_core::PaymentMode::Authorization)
            .clientip(CLIENTIP)
            .zkey(ZKEY)
            .frozen_at(chrono::DateTime::parse_from_rfc3339(T0).expect("T0"))
            .order_prefix("M")
            .start()
            .await
            .expect("sandbox");
        let store = Store::connect(&db_url).await.expect("store");
        let merchant = merchant_on(&sandbox, store.clone());
        Some(World {
            sandbox,
            db_url,
            store,
            merchant,
            pg,
            _dir: dir,
        })
    }

    /// Another merchant instance on the same database (its own pool).
    pub async fn second_instance(&self) -> Merchant {
        let store = Store::connect(&self.db_url).await.expect("second store");
        merchant_on(&self.sandbox, store)
    }

    /// A paid (authorized) order: checkout, order.cgi, 支払完了テスト, and the
    /// gateway's CGI 03 recorded in the merchant's store.
    pub async fn authorized_order(&self, money: u32) -> OrderNo {
        let (order_no, form) = self.paid_at_gateway(&self.merchant, money).await;
        let mut n = Notice::new(order_no.clone(), Status::Authorized, self.sandbox.now());
        n.money = Some(Money::from_yen(money).expect("money"));
        n.carrier = Some(Carrier::Docomo);
        n.sendid = Some(form.checkout.sendid.clone());
        self.store
            .record_notification(
                n,
                b"status=03".to_vec(),
                self.merchant.config().unknown_sendid(),
            )
            .await
            .expect("record 03");
        order_no
    }

    /// `merchant`'s checkout for `money` yen, order.cgi and 支払完了テスト
    /// at the sandbox (authorized there, 03); no CGI call is recorded.
    pub async fn paid_at_gateway(
        &self,
        merchant: &Merchant,
        money: u32,
    ) -> (OrderNo, CheckoutForm) {
        let form = merchant
            .checkout(order_request(money))
            .await
            .expect("checkout");
        let mut request = order_request(money);
        request.clientip = CLIENTIP.to_owned();
        request.sendid = form.checkout.sendid.as_str().to_owned();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let body = request.to_urlencoded(Charset::ShiftJis).expect("encode");
        let r = http
            .post(self.sandbox.order_cgi_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("order.cgi");
        assert_eq!(r.status().as_u16(), 303);
        let no = r
            .headers()
            .get(ORDER_NO_HEADER)
            .and_then(|v| v.to_str().ok())
            .expect("order number")
            .to_owned();
        let r = http
            .post(format!("{}/sandbox/carrier/{no}", self.sandbox.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("decision=complete")
            .send()
            .await
            .expect("test page");
        assert_eq!(r.status().as_u16(), 200);
        (OrderNo::parse(&no).expect("order number"), form)
    }

    /// The gateway's status of an order.
    pub fn gateway_status(&self, no: &OrderNo) -> Status {
        self.sandbox
            .state()
            .order(no.as_str())
            .map(|o| o.order.status())
            .expect("order at the gateway")
    }

    /// Drops the PostgreSQL database (SQLite goes with the directory).
    pub async fn finish(self) {
        self.store.close().await;
        self.sandbox.shutdown().await.expect("sandbox stops");
        if let Some(pg) = self.pg {
            pg.drop_database().await.expect("drop database");
        }
    }
}

/// A merchant reading the sandbox's clock, built from its one
/// configuration (the sandbox is the gateway; loopback is the CGI source).
pub fn merchant_on(sandbox: &Sandbox, store: Store) -> Merchant {
    Merchant::new(store, merchant_config(sandbox).build().expect("config")).expect("merchant")
}

/// The configuration of [`merchant_on`], to add settings to.
pub fn merchant_config(sandbox: &Sandbox) -> MerchantConfigBuilder {
    let state = sandbox.state().clone();
    MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new(ZKEY),
    )
    .gateway_url(sandbox.base_url())
    .gateway_timeout(Duration::from_secs(15))
    .clock(Clock::from_fn(move || state.now()))
}

/// A test-mode order request for `money` yen, docomo.
pub fn order_request(money: u32) -> OrderRequest {
    OrderRequest::from_pairs([
        ("money", money.to_string()),
        ("carrier_type", "D".to_owned()),
        ("username", "ゼウステスト_12345678".to_owned()),
        ("telno", "0312345678".to_owned()),
    ])
}
