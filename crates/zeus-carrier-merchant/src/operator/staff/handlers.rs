//! The page's handlers: sign-in, the list, the order, the confirmation
//! step and the three actions. The checks of the module docs run here, in
//! their order, before anything is done.

use std::collections::HashMap;
use std::time::Instant;

use axum::Form;
use axum::extract::{FromRequest as _, Path, Query, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, LOCATION, REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use zeus_carrier_core::error_code::lookup;
use zeus_carrier_core::merchant::OperationKind;
use zeus_carrier_core::secure_link::Outcome;
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_store::StoreError;

use super::guard::{Transport, clear_cookie, cookie, same_origin, set_cookie};
use super::pages::{self, Confirm, ListView, OrderView};
use super::session::{Flash, SessionView, Tone, csrf_matches};
use super::{ClearError, StaffState};
use crate::operator::json::{SettleBodyError, settle_params_from_value};
use crate::operator::orders::{DEFAULT_WITHIN_DAYS, MAX_WITHIN_DAYS};
use crate::{OperateError, Operated, Recording};

/// The largest form body read.
pub(crate) const MAX_FORM_BYTES: usize = 16 * 1024;

/// The most entries the list shows.
const MAX_LISTED: usize = 500;

/// The policy every page answer carries: no script at all, styles inline,
/// forms only to this face, never framed.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the page headers to every answer of the page's routes.
pub(crate) async fn page_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn see_other(location: &str) -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

fn with_cookie(mut r: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

fn forbidden(session: Option<&SessionView>) -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message(
            "操作を受け付けませんでした",
            "このページ以外から送られた操作、または有効期限の切れたフォームからの操作は受け付けません（何も実行していません）。ページを開き直してから操作してください。",
            session,
        ),
    )
}

fn store_failed(e: &StoreError, session: Option<&SessionView>) -> Response {
    tracing::error!(error = %e, "operator page: storage error");
    let status = if e.is_unavailable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    html(
        status,
        pages::message(
            "保存先のエラー",
            "注文の記録を読み書きできませんでした。しばらくしてから再度お試しください。",
            session,
        ),
    )
}

fn order_path(no: &str) -> String {
    format!("/ui/orders/{no}")
}

impl StaffState {
    fn transport(&self, request: &Request) -> Transport {
        Transport::of(
            request,
            self.0.merchant.config().trusted_proxies(),
            self.0.settings.cookie_security,
        )
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, super::session::Sessions> {
        self.0
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, super::session::LoginLimiter> {
        self.0
            .limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live session the request's cookie names.
    fn session(&self, request: &Request, transport: &Transport) -> Option<SessionView> {
        let id = cookie(request.headers(), transport.cookie_name())?;
        self.sessions().get(id, Instant::now())
    }

    /// The session, or the `303 /login` a page without one gets.
    fn require_session(&self, request: &Request) -> Result<SessionView, Box<Response>> {
        let t = self.transport(request);
        self.session(request, &t)
            .ok_or_else(|| Box::new(see_other("/login")))
    }

    /// The checks of a page `POST` (but `/login`), in order: same origin
    /// (`403`), a session (`303 /login`), the session's CSRF token in the
    /// form (`403`; a body that is not a readable form carries none:
    /// INTERFACES v3 §3). Returns the session and the form's fields.
    async fn guarded_post(
        &self,
        request: Request,
    ) -> Result<(SessionView, HashMap<String, String>), Box<Response>> {
        let transport = self.transport(&request);
        if let Err(why) = same_origin(request.headers()) {
            tracing::warn!(path = %request.uri().path(), ?why, "operator page: cross-origin POST refused");
            return Err(Box::new(forbidden(None)));
        }
        let Some(session) = self.session(&request, &transport) else {
            return Err(Box::new(see_other("/login")));
        };
        let form = Form::<HashMap<String, String>>::from_request(request, &())
            .await
            .map(|Form(form)| form)
            .unwrap_or_default();
        if !csrf_matches(&session, form.get("csrf").map(String::as_str)) {
            tracing::warn!("operator page: POST without the session's CSRF token refused");
            return Err(Box::new(forbidden(Some(&session))));
        }
        Ok((session, form))
    }
}

/// `GET /login`.
pub(crate) async fn login_form(State(st): State<StaffState>, request: Request) -> Response {
    let t = st.transport(&request);
    if st.session(&request, &t).is_some() {
        return see_other("/");
    }
    html(StatusCode::OK, pages::login(None))
}

/// `POST /login`.
pub(crate) async fn login(State(st): State<StaffState>, request: Request) -> Response {
    let transport = st.transport(&request);
    if let Err(why) = same_origin(request.headers()) {
        tracing::warn!(?why, "operator page: cross-origin sign-in refused");
        return forbidden(None);
    }
    let now = Instant::now();
    if let Some(wait) = st.limiter().blocked(transport.client, now) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        tracing::warn!(client = ?transport.client, "operator page: sign-in rate-limited");
        let mut r = html(
            StatusCode::TOO_MANY_REQUESTS,
            pages::login(Some(&format!(
                "サインインの失敗が続いたため、受け付けを止めています。{minutes}分後に再度お試しください。"
            ))),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(RETRY_AFTER, v);
        }
        return r;
    }
    let form = Form::<HashMap<String, String>>::from_request(request, &())
        .await
        .map(|Form(f)| f)
        .unwrap_or_default();
    let given = form.get("token").map(String::as_str).unwrap_or("");
    let mut header = Vec::with_capacity(given.len() + 7);
    header.extend_from_slice(b"Bearer ");
    header.extend_from_slice(given.as_bytes());
    if !st.0.token.authorizes(Some(&header)) {
        st.limiter().failed(transport.client, now);
        st.0.observer.unauthorized();
        tracing::warn!(client = ?transport.client, "operator page: wrong operator token");
        return html(
            StatusCode::UNAUTHORIZED,
            pages::login(Some("トークンが正しくありません。")),
        );
    }
    st.limiter().succeeded(transport.client);
    let created = st.sessions().create(now);
    match created {
        Ok(session) => {
            tracing::info!(client = ?transport.client, "operator page: signed in");
            let max_age = st.0.settings.session_ttl.as_secs();
            with_cookie(
                see_other("/"),
                &set_cookie(&transport, &session.id, max_age),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "operator page: no session made");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::login(Some("サインインできませんでした（乱数を得られません）。")),
            )
        }
    }
}

/// `POST /logout`.
pub(crate) async fn logout(State(st): State<StaffState>, request: Request) -> Response {
    let transport = st.transport(&request);
    let (session, _) = match st.guarded_post(request).await {
        Ok(ok) => ok,
        Err(r) => return *r,
    };
    st.sessions().remove(&session.id);
    tracing::info!("operator page: signed out");
    with_cookie(see_other("/login"), &clear_cookie(&transport))
}

/// `GET /`.
pub(crate) async fn list(
    State(st): State<StaffState>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let session = match st.require_session(&request) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut error = None;
    let asked = query.get("order_no").map(|s| s.trim()).unwrap_or("");
    if !asked.is_empty() {
        match OrderNo::parse(asked) {
            Ok(no) => return see_other(&order_path(no.as_str())),
            Err(_) => {
                error = Some("注文番号は半角英数字・「.」「-」の1〜38文字です。".to_owned());
            }
        }
    }
    let within_days = match query.get("within_days").map(|s| s.trim()) {
        None | Some("") => DEFAULT_WITHIN_DAYS,
        Some(t) => match t.parse::<u32>() {
            Ok(n) if n <= MAX_WITHIN_DAYS => n,
            _ => {
                error = Some(format!(
                    "日数は0〜{MAX_WITHIN_DAYS}の整数で指定してください（{DEFAULT_WITHIN_DAYS}日で表示しています）。"
                ));
                DEFAULT_WITHIN_DAYS
            }
        },
    };
    let merchant = &st.0.merchant;
    let mut deadlines = match merchant.deadlines(within_days).await {
        Ok(d) => d,
        Err(e) => return store_failed(&e, Some(&session)),
    };
    let truncated = deadlines.len() > MAX_LISTED;
    deadlines.truncate(MAX_LISTED);
    html(
        StatusCode::OK,
        pages::list(&ListView {
            session: &session,
            now: merchant.clock().now(),
            within_days,
            deadlines: &deadlines,
            error: error.as_deref(),
            query: asked,
            truncated,
        }),
    )
}

/// `GET /ui/orders/{order_no}`.
pub(crate) async fn order(
    State(st): State<StaffState>,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    let session = match st.require_session(&request) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Ok(no) = OrderNo::parse(&raw) else {
        return html(
            StatusCode::NOT_FOUND,
            pages::message(
                "注文が見つかりません",
                "注文番号の形式が正しくありません。",
                Some(&session),
            ),
        );
    };
    let flash = st.sessions().take_flash(&session.id, no.as_str());
    let merchant = &st.0.merchant;
    match merchant.order(&no).await {
        Ok(Some(order)) => {
            let notes = match merchant.reconciliation_notes(&no).await {
                Ok(n) => n,
                Err(e) => return store_failed(&e, Some(&session)),
            };
            html(
                StatusCode::OK,
                pages::order(&OrderView {
                    session: &session,
                    now: merchant.clock().now(),
                    order: &order,
                    notes: &notes,
                    flash,
                }),
            )
        }
        Ok(None) => {
            let flagged = match merchant.store().notifications(&no).await {
                Ok(n) => n
                    .into_iter()
                    .filter(|n| n.integrity_flag.is_some())
                    .collect::<Vec<_>>(),
                Err(e) => return store_failed(&e, Some(&session)),
            };
            let reviews = match merchant.unrecorded_reviews(&no).await {
                Ok(r) => r,
                Err(e) => return store_failed(&e, Some(&session)),
            };
            html(
                StatusCode::NOT_FOUND,
                pages::unrecorded(&session, no.as_str(), &flagged, &reviews, flash),
            )
        }
        Err(e) => store_failed(&e, Some(&session)),
    }
}

/// `GET /ui/orders/{order_no}/confirm?op=settle|cancel&…`: shows what
/// will be sent; nothing is done.
pub(crate) async fn confirm(
    State(st): State<StaffState>,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let session = match st.require_session(&request) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Ok(no) = OrderNo::parse(&raw) else {
        return see_other("/");
    };
    let order = match st.0.merchant.order(&no).await {
        Ok(Some(o)) => o,
        Ok(None) => return see_other(&order_path(no.as_str())),
        Err(e) => return store_failed(&e, Some(&session)),
    };
    let field = |k: &str| query.get(k).map(|s| s.trim()).unwrap_or("");
    let what = match field("op") {
        "settle" => Confirm::Settle {
            date: field("date"),
            money: field("money"),
            autype: field("autype"),
        },
        "cancel" => Confirm::Cancel,
        _ => return see_other(&order_path(no.as_str())),
    };
    html(StatusCode::OK, pages::confirm(&session, &order, &what))
}

/// `POST /ui/orders/{order_no}/settle`.
pub(crate) async fn settle(
    State(st): State<StaffState>,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    operate(st, raw, OperationKind::Settle, request).await
}

/// `POST /ui/orders/{order_no}/cancel`.
pub(crate) async fn cancel(
    State(st): State<StaffState>,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    operate(st, raw, OperationKind::Cancel, request).await
}

/// The form's settle options, read with the JSON API's rules
/// ([`settle_params_from_value`]): empty fields are absent; a date may be
/// `YYYY-MM-DD` (what a date input sends) or `YYYYMMDD`.
fn settle_params(form: &HashMap<String, String>) -> Result<SettleParams, SettleBodyError> {
    let mut map = Map::new();
    for name in ["date", "money", "autype"] {
        let v = form.get(name).map(|s| s.trim()).unwrap_or("");
        if v.is_empty() {
            continue;
        }
        let v = if name == "date" && v.len() == 10 {
            v.replace('-', "")
        } else {
            v.to_owned()
        };
        map.insert(name.to_owned(), Value::String(v));
    }
    settle_params_from_value(&Value::Object(map))
}

fn op_ja(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Settle => "売上確定",
        OperationKind::Cancel => "取消",
    }
}

async fn operate(st: StaffState, raw: String, kind: OperationKind, request: Request) -> Response {
    let (session, form) = match st.guarded_post(request).await {
        Ok(ok) => ok,
        Err(r) => return *r,
    };
    let Ok(no) = OrderNo::parse(&raw) else {
        return see_other("/");
    };
    let merchant = &st.0.merchant;
    let started = Instant::now();
    let result = match kind {
        OperationKind::Settle => match settle_params(&form) {
            Ok(params) => Some(merchant.settle(&no, params).await),
            Err(e) => {
                let flash = invalid_form_flash(no.as_str(), &e);
                st.sessions().set_flash(&session.id, flash);
                None
            }
        },
        OperationKind::Cancel => Some(merchant.cancel(&no).await),
    };
    if let Some(result) = result {
        let flash = match &result {
            Ok(done) => {
                st.0.observer.operated(kind, done, started.elapsed());
                tracing::info!(
                    order_no = no.as_str(),
                    op = kind.as_str(),
                    outcome = done.outcome.wire_name(),
                    "operator page: operation sent"
                );
                operated_flash(no.as_str(), kind, done)
            }
            Err(e) => error_flash(no.as_str(), kind, e),
        };
        st.sessions().set_flash(&session.id, flash);
    }
    see_other(&order_path(no.as_str()))
}

fn invalid_form_flash(no: &str, e: &SettleBodyError) -> Flash {
    let mut lines = Vec::new();
    if let SettleBodyError::Invalid(field) = e {
        let code = field.invalid_code();
        lines.push(format!(
            "エラーコード {code}: {}",
            lookup(code)
                .known()
                .map_or("カタログにないコード", |x| x.meaning_ja)
        ));
        lines.push(format!("{}: {}", field.wire_name(), field.rule()));
    } else {
        lines.push(e.to_string());
    }
    Flash {
        order_no: no.to_owned(),
        tone: Tone::Error,
        title: "売上確定: 送信していません（入力が正しくありません）".to_owned(),
        lines,
    }
}

/// The outcome of an operation that was sent, in words.
fn operated_flash(no: &str, kind: OperationKind, done: &Operated) -> Flash {
    let (word, mut tone) = match &done.outcome {
        Outcome::Success { .. } => ("成功", Tone::Ok),
        Outcome::Failure { .. } => ("失敗（ゲートウェイが処理しませんでした）", Tone::Error),
        Outcome::Maintenance { .. } => ("メンテナンス中", Tone::Error),
        Outcome::Invalid { .. } => ("入力エラー", Tone::Error),
        Outcome::Unknown { .. } => ("結果不明", Tone::Warn),
    };
    let mut lines = Vec::new();
    if let Some(code) = done.error_code() {
        let meaning = match done.meaning() {
            Some(m) => m,
            None if matches!(done.outcome, Outcome::Success { .. }) => "なし（正常終了）",
            None => "カタログにないコード",
        };
        lines.push(format!("エラーコード {code}: {meaning}"));
    }
    if let Some(date) = done.date() {
        lines.push(format!("売上日: {date}"));
    }
    if matches!(done.outcome, Outcome::Unknown { .. }) {
        lines.push(
            "ゲートウェイの応答を受け取れませんでした（通信エラー・タイムアウト等）。処理された可能性があるため、再送しないでください。"
                .to_owned(),
        );
    }
    if let Some(r) = &done.reconcile {
        tone = Tone::Warn;
        lines.push(format!("照合が必要です: {}", r.text_ja()));
        lines.push(format!("売上管理画面で: {}", r.check_ja()));
    }
    if matches!(done.recording, Recording::NotRecorded { .. }) {
        tone = Tone::Warn;
        lines.push(
            "ゲートウェイは応答しましたが、この店舗の記録に失敗しました。再送せず、売上管理画面で確認してください。"
                .to_owned(),
        );
    }
    Flash {
        order_no: no.to_owned(),
        tone,
        title: format!("{}: {word}（{}）", op_ja(kind), done.outcome.wire_name()),
        lines,
    }
}

/// Why an operation was not sent, in words.
fn error_flash(no: &str, kind: OperationKind, e: &OperateError) -> Flash {
    let lines = match e {
        OperateError::NotSent(refused) => vec![
            format!(
                "エラーコード {}: {}",
                refused.error_code(),
                lookup(refused.error_code())
                    .known()
                    .map_or("カタログにないコード", |x| x.meaning_ja)
            ),
            format!("結果区分: {} / 規則: {}", refused.result(), refused.rule()),
            "ゲートウェイが拒否する依頼のため、送信していません。".to_owned(),
        ],
        OperateError::NotFound(_) => vec!["この注文の記録がありません。".to_owned()],
        OperateError::MissingFact(m) => vec![
            "注文の情報（キャリア・当初の金額）が足りないため送信できません。".to_owned(),
            m.to_string(),
        ],
        OperateError::Store(StoreError::OperationLocked { .. }) => vec![
            "同じ注文の別の操作が処理中です。しばらく待ってから再度お試しください。".to_owned(),
        ],
        OperateError::Store(s) => {
            tracing::error!(order_no = no, error = %s, "operator page: storage error before sending");
            vec!["保存先のエラーのため送信していません。".to_owned()]
        }
    };
    Flash {
        order_no: no.to_owned(),
        tone: Tone::Error,
        title: format!("{}: 送信していません", op_ja(kind)),
        lines,
    }
}

/// `POST /ui/orders/{order_no}/reconciled`.
pub(crate) async fn reconciled(
    State(st): State<StaffState>,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    let (session, form) = match st.guarded_post(request).await {
        Ok(ok) => ok,
        Err(r) => return *r,
    };
    let Ok(no) = OrderNo::parse(&raw) else {
        return see_other("/");
    };
    let note = form.get("note").map(String::as_str).unwrap_or("");
    let flash = |tone, title: &str, lines: Vec<String>| Flash {
        order_no: no.as_str().to_owned(),
        tone,
        title: title.to_owned(),
        lines,
    };
    // An order with a record has its mark cleared; one known only from
    // flagged calls (no record, no mark) is reviewed instead.
    enum Cleared {
        Mark,
        Review,
    }
    let merchant = &st.0.merchant;
    let outcome = match merchant.clear_reconciliation_noted(&no, note).await {
        Ok((_, kept)) => Ok(kept.map(|_| Cleared::Mark)),
        Err(ClearError::Store(StoreError::OrderNotFound { .. })) => merchant
            .review_unrecorded(&no, note)
            .await
            .map(|r| r.map(|_| Cleared::Review)),
        Err(e) => Err(e),
    };
    let flash = match outcome {
        Ok(Some(cleared)) => {
            tracing::info!(
                order_no = no.as_str(),
                "operator page: reconciliation cleared"
            );
            let line = match cleared {
                Cleared::Mark => "確認した内容を履歴に残しました。",
                Cleared::Review => {
                    "確認した内容を残しました。この注文番号で新しい通知が照合に失敗すると、再び一覧に表示されます。"
                }
            };
            flash(Tone::Ok, "照合済みにしました", vec![line.to_owned()])
        }
        Ok(None) => flash(
            Tone::Ok,
            "照合が必要な状態ではありませんでした",
            vec!["変更はありません。".to_owned()],
        ),
        Err(ClearError::Note) => flash(
            Tone::Error,
            "照合済みにしていません",
            vec![format!(
                "確認した内容を1〜{}文字で入力してください。",
                super::MAX_NOTE_CHARS
            )],
        ),
        Err(ClearError::Store(StoreError::OrderNotFound { .. })) => flash(
            Tone::Error,
            "照合済みにしていません",
            vec!["この注文番号の記録も通知もありません。".to_owned()],
        ),
        Err(ClearError::Store(e)) => {
            tracing::error!(order_no = no.as_str(), error = %e, "operator page: clearing failed");
            flash(
                Tone::Error,
                "照合済みにしていません",
                vec!["保存先のエラーです。しばらくしてから再度お試しください。".to_owned()],
            )
        }
    };
    st.sessions().set_flash(&session.id, flash);
    see_other(&order_path(no.as_str()))
}
