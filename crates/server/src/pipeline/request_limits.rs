//! Refuses requests by their shape before any work: methods the service does not answer
//! (405 with the resource's own methods in `Allow`), a request target over `MAX_URL_LENGTH` (414), headers over
//! `MAX_HEADER_SIZE` in total (431) and a declared body over `MAX_REQUEST_SIZE` (413). A
//! body that grows past the limit while streaming is refused by the body extractor
//! (`extract::JsonBody`); header sets far over the limit are refused by the connection
//! before they are even read whole (`server`).

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;
use vanish_core::request;
use vanish_core::routes;

use crate::error::ApiError;

/// The bounds on a request's shape.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_url_length: usize,
    pub max_header_size: usize,
    pub max_body: usize,
}

pub async fn layer(State(bounds): State<Bounds>, req: Request, next: Next) -> Response {
    match bounds.check(&req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

impl Bounds {
    fn check(&self, req: &Request) -> Result<(), ApiError> {
        if !routes::is_allowed_method(req.method().as_str()) {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            return Err(ApiError::method_not_allowed(routes::allow(route)));
        }
        let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        if target_len > self.max_url_length {
            return Err(ApiError::new(ErrorCode::UriTooLong));
        }
        if header_bytes(req.headers()) > self.max_header_size {
            return Err(ApiError::new(ErrorCode::HeadersTooLarge));
        }
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.max_body as u64) {
            return Err(ApiError::new(ErrorCode::PayloadTooLarge));
        }
        Ok(())
    }
}

/// Header bytes as sent (`vanish_core::request::header_bytes`).
pub fn header_bytes(headers: &HeaderMap) -> usize {
    request::header_bytes(headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::{Method, StatusCode};
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::any;
    use tower::ServiceExt as _;

    use super::*;
    use crate::pipeline::request_id;
    use crate::pipeline::test_request::{header, json, request};

    const BOUNDS: Bounds = Bounds {
        max_url_length: 20,
        max_header_size: 100,
        max_body: 10,
    };

    async fn send(req: axum::http::Request<axum::body::Body>) -> Response {
        Router::new()
            .route("/{*path}", any(|| async { "ok" }))
            .layer(from_fn_with_state(BOUNDS, layer))
            .layer(from_fn(request_id::layer))
            .oneshot(req)
            .await
            .expect("infallible")
    }

    async fn expect(response: Response, status: StatusCode, code: &str) {
        assert_eq!(response.status(), status);
        assert_eq!(json(response).await["error"], code);
    }

    #[tokio::test]
    async fn each_bound_is_answered_with_its_code() {
        let put = send(request(Method::PUT, "/x", &[])).await;
        assert_eq!(header(&put, "allow"), Some(routes::ALLOWED_METHODS));
        expect(put, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;

        let at_limit = format!("/{}", "a".repeat(19));
        assert_eq!(
            send(request(Method::GET, &at_limit, &[])).await.status(),
            StatusCode::OK
        );
        let over = format!("/{}", "a".repeat(20));
        expect(
            send(request(Method::GET, &over, &[])).await,
            StatusCode::URI_TOO_LONG,
            "URI_TOO_LONG",
        )
        .await;

        let big = [("x-big", &[b'v'; 100][..])];
        expect(
            send(request(Method::GET, "/x", &big)).await,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "HEADERS_TOO_LARGE",
        )
        .await;

        let declared = [("content-length", &b"11"[..])];
        expect(
            send(request(Method::POST, "/x", &declared)).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        )
        .await;
    }
}
