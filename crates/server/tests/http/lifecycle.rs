//! A secret's life through the API: create, look, reveal, run out; burn and status.

use reqwest::{Method, StatusCode};
use serde_json::json;
use vanish_core::api::{MetaResponse, RevealResponse, StatusResponse};
use vanish_core::receipt::ReceiptState;

use crate::common::{IV, T0, expect_error, spawn_app, test_config};

type Result = anyhow::Result<()>;

#[tokio::test]
async fn create_meta_reveal_then_second_reveal_is_not_found() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "encrypted": "c2VjcmV0", "ttl": 3_600_000 }))
        .await;
    assert_eq!(created.id.len(), 22);
    assert_eq!(created.expires_at, T0 + 3_600_000);
    assert_eq!(created.max_views, 1);
    assert_eq!(created.manage_token.len(), 43);

    let meta: MetaResponse = app.meta(&created.id).await.json().await?;
    assert_eq!(
        meta,
        MetaResponse {
            id: created.id.clone(),
            expires_at: T0 + 3_600_000,
            views_left: 1,
            passphrase_required: false
        }
    );

    let response = app.reveal_post(&created.id, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let revealed: RevealResponse = response.json().await?;
    assert_eq!(
        revealed,
        RevealResponse {
            encrypted: "c2VjcmV0".into(),
            iv: IV.into(),
            views_left: 0
        }
    );

    expect_error(
        app.reveal_post(&created.id, &json!({})).await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_error(app.reveal_get(&created.id).await, 404, "NOT_FOUND").await;
    expect_error(app.meta(&created.id).await, 404, "NOT_FOUND").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_original_consuming_get_works_exactly_once() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app.create_ok(json!({})).await;
    let first = app.reveal_get(&created.id).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.json::<RevealResponse>().await?.views_left, 0);
    expect_error(app.reveal_get(&created.id).await, 404, "NOT_FOUND").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn three_views_allow_exactly_three_reveals() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app.create_ok(json!({ "maxViews": 3 })).await;
    for expected_left in [2, 1, 0] {
        let response = app.reveal_get(&created.id).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<RevealResponse>().await?.views_left,
            expected_left
        );
    }
    expect_error(app.reveal_get(&created.id).await, 404, "NOT_FOUND").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn head_and_meta_repeated_a_hundred_times_consume_nothing() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app.create_ok(json!({ "maxViews": 1 })).await;
    for _ in 0..100 {
        let head = app
            .request(Method::HEAD, &format!("/api/secrets/{}", created.id))
            .await;
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(head.bytes().await?.len(), 0);
        let head_meta = app
            .request(Method::HEAD, &format!("/api/secrets/{}/meta", created.id))
            .await;
        assert_eq!(head_meta.status(), StatusCode::OK);
        let meta: MetaResponse = app.meta(&created.id).await.json().await?;
        assert_eq!(meta.views_left, 1);
    }
    assert_eq!(app.reveal_get(&created.id).await.status(), StatusCode::OK);
    let head = app
        .request(Method::HEAD, &format!("/api/secrets/{}", created.id))
        .await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn burn_needs_the_right_token_and_destroys_the_secret() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app.create_ok(json!({ "maxViews": 2 })).await;
    expect_error(
        app.burn(&created.id, "not-the-token").await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_eq!(
        app.meta(&created.id).await.status(),
        StatusCode::OK,
        "a refused burn changes nothing"
    );

    let burned = app.burn(&created.id, &created.manage_token).await;
    assert_eq!(burned.status(), StatusCode::NO_CONTENT);
    expect_error(app.reveal_get(&created.id).await, 404, "NOT_FOUND").await;
    let status: StatusResponse = app
        .status(&created.id, &created.manage_token)
        .await
        .json()
        .await?;
    assert_eq!(status.state, ReceiptState::Burned);
    assert_eq!(status.viewed_at, Vec::<u64>::new());
    expect_error(
        app.burn("UnknownSecretId1234567", &created.manage_token)
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn status_tells_pending_viewed_burned_and_expired_apart() -> Result {
    let app = spawn_app(test_config()).await;
    let multi = app
        .create_ok(json!({ "maxViews": 2, "ttl": 600_000 }))
        .await;
    let status = |id: String, token: String| {
        let app = &app;
        async move { app.status(&id, &token).await.json::<StatusResponse>().await }
    };

    let s = status(multi.id.clone(), multi.manage_token.clone()).await?;
    assert_eq!(
        (s.state, s.max_views, s.views_left, s.expires_at),
        (ReceiptState::Pending, 2, 2, T0 + 600_000)
    );

    app.clock.advance(1_000);
    app.reveal_get(&multi.id).await;
    let s = status(multi.id.clone(), multi.manage_token.clone()).await?;
    assert_eq!(
        (s.state, s.views_left, s.viewed_at.clone()),
        (ReceiptState::Pending, 1, vec![T0 + 1_000])
    );

    app.clock.advance(1_000);
    app.reveal_get(&multi.id).await;
    let s = status(multi.id.clone(), multi.manage_token.clone()).await?;
    assert_eq!(
        (s.state, s.views_left, s.viewed_at),
        (ReceiptState::Viewed, 0, vec![T0 + 1_000, T0 + 2_000])
    );

    let other = app.create_ok(json!({ "ttl": 600_000 })).await;
    app.clock.advance(600_000);
    let s = status(other.id.clone(), other.manage_token.clone()).await?;
    assert_eq!(s.state, ReceiptState::Expired);

    expect_error(app.status(&other.id, "wrong").await, 403, "FORBIDDEN").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn receipts_hold_no_secret_material_on_disk() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "encrypted": "VGhpc0lzQ2lwaGVydGV4dE1hcmtlcg" }))
        .await;
    app.reveal_get(&created.id).await;
    let db = rusqlite::Connection::open(app.dir.path().join("vanish.db"))?;
    let count = |sql: &str| db.query_row(sql, [&created.id], |r| r.get::<_, i64>(0));
    assert_eq!(count("SELECT count(*) FROM receipts WHERE id = ?1")?, 1);
    assert_eq!(
        count("SELECT count(*) FROM material WHERE id = ?1")?,
        0,
        "the ciphertext's row is gone with the last view"
    );
    let token_stored: i64 = db.query_row(
        "SELECT count(*) FROM receipts WHERE CAST(manage_hash AS TEXT) = ?1",
        [&created.manage_token],
        |r| r.get(0),
    )?;
    assert_eq!(token_stored, 0, "only the token's hash is stored");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn health_endpoints_answer() -> Result {
    let app = spawn_app(test_config()).await;
    let health: serde_json::Value = app.request(Method::GET, "/api/health").await.json().await?;
    assert_eq!(health, json!({ "ok": true }));
    assert_eq!(
        app.request(Method::GET, "/healthz").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.request(Method::GET, "/readyz").await.status(),
        StatusCode::OK
    );
    let txt = app.request(Method::GET, "/.well-known/security.txt").await;
    assert_eq!(txt.headers()["content-type"], "text/plain; charset=utf-8");
    let body = txt.text().await?;
    assert!(body.contains("Contact: mailto:"));
    assert!(
        body.contains("Expires: 2028-01-14T08:00:00Z"),
        "a year after the test clock's start: {body}"
    );
    app.shutdown().await;
    Ok(())
}
