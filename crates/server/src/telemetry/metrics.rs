//! Counters the pipeline updates: requests by method and status with their durations
//! (drained by the summary line), and rate-limit decisions. One short lock per request,
//! with no `.await` inside.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use vanish_core::ratelimit::Decision;

/// Requests seen since the last summary.
#[derive(Debug, Default, Clone)]
pub struct Window {
    /// `(method, status)` → count.
    pub by_method_status: BTreeMap<(String, u16), u64>,
    pub count: u64,
    pub errors: u64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    window: Mutex<Window>,
    pub allowed: AtomicU64,
    pub limited: AtomicU64,
    pub banned: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, method: &str, status: u16, duration_ms: f64) {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        *w.by_method_status
            .entry((method.to_owned(), status))
            .or_default() += 1;
        if w.count == 0 || duration_ms < w.min_ms {
            w.min_ms = duration_ms;
        }
        w.max_ms = w.max_ms.max(duration_ms);
        w.total_ms += duration_ms;
        w.count += 1;
        if status >= 500 {
            w.errors += 1;
        }
    }

    pub fn record_decision(&self, decision: &Decision) {
        let counter = match decision {
            Decision::Allow { .. } => &self.allowed,
            Decision::Limit { .. } => &self.limited,
            Decision::Ban { .. } => &self.banned,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes the requests counted since the last call.
    pub fn drain_window(&self) -> Window {
        std::mem::take(&mut *self.window.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
