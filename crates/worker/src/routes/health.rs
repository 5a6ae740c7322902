//! Health: the original's `GET /api/health`, liveness `/healthz` (the Worker answers) and
//! readiness `/readyz`, which reports this isolate's breakers and is 503 while the
//! secrets circuit is open (the objects are failing, as far as this isolate knows).

use serde_json::{Map, Value, json};
use vanish_core::breaker::BreakerState;
use worker::Response;

use super::json as json_response;
use crate::error::ApiError;
use crate::isolate::{self, Backend};

pub fn health() -> Result<Response, ApiError> {
    json_response(200, &json!({ "ok": true }))
}

pub fn live() -> Result<Response, ApiError> {
    Ok(Response::ok("ok")?)
}

pub fn ready() -> Result<Response, ApiError> {
    let states = isolate::with(|i| {
        [Backend::Secrets, Backend::Limits]
            .map(|b| (b, i.breaker(b).state()))
            .to_vec()
    })
    .unwrap_or_default();
    let breakers: Map<String, Value> = states
        .iter()
        .map(|(b, s)| (b.name().to_owned(), json!(s.name())))
        .collect();
    let secrets_open = states
        .iter()
        .any(|(b, s)| *b == Backend::Secrets && matches!(s, BreakerState::Open { .. }));
    if secrets_open {
        json_response(
            503,
            &json!({ "ready": false, "reason": "store unavailable", "breakers": breakers }),
        )
    } else {
        json_response(200, &json!({ "ready": true, "breakers": breakers }))
    }
}
