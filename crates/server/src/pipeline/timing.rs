//! `X-Response-Time`: milliseconds from the request entering the pipeline to its response
//! head being ready, e.g. `0.412ms`.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use vanish_core::request::response_time;

pub const HEADER: &str = "x-response-time";

pub async fn layer(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&response_time(ms)) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;
    use crate::pipeline::test_request::{get as get_request, header};

    #[tokio::test]
    async fn every_answer_says_how_long_it_took_in_milliseconds() {
        let app = Router::new()
            .route("/", get(|| async { "ok" }))
            .layer(from_fn(layer));
        let response = app.oneshot(get_request("/")).await.expect("infallible");
        let value = header(&response, HEADER).unwrap_or_default();
        let ms = value.strip_suffix("ms").and_then(|n| n.parse::<f64>().ok());
        assert!(ms.is_some_and(|ms| ms >= 0.0), "{value:?}");
        assert_eq!(
            value.split('.').nth(1).map(str::len),
            Some(5),
            "three decimals: {value}"
        );
    }
}
