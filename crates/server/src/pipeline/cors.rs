//! CORS, as the original service did it (DESIGN §3): no `Origin` is served (CLIs,
//! scripts); the service's own origin or one in `ALLOWED_ORIGINS` is echoed back; any other
//! origin on `/api/*` is refused with 403 `CORS_FORBIDDEN`, preflight included. Written by
//! hand because tower-http's CORS layer omits the header instead of refusing.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;

use crate::app::AppState;
use crate::error::ApiError;

const ALLOWED_METHODS: &str = "GET, POST, HEAD, OPTIONS";
const ALLOWED_HEADERS: &str = "Content-Type, X-Request-ID";
const PREFLIGHT_MAX_AGE_S: &str = "86400";

pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let origin = req.headers().get(header::ORIGIN).cloned();
    let allowed = origin.as_ref().map(|o| is_allowed(&app, o, req.headers()));
    let is_preflight = req.method() == Method::OPTIONS;
    match (allowed, is_api) {
        (Some(false), true) => return ApiError::new(ErrorCode::CorsForbidden).into_response(),
        _ if is_preflight && is_api => return preflight(origin.filter(|_| allowed == Some(true))),
        _ => {}
    }
    let mut response = next.run(req).await;
    if let (Some(origin), Some(true)) = (origin, allowed) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn preflight(origin: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE_S),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// Same origin (by `PUBLIC_URL`, else by the `Host` header, any scheme) or listed.
fn is_allowed(app: &AppState, origin: &HeaderValue, headers: &HeaderMap) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if app.allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    match &app.public_url {
        Some(public) => origin == public.trim_end_matches('/'),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            host.is_some() && authority == host
        }
    }
}
