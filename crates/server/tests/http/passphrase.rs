//! Passphrase proofs in their padded and unpadded spellings. (The passphrase gate itself,
//! the same on every deployment, is the conformance suite's:
//! crates/conformance/src/checks/passphrase.rs.)

use reqwest::StatusCode;
use serde_json::json;
use vanish_core::api::{MetaResponse, RevealResponse, StatusResponse};
use vanish_core::receipt::ReceiptState;

use crate::common::{expect_error, spawn_app, test_config};

const VERIFIER: &str = "dmVyaWZpZXItYnl0ZXMtZnJvbS1wYmtkZjI";

/// `VERIFIER` with the `=` padding a 35-character base64url value may carry.
const VERIFIER_PADDED: &str = "dmVyaWZpZXItYnl0ZXMtZnJvbS1wYmtkZjI=";

/// Sends four wrong proofs, so that one more failure would burn the secret.
async fn four_wrong_proofs(app: &crate::common::TestApp, id: &str) {
    for _ in 0..4 {
        expect_error(
            app.reveal_post(id, &json!({ "passphraseProof": "d3Jvbmc" }))
                .await,
            401,
            "PASSPHRASE_INVALID",
        )
        .await;
    }
}

#[tokio::test]
async fn a_padded_proof_matches_an_unpadded_verifier_and_counts_as_right() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "passphraseVerifier": VERIFIER, "maxViews": 2 }))
        .await;
    four_wrong_proofs(&app, &created.id).await;
    // Were it counted wrong, this fifth failure would burn the secret.
    for views_left in [1, 0] {
        let response = app
            .reveal_post(&created.id, &json!({ "passphraseProof": VERIFIER_PADDED }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<RevealResponse>().await?.views_left,
            views_left
        );
    }
    let status: StatusResponse = app
        .status(&created.id, &created.manage_token)
        .await
        .json()
        .await?;
    assert_eq!(
        (status.state, status.views_left, status.viewed_at.len()),
        (ReceiptState::Viewed, 0, 2)
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_padded_verifier_matches_an_unpadded_proof() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "passphraseVerifier": VERIFIER_PADDED }))
        .await;
    four_wrong_proofs(&app, &created.id).await;
    let response = app
        .reveal_post(&created.id, &json!({ "passphraseProof": VERIFIER }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<RevealResponse>().await?.views_left, 0);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_proof_in_the_standard_alphabet_is_refused_and_counts_nothing() -> anyhow::Result<()> {
    // 32 bytes whose base64url uses both `-` and `_`; the standard alphabet has `+` and `/`.
    const URL_SAFE: &str = "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8";
    let standard = URL_SAFE.replace('-', "+").replace('_', "/");
    let app = spawn_app(test_config()).await;
    expect_error(
        app.create(&json!({ "encrypted": "abcd", "iv": crate::common::IV,
                            "passphraseVerifier": standard }))
            .await,
        400,
        "INVALID_ENCODING",
    )
    .await;
    let created = app
        .create_ok(json!({ "passphraseVerifier": URL_SAFE }))
        .await;
    for _ in 0..5 {
        expect_error(
            app.reveal_post(&created.id, &json!({ "passphraseProof": standard }))
                .await,
            400,
            "INVALID_ENCODING",
        )
        .await;
    }
    let meta: MetaResponse = app.meta(&created.id).await.json().await?;
    assert_eq!(meta.views_left, 1, "refused proofs consume nothing");
    let response = app
        .reveal_post(&created.id, &json!({ "passphraseProof": URL_SAFE }))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "and burn nothing");
    app.shutdown().await;
    Ok(())
}
