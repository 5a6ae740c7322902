//! Non-consuming lookups: `GET /api/secrets/{id}/meta`, and `HEAD` on the secret and its
//! metadata. Both are a `Peek`, which the object answers without changing anything.

use vanish_core::api::MetaResponse;
use vanish_core::error::ErrorCode;
use vanish_core::id::SecretId;
use worker::Response;

use super::{Ctx, json};
use crate::error::ApiError;
use crate::protocol::{SecretCommand, SecretOutcome};
use crate::secret_store;

pub async fn meta(ctx: &Ctx<'_>, id: &SecretId) -> Result<Response, ApiError> {
    match peek(ctx, id).await? {
        SecretOutcome::Meta {
            expires_at,
            views_left,
            passphrase_required,
        } => json(
            200,
            &MetaResponse {
                id: id.as_str().to_owned(),
                expires_at,
                views_left,
                passphrase_required,
            },
        ),
        _ => Err(ApiError::new(ErrorCode::NotFound)),
    }
}

pub async fn exists(ctx: &Ctx<'_>, id: &SecretId) -> Result<Response, ApiError> {
    match peek(ctx, id).await? {
        SecretOutcome::Meta { .. } => Ok(Response::empty()?),
        _ => Err(ApiError::new(ErrorCode::NotFound)),
    }
}

async fn peek(ctx: &Ctx<'_>, id: &SecretId) -> Result<SecretOutcome, ApiError> {
    secret_store::call(
        ctx.env,
        id,
        SecretCommand::Peek,
        ctx.settings.store_timeout_ms,
    )
    .await
}
