//! The two consuming reads: the original's `GET /api/secrets/{id}` and the
//! `POST /api/secrets/{id}/reveal` that carries a passphrase proof. Both are one atomic
//! [`SecretStore::take`](crate::store::SecretStore::take); nothing here ever merges, caches
//! or retries them.

use axum::Json;
use axum::extract::State;
use vanish_core::api::RevealResponse;
use vanish_core::error::ErrorCode;
use vanish_core::id::TokenHash;
use vanish_core::{routes, validate};

use super::Routes;
use crate::error::ApiError;
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;
use crate::store::Take;
use crate::telemetry::Metrics;

pub fn router() -> Routes {
    // HEAD on this path is routed to the metadata module (`meta::router`), never here.
    Routes::default()
        .get(routes::SECRET, reveal_by_get)
        .post(routes::REVEAL, reveal)
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
