//! `GET /metrics`: Prometheus text. With `METRICS_TOKEN` set it needs
//! `Authorization: Bearer <token>` (compared in constant time); with `METRICS_ADDR` set it
//! is served only on that separate listener ([`standalone`]).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vanish_core::id::TokenHash;
use vanish_core::routes;

use super::Routes;
use crate::state::AppState;
use crate::telemetry::prometheus;

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn router() -> Routes {
    Routes::default().get(routes::METRICS, serve)
}

/// The router of the separate metrics listener.
pub fn standalone(state: AppState) -> Router {
    router().router.with_state(state)
}

async fn serve(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &app.metrics_access.token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compare hashes so the comparison is constant-time whatever the lengths.
        if !TokenHash::of(presented.as_bytes()).matches(&TokenHash::of(expected.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        prometheus::render(&app.metrics, &app.breakers),
    )
        .into_response()
}
