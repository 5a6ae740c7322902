//! `GET /api/config`: what a client needs before it offers to create: who may create here
//! (`CREATE_ACCESS`), whether this very caller may (its bearer token, or the identity its
//! trusted proxy vouches for), and the bounds a secret must fit. The web UI reads it to
//! say plainly when creating needs sign-in, and to show the largest file before upload.

use axum::Json;
use axum::extract::State;
use vanish_core::api::{ConfigResponse, LimitsResponse};
use vanish_core::routes;

use super::Routes;
use super::create::Creator;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Routes {
    Routes::default().get(routes::CONFIG, config)
}

async fn config(
    State(app): State<AppState>,
    creator: Result<Creator, ApiError>,
) -> Json<ConfigResponse> {
    let l = app.limits;
    Json(ConfigResponse {
        create_access: app.create_access.mode().to_owned(),
        can_create: creator.is_ok(),
        share_base_url: app.share_base_url.as_deref().map(str::to_owned),
        limits: LimitsResponse {
            ttl_min_ms: l.ttl_min_ms,
            ttl_default_ms: l.ttl_default_ms,
            ttl_max_ms: l.ttl_max_ms,
            max_views: l.max_views,
            encrypted_max_chars: l.encrypted_max_chars,
        },
    })
}
