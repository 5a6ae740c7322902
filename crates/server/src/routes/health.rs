//! Health: the original's `GET /api/health`, the liveness probe `/healthz` (the process
//! answers) and the readiness probe `/readyz` (the store answers in time and the server is
//! not shutting down).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::app::AppState;

/// A readiness probe must answer quickly even when the store hangs.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/healthz", get(live))
        .route("/readyz", get(ready))
}

async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

async fn live() -> &'static str {
    "ok"
}

async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    if app.lifecycle.is_shutting_down() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "reason": "shutting down" })),
        );
    }
    match tokio::time::timeout(READY_TIMEOUT, app.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "ready": true }))),
        Ok(Err(_)) | Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "reason": "store unavailable" })),
        ),
    }
}
