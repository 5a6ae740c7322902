//! `POST /api/secrets`: store a new secret and hand its sender the id and manage token, if
//! the sender may create here ([`Creator`], by `CREATE_ACCESS`).

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, StatusCode, header};
use vanish_core::access::{Credentials, bearer_token};
use vanish_core::api::CreateResponse;
use vanish_core::error::ErrorCode;
use vanish_core::id::{ManageToken, SecretId};
use vanish_core::{routes, validate};

use super::Routes;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::pipeline::client_ip::ViaTrustedProxy;
use crate::state::AppState;
use crate::store::NewRecord;
use crate::telemetry::Metrics;

pub fn router() -> Routes {
    Routes::default().post(routes::SECRETS, create)
}

/// A sender allowed to create by the instance's rule: `vanish_core::access` decides from
/// the bearer token and, only from a trusted proxy, the identity header. Checked before
/// the body is read.
pub struct Creator;

impl FromRequestParts<AppState> for Creator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let text = |name: &HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let vouched = parts.extensions.get::<ViaTrustedProxy>().is_some();
        let credentials = Credentials {
            bearer: text(&header::AUTHORIZATION).and_then(bearer_token),
            vouched_identity: vouched.then(|| text(&app.identity_header)).flatten(),
        };
        match app.create_access.check(credentials) {
            Ok(()) => Ok(Creator),
            Err(ErrorCode::AuthRequired) => Err(ApiError::auth_required()),
            Err(code) => Err(ApiError::new(code)),
        }
    }
}

async fn create(
    State(app): State<AppState>,
    _: Creator,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<CreateResponse>), ApiError> {
    let secret = validate::parse_create(&body, &app.limits)?;
    let id = SecretId::from_random(random_32()?);
    let token = ManageToken::from_random(random_32()?);
    let now = app.clock.now_ms();
    let record = NewRecord {
        id: id.clone(),
        encrypted: secret.encrypted,
        iv: secret.iv,
        created_at: now,
        expires_at: now + secret.ttl_ms,
        max_views: secret.max_views,
        manage_hash: token.hash(),
        verifier_hash: secret.verifier,
    };
    app.store.put(record).await?;
    Metrics::count(&app.metrics.secrets.created, 1);
    let response = CreateResponse {
        id: id.as_str().to_owned(),
        expires_at: now + secret.ttl_ms,
        max_views: secret.max_views,
        manage_token: token.as_str().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(response)))
}

/// 32 bytes from the OS CSPRNG.
fn random_32() -> Result<[u8; 32], ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    Ok(bytes)
}
