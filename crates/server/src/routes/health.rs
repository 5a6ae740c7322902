//! Health: the original's `GET /api/health`, the liveness probe `/healthz` (the process
//! answers) and the readiness probe `/readyz` (the store answers in time, its circuit is not
//! open, and the server is not shutting down), which also lists every breaker's state.
//!
//! Readiness is open to anyone and a store ping costs the store work (SQLite queues it on
//! its one writer), so probes share one ping per [`READY_CACHE`], and concurrent probes
//! share the ping in flight.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use vanish_core::routes;

use tokio::time::{Instant, timeout};

use super::Routes;
use crate::resilience::SingleFlight;
use crate::state::AppState;
use crate::store::SecretStore;

/// A readiness probe must answer quickly even when the store hangs.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one store ping answers readiness probes.
pub const READY_CACHE: Duration = Duration::from_secs(1);

/// The store's readiness, pinged at most once per [`READY_CACHE`].
pub struct Readiness {
    /// When the store was last pinged and what it answered; held only to read or write.
    last: Mutex<Option<(Instant, bool)>>,
    pings: SingleFlight<(), bool>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            last: Mutex::new(None),
            pings: SingleFlight::new(READY_TIMEOUT, Arc::default()),
        }
    }
}

impl Readiness {
    async fn store_is_ready(&self, store: &Arc<dyn SecretStore>) -> bool {
        let cached = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, ready)) = cached.filter(|(at, _)| at.elapsed() < READY_CACHE) {
            return ready;
        }
        let store = Arc::clone(store);
        // The store's ping goes through its breaker: an open circuit answers at once.
        let ping = async move { matches!(timeout(READY_TIMEOUT, store.ping()).await, Ok(Ok(()))) };
        let ready = self.pings.run((), ping, false).await;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), ready));
        ready
    }
}

pub fn router() -> Routes {
    Routes::default()
        .get(routes::HEALTH, health)
        .get(routes::HEALTHZ, live)
        .get(routes::READYZ, ready)
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
    } else if !app.readiness.store_is_ready(&app.store).await {
        Some("store unavailable")
    } else {
        None
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
