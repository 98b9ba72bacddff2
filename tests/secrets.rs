//! Secrets in `Debug` (issue #6): every configuration and handle that
//! holds the zkey, the signing key or a database password prints them
//! redacted. (The log side — a whole lifecycle of the real binaries at
//! `RUST_LOG=trace` — is `crates/zeus-carrier-cli/tests/it/secrets.rs`.)

use zeus_carrier_system_tests as support;

use zeus_carrier_core::secure_link::{CancelRequest, Request, Zkey};
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_http::{ClientConfig, Clock, SecureLinkClient, SigningKey};
use zeus_carrier_merchant::{Merchant, MerchantConfig};
use zeus_carrier_sandbox::{SandboxConfig, SandboxState};
use zeus_carrier_serve::secrets::RawSecret;
use zeus_carrier_serve::{OperatorToken, ServeConfig, ServeState};

use crate::support::{CLIENTIP, runtime};

const ZKEY: &str = "DebugZkey9a8b7c";
const SIGNING_KEY: &str = "DebugSign6d5e4f";
const DB_PASSWORD: &str = "DebugPw3c2b1a";
const OPERATOR_TOKEN: &str = "DebugOperatorToken0f1e2d";

fn assert_redacted(what: &str, debug: &str) {
    for secret in [ZKEY, SIGNING_KEY, DB_PASSWORD, OPERATOR_TOKEN] {
        assert!(!debug.contains(secret), "{what} shows a secret: {debug}");
    }
}

#[test]
fn secrets_are_redacted_in_every_debug() {
    let mut serve = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
    serve.db = format!("postgres://merchant:{DB_PASSWORD}@127.0.0.1:5432/shop");
    serve.signing_key = Some(SigningKey::new(SIGNING_KEY));
    serve.gateway_url = "http://127.0.0.1:9".to_owned();
    serve.operator_token = Some(OperatorToken::new(OPERATOR_TOKEN).expect("token"));
    assert_redacted("ServeConfig", &format!("{serve:?} {serve:#?}"));
    assert!(format!("{serve:?}").contains("merchant:***@"), "{serve:?}");
    for db in [
        format!("postgres://merchant@127.0.0.1/shop?password={DB_PASSWORD}"),
        format!("postgres://merchant@127.0.0.1/shop?sslmode=disable&password={DB_PASSWORD}"),
        format!("postgres://merchant@127.0.0.1/shop?pass%77ord={DB_PASSWORD}"),
        format!("postgres://merchant:{DB_PASSWORD}@127.0.0.1/shop"),
    ] {
        let mut c = serve.clone();
        c.db = db;
        assert_redacted("ServeConfig (db)", &format!("{c:?}"));
        assert_redacted(
            "redact_url_password",
            &zeus_carrier_serve::redact_url_password(&c.db),
        );
    }
    assert_redacted(
        "OperatorToken",
        &format!("{:?}", OperatorToken::new(OPERATOR_TOKEN).expect("token")),
    );
    assert_redacted("RawSecret", &format!("{:?}", RawSecret::new(ZKEY)));

    let client = ClientConfig::new("http://127.0.0.1:9", CLIENTIP, Zkey::new(ZKEY));
    assert_redacted("ClientConfig", &format!("{client:?}"));
    let c = SecureLinkClient::new(client).expect("client");
    assert_redacted("SecureLinkClient", &format!("{c:?}"));

    let merchant_config = MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new(ZKEY),
    )
    .gateway_url("http://127.0.0.1:9")
    .signing_key(SigningKey::new(SIGNING_KEY))
    .build()
    .expect("merchant config");
    assert_redacted(
        "MerchantConfig",
        &format!("{merchant_config:?} {merchant_config:#?}"),
    );
    assert_redacted("SigningKey", &format!("{:?}", SigningKey::new(SIGNING_KEY)));
    assert_redacted("Zkey", &format!("{:?}", Zkey::new(ZKEY)));

    let request = Request::Cancel(CancelRequest {
        clientip: CLIENTIP.to_owned(),
        order_no: "ORD-1".to_owned(),
        zkey: Zkey::new(ZKEY),
    });
    assert_redacted("secure_link::Request", &format!("{request:?}"));

    let sandbox = SandboxConfig::from_flags(["--zkey", ZKEY]).expect("flags");
    assert_redacted("SandboxConfig", &format!("{sandbox:?} {sandbox:#?}"));
    let state = SandboxState::new(sandbox).expect("state");
    assert_redacted("SandboxState", &format!("{state:?}"));

    let rt = runtime();
    rt.block_on(async {
        let store = zeus_carrier_store::Store::connect("sqlite::memory:")
            .await
            .expect("store");
        let state = ServeState::new(store.clone(), &serve, Clock::system()).expect("state");
        assert_redacted("ServeState", &format!("{state:?}"));
        let merchant = Merchant::new(store, merchant_config).expect("merchant");
        assert_redacted("Merchant", &format!("{merchant:?}"));
        assert_redacted("Receiver", &format!("{:?}", merchant.receiver()));
        // A database URL that does not parse: the error names no password.
        let e = zeus_carrier_store::Store::connect(&format!(
            "postgres://merchant:{DB_PASSWORD}@127.0.0.1:port/shop"
        ))
        .await
        .expect_err("not a port");
        assert_redacted("StoreError", &format!("{e} {e:?}"));
    });
}
