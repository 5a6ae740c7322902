//! OpenTelemetry traces (feature `otel`), on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set:
//! the request's server span ([`ServerSpan`], made by `pipeline::request_span`) and a child
//! span per store or limiter call made while serving it ([`CallRecord`], through
//! `telemetry::CallSpan`). Finished spans go into a bounded queue (`span_queue`) that a
//! thread of its own exports in batches over OTLP/HTTP with protobuf bodies (`otlp`), so a
//! slow or dead collector never holds a request up: a full queue drops spans instead.
//!
//! The spans are plain records made here, not OpenTelemetry SDK spans: with the SDK (its
//! `Context` made current on every poll, attribute vectors, span names formatted per
//! request, its batch channel) traces cost 19 % more instructions on the cheapest request,
//! over the 10 % the service allows them (bench/README.md, "Telemetry"). A record holds
//! only what the pipeline knows (static names, the route template, the request id) and is
//! turned into OTLP's form on the export thread. The request's span context is kept in a
//! task-local for the calls made while serving it.
//!
//! The standard variables apply: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (the
//! service is called `vanish` when neither names it), `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG` (`trace_context`; default: parent-based, always on),
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`, the `OTEL_BSP_*` batch settings (`span_queue`) and
//! `OTEL_SDK_DISABLED`. Only the span data the pipeline puts there leaves: route
//! templates, methods, statuses, backend and operation names, the request id. Log events
//! never become span events (docs/operations.md, "Traces").

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, Version};

use super::TelemetryError;
use super::otlp::{OtlpExporter, headers_from_env};
use super::span_queue::{BatchSettings, SpanQueue};
use super::trace_context::{self, Incoming, SAMPLED, Sampler};
use crate::config::Telemetry;

/// How long one export may take when `OTEL_EXPORTER_OTLP_TIMEOUT` does not say.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// A finished span, as the export thread receives it.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    /// All zeros for a span without a parent.
    pub parent_span_id: [u8; 8],
    /// The parent is the caller's span, in another process.
    pub parent_is_remote: bool,
    /// The W3C trace flags.
    pub flags: u8,
    pub trace_state: Option<Arc<str>>,
    /// Nanoseconds since the Unix epoch.
    pub start: u64,
    pub end: u64,
    /// The status is an error (a 5xx answer, a failed call).
    pub failed: bool,
    pub kind: SpanKind,
}

/// What a span is about: its name and attributes follow from it.
#[derive(Debug, Clone)]
pub enum SpanKind {
    /// A request: named `METHOD /route/template`, with the HTTP attributes.
    Server {
        method: &'static str,
        route: String,
        request_id: String,
        protocol_version: &'static str,
        status: u16,
    },
    /// A store or limiter call: named `subject operation` (`secrets take`), with up to
    /// two static attributes.
    Call {
        subject: &'static str,
        operation: &'static str,
        attributes: [(&'static str, &'static str); 2],
        attribute_count: u8,
    },
}

/// The exporting pipeline; dropping it exports the spans still queued.
pub struct Traces {
    queue: Arc<SpanQueue>,
}

impl Traces {
    /// Exports the spans queued so far, waiting at most for one export.
    pub fn flush(&self) {
        self.queue.flush();
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        self.queue.close();
    }
}

/// Where spans go and which traces are kept, once [`init`] has started the export.
struct Tracer {
    sampler: Sampler,
    queue: Arc<SpanQueue>,
}

static TRACER: OnceLock<Tracer> = OnceLock::new();

/// Starts the export, when an endpoint is set and `OTEL_SDK_DISABLED` is not `true`; from
/// then on requests get spans. `None` when traces stay off.
pub fn init(settings: &Telemetry) -> Result<Option<Traces>, TelemetryError> {
    let Some(base) = &settings.otlp_endpoint else {
        return Ok(None);
    };
    if std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true")) {
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
    let sampler = Sampler::from_env()?;
    let batches = BatchSettings::from_env()?;
    let exporter = OtlpExporter::new(
        endpoint,
        headers_from_env(),
        export_timeout(),
        &resource(settings),
    );
    let queue = SpanQueue::start(batches, exporter);
    // A second `init` in one process (tests) keeps the first tracer.
    let _ = TRACER.set(Tracer {
        sampler,
        queue: Arc::clone(&queue),
    });
    Ok(Some(Traces { queue }))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The span the calls made while serving a request are children of.
#[derive(Clone)]
struct Parent {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
    trace_state: Option<Arc<str>>,
}

tokio::task_local! {
    /// The request's server span, while a sampled request is served.
    static PARENT: Parent;
}

/// A request's server span, named `METHOD /route/template`, with the HTTP
/// semantic-convention attributes and the request id. Made for every request while traces
/// are on, so its trace id is in the log lines; recorded and exported only when the trace
/// is sampled.
pub struct ServerSpan {
    /// The span's data, while its trace is sampled.
    record: Option<SpanRecord>,
    /// The trace's id in hex, for the log lines.
    trace_id: [u8; 32],
}

impl ServerSpan {
    /// Starts the span, continuing the caller's trace when `headers` carry a valid W3C
    /// `traceparent` (and `tracestate`); `None` while traces are off.
    pub fn start(
        method: &'static str,
        route: &str,
        request_id: &str,
        version: Version,
        headers: &HeaderMap,
    ) -> Option<Self> {
        let tracer = TRACER.get()?;
        let caller = Incoming::from_headers(headers);
        let trace_id = caller
            .as_ref()
            .map_or_else(trace_context::new_trace_id, |c| c.trace_id);
        let mut hex = [0; 32];
        trace_context::write_hex(&trace_id, &mut hex);
        let record = tracer
            .sampler
            .keeps(&trace_id, caller.as_ref())
            .then(|| SpanRecord {
                trace_id,
                span_id: trace_context::new_span_id(),
                parent_span_id: caller.as_ref().map_or([0; 8], |c| c.span_id),
                parent_is_remote: caller.is_some(),
                flags: caller.as_ref().map_or(0, |c| c.flags) | SAMPLED,
                trace_state: caller.and_then(|c| c.trace_state),
                start: now(),
                end: 0,
                failed: false,
                kind: SpanKind::Server {
                    method,
                    route: route.to_owned(),
                    request_id: request_id.to_owned(),
                    protocol_version: protocol_version(version),
                    status: 0,
                },
            });
        Some(Self {
            record,
            trace_id: hex,
        })
    }

    /// The trace's id, 32 hex digits.
    pub fn trace_id(&self) -> &str {
        std::str::from_utf8(&self.trace_id).unwrap_or_default()
    }

    /// Runs `serve` with this span as the parent of the calls it makes.
    pub async fn run<F: Future>(&self, serve: F) -> F::Output {
        let Some(record) = &self.record else {
            return serve.await;
        };
        let parent = Parent {
            trace_id: record.trace_id,
            span_id: record.span_id,
            flags: record.flags,
            trace_state: record.trace_state.clone(),
        };
        PARENT.scope(parent, serve).await
    }

    /// Ends the span with the answer's status (a 5xx marks it as failed) and queues it
    /// for export when its trace is sampled.
    pub fn finish(self, answer: StatusCode) {
        let (Some(mut record), Some(tracer)) = (self.record, TRACER.get()) else {
            return;
        };
        record.end = now();
        record.failed = answer.is_server_error();
        if let SpanKind::Server { status, .. } = &mut record.kind {
            *status = answer.as_u16();
        }
        tracer.queue.push(record);
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

/// The span of one store or limiter call, queued when it ends (dropped).
pub struct CallRecord {
    record: Option<SpanRecord>,
}

impl CallRecord {
    /// Starts the span of a call made while serving a sampled request, as a child of its
    /// server span; `None` for calls made outside one (the sweeper, readiness checks) and
    /// while traces are off.
    pub fn start(
        subject: &'static str,
        operation: &'static str,
        attributes: &[(&'static str, &'static str)],
    ) -> Option<Self> {
        // Only a sampled server span sets a parent, and only once traces are on.
        let parent = PARENT.try_with(Parent::clone).ok()?;
        let mut kept = [("", ""); 2];
        let count = attributes.len().min(kept.len());
        kept[..count].copy_from_slice(&attributes[..count]);
        Some(Self {
            record: Some(SpanRecord {
                trace_id: parent.trace_id,
                span_id: trace_context::new_span_id(),
                parent_span_id: parent.span_id,
                parent_is_remote: false,
                flags: parent.flags,
                trace_state: parent.trace_state,
                start: now(),
                end: 0,
                failed: false,
                kind: SpanKind::Call {
                    subject,
                    operation,
                    attributes: kept,
                    #[allow(clippy::cast_possible_truncation)]
                    attribute_count: count as u8,
                },
            }),
        })
    }

    /// Marks the call as failed.
    pub fn fail(&mut self) {
        if let Some(record) = &mut self.record {
            record.failed = true;
        }
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        if let (Some(mut record), Some(tracer)) = (self.record.take(), TRACER.get()) {
            record.end = now();
            tracer.queue.push(record);
        }
    }
}

/// The resource the environment describes (`OTEL_RESOURCE_ATTRIBUTES`, then
/// `OTEL_SERVICE_NAME`), named `vanish` with its version and `ENVIRONMENT` where the
/// environment does not say otherwise.
fn resource(settings: &Telemetry) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let mut set = |key: &str, value: String| {
        attributes.retain(|(k, _): &(String, String)| k != key);
        attributes.push((key.to_owned(), value));
    };
    set("service.name", "vanish".to_owned());
    set("service.version", env!("CARGO_PKG_VERSION").to_owned());
    set("deployment.environment.name", settings.environment.clone());
    set("telemetry.sdk.name", "vanish".to_owned());
    set("telemetry.sdk.language", "rust".to_owned());
    set(
        "telemetry.sdk.version",
        env!("CARGO_PKG_VERSION").to_owned(),
    );
    if let Ok(list) = std::env::var("OTEL_RESOURCE_ATTRIBUTES") {
        for (key, value) in super::otlp::parse_key_values(&list) {
            set(&key, value);
        }
    }
    if let Ok(name) = std::env::var("OTEL_SERVICE_NAME") {
        let name = name.trim();
        if !name.is_empty() {
            set("service.name", name.to_owned());
        }
    }
    attributes
}

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds),
/// else 10 s.
fn export_timeout() -> Duration {
    std::env::var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
        .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_TIMEOUT"))
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
        .map_or(EXPORT_TIMEOUT, Duration::from_millis)
}
