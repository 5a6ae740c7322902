//! OpenTelemetry traces (feature `otel`), on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set:
//! the request's server span and the store and limiter spans (all of target
//! `vanish::trace`, which the logs never show) (`pipeline::request_span`,
//! `resilience::breaker`, `pipeline::rate_limit`) become OTel spans through
//! `tracing-opentelemetry`, exported in batches over OTLP/HTTP with protobuf bodies from a
//! background thread, so a slow or dead collector never holds a request up: a full queue
//! drops spans instead.
//!
//! The standard variables apply: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (the
//! service is called `vanish` when neither names it), `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG` (default: parent-based, always on),
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_SDK_DISABLED`. Only the span data the pipeline
//! puts there leaves: route templates, methods, statuses, backend and operation names.
//! Log events never become span events (docs/operations.md, "Traces").

use std::time::Duration;

use axum::http::HeaderMap;
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

use super::TelemetryError;
use super::logs::TRACE_TARGET;
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

/// The layer that turns tracing spans into OTel spans.
pub type SpanLayer<S> = Box<dyn Layer<S> + Send + Sync>;

/// The tracing layer that turns spans into OTel spans, and its exporter; `None` when no
/// endpoint is set or `OTEL_SDK_DISABLED=true`.
pub fn init<S>(settings: &Telemetry) -> Result<Option<(SpanLayer<S>, Traces)>, TelemetryError>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let Some(base) = &settings.otlp_endpoint else {
        return Ok(None);
    };
    if std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    // The signal's own variable is used as written; the base URL gets the signal's path.
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("{base}/v1/traces"));
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_http_client(UreqClient::new(export_timeout()))
        .build()
        .map_err(|e| TelemetryError {
            variable: "OTEL_EXPORTER_OTLP_ENDPOINT",
            problem: e.to_string(),
        })?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource(settings))
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("vanish"))
        // Only what the span's own fields say: no thread, source location or timings.
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_level(false)
        .with_target(false)
        // Nothing inside uses the OTel API, so no OTel context is swapped in on every poll.
        .with_context_activation(false)
        // Spans only: log events stay in the logs.
        .with_filter(filter_fn(|meta| {
            meta.is_span() && meta.target() == TRACE_TARGET
        }))
        .boxed();
    Ok(Some((layer, Traces { provider })))
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

/// Continues the caller's trace: the W3C `traceparent` (and `tracestate`) of `headers`
/// become the parent of `span`. Returns the span's trace id, for the log lines.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) -> Option<String> {
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    if parent.span().span_context().is_valid() {
        // Fails only for a span that is disabled or already started; neither is ours.
        let _ = span.set_parent(parent);
    }
    let context: Context = span.context();
    let trace_id = context.span().span_context().trace_id();
    (trace_id != opentelemetry::trace::TraceId::INVALID).then(|| trace_id.to_string())
}

/// The exporter's HTTP client: ureq with rustls (ring), the client the CLI already uses,
/// so no second HTTP stack and no OpenSSL. It blocks, which is what the batch exporter's
/// own thread expects.
#[derive(Debug)]
struct UreqClient {
    agent: ureq::Agent,
}

impl UreqClient {
    fn new(timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self { agent }
    }
}

#[async_trait::async_trait]
impl HttpClient for UreqClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, body.to_vec());
        let response = self.agent.run(request)?;
        let (parts, mut body) = response.into_parts();
        // Collectors answer with a small protobuf status; bound what we read anyway.
        let bytes = body.with_config().limit(1 << 20).read_to_vec()?;
        Ok(Response::from_parts(parts, Bytes::from(bytes)))
    }
}
