//! `/metrics` in Prometheus text: counts what happened, labels only by closed sets, never
//! an id, a token or an IP; guarded by a bearer token or moved to its own listener.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{spawn_app, test_config};

#[tokio::test]
async fn metrics_count_a_lifecycle_without_naming_secrets_or_clients() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let created = app.create_ok(json!({ "maxViews": 2 })).await;
    app.meta(&created.id).await;
    app.reveal_get(&created.id).await;
    app.burn(&created.id, &created.manage_token).await;

    let response = app.request(Method::GET, "/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()?
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await?;
    for line in [
        r#"vanish_secrets_total{event="created"} 1"#,
        r#"vanish_secrets_total{event="revealed"} 1"#,
        r#"vanish_secrets_total{event="burned"} 1"#,
        r#"vanish_http_request_duration_seconds_count{method="POST",route="/api/secrets",status="201"} 1"#,
        r#"vanish_http_request_duration_seconds_count{method="GET",route="/api/secrets/{id}/meta",status="200"} 1"#,
        r#"vanish_rate_limit_decisions_total{action="create",decision="allow"} 1"#,
        r#"vanish_rate_limit_decisions_total{action="read",decision="allow"} 3"#,
        r#"vanish_circuit_breaker_state{backend="secrets"} 0"#,
        r#"vanish_store_operation_duration_seconds_count{backend="secrets",op="take",outcome="ok"} 1"#,
        "# TYPE vanish_http_request_duration_seconds histogram",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
    assert!(!text.contains(&created.id) && !text.contains(&created.manage_token));
    assert!(!text.contains("127.0.0.1"));
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_metrics_token_guards_the_endpoint() -> anyhow::Result<()> {
    let mut config = test_config();
    config.telemetry.metrics_token = Some("s3cret-scrape".into());
    let app = spawn_app(config).await;
    assert_eq!(
        app.request(Method::GET, "/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let wrong = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("nope")
        .send()
        .await?;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("s3cret-scrape")
        .send()
        .await?;
    assert_eq!(right.status(), StatusCode::OK);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_metrics_address_moves_the_endpoint_off_the_main_listener() -> anyhow::Result<()> {
    let mut config = test_config();
    config.telemetry.metrics_addr = Some("127.0.0.1:0".parse()?);
    let app = spawn_app(config).await;
    assert_eq!(
        app.request(Method::GET, "/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
    let separate = app.metrics_base().expect("metrics listener");
    let text = reqwest::get(format!("{separate}/metrics"))
        .await?
        .text()
        .await?;
    assert!(text.contains("# TYPE vanish_secrets_total counter"));
    app.shutdown().await;
    Ok(())
}
