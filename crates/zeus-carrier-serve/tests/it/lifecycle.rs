//! The service over real loopback sockets: restart keeps orders, graceful
//! shutdown, and the zkey never reaches the logs (INTERFACES §1, §3).

use std::time::Duration;

use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_http::Clock;
use zeus_carrier_serve::{OperatorToken, ServeConfig, bind_with_clock};

use crate::serve::{TOKEN, ZKEY};
use crate::support::{Behavior, CLIENTIP, LogCapture, at, cgi_query, checkout_form, fake_gateway};

fn config(db: &str, gateway: &str) -> ServeConfig {
    let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    cfg.operator_listen = "127.0.0.1:0".parse().expect("addr");
    cfg.operator_token = Some(OperatorToken::new(TOKEN).expect("token"));
    cfg.db = db.to_owned();
    cfg.gateway_url = gateway.to_owned();
    cfg.charset = Charset::Utf8;
    cfg
}

/// Starts the service; returns its public and operator base URLs, a
/// shutdown trigger and the serving task.
async fn start(
    cfg: &ServeConfig,
) -> (
    (String, String),
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), zeus_carrier_serve::ServeError>>,
) {
    let clock = Clock::fixed(at("2026-01-10T10:00:00+09:00"));
    let server = bind_with_clock(cfg, clock).await.expect("bind");
    let addr = server.local_addr();
    let operator = server.operator_addr();
    assert_ne!(addr.port(), 0, "the real port is known");
    assert_ne!(operator.port(), 0, "the real port is known");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    (
        (format!("http://{addr}"), format!("http://{operator}")),
        tx,
        task,
    )
}

#[test]
fn restart_keeps_orders_and_the_zkey_never_reaches_the_logs() {
    let logs = LogCapture::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
        let gw = fake_gateway(Behavior::Reply(
            200,
            b"result=Success_order&error_code=-&date=20260110".to_vec(),
        ))
        .await;
        let cfg = config(&db, &gw.url);
        assert!(!format!("{cfg:?}").contains(ZKEY), "ServeConfig Debug");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("http client");

        let ((base, operator), stop, task) = start(&cfg).await;
        // The shop's checkout, then the gateway's call for it.
        let r = http
            .post(format!("{base}/checkout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(checkout_form("S-RS", 1000))
            .send()
            .await
            .expect("checkout");
        assert_eq!(r.status(), 200);
        let q = cgi_query(
            "ORD-RS",
            "03",
            &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-RS")],
        );
        let r = http
            .get(format!("{base}/zeus/carrier/callback?{q}"))
            .send()
            .await
            .expect("callback");
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.expect("body"), "successok");
        let r = http
            .post(format!("{operator}/orders/ORD-RS/settle"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("settle");
        assert_eq!(r.status(), 200);
        let v: serde_json::Value =
            serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
        assert_eq!(v["outcome"], "success", "{v}");
        stop.send(()).expect("stop");
        tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("graceful shutdown within 20 s")
            .expect("task")
            .expect("served");

        // Restart on the same file: the order is still there.
        let ((base, operator), stop, task) = start(&cfg).await;
        let r = http
            .get(format!("{operator}/orders/ORD-RS"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("get order");
        assert_eq!(r.status(), 200);
        let o: serde_json::Value =
            serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
        assert_eq!(o["status"]["code"], "07", "{o}");
        assert_eq!(o["history"].as_array().map(Vec::len), Some(3));
        let r = http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(r.status(), 200);
        stop.send(()).expect("stop");
        tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("graceful shutdown within 20 s")
            .expect("task")
            .expect("served");
        assert!(
            gw.bodies().iter().all(|(_, b)| b.contains(ZKEY)),
            "the zkey is sent"
        );
    });
    let text = logs.text();
    assert!(text.contains("ORD-RS"), "the calls were logged:\n{text}");
    assert!(!text.contains(ZKEY), "zkey leaked into the logs:\n{text}");
    assert!(!text.contains(TOKEN), "token leaked into the logs:\n{text}");
}
