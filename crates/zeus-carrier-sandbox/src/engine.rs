//! The sandbox's operations: each one reads the clock once, asks the core
//! what happens, applies the core's events to the stored order under the
//! lock, then sends the mails and CGI calls of every status entered.

use zeus_carrier_core::callback::{Callback, should_notify};
use zeus_carrier_core::cancel::answer_cancel;
use zeus_carrier_core::error_code::{ErrorCode, codes, lookup};
use zeus_carrier_core::order::OrderDetails;
use zeus_carrier_core::secure_link::{Field, GatewayAnswer};
use zeus_carrier_core::secure_link::{Request, Zkey, ZkeyCheck};
use zeus_carrier_core::settle::{SettleParams, answer_settle};
use zeus_carrier_core::time::{jst_date, start_of_jst_day};
use zeus_carrier_core::{Event, JstDateTime, Order, Status};

use crate::config::CgiMethod;
use crate::delivery::{self, CgiJob};
use crate::state::{
    BackLink, CarrierOutcome, CgiAttempt, OrderRecord, SandboxState, ScreenResult, Store,
};

/// A status an order entered: the mails and CGI calls it causes are built
/// from this snapshot.
#[derive(Debug, Clone)]
pub(crate) struct Entered {
    /// The order right after it entered `status`.
    pub(crate) order: Order,
    /// The status entered.
    pub(crate) status: Status,
    /// The `error_code` a CGI call for it carries (`-` when none).
    pub(crate) error_code: String,
}

/// The error code of "no error" in CGI calls and responses.
pub(crate) const NO_ERROR: &str = "-";

/// Applies `events` in order at `now`, stopping at the first one the table
/// refuses (which the core's answers never produce: logged as a bug).
/// `error_code` gives the CGI `error_code` for each status entered.
pub(crate) fn apply_events(
    rec: &mut OrderRecord,
    events: &[Event],
    now: JstDateTime,
    error_code: &dyn Fn(Status) -> String,
) -> Vec<Entered> {
    let mut entered = Vec::new();
    for event in events {
        match rec.order.apply(event, now) {
            Ok(status) => entered.push(Entered {
                order: rec.order.clone(),
                status,
                error_code: error_code(status),
            }),
            Err(e) => {
                tracing::error!(order_no = %rec.order.order_no(), error = %e, "core answer refused by the transition table");
                break;
            }
        }
    }
    entered
}

/// The fields of a new order, as `order.cgi` took them.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub(crate) details: OrderDetails,
    pub(crate) success_link: Option<BackLink>,
    pub(crate) failure_link: Option<BackLink>,
}

/// Creates an order in status 01 with the next order number.
pub(crate) fn create_order(state: &SandboxState, new: NewOrder) -> OrderRecord {
    let now = state.now();
    let mut store = state.store();
    let order_no = format!(
        "{}-{:06}",
        state.shared.order_prefix,
        store.orders.len() + 1
    );
    let rec = OrderRecord {
        order: Order::accept(order_no, new.details, now),
        success_link: new.success_link,
        failure_link: new.failure_link,
        next_settle: None,
        next_cancel: None,
    };
    store.insert(rec.clone());
    rec
}

/// The shopper's decision on the payment test page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// 支払完了テスト: the carrier approves.
    Complete,
    /// 支払失敗テスト: the carrier declines.
    Fail,
}

impl Decision {
    /// Parses the form's `decision` value.
    pub fn from_form(value: &str) -> Option<Decision> {
        match value {
            "complete" => Some(Decision::Complete),
            "fail" => Some(Decision::Fail),
            _ => None,
        }
    }
}

/// Why a decision was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecideError {
    /// No such order.
    Unknown,
    /// The order was already decided (not in 01).
    AlreadyDecided(Box<OrderRecord>),
}

/// The error code a declined payment's CGI call carries. The sandbox plays
/// the carrier here, and a carrier decline on the shopper's side is
/// reported with the manual's "購入NG画面(結果通知エラー)" code.
pub const DECLINE_ERROR_CODE: &str = DECLINE.code;

/// The catalog entry of [`DECLINE_ERROR_CODE`]: `010201301`
/// 購入NG画面(結果通知エラー), checked against the catalog at compile time.
pub const DECLINE: &ErrorCode = codes::entry("010201301");

/// Takes the shopper's decision: 01 → 03/07 (by mode) or → 02 (SPEC §3).
pub(crate) fn decide(
    state: &SandboxState,
    order_no: &str,
    decision: Decision,
) -> Result<(OrderRecord, Vec<Entered>), DecideError> {
    let now = state.now();
    let mode = state.payment_mode();
    let mut store = state.store();
    let rec = store.order_mut(order_no).ok_or(DecideError::Unknown)?;
    if rec.order.status() != Status::Accepting {
        return Err(DecideError::AlreadyDecided(Box::new(rec.clone())));
    }
    let event = match decision {
        Decision::Complete => Event::Approve { mode },
        Decision::Fail => Event::Decline,
    };
    let entered = apply_events(rec, &[event], now, &|s| match s {
        Status::PaymentFailed => DECLINE_ERROR_CODE.to_owned(),
        _ => NO_ERROR.to_owned(),
    });
    Ok((rec.clone(), entered))
}

/// Settles every reservation whose date has come by `now` (00:00 Japan
/// time of the date, R-SL-2): SettleDateArrives, then the carrier's answer
/// (the order's next settle outcome, ok by default). The events are dated
/// at 00:00 of the settle date, when the gateway would have run them.
pub(crate) fn settle_due(state: &SandboxState) -> Vec<Entered> {
    let now = state.now();
    let today = jst_date(&now);
    let mut store = state.store();
    let mut entered = Vec::new();
    for rec in store.orders.iter_mut() {
        let due = match (rec.order.status(), rec.order.settle_date()) {
            (Status::SettleReserved, Some(date)) if date <= today => date,
            _ => continue,
        };
        let at = start_of_jst_day(due);
        let carrier = CarrierOutcome::or_default(rec.next_settle.take());
        let events = crate::rules::reservation_events(carrier);
        let code = codes::SETTLE_CARRIER_FAILURE.code;
        entered.extend(apply_events(rec, &events, at, &|s| match s {
            Status::SettleFailed => code.to_owned(),
            _ => NO_ERROR.to_owned(),
        }));
    }
    entered
}

/// Sends the mails and starts the CGI deliveries of every status entered,
/// in order. Returns the receivers of the first attempts.
pub(crate) fn dispatch(
    state: &SandboxState,
    entered: &[Entered],
) -> Vec<tokio::sync::oneshot::Receiver<()>> {
    let mut waits = Vec::new();
    for e in entered {
        // 処理時刻 is when the order entered the status (00:00 of the date
        // for a reservation settled by a clock jump), not when it is mailed.
        let at = e
            .order
            .history()
            .last()
            .map_or_else(|| state.now(), |h| h.at);
        if let Some(draft) = crate::rules::notification_mail(state, e, at) {
            crate::mail::send(state, draft);
        }
        let Some(target) = state.config().cgi() else {
            continue;
        };
        let base = &target.url;
        if !should_notify(e.status, state.config().optional_cgi()) {
            continue;
        }
        // The screen's setting: test payments may send no CGI (the manual:
        // "CGIやテスト用決済結果通知メールを“送信しない”設定").
        if e.order.details().test && !state.settings().test_cgi {
            tracing::info!(order_no = %e.order.order_no(), status = e.status.code(), "cgi not sent: test payments send no CGI (settings)");
            continue;
        }
        let callback =
            Callback::for_order(&e.order, e.status, &e.error_code, &state.shared.cgi_params);
        let query = match callback.to_query(state.charset()) {
            Ok(q) => q,
            Err(err) => {
                tracing::error!(order_no = %e.order.order_no(), error = %err, "cgi query cannot be encoded");
                continue;
            }
        };
        let method = target.method;
        let (url, body) = match method {
            CgiMethod::Get => (join_query(base, &query), None),
            CgiMethod::Post => (base.clone(), Some(query)),
        };
        let job = CgiJob {
            order: e.order.clone(),
            status: e.status,
            method,
            url,
            body,
            resend_of: None,
        };
        waits.push(delivery::spawn(state, job, state.delivery_policy()));
    }
    waits
}

/// Dispatches and waits for the first attempts, bounded by
/// `--cgi-answer-wait-secs`.
pub(crate) async fn dispatch_and_wait(state: &SandboxState, entered: &[Entered]) {
    let waits = dispatch(state, entered);
    if !delivery::wait_first_attempts(waits, state.config().cgi_answer_wait()).await {
        tracing::info!(
            "answering before every first CGI attempt finished (--cgi-answer-wait-secs)"
        );
    }
}

/// Settles due reservations and sends their notifications.
pub(crate) async fn run_due(state: &SandboxState) {
    let entered = settle_due(state);
    if !entered.is_empty() {
        dispatch_and_wait(state, &entered).await;
    }
}

/// Resends the notification of attempt `id` once, as a new delivery (the
/// management screen's manual resend). `None` when there is no such attempt.
pub(crate) fn resend(state: &SandboxState, id: u64) -> Option<tokio::sync::oneshot::Receiver<()>> {
    let (original, order): (CgiAttempt, Order) = {
        let store = state.store();
        let original = store.cgi.iter().find(|a| a.id == id).cloned()?;
        let order = store.order(&original.order_no)?.order.clone();
        (original, order)
    };
    let job = CgiJob {
        order,
        status: original.status,
        method: original.method,
        url: original.url,
        body: original.body,
        resend_of: Some(id),
    };
    // A manual resend is one attempt: no automatic retries (R-CG-2).
    let policy = zeus_carrier_core::callback::DeliveryPolicy {
        retry_enabled: false,
        ..state.delivery_policy()
    };
    Some(delivery::spawn(state, job, policy))
}

/// `base` with `query` appended (`?` or `&`).
pub(crate) fn join_query(base: &str, query: &str) -> String {
    if query.is_empty() {
        base.to_owned()
    } else if base.contains('?') {
        format!("{base}&{query}")
    } else {
        format!("{base}?{query}")
    }
}

/// A settle or cancel, from Secure Link or the management screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `act=settled` / the screen's 売上 form.
    Settle(SettleParams),
    /// `act=return` / the screen's 取消 button.
    Cancel,
}

/// Answers one settle or cancel with the core's answer functions and
/// applies their events to the order — the one path of both secure.cgi
/// and the management screen, so the two cannot differ.
fn answer_and_apply(
    store: &mut Store,
    order_no: &str,
    operation: Operation,
    zkey: ZkeyCheck,
    now: JstDateTime,
) -> (GatewayAnswer, Vec<Entered>) {
    let rec = store.order_mut(order_no);
    let order = rec.as_ref().map(|r| &r.order);
    let answer = match &operation {
        Operation::Settle(params) => {
            let carrier = CarrierOutcome::or_default(rec.as_ref().and_then(|r| r.next_settle));
            answer_settle(order, zkey, params, carrier, now)
        }
        Operation::Cancel => {
            let carrier = CarrierOutcome::or_default(rec.as_ref().and_then(|r| r.next_cancel));
            answer_cancel(order, zkey, carrier, now)
        }
    };
    let Some(rec) = rec else {
        return (answer, Vec::new());
    };
    // The carrier outcome set for "the next" settle or cancel is used up
    // once an operation reached the carrier.
    for event in answer.events() {
        match event {
            Event::CarrierConfirmsSettle | Event::CarrierRejectsSettle => rec.next_settle = None,
            Event::CancelOk | Event::CancelFail => rec.next_cancel = None,
            Event::Approve { .. }
            | Event::Decline
            | Event::SettleToday { .. }
            | Event::SettleFuture { .. }
            | Event::WithdrawReservation
            | Event::SettleDateArrives => {}
        }
    }
    let failure_code = answer.code().to_owned();
    let entered = apply_events(rec, answer.events(), now, &|s| match s {
        // A status the carrier's failure caused carries the response's code.
        Status::SettleFailed
        | Status::CompletedCancelFailed
        | Status::AuthorizationCancelFailed => failure_code.clone(),
        Status::Accepting
        | Status::PaymentFailed
        | Status::Authorized
        | Status::SettleReserved
        | Status::Settling
        | Status::Completed
        | Status::Cancelled
        | Status::AuthorizationCancelled => NO_ERROR.to_owned(),
    });
    (answer, entered)
}

/// Answers a Secure Link request (settle or cancel, SPEC §5–§7) with the
/// core's answer functions and applies their events to the order. Returns
/// the response body, its parameters in a varying order (R-RS-1), and the
/// statuses entered.
pub(crate) fn secure(state: &SandboxState, body: &[u8]) -> (String, Vec<Entered>) {
    let now = state.now();
    let mut store = state.store();
    store.responses = store.responses.wrapping_add(1);
    let variant = usize::try_from(store.responses).unwrap_or_default();
    let request = match Request::parse_form(body) {
        Ok(r) => r,
        Err(invalid) => {
            tracing::info!(%invalid, "secure.cgi: invalid request");
            return (invalid.response().render(variant), Vec::new());
        }
    };
    let config = state.config();
    // The request authenticates the merchant when both its IP code and its
    // key are this sandbox's (the zkey is compared by the core's `Zkey`).
    let zkey = if request.clientip() == config.clientip()
        && request.zkey().matches(&Zkey::new(config.zkey().to_owned()))
    {
        ZkeyCheck::Matches
    } else {
        ZkeyCheck::Wrong
    };
    let operation = match &request {
        Request::Settle(settle) => Operation::Settle(SettleParams::from(settle)),
        Request::Cancel(_) => Operation::Cancel,
    };
    let (answer, entered) = answer_and_apply(&mut store, request.order_no(), operation, zkey, now);
    let text = answer.response().render(variant);
    tracing::info!(
        act = request.act().wire_name(),
        order_no = request.order_no(),
        response = %text,
        "secure.cgi answered"
    );
    (text, entered)
}

/// The fields of the screen's 売上 form (`date`, `money`), as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SettleForm {
    pub(crate) date: String,
    pub(crate) money: String,
}

impl SettleForm {
    /// The settle's parameters: empty means absent (the defaults of
    /// secure.cgi); a malformed value is refused with secure.cgi's
    /// `invalid` code for the field.
    fn params(&self) -> Result<SettleParams, Field> {
        let date = match self.date.trim() {
            "" => None,
            d => Some(zeus_carrier_core::time::parse_yyyymmdd(d).ok_or(Field::Date)?),
        };
        let money = match self.money.trim() {
            "" => None,
            m => Some(zeus_carrier_core::secure_link::parse_money(m).ok_or(Field::Money)?),
        };
        Ok(SettleParams {
            money,
            autype: None,
            date,
        })
    }
}

/// An operation of the management screen (取消 ○, 売上 △ in the manual).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScreenOperation {
    /// The 売上 form.
    Settle(SettleForm),
    /// The 取消 button.
    Cancel,
}

/// Carries out a management-screen operation through exactly secure.cgi's
/// path ([`answer_and_apply`]): the staff are logged in, so the core is
/// told [`ZkeyCheck::ScreenLogin`] instead of checking a zkey. The result
/// (also a refusal, which changes nothing) is kept for the order's page.
/// `None` for an unknown order.
pub(crate) fn screen(
    state: &SandboxState,
    order_no: &str,
    operation: &ScreenOperation,
) -> Option<(ScreenResult, Vec<Entered>)> {
    let now = state.now();
    let mut store = state.store();
    store.order(order_no)?;
    let (name, parsed) = match operation {
        ScreenOperation::Settle(form) => ("売上", form.params().map(Operation::Settle)),
        ScreenOperation::Cancel => ("取消", Ok(Operation::Cancel)),
    };
    let (result, error_code, entered) = match parsed {
        Ok(op) => {
            let (answer, entered) =
                answer_and_apply(&mut store, order_no, op, ZkeyCheck::ScreenLogin, now);
            (
                answer.result().wire_name(),
                answer.code().to_owned(),
                entered,
            )
        }
        Err(field) => {
            let code = field.invalid_error_code();
            (code.class.wire_name(), code.code.to_owned(), Vec::new())
        }
    };
    let meaning = match lookup(&error_code).known() {
        Some(e) => e.meaning_ja.to_owned(),
        None => "決済成功".to_owned(),
    };
    let shown = ScreenResult {
        at: now,
        operation: name,
        result,
        error_code,
        meaning,
    };
    tracing::info!(order_no, operation = name, result = shown.result, error_code = %shown.error_code, "management screen operation");
    store
        .screen_results
        .insert(order_no.to_owned(), shown.clone());
    Some((shown, entered))
}
