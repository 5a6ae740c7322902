//! `POST /api/secrets`: store a new secret in its own object and hand the sender the id
//! and manage token. `201` leaves only after the object's write is durable.

use vanish_core::api::CreateResponse;
use vanish_core::id::{ManageToken, SecretId};
use vanish_core::validate;
use worker::{Request, Response};

use super::{Ctx, json};
use crate::body::read_json;
use crate::error::ApiError;
use crate::protocol::{SecretCommand, SecretOutcome, hash_to_hex};
use crate::{random, secret_store};

pub async fn create(ctx: &Ctx<'_>, req: &mut Request) -> Result<Response, ApiError> {
    let body = read_json(req, ctx.settings.max_request_size).await?;
    let secret = validate::parse_create(&body, &ctx.settings.limits)?;
    let id = SecretId::from_random(random_32()?);
    let token = ManageToken::from_random(random_32()?);
    let expires_at = ctx.now + secret.ttl_ms;
    let command = SecretCommand::Put {
        encrypted: secret.encrypted,
        iv: secret.iv,
        expires_at,
        max_views: secret.max_views,
        manage_hash: hash_to_hex(&token.hash()),
        verifier_hash: secret.verifier.as_ref().map(hash_to_hex),
    };
    match secret_store::call(ctx.env, &id, command, ctx.settings.store_timeout_ms).await? {
        SecretOutcome::Stored => json(
            201,
            &CreateResponse {
                id: id.as_str().to_owned(),
                expires_at,
                max_views: secret.max_views,
                manage_token: token.as_str().to_owned(),
            },
        ),
        other => Err(ApiError::internal(format!("put answered {other:?}"))),
    }
}

fn random_32() -> Result<[u8; 32], ApiError> {
    random::bytes::<32>().ok_or_else(|| ApiError::internal("the CSPRNG refused"))
}
