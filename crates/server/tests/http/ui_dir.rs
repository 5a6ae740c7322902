//! `UI_DIR`: a folder served as the UI, as an existing single-page app expects: its files
//! by path, and its index.html for every other page path, with the page headers.

use vanish_core::headers::PAGE_CSP;

use crate::common::{spawn_app, test_config};

#[tokio::test]
async fn a_folder_is_served_with_fallback_to_its_index() -> anyhow::Result<()> {
    let ui = tempfile::tempdir()?;
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><title>spa</title>",
    )?;
    std::fs::create_dir(ui.path().join("assets"))?;
    std::fs::write(ui.path().join("assets/app.js"), "console.log(1)")?;
    let mut config = test_config();
    config.web.ui_dir = Some(ui.path().to_path_buf());
    let app = spawn_app(config).await;

    for page in [
        "/",
        "/s/AAAAAAAAAAAAAAAAAAAAAA",
        "/some/client/route",
        "/?id=x",
    ] {
        let response = app.http.get(app.url(page)).send().await?;
        assert_eq!(response.status(), 200, "{page}");
        let csp = response.headers().get("content-security-policy").cloned();
        assert_eq!(
            csp.as_ref().and_then(|v| v.to_str().ok()),
            Some(PAGE_CSP),
            "{page}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{page}");
        assert!(
            response.text().await?.contains("<title>spa</title>"),
            "{page}"
        );
    }
    let script = app.http.get(app.url("/assets/app.js")).send().await?;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()?
            .contains("javascript")
    );
    assert_eq!(script.headers()["cache-control"], "public, max-age=300");
    assert_eq!(script.text().await?, "console.log(1)");
    let escape = app.http.get(app.url("/../../etc/passwd")).send().await?;
    assert!(
        !escape.text().await?.contains("root:"),
        "no escape from the folder"
    );
    let api = app.http.get(app.url("/api/nope")).send().await?;
    assert_eq!(api.status(), 404, "unknown API paths stay JSON 404s");
    app.shutdown().await;
    Ok(())
}
