//! The two consuming reads: the original's `GET /api/secrets/{id}` and the
//! `POST /api/secrets/{id}/reveal` that carries a passphrase proof. Both are one atomic
//! [`SecretStore::take`](crate::store::SecretStore::take); nothing here ever merges, caches
//! or retries them.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use vanish_core::api::RevealResponse;
use vanish_core::error::ErrorCode;
use vanish_core::id::TokenHash;
use vanish_core::{routes, validate};

use crate::error::ApiError;
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;
use crate::store::Take;
use crate::telemetry::Metrics;

pub fn router() -> Router<AppState> {
    // HEAD on this path is routed to the metadata module (`meta::router`), never here.
    Router::new()
        .route(routes::SECRET, get(reveal_by_get))
        .route(routes::REVEAL, post(reveal))
}

async fn reveal_by_get(
    State(app): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<RevealResponse>, ApiError> {
    consume(&app, &id, None).await
}

async fn reveal(
    State(app): State<AppState>,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody,
) -> Result<Json<RevealResponse>, ApiError> {
    let proof = validate::parse_reveal(&body)?;
    consume(&app, &id, proof).await
}

async fn consume(
    app: &AppState,
    id: &vanish_core::id::SecretId,
    proof: Option<TokenHash>,
) -> Result<Json<RevealResponse>, ApiError> {
    match app.store.take(id, proof, app.clock.now_ms()).await? {
        Take::Revealed {
            material,
            views_left,
        } => {
            Metrics::count(&app.metrics.secrets.revealed, 1);
            Ok(Json(RevealResponse {
                encrypted: material.encrypted,
                iv: material.iv,
                views_left,
            }))
        }
        Take::NotFound => Err(ApiError::new(ErrorCode::NotFound)),
        Take::PassphraseRequired => Err(ApiError::new(ErrorCode::PassphraseRequired)),
        Take::PassphraseInvalid => Err(ApiError::new(ErrorCode::PassphraseInvalid)),
    }
}
