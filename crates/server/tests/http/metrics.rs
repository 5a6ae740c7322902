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

/// `promtool`, or `None` after a loud SKIPPED line (a failure under `VANISH_REQUIRE_ALL=1`).
fn promtool() -> Option<&'static str> {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("promtool");
    }
    assert!(
        std::env::var("VANISH_REQUIRE_ALL").as_deref() != Ok("1"),
        "promtool is missing (Debian package `prometheus`) and VANISH_REQUIRE_ALL=1"
    );
    eprintln!("SKIPPED: promtool not found (install Debian's `prometheus` package)");
    None
}

/// Runs `promtool args…`, feeding `stdin`; asserts it exits 0.
fn run_promtool(promtool: &str, args: &[&str], stdin: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(promtool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "promtool {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// Every `vanish_…` name in `text`.
fn metric_names(text: &str) -> std::collections::BTreeSet<&str> {
    text.split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .filter(|word| word.len() > "vanish_".len() && word.starts_with("vanish_"))
        .collect()
}

#[tokio::test]
async fn promtool_accepts_live_metrics_and_the_deploy_files_use_only_real_names()
-> anyhow::Result<()> {
    let Some(promtool) = promtool() else {
        return Ok(());
    };
    let mut config = test_config();
    config.rate.create_per_window = 2;
    let app = spawn_app(config).await;
    // Real traffic: every route family, a refusal, a miss and a store error outcome.
    let created = app.create_ok(json!({ "maxViews": 2 })).await;
    app.meta(&created.id).await;
    app.reveal_get(&created.id).await;
    app.reveal_get("AAAAAAAAAAAAAAAAAAAAAA").await;
    app.status(&created.id, &created.manage_token).await;
    app.burn(&created.id, &created.manage_token).await;
    assert_eq!(
        app.create(&json!({ "encrypted": "c2VjcmV0", "iv": crate::common::IV }))
            .await
            .status(),
        StatusCode::CREATED
    );
    let refused = app
        .create(&json!({ "encrypted": "c2VjcmV0", "iv": crate::common::IV }))
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    app.request(Method::GET, "/readyz").await;
    app.request(Method::GET, "/").await;
    let live = app.request(Method::GET, "/metrics").await.text().await?;
    app.shutdown().await;

    run_promtool(promtool, &["check", "metrics"], &live)?;
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let rules = deploy.join("prometheus/alerts.yml");
    run_promtool(promtool, &["check", "rules", &rules.to_string_lossy()], "")?;

    let exposed: Vec<&str> = live
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    for file in [rules, deploy.join("grafana/vanish.json")] {
        let text = std::fs::read_to_string(&file)?;
        let names = metric_names(&text);
        assert!(names.len() >= 5, "{} names too few metrics", file.display());
        for name in names {
            assert!(
                exposed.contains(&name),
                "{} uses {name}, which /metrics does not expose",
                file.display()
            );
        }
    }
    Ok(())
}
