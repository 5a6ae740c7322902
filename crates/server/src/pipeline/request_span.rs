//! One span per request, just inside the request id: it carries the request id, the
//! method and the route template (never the raw path, which holds secret ids), so every
//! log line written while serving the request (a store error, a breaker change, a warning)
//! names its request. With traces on (`OTEL_EXPORTER_OTLP_ENDPOINT`) the request also gets
//! an OpenTelemetry server span (`telemetry::otel::ServerSpan`), `METHOD /route/template`
//! with the HTTP semantic-convention attributes, continuing an incoming W3C `traceparent`;
//! the log span carries its trace id.
//! With error reports on (`SENTRY_DSN`) the request runs in its own Sentry scope and a 5xx
//! is reported (`telemetry::sentry`).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use super::access_log::UNMATCHED;
use super::request_id::RequestId;
use crate::telemetry::logs::REQUEST_TARGET;
use crate::telemetry::{ServerSpan, method_label};

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
    let server = if spans.traces {
        ServerSpan::start(method, &route, &request_id, req.version(), req.headers())
    } else {
        None
    };
    let span = match &server {
        Some(server) => {
            let trace_id = server.trace_id();
            tracing::info_span!(target: REQUEST_TARGET, "request", request_id, method, route, trace_id)
        }
        None => tracing::info_span!(target: REQUEST_TARGET, "request", request_id, method, route),
    };
    let serve = next.run(req).instrument(span);
    #[cfg(feature = "sentry")]
    let serve = async {
        if spans.errors {
            crate::telemetry::sentry::watch(request_id, method, route, serve).await
        } else {
            serve.await
        }
    };
    match server {
        Some(server) => {
            let response = server.run(serve).await;
            server.finish(response.status());
            response
        }
        None => serve.await,
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
