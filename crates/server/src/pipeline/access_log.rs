//! One log line per request: id, method, route template (never the raw path, which holds
//! secret ids), status, duration, and when present Cloudflare's `CF-Ray` /
//! `CF-IPCountry` and the user agent. Client IPs only with `LOG_CLIENT_IP=true`. Also feeds
//! the request counters behind the summary line.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::client_ip::ClientIp;
use super::request_id::RequestId;
use crate::app::AppState;

pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("<unmatched>".to_owned(), |m| m.as_str().to_owned());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let [cf_ray, cf_ipcountry, user_agent] = ["cf-ray", "cf-ipcountry", "user-agent"].map(|name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let client_ip = app
        .log_client_ip
        .then(|| req.extensions().get::<ClientIp>().map(|c| c.0.to_string()))
        .flatten();

    let response = next.run(req).await;

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    app.metrics
        .record_request(&method, &route, status, duration_ms);
    tracing::info!(
        target: "vanish::access",
        request_id,
        method,
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
