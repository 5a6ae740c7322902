//! Non-consuming lookups: `GET /api/secrets/{id}/meta`, and `HEAD` on both the secret and
//! its metadata. HEAD is registered explicitly so it never falls through to the consuming
//! GET handler (axum would otherwise answer HEAD with the GET route).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use vanish_core::api::MetaResponse;
use vanish_core::error::ErrorCode;
use vanish_core::routes;

use super::Routes;
use crate::error::ApiError;
use crate::extract::IdPath;
use crate::state::AppState;

pub fn router() -> Routes {
    Routes::default()
        .head(routes::SECRET, exists)
        .get(routes::META, meta)
        .head(routes::META, exists)
}

async fn meta(
    State(app): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<MetaResponse>, ApiError> {
    let found = app.store.peek(&id, app.clock.now_ms()).await?;
    let meta = found.ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    Ok(Json(MetaResponse {
        id: id.as_str().to_owned(),
        expires_at: meta.expires_at,
        views_left: meta.views_left,
        passphrase_required: meta.passphrase_required,
    }))
}

async fn exists(State(app): State<AppState>, IdPath(id): IdPath) -> Result<StatusCode, ApiError> {
    match app.store.peek(&id, app.clock.now_ms()).await? {
        Some(_) => Ok(StatusCode::OK),
        None => Err(ApiError::new(ErrorCode::NotFound)),
    }
}
