//! The web UI: the built-in pages and assets embedded from `web/` at build time, or, with
//! `UI_DIR`, a folder on disk served as is with fallback to its `index.html` (so an
//! existing single-page app runs unchanged). Pages get the strict page CSP and `no-store`;
//! nothing here consumes a secret, since the pages only call the API on a click.
//!
//! The folder is served by tower-http's `ServeDir` (path safety, HEAD, ranges, modified
//! dates). The embedded UI is a table of the files under `web/` made by `build.rs`; a crate would
//! add build-time dependencies for nothing this table lacks.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};
use vanish_core::headers::PAGE_CSP;
use vanish_core::routes;

use super::Routes;
use crate::error::ApiError;
use crate::state::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Where the UI comes from.
#[derive(Debug, Clone)]
pub enum Ui {
    Embedded,
    /// A folder, with fallback to its `index.html` for unknown page paths.
    Dir(Box<ServeDir<ServeFile>>),
}

impl Ui {
    /// The built-in UI, or the folder `dir`.
    pub fn new(dir: Option<PathBuf>) -> Self {
        match dir {
            None => Self::Embedded,
            Some(dir) => {
                let index = ServeFile::new(dir.join("index.html"));
                Self::Dir(Box::new(ServeDir::new(dir).fallback(index)))
            }
        }
    }
}

pub fn router() -> Routes {
    Routes::default()
        .get(routes::HOME_PAGE, index)
        .get(routes::REVEAL_PAGE, reveal_page)
}

/// The names of the built-in UI's files, each served at `/{name}`.
pub fn embedded_names() -> impl Iterator<Item = &'static str> {
    embedded::ASSETS.iter().map(|(name, _)| *name)
}

async fn index(State(app): State<AppState>, req: Request) -> Response {
    match &app.ui {
        Ui::Embedded => embedded_file("index.html").unwrap_or_else(not_found),
        Ui::Dir(dir) => from_dir(dir, req).await,
    }
}

async fn reveal_page(State(app): State<AppState>, req: Request) -> Response {
    match &app.ui {
        Ui::Embedded => embedded_file("reveal.html").unwrap_or_else(not_found),
        // A foreign single-page app routes `/s/…` itself: its index.html answers.
        Ui::Dir(dir) => from_dir(dir, req).await,
    }
}

/// Assets by name; unknown paths are 404, or the single-page app's index.html under
/// `UI_DIR`. A built-in file answers only GET and HEAD (405 otherwise).
pub async fn fallback(app: &AppState, req: Request) -> Response {
    let name = req.uri().path().trim_start_matches('/');
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    match &app.ui {
        Ui::Embedded if is_read => embedded_file(name).unwrap_or_else(not_found),
        Ui::Embedded if embedded_names().any(|n| n == name) => {
            ApiError::method_not_allowed("GET, HEAD").into_response()
        }
        Ui::Dir(dir) if is_read => from_dir(dir, req).await,
        Ui::Embedded | Ui::Dir(_) => not_found(),
    }
}

fn embedded_file(name: &str) -> Option<Response> {
    let (_, bytes) = embedded::ASSETS.iter().find(|(n, _)| *n == name)?;
    let response = ([(header::CONTENT_TYPE, content_type(name))], *bytes).into_response();
    Some(with_page_headers(response))
}

async fn from_dir(dir: &ServeDir<ServeFile>, req: Request) -> Response {
    match dir.clone().oneshot(req).await {
        Ok(response) => with_page_headers(response.map(Body::new)),
        Err(never) => match never {},
    }
}

/// Pages get the page CSP and are never cached; other assets may be, briefly.
fn with_page_headers(mut response: Response) -> Response {
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let is_success = response.status().is_success();
    let headers = response.headers_mut();
    if is_page {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if is_success {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    }
    response
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    let mut response = (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Not found\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_ui_has_its_subfolders_but_not_its_tests() {
        let names: Vec<&str> = embedded::ASSETS.iter().map(|(name, _)| *name).collect();
        for needed in [
            "index.html",
            "reveal.html",
            "i18n/en.json",
            "i18n/ja.json",
            "vendor/uqr.js",
        ] {
            assert!(names.contains(&needed), "{needed} is embedded");
        }
        assert!(
            names
                .iter()
                .all(|name| !name.starts_with("test/") && !name.contains("node_modules")),
            "{names:?}"
        );
    }
}
