//! Logs, metrics, error reports and traces (docs/operations.md, "Monitoring"): the log
//! layer ([`logs`]: JSON lines by default, written by `json_lines`, every line of a
//! request carrying its span),
//! [`Metrics`] updated by the pipeline and exposed by [`prometheus`], the periodic
//! `"level":"metric"` summary line, and, in builds with the features, Sentry error reports
//! (`sentry`) and OpenTelemetry traces (`otel`). [`init`] installs them all once, from
//! `main`. Nothing here ever sees a body, a key, a token or a secret id: routes are
//! recorded as templates (`/api/secrets/{id}`).

#[cfg(test)]
pub(crate) mod captured;
mod json_lines;
pub mod logs;
mod metrics;
#[cfg(feature = "otel")]
pub mod otel;
#[cfg(feature = "otel")]
mod otlp;
pub mod prometheus;
#[cfg(feature = "sentry")]
pub mod sentry;
#[cfg(feature = "otel")]
mod span_queue;
mod summary;
#[cfg(feature = "otel")]
mod trace_context;
mod trace_spans;

pub use metrics::{Metrics, method_label};
pub use summary::{run_summary, run_upkeep};
pub use trace_spans::{CallSpan, ServerSpan};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::Registry;

use crate::config::Telemetry;

/// A telemetry setting that cannot be used; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct TelemetryError {
    pub variable: &'static str,
    pub problem: String,
}

/// Keeps error reporting and trace export running; dropping it flushes what is queued.
#[must_use = "dropping the guard stops error reports and traces"]
pub struct Guard {
    #[cfg(feature = "sentry")]
    _sentry: Option<::sentry::ClientInitGuard>,
    #[cfg(feature = "otel")]
    _traces: Option<otel::Traces>,
}

impl Guard {
    /// Sends what is queued now: error reports (waiting at most `timeout`) and spans.
    pub fn flush(&self, timeout: std::time::Duration) {
        #[cfg(feature = "sentry")]
        if let Some(client) = ::sentry::Hub::main().client() {
            client.flush(Some(timeout));
        }
        #[cfg(feature = "otel")]
        if let Some(traces) = &self._traces {
            traces.flush();
        }
        let _ = timeout;
    }
}

/// Whether this build reports errors to Sentry with these settings.
pub fn reports_errors(settings: &Telemetry) -> bool {
    cfg!(feature = "sentry") && settings.sentry_dsn.is_some()
}

/// Whether this build exports traces with these settings.
pub fn exports_traces(settings: &Telemetry) -> bool {
    cfg!(feature = "otel") && settings.otlp_endpoint.is_some()
}

/// Installs logging to stderr, and error reports and traces when their settings say so;
/// call once, from `main`, before the async runtime starts.
pub fn init(settings: &Telemetry) -> Result<Guard, TelemetryError> {
    init_with_writer(settings, std::io::stderr)
}

/// [`init`], with log lines written to `writer` (tests capture them this way).
pub fn init_with_writer<W>(settings: &Telemetry, writer: W) -> Result<Guard, TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let logs = logs::layer(settings.log_format, &settings.log_level, writer);
    let guard = Guard {
        #[cfg(feature = "sentry")]
        _sentry: sentry::init(settings)?,
        #[cfg(feature = "otel")]
        _traces: otel::init(settings)?,
    };
    tracing::subscriber::set_global_default(Registry::default().with(logs)).map_err(|e| {
        TelemetryError {
            variable: "LOG_FORMAT",
            problem: format!("cannot install the logger: {e}"),
        }
    })?;
    warn_about_missing_features(settings);
    Ok(guard)
}

/// A setting this build cannot honour is said out loud rather than ignored.
fn warn_about_missing_features(settings: &Telemetry) {
    if settings.sentry_dsn.is_some() && !cfg!(feature = "sentry") {
        tracing::warn!(
            "SENTRY_DSN is set, but this build has no Sentry support (feature `sentry`)"
        );
    }
    if settings.otlp_endpoint.is_some() && !cfg!(feature = "otel") {
        tracing::warn!(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no OpenTelemetry support (feature `otel`)"
        );
    }
}
