//! Telemetry as `main` installs it (`vanish_server::telemetry::init`), once for this test
//! process (`fixture`): JSON logs captured in memory, and, in builds with the features,
//! Sentry reports and OTLP traces sent to receivers this process runs. Each test tells its
//! own data apart by request id or trace id.

#[allow(dead_code)]
#[path = "../http/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../http/faulty_store.rs"]
mod faulty_store;

mod fixture;

#[cfg(feature = "sentry")]
mod error_reports;
mod request_logs;
#[cfg(feature = "otel")]
mod traces;
