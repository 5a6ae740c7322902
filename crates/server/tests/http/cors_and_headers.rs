//! CORS exactly as the original (docs/api.md, "CORS") and the headers every response carries.

use reqwest::{Method, StatusCode};
use vanish_core::headers::{API_CSP, PAGE_CSP, SECURITY_HEADERS};

use crate::common::{expect_error, spawn_app, test_config};

#[tokio::test]
async fn requests_without_origin_are_served_and_foreign_origins_refused() -> anyhow::Result<()> {
    let mut config = test_config();
    config.web.allowed_origins =
        vanish_server::config::Origins::parse("https://partner.example").expect("an origin");
    let app = spawn_app(config).await;
    let health = app.url("/api/health");

    let plain = app.http.get(&health).send().await?;
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(!plain.headers().contains_key("access-control-allow-origin"));

    let listed = app
        .http
        .get(&health)
        .header("origin", "https://partner.example")
        .send()
        .await?;
    assert_eq!(listed.status(), StatusCode::OK);
    assert_eq!(
        listed.headers()["access-control-allow-origin"],
        "https://partner.example"
    );

    let own = app.base.clone();
    let same = app.http.get(&health).header("origin", &own).send().await?;
    assert_eq!(same.headers()["access-control-allow-origin"], own.as_str());

    let foreign = app
        .http
        .get(&health)
        .header("origin", "https://evil.example")
        .send()
        .await?;
    expect_error(foreign, 403, "CORS_FORBIDDEN").await;
    let foreign_preflight = app
        .http
        .request(Method::OPTIONS, app.url("/api/secrets"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await?;
    expect_error(foreign_preflight, 403, "CORS_FORBIDDEN").await;

    let preflight = app
        .http
        .request(Method::OPTIONS, app.url("/api/secrets"))
        .header("origin", "https://partner.example")
        .header("access-control-request-method", "POST")
        .send()
        .await?;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://partner.example"
    );
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()?
            .contains("POST")
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn every_response_carries_security_headers_and_api_is_never_cached() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    for path in [
        "/api/health",
        "/api/secrets/unknownId12345",
        "/api/nope",
        "/healthz",
        "/",
        "/app.css",
        "/missing.png",
    ] {
        let response = app.request(Method::GET, path).await;
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(response.headers()[*name], *value, "{name} on {path}");
        }
        assert!(response.headers().contains_key("x-request-id"), "{path}");
        assert!(
            response.headers()["x-response-time"]
                .to_str()?
                .ends_with("ms"),
            "{path}"
        );
        let csp = &response.headers()["content-security-policy"];
        if path.starts_with("/api") {
            assert_eq!(csp, API_CSP);
            assert_eq!(response.headers()["cache-control"], "no-store");
            assert_eq!(response.headers()["pragma"], "no-cache");
        }
        if path == "/" {
            assert_eq!(csp, PAGE_CSP);
        }
    }
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_valid_request_id_is_kept_and_a_bad_one_replaced() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let kept = app
        .http
        .get(app.url("/api/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await?;
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let replaced = app
        .http
        .get(app.url("/api/health"))
        .header("x-request-id", "bad id!")
        .send()
        .await?;
    let fresh = replaced.headers()["x-request-id"].to_str()?;
    assert_eq!(fresh.len(), 32);
    app.shutdown().await;
    Ok(())
}
