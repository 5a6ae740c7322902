//! The trace spans the pipeline opens, the same in every build: with traces on (feature
//! `otel` and `OTEL_EXPORTER_OTLP_ENDPOINT`) they are OpenTelemetry spans (`otel`);
//! otherwise nothing, and their names are never built.
//!
//! - [`ServerSpan`]: one per request (`pipeline::request_span`); `otel::ServerSpan` in
//!   builds with traces, a type with no values in builds without.
//! - [`CallSpan`]: one per store or limiter call made while serving a sampled request,
//!   under its server span, named after the call (`secrets take`, `limiter check`) with
//!   static attributes only (backend, operation, action; never a key, id or address). It
//!   ends when dropped.

#[cfg(feature = "otel")]
pub use super::otel::ServerSpan;

/// A call's span, ended on drop.
pub struct CallSpan {
    #[cfg(feature = "otel")]
    span: Option<super::otel::CallRecord>,
}

impl CallSpan {
    /// Starts the span of a call named `subject operation`, with up to two `attributes`.
    #[cfg_attr(not(feature = "otel"), allow(unused_variables))]
    pub fn start(
        subject: &'static str,
        operation: &'static str,
        attributes: &[(&'static str, &'static str)],
    ) -> Self {
        Self {
            #[cfg(feature = "otel")]
            span: super::otel::CallRecord::start(subject, operation, attributes),
        }
    }

    /// Ends the span (as dropping it does), where the call ends before the scope does.
    pub fn end(self) {}

    /// Marks the call as failed.
    pub fn fail(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(span) = &mut self.span {
            span.fail();
        }
    }
}

/// Without the `otel` feature no request has a server span: this type has no values, so
/// the code that would use one is never run.
#[cfg(not(feature = "otel"))]
pub enum ServerSpan {}

#[cfg(not(feature = "otel"))]
impl ServerSpan {
    pub fn start(
        _method: &'static str,
        _route: &str,
        _request_id: &str,
        _version: axum::http::Version,
        _headers: &axum::http::HeaderMap,
    ) -> Option<Self> {
        None
    }

    pub fn trace_id(&self) -> &str {
        match *self {}
    }

    pub async fn run<F: std::future::Future>(&self, _serve: F) -> F::Output {
        match *self {}
    }

    pub fn finish(self, _status: axum::http::StatusCode) {
        match self {}
    }
}
