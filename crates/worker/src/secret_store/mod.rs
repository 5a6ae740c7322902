//! Secrets at the edge: [`object::SecretStore`] is the Durable Object (one per secret);
//! [`call`] is how the front Worker reaches it, through the secrets circuit breaker. No
//! call is ever retried or merged: a consuming read happens once or not at all.

pub mod object;

use vanish_core::id::SecretId;
use worker::{Env, Method, Request, RequestInit, wasm_bindgen::JsValue};

use crate::breaker::{Unavailable, guarded};
use crate::error::ApiError;
use crate::isolate::Backend;
use crate::protocol::{SecretCommand, SecretOutcome};

/// The Durable Object namespace binding in wrangler.toml.
pub const BINDING: &str = "SECRETS";

/// Sends `command` to the object of secret `id`. Failures, timeouts and an open circuit
/// are a fast 503 `STORE_UNAVAILABLE`.
pub async fn call(
    env: &Env,
    id: &SecretId,
    command: SecretCommand,
    timeout_ms: u64,
) -> Result<SecretOutcome, ApiError> {
    let body = serde_json::to_string(&command).map_err(ApiError::internal)?;
    let stub = env.durable_object(BINDING)?.get_by_name(id.as_str())?;
    let request = Request::new_with_init(
        "https://secret-store.internal/",
        RequestInit::new()
            .with_method(Method::Post)
            .with_body(Some(JsValue::from_str(&body))),
    )?;
    let exchange = async move {
        let mut response = stub.fetch_with_request(request).await?;
        if response.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "secret store answered {}",
                response.status_code()
            )));
        }
        response.json::<SecretOutcome>().await
    };
    guarded(Backend::Secrets, timeout_ms, exchange)
        .await
        .map_err(unavailable)
}

fn unavailable(e: Unavailable) -> ApiError {
    let retry_after_ms = match &e {
        Unavailable::CircuitOpen { retry_after_ms } => Some(*retry_after_ms),
        Unavailable::Timeout | Unavailable::Failed(_) => None,
    };
    ApiError::store_unavailable(e, retry_after_ms)
}
