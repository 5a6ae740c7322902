//! Logs and in-process counters (docs/operations.md, "Monitoring"): logging setup (JSON lines by default,
//! `pretty` for humans), [`Metrics`] updated by the pipeline, and the periodic
//! `"level":"metric"` summary line. Nothing here ever sees a body, a key, a token or a
//! secret id: routes are logged as templates (`/api/secrets/{id}`).

mod metrics;
pub mod prometheus;
mod summary;

pub use metrics::Metrics;
pub use summary::{run_summary, run_upkeep};

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; call once from `main`. `RUST_LOG`, when set, wins over
/// `level`.
pub fn init_logging(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == LogFormat::Pretty {
        builder.init();
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    }
}
