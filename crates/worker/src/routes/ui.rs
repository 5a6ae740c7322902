//! The web UI from `web/`, uploaded as the Worker's static assets (the `ASSETS` binding in
//! wrangler.toml) and served through the Worker so pages get the strict page CSP and the
//! same headers as on the native server: `/` is `index.html` (the original's `/?id=…`
//! links open the reveal view from there), `/s/{id}` is `reveal.html`, and other files
//! of `web/` by their path. Nothing here consumes a secret.

use vanish_core::headers::PAGE_CSP;
use worker::{Headers, Response};

use super::Ctx;
use crate::error::ApiError;

/// The static-assets binding in wrangler.toml.
pub const BINDING: &str = "ASSETS";

/// Folders of `web/` that are not the UI (also kept from upload by `web/.assetsignore`).
const SKIPPED_DIRS: &[&str] = &["test", "node_modules"];

/// A page; the asset server's 404 if it is missing.
pub async fn page(ctx: &Ctx<'_>, name: &str) -> Result<Response, ApiError> {
    match fetch(ctx, name).await? {
        Some(response) => Ok(response),
        None => not_found(),
    }
}

/// A file of `web/` by its path (`app.css`, `i18n/en.json`), for GET and HEAD only (405
/// for other methods on a file that exists); the same files the native server embeds: no
/// dot files, nothing under `test/` or `node_modules/`.
pub async fn asset(ctx: &Ctx<'_>, name: &str, method: &str) -> Result<Response, ApiError> {
    if !is_ui_file(name) {
        return not_found();
    }
    if method == "GET" || method == "HEAD" {
        return page(ctx, name).await;
    }
    match fetch(ctx, name).await? {
        Some(_) => Err(ApiError::method_not_allowed("GET, HEAD")),
        None => not_found(),
    }
}

fn is_ui_file(name: &str) -> bool {
    let segments: Vec<&str> = name.split('/').collect();
    let plain = segments
        .iter()
        .all(|s| !s.is_empty() && !s.starts_with('.') && !s.contains('\\'));
    let skipped = segments.len() > 1 && SKIPPED_DIRS.contains(&segments[0]);
    plain && !skipped
}

async fn fetch(ctx: &Ctx<'_>, name: &str) -> Result<Option<Response>, ApiError> {
    let assets = ctx.env.assets(BINDING)?;
    let mut found = assets
        .fetch(format!("https://assets.internal/{name}"), None)
        .await?;
    if found.status_code() != 200 {
        return Ok(None);
    }
    // Responses from a fetch have immutable headers: answer with a fresh one.
    let bytes = found.bytes().await?;
    let content_type = found
        .headers()
        .get("content-type")?
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let headers = Headers::new();
    headers.set("content-type", &content_type)?;
    if content_type.starts_with("text/html") {
        headers.set("content-security-policy", PAGE_CSP)?;
        headers.set("cache-control", "no-store")?;
    } else {
        headers.set("cache-control", "public, max-age=300")?;
    }
    Ok(Some(Response::from_bytes(bytes)?.with_headers(headers)))
}

fn not_found() -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers.set("content-type", "text/plain; charset=utf-8")?;
    headers.set("content-security-policy", PAGE_CSP)?;
    Ok(Response::ok("Not found\n")?
        .with_status(404)
        .with_headers(headers))
}
