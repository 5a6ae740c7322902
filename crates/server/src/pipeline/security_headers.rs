//! Security headers on every response (docs/api.md, "Headers"): the shared set, a CSP (the API's
//! locked-down one unless a page handler already set the page CSP), and `no-store` on
//! everything under `/api`, so no cache ever keeps a ciphertext.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use vanish_core::headers::{API_CSP, SECURITY_HEADERS};
use vanish_core::routes;

pub async fn layer(req: Request, next: Next) -> Response {
    let is_api = routes::is_api_path(req.uri().path());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        );
    }
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::HeaderValue;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt as _;
    use vanish_core::headers::PAGE_CSP;

    use super::*;
    use crate::pipeline::test_request::{get as get_request, header};

    #[tokio::test]
    async fn api_answers_are_locked_down_and_pages_keep_their_csp() {
        let page = || async {
            let mut response = axum::response::IntoResponse::into_response("page");
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            );
            response
        };
        let app = Router::new()
            .route("/api/health", get(|| async { "ok" }))
            .route("/", get(page))
            .layer(from_fn(layer));
        let api = app
            .clone()
            .oneshot(get_request("/api/health"))
            .await
            .expect("infallible");
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(header(&api, name), Some(*value), "{name}");
        }
        assert_eq!(header(&api, "content-security-policy"), Some(API_CSP));
        assert_eq!(header(&api, "cache-control"), Some("no-store"));
        assert_eq!(header(&api, "pragma"), Some("no-cache"));
        let page = app.oneshot(get_request("/")).await.expect("infallible");
        assert_eq!(header(&page, "content-security-policy"), Some(PAGE_CSP));
        assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
        assert_eq!(header(&page, "cache-control"), None);
    }
}
