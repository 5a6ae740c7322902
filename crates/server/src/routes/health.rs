//! Health: the original's `GET /api/health`, the liveness probe `/healthz` (the process
//! answers) and the readiness probe `/readyz` (the store answers in time, its circuit is not
//! open, and the server is not shutting down), which also lists every breaker's state.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use vanish_core::routes;

use crate::state::AppState;

/// A readiness probe must answer quickly even when the store hangs.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::HEALTH, get(health))
        .route(routes::HEALTHZ, get(live))
        .route(routes::READYZ, get(ready))
}

async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

async fn live() -> &'static str {
    "ok"
}

async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let breakers: serde_json::Map<String, Value> = app
        .breakers
        .iter()
        .map(|b| (b.name().to_owned(), json!(b.state().name())))
        .collect();
    let reason = if app.lifecycle.is_shutting_down() {
        Some("shutting down")
    } else {
        // The store's ping goes through its breaker: an open circuit answers at once.
        match tokio::time::timeout(READY_TIMEOUT, app.store.ping()).await {
            Ok(Ok(())) => None,
            Ok(Err(_)) | Err(_) => Some("store unavailable"),
        }
    };
    match reason {
        None => (
            StatusCode::OK,
            Json(json!({ "ready": true, "breakers": breakers })),
        ),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "reason": reason, "breakers": breakers })),
        ),
    }
}
