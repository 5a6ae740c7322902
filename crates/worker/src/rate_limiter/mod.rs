//! Rate limits and bans at the edge: [`object::RateLimiter`] is the Durable Object (one per
//! client) that counts; this module decides each request like the native `RateLimiter`:
//! the isolate's decision cache first (`vanish_core::decision_cache`), then the client's
//! object through the limits circuit breaker, and when that fails or the circuit is open,
//! the isolate's own counts ([`local`]): limits fail open, never closed.

pub mod local;
pub mod object;

use vanish_core::ratelimit::{Action, ClientKey, Decision, Tally};
use worker::{Env, Method, Request, RequestInit, wasm_bindgen::JsValue};

use crate::breaker::guarded;
use crate::isolate::{self, Backend};
use crate::log;
use crate::protocol::{LimitCommand, LimitOutcome};
use crate::settings::Settings;
use local::Recorded;

/// The Durable Object namespace binding in wrangler.toml.
pub const BINDING: &str = "RATE_LIMITER";

/// Counts one attempt of `action` by `client` and decides it.
pub async fn check(
    env: &Env,
    settings: &Settings,
    client: &ClientKey,
    action: Action,
    now: u64,
) -> Decision {
    let policy = settings.rate_policy;
    let cached = isolate::with(|i| {
        if let Some(denial) = i.decisions.denial(client, action, now) {
            return Err(denial);
        }
        let attempts = 1 + i.decisions.take_unrecorded(client, action, now);
        let local = i.fallback.record(client, action, attempts, now, &policy);
        Ok((attempts, local))
    });
    let (attempts, local) = match cached {
        Some(Err(denial)) => return denial,
        Some(Ok(counted)) => counted,
        None => return allow_blind(settings, action, now),
    };
    let command = LimitCommand::Record {
        action: action.as_str().to_owned(),
        attempts,
    };
    let recorded = match call(env, client, command, settings.store_timeout_ms).await {
        Some(shared) => Recorded {
            tally: Tally {
                count: shared.count,
                window_ends_at: shared.window_ends_at,
            },
            banned_until: shared.banned_until,
        },
        None => local,
    };
    let decision = match recorded.banned_until {
        Some(until) => Decision::Ban { until },
        None => policy.judge(action, recorded.tally, now),
    };
    isolate::with(|i| i.decisions.remember(client, action, decision, now));
    decision
}

/// When `client`'s ban ends, if banned: from the cache, else the client's object (the later
/// of its answer and the isolate's own), else the isolate's own.
pub async fn banned_until(
    env: &Env,
    settings: &Settings,
    client: &ClientKey,
    now: u64,
) -> Option<u64> {
    let cached = isolate::with(|i| {
        i.decisions
            .ban(client, now)
            .ok_or_else(|| i.fallback.banned_until(client, now))
    })?;
    let local = match cached {
        Ok(answer) => return answer,
        Err(local) => local,
    };
    let shared = call(
        env,
        client,
        LimitCommand::BannedUntil,
        settings.store_timeout_ms,
    )
    .await;
    let until = match shared {
        Some(outcome) => outcome.banned_until.max(local),
        None => local,
    };
    isolate::with(|i| i.decisions.remember_ban(client, until, now));
    until.filter(|u| now < *u)
}

/// One call to the client's object; `None` when it failed (already logged).
async fn call(
    env: &Env,
    client: &ClientKey,
    command: LimitCommand,
    timeout_ms: u64,
) -> Option<LimitOutcome> {
    let exchange = async move {
        let body = serde_json::to_string(&command)?;
        let stub = env.durable_object(BINDING)?.get_by_name(client.as_str())?;
        let request = Request::new_with_init(
            "https://rate-limiter.internal/",
            RequestInit::new()
                .with_method(Method::Post)
                .with_body(Some(JsValue::from_str(&body))),
        )?;
        let mut response = stub.fetch_with_request(request).await?;
        if response.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "rate limiter answered {}",
                response.status_code()
            )));
        }
        response.json::<LimitOutcome>().await
    };
    match guarded(Backend::Limits, timeout_ms, exchange).await {
        Ok(outcome) => Some(outcome),
        Err(e) => {
            log::warn(
                "rate-limit object unavailable; counting in this isolate",
                &e,
            );
            None
        }
    }
}

/// Before the isolate has settings (never, in practice): allow, as any limiter outage does.
fn allow_blind(settings: &Settings, action: Action, now: u64) -> Decision {
    Decision::Allow {
        limit: settings.rate_policy.limit(action),
        remaining: 0,
        reset_at: now,
    }
}
