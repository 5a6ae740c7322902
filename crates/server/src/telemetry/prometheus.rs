//! What `/metrics` exposes: the metric names (docs/operations.md, "Monitoring", lists
//! them, and `deploy/` builds its alert rules and dashboard on them), their help texts and
//! buckets, and [`render`], which publishes the live state (breakers, counts kept as
//! atomics) and writes the Prometheus text format (version 0.0.4) through
//! `metrics-exporter-prometheus`.

use std::sync::Arc;

use metrics::{Label, Recorder};
use vanish_core::breaker::BreakerState;

use super::Metrics;
use crate::resilience::CircuitBreaker;

pub const HTTP_REQUEST_DURATION: &str = "vanish_http_request_duration_seconds";
pub const RATE_LIMIT_DECISIONS: &str = "vanish_rate_limit_decisions_total";
pub const SECRETS: &str = "vanish_secrets_total";
pub const STORE_OPERATION_DURATION: &str = "vanish_store_operation_duration_seconds";
pub const CIRCUIT_BREAKER_STATE: &str = "vanish_circuit_breaker_state";
pub const DECISION_CACHE: &str = "vanish_decision_cache_total";
pub const SINGLE_FLIGHT_MERGED: &str = "vanish_single_flight_merged_total";

/// Every metric name `/metrics` can expose (histograms by their base name).
pub const NAMES: [&str; 7] = [
    HTTP_REQUEST_DURATION,
    RATE_LIMIT_DECISIONS,
    SECRETS,
    STORE_OPERATION_DURATION,
    CIRCUIT_BREAKER_STATE,
    DECISION_CACHE,
    SINGLE_FLIGHT_MERGED,
];

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS_S: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Gives every family its help text.
pub(super) fn describe(recorder: &impl Recorder) {
    let histograms = [
        (
            HTTP_REQUEST_DURATION,
            "HTTP requests by method, route template and status.",
        ),
        (
            STORE_OPERATION_DURATION,
            "Store calls by backend, operation and outcome.",
        ),
    ];
    for (name, help) in histograms {
        recorder.describe_histogram(name.into(), None, help.into());
    }
    let counters = [
        (
            RATE_LIMIT_DECISIONS,
            "Rate-limit decisions by action and outcome.",
        ),
        (
            SECRETS,
            "Secret events: created, revealed (views), burned, expired.",
        ),
        (DECISION_CACHE, "Rate-limit and ban decision cache lookups."),
        (
            SINGLE_FLIGHT_MERGED,
            "Lookups answered by another caller's in-flight lookup.",
        ),
    ];
    for (name, help) in counters {
        recorder.describe_counter(name.into(), None, help.into());
    }
    recorder.describe_gauge(
        CIRCUIT_BREAKER_STATE.into(),
        None,
        "Circuit state per backend: 0 closed, 1 half-open, 2 open.".into(),
    );
}

/// The Prometheus text of `m`, with the breakers' states as they are now.
pub fn render(m: &Metrics, breakers: &[Arc<CircuitBreaker>]) -> String {
    for breaker in breakers {
        let value = match breaker.state() {
            BreakerState::Closed { .. } => 0.0,
            BreakerState::HalfOpen { .. } => 1.0,
            BreakerState::Open { .. } => 2.0,
        };
        let labels = vec![Label::from_static_parts("backend", breaker.name())];
        m.set_gauge(CIRCUIT_BREAKER_STATE, labels, value);
    }
    let s = &m.secrets;
    for (event, counter) in [
        ("created", &s.created),
        ("revealed", &s.revealed),
        ("burned", &s.burned),
        ("expired", &s.expired),
    ] {
        m.publish_count(
            SECRETS,
            vec![Label::from_static_parts("event", event)],
            counter,
        );
    }
    for (result, counter) in [("hit", &m.cache.hits), ("miss", &m.cache.misses)] {
        let labels = vec![Label::from_static_parts("result", result)];
        m.publish_count(DECISION_CACHE, labels, counter);
    }
    for (lookup, counter) in [("ban", &m.merged.ban), ("metadata", &m.merged.metadata)] {
        let labels = vec![Label::from_static_parts("lookup", lookup)];
        m.publish_count(SINGLE_FLIGHT_MERGED, labels, counter);
    }
    m.render_recorded()
}
