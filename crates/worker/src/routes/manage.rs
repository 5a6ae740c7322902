//! The sender's calls, authorised by the manage token (only its SHA-256 travels to the
//! object): `POST /api/secrets/{id}/burn` and `POST /api/secrets/{id}/status`.

use vanish_core::api::StatusResponse;
use vanish_core::error::ErrorCode;
use vanish_core::id::SecretId;
use vanish_core::receipt::ReceiptState;
use vanish_core::validate;
use worker::{Request, Response};

use super::{Ctx, json};
use crate::body::read_json;
use crate::error::ApiError;
use crate::protocol::{SecretCommand, SecretOutcome, hash_to_hex};
use crate::secret_store;

pub async fn burn(ctx: &Ctx<'_>, id: &SecretId, req: &mut Request) -> Result<Response, ApiError> {
    let manage_hash = manage_hash(ctx, req).await?;
    match call(ctx, id, SecretCommand::Burn { manage_hash }).await? {
        SecretOutcome::Burned => Ok(Response::empty()?.with_status(204)),
        other => Err(refusal(other)),
    }
}

pub async fn status(ctx: &Ctx<'_>, id: &SecretId, req: &mut Request) -> Result<Response, ApiError> {
    let manage_hash = manage_hash(ctx, req).await?;
    match call(ctx, id, SecretCommand::Receipt { manage_hash }).await? {
        SecretOutcome::Receipt {
            state,
            max_views,
            views_left,
            viewed_at,
            expires_at,
        } => {
            let state = ReceiptState::parse(&state)
                .ok_or_else(|| ApiError::internal("unknown receipt state"))?;
            json(
                200,
                &StatusResponse {
                    state,
                    max_views,
                    views_left,
                    viewed_at,
                    expires_at,
                },
            )
        }
        other => Err(refusal(other)),
    }
}

async fn manage_hash(ctx: &Ctx<'_>, req: &mut Request) -> Result<String, ApiError> {
    let body = read_json(req, ctx.settings.max_request_size).await?;
    Ok(hash_to_hex(&validate::parse_manage(&body)?))
}

async fn call(
    ctx: &Ctx<'_>,
    id: &SecretId,
    command: SecretCommand,
) -> Result<SecretOutcome, ApiError> {
    secret_store::call(ctx.env, id, command, ctx.settings.store_timeout_ms).await
}

fn refusal(outcome: SecretOutcome) -> ApiError {
    match outcome {
        SecretOutcome::NotFound => ApiError::new(ErrorCode::NotFound),
        SecretOutcome::Forbidden => ApiError::new(ErrorCode::Forbidden),
        other => ApiError::internal(format!("manage call answered {other:?}")),
    }
}
