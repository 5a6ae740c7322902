//! In-process metrics, updated by the pipeline, the handlers and the breakers, and read by
//! `/metrics` (Prometheus text, see [`super::prometheus`]) and the periodic summary line.
//!
//! Labels are closed sets: route templates (never raw paths), the four methods (anything
//! else is `OTHER`), status codes, backend and operation names. Never an IP, never an id.
//! Each update takes one short lock with no `.await` inside.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use vanish_core::ratelimit::{Action, Decision};

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS_S: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram (cumulative on output, per bucket here).
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    pub buckets: [u64; BUCKETS_S.len()],
    pub count: u64,
    pub sum_s: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS_S.iter().position(|bound| seconds <= *bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_s += seconds;
    }
}

/// Requests seen since the last summary line.
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

/// `(method, route, status)` of a request.
pub type RequestKey = (&'static str, String, u16);
/// `(backend, operation, outcome)` of a store call.
pub type StoreOpKey = (&'static str, &'static str, &'static str);

/// What happened to secrets, by event.
#[derive(Debug, Default)]
pub struct SecretCounts {
    pub created: AtomicU64,
    pub revealed: AtomicU64,
    pub burned: AtomicU64,
    pub expired: AtomicU64,
}

/// Decision-cache lookups of the rate limiter.
#[derive(Debug, Default)]
pub struct CacheCounts {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

/// Lookups answered by another caller's single flight, by lookup.
#[derive(Debug, Default)]
pub struct MergeCounts {
    pub metadata: Arc<AtomicU64>,
    pub ban: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
pub struct Metrics {
    window: Mutex<Window>,
    requests: Mutex<BTreeMap<RequestKey, Histogram>>,
    store_ops: Mutex<BTreeMap<StoreOpKey, Histogram>>,
    /// `(action, decision)` → count.
    decisions: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    pub secrets: SecretCounts,
    pub cache: CacheCounts,
    pub merged: MergeCounts,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Counters stay meaningful after a panic elsewhere; never let poisoning hide them.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The method as a label: the four the service serves, or `OTHER`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, duration_ms: f64) {
        let method = method_label(method);
        lock(&self.requests)
            .entry((method, route.to_owned(), status))
            .or_default()
            .observe(duration_ms / 1000.0);
        let mut w = lock(&self.window);
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

    pub fn record_decision(&self, action: Action, decision: &Decision) {
        let kind = match decision {
            Decision::Allow { .. } => "allow",
            Decision::Limit { .. } => "limit",
            Decision::Ban { .. } => "ban",
        };
        *lock(&self.decisions)
            .entry((action.as_str(), kind))
            .or_default() += 1;
    }

    pub fn record_store_op(&self, backend: &'static str, op: &'static str, ok: bool, seconds: f64) {
        let outcome = if ok { "ok" } else { "error" };
        lock(&self.store_ops)
            .entry((backend, op, outcome))
            .or_default()
            .observe(seconds);
    }

    pub fn count(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes the requests counted since the last call (for the summary line).
    pub fn drain_window(&self) -> Window {
        std::mem::take(&mut *lock(&self.window))
    }

    pub fn requests(&self) -> BTreeMap<RequestKey, Histogram> {
        lock(&self.requests).clone()
    }

    pub fn store_ops(&self) -> BTreeMap<StoreOpKey, Histogram> {
        lock(&self.store_ops).clone()
    }

    pub fn decisions(&self) -> BTreeMap<(&'static str, &'static str), u64> {
        lock(&self.decisions).clone()
    }
}
