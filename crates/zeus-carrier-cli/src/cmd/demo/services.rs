//! The two services of the demo, in this process on loopback: the sandbox
//! gateway and the reference merchant service (`serve`) with an SQLite
//! database in a temporary directory.
//!
//! Each needs the other's address (the sandbox calls the merchant's
//! callback path; the merchant calls the sandbox's Secure Link), so the
//! merchant's socket is bound first, the sandbox is started with that
//! address as its CGI target, and the merchant is then served on the socket
//! it already holds: no port is guessed, nothing races.

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::{JstDateTime, PaymentMode};
use zeus_carrier_http::Clock;
use zeus_carrier_sandbox::{CgiTarget, Sandbox};
use zeus_carrier_serve::ServeConfig;
use zeus_carrier_serve::bind_listeners;
use zeus_carrier_serve::{OperatorToken, ServeError};

use super::web::DemoError;

/// The merchant's IP code in the demo (the sandbox's default).
pub(super) const CLIENTIP: &str = "1234567890";

/// The Secure Link key both sides share in the demo.
const ZKEY: &str = "demo-zkey-0123456789";

/// The merchant's callback path (serve's default).
pub(super) const CALLBACK_PATH: &str = "/zeus/carrier/callback";

/// The running services. [`Services::stop`] shuts them down in order.
pub(super) struct Services {
    pub(super) sandbox: Sandbox,
    pub(super) serve_url: String,
    /// The operator face (orders, settle, cancel, deadlines, metrics).
    pub(super) operator_url: String,
    /// The operator face's bearer token (generated for this run).
    pub(super) operator_token: OperatorToken,
    pub(super) db_path: String,
    serve_stop: oneshot::Sender<()>,
    serve_task: JoinHandle<Result<(), ServeError>>,
    // Removed (with the database) when the services are dropped.
    _dir: tempfile::TempDir,
}

impl Services {
    /// Starts the sandbox (authorization mode, clock frozen at `now`, CGI
    /// to the merchant with the optional statuses) and the merchant
    /// service (reading the sandbox's clock, see the module docs of
    /// `demo`).
    pub(super) async fn start(now: JstDateTime) -> Result<Services, DemoError> {
        let dir = tempfile::Builder::new()
            .prefix("zeus-carrier-demo-")
            .tempdir()
            .map_err(|e| DemoError::Start {
                what: "the temporary directory",
                detail: e.to_string(),
            })?;
        let db_path = dir.path().join("merchant.db").display().to_string();

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| DemoError::Start {
                what: "the merchant service (bind 127.0.0.1:0)",
                detail: e.to_string(),
            })?;
        let serve_addr = listener.local_addr().map_err(|e| DemoError::Start {
            what: "the merchant service",
            detail: e.to_string(),
        })?;
        let serve_url = format!("http://{serve_addr}");
        let operator_listener =
            TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| DemoError::Start {
                    what: "the merchant service's operator face (bind 127.0.0.1:0)",
                    detail: e.to_string(),
                })?;
        let operator_url = match operator_listener.local_addr() {
            Ok(a) => format!("http://{a}"),
            Err(e) => {
                return Err(DemoError::Start {
                    what: "the merchant service's operator face",
                    detail: e.to_string(),
                });
            }
        };
        let operator_token = OperatorToken::generate().map_err(|e| DemoError::Start {
            what: "the operator token",
            detail: e.to_string(),
        })?;

        let cgi_url = format!("{serve_url}{CALLBACK_PATH}");
        let config = Sandbox::builder()
            .mode(PaymentMode::Authorization)
            .clientip(CLIENTIP)
            .zkey(ZKEY)
            .frozen_at(now)
            .cgi(CgiTarget::new(cgi_url).optional(true))
            .order_prefix("DEMO")
            .build()
            .map_err(|e| DemoError::Start {
                what: "the sandbox gateway (configuration)",
                detail: e.to_string(),
            })?;
        let sandbox = Sandbox::start(config).await.map_err(|e| DemoError::Start {
            what: "the sandbox gateway",
            detail: e.to_string(),
        })?;

        let mut config = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
        config.listen = serve_addr;
        config.operator_token = Some(operator_token.clone());
        config.db = format!("sqlite://{db_path}");
        config.gateway_url = sandbox.base_url().to_owned();
        config.callback_path = CALLBACK_PATH.to_owned();
        // A Secure Link call to the sandbox may wait for its CGI calls (5 s
        // at most); keep serve's bound comfortably above that.
        config.gateway_timeout_secs = 15;
        let sandbox_state = sandbox.state().clone();
        let clock = Clock::from_fn(move || sandbox_state.now());
        let server = bind_listeners(&config, listener, operator_listener, clock)
            .await
            .map_err(|e| DemoError::Start {
                what: "the merchant service",
                detail: e.to_string(),
            })?;
        let (serve_stop, stopped) = oneshot::channel::<()>();
        let serve_task = tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));
        Ok(Services {
            sandbox,
            serve_url,
            operator_url,
            operator_token,
            db_path,
            serve_stop,
            serve_task,
            _dir: dir,
        })
    }

    /// The sandbox's base URL.
    pub(super) fn sandbox_url(&self) -> &str {
        self.sandbox.base_url()
    }

    /// Stops the merchant service (in-flight requests finish, the store
    /// closes), then the sandbox.
    pub(super) async fn stop(self) -> Result<(), DemoError> {
        let _ = self.serve_stop.send(());
        // `Server::serve` lets in-flight requests finish, then closes the store.
        let served = self.serve_task.await;
        let sandbox = self.sandbox.shutdown().await;
        match served {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(DemoError::unexpected("the merchant service", e.to_string())),
            Err(e) => return Err(DemoError::unexpected("the merchant service", e.to_string())),
        }
        sandbox.map_err(|e| DemoError::unexpected("the sandbox gateway", e.to_string()))
    }
}
