//! A panic while serving a request becomes a generic 500 `INTERNAL_ERROR` for that request
//! only; the panic message goes to the log, never to the client. tower-http's
//! `CatchPanicLayer` catches; this module says what the answer is. It sits inside the
//! access log (a panic is logged and counted like any answer) and inside the request-id
//! layer (which writes the error body with the id).

use std::any::Any;

use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::ApiError;

/// Marks the 500 answered for a panic: the panic was reported where it happened (with its
/// stack trace), so the error tracker does not report the answer again.
#[derive(Debug, Clone, Copy)]
pub struct Panicked;

/// The layer, answering panics with [`answer`].
pub fn layer() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(answer)
}

/// The 500 for a caught panic; its message is logged with the request's span.
fn answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    let mut response = ApiError::internal(&format!("handler panicked: {message}")).into_response();
    response.extensions_mut().insert(Panicked);
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;
    use crate::pipeline::request_id;
    use crate::pipeline::test_request::{get as get_request, json};

    #[tokio::test]
    async fn a_panicking_handler_gets_a_generic_500_with_the_request_id() {
        async fn boom() -> &'static str {
            panic!("secret detail")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(layer())
            .layer(from_fn(request_id::layer));
        let response = app.oneshot(get_request("/boom")).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = response.headers().get("x-request-id").cloned();
        let body = json(response).await;
        assert_eq!(body["error"], "INTERNAL_ERROR");
        assert!(!body.to_string().contains("secret detail"));
        assert_eq!(
            Some(body["requestId"].as_str().unwrap_or_default()),
            id.as_ref().and_then(|v| v.to_str().ok())
        );
    }
}
