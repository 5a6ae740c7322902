//! In-process metrics, updated by the pipeline, the handlers and the breakers, and read by
//! `/metrics` (through [`super::prometheus`]) and the periodic summary line.
//!
//! The Prometheus series live in a `metrics-exporter-prometheus` recorder that this struct
//! owns (no global recorder: every server, and every test, has its own). Labels are closed
//! sets: route templates (never raw paths), the four methods (anything else is `OTHER`),
//! status codes, backend and operation names. Never an IP, never an id.
//!
//! A few counts are plain atomics because other modules keep them (single-flight, the
//! decision cache) or because they are bumped on hot paths; they are published to the
//! recorder when `/metrics` is read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use metrics::{Key, Label, Level, Metadata, Recorder as _};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use std::collections::BTreeMap;
use vanish_core::ratelimit::{Action, Decision};

use super::prometheus::{self as names, BUCKETS_S};

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

pub struct Metrics {
    recorder: PrometheusRecorder,
    /// Held for one short update, never across an `.await`.
    window: Mutex<Window>,
    pub secrets: SecretCounts,
    pub cache: CacheCounts,
    pub merged: MergeCounts,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS_S)
            .expect("the bucket list is not empty")
            .build_recorder();
        names::describe(&recorder);
        Self {
            recorder,
            window: Mutex::default(),
            secrets: SecretCounts::default(),
            cache: CacheCounts::default(),
            merged: MergeCounts::default(),
        }
    }
}

/// Where a series was recorded from, as the `metrics` API wants it.
static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

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
        let labels = vec![
            Label::from_static_parts("method", method),
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.recorder
            .register_histogram(
                &Key::from_parts(names::HTTP_REQUEST_DURATION, labels),
                &METADATA,
            )
            .record(duration_ms / 1000.0);
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
        let labels = [
            Label::from_static_parts("action", action.as_str()),
            Label::from_static_parts("decision", kind),
        ];
        self.recorder
            .register_counter(
                &Key::from_parts(names::RATE_LIMIT_DECISIONS, labels.to_vec()),
                &METADATA,
            )
            .increment(1);
    }

    pub fn record_store_op(&self, backend: &'static str, op: &'static str, ok: bool, seconds: f64) {
        let outcome = if ok { "ok" } else { "error" };
        let labels = [
            Label::from_static_parts("backend", backend),
            Label::from_static_parts("op", op),
            Label::from_static_parts("outcome", outcome),
        ];
        self.recorder
            .register_histogram(
                &Key::from_parts(names::STORE_OPERATION_DURATION, labels.to_vec()),
                &METADATA,
            )
            .record(seconds);
    }

    pub fn count(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes the requests counted since the last call (for the summary line).
    pub fn drain_window(&self) -> Window {
        std::mem::take(&mut *lock(&self.window))
    }

    /// Sets a gauge to `value` now.
    pub(super) fn set_gauge(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
            .set(value);
    }

    /// Publishes a count kept elsewhere as the counter's value.
    pub(super) fn publish_count(
        &self,
        name: &'static str,
        labels: Vec<Label>,
        counter: &AtomicU64,
    ) {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
            .absolute(counter.load(Ordering::Relaxed));
    }

    /// The Prometheus text of every series recorded so far.
    pub(super) fn render_recorded(&self) -> String {
        self.recorder.handle().render()
    }

    /// Folds histogram samples into their buckets; without it they pile up between
    /// scrapes (the server runs it every few seconds).
    pub fn run_upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Counters stay meaningful after a panic elsewhere; never let poisoning hide them.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
