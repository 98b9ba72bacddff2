//! The demo's HTTP side: one loopback client for the shopper's browser,
//! the merchant's staff and the sandbox's control endpoints, and the
//! demo's error type.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION};
use serde_json::Value;
use zeus_carrier_core::Charset;

/// Why the demo stopped before it could finish its timeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum DemoError {
    /// A service could not be started.
    #[error("could not start {what}: {detail}")]
    Start {
        /// Which service.
        what: &'static str,
        /// Why.
        detail: String,
    },
    /// A request did not get an answer.
    #[error("{what}: {source}")]
    Http {
        /// The request.
        what: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// An answer the next step cannot work with.
    #[error("{what}: {detail}")]
    Unexpected {
        /// The request or page.
        what: String,
        /// What was wrong with it.
        detail: String,
    },
    /// Every step ran, but some checks differed from SPEC.md.
    #[error("{0} of the demo's checks differed from SPEC.md (see the timeline)")]
    Differed(usize),
    /// The whole demo took longer than its bound.
    #[error("the demo did not finish within {0} s")]
    Timeout(u64),
}

impl DemoError {
    pub(super) fn unexpected(what: impl Into<String>, detail: impl Into<String>) -> DemoError {
        DemoError::Unexpected {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// The bound of one request (the sandbox waits at most 5 s for a CGI call's
/// first attempt before it answers).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// An answer, read whole.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) what: String,
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Answer {
    /// A header's value as text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Location`.
    pub(super) fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON.
    pub(super) fn json(&self) -> Result<Value, DemoError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            DemoError::unexpected(
                &self.what,
                format!(
                    "{} with a body that is not JSON ({e}): {}",
                    self.status,
                    self.text_lossy()
                ),
            )
        })
    }

    /// The body decoded in the charset its `Content-Type` names (UTF-8
    /// when it names none), as a browser reads a page.
    pub(super) fn page(&self) -> Result<String, DemoError> {
        let charset = self
            .header(CONTENT_TYPE.as_str())
            .and_then(charset_of_content_type)
            .unwrap_or(Charset::Utf8);
        charset
            .decode(&self.body)
            .map(|s| s.into_owned())
            .map_err(|e| {
                DemoError::unexpected(&self.what, format!("page not in {}: {e}", charset.name()))
            })
    }

    /// The body as text, replacing what is not UTF-8 (for messages).
    pub(super) fn text_lossy(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut short: String = text.chars().take(300).collect();
        if short.len() < text.len() {
            short.push('…');
        }
        short
    }

    /// Fails unless the status is `expected`.
    pub(super) fn expect_status(self, expected: u16) -> Result<Answer, DemoError> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(DemoError::unexpected(
                &self.what,
                format!(
                    "expected HTTP {expected}, got {}: {}",
                    self.status,
                    self.text_lossy()
                ),
            ))
        }
    }
}

/// The charset a `Content-Type` value names, if it is one of the two the
/// project speaks (D-3).
pub(super) fn charset_of_content_type(content_type: &str) -> Option<Charset> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        charset_of_label(v.trim().trim_matches('"'))
    })
}

/// `Shift_JIS` / `UTF-8` (and their usual aliases) → the charset.
pub(super) fn charset_of_label(label: &str) -> Option<Charset> {
    match label.to_ascii_lowercase().as_str() {
        "shift_jis" | "shift-jis" | "sjis" | "windows-31j" | "cp932" | "ms_kanji" => {
            Some(Charset::ShiftJis)
        }
        "utf-8" | "utf8" => Some(Charset::Utf8),
        _ => None,
    }
}

/// One loopback HTTP client: no proxy, no redirects followed (the demo
/// follows them itself, to show them), bounded requests.
/// Requests to the operator face (URLs under `base`) carry
/// `Authorization: Bearer TOKEN`.
#[derive(Debug, Clone)]
pub(super) struct Web {
    http: reqwest::Client,
    operator: Option<(String, zeus_carrier_serve::OperatorToken)>,
}

impl Web {
    pub(super) fn new() -> Result<Web, DemoError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| DemoError::Start {
                what: "the HTTP client",
                detail: e.to_string(),
            })?;
        Ok(Web {
            http,
            operator: None,
        })
    }

    /// The same client, sending `token` to every URL under `base` (the
    /// operator face).
    pub(super) fn with_operator(
        mut self,
        base: impl Into<String>,
        token: zeus_carrier_serve::OperatorToken,
    ) -> Web {
        self.operator = Some((base.into(), token));
        self
    }

    /// `req` to `url`, with the bearer token when `url` is on the
    /// operator face.
    fn authorized(&self, url: &str, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.operator {
            Some((base, token)) if url.starts_with(base.as_str()) => {
                req.bearer_auth(token.expose_secret())
            }
            _ => req,
        }
    }

    async fn send(&self, what: String, req: reqwest::RequestBuilder) -> Result<Answer, DemoError> {
        let res = match req.send().await {
            Ok(r) => r,
            Err(source) => return Err(DemoError::Http { what, source }),
        };
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = match res.bytes().await {
            Ok(b) => b.to_vec(),
            Err(source) => return Err(DemoError::Http { what, source }),
        };
        Ok(Answer {
            what,
            status,
            headers,
            body,
        })
    }

    pub(super) async fn get(&self, url: &str) -> Result<Answer, DemoError> {
        self.send(
            format!("GET {url}"),
            self.authorized(url, self.http.get(url)),
        )
        .await
    }

    /// A form POST with an already urlencoded body.
    pub(super) async fn post_form(&self, url: &str, body: String) -> Result<Answer, DemoError> {
        self.send(
            format!("POST {url}"),
            self.http
                .post(url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body),
        )
        .await
    }

    /// A JSON POST (`None`: an empty body).
    pub(super) async fn post_json(
        &self,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, DemoError> {
        let mut req = self.authorized(url, self.http.post(url));
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        self.send(format!("POST {url}"), req).await
    }

    /// GET a JSON document answered `200`.
    pub(super) async fn get_json(&self, url: &str) -> Result<Value, DemoError> {
        self.get(url).await?.expect_status(200)?.json()
    }
}

/// `v[pointer]` as text: strings as they are, numbers and booleans
/// printed, anything else (missing, null) empty.
pub(super) fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(_) | None => String::new(),
    }
}

/// `v[pointer]` as an unsigned number (0 when missing).
pub(super) fn number(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// `v` as an array (empty when it is not one).
pub(super) fn items(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d_3_content_type_charsets() {
        assert_eq!(
            charset_of_content_type("text/html; charset=Shift_JIS"),
            Some(Charset::ShiftJis)
        );
        assert_eq!(
            charset_of_content_type("text/html;charset=\"utf-8\""),
            Some(Charset::Utf8)
        );
        assert_eq!(charset_of_content_type("text/html"), None);
        assert_eq!(charset_of_content_type("text/html; charset=latin1"), None);
    }
}
