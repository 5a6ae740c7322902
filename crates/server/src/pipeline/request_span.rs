//! One span per request, just inside the request id: it carries the request id, the
//! method and the route template (never the raw path, which holds secret ids), so every
//! log line written while serving the request (a store error, a breaker change, a warning)
//! names its request. With traces on (`OTEL_EXPORTER_OTLP_ENDPOINT`) the request also gets
//! an OTel server span, `METHOD /route/template` with the HTTP semantic-convention
//! attributes, continuing an incoming W3C `traceparent`; the log span is its child and
//! carries its trace id.
//! With error reports on (`SENTRY_DSN`) the request runs in its own Sentry scope and a 5xx
//! is reported (`telemetry::sentry`).

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use tracing::{Instrument as _, Span, field};

use super::access_log::UNMATCHED;
use super::request_id::RequestId;
use crate::telemetry::logs::{REQUEST_TARGET, TRACE_TARGET};
use crate::telemetry::method_label;

/// Which exports the request span feeds, fixed at startup.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpans {
    /// Traces are exported: the span gets the OTel name, kind and HTTP attributes.
    pub traces: bool,
    /// Errors are reported: each request gets a Sentry scope, each 5xx an event.
    pub errors: bool,
}

pub async fn layer(State(spans): State<RequestSpans>, req: Request, next: Next) -> Response {
    let method = method_label(req.method().as_str());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    // With traces on, the OTel server span is a span of its own, which the log layer never
    // formats (its many attributes would cost every request); the log span is its child.
    let server = spans
        .traces
        .then(|| server_span(method, &route, &request_id));
    let trace_id = server.as_ref().and_then(|s| trace_id(s, &req));
    let span = match (&server, trace_id) {
        (Some(server), Some(trace_id)) => server.in_scope(|| {
            tracing::info_span!(target: REQUEST_TARGET, "request", request_id, method, route, trace_id)
        }),
        _ => tracing::info_span!(target: REQUEST_TARGET, "request", request_id, method, route),
    };
    // Both entered on every poll: the trace layer finds a span's parent among the entered
    // spans, and the log span is one it does not see.
    let serve = next
        .run(req)
        .instrument(span)
        .instrument(server.clone().unwrap_or_else(Span::none));
    #[cfg(feature = "sentry")]
    let response = if spans.errors {
        crate::telemetry::sentry::watch(request_id, method, route, serve).await
    } else {
        serve.await
    };
    #[cfg(not(feature = "sentry"))]
    let response = serve.await;
    if let Some(server) = &server {
        record_outcome(server, response.status());
    }
    response
}

/// The request's OTel server span: named `METHOD /route/template`, with the HTTP
/// semantic-convention attributes.
fn server_span(method: &'static str, route: &str, request_id: &str) -> Span {
    tracing::info_span!(
        target: TRACE_TARGET,
        "request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = field::Empty,
        http.request.method = method,
        http.route = route,
        http.response.status_code = field::Empty,
        url.scheme = "http",
        "error.type" = field::Empty,
        request_id,
    )
}

/// Continues the caller's trace (W3C `traceparent`) and says which trace the request is in.
#[cfg(feature = "otel")]
fn trace_id(server: &Span, req: &Request) -> Option<String> {
    crate::telemetry::otel::continue_trace(server, req.headers())
}

#[cfg(not(feature = "otel"))]
fn trace_id(_server: &Span, _req: &Request) -> Option<String> {
    None
}

/// The answer's status on the span; a 5xx marks the span as failed.
fn record_outcome(span: &Span, status: StatusCode) {
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
        span.record("error.type", status.as_str());
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::Method;
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::get;
    use tower::ServiceExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::config::LogFormat;
    use crate::pipeline::request_id;
    use crate::pipeline::test_request::request;
    use crate::telemetry::captured::CapturedLogs;
    use crate::telemetry::logs;

    #[tokio::test(flavor = "current_thread")]
    async fn a_warning_inside_a_request_names_its_id_and_route_even_at_warn_level() {
        let captured = CapturedLogs::default();
        let subscriber = tracing_subscriber::registry().with(logs::layer(
            LogFormat::Json,
            "warn",
            captured.clone(),
        ));
        let _default = tracing::subscriber::set_default(subscriber);
        async fn handler() -> &'static str {
            tracing::info!("not at this level");
            tracing::warn!("something to look at");
            "ok"
        }
        let app = Router::new()
            .route("/api/secrets/{id}", get(handler))
            .layer(from_fn_with_state(RequestSpans::default(), layer))
            .layer(from_fn(request_id::layer));
        let req = request(
            Method::GET,
            "/api/secrets/AAAAAAAAAAAAAAAAAAAAAA",
            &[(request_id::HEADER, b"req-42")],
        );
        app.oneshot(req).await.expect("infallible");
        let lines = captured.lines();
        assert_eq!(lines.len(), 1, "{}", captured.text());
        assert_eq!(lines[0]["message"], "something to look at");
        assert_eq!(lines[0]["span"]["request_id"], "req-42");
        assert_eq!(lines[0]["span"]["route"], "/api/secrets/{id}");
        assert_eq!(lines[0]["span"]["method"], "GET");
        assert!(!captured.text().contains("AAAAAAAAAAAAAAAAAAAAAA"));
    }
}
