//! A shop on this machine, for the examples: the sandbox gateway (the
//! offline stand-in for ZEUS) started in-process from its typed builder, a
//! SQLite store in a temporary directory, the merchant facade built from
//! one configuration, and its CGI receiver mounted in the shop's axum app —
//! the same wiring a real shop uses, with the sandbox's URL and clock
//! instead of the gateway's and the system's. The shopper's actions go
//! through the sandbox's own pages: the checkout page the facade rendered
//! is submitted as a browser would, then paid on the test page.

#![allow(dead_code, unreachable_pub)]

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use zeus_carrier_core::link_point::OrderRequest;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, OrderNo};
use zeus_carrier_core::{Charset, PaymentMode};
use zeus_carrier_http::Clock;
use zeus_carrier_http::config::DEFAULT_CALLBACK_PATH;
use zeus_carrier_merchant::{Merchant, MerchantConfig, callback_router};
use zeus_carrier_sandbox::{CgiTarget, Sandbox};
use zeus_carrier_store::Store;

/// The merchant's IP code and Secure Link key (the sandbox's, here).
const CLIENTIP: &str = "1234567890";
const ZKEY: &str = "example-zkey-0123456789";

/// The running shop.
pub struct Shop {
    pub merchant: Merchant,
    pub sandbox: Sandbox,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

impl Shop {
    /// Starts the sandbox (authorization mode, its clock frozen), then the
    /// shop it calls back.
    pub async fn start() -> Result<Shop, Error> {
        let dir = tempfile::tempdir()?;
        let store = Store::connect(&format!(
            "sqlite://{}",
            dir.path().join("shop.db").display()
        ))
        .await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let shop_addr = listener.local_addr()?;
        let sandbox = Sandbox::builder()
            .mode(PaymentMode::Authorization)
            .clientip(CLIENTIP)
            .zkey(ZKEY)
            .charset(Charset::Utf8)
            .cgi(CgiTarget::new(format!(
                "http://{shop_addr}{DEFAULT_CALLBACK_PATH}"
            )))
            .frozen_at(chrono::DateTime::parse_from_rfc3339(
                "2026-12-07T10:00:00+09:00",
            )?)
            .start()
            .await?;
        // The shop's one configuration: the sandbox is the gateway (and its
        // test clock the shop's clock); loopback is its CGI source.
        let state = sandbox.state().clone();
        let config = MerchantConfig::builder(ClientIp::parse(CLIENTIP)?, Zkey::new(ZKEY))
            .gateway_url(sandbox.url())
            .charset(Charset::Utf8)
            .gateway_timeout(Duration::from_secs(15))
            .clock(Clock::from_fn(move || state.now()))
            .build()?;
        let merchant = Merchant::new(store, config)?;
        // The shop's app with the receiver on its callback path.
        let app = axum::Router::new()
            .route("/", axum::routing::get(|| async { "the shop\n" }))
            .merge(callback_router(merchant.receiver()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .into_future(),
        );
        Ok(Shop {
            merchant,
            sandbox,
            stop,
            server,
            _dir: dir,
        })
    }

    /// A shopper checks out (the facade renders and saves the checkout;
    /// the sandbox submits the rendered page as a browser would) and pays
    /// on the gateway's test page; returns the order number once the
    /// gateway's CGI call (03, authorized) is recorded.
    pub async fn shopper_pays(&self, money: u32) -> Result<OrderNo, Error> {
        let request = OrderRequest::from_pairs([
            ("money", money.to_string()),
            ("carrier_type", "D".to_owned()),
            ("username", "ゼウステスト_12345678".to_owned()),
            ("telno", "0312345678".to_owned()),
        ]);
        let form = self.merchant.checkout(request).await?;
        println!(
            "checkout: sendid {} saved, form of {} bytes",
            form.checkout.sendid,
            form.body.len()
        );
        let order_no = self.sandbox.submit_checkout(&form.html).await?;
        self.sandbox.pay(&order_no).await?;
        // The sandbox answers the test page after its first CGI attempt;
        // the shop's receiver has recorded it (or the attempt failed).
        for _ in 0..100 {
            if self.merchant.order(&order_no).await?.is_some() {
                println!("order {order_no}: paid by the shopper, CGI 03 recorded");
                return Ok(order_no);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err("the gateway's CGI call did not arrive".into())
    }

    /// Stops the receiver and the sandbox.
    pub async fn stop(self) -> Result<(), Error> {
        let _ = self.stop.send(());
        self.server.await??;
        self.merchant.store().close().await;
        self.sandbox.shutdown().await?;
        Ok(())
    }
}
