//! The web UI from `web/`, uploaded as the Worker's static assets (the `ASSETS` binding in
//! wrangler.toml) and served through the Worker so pages get the strict page CSP and the
//! same headers as on the native server: `/` is `index.html` (the original's `/?id=…`
//! links open the reveal view from there), `/s/{id}` is `reveal.html`, and other files
//! directly in `web/` by name. Nothing here consumes a secret.

use vanish_core::headers::PAGE_CSP;
use worker::{Headers, Response};

use super::Ctx;
use crate::error::ApiError;

/// The static-assets binding in wrangler.toml.
pub const BINDING: &str = "ASSETS";

/// A page; the asset server's 404 if it is missing.
pub async fn page(ctx: &Ctx<'_>, name: &str) -> Result<Response, ApiError> {
    match fetch(ctx, name).await? {
        Some(response) => Ok(response),
        None => not_found(),
    }
}

/// A file directly in `web/` by name (subfolders hold tests and are not served), for GET
/// and HEAD only.
pub async fn asset(ctx: &Ctx<'_>, name: &str, method: &str) -> Result<Response, ApiError> {
    let plain = !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.');
    if !plain || !(method == "GET" || method == "HEAD") {
        return not_found();
    }
    page(ctx, name).await
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
