//! Renders [`Metrics`] and the live state of breakers, caches and single-flight in the
//! Prometheus text format (version 0.0.4). Written by hand: the set is small and fixed,
//! and the format is a few lines per family.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use vanish_core::breaker::BreakerState;

use super::metrics::{BUCKETS_S, Histogram, Metrics};
use crate::resilience::CircuitBreaker;

pub fn render(m: &Metrics, breakers: &[Arc<CircuitBreaker>]) -> String {
    let mut out = String::new();

    family(
        &mut out,
        "vanish_http_request_duration_seconds",
        "histogram",
        "HTTP requests by method, route template and status.",
    );
    for ((method, route, status), h) in m.requests() {
        let labels = format!(
            "method=\"{method}\",route=\"{}\",status=\"{status}\"",
            escape(&route)
        );
        histogram(
            &mut out,
            "vanish_http_request_duration_seconds",
            &labels,
            &h,
        );
    }

    family(
        &mut out,
        "vanish_rate_limit_decisions_total",
        "counter",
        "Rate-limit decisions by action and outcome.",
    );
    for ((action, decision), n) in m.decisions() {
        let _ = writeln!(
            out,
            "vanish_rate_limit_decisions_total{{action=\"{action}\",decision=\"{decision}\"}} {n}"
        );
    }

    family(
        &mut out,
        "vanish_secrets_total",
        "counter",
        "Secret events: created, revealed (views), burned, expired.",
    );
    let s = &m.secrets;
    for (event, counter) in [
        ("created", &s.created),
        ("revealed", &s.revealed),
        ("burned", &s.burned),
        ("expired", &s.expired),
    ] {
        let _ = writeln!(
            out,
            "vanish_secrets_total{{event=\"{event}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }

    family(
        &mut out,
        "vanish_store_operation_duration_seconds",
        "histogram",
        "Store calls by backend, operation and outcome.",
    );
    for ((backend, op, outcome), h) in m.store_ops() {
        let labels = format!("backend=\"{backend}\",op=\"{op}\",outcome=\"{outcome}\"");
        histogram(
            &mut out,
            "vanish_store_operation_duration_seconds",
            &labels,
            &h,
        );
    }

    family(
        &mut out,
        "vanish_circuit_breaker_state",
        "gauge",
        "Circuit state per backend: 0 closed, 1 half-open, 2 open.",
    );
    for breaker in breakers {
        let value = match breaker.state() {
            BreakerState::Closed { .. } => 0,
            BreakerState::HalfOpen { .. } => 1,
            BreakerState::Open { .. } => 2,
        };
        let _ = writeln!(
            out,
            "vanish_circuit_breaker_state{{backend=\"{}\"}} {value}",
            breaker.name()
        );
    }

    family(
        &mut out,
        "vanish_decision_cache_total",
        "counter",
        "Rate-limit and ban decision cache lookups.",
    );
    let stats = &m.cache;
    let _ = writeln!(
        out,
        "vanish_decision_cache_total{{result=\"hit\"}} {}",
        stats.hits.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "vanish_decision_cache_total{{result=\"miss\"}} {}",
        stats.misses.load(Ordering::Relaxed)
    );

    family(
        &mut out,
        "vanish_single_flight_merged_total",
        "counter",
        "Lookups answered by another caller's in-flight lookup.",
    );
    let _ = writeln!(
        out,
        "vanish_single_flight_merged_total{{lookup=\"ban\"}} {}",
        m.merged.ban.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "vanish_single_flight_merged_total{{lookup=\"metadata\"}} {}",
        m.merged.metadata.load(Ordering::Relaxed)
    );
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    let mut cumulative = 0;
    for (bound, n) in BUCKETS_S.iter().zip(h.buckets) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum_s);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
}

/// Label values are route templates; escape what the format reserves anyway.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
