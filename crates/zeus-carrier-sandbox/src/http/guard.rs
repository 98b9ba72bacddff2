//! No cross-site change (INTERFACES.md §2 v3): a request a browser sent
//! from another site (its `Origin` names another host, or is `null`, or
//! its `Sec-Fetch-Site` is `cross-site` or `same-site`) is refused with
//! `403` before any handler runs, so it changes nothing; the JSON control
//! endpoints also refuse a body that is not `application/json` (`415`),
//! which a cross-site form cannot send without a CORS preflight the
//! sandbox never grants. A request without `Origin` and `Sec-Fetch-Site`
//! (curl, a merchant's server, tests) is served as before.
//!
//! Guarded: every path of the JSON control endpoints (`/_sandbox/…`), and
//! every request other than `GET`/`HEAD` to the screen and the payment
//! test page. Not guarded: `order.cgi` (the shop's own page posts to it
//! from the shop's site, by design) and `secure.cgi` (server to server).

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, TRANSFER_ENCODING};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::control::json_error;
use crate::fixture::{ORDER_CGI_PATH, SECURE_CGI_PATH};
use crate::pages::{self, RefusedPage};

/// Why a request is taken for a cross-site one, if it is.
pub(crate) fn cross_site(headers: &HeaderMap) -> Option<String> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("?");
        if !matches!(site, "same-origin" | "none") {
            return Some(format!("Sec-Fetch-Site: {site}"));
        }
    }
    let origin = headers.get(ORIGIN)?;
    let origin = origin.to_str().unwrap_or("?");
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (authority, host) {
        (Some(a), Some(h)) if a.eq_ignore_ascii_case(h) => None,
        _ => Some(format!(
            "Origin {origin} is not this sandbox ({})",
            host.unwrap_or("no Host")
        )),
    }
}

/// Whether a request carries a body that is not JSON: a `Content-Type`
/// other than `application/json`, or a body without any type.
fn not_json(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE) {
        Some(ct) => {
            let essence = ct
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim();
            !essence.eq_ignore_ascii_case("application/json")
        }
        None => {
            headers.contains_key(TRANSFER_ENCODING)
                || headers
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim() != "0")
        }
    }
}

/// The middleware.
pub(super) async fn same_site_only(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let control = path.starts_with("/_sandbox/");
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    let gateway = path == ORDER_CGI_PATH || path == SECURE_CGI_PATH;
    if (control || changes) && !gateway {
        if let Some(reason) = cross_site(request.headers()) {
            tracing::warn!(%path, %reason, "cross-site request refused");
            return if control {
                json_error(
                    StatusCode::FORBIDDEN,
                    format!("cross-site request refused: {reason}"),
                )
            } else {
                pages::render(StatusCode::FORBIDDEN, &RefusedPage { reason })
            };
        }
        if control && changes && not_json(request.headers()) {
            return json_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "control endpoints take Content-Type: application/json",
            );
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_by_origin_or_fetch_metadata() {
        let host = ("host", "127.0.0.1:8931");
        assert_eq!(cross_site(&headers(&[host])), None);
        assert_eq!(
            cross_site(&headers(&[host, ("origin", "http://127.0.0.1:8931")])),
            None
        );
        assert_eq!(
            cross_site(&headers(&[host, ("sec-fetch-site", "same-origin")])),
            None
        );
        assert_eq!(cross_site(&headers(&[("sec-fetch-site", "none")])), None);
        for refused in [
            &[host, ("origin", "http://evil.example")][..],
            &[host, ("origin", "null")],
            // Another port on the same host is another origin (same site).
            &[host, ("origin", "http://127.0.0.1:3000")],
            &[("origin", "http://127.0.0.1:8931")],
            &[host, ("sec-fetch-site", "cross-site")],
            &[host, ("sec-fetch-site", "same-site")],
        ] {
            assert!(cross_site(&headers(refused)).is_some(), "{refused:?}");
        }
    }

    #[test]
    fn json_bodies_only() {
        assert!(!not_json(&headers(&[("content-type", "application/json")])));
        assert!(!not_json(&headers(&[(
            "content-type",
            "Application/JSON; charset=utf-8"
        )])));
        assert!(!not_json(&headers(&[])));
        assert!(!not_json(&headers(&[("content-length", "0")])));
        assert!(not_json(&headers(&[("content-type", "text/plain")])));
        assert!(not_json(&headers(&[(
            "content-type",
            "application/x-www-form-urlencoded"
        )])));
        assert!(not_json(&headers(&[("content-length", "2")])));
    }
}
