//! OpenTelemetry: a request continuing a caller's W3C `traceparent` arrives at an OTLP
//! receiver as a server span named `METHOD /route/template` under the caller's span, with
//! the HTTP attributes, and with child spans for the limiter and store calls; the trace id
//! is in the request's log lines; no secret material is in any span. A failing store call
//! and its 503 arrive as failed spans; a caller's unsampled trace is not exported, though
//! its id is still logged.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message as _;
use serde_json::json;

use crate::common::{IV, spawn_app};
use crate::faulty_store::Mode;
use crate::fixture::{eventually, fixture};
use crate::request_logs::spawn_faulty;

const CIPHERTEXT: &str = "Q2lwaGVydGV4dFRoYXRNdXN0TmV2ZXJCZUxvZ2dlZA";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every span received so far, with its resource's service name.
fn spans() -> Vec<(String, Span)> {
    let mut all = Vec::new();
    for body in fixture().otlp.bodies() {
        let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
        for resource in request.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(string_value)
                .unwrap_or_default();
            for scope in resource.scope_spans {
                all.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
            }
        }
    }
    all
}

fn string_value(kv: &KeyValue) -> Option<String> {
    match kv.value.as_ref()?.value.as_ref()? {
        AnyValue::StringValue(s) => Some(s.clone()),
        AnyValue::IntValue(i) => Some(i.to_string()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(string_value)
}

#[tokio::test]
async fn a_request_continues_the_callers_trace_with_store_and_limiter_spans() -> anyhow::Result<()>
{
    let f = fixture();
    let app = spawn_app(f.config()).await;
    let created = app
        .create_ok(json!({ "encrypted": CIPHERTEXT, "iv": IV }))
        .await;
    let (trace, caller) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let revealed = app
        .http
        .post(app.url(&format!("/api/secrets/{}/reveal", created.id)))
        .header("traceparent", format!("00-{trace}-{caller}-01"))
        .json(&json!({}))
        .send()
        .await?;
    assert_eq!(revealed.status(), 200);

    let server = eventually("the reveal's server span", || {
        spans()
            .into_iter()
            .find(|(_, s)| hex(&s.trace_id) == trace && s.kind == SpanKind::Server as i32)
    })
    .await;
    let (service, server) = server;
    assert_eq!(service, "vanish");
    assert_eq!(server.name, "POST /api/secrets/{id}/reveal");
    assert_eq!(hex(&server.parent_span_id), caller);
    for (key, value) in [
        ("http.request.method", "POST"),
        ("http.route", "/api/secrets/{id}/reveal"),
        ("http.response.status_code", "200"),
        ("url.scheme", "http"),
        ("network.protocol.name", "http"),
        ("network.protocol.version", "1.1"),
    ] {
        assert_eq!(attribute(&server, key).as_deref(), Some(value), "{key}");
    }
    let children = eventually("the store and limiter spans", || {
        let children: Vec<String> = spans()
            .into_iter()
            .filter(|(_, s)| s.parent_span_id == server.span_id)
            .map(|(_, s)| s.name)
            .collect();
        (children.len() >= 2).then_some(children)
    })
    .await;
    assert!(
        children.contains(&"limiter check".to_owned()),
        "{children:?}"
    );
    assert!(
        children.contains(&"secrets take".to_owned()),
        "{children:?}"
    );

    let logged =
        f.logs.lines().into_iter().find(|l| {
            l["message"] == "request" && l["span"]["route"] == "/api/secrets/{id}/reveal"
        });
    let logged = logged.expect("the reveal's request line");
    assert_eq!(logged["span"]["trace_id"], trace);

    let everything: Vec<u8> = fixture().otlp.bodies().concat();
    let everything = String::from_utf8_lossy(&everything);
    for (what, needle) in [
        ("id", created.id.as_str()),
        ("manage token", created.manage_token.as_str()),
        ("ciphertext", CIPHERTEXT),
        ("iv", IV),
        ("client address", "127.0.0.1"),
    ] {
        assert!(!everything.contains(needle), "a span holds the {what}");
    }
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_failing_store_call_and_its_503_arrive_as_failed_spans() -> anyhow::Result<()> {
    let f = fixture();
    let (app, faulty) = spawn_faulty(f.config()).await;
    faulty.set_mode(Mode::Failing);
    let trace = "5bf92f3577b34da6a3ce929d0e0e4736";
    let failed = app
        .http
        .post(app.url("/api/secrets"))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({ "encrypted": CIPHERTEXT, "iv": IV }))
        .send()
        .await?;
    assert_eq!(failed.status(), 503);
    let (server, store) = eventually("the failed request's spans", || {
        let spans: Vec<Span> = spans()
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| hex(&s.trace_id) == trace)
            .collect();
        let server = spans.iter().find(|s| s.kind == SpanKind::Server as i32)?;
        let store = spans
            .iter()
            .find(|s| s.parent_span_id == server.span_id && s.name.starts_with("secrets "))?;
        Some((server.clone(), store.clone()))
    })
    .await;
    let code = |s: &Span| s.status.as_ref().map(|status| status.code);
    assert_eq!(code(&server), Some(StatusCode::Error as i32));
    assert_eq!(
        attribute(&server, "http.response.status_code").as_deref(),
        Some("503")
    );
    assert_eq!(attribute(&server, "error.type").as_deref(), Some("503"));
    assert_eq!(code(&store), Some(StatusCode::Error as i32), "{store:?}");
    assert_eq!(
        attribute(&store, "vanish.store.backend").as_deref(),
        Some("secrets")
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_callers_unsampled_trace_is_not_exported_but_its_id_is_logged() -> anyhow::Result<()> {
    let f = fixture();
    let app = spawn_app(f.config()).await;
    let (unsampled, sampled) = (
        "6bf92f3577b34da6a3ce929d0e0e4736",
        "7bf92f3577b34da6a3ce929d0e0e4736",
    );
    for (trace, flags) in [(unsampled, "00"), (sampled, "01")] {
        let answer = app
            .http
            .get(app.url("/api/secrets/AAAAAAAAAAAAAAAAAAAAAA/meta"))
            .header(
                "traceparent",
                format!("00-{trace}-00f067aa0ba902b7-{flags}"),
            )
            .send()
            .await?;
        assert_eq!(answer.status(), 404);
    }
    // The sampled request came second: once its span is in, the other's would be too.
    eventually("the sampled request's span", || {
        spans()
            .into_iter()
            .find(|(_, s)| hex(&s.trace_id) == sampled)
    })
    .await;
    assert!(
        !spans().iter().any(|(_, s)| hex(&s.trace_id) == unsampled),
        "an unsampled trace was exported"
    );
    let logged = f
        .logs
        .lines()
        .into_iter()
        .any(|l| l["message"] == "request" && l["span"]["trace_id"] == unsampled);
    assert!(
        logged,
        "the unsampled request's trace id is in its log line"
    );
    app.shutdown().await;
    Ok(())
}
