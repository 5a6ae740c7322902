//! Bans and rate limits at the edge of the app (DESIGN §5). A banned client gets 403
//! `BANNED` with `Retry-After` on every route but health. Limited routes (creates; reads,
//! metadata, status, burn) spend the client's budget, every attempt counting, and carry the
//! rate-limit headers; over the limit is 429 `RATE_LIMITED` with `Retry-After`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;
use vanish_core::ratelimit::{self, Action, Decision};

use crate::app::AppState;
use crate::error::ApiError;
use crate::ratelimit::ClientKey;

/// Routes no ban or limit applies to, so probes and monitors always get through.
const HEALTH_ROUTES: &[&str] = &["/api/health", "/healthz", "/readyz"];

pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let Some(client) = req.extensions().get::<ClientKey>().cloned() else {
        return next.run(req).await;
    };
    if route.as_deref().is_some_and(|r| HEALTH_ROUTES.contains(&r)) {
        return next.run(req).await;
    }
    let now = app.clock.now_ms();
    let Some(action) = action_for(req.method(), route.as_deref()) else {
        if let Some(until) = app.limiter.banned_until(&client, now).await {
            return banned(until, now);
        }
        return next.run(req).await;
    };
    let decision = app.limiter.check(&client, action, now).await;
    app.metrics.record_decision(action, &decision);
    let mut response = match decision {
        Decision::Ban { until } => return banned(until, now),
        Decision::Limit { reset_at, .. } => ApiError::new(ErrorCode::RateLimited)
            .with_retry_after(ratelimit::seconds_until(reset_at, now))
            .into_response(),
        Decision::Allow { .. } => next.run(req).await,
    };
    for (name, value) in ratelimit::headers(decision, app.limiter.policy().window_ms, now) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// Which budget a request spends, by its matched route.
fn action_for(method: &Method, route: Option<&str>) -> Option<Action> {
    match route? {
        "/api/secrets" if method == Method::POST => Some(Action::Create),
        r if r.starts_with("/api/secrets/{id}") && method != Method::OPTIONS => Some(Action::Read),
        _ => None,
    }
}

fn banned(until: u64, now: u64) -> Response {
    ApiError::new(ErrorCode::Banned)
        .with_retry_after(ratelimit::seconds_until(until, now))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_reads_spend_their_own_budgets() {
        assert_eq!(
            action_for(&Method::POST, Some("/api/secrets")),
            Some(Action::Create)
        );
        assert_eq!(
            action_for(&Method::GET, Some("/api/secrets/{id}")),
            Some(Action::Read)
        );
        assert_eq!(
            action_for(&Method::HEAD, Some("/api/secrets/{id}/meta")),
            Some(Action::Read)
        );
        assert_eq!(
            action_for(&Method::POST, Some("/api/secrets/{id}/burn")),
            Some(Action::Read)
        );
        assert_eq!(action_for(&Method::GET, Some("/")), None);
        assert_eq!(action_for(&Method::GET, None), None);
    }
}
