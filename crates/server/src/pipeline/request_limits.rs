//! Refuses requests by their shape before any work (DESIGN §5): methods other than
//! GET/POST/OPTIONS/HEAD (405 with `Allow`), a request target over `MAX_URL_LENGTH`
//! (414), headers over `MAX_HEADER_SIZE` in total (431) and a declared body over
//! `MAX_REQUEST_SIZE` (413). A body that grows past the limit while streaming is refused
//! by the body extractor (`extract::JsonBody`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;

use crate::app::AppState;
use crate::error::ApiError;

pub const ALLOWED_METHODS: &str = "GET, POST, HEAD, OPTIONS";

pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    match check(&app, &req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check(app: &AppState, req: &Request) -> Result<(), ApiError> {
    if ![Method::GET, Method::POST, Method::HEAD, Method::OPTIONS].contains(req.method()) {
        return Err(ApiError::method_not_allowed(ALLOWED_METHODS));
    }
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > app.request_limits.max_url_length {
        return Err(ApiError::new(ErrorCode::UriTooLong));
    }
    if header_bytes(req.headers()) > app.request_limits.max_header_size {
        return Err(ApiError::new(ErrorCode::HeadersTooLarge));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > app.max_request_size as u64) {
        return Err(ApiError::new(ErrorCode::PayloadTooLarge));
    }
    Ok(())
}

/// Header bytes as sent: `name: value\r\n` for each.
pub fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}
