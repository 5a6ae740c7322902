//! The time source. Everything time-dependent (expiry, windows, breaker) reads the clock
//! through [`Clock`], so tests move time forward instead of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds since the Unix epoch, as the API speaks them.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: AtomicU64,
}

impl ManualClock {
    pub fn new(start_ms: u64) -> Self {
        Self {
            now_ms: AtomicU64::new(start_ms),
        }
    }

    /// Moves time forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}
