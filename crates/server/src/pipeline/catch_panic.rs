//! A panic in a handler becomes a generic 500 `INTERNAL_ERROR` for that request only; the
//! panic message goes to the log, never to the client.

use std::panic::AssertUnwindSafe;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;

use crate::error::ApiError;

pub async fn layer(req: Request, next: Next) -> Response {
    // Unwind safety: the request's own state is dropped with it; shared state is behind
    // locks that tolerate poisoning.
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            ApiError::internal(&format!("handler panicked: {message}")).into_response()
        }
    }
}
