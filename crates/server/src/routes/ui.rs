//! The web UI: the built-in pages and assets embedded from `web/` at build time, or, with
//! `UI_DIR`, a folder on disk served as is with fallback to its `index.html` (so an existing
//! single-page app runs unchanged). Pages get the strict page CSP; nothing here consumes a
//! secret, since the pages only call the API on a click.

use std::path::{Component, Path, PathBuf};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use vanish_core::headers::PAGE_CSP;

use crate::app::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Where the UI comes from.
#[derive(Debug, Clone)]
pub enum Ui {
    Embedded,
    Dir(PathBuf),
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/s/{id}", get(reveal_page))
}

async fn index(State(app): State<AppState>) -> Response {
    serve_file(&app.ui, "index.html")
        .await
        .unwrap_or_else(not_found)
}

async fn reveal_page(State(app): State<AppState>) -> Response {
    let page = match app.ui {
        Ui::Embedded => "reveal.html",
        // A foreign single-page app routes `/s/…` itself.
        Ui::Dir(_) => "index.html",
    };
    serve_file(&app.ui, page).await.unwrap_or_else(not_found)
}

/// Assets by name; unknown paths are 404, or the SPA's index.html under `UI_DIR`.
pub async fn fallback(method: Method, uri: Uri, State(app): State<AppState>) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    let name = uri.path().trim_start_matches('/');
    if let Some(response) = serve_file(&app.ui, name).await {
        return response;
    }
    match app.ui {
        Ui::Dir(_) => serve_file(&app.ui, "index.html")
            .await
            .unwrap_or_else(not_found),
        Ui::Embedded => not_found(),
    }
}

async fn serve_file(ui: &Ui, name: &str) -> Option<Response> {
    let bytes: Vec<u8> = match ui {
        Ui::Embedded => embedded::ASSETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.to_vec())?,
        Ui::Dir(dir) => tokio::fs::read(safe_join(dir, name)?).await.ok()?,
    };
    let content_type = content_type(name);
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    let headers = response.headers_mut();
    if content_type.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    }
    Some(response)
}

/// `dir/name` if `name` is a plain relative path (no `..`, no root), else `None`.
fn safe_join(dir: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name);
    let plain = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    (plain && !name.is_empty()).then(|| dir.join(relative))
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

    #[test]
    fn safe_join_refuses_escapes() {
        let dir = Path::new("/srv/ui");
        assert_eq!(
            safe_join(dir, "app.js"),
            Some(PathBuf::from("/srv/ui/app.js"))
        );
        assert_eq!(
            safe_join(dir, "assets/x.css"),
            Some(PathBuf::from("/srv/ui/assets/x.css"))
        );
        assert_eq!(safe_join(dir, "../etc/passwd"), None);
        assert_eq!(safe_join(dir, "/etc/passwd"), None);
        assert_eq!(safe_join(dir, ""), None);
    }
}
