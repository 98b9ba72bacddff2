//! The sandbox's clock: real time by default, frozen by `--now` or
//! `POST /_sandbox/clock` (INTERFACES.md §2). The core never reads a clock;
//! this is the one place the sandbox does.

use std::sync::Mutex;

use chrono::{TimeDelta, Utc};
use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::time::to_jst;

/// A clock that reads real time until it is frozen; once frozen it stays
/// frozen and moves only when told to.
#[derive(Debug)]
pub struct Clock {
    frozen: Mutex<Option<JstDateTime>>,
}

impl Clock {
    /// A real-time clock.
    pub fn real() -> Clock {
        Clock {
            frozen: Mutex::new(None),
        }
    }

    /// A clock frozen at `at`.
    pub fn frozen_at(at: JstDateTime) -> Clock {
        Clock {
            frozen: Mutex::new(Some(to_jst(&at))),
        }
    }

    /// The current instant, in Japan time (D-5).
    pub fn now(&self) -> JstDateTime {
        match *self.lock() {
            Some(t) => t,
            None => to_jst(&Utc::now()),
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.lock().is_some()
    }

    /// Freezes the clock at `at` (earlier or later than now: both allowed).
    pub fn set(&self, at: JstDateTime) -> JstDateTime {
        let at = to_jst(&at);
        *self.lock() = Some(at);
        at
    }

    /// Moves the clock by `secs` (negative moves it back) and freezes it
    /// there. A real clock is first frozen at the real now. `None` when the
    /// result would leave chrono's range; the clock is then unchanged.
    pub fn advance(&self, secs: i64) -> Option<JstDateTime> {
        let mut g = self.lock();
        let base = g.unwrap_or_else(|| to_jst(&Utc::now()));
        let next = base.checked_add_signed(TimeDelta::try_seconds(secs)?)?;
        *g = Some(next);
        Some(next)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<JstDateTime>> {
        // A poisoned lock still holds a valid Option: keep going.
        self.frozen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-10T23:59:59+09:00").expect("t0");
        let c = Clock::frozen_at(t0);
        assert!(c.is_frozen());
        assert_eq!(c.now(), t0);
        let t1 = c.advance(1).expect("advance");
        assert_eq!(t1.to_rfc3339(), "2026-01-11T00:00:00+09:00");
        assert_eq!(c.now(), t1);
        assert!(c.advance(i64::MAX).is_none());
        assert_eq!(c.now(), t1);
    }

    #[test]
    fn real_clock_freezes_on_advance_and_reads_japan_time() {
        let c = Clock::real();
        assert!(!c.is_frozen());
        assert_eq!(c.now().offset().local_minus_utc(), 9 * 3600);
        c.advance(0).expect("advance");
        assert!(c.is_frozen());
    }
}
