//! The web UI: `/` and the share links (`/s/{id}` and the original's `/?id={id}`) are pages
//! with the strict page CSP, assets are served by name, and opening a link consumes
//! nothing: pages call the API only when the recipient clicks.

use anyhow::ensure;
use serde_json::json;
use vanish_core::api::MetaResponse;
use vanish_core::headers::PAGE_CSP;

use crate::client::Client;
use crate::{Check, Target, ensure_eq};

pub fn checks() -> Vec<Check> {
    vec![Check {
        name: "pages::pages_and_share_links_serve_the_ui_and_consume_nothing",
        run: pages_and_share_links_serve_the_ui_and_consume_nothing,
    }]
}

fn pages_and_share_links_serve_the_ui_and_consume_nothing(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({}))?;
    for path in [
        "/".to_owned(),
        format!("/s/{}", created.id),
        format!("/?id={}", created.id),
    ] {
        let page = client.get(&path)?.expect(200)?;
        ensure!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path} is not HTML"
        );
        ensure_eq!(
            page.header("content-security-policy"),
            Some(PAGE_CSP),
            "{path}"
        );
        ensure!(page.text().contains("<html"), "{path} is not a page");
    }
    for (asset, kind) in [
        ("/app.css", "text/css"),
        ("/envelope.js", "text/javascript"),
    ] {
        let reply = client.get(asset)?.expect(200)?;
        ensure!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with(kind)),
            "{asset}: {:?}",
            reply.header("content-type")
        );
    }
    client.get("/missing.png")?.expect(404)?;
    client.get("/test/run.sh")?.expect(404)?;
    let meta: MetaResponse = client.meta(&created.id)?.expect(200)?.json()?;
    ensure_eq!(meta.views_left, 1, "opening the links consumed nothing");
    Ok(())
}
