//! CORS at the edge of the app: the verdict is `vanish_core::cors` (no `Origin` is served,
//! the service's own origin or a listed one is echoed, any other origin on `/api/*` is 403
//! `CORS_FORBIDDEN`, preflight included); this layer turns it into a response. Written by
//! hand because tower-http's CORS layer omits the grant instead of refusing, which the
//! original service's clients rely on (docs/api.md, "CORS").

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::cors::{self, Policy, Verdict};
use vanish_core::error::ErrorCode;
use vanish_core::routes;

use crate::error::ApiError;

/// Which origins may call the API from a browser.
#[derive(Debug, Clone)]
pub struct Cors(pub Arc<Policy>);

pub async fn layer(State(Cors(policy)): State<Cors>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let verdict = policy.judge(cors::Request {
        path: req.uri().path(),
        method: req.method().as_str(),
        // An Origin that is not text cannot be on any list: it counts as a foreign one.
        origin: origin.as_ref().map(|o| o.to_str().unwrap_or("\u{0}")),
        host,
    });
    match verdict {
        Verdict::Refuse => ApiError::new(ErrorCode::CorsForbidden).into_response(),
        Verdict::Preflight { granted } => {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            preflight(routes::allow(route), origin.filter(|_| granted))
        }
        Verdict::Serve { echo_origin } => {
            let mut response = next.run(req).await;
            if let (Some(origin), true) = (origin, echo_origin) {
                let headers = response.headers_mut();
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.append(header::VARY, HeaderValue::from_static("Origin"));
            }
            response
        }
    }
}

/// 204 with the resource's methods in `Allow`, and the grant if the origin has one.
fn preflight(allow: &'static str, granted_origin: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    if let Some(origin) = granted_origin {
        for (name, value) in [
            (header::ACCESS_CONTROL_ALLOW_METHODS, cors::ALLOW_METHODS),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, cors::ALLOW_HEADERS),
            (header::ACCESS_CONTROL_MAX_AGE, cors::PREFLIGHT_MAX_AGE_S),
            (header::VARY, "Origin"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::{Method, StatusCode};
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::get;
    use tower::ServiceExt as _;
    use vanish_core::cors::Origin;

    use super::*;
    use crate::pipeline::request_id;
    use crate::pipeline::test_request::{header, json, request};

    fn app() -> Router {
        let own = Origin::parse("https://Secrets.Example.com").expect("origin");
        let partner = Origin::parse("https://partner.example").expect("origin");
        let policy = Cors(Arc::new(Policy::new(Some(own), vec![partner])));
        Router::new()
            .route("/api/secrets", get(|| async { "ok" }))
            .route("/", get(|| async { "page" }))
            .layer(from_fn_with_state(policy, layer))
            .layer(from_fn(request_id::layer))
    }

    async fn send(method: Method, uri: &str, origin: &[u8]) -> Response {
        app()
            .oneshot(request(method, uri, &[("origin", origin)]))
            .await
            .expect("infallible")
    }

    #[tokio::test]
    async fn the_own_origin_in_any_spelling_is_echoed() {
        let response = send(Method::GET, "/api/secrets", b"https://secrets.example.com").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some("https://secrets.example.com")
        );
    }

    #[tokio::test]
    async fn a_foreign_origin_is_refused_on_the_api_and_preflight() {
        for method in [Method::GET, Method::OPTIONS] {
            let response = send(method, "/api/secrets", b"https://evil.example").await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            assert_eq!(json(response).await["error"], "CORS_FORBIDDEN");
        }
        let binary = send(Method::GET, "/api/secrets", b"https://\xffevil").await;
        assert_eq!(binary.status(), StatusCode::FORBIDDEN);
        let page = send(Method::GET, "/", b"https://evil.example").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(header(&page, "access-control-allow-origin"), None);
    }

    #[tokio::test]
    async fn a_listed_origins_preflight_is_granted() {
        let response = send(Method::OPTIONS, "/api/secrets", b"https://partner.example").await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(header(&response, "allow"), Some("POST, OPTIONS"));
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some("https://partner.example")
        );
        assert_eq!(
            header(&response, "access-control-allow-headers"),
            Some(cors::ALLOW_HEADERS)
        );
    }
}
