//! The HTTP routes (DESIGN §3). Each module owns its handlers and private types; this one
//! only joins their routers. Middleware is applied in [`crate::app::router`], not here.

use axum::Router;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;

use crate::app::AppState;
use crate::error::ApiError;

mod create;
mod health;
mod manage;
mod meta;
pub mod metrics;
mod reveal;
mod security_txt;
pub mod ui;

/// Allowed methods on API routes, for the `Allow` header of a 405.
const API_ALLOW: &str = "GET, POST, HEAD, OPTIONS";

pub fn router(state: AppState) -> Router {
    let metrics = if state.metrics_elsewhere {
        Router::new()
    } else {
        metrics::router()
    };
    Router::new()
        .merge(metrics)
        .merge(create::router())
        .merge(reveal::router())
        .merge(meta::router())
        .merge(manage::router())
        .merge(health::router())
        .merge(security_txt::router())
        .merge(ui::router())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed(API_ALLOW)
}

/// Unknown API paths are JSON 404s; unknown page paths go to the UI's fallback.
async fn not_found(method: Method, uri: Uri, state: axum::extract::State<AppState>) -> Response {
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    ui::fallback(method, uri, state).await
}
