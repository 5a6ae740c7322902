//! Requests and response readers for the layers' `oneshot` tests, which drive one layer
//! (or a few) around a trivial handler without a socket.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request};
use axum::response::Response;

/// A request with `headers` given as raw bytes (so tests can send what `to_str` refuses).
pub fn request(method: Method, uri: &str, headers: &[(&'static str, &[u8])]) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .expect("a valid test request");
    for (name, value) in headers {
        let value = HeaderValue::from_bytes(value).expect("a valid test header value");
        req.headers_mut().append(*name, value);
    }
    req
}

/// `GET uri` with no headers.
pub fn get(uri: &str) -> Request<Body> {
    request(Method::GET, uri, &[])
}

/// The body of `response` as JSON.
pub async fn json(response: Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a readable body");
    serde_json::from_slice(&bytes).expect("a JSON body")
}

/// The body of `response` as text.
pub async fn text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a readable body");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A header of `response` as text, if present.
pub fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
