//! Passphrase-protected secrets: consuming needs the right proof; a wrong one consumes
//! nothing; five wrong ones burn the secret.

use reqwest::StatusCode;
use serde_json::json;
use vanish_core::api::{MetaResponse, RevealResponse, StatusResponse};
use vanish_core::receipt::ReceiptState;

use crate::common::{expect_error, spawn_app, test_config};

const VERIFIER: &str = "dmVyaWZpZXItYnl0ZXMtZnJvbS1wYmtkZjI";

#[tokio::test]
async fn a_passphrase_secret_needs_the_right_proof() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "passphraseVerifier": VERIFIER }))
        .await;
    let meta: MetaResponse = app.meta(&created.id).await.json().await?;
    assert!(meta.passphrase_required);

    expect_error(
        app.reveal_get(&created.id).await,
        401,
        "PASSPHRASE_REQUIRED",
    )
    .await;
    expect_error(
        app.reveal_post(&created.id, &json!({})).await,
        401,
        "PASSPHRASE_REQUIRED",
    )
    .await;
    expect_error(
        app.reveal_post(&created.id, &json!({ "passphraseProof": "d3Jvbmc" }))
            .await,
        401,
        "PASSPHRASE_INVALID",
    )
    .await;
    let meta: MetaResponse = app.meta(&created.id).await.json().await?;
    assert_eq!(meta.views_left, 1, "wrong proofs consume nothing");

    let response = app
        .reveal_post(&created.id, &json!({ "passphraseProof": VERIFIER }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<RevealResponse>().await?.views_left, 0);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn five_wrong_proofs_burn_the_secret() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "passphraseVerifier": VERIFIER }))
        .await;
    for _ in 0..5 {
        expect_error(
            app.reveal_post(&created.id, &json!({ "passphraseProof": "d3Jvbmc" }))
                .await,
            401,
            "PASSPHRASE_INVALID",
        )
        .await;
    }
    expect_error(
        app.reveal_post(&created.id, &json!({ "passphraseProof": VERIFIER }))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    let status: StatusResponse = app
        .status(&created.id, &created.manage_token)
        .await
        .json()
        .await?;
    assert_eq!(status.state, ReceiptState::Burned);
    app.shutdown().await;
    Ok(())
}
