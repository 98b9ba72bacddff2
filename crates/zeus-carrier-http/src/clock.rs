//! The adapters' clock. The core never reads one (it takes `now`); the
//! adapters read this, so tests and the demo can pin time.

use std::sync::Arc;

use zeus_carrier_core::time::{JstDateTime, to_jst};

/// Where the adapters read "now" (Japan time, D-5). Cheap to clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> JstDateTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| to_jst(&chrono::Utc::now())))
    }

    /// A clock that always answers `at`.
    pub fn fixed(at: JstDateTime) -> Clock {
        Clock(Arc::new(move || at))
    }

    /// A clock reading any function (for example a sandbox's test clock).
    pub fn from_fn(f: impl Fn() -> JstDateTime + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    /// The current instant, in Japan time.
    pub fn now(&self) -> JstDateTime {
        to_jst(&(self.0)())
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now().to_rfc3339())
    }
}
