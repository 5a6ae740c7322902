//! Bans and rate limits at the edge of the app. A banned client gets 403 `BANNED` with
//! `Retry-After` on every route but health. Limited routes (creates; reads, metadata,
//! status, burn: `vanish_core::routes::limited_action`) spend the client's budget, every
//! attempt counting, and carry the rate-limit headers; over the limit is 429
//! `RATE_LIMITED` with `Retry-After` (docs/api.md, "Rate limits").

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::clock::Clock;
use vanish_core::error::ErrorCode;
use vanish_core::ratelimit::{self, ClientKey, Decision};
use vanish_core::routes;

use crate::error::ApiError;
use crate::ratelimit::RateLimiter;
use crate::telemetry::CallSpan;
use crate::telemetry::Metrics;

/// What the gate needs: the limiter, the clock it judges by, and where decisions are
/// counted.
pub struct Gate {
    pub limiter: Arc<RateLimiter>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

pub async fn layer(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let Some(client) = req.extensions().get::<ClientKey>().cloned() else {
        return next.run(req).await;
    };
    if route.is_some_and(routes::is_exempt_from_limits) {
        return next.run(req).await;
    }
    let now = gate.clock.now_ms();
    let action = route.and_then(|r| routes::limited_action(req.method().as_str(), r));
    let Some(action) = action else {
        let span = CallSpan::start("limiter", "banned_until", &[]);
        let banned_until = gate.limiter.banned_until(&client, now).await;
        span.end();
        if let Some(until) = banned_until {
            return banned(until, now);
        }
        return next.run(req).await;
    };
    let span = CallSpan::start(
        "limiter",
        "check",
        &[("vanish.ratelimit.action", action.as_str())],
    );
    let decision = gate.limiter.check(&client, action, now).await;
    span.end();
    gate.metrics.record_decision(action, &decision);
    let mut response = match decision {
        Decision::Ban { until } => return banned(until, now),
        Decision::Limit { reset_at, .. } => ApiError::new(ErrorCode::RateLimited)
            .with_retry_after(ratelimit::seconds_until(reset_at, now))
            .into_response(),
        Decision::Allow { .. } => next.run(req).await,
    };
    for (name, value) in ratelimit::headers(decision, gate.limiter.policy().window_ms, now) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

fn banned(until: u64, now: u64) -> Response {
    ApiError::new(ErrorCode::Banned)
        .with_retry_after(ratelimit::seconds_until(until, now))
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::http::{Method, StatusCode};
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::{get, post};
    use tower::ServiceExt as _;
    use vanish_core::clock::ManualClock;
    use vanish_core::ratelimit::Policy;

    use super::*;
    use crate::pipeline::request_id;
    use crate::pipeline::test_request::{header, json, request};
    use crate::ratelimit::CacheConfig;
    use crate::ratelimit::memory::MemoryLimitStore;

    const POLICY: Policy = Policy {
        window_ms: 60_000,
        create_per_window: 2,
        read_per_window: 100,
        abuse_multiplier: 2,
        ban_ms: 600_000,
    };

    fn app(clock: Arc<ManualClock>) -> Router {
        let metrics = Arc::new(Metrics::default());
        let cache = CacheConfig {
            ttl_ms: 1,
            max_entries: 100,
            dedup_window: Duration::from_secs(5),
        };
        let store = Arc::new(MemoryLimitStore::new(1000));
        let limiter = RateLimiter::new(POLICY, store, cache, Arc::clone(&metrics));
        let gate = Gate {
            limiter: Arc::new(limiter),
            clock,
            metrics,
        };
        let client = ClientKey::of([192, 0, 2, 1].into());
        Router::new()
            .route(routes::SECRETS, post(|| async { "created" }))
            .route(routes::HEALTHZ, get(|| async { "ok" }))
            .route("/", get(|| async { "page" }))
            .layer(from_fn_with_state(Arc::new(gate), layer))
            .layer(axum::Extension(client))
            .layer(from_fn(request_id::layer))
    }

    #[tokio::test]
    async fn a_client_is_limited_then_banned_everywhere_but_health() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let app = app(Arc::clone(&clock));
        let create = || request(Method::POST, routes::SECRETS, &[]);
        for remaining in ["1", "0"] {
            clock.advance(10);
            let ok = app.clone().oneshot(create()).await.expect("infallible");
            assert_eq!(ok.status(), StatusCode::OK);
            assert_eq!(header(&ok, "x-ratelimit-remaining"), Some(remaining));
        }
        clock.advance(10);
        let limited = app.clone().oneshot(create()).await.expect("infallible");
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(header(&limited, "retry-after").is_some());
        assert_eq!(json(limited).await["error"], "RATE_LIMITED");
        clock.advance(10);
        let banned = app.clone().oneshot(create()).await.expect("infallible");
        assert_eq!(banned.status(), StatusCode::FORBIDDEN, "4 attempts = 2 × 2");
        assert_eq!(json(banned).await["error"], "BANNED");
        clock.advance(10);
        let page = app
            .clone()
            .oneshot(request(Method::GET, "/", &[]))
            .await
            .expect("infallible");
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        let health = app
            .oneshot(request(Method::GET, routes::HEALTHZ, &[]))
            .await
            .expect("infallible");
        assert_eq!(health.status(), StatusCode::OK);
    }
}
