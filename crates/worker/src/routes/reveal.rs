//! The two consuming reads: the original's `GET /api/secrets/{id}` and
//! `POST /api/secrets/{id}/reveal` with an optional passphrase proof. Each is one command
//! to the secret's object, which consumes atomically; never retried, merged or cached.

use vanish_core::api::RevealResponse;
use vanish_core::error::ErrorCode;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::validate;
use worker::{Request, Response};

use super::{Ctx, json};
use crate::body::read_json;
use crate::error::ApiError;
use crate::protocol::{SecretCommand, SecretOutcome, hash_to_hex};
use crate::secret_store;

pub async fn reveal(ctx: &Ctx<'_>, id: &SecretId, req: &mut Request) -> Result<Response, ApiError> {
    let body = read_json(req, ctx.settings.max_request_size).await?;
    let proof = validate::parse_reveal(&body)?;
    consume(ctx, id, proof).await
}

pub async fn consume(
    ctx: &Ctx<'_>,
    id: &SecretId,
    proof: Option<TokenHash>,
) -> Result<Response, ApiError> {
    let command = SecretCommand::Take {
        proof_hash: proof.as_ref().map(hash_to_hex),
    };
    match secret_store::call(ctx.env, id, command, ctx.settings.store_timeout_ms).await? {
        SecretOutcome::Revealed {
            encrypted,
            iv,
            views_left,
        } => json(
            200,
            &RevealResponse {
                encrypted,
                iv,
                views_left,
            },
        ),
        SecretOutcome::NotFound => Err(ApiError::new(ErrorCode::NotFound)),
        SecretOutcome::PassphraseRequired => Err(ApiError::new(ErrorCode::PassphraseRequired)),
        SecretOutcome::PassphraseInvalid => Err(ApiError::new(ErrorCode::PassphraseInvalid)),
        other => Err(ApiError::internal(format!("take answered {other:?}"))),
    }
}
