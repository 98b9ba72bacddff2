//! What a page request is allowed: where it comes from (another origin is
//! refused), whether it arrived over TLS (the cookie's `Secure`), who the
//! client is (the sign-in rate limit) and which session its cookie names.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, Request};
use zeus_carrier_http::IpNet;
use zeus_carrier_http::source::{contains, resolve_source};

use super::CookieSecurity;

/// The session cookie's name on plain HTTP.
pub(crate) const COOKIE_NAME: &str = "zeus_staff";

/// The session cookie's name when it is `Secure`: the `__Host-` prefix
/// makes the browser refuse it unless it is `Secure`, host-only and
/// `Path=/`.
pub(crate) const SECURE_COOKIE_NAME: &str = "__Host-zeus_staff";

/// What the page handlers need to know about a request's transport.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Transport {
    /// The client, through trusted proxies' `X-Forwarded-For`.
    pub(crate) client: Option<IpAddr>,
    /// Whether the browser reached the face over TLS.
    pub(crate) https: bool,
}

impl Transport {
    /// Reads the transport facts of a request.
    pub(crate) fn of<B>(
        request: &Request<B>,
        trusted: &[IpNet],
        security: CookieSecurity,
    ) -> Transport {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical());
        let headers = request.headers();
        let from_proxy = peer.is_some_and(|p| contains(trusted, p));
        let client = peer.and_then(|p| {
            let xff: Vec<&[u8]> = headers
                .get_all("x-forwarded-for")
                .iter()
                .map(|v| v.as_bytes())
                .collect();
            resolve_source(p, &xff, trusted).ok()
        });
        let https = match security {
            CookieSecurity::Always => true,
            CookieSecurity::Auto => from_proxy && forwarded_https(headers),
        };
        Transport { client, https }
    }

    /// The session cookie's name for this transport.
    pub(crate) fn cookie_name(&self) -> &'static str {
        if self.https {
            SECURE_COOKIE_NAME
        } else {
            COOKIE_NAME
        }
    }
}

/// Whether the last `X-Forwarded-Proto` value (the one the nearest proxy
/// wrote) is `https`.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .next_back()
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// Why a `POST` was refused as coming from another origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrossOrigin {
    /// `Sec-Fetch-Site` said `cross-site` or `same-site` (or something
    /// unknown).
    FetchSite,
    /// `Origin` names another origin (or `null`).
    Origin,
}

/// Whether a state-changing request comes from this face's own pages.
///
/// 1. `Sec-Fetch-Site`, when present, decides: the browser writes it and a
///    page cannot. `same-origin` and `none` (the user's own navigation)
///    pass; `same-site`, `cross-site` and anything else are refused.
/// 2. Otherwise `Origin`, when present, must be this face's origin: its
///    host (with port) equal to the request's `Host`. `null` is refused.
/// 3. A request with neither (not a browser: curl, a script) passes this
///    check; the session cookie and the CSRF token still apply.
pub(crate) fn same_origin(headers: &HeaderMap) -> Result<(), CrossOrigin> {
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str().map(str::trim) {
            Ok(s) if s.eq_ignore_ascii_case("same-origin") || s.eq_ignore_ascii_case("none") => {
                Ok(())
            }
            _ => Err(CrossOrigin::FetchSite),
        };
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| CrossOrigin::Origin)?.trim();
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .ok_or(CrossOrigin::Origin)?;
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or(CrossOrigin::Origin)?;
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(CrossOrigin::Origin)
    }
}

/// The value of the cookie `name`, if the request carries it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The `Set-Cookie` value that stores a session id for `max_age_secs`.
pub(crate) fn set_cookie(transport: &Transport, id: &str, max_age_secs: u64) -> String {
    let mut c = format!(
        "{}={id}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict",
        transport.cookie_name()
    );
    if transport.https {
        c.push_str("; Secure");
    }
    c
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie(transport: &Transport) -> String {
    set_cookie(transport, "", 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn issue_20_sec_fetch_site_decides() {
        assert_eq!(
            same_origin(&headers(&[("sec-fetch-site", "same-origin")])),
            Ok(())
        );
        assert_eq!(same_origin(&headers(&[("sec-fetch-site", "none")])), Ok(()));
        for bad in ["cross-site", "same-site", "bogus"] {
            let mut h = HeaderMap::new();
            h.insert("sec-fetch-site", HeaderValue::from_static(bad));
            // Even with a matching Origin: the browser's word wins.
            h.insert(ORIGIN, HeaderValue::from_static("http://op.example"));
            h.insert(HOST, HeaderValue::from_static("op.example"));
            assert_eq!(same_origin(&h), Err(CrossOrigin::FetchSite), "{bad}");
        }
    }

    #[test]
    fn issue_20_origin_must_be_this_host() {
        let ok = headers(&[
            ("origin", "http://127.0.0.1:8933"),
            ("host", "127.0.0.1:8933"),
        ]);
        assert_eq!(same_origin(&ok), Ok(()));
        for (origin, host) in [
            ("http://evil.example", "127.0.0.1:8933"),
            ("http://127.0.0.1:9999", "127.0.0.1:8933"),
            ("null", "127.0.0.1:8933"),
            ("http://127.0.0.1:8933.evil.example", "127.0.0.1:8933"),
        ] {
            let mut h = HeaderMap::new();
            h.insert(ORIGIN, HeaderValue::from_str(origin).expect("header"));
            h.insert(HOST, HeaderValue::from_str(host).expect("header"));
            assert_eq!(same_origin(&h), Err(CrossOrigin::Origin), "{origin}");
        }
        // Neither header: not a browser; the CSRF token decides.
        assert_eq!(same_origin(&HeaderMap::new()), Ok(()));
    }

    #[test]
    fn issue_20_cookie_attributes() {
        let plain = Transport {
            client: None,
            https: false,
        };
        let c = set_cookie(&plain, "abc", 43_200);
        assert_eq!(
            c,
            "zeus_staff=abc; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict"
        );
        let tls = Transport {
            https: true,
            ..plain
        };
        let c = set_cookie(&tls, "abc", 43_200);
        assert!(
            c.starts_with("__Host-zeus_staff=abc;") && c.ends_with("; Secure"),
            "{c}"
        );
        assert!(clear_cookie(&plain).contains("Max-Age=0"));
        let h = headers(&[("cookie", "a=1; zeus_staff=xyz ; b=2")]);
        assert_eq!(cookie(&h, "zeus_staff"), Some("xyz"));
        assert_eq!(cookie(&h, "__Host-zeus_staff"), None);
    }

    #[test]
    fn issue_20_secure_only_from_a_trusted_proxy_or_always() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let req = |peer: &str, proto: Option<&'static str>| {
            let mut r = Request::new(());
            r.extensions_mut().insert(ConnectInfo::<SocketAddr>(
                peer.parse().expect("socket address"),
            ));
            if let Some(p) = proto {
                r.headers_mut()
                    .insert("x-forwarded-proto", HeaderValue::from_static(p));
            }
            r
        };
        let auto = CookieSecurity::Auto;
        assert!(Transport::of(&req("10.0.0.5:1000", Some("https")), &trusted, auto).https);
        assert!(!Transport::of(&req("10.0.0.5:1000", Some("http")), &trusted, auto).https);
        assert!(!Transport::of(&req("10.0.0.5:1000", None), &trusted, auto).https);
        // Anyone else's header is ignored.
        assert!(!Transport::of(&req("192.0.2.9:1000", Some("https")), &trusted, auto).https);
        assert!(
            Transport::of(
                &req("192.0.2.9:1000", None),
                &trusted,
                CookieSecurity::Always
            )
            .https
        );
        let t = Transport::of(&req("192.0.2.9:1000", None), &trusted, auto);
        assert_eq!(t.client, Some([192, 0, 2, 9].into()));
    }
}
