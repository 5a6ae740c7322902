//! A deadline for the whole request, body read included (`REQUEST_TIMEOUT_MS`): a client
//! that trickles its body, or a handler stuck past every store timeout, gets 503 `TIMEOUT`.
//! Written by hand because tower-http's timeout answers with a bodiless status, not the
//! API's error.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;

use crate::error::ApiError;

/// The deadline of one request.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Duration);

pub async fn layer(State(Deadline(limit)): State<Deadline>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(ErrorCode::Timeout).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::http::StatusCode;
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;
    use crate::pipeline::request_id;
    use crate::pipeline::test_request::{self, json};

    fn app() -> Router {
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "late"
        };
        Router::new()
            .route("/fast", get(|| async { "ok" }))
            .route("/slow", get(slow))
            .layer(from_fn_with_state(Deadline(Duration::from_secs(1)), layer))
            .layer(from_fn(request_id::layer))
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_deadline_gets_503_timeout() {
        let slow = app()
            .oneshot(test_request::get("/slow"))
            .await
            .expect("infallible");
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(json(slow).await["error"], "TIMEOUT");
        let fast = app()
            .oneshot(test_request::get("/fast"))
            .await
            .expect("infallible");
        assert_eq!(fast.status(), StatusCode::OK);
    }
}
