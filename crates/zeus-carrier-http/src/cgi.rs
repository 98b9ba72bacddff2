//! What a framework hands the receiver ([`CgiCall`]) and what it hands back
//! on success ([`Ack`]).

use std::net::IpAddr;

use zeus_carrier_core::merchant::EffectKind;

/// The content type of every answer the receiver gives (acknowledgement and
/// rejection alike).
pub const ANSWER_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// The acknowledgement body (R-CG-1).
pub const SUCCESS_BODY: &str = "successok";

/// The HTTP method of a call on the callback path. Adapters answer `405`
/// themselves for any other method (see [`Method::from_name`]).
///
/// Deliberately exhaustive: the gateway calls with GET or POST, and HEAD
/// is the only probe; adapters match every variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// CGI by GET: the parameters are the query string (the gateway's
    /// default).
    Get,
    /// CGI by POST: the parameters are an
    /// `application/x-www-form-urlencoded` body (the manual offers POST on
    /// request).
    Post,
    /// A probe: the source is checked, nothing is read or recorded.
    Head,
}

impl Method {
    /// `GET`, `POST` or `HEAD` (upper case, as on the wire); `None` for any
    /// other method, which an adapter answers `405` with
    /// `Allow: GET, POST, HEAD` ([`Method::ALLOW`]).
    pub fn from_name(name: &str) -> Option<Method> {
        match name {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "HEAD" => Some(Method::Head),
            _ => None,
        }
    }

    /// The method's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Head => "HEAD",
        }
    }

    /// The value of the `Allow` header of a `405` answer on the callback
    /// path.
    pub const ALLOW: &'static str = "GET, POST, HEAD";
}

/// The form body of a POST call, as the adapter read it.
#[derive(Clone, PartialEq, Eq)]
enum Body {
    /// No body (GET, HEAD).
    None,
    /// The body's bytes.
    Bytes(Vec<u8>),
    /// The adapter stopped reading at the receiver's body limit (`zeus_carrier_merchant::Receiver::max_body_bytes`).
    OverLimit,
}

/// One request on the callback path, in framework-neutral terms: what
/// the receiver (`zeus_carrier_merchant::Receiver::receive`) judges.
///
/// Build it with [`CgiCall::get`], [`CgiCall::post`] or [`CgiCall::head`],
/// then add what the request carried with the `with_*` methods.
#[derive(Clone, PartialEq, Eq)]
pub struct CgiCall {
    peer: Option<IpAddr>,
    forwarded_for: Vec<String>,
    method: Method,
    query: Vec<u8>,
    content_type: Option<String>,
    body: Body,
}

impl CgiCall {
    fn new(method: Method, peer: Option<IpAddr>) -> CgiCall {
        CgiCall {
            peer,
            forwarded_for: Vec::new(),
            method,
            query: Vec::new(),
            content_type: None,
            body: Body::None,
        }
    }

    /// A GET call from the socket peer `peer` (`None` when the framework
    /// does not know it: the call is refused with `403`) with the raw query
    /// string `query` (the bytes after `?`, not decoded).
    pub fn get(peer: Option<IpAddr>, query: impl Into<Vec<u8>>) -> CgiCall {
        CgiCall {
            query: query.into(),
            ..CgiCall::new(Method::Get, peer)
        }
    }

    /// A POST call from `peer` with its `Content-Type` header (if any) and
    /// its whole body. The adapter should stop reading a body longer than
    /// the receiver's body limit (`zeus_carrier_merchant::Receiver::max_body_bytes`) and use
    /// [`CgiCall::post_over_limit`] instead.
    pub fn post(
        peer: Option<IpAddr>,
        content_type: Option<String>,
        body: impl Into<Vec<u8>>,
    ) -> CgiCall {
        CgiCall {
            content_type,
            body: Body::Bytes(body.into()),
            ..CgiCall::new(Method::Post, peer)
        }
    }

    /// A POST call whose body was longer than
    /// the receiver's body limit (`zeus_carrier_merchant::Receiver::max_body_bytes`) (the adapter stopped reading
    /// it): refused with `413` once the source check has passed.
    pub fn post_over_limit(peer: Option<IpAddr>, content_type: Option<String>) -> CgiCall {
        CgiCall {
            content_type,
            body: Body::OverLimit,
            ..CgiCall::new(Method::Post, peer)
        }
    }

    /// A HEAD request from `peer`.
    pub fn head(peer: Option<IpAddr>) -> CgiCall {
        CgiCall::new(Method::Head, peer)
    }

    /// The call with these `X-Forwarded-For` header values, in the order
    /// received (several headers count as one comma-separated list). A
    /// value that was not valid text should be passed lossily converted
    /// (`String::from_utf8_lossy`): it is then refused like any unreadable
    /// header. Believed only when the peer is a trusted proxy.
    pub fn with_forwarded_for<S: Into<String>>(
        mut self,
        values: impl IntoIterator<Item = S>,
    ) -> CgiCall {
        self.forwarded_for = values.into_iter().map(Into::into).collect();
        self
    }

    /// The call with this raw query string (for a POST it is not read: the
    /// parameters are the body).
    pub fn with_query(mut self, query: impl Into<Vec<u8>>) -> CgiCall {
        self.query = query.into();
        self
    }

    /// The socket peer, if known.
    pub fn peer(&self) -> Option<IpAddr> {
        self.peer
    }

    /// The `X-Forwarded-For` values.
    pub fn forwarded_for(&self) -> &[String] {
        &self.forwarded_for
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The raw query string.
    pub fn query(&self) -> &[u8] {
        &self.query
    }

    /// The `Content-Type` of a POST call.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body of a POST call: `Ok(None)` without a body,
    /// [`BodyOverLimit`] when the adapter stopped reading it at the bound.
    pub fn body(&self) -> Result<Option<&[u8]>, BodyOverLimit> {
        match &self.body {
            Body::None => Ok(None),
            Body::Bytes(b) => Ok(Some(b)),
            Body::OverLimit => Err(BodyOverLimit),
        }
    }
}

/// A POST body the adapter stopped reading at the receiver's bound
/// ([`CgiCall::post_over_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyOverLimit;

impl std::fmt::Debug for CgiCall {
    /// Lengths only: a call carries the shopper's mail address and phone
    /// number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = match &self.body {
            Body::None => "none".to_owned(),
            Body::Bytes(b) => format!("{} bytes", b.len()),
            Body::OverLimit => "over the limit".to_owned(),
        };
        f.debug_struct("CgiCall")
            .field("peer", &self.peer)
            .field("forwarded_for", &self.forwarded_for)
            .field("method", &self.method)
            .field("query", &format_args!("{} bytes", self.query.len()))
            .field("content_type", &self.content_type)
            .field("body", &format_args!("{body}"))
            .finish()
    }
}

/// A call the receiver accepted: answer [`Ack::status`] with
/// [`Ack::body`] (content type [`ANSWER_CONTENT_TYPE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ack {
    /// The notification is durably stored (the store committed): answer
    /// `200 successok` (R-CG-1).
    Recorded {
        /// The order the call was for.
        order_no: String,
        /// What the call did to the merchant's record (for metrics):
        /// created, advanced, duplicate, stale or flagged.
        effect: EffectKind,
    },
    /// A `HEAD` request from an allowed source: nothing was read or
    /// recorded; answer `200` with no body.
    Probe,
}

impl Ack {
    /// The HTTP status: `200`.
    pub fn status(&self) -> u16 {
        200
    }

    /// The body: `successok` for a recorded call, empty for a probe.
    pub fn body(&self) -> &'static str {
        match self {
            Ack::Recorded { .. } => SUCCESS_BODY,
            Ack::Probe => "",
        }
    }

    /// The effect on the merchant's record, for a recorded call.
    pub fn effect(&self) -> Option<EffectKind> {
        match self {
            Ack::Recorded { effect, .. } => Some(*effect),
            Ack::Probe => None,
        }
    }
}
