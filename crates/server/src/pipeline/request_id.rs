//! `X-Request-ID`: an incoming id that looks sane is kept (so a proxy's id threads through
//! the logs), anything else is replaced by a fresh one. This layer is also where error
//! bodies are written, since it is the one place that knows the id (see [`crate::error`]).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use vanish_core::api::ErrorBody;
use vanish_core::request::is_acceptable_request_id;

use crate::error::PendingErrorBody;

pub const HEADER: &str = "x-request-id";

/// The request's id, in the request's extensions for handlers and logs.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn layer(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable_request_id(v))
        .map_or_else(fresh_id, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    if let Some(pending) = response.extensions_mut().remove::<PendingErrorBody>() {
        write_error_body(&mut response, pending, &id);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// 128 random bits as 32 hex digits.
fn fresh_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS RNG failing is not worth failing a request over: fall back to a time-based id.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = nanos.to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_error_body(response: &mut Response, pending: PendingErrorBody, id: &str) {
    let body = ErrorBody {
        error: pending.code.as_str().to_owned(),
        message: pending.message.into_owned(),
        request_id: id.to_owned(),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().remove(header::CONTENT_LENGTH);
    *response.body_mut() = Body::from(json);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_128_bits_of_hex() {
        let id = fresh_id();
        assert_eq!(id.len(), 32);
        assert!(is_acceptable_request_id(&id));
    }

    #[tokio::test]
    async fn the_id_is_kept_or_made_and_error_bodies_carry_it() {
        use axum::Router;
        use axum::http::{Method, StatusCode};
        use axum::middleware::from_fn;
        use axum::routing::get;
        use tower::ServiceExt as _;
        use vanish_core::error::ErrorCode;

        use crate::error::ApiError;
        use crate::pipeline::test_request::{header, json, request};

        let app = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route(
                "/gone",
                get(|| async { ApiError::new(ErrorCode::NotFound) }),
            )
            .layer(from_fn(layer));
        let kept = request(Method::GET, "/ok", &[(HEADER, b"proxy-id-1")]);
        let kept = app.clone().oneshot(kept).await.expect("infallible");
        assert_eq!(header(&kept, HEADER), Some("proxy-id-1"));
        let forged = request(Method::GET, "/gone", &[(HEADER, b"x\" level=error")]);
        let response = app.oneshot(forged).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let id = header(&response, HEADER)
            .map(str::to_owned)
            .unwrap_or_default();
        assert_eq!(id.len(), 32, "a forged id is replaced");
        let body = json(response).await;
        assert_eq!(body["error"], "NOT_FOUND");
        assert_eq!(body["requestId"], id.as_str());
    }
}
