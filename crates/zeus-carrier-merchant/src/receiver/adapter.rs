//! The receiver for any HTTP stack: from an [`http::Request`] (the type
//! hyper, axum, tower, actix's `http` re-export and reqwest share) to a
//! [`CgiCall`], and from the receiver's answer to an [`http::Response`].
//!
//! Everything an adapter must get right lives here once: the path, the
//! method (`405` with `Allow: GET, POST, HEAD` for any other), the body
//! bound (`413`), `X-Forwarded-For` (every value, for the trusted-proxy
//! rule), the content type, and the answer's content type. A framework
//! only reads the body (up to [`Receiver::max_body_bytes`] + 1 bytes, so
//! an oversized body is seen as such) and calls
//! [`Receiver::answer_http`]:
//!
//! ```no_run
//! # async fn handle(receiver: zeus_carrier_merchant::Receiver,
//! #                 peer: std::net::IpAddr,
//! #                 request: http::Request<Vec<u8>>) -> http::Response<String> {
//! receiver.answer_http(Some(peer), &request).await
//! # }
//! ```

use std::net::IpAddr;

use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderMap, Request, Response, StatusCode};

use super::{ANSWER_CONTENT_TYPE, Ack, CallbackRejection, CgiCall, Method, Receiver};

/// A request that carries no CGI call: answered without the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotACall {
    /// Off the callback path → `404`.
    OffPath,
    /// A method other than GET, POST or HEAD → `405` with
    /// `Allow: GET, POST, HEAD`.
    MethodNotAllowed,
}

impl NotACall {
    /// The answer.
    pub fn to_http(self) -> Response<String> {
        match self {
            NotACall::OffPath => plain(StatusCode::NOT_FOUND, "error: not found\n"),
            NotACall::MethodNotAllowed => {
                let mut r = plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "error: method not allowed on the CGI callback path\n",
                );
                r.headers_mut()
                    .insert(ALLOW, http::HeaderValue::from_static(Method::ALLOW));
                r
            }
        }
    }
}

/// The call a request carries, or why it carries none ([`NotACall`]).
/// `max_body_bytes` is the receiver's bound: a longer body is passed on as
/// [`CgiCall::post_over_limit`] (the receiver answers `413`).
pub fn call_from_http<B: AsRef<[u8]>>(
    peer: Option<IpAddr>,
    request: &Request<B>,
    path: &str,
    max_body_bytes: usize,
) -> Result<CgiCall, NotACall> {
    if request.uri().path() != path {
        return Err(NotACall::OffPath);
    }
    let Some(method) = Method::from_name(request.method().as_str()) else {
        return Err(NotACall::MethodNotAllowed);
    };
    let headers = request.headers();
    let query = request.uri().query().unwrap_or("").as_bytes().to_vec();
    let call = match method {
        Method::Get => CgiCall::get(peer, query),
        Method::Head => CgiCall::head(peer),
        Method::Post => {
            let content_type = header_text(headers, CONTENT_TYPE.as_str())
                .into_iter()
                .next();
            let body = request.body().as_ref();
            if body.len() > max_body_bytes {
                CgiCall::post_over_limit(peer, content_type)
            } else {
                CgiCall::post(peer, content_type, body.to_vec())
            }
            .with_query(query)
        }
    };
    Ok(call.with_forwarded_for(header_text(headers, "x-forwarded-for")))
}

/// The receiver's answer as an HTTP response: the status, the body
/// (`successok`, or a body starting with `error:`) and
/// `Content-Type: text/plain; charset=utf-8`.
pub fn response_to_http(result: &Result<Ack, CallbackRejection>) -> Response<String> {
    let (status, body) = match result {
        Ok(ack) => (ack.status(), ack.body().to_owned()),
        Err(rejection) => (rejection.status(), rejection.body()),
    };
    plain(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
}

impl Receiver {
    /// Answers one HTTP request on any stack: [`call_from_http`] on the
    /// receiver's path and body bound, [`Receiver::receive`], then
    /// [`response_to_http`]. `peer` is the socket peer's address (`None`
    /// answers `403`: a call whose source is unknown is never trusted).
    pub async fn answer_http<B: AsRef<[u8]>>(
        &self,
        peer: Option<IpAddr>,
        request: &Request<B>,
    ) -> Response<String> {
        match call_from_http(peer, request, self.path(), self.max_body_bytes()) {
            Ok(call) => response_to_http(&self.receive(call).await),
            Err(not_a_call) => not_a_call.to_http(),
        }
    }
}

fn plain(status: StatusCode, body: impl Into<String>) -> Response<String> {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static(ANSWER_CONTENT_TYPE),
    );
    r
}

/// Every value of header `name`, as text (lossily: a value that is not
/// text is then refused where it matters).
pub(super) fn header_text(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, body: &[u8]) -> Request<Vec<u8>> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("x-forwarded-for", "192.0.2.1")
            .header("x-forwarded-for", "192.0.2.2")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .expect("request")
    }

    const PATH: &str = "/cb";
    const PEER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn off_the_path_is_404_and_another_method_is_405_with_allow() {
        let r = call_from_http(PEER, &req("GET", "/other?a=1", b""), PATH, 10).expect_err("404");
        assert_eq!(r, NotACall::OffPath);
        assert_eq!(r.to_http().status(), StatusCode::NOT_FOUND);
        let r = call_from_http(PEER, &req("PUT", "/cb", b""), PATH, 10)
            .expect_err("405")
            .to_http();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()[ALLOW], Method::ALLOW);
        assert_eq!(r.headers()[CONTENT_TYPE], ANSWER_CONTENT_TYPE);
        assert!(r.body().starts_with("error:"));
    }

    #[test]
    fn get_post_and_head_become_calls_with_every_forwarded_value() {
        let c = call_from_http(PEER, &req("GET", "/cb?x=1", b""), PATH, 10).expect("get");
        assert_eq!((c.method(), c.query()), (Method::Get, &b"x=1"[..]));
        assert_eq!(c.forwarded_for(), ["192.0.2.1", "192.0.2.2"]);
        assert_eq!(c.peer(), PEER);
        let c = call_from_http(PEER, &req("POST", "/cb", b"a=b"), PATH, 10).expect("post");
        assert_eq!(c.method(), Method::Post);
        assert_eq!(c.body(), Ok(Some(&b"a=b"[..])));
        assert_eq!(c.content_type(), Some("application/x-www-form-urlencoded"));
        let c = call_from_http(PEER, &req("HEAD", "/cb", b""), PATH, 10).expect("head");
        assert_eq!(c.method(), Method::Head);
    }

    #[test]
    fn a_body_over_the_bound_is_passed_as_over_the_limit() {
        let c = call_from_http(PEER, &req("POST", "/cb", &[b'a'; 11]), PATH, 10).expect("post");
        assert!(c.body().is_err());
        let c = call_from_http(PEER, &req("POST", "/cb", &[b'a'; 10]), PATH, 10).expect("post");
        assert!(c.body().is_ok());
    }

    #[test]
    fn answers_carry_the_status_body_and_content_type() {
        let ok: Result<Ack, CallbackRejection> = Ok(Ack::Probe);
        let r = response_to_http(&ok);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], ANSWER_CONTENT_TYPE);
        let err: Result<Ack, CallbackRejection> = Err(CallbackRejection::Foreign("1".into()));
        let r = response_to_http(&err);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.body().starts_with("error:"));
    }
}
