//! The sender's calls, authorised by the manage token: `POST /api/secrets/{id}/burn`
//! destroys the secret early; `POST /api/secrets/{id}/status` returns its receipt.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use vanish_core::api::StatusResponse;
use vanish_core::error::ErrorCode;
use vanish_core::{routes, validate};

use super::Routes;
use crate::error::ApiError;
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;
use crate::store::Managed;
use crate::telemetry::Metrics;

pub fn router() -> Routes {
    Routes::default()
        .post(routes::BURN, burn)
        .post(routes::STATUS, status)
}

async fn burn(
    State(app): State<AppState>,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let token = validate::parse_manage(&body)?;
    authorised(app.store.burn(&id, token, app.clock.now_ms()).await?)?;
    Metrics::count(&app.metrics.secrets.burned, 1);
    Ok(StatusCode::NO_CONTENT)
}

async fn status(
    State(app): State<AppState>,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody,
) -> Result<Json<StatusResponse>, ApiError> {
    let token = validate::parse_manage(&body)?;
    let now = app.clock.now_ms();
    let receipt = authorised(app.store.receipt(&id, token, now).await?)?;
    Ok(Json(StatusResponse {
        state: receipt.state_at(now),
        max_views: receipt.max_views,
        views_left: receipt.views_left,
        viewed_at: receipt.viewed_at,
        expires_at: receipt.expires_at,
    }))
}

fn authorised<T>(outcome: Managed<T>) -> Result<T, ApiError> {
    match outcome {
        Managed::Done(value) => Ok(value),
        Managed::NotFound => Err(ApiError::new(ErrorCode::NotFound)),
        Managed::Forbidden => Err(ApiError::new(ErrorCode::Forbidden)),
    }
}
