//! One log line per request: id, method, route template (never the raw path, which holds
//! secret ids), status, duration, and when present Cloudflare's `CF-Ray` /
//! `CF-IPCountry` and the user agent. Client IPs only with `LOG_CLIENT_IP=true`. Also feeds
//! the request counters behind `/metrics` and the summary line.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::client_ip::ClientIp;
use super::request_id::RequestId;
use crate::telemetry::Metrics;

/// Where requests are counted, and whether client IPs are logged.
#[derive(Debug, Clone)]
pub struct AccessLog {
    pub metrics: Arc<Metrics>,
    pub log_client_ip: bool,
}

/// The route label of a request no route matched (UI assets, unknown paths).
pub const UNMATCHED: &str = "<unmatched>";

pub async fn layer(State(log): State<AccessLog>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED.to_owned(), |m| m.as_str().to_owned());
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let [cf_ray, cf_ipcountry, user_agent] = ["cf-ray", "cf-ipcountry", "user-agent"].map(|name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let client_ip = log
        .log_client_ip
        .then(|| req.extensions().get::<ClientIp>().map(|c| c.0.to_string()))
        .flatten();

    let response = next.run(req).await;

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    log.metrics
        .record_request(method.as_str(), &route, status, duration_ms);
    tracing::info!(
        target: "vanish::access",
        request_id,
        method = method.as_str(),
        route,
        status,
        duration_ms,
        cf_ray,
        cf_ipcountry,
        user_agent,
        client_ip,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::Method;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;
    use crate::pipeline::test_request::request;

    #[tokio::test]
    async fn requests_are_counted_by_route_template_never_by_path() {
        let metrics = Arc::new(Metrics::default());
        let log = AccessLog {
            metrics: Arc::clone(&metrics),
            log_client_ip: false,
        };
        let app = Router::new()
            .route("/api/secrets/{id}", get(|| async { "ok" }))
            .layer(from_fn_with_state(log, layer));
        for path in ["/api/secrets/AAAAAAAAAAAAAAAAAAAAAA", "/elsewhere"] {
            let req = request(Method::GET, path, &[]);
            app.clone().oneshot(req).await.expect("infallible");
        }
        let text = crate::telemetry::prometheus::render(&metrics, &[]);
        let mut counted: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("vanish_http_request_duration_seconds_count"))
            .collect();
        counted.sort_unstable();
        assert_eq!(
            counted,
            vec![
                r#"vanish_http_request_duration_seconds_count{method="GET",route="/api/secrets/{id}",status="200"} 1"#,
                r#"vanish_http_request_duration_seconds_count{method="GET",route="<unmatched>",status="404"} 1"#,
            ]
        );
    }
}
