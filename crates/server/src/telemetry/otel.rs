//! OpenTelemetry traces (feature `otel`), on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set:
//! the request's server span ([`ServerSpan`], made by `pipeline::request_span`) and a child
//! span per store or limiter call (`telemetry::CallSpan`), exported in batches over
//! OTLP/HTTP with protobuf bodies (`otlp`) from the SDK's background thread, so a slow or
//! dead collector never holds a request up: a full queue drops spans instead.
//!
//! The spans are made with the OpenTelemetry SDK directly, not through `tracing` and
//! `tracing-opentelemetry`: that bridge keeps a second copy of every span's data and visits
//! its fields on every change (bench/README.md, "Telemetry"). The server span's context is
//! current while the request is polled, so the calls made while serving it find it as
//! their parent.
//!
//! The standard variables apply: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (the
//! service is called `vanish` when neither names it), `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG` (default: parent-based, always on),
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_SDK_DISABLED`. Only the span data the pipeline
//! puts there leaves: route templates, methods, statuses, backend and operation names.
//! Log events never become span events (docs/operations.md, "Traces").

use std::borrow::Cow;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, Version};
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use super::TelemetryError;
use super::otlp::{OtlpExporter, headers_from_env};
use crate::config::Telemetry;

/// How long one export may take when `OTEL_EXPORTER_OTLP_TIMEOUT` does not say.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The exporting pipeline; shutting it down flushes the spans still queued.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Exports the spans queued so far.
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        // Flushes what is queued, bounded by the export timeout.
        let _ = self.provider.shutdown();
    }
}

/// The tracer the spans are made with, once [`init`] has started the export.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// Starts the export, when an endpoint is set and `OTEL_SDK_DISABLED` is not `true`; from
/// then on requests get spans. `None` when traces stay off.
pub fn init(settings: &Telemetry) -> Result<Option<Traces>, TelemetryError> {
    let Some(base) = &settings.otlp_endpoint else {
        return Ok(None);
    };
    if std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    // The signal's own variable is used as written; the base URL gets the signal's path.
    let (variable, endpoint) = match std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint),
        _ => (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("{}/v1/traces", base.trim_end_matches('/')),
        ),
    };
    let endpoint = crate::config::parse::http_url(&endpoint).map_err(|problem| TelemetryError {
        variable,
        problem: format!("{endpoint:?}: {problem}"),
    })?;
    let exporter = OtlpExporter::new(endpoint, headers_from_env(), export_timeout());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource(settings))
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // A second `init` in one process (tests) keeps the first tracer.
    let _ = TRACER.set(provider.tracer("vanish"));
    Ok(Some(Traces { provider }))
}

/// A request's server span, named `METHOD /route/template`, with the HTTP
/// semantic-convention attributes and the request id.
pub struct ServerSpan {
    /// The caller's context (if any) with this span in it: current while the request runs.
    context: Context,
    /// The trace's id in hex, for the log lines.
    trace_id: String,
}

impl ServerSpan {
    /// Starts the span, continuing the caller's trace when `headers` carry a W3C
    /// `traceparent` (and `tracestate`); `None` while traces are off.
    pub fn start(
        method: &'static str,
        route: &str,
        request_id: &str,
        version: Version,
        headers: &HeaderMap,
    ) -> Option<Self> {
        let tracer = TRACER.get()?;
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&Headers(headers))
        });
        let span = tracer
            .span_builder(format!("{method} {route}"))
            .with_kind(SpanKind::Server)
            .with_attributes([
                KeyValue::new("http.request.method", method),
                KeyValue::new("http.route", route.to_owned()),
                KeyValue::new("url.scheme", "http"),
                KeyValue::new("network.protocol.name", "http"),
                KeyValue::new("network.protocol.version", protocol_version(version)),
                KeyValue::new("request_id", request_id.to_owned()),
            ])
            .start_with_context(tracer, &parent);
        let trace_id = span.span_context().trace_id().to_string();
        Some(Self {
            context: parent.with_span(span),
            trace_id,
        })
    }

    /// The trace's id, 32 hex digits.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// Runs `serve` with this span current, so the spans of the calls it makes are its
    /// children.
    pub async fn run<F: Future>(&self, serve: F) -> F::Output {
        serve.with_context(self.context.clone()).await
    }

    /// Ends the span with the answer's status; a 5xx marks it as failed.
    pub fn finish(self, status: StatusCode) {
        let span = self.context.span();
        span.set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(status.as_u16()),
        ));
        if status.is_server_error() {
            span.set_attribute(KeyValue::new("error.type", status.as_str().to_owned()));
            span.set_status(Status::error(""));
        }
        span.end();
    }
}

fn protocol_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// The span of one store or limiter call, a child of the request's span when there is one;
/// it ends when dropped. `None` while traces are off.
pub fn call_span(
    name: impl FnOnce() -> Cow<'static, str>,
    attributes: &[(&'static str, &'static str)],
) -> Option<opentelemetry_sdk::trace::Span> {
    let tracer = TRACER.get()?;
    let attributes = attributes.iter().map(|&(k, v)| KeyValue::new(k, v));
    Some(
        tracer
            .span_builder(name())
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start(tracer),
    )
}

/// Marks a call's span as failed.
pub fn fail(span: &mut opentelemetry_sdk::trace::Span) {
    span.set_status(Status::error(""));
}

/// The resource the environment describes, named `vanish` with its version and
/// `ENVIRONMENT` where the environment does not say otherwise.
fn resource(settings: &Telemetry) -> Resource {
    let detected = Resource::builder().build();
    let has = |key: &'static str| detected.get(&opentelemetry::Key::new(key)).is_some();
    let is_named = detected
        .get(&opentelemetry::Key::new("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    let mut builder = Resource::builder();
    if !is_named {
        builder = builder.with_service_name("vanish");
    }
    if !has("service.version") {
        builder =
            builder.with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    }
    if !has("deployment.environment.name") {
        builder = builder.with_attribute(KeyValue::new(
            "deployment.environment.name",
            settings.environment.clone(),
        ));
    }
    builder.build()
}

/// `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds), else 10 s.
fn export_timeout() -> Duration {
    std::env::var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
        .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_TIMEOUT"))
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
        .map_or(EXPORT_TIMEOUT, Duration::from_millis)
}

/// A request's headers, as the W3C propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}
