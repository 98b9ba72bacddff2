//! The sandbox's state: orders, the mail outbox and the CGI log, behind one
//! lock. The state only stores; every decision is the core's.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use zeus_carrier_core::callback::{AttemptOutcome, CgiParam, DeliveryPolicy};
use zeus_carrier_core::carrier::CarrierResult;
use zeus_carrier_core::{Charset, JstDateTime, Order, PaymentMode, Status};

use crate::clock::Clock;
use crate::config::{CgiMethod, SandboxConfig};
use crate::error::SandboxError;

/// The next result the carrier gives for one order's settle or cancel
/// (`POST /_sandbox/orders/{order_no}/carrier-outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierOutcome {
    /// The carrier carries it out.
    Ok,
    /// The carrier fails (→ 06, 09 or 11).
    Fail,
}

impl CarrierOutcome {
    /// Whether the carrier carries it out.
    pub fn is_ok(self) -> bool {
        matches!(self, CarrierOutcome::Ok)
    }

    /// The core's name for it.
    pub fn result(self) -> CarrierResult {
        match self {
            CarrierOutcome::Ok => CarrierResult::Succeeds,
            CarrierOutcome::Fail => CarrierResult::Fails,
        }
    }

    /// The carrier's answer for an operation: the outcome set for it, or ok
    /// by default.
    pub fn or_default(next: Option<CarrierOutcome>) -> CarrierResult {
        next.map_or(CarrierResult::Succeeds, CarrierOutcome::result)
    }
}

/// A site-back link from the order form (`success_url`/`success_str` or
/// `failure_url`/`failure_str`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackLink {
    /// Where the link goes.
    pub url: String,
    /// The link text.
    pub text: String,
}

/// One order as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// The core's order aggregate.
    pub order: Order,
    /// The link on the completion page, if the form gave one.
    pub success_link: Option<BackLink>,
    /// The link on the failure page, if the form gave one.
    pub failure_link: Option<BackLink>,
    /// The carrier's answer to this order's next settle (default: ok).
    pub next_settle: Option<CarrierOutcome>,
    /// The carrier's answer to this order's next cancel (default: ok).
    pub next_cancel: Option<CarrierOutcome>,
}

/// A mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// 1-based, in sending order.
    pub id: u64,
    /// When it was sent (sandbox clock).
    pub at: JstDateTime,
    /// The recipient (`--mail-to`).
    pub to: String,
    /// The subject (件名).
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The order it is about.
    pub order_no: Option<String>,
}

/// One attempt to deliver a CGI call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgiAttempt {
    /// 1-based, in the order attempts finished.
    pub id: u64,
    /// The delivery this attempt belongs to: the first attempt and its
    /// automatic retries share it; a manual resend starts a new one.
    pub delivery: u64,
    /// The order the call is about.
    pub order_no: String,
    /// The status the call reports.
    pub status: Status,
    /// How it was sent (`--cgi-method`).
    pub method: CgiMethod,
    /// The URL: with the query for GET, the target for POST.
    pub url: String,
    /// The urlencoded form body of a POST; `None` for GET.
    pub body: Option<String>,
    /// 1 for the first attempt of a delivery, 2 for its first retry, ….
    pub attempt: u32,
    /// When the attempt started (sandbox clock).
    pub at: JstDateTime,
    /// The merchant's HTTP status, when it answered.
    pub http_status: Option<u16>,
    /// What the attempt came to (the core's judgement, R-CG-1).
    pub outcome: AttemptOutcome,
    /// For a manual resend: the attempt it repeats.
    pub resend_of: Option<u64>,
}

/// The management screen's settings (INTERFACES §2 `/_sandbox/settings`):
/// the manual lets the merchant change the mail address on the screen,
/// turn each mail off, and have test payments send no mail and no CGI.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Where mails go (starts as `--mail-to`).
    pub mail_to: String,
    /// Statuses whose notification mail is not sent (mailed statuses only).
    pub mail_off: BTreeSet<Status>,
    /// Whether test payments send their notification mails (the CGI error
    /// mail is sent regardless).
    pub test_mail: bool,
    /// Whether test payments send CGI calls.
    pub test_cgi: bool,
}

impl Settings {
    /// The settings at startup: `--mail-to`, every mail on, test payments
    /// like real ones.
    pub fn from_config(config: &SandboxConfig) -> Settings {
        Settings {
            mail_to: config.mail().to.clone(),
            mail_off: BTreeSet::new(),
            test_mail: true,
            test_cgi: true,
        }
    }
}

/// What the last management-screen operation on an order came to: the
/// gateway's answer, shown on the order's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenResult {
    /// When (sandbox clock).
    pub at: JstDateTime,
    /// `取消` or `売上`.
    pub operation: &'static str,
    /// `Success_order`, `failure_order`, `invalid`, `maintenance`.
    pub result: &'static str,
    /// The error code (`-` on success).
    pub error_code: String,
    /// The code's meaning in the manual (`決済成功` on success).
    pub meaning: String,
}

/// Everything the sandbox remembers.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) orders: Vec<OrderRecord>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) mails: Vec<MailRecord>,
    pub(crate) cgi: Vec<CgiAttempt>,
    pub(crate) next_delivery: u64,
    /// Counts Secure Link responses: picks the parameter order.
    pub(crate) responses: u64,
    /// The screen's settings.
    pub(crate) settings: Settings,
    /// The last screen operation per order.
    pub(crate) screen_results: HashMap<String, ScreenResult>,
}

impl Store {
    pub(crate) fn order(&self, order_no: &str) -> Option<&OrderRecord> {
        self.index.get(order_no).and_then(|i| self.orders.get(*i))
    }

    pub(crate) fn order_mut(&mut self, order_no: &str) -> Option<&mut OrderRecord> {
        match self.index.get(order_no) {
            Some(i) => self.orders.get_mut(*i),
            None => None,
        }
    }

    pub(crate) fn new(settings: Settings) -> Store {
        Store {
            orders: Vec::new(),
            index: HashMap::new(),
            mails: Vec::new(),
            cgi: Vec::new(),
            next_delivery: 0,
            responses: 0,
            settings,
            screen_results: HashMap::new(),
        }
    }

    pub(crate) fn insert(&mut self, record: OrderRecord) {
        self.index
            .insert(record.order.order_no().to_owned(), self.orders.len());
        self.orders.push(record);
    }
}

/// The sandbox's shared state: configuration, clock, store and HTTP
/// client. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct SandboxState {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) cgi_params: Vec<CgiParam>,
    pub(crate) policy: DeliveryPolicy,
    pub(crate) order_prefix: String,
    pub(crate) clock: Clock,
    pub(crate) store: Mutex<Store>,
    pub(crate) http: reqwest::Client,
}

impl std::fmt::Debug for SandboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxState")
            .field("config", &self.shared.config)
            .field("order_prefix", &self.shared.order_prefix)
            .finish_non_exhaustive()
    }
}

impl SandboxState {
    /// Builds the state from a checked configuration: starts the clock
    /// (frozen when the configuration says so).
    pub fn new(config: SandboxConfig) -> Result<SandboxState, SandboxError> {
        let cgi_params = config
            .cgi()
            .map(|c| c.params.clone())
            .unwrap_or_else(|| CgiParam::ALL.to_vec());
        let policy = config.delivery_policy();
        let clock = match config.frozen_at() {
            Some(t) => Clock::frozen_at(t),
            None => Clock::real(),
        };
        let order_prefix = match config.order_prefix() {
            Some(p) => p.to_owned(),
            // The real start time, not the sandbox clock: numbers stay
            // unique across restarts even with the same `--now`.
            None => format!(
                "SB{}",
                zeus_carrier_core::time::to_jst(&chrono::Utc::now()).format("%y%m%d%H%M%S")
            ),
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| SandboxError::Http(e.to_string()))?;
        let settings = Settings::from_config(&config);
        Ok(SandboxState {
            shared: Arc::new(Shared {
                store: Mutex::new(Store::new(settings)),
                config,
                cgi_params,
                policy,
                order_prefix,
                clock,
                http,
            }),
        })
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves the data as it was between
        // two whole operations; keep serving.
        self.shared.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The current sandbox time.
    pub fn now(&self) -> JstDateTime {
        self.shared.clock.now()
    }

    /// The merchant's payment mode.
    pub fn payment_mode(&self) -> PaymentMode {
        self.shared.config.payment_mode()
    }

    /// The wire charset.
    pub fn charset(&self) -> Charset {
        self.shared.config.charset()
    }

    /// The CGI delivery policy built from the flags.
    pub fn delivery_policy(&self) -> DeliveryPolicy {
        self.shared.policy
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<OrderRecord> {
        self.store().orders.clone()
    }

    /// One order.
    pub fn order(&self, order_no: &str) -> Option<OrderRecord> {
        self.store().order(order_no).cloned()
    }

    /// Every mail, oldest first.
    pub fn mails(&self) -> Vec<MailRecord> {
        self.store().mails.clone()
    }

    /// Every finished CGI attempt, oldest first.
    pub fn cgi_attempts(&self) -> Vec<CgiAttempt> {
        self.store().cgi.clone()
    }

    /// The screen's settings.
    pub fn settings(&self) -> Settings {
        self.store().settings.clone()
    }

    /// Applies a settings change (`POST /_sandbox/settings`, the screen's
    /// settings form) and returns the whole settings.
    pub fn update_settings(
        &self,
        change: &crate::control::SettingsChange,
    ) -> Result<Settings, crate::control::ControlError> {
        let mut store = self.store();
        let next = change.apply(store.settings.clone())?;
        store.settings = next.clone();
        tracing::info!(settings = ?next, "settings changed");
        Ok(next)
    }

    /// The last management-screen operation on an order, if any.
    pub fn screen_result(&self, order_no: &str) -> Option<ScreenResult> {
        self.store().screen_results.get(order_no).cloned()
    }

    /// Sets the carrier's answer to the next settle and/or cancel of an
    /// order. `Err` when the order is unknown.
    pub fn set_carrier_outcome(
        &self,
        order_no: &str,
        settle: Option<CarrierOutcome>,
        cancel: Option<CarrierOutcome>,
    ) -> Result<(), SandboxError> {
        let mut store = self.store();
        let rec = store
            .order_mut(order_no)
            .ok_or_else(|| SandboxError::UnknownOrder(order_no.to_owned()))?;
        if settle.is_some() {
            rec.next_settle = settle;
        }
        if cancel.is_some() {
            rec.next_cancel = cancel;
        }
        Ok(())
    }
}
