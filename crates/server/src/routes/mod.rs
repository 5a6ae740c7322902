//! The HTTP routes (docs/api.md). Each module owns its handlers and private types; this one
//! only joins their routers. The route templates are `vanish_core::routes`, shared with the
//! Worker. Middleware is applied in `crate::pipeline`, not here.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;
use vanish_core::routes::{self as api, ALLOWED_METHODS};

use crate::error::ApiError;
use crate::state::AppState;

mod create;
pub mod health;
mod info;
mod manage;
mod meta;
pub mod metrics;
mod reveal;
mod security_txt;
pub mod ui;

pub fn router(state: AppState) -> Router {
    let metrics = if state.metrics_access.elsewhere {
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
        .merge(info::router())
        .merge(security_txt::router())
        .merge(ui::router())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed(ALLOWED_METHODS)
}

/// Unknown API paths are JSON 404s; unknown page paths go to the UI's fallback.
async fn not_found(State(app): State<AppState>, req: Request) -> Response {
    if api::is_api_path(req.uri().path()) {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    ui::fallback(&app, req).await
}
