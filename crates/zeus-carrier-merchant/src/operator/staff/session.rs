//! The page's sessions and the sign-in rate limit, in memory.
//!
//! - A session id is 32 random bytes from the operating system
//!   (`getrandom`), in hex: never derived from the operator token. Each
//!   session has its own CSRF token (32 more random bytes) and an absolute
//!   expiry ([`super::StaffSettings::session_ttl`], 12 h); it is not
//!   extended by use.
//! - At most [`super::StaffSettings::max_sessions`] live at once: expired
//!   sessions are dropped first, then the oldest.
//! - Failed sign-ins are counted per client address in a fixed window
//!   ([`super::StaffSettings::login_window`]); once a client reached
//!   [`super::StaffSettings::login_failures_per_client`], or all clients
//!   together [`super::StaffSettings::login_failures_total`], every attempt
//!   is refused (`429`, the token not even compared) until the window
//!   ends.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq as _;

/// The number of random bytes in a session id and a CSRF token.
const RANDOM_BYTES: usize = 32;

/// The operating system's random generator failed: no session is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system's random number generator failed")]
pub(crate) struct RandomError;

/// `RANDOM_BYTES` random bytes in lower-case hex.
fn random_hex() -> Result<String, RandomError> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| RandomError)?;
    let mut out = String::with_capacity(RANDOM_BYTES * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `s` looks like an id this module made (64 lower-case hex
/// digits): anything else is not looked up.
fn well_formed(s: &str) -> bool {
    s.len() == RANDOM_BYTES * 2 && s.bytes().all(|b| HEX.contains(&b))
}

/// A message shown once on an order's page after a `303` (the outcome of
/// a settle, a cancel or a clearing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flash {
    /// The order whose page shows it.
    pub(crate) order_no: String,
    /// How it looks.
    pub(crate) tone: Tone,
    /// The heading.
    pub(crate) title: String,
    /// Lines below it (plain text; escaped when shown).
    pub(crate) lines: Vec<String>,
}

/// How a [`Flash`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Done as asked.
    Ok,
    /// Done, but someone must look (unknown outcome, reconciliation).
    Warn,
    /// Refused or failed.
    Error,
}

/// One signed-in browser.
struct Session {
    csrf: String,
    expires: Instant,
    created: Instant,
    flash: Option<Flash>,
}

/// What a request's session cookie is worth.
#[derive(Clone)]
pub(crate) struct SessionView {
    /// The session id (the cookie's value).
    pub(crate) id: String,
    /// Its CSRF token, for the page's forms.
    pub(crate) csrf: String,
}

impl fmt::Debug for SessionView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionView(***)")
    }
}

/// The live sessions.
pub(crate) struct Sessions {
    map: HashMap<String, Session>,
    ttl: Duration,
    max: usize,
}

impl Sessions {
    pub(crate) fn new(ttl: Duration, max: usize) -> Sessions {
        Sessions {
            map: HashMap::new(),
            ttl,
            max: max.max(1),
        }
    }

    /// A new session; returns its id and CSRF token.
    pub(crate) fn create(&mut self, now: Instant) -> Result<SessionView, RandomError> {
        self.map.retain(|_, s| s.expires > now);
        while self.map.len() >= self.max {
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    self.map.remove(&k);
                }
                None => break,
            }
        }
        let view = SessionView {
            id: random_hex()?,
            csrf: random_hex()?,
        };
        self.map.insert(
            view.id.clone(),
            Session {
                csrf: view.csrf.clone(),
                expires: now + self.ttl,
                created: now,
                flash: None,
            },
        );
        Ok(view)
    }

    /// The live session with this id.
    pub(crate) fn get(&mut self, id: &str, now: Instant) -> Option<SessionView> {
        if !well_formed(id) {
            return None;
        }
        match self.map.get(id) {
            Some(s) if s.expires > now => Some(SessionView {
                id: id.to_owned(),
                csrf: s.csrf.clone(),
            }),
            Some(_) => {
                self.map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub(crate) fn remove(&mut self, id: &str) {
        self.map.remove(id);
    }

    /// Leaves a message for the session's next order page.
    pub(crate) fn set_flash(&mut self, id: &str, flash: Flash) {
        if let Some(s) = self.map.get_mut(id) {
            s.flash = Some(flash);
        }
    }

    /// Takes the message left for `order_no`'s page, if any.
    pub(crate) fn take_flash(&mut self, id: &str, order_no: &str) -> Option<Flash> {
        let s = self.map.get_mut(id)?;
        if s.flash.as_ref().is_some_and(|f| f.order_no == order_no) {
            s.flash.take()
        } else {
            None
        }
    }

    /// How many sessions are stored (live or not yet pruned).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// Whether a form's CSRF token is the session's (constant time).
pub(crate) fn csrf_matches(session: &SessionView, given: Option<&str>) -> bool {
    let Some(given) = given else { return false };
    let expected = session.csrf.as_bytes();
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected))
}

/// Failed sign-ins in the current window.
pub(crate) struct LoginLimiter {
    per_client: HashMap<IpAddr, Window>,
    total: Window,
    window: Duration,
    max_per_client: u32,
    max_total: u32,
    max_clients: usize,
}

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl LoginLimiter {
    pub(crate) fn new(window: Duration, max_per_client: u32, max_total: u32) -> LoginLimiter {
        LoginLimiter {
            per_client: HashMap::new(),
            total: Window {
                started: Instant::now(),
                failures: 0,
            },
            window,
            max_per_client,
            max_total,
            max_clients: 10_000,
        }
    }

    fn fresh(&self, w: &Window, now: Instant) -> bool {
        now.saturating_duration_since(w.started) < self.window
    }

    /// `Some(wait)` when `client` may not try now.
    pub(crate) fn blocked(&mut self, client: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let window = self.window;
        let wait = |w: &Window| window.saturating_sub(now.saturating_duration_since(w.started));
        if self.fresh(&self.total, now) && self.total.failures >= self.max_total {
            return Some(wait(&self.total));
        }
        let w = *self.per_client.get(&client?)?;
        (self.fresh(&w, now) && w.failures >= self.max_per_client).then(|| wait(&w))
    }

    /// Counts a wrong token from `client`.
    pub(crate) fn failed(&mut self, client: Option<IpAddr>, now: Instant) {
        if !self.fresh(&self.total, now) {
            self.total = Window {
                started: now,
                failures: 0,
            };
        }
        self.total.failures = self.total.failures.saturating_add(1);
        let Some(client) = client else { return };
        if self.per_client.len() >= self.max_clients {
            let window = self.window;
            self.per_client
                .retain(|_, w| now.saturating_duration_since(w.started) < window);
        }
        if self.per_client.len() >= self.max_clients && !self.per_client.contains_key(&client) {
            // Full of live windows: the total still counts this one.
            return;
        }
        let fresh = self
            .per_client
            .get(&client)
            .is_some_and(|w| self.fresh(w, now));
        let w = self.per_client.entry(client).or_insert(Window {
            started: now,
            failures: 0,
        });
        if !fresh {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }

    /// Forgets `client`'s failures (it signed in).
    pub(crate) fn succeeded(&mut self, client: Option<IpAddr>) {
        if let Some(c) = client {
            self.per_client.remove(&c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_20_session_ids_are_random_hex_and_expire() {
        let mut s = Sessions::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        let a = s.create(t0).expect("session");
        let b = s.create(t0).expect("session");
        assert!(well_formed(&a.id) && well_formed(&a.csrf));
        assert_ne!(a.id, b.id);
        assert_ne!(a.id, a.csrf);
        assert!(s.get(&a.id, t0 + Duration::from_secs(59)).is_some());
        assert!(s.get(&a.id, t0 + Duration::from_secs(60)).is_none());
        assert!(s.get("not-an-id", t0).is_none());
        s.remove(&b.id);
        assert!(s.get(&b.id, t0).is_none());
    }

    #[test]
    fn issue_20_sessions_are_bounded_oldest_first() {
        let mut s = Sessions::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        let a = s.create(t0).expect("session");
        let b = s.create(t0 + Duration::from_millis(1)).expect("session");
        let c = s.create(t0 + Duration::from_millis(2)).expect("session");
        assert_eq!(s.len(), 2);
        assert!(s.get(&a.id, t0).is_none());
        assert!(s.get(&b.id, t0).is_some() && s.get(&c.id, t0).is_some());
    }

    #[test]
    fn issue_20_csrf_compare() {
        let mut s = Sessions::new(Duration::from_secs(60), 2);
        let v = s.create(Instant::now()).expect("session");
        assert!(csrf_matches(&v, Some(&v.csrf.clone())));
        assert!(!csrf_matches(&v, None));
        assert!(!csrf_matches(&v, Some("")));
        assert!(!csrf_matches(&v, Some(&v.csrf[1..])));
        assert!(!csrf_matches(&v, Some(&v.id.clone())));
    }

    #[test]
    fn issue_20_login_limiter_per_client_and_total() {
        let window = Duration::from_secs(900);
        let mut l = LoginLimiter::new(window, 3, 5);
        let t0 = Instant::now();
        let a: Option<IpAddr> = Some([192, 0, 2, 1].into());
        let b: Option<IpAddr> = Some([192, 0, 2, 2].into());
        for _ in 0..3 {
            assert_eq!(l.blocked(a, t0), None);
            l.failed(a, t0);
        }
        assert!(l.blocked(a, t0).is_some());
        assert_eq!(l.blocked(b, t0), None, "another client is not blocked");
        // The window ends: a may try again.
        assert_eq!(l.blocked(a, t0 + window), None);
        // Two more failures from b reach the total of 5: everyone waits.
        l.failed(b, t0);
        l.failed(b, t0);
        assert!(l.blocked(Some([192, 0, 2, 3].into()), t0).is_some());
        assert!(l.blocked(None, t0).is_some());
        // A sign-in forgets the client's failures (not the total's).
        l.succeeded(a);
        assert!(l.blocked(a, t0).is_some(), "the total still counts");
    }
}
