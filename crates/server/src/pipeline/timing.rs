//! `X-Response-Time`: milliseconds from the request entering the pipeline to its response
//! head being ready, e.g. `0.412ms`.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-response-time";

pub async fn layer(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("{ms:.3}ms")) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
