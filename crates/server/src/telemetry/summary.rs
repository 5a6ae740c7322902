//! The periodic summary line: every `METRICS_LOG_INTERVAL_S`, one JSON object with
//! `"level":"metric"`, requests by method and status, the 5xx error rate and durations.
//! Written straight to stderr (the log stream) since it is not an event of any level.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::watch;
use vanish_core::clock::Clock;
use vanish_core::headers::rfc3339_utc;

use super::Metrics;
use super::metrics::Window;

pub async fn run_summary(
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        let line = summary_line(&metrics.drain_window(), every, clock.now_ms());
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// Folds recorded histogram samples into their buckets every `every` until `stop`, so
/// memory stays flat however rarely `/metrics` is scraped.
pub async fn run_upkeep(metrics: Arc<Metrics>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticks.tick() => metrics.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

/// The summary of one window as a JSON line.
pub fn summary_line(w: &Window, every: Duration, now_ms: u64) -> Value {
    let by: Map<String, Value> = w
        .by_method_status
        .iter()
        .map(|((method, status), count)| (format!("{method} {status}"), json!(count)))
        .collect();
    let (avg, min) = if w.count == 0 {
        (0.0, 0.0)
    } else {
        (w.total_ms / w.count as f64, w.min_ms)
    };
    json!({
        "timestamp": rfc3339_utc(now_ms),
        "level": "metric",
        "interval_s": every.as_secs(),
        "requests": w.count,
        "by_method_status": by,
        "error_rate": if w.count == 0 { 0.0 } else { w.errors as f64 / w.count as f64 },
        "duration_ms": { "min": round3(min), "max": round3(w.max_ms), "avg": round3(avg) },
    })
}

fn round3(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_by_method_and_status() {
        let m = Metrics::default();
        m.record_request("GET", "/", 200, 1.0);
        m.record_request("GET", "/", 200, 3.0);
        m.record_request("POST", "/api/secrets", 503, 2.0);
        let line = summary_line(&m.drain_window(), Duration::from_secs(60), 0);
        assert_eq!(line["level"], "metric");
        assert_eq!(line["requests"], 3);
        assert_eq!(line["by_method_status"]["GET 200"], 2);
        assert_eq!(line["by_method_status"]["POST 503"], 1);
        assert_eq!(line["duration_ms"]["min"], 1.0);
        assert_eq!(line["duration_ms"]["max"], 3.0);
        assert_eq!(line["duration_ms"]["avg"], 2.0);
        assert!((line["error_rate"].as_f64().expect("rate") - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(m.drain_window().count, 0, "draining resets the window");
    }
}
