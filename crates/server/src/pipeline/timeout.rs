//! A deadline for the whole request, body read included (`REQUEST_TIMEOUT_MS`): a client
//! that trickles its body, or a handler stuck past every store timeout, gets 503 `TIMEOUT`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;

use crate::app::AppState;
use crate::error::ApiError;

pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(app.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(ErrorCode::Timeout).into_response(),
    }
}
