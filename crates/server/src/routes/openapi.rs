//! `GET /api/openapi.json`: the API's OpenAPI 3.1 document. It is kept by hand in
//! docs/openapi.json and built into the binary as is; `crates/server/tests/http/openapi.rs`
//! holds it to the router's table of routes and to the error codes, and schemathesis
//! (`crates/vanish/tests/contract.rs`) holds the running server to it.

use axum::http::header;
use axum::response::IntoResponse;
use vanish_core::routes;

use super::Routes;

/// The document, exactly as in the repository.
pub const DOCUMENT: &str = include_str!("../../../../docs/openapi.json");

pub fn router() -> Routes {
    Routes::default().get(routes::OPENAPI, serve)
}

async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
