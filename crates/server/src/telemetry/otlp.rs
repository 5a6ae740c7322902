//! The OTLP/HTTP span exporter (feature `otel`): each batch of finished spans becomes one
//! `ExportTraceServiceRequest` in protobuf, written straight from the SDK's span data, and
//! is POSTed to the collector with ureq from the SDK's batch thread.
//!
//! Written here rather than taken from `opentelemetry-otlp`: that exporter first copies
//! every span into `opentelemetry-proto`'s generated structs and then has prost measure
//! each nested message again at every level it is nested in, about 8,000 instructions a
//! span, more than making the span; writing the bytes directly costs a fraction of that
//! (bench/README.md, "Telemetry"). The encoding is the OTLP protobuf schema
//! (`opentelemetry/proto/trace/v1/trace.proto` and `common/v1/common.proto`); the tests
//! decode what this writes with `opentelemetry-proto`'s generated types, field by field.
//!
//! Settings, as the OTLP exporter specification names them: the endpoint (given by
//! `telemetry::otel`), `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
//! (`key=value,…`, values percent-decoded, the traces variable winning per key), and the
//! export timeout. Bodies are not compressed.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// Sends batches of spans to one collector.
pub struct OtlpExporter {
    agent: ureq::Agent,
    endpoint: String,
    headers: Vec<(String, String)>,
    /// The `Resource` message, encoded once (the SDK sets it before the first export).
    resource: Vec<u8>,
    /// The last export failed: a failure is logged when exports start failing, not for
    /// every batch, and the recovery when they work again.
    failing: AtomicBool,
}

impl OtlpExporter {
    /// An exporter posting to `endpoint` (the full traces URL) with `headers`, each export
    /// bounded by `timeout`.
    pub fn new(endpoint: String, headers: Vec<(String, String)>, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            agent,
            endpoint,
            headers,
            resource: Vec::new(),
            failing: AtomicBool::new(false),
        }
    }

    fn post(&self, body: Vec<u8>) -> OTelSdkResult {
        let mut request = self
            .agent
            .post(&self.endpoint)
            .header("content-type", "application/x-protobuf");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let mut response = request
            .send(&body[..])
            .map_err(|e| OTelSdkError::InternalFailure(format!("OTLP export: {e}")))?;
        // Collectors answer with a small protobuf status; read (a bounded part of) it so
        // the connection can be kept.
        let _ = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec();
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(format!(
                "OTLP export: the collector answered {status}"
            )))
        }
    }
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The headers may hold an API key.
        f.debug_struct("OtlpExporter")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if batch.is_empty() {
            return Ok(());
        }
        let outcome = self.post(encode_request(&self.resource, &batch));
        match &outcome {
            Err(e) if !self.failing.swap(true, Ordering::Relaxed) => {
                tracing::warn!(error = %e, "trace export failed; spans are dropped until the collector takes them again");
            }
            Ok(()) if self.failing.swap(false, Ordering::Relaxed) => {
                tracing::info!("trace export works again");
            }
            _ => {}
        }
        outcome
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource.clear();
        encode_resource(&mut self.resource, resource);
    }
}

/// `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (which wins for a
/// name both give), as `key=value,…` with percent-encoded values. Entries without `=` or
/// with an empty key are left out.
pub fn headers_from_env() -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for variable in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        let Ok(list) = std::env::var(variable) else {
            continue;
        };
        for (name, value) in parse_headers(&list) {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
    }
    headers
}

fn parse_headers(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|entry| {
            let (name, value) = entry.split_once('=')?;
            let name = name.trim();
            let value = percent_encoding::percent_decode_str(value.trim()).decode_utf8_lossy();
            (!name.is_empty()).then(|| (name.to_owned(), value.into_owned()))
        })
        .collect()
}

// Protobuf wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;
const FIXED32: u32 = 5;

/// `ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }` with one
/// `ResourceSpans`, and a `ScopeSpans` per run of spans from the same instrumentation scope.
fn encode_request(resource: &[u8], spans: &[SpanData]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256 + spans.len() * 256);
    message(&mut buf, 1, |buf| {
        // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
        if !resource.is_empty() {
            bytes(buf, 1, resource);
        }
        for run in spans.chunk_by(|a, b| a.instrumentation_scope == b.instrumentation_scope) {
            message(buf, 2, |buf| {
                // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2;
                //              string schema_url = 3; }
                let scope = &run[0].instrumentation_scope;
                message(buf, 1, |buf| {
                    string(buf, 1, scope.name());
                    string(buf, 2, scope.version().unwrap_or_default());
                    attributes(buf, 3, scope.attributes());
                });
                for span in run {
                    message(buf, 2, |buf| encode_span(buf, span));
                }
                string(buf, 3, scope.schema_url().unwrap_or_default());
            });
        }
    });
    buf
}

/// The fields of `Resource { repeated KeyValue attributes = 1; }`.
fn encode_resource(buf: &mut Vec<u8>, resource: &Resource) {
    for (key, value) in resource.iter() {
        message(buf, 1, |buf| key_value(buf, key.as_str(), value));
    }
}

/// The fields of an OTLP `Span`.
fn encode_span(buf: &mut Vec<u8>, span: &SpanData) {
    let context = &span.span_context;
    bytes(buf, 1, &context.trace_id().to_bytes());
    bytes(buf, 2, &context.span_id().to_bytes());
    string(buf, 3, &context.trace_state().header());
    if span.parent_span_id != SpanId::INVALID {
        bytes(buf, 4, &span.parent_span_id.to_bytes());
    }
    // flags: the W3C trace flags, and whether the parent is known to be remote.
    let mut flags = u32::from(context.trace_flags().to_u8()) | 0x100;
    if span.parent_span_is_remote {
        flags |= 0x200;
    }
    fixed32(buf, 16, flags);
    string(buf, 5, &span.name);
    varint_field(buf, 6, span_kind(&span.span_kind));
    fixed64(buf, 7, unix_nanos(span.start_time));
    fixed64(buf, 8, unix_nanos(span.end_time));
    for attribute in &span.attributes {
        message(buf, 9, |buf| {
            key_value(buf, attribute.key.as_str(), &attribute.value)
        });
    }
    varint_field(buf, 10, u64::from(span.dropped_attributes_count));
    for event in &span.events.events {
        // Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue
        //         attributes = 3; uint32 dropped_attributes_count = 4; }
        message(buf, 11, |buf| {
            fixed64(buf, 1, unix_nanos(event.timestamp));
            string(buf, 2, &event.name);
            attributes(buf, 3, event.attributes.iter());
            varint_field(buf, 4, u64::from(event.dropped_attributes_count));
        });
    }
    varint_field(buf, 12, u64::from(span.events.dropped_count));
    for link in &span.links.links {
        // Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated
        //        KeyValue attributes = 4; uint32 dropped_attributes_count = 5; }
        message(buf, 13, |buf| {
            bytes(buf, 1, &link.span_context.trace_id().to_bytes());
            bytes(buf, 2, &link.span_context.span_id().to_bytes());
            string(buf, 3, &link.span_context.trace_state().header());
            attributes(buf, 4, link.attributes.iter());
            varint_field(buf, 5, u64::from(link.dropped_attributes_count));
        });
    }
    varint_field(buf, 14, u64::from(span.links.dropped_count));
    // Status { string message = 2; StatusCode code = 3; } (UNSET 0, OK 1, ERROR 2)
    let (code, description) = match &span.status {
        Status::Unset => (0, ""),
        Status::Ok => (1, ""),
        Status::Error { description } => (2, description.as_ref()),
    };
    if code != 0 {
        message(buf, 15, |buf| {
            string(buf, 2, description);
            varint_field(buf, 3, code);
        });
    }
}

/// OTLP's `SpanKind` numbers (UNSPECIFIED is 0).
fn span_kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn attributes<'a>(buf: &mut Vec<u8>, field: u32, attributes: impl Iterator<Item = &'a KeyValue>) {
    for attribute in attributes {
        message(buf, field, |buf| {
            key_value(buf, attribute.key.as_str(), &attribute.value);
        });
    }
}

/// The fields of `KeyValue { string key = 1; AnyValue value = 2; }`.
fn key_value(buf: &mut Vec<u8>, key: &str, value: &Value) {
    string(buf, 1, key);
    message(buf, 2, |buf| any_value(buf, value));
}

/// The fields of `AnyValue`: `string_value = 1`, `bool_value = 2`, `int_value = 3`,
/// `double_value = 4`, `ArrayValue array_value = 5` (`repeated AnyValue values = 1`).
fn any_value(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(s) => string_always(buf, 1, s.as_str()),
        Value::Bool(b) => varint_always(buf, 2, u64::from(*b)),
        // int64 is written as its two's-complement bits.
        #[allow(clippy::cast_sign_loss)]
        Value::I64(i) => varint_always(buf, 3, *i as u64),
        Value::F64(f) => fixed64(buf, 4, f.to_bits()),
        Value::Array(array) => message(buf, 5, |buf| match array {
            Array::Bool(values) => each(buf, values, |buf, v| varint_always(buf, 2, u64::from(*v))),
            #[allow(clippy::cast_sign_loss)]
            Array::I64(values) => each(buf, values, |buf, v| varint_always(buf, 3, *v as u64)),
            Array::F64(values) => each(buf, values, |buf, v| fixed64(buf, 4, v.to_bits())),
            Array::String(values) => each(buf, values, |buf, v| string_always(buf, 1, v.as_str())),
            other => each(buf, &[other], |buf, v| {
                string_always(buf, 1, &v.to_string())
            }),
        }),
        other => string_always(buf, 1, &other.to_string()),
    }
}

/// Each of `values` as an `AnyValue` of an `ArrayValue`.
fn each<T>(buf: &mut Vec<u8>, values: &[T], one: impl Fn(&mut Vec<u8>, &T)) {
    for value in values {
        message(buf, 1, |buf| one(buf, value));
    }
}

/// A length-delimited field holding what `body` writes: the length is known only once the
/// body is written, so it is inserted before the body afterwards (one short move).
fn message(buf: &mut Vec<u8>, field: u32, body: impl FnOnce(&mut Vec<u8>)) {
    tag(buf, field, LEN);
    let start = buf.len();
    body(buf);
    let mut length = [0; 10];
    let n = encode_varint(&mut length, (buf.len() - start) as u64);
    buf.splice(start..start, length[..n].iter().copied());
}

fn tag(buf: &mut Vec<u8>, field: u32, wire_type: u32) {
    varint(buf, u64::from(field << 3 | wire_type));
}

fn varint(buf: &mut Vec<u8>, value: u64) {
    let mut bytes = [0; 10];
    let n = encode_varint(&mut bytes, value);
    buf.extend_from_slice(&bytes[..n]);
}

fn encode_varint(out: &mut [u8; 10], mut value: u64) -> usize {
    let mut n = 0;
    while value >= 0x80 {
        out[n] = (value as u8) | 0x80;
        value >>= 7;
        n += 1;
    }
    out[n] = value as u8;
    n + 1
}

/// A varint field, left out when zero (proto3's default).
fn varint_field(buf: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        varint_always(buf, field, value);
    }
}

/// A varint field even when zero: a member of a `oneof` must be present to say which.
fn varint_always(buf: &mut Vec<u8>, field: u32, value: u64) {
    tag(buf, field, VARINT);
    varint(buf, value);
}

fn fixed64(buf: &mut Vec<u8>, field: u32, value: u64) {
    tag(buf, field, FIXED64);
    buf.extend_from_slice(&value.to_le_bytes());
}

fn fixed32(buf: &mut Vec<u8>, field: u32, value: u32) {
    tag(buf, field, FIXED32);
    buf.extend_from_slice(&value.to_le_bytes());
}

/// A string field, left out when empty (proto3's default).
fn string(buf: &mut Vec<u8>, field: u32, value: &str) {
    if !value.is_empty() {
        string_always(buf, field, value);
    }
}

fn string_always(buf: &mut Vec<u8>, field: u32, value: &str) {
    bytes(buf, field, value.as_bytes());
}

fn bytes(buf: &mut Vec<u8>, field: u32, value: &[u8]) {
    tag(buf, field, LEN);
    varint(buf, value.len() as u64);
    buf.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{SpanContext, TraceFlags, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use prost::Message as _;

    use super::*;
    use crate::telemetry::captured::CapturedLogs;

    fn span(name: &'static str, kind: SpanKind, parent: SpanId, status: Status) -> SpanData {
        SpanData {
            span_context: SpanContext::new(
                TraceId::from_bytes([7; 16]),
                SpanId::from_bytes([9; 8]),
                TraceFlags::SAMPLED,
                false,
                TraceState::from_key_value([("vendor", "x")]).expect("valid"),
            ),
            parent_span_id: parent,
            parent_span_is_remote: true,
            span_kind: kind,
            name: Cow::Borrowed(name),
            start_time: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789),
            end_time: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_223_456_789),
            attributes: vec![
                KeyValue::new("http.route", "/api/secrets/{id}"),
                KeyValue::new("http.response.status_code", 200_i64),
                KeyValue::new("negative", -5_i64),
                KeyValue::new("flag", false),
                KeyValue::new("ratio", 0.25),
                KeyValue::new("list", Value::Array(Array::I64(vec![1, -2, 0]))),
            ],
            dropped_attributes_count: 3,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status,
            instrumentation_scope: InstrumentationScope::builder("vanish")
                .with_version("1.2.3")
                .build(),
        }
    }

    fn decode(body: &[u8]) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::decode(body).expect("a valid ExportTraceServiceRequest")
    }

    #[test]
    fn what_is_written_decodes_with_the_generated_otlp_types_field_for_field() {
        let mut exporter = OtlpExporter::new(String::new(), Vec::new(), Duration::from_secs(1));
        exporter.set_resource(
            &Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", "vanish"),
                    KeyValue::new("answer", 42_i64),
                ])
                .build(),
        );
        let parent = SpanId::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]);
        let spans = [
            span("POST /api/secrets", SpanKind::Server, parent, Status::Unset),
            span(
                "secrets take",
                SpanKind::Internal,
                SpanId::INVALID,
                Status::error("timed out"),
            ),
        ];
        let request = decode(&encode_request(&exporter.resource, &spans));

        assert_eq!(request.resource_spans.len(), 1);
        let resource_spans = &request.resource_spans[0];
        let resource = resource_spans.resource.as_ref().expect("a resource");
        let mut resource_attributes: Vec<(String, Option<Any>)> = resource
            .attributes
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone().and_then(|v| v.value)))
            .collect();
        resource_attributes.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            resource_attributes,
            [
                ("answer".to_owned(), Some(Any::IntValue(42))),
                (
                    "service.name".to_owned(),
                    Some(Any::StringValue("vanish".to_owned()))
                ),
            ]
        );
        assert_eq!(resource_spans.scope_spans.len(), 1);
        let scope_spans = &resource_spans.scope_spans[0];
        let scope = scope_spans.scope.as_ref().expect("a scope");
        assert_eq!(
            (scope.name.as_str(), scope.version.as_str()),
            ("vanish", "1.2.3")
        );
        let [server, store] = &scope_spans.spans[..] else {
            panic!("two spans: {:?}", scope_spans.spans);
        };

        assert_eq!(server.trace_id, [7; 16]);
        assert_eq!(server.span_id, [9; 8]);
        assert_eq!(server.parent_span_id, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(server.trace_state, "vendor=x");
        assert_eq!(server.flags, 0x301);
        assert_eq!(server.name, "POST /api/secrets");
        assert_eq!(server.kind, 2);
        assert_eq!(server.start_time_unix_nano, 1_700_000_000_123_456_789);
        assert_eq!(server.end_time_unix_nano, 1_700_000_000_223_456_789);
        assert_eq!(server.dropped_attributes_count, 3);
        assert_eq!(server.status, None);
        let values: Vec<(&str, Option<&Any>)> = server
            .attributes
            .iter()
            .map(|kv| {
                (
                    kv.key.as_str(),
                    kv.value.as_ref().and_then(|v| v.value.as_ref()),
                )
            })
            .collect();
        let list = match values[5].1 {
            Some(Any::ArrayValue(list)) => list
                .values
                .iter()
                .map(|v| v.value.clone())
                .collect::<Vec<_>>(),
            other => panic!("an array, not {other:?}"),
        };
        assert_eq!(
            values[..5],
            [
                (
                    "http.route",
                    Some(&Any::StringValue("/api/secrets/{id}".to_owned()))
                ),
                ("http.response.status_code", Some(&Any::IntValue(200))),
                ("negative", Some(&Any::IntValue(-5))),
                ("flag", Some(&Any::BoolValue(false))),
                ("ratio", Some(&Any::DoubleValue(0.25))),
            ]
        );
        assert_eq!(
            list,
            [
                Some(Any::IntValue(1)),
                Some(Any::IntValue(-2)),
                Some(Any::IntValue(0))
            ]
        );

        assert!(store.parent_span_id.is_empty());
        assert_eq!(store.kind, 1);
        let status = store.status.as_ref().expect("a status");
        assert_eq!(status.code, StatusCode::Error as i32);
        assert_eq!(status.message, "timed out");
    }

    #[test]
    fn a_long_batch_has_lengths_of_several_bytes_and_still_decodes() {
        let spans: Vec<SpanData> = (0..600)
            .map(|_| {
                span(
                    "GET /api/health",
                    SpanKind::Server,
                    SpanId::INVALID,
                    Status::Ok,
                )
            })
            .collect();
        let request = decode(&encode_request(&[], &spans));
        let decoded = &request.resource_spans[0].scope_spans[0].spans;
        assert_eq!(decoded.len(), 600);
        assert!(decoded.iter().all(|s| s.name == "GET /api/health"));
        assert_eq!(
            decoded[599].status.as_ref().map(|s| s.code),
            Some(StatusCode::Ok as i32)
        );
    }

    /// A collector on a real socket that answers one request per status in `statuses`,
    /// each on its own connection, and hands back what it received: each request's head
    /// and the number of spans in its body.
    fn collector(
        statuses: &'static [&'static str],
    ) -> (String, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/v1/traces", listener.local_addr().expect("addr"));
        let received = std::thread::spawn(move || {
            let mut received = Vec::new();
            for status in statuses {
                let (stream, _) = listener.accept().expect("a connection");
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).expect("a header line");
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let l = l.to_ascii_lowercase();
                        l.strip_prefix("content-length:")
                            .map(|v| v.trim().parse().expect("a length"))
                    })
                    .expect("a content-length");
                let mut body = vec![0; length];
                reader.read_exact(&mut body).expect("the body");
                let answer =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                reader
                    .get_mut()
                    .write_all(answer.as_bytes())
                    .expect("answer");
                let spans = decode(&body).resource_spans[0].scope_spans[0].spans.len();
                received.push(format!("{head}{spans} spans"));
            }
            received
        });
        (url, received)
    }

    fn one_span() -> Vec<SpanData> {
        vec![span(
            "GET /",
            SpanKind::Server,
            SpanId::INVALID,
            Status::Unset,
        )]
    }

    #[test]
    fn a_batch_is_posted_as_protobuf_with_the_configured_headers() {
        let (url, received) = collector(&["200 OK"]);
        let headers = vec![("api-key".to_owned(), "k 1".to_owned())];
        let exporter = OtlpExporter::new(url, headers, Duration::from_secs(5));
        futures::executor::block_on(exporter.export(one_span())).expect("exported");
        let received = received.join().expect("the collector")[0].to_ascii_lowercase();
        assert!(
            received.starts_with("post /v1/traces http/1.1\r\n"),
            "{received}"
        );
        assert!(
            received.contains("content-type: application/x-protobuf\r\n"),
            "{received}"
        );
        assert!(received.contains("api-key: k 1\r\n"), "{received}");
        assert!(received.ends_with("1 spans"), "{received}");
    }

    #[test]
    fn a_refused_batch_is_an_error_and_failing_exports_are_logged_once_until_they_work() {
        let logs = CapturedLogs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let statuses = &[
            "503 Service Unavailable",
            "500 Internal Server Error",
            "200 OK",
        ];
        let (url, received) = collector(statuses);
        let exporter = OtlpExporter::new(url, Vec::new(), Duration::from_secs(5));
        let outcomes: Vec<OTelSdkResult> = (0..3)
            .map(|_| futures::executor::block_on(exporter.export(one_span())))
            .collect();
        assert_eq!(received.join().expect("the collector").len(), 3);
        assert!(outcomes[0].is_err() && outcomes[1].is_err(), "{outcomes:?}");
        assert!(outcomes[2].is_ok(), "{outcomes:?}");
        let text = logs.text();
        assert_eq!(text.matches("trace export failed").count(), 1, "{text}");
        assert!(text.contains("503"), "{text}");
        assert_eq!(
            text.matches("trace export works again").count(),
            1,
            "{text}"
        );
    }

    #[test]
    fn headers_are_key_value_pairs_with_percent_encoded_values() {
        assert_eq!(
            parse_headers("api-key=secret%20value, x-tenant = a=b ,broken,=nokey,"),
            [
                ("api-key".to_owned(), "secret value".to_owned()),
                ("x-tenant".to_owned(), "a=b".to_owned()),
            ]
        );
    }
}
