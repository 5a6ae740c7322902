//! The OTLP/HTTP span exporter (feature `otel`): each batch of finished spans becomes one
//! `ExportTraceServiceRequest` in protobuf, written straight from the span records
//! (`otel::SpanRecord`), and is POSTed to the collector with ureq from the export thread
//! (`span_queue`).
//!
//! Written here rather than taken from `opentelemetry-otlp`: that exporter first copies
//! every span into `opentelemetry-proto`'s generated structs and then has prost measure
//! each nested message again at every level it is nested in, about 8,000 instructions a
//! span, more than making the span; writing the bytes directly, with every nested length
//! known before its message is written, costs a fraction of that (bench/README.md,
//! "Telemetry"). The encoding is the OTLP protobuf schema
//! (`opentelemetry/proto/trace/v1/trace.proto` and `common/v1/common.proto`); the tests
//! decode what this writes with `opentelemetry-proto`'s generated types, field by field.
//!
//! Settings, as the OTLP exporter specification names them: the endpoint (given by
//! `telemetry::otel`), `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
//! (`key=value,…`, values percent-decoded, the traces variable winning per key), and the
//! export timeout. Bodies are not compressed.

use std::fmt;
use std::time::Duration;

use super::otel::{SpanKind, SpanRecord};

/// Sends batches of spans to one collector.
pub struct OtlpExporter {
    agent: ureq::Agent,
    endpoint: String,
    headers: Vec<(String, String)>,
    /// The `Resource` message and the `InstrumentationScope` message, encoded once.
    resource: Vec<u8>,
    scope: Vec<u8>,
    /// The last export failed: a failure is logged when exports start failing, not for
    /// every batch, and the recovery when they work again.
    failing: bool,
    /// Reused for each span's encoding.
    scratch: Vec<u8>,
}

impl OtlpExporter {
    /// An exporter posting to `endpoint` (the full traces URL) with `headers`, each export
    /// bounded by `timeout`, describing the service with the `resource` attributes.
    pub fn new(
        endpoint: String,
        headers: Vec<(String, String)>,
        timeout: Duration,
        resource: &[(String, String)],
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let mut encoded_resource = Vec::new();
        for (key, value) in resource {
            string_attribute(&mut encoded_resource, 1, key, value);
        }
        // InstrumentationScope { string name = 1; string version = 2; }
        let mut scope = Vec::new();
        string(&mut scope, 1, "vanish");
        string(&mut scope, 2, env!("CARGO_PKG_VERSION"));
        Self {
            agent,
            endpoint,
            headers,
            resource: encoded_resource,
            scope,
            failing: false,
            scratch: Vec::new(),
        }
    }

    /// Sends one batch; a failure is logged when exports start failing, and the recovery.
    pub fn export(&mut self, spans: &[SpanRecord]) -> Result<(), String> {
        if spans.is_empty() {
            return Ok(());
        }
        let body = self.encode_request(spans);
        let outcome = self.post(&body);
        match &outcome {
            Err(e) if !self.failing => {
                tracing::warn!(error = %e, "trace export failed; spans are dropped until the collector takes them again");
            }
            Ok(()) if self.failing => tracing::info!("trace export works again"),
            _ => {}
        }
        self.failing = outcome.is_err();
        outcome
    }

    fn post(&self, body: &[u8]) -> Result<(), String> {
        let mut request = self
            .agent
            .post(&self.endpoint)
            .header("content-type", "application/x-protobuf");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let mut response = request
            .send(body)
            .map_err(|e| format!("OTLP export: {e}"))?;
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
            Err(format!("OTLP export: the collector answered {status}"))
        }
    }

    /// `ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }` with one
    /// `ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }` and
    /// one `ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }`. The
    /// spans are written first, so every enclosing length is known when it is written.
    fn encode_request(&mut self, spans: &[SpanRecord]) -> Vec<u8> {
        let mut encoded_spans = Vec::with_capacity(spans.len() * 200);
        for span in spans {
            self.scratch.clear();
            encode_span(&mut self.scratch, span);
            header(&mut encoded_spans, 2, self.scratch.len());
            encoded_spans.extend_from_slice(&self.scratch);
        }
        let scope_spans = field_len(1, self.scope.len()) + encoded_spans.len();
        let mut resource_spans = field_len(2, scope_spans);
        if !self.resource.is_empty() {
            resource_spans += field_len(1, self.resource.len());
        }
        let mut buf = Vec::with_capacity(field_len(1, resource_spans));
        header(&mut buf, 1, resource_spans);
        if !self.resource.is_empty() {
            header(&mut buf, 1, self.resource.len());
            buf.extend_from_slice(&self.resource);
        }
        header(&mut buf, 2, scope_spans);
        header(&mut buf, 1, self.scope.len());
        buf.extend_from_slice(&self.scope);
        buf.extend_from_slice(&encoded_spans);
        buf
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

/// `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (which wins for a
/// name both give).
pub fn headers_from_env() -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for variable in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        let Ok(list) = std::env::var(variable) else {
            continue;
        };
        for (name, value) in parse_key_values(&list) {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
    }
    headers
}

/// A `key=value,…` list as the OpenTelemetry variables write them (headers, resource
/// attributes), values percent-decoded. Entries without `=` or with an empty key are left
/// out.
pub fn parse_key_values(list: &str) -> Vec<(String, String)> {
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

/// The fields of an OTLP `Span`: `bytes trace_id = 1; bytes span_id = 2; string
/// trace_state = 3; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6; fixed64
/// start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes
/// = 9; Status status = 15; fixed32 flags = 16`.
fn encode_span(buf: &mut Vec<u8>, span: &SpanRecord) {
    bytes(buf, 1, &span.trace_id);
    bytes(buf, 2, &span.span_id);
    if let Some(state) = &span.trace_state {
        string(buf, 3, state);
    }
    if span.parent_span_id != [0; 8] {
        bytes(buf, 4, &span.parent_span_id);
    }
    match &span.kind {
        SpanKind::Server {
            method,
            route,
            request_id,
            protocol_version,
            status,
        } => {
            name(buf, method, route);
            varint_field(buf, 6, 2); // SPAN_KIND_SERVER
            times(buf, span);
            string_attribute(buf, 9, "http.request.method", method);
            string_attribute(buf, 9, "http.route", route);
            int_attribute(buf, 9, "http.response.status_code", i64::from(*status));
            string_attribute(buf, 9, "url.scheme", "http");
            string_attribute(buf, 9, "network.protocol.name", "http");
            string_attribute(buf, 9, "network.protocol.version", protocol_version);
            string_attribute(buf, 9, "request_id", request_id);
            if span.failed {
                string_attribute(buf, 9, "error.type", &status.to_string());
            }
        }
        SpanKind::Call {
            subject,
            operation,
            attributes,
            attribute_count,
        } => {
            name(buf, subject, operation);
            varint_field(buf, 6, 1); // SPAN_KIND_INTERNAL
            times(buf, span);
            for (key, value) in &attributes[..usize::from(*attribute_count)] {
                string_attribute(buf, 9, key, value);
            }
        }
    }
    // Status { string message = 2; StatusCode code = 3; } (UNSET 0, OK 1, ERROR 2)
    if span.failed {
        header(buf, 15, 2);
        varint_always(buf, 3, 2);
    }
    // flags: the W3C trace flags, and whether the parent is known to be remote.
    let mut flags = u32::from(span.flags) | 0x100;
    if span.parent_is_remote {
        flags |= 0x200;
    }
    fixed32(buf, 16, flags);
}

/// `string name = 5` as `first second`, without building the string.
fn name(buf: &mut Vec<u8>, first: &str, second: &str) {
    header(buf, 5, first.len() + 1 + second.len());
    buf.extend_from_slice(first.as_bytes());
    buf.push(b' ');
    buf.extend_from_slice(second.as_bytes());
}

fn times(buf: &mut Vec<u8>, span: &SpanRecord) {
    fixed64(buf, 7, span.start);
    fixed64(buf, 8, span.end);
}

/// `KeyValue { string key = 1; AnyValue value = 2; }` with `AnyValue { string
/// string_value = 1; }`, as field `field` of the enclosing message.
fn string_attribute(buf: &mut Vec<u8>, field: u32, key: &str, value: &str) {
    let any = field_len(1, value.len());
    header(buf, field, field_len(1, key.len()) + field_len(2, any));
    bytes(buf, 1, key.as_bytes());
    header(buf, 2, any);
    bytes(buf, 1, value.as_bytes());
}

/// As [`string_attribute`], with `AnyValue { int64 int_value = 3; }`.
fn int_attribute(buf: &mut Vec<u8>, field: u32, key: &str, value: i64) {
    // int64 is written as its two's-complement bits.
    #[allow(clippy::cast_sign_loss)]
    let bits = value as u64;
    let any = 1 + varint_len(bits);
    header(buf, field, field_len(1, key.len()) + field_len(2, any));
    bytes(buf, 1, key.as_bytes());
    header(buf, 2, any);
    varint_always(buf, 3, bits);
}

/// The bytes a length-delimited field of `len` bytes takes, its tag and length included.
fn field_len(field: u32, len: usize) -> usize {
    varint_len(u64::from(field << 3 | LEN)) + varint_len(len as u64) + len
}

fn varint_len(value: u64) -> usize {
    // One byte per started group of seven bits, at least one.
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

/// The tag and length of a length-delimited field whose `len` bytes follow.
fn header(buf: &mut Vec<u8>, field: u32, len: usize) {
    tag(buf, field, LEN);
    varint(buf, len as u64);
}

fn tag(buf: &mut Vec<u8>, field: u32, wire_type: u32) {
    varint(buf, u64::from(field << 3 | wire_type));
}

#[allow(clippy::cast_possible_truncation)]
fn varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
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
        bytes(buf, field, value.as_bytes());
    }
}

fn bytes(buf: &mut Vec<u8>, field: u32, value: &[u8]) {
    header(buf, field, value.len());
    buf.extend_from_slice(value);
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
    use prost::Message as _;

    use super::*;
    use crate::telemetry::captured::CapturedLogs;

    pub(crate) fn server_span(status: u16, parent: [u8; 8]) -> SpanRecord {
        SpanRecord {
            trace_id: [7; 16],
            span_id: [9; 8],
            parent_span_id: parent,
            parent_is_remote: parent != [0; 8],
            flags: 1,
            trace_state: Some(Arc::from("vendor=x")),
            start: 1_700_000_000_123_456_789,
            end: 1_700_000_000_223_456_789,
            failed: status >= 500,
            kind: SpanKind::Server {
                method: "POST",
                route: "/api/secrets/{id}/reveal".to_owned(),
                request_id: "req-1".to_owned(),
                protocol_version: "1.1",
                status,
            },
        }
    }

    fn call_span(failed: bool) -> SpanRecord {
        SpanRecord {
            parent_span_id: [9; 8],
            parent_is_remote: false,
            span_id: [10; 8],
            trace_state: None,
            failed,
            kind: SpanKind::Call {
                subject: "secrets",
                operation: "take",
                attributes: [
                    ("vanish.store.backend", "secrets"),
                    ("vanish.store.operation", "take"),
                ],
                attribute_count: 2,
            },
            ..server_span(200, [0; 8])
        }
    }

    fn exporter(endpoint: String, headers: Vec<(String, String)>) -> OtlpExporter {
        let resource = [
            ("service.name".to_owned(), "vanish".to_owned()),
            ("deployment.environment.name".to_owned(), "test".to_owned()),
        ];
        OtlpExporter::new(endpoint, headers, Duration::from_secs(5), &resource)
    }

    pub(crate) fn decode(body: &[u8]) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::decode(body).expect("a valid ExportTraceServiceRequest")
    }

    fn attributes(
        kvs: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    ) -> Vec<(String, Option<Any>)> {
        kvs.iter()
            .map(|kv| (kv.key.clone(), kv.value.clone().and_then(|v| v.value)))
            .collect()
    }

    fn s(value: &str) -> Option<Any> {
        Some(Any::StringValue(value.to_owned()))
    }

    #[test]
    fn what_is_written_decodes_with_the_generated_otlp_types_field_for_field() {
        let mut exporter = exporter(String::new(), Vec::new());
        let spans = [
            server_span(200, [1, 2, 3, 4, 5, 6, 7, 8]),
            server_span(503, [0; 8]),
            call_span(true),
        ];
        let request = decode(&exporter.encode_request(&spans));

        assert_eq!(request.resource_spans.len(), 1);
        let resource_spans = &request.resource_spans[0];
        let resource = resource_spans.resource.as_ref().expect("a resource");
        assert_eq!(
            attributes(&resource.attributes),
            [
                ("service.name".to_owned(), s("vanish")),
                ("deployment.environment.name".to_owned(), s("test")),
            ]
        );
        assert_eq!(resource_spans.scope_spans.len(), 1);
        let scope_spans = &resource_spans.scope_spans[0];
        let scope = scope_spans.scope.as_ref().expect("a scope");
        assert_eq!(
            (scope.name.as_str(), scope.version.as_str()),
            ("vanish", env!("CARGO_PKG_VERSION"))
        );
        let [server, failed, store] = &scope_spans.spans[..] else {
            panic!("three spans: {:?}", scope_spans.spans);
        };

        assert_eq!(server.trace_id, [7; 16]);
        assert_eq!(server.span_id, [9; 8]);
        assert_eq!(server.parent_span_id, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(server.trace_state, "vendor=x");
        assert_eq!(server.flags, 0x301);
        assert_eq!(server.name, "POST /api/secrets/{id}/reveal");
        assert_eq!(server.kind, 2);
        assert_eq!(server.start_time_unix_nano, 1_700_000_000_123_456_789);
        assert_eq!(server.end_time_unix_nano, 1_700_000_000_223_456_789);
        assert_eq!(server.status, None);
        assert_eq!(
            attributes(&server.attributes),
            [
                ("http.request.method".to_owned(), s("POST")),
                ("http.route".to_owned(), s("/api/secrets/{id}/reveal")),
                (
                    "http.response.status_code".to_owned(),
                    Some(Any::IntValue(200))
                ),
                ("url.scheme".to_owned(), s("http")),
                ("network.protocol.name".to_owned(), s("http")),
                ("network.protocol.version".to_owned(), s("1.1")),
                ("request_id".to_owned(), s("req-1")),
            ]
        );

        assert!(failed.parent_span_id.is_empty());
        assert_eq!(failed.flags, 0x101);
        let status = failed.status.as_ref().expect("a status");
        assert_eq!(status.code, StatusCode::Error as i32);
        let failed_attributes = attributes(&failed.attributes);
        assert!(
            failed_attributes.contains(&("error.type".to_owned(), s("503"))),
            "{failed_attributes:?}"
        );

        assert_eq!(store.name, "secrets take");
        assert_eq!(store.kind, 1);
        assert_eq!(store.parent_span_id, [9; 8]);
        assert_eq!(store.trace_state, "");
        assert_eq!(
            attributes(&store.attributes),
            [
                ("vanish.store.backend".to_owned(), s("secrets")),
                ("vanish.store.operation".to_owned(), s("take")),
            ]
        );
        assert_eq!(
            store.status.as_ref().map(|s| s.code),
            Some(StatusCode::Error as i32)
        );
    }

    #[test]
    fn a_long_batch_has_lengths_of_several_bytes_and_still_decodes() {
        let mut exporter = exporter(String::new(), Vec::new());
        let mut long = server_span(200, [0; 8]);
        if let SpanKind::Server { route, .. } = &mut long.kind {
            *route = "/".repeat(300);
        }
        let spans: Vec<SpanRecord> = (0..600)
            .map(|i| {
                if i % 2 == 0 {
                    long.clone()
                } else {
                    call_span(false)
                }
            })
            .collect();
        let request = decode(&exporter.encode_request(&spans));
        let decoded = &request.resource_spans[0].scope_spans[0].spans;
        assert_eq!(decoded.len(), 600);
        assert_eq!(decoded[598].name, format!("POST {}", "/".repeat(300)));
        assert_eq!(decoded[599].name, "secrets take");
        assert_eq!(decoded[599].status, None);
    }

    #[test]
    fn varint_lengths_match_what_is_written() {
        for value in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            varint(&mut buf, value);
            assert_eq!(varint_len(value), buf.len(), "{value}");
        }
    }

    /// A collector on a real socket that answers one request per status in `statuses`,
    /// each on its own connection, and hands back what it received: each request's head
    /// and the number of spans in its body.
    pub(crate) fn collector(
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

    #[test]
    fn a_batch_is_posted_as_protobuf_with_the_configured_headers() {
        let (url, received) = collector(&["200 OK"]);
        let headers = vec![("api-key".to_owned(), "k 1".to_owned())];
        let mut exporter = exporter(url, headers);
        exporter
            .export(&[server_span(200, [0; 8])])
            .expect("exported");
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
        let (logs, _capturing) = CapturedLogs::capture_text();
        let statuses = &[
            "503 Service Unavailable",
            "500 Internal Server Error",
            "200 OK",
        ];
        let (url, received) = collector(statuses);
        let mut exporter = exporter(url, Vec::new());
        let outcomes: Vec<Result<(), String>> = (0..3)
            .map(|_| exporter.export(&[server_span(200, [0; 8])]))
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
    fn key_value_lists_have_percent_encoded_values() {
        assert_eq!(
            parse_key_values("api-key=secret%20value, x-tenant = a=b ,broken,=nokey,"),
            [
                ("api-key".to_owned(), "secret value".to_owned()),
                ("x-tenant".to_owned(), "a=b".to_owned()),
            ]
        );
    }
}
