//! Guarantee 3, expiry is exact on read, with the test's clock: a secret is revealable up
//! to the millisecond before `expiresAt` and never after; the sweeper then drops it.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use vanish_core::limits::{Limits, RECEIPT_RETENTION_MS};

use crate::common::{TestApp, expect_error, spawn_app, test_config};

fn stored_material(app: &TestApp, id: &str) -> anyhow::Result<Option<Option<String>>> {
    let db = rusqlite::Connection::open(app.dir.path().join("vanish.db"))?;
    let row = db.query_row(
        "SELECT m.encrypted FROM receipts AS r LEFT JOIN material AS m ON m.id = r.id
         WHERE r.id = ?1",
        [id],
        |r| r.get(0),
    );
    match row {
        Ok(material) => Ok(Some(material)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Polls until `done` holds; the sweeper runs on a short real interval in these tests.
async fn eventually(
    what: &str,
    mut done: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done()? {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

#[tokio::test]
async fn a_secret_is_never_returned_at_or_after_expires_at() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "ttl": Limits::TTL_MIN_MS, "maxViews": 2 }))
        .await;
    app.clock.set(created.expires_at - 1);
    assert_eq!(app.meta(&created.id).await.status(), StatusCode::OK);
    assert_eq!(app.reveal_get(&created.id).await.status(), StatusCode::OK);

    app.clock.set(created.expires_at);
    expect_error(app.meta(&created.id).await, 404, "NOT_FOUND").await;
    expect_error(app.reveal_get(&created.id).await, 404, "NOT_FOUND").await;
    expect_error(
        app.reveal_post(&created.id, &json!({})).await,
        404,
        "NOT_FOUND",
    )
    .await;
    let head = app
        .request(Method::HEAD, &format!("/api/secrets/{}", created.id))
        .await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_sweeper_drops_expired_ciphertext_then_the_receipt() -> anyhow::Result<()> {
    let mut config = test_config();
    config.storage.sweep_interval = std::time::Duration::from_millis(20);
    let app = spawn_app(config).await;
    let expiring = app.create_ok(json!({ "ttl": Limits::TTL_MIN_MS })).await;
    let lasting = app.create_ok(json!({ "ttl": Limits::TTL_MAX_MS })).await;
    assert!(matches!(
        stored_material(&app, &expiring.id)?,
        Some(Some(_))
    ));

    app.clock.set(expiring.expires_at);
    eventually("expired ciphertext swept", || {
        Ok(stored_material(&app, &expiring.id)? == Some(None))
    })
    .await?;
    assert!(
        matches!(stored_material(&app, &lasting.id)?, Some(Some(_))),
        "unexpired secrets stay"
    );
    let status: serde_json::Value = app
        .status(&expiring.id, &expiring.manage_token)
        .await
        .json()
        .await?;
    assert_eq!(status["state"], "expired");

    app.clock.set(expiring.expires_at + RECEIPT_RETENTION_MS);
    eventually("receipt purged", || {
        Ok(stored_material(&app, &expiring.id)?.is_none())
    })
    .await?;
    expect_error(
        app.status(&expiring.id, &expiring.manage_token).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(app.meta(&lasting.id).await.status(), StatusCode::OK);
    app.shutdown().await;
    Ok(())
}
