//! The request pipeline, in the native server's order (docs/architecture.md): request id →
//! response time → access log → security headers → CORS → request shape (method, URL,
//! headers, declared body size) → ban check and rate limit → route handler → Durable
//! Object (through its circuit breaker). Applied in this one place.

use std::net::{IpAddr, Ipv4Addr};

use vanish_core::cors::{self, ALLOW_HEADERS, ALLOW_METHODS, PREFLIGHT_MAX_AGE_S, Verdict};
use vanish_core::error::ErrorCode;
use vanish_core::headers::{API_CSP, SECURITY_HEADERS};
use vanish_core::ratelimit::{self, ClientKey, Decision};
use vanish_core::request::{header_bytes, is_acceptable_request_id, response_time};
use vanish_core::routes as paths;
use worker::{Env, Headers, Request, Response, Url};

use crate::error::ApiError;
use crate::log::{self, AccessLine};
use crate::routes::{self, Ctx, Matched};
use crate::settings::Settings;
use crate::{clock, isolate, random, rate_limiter};

/// Headers Cloudflare's edge (and `wrangler dev`) adds to a request besides `cf-*` ones:
/// not the client's, so not counted against `MAX_HEADER_SIZE`.
const EDGE_HEADERS: &[&str] = &[
    "cdn-loop",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-real-ip",
];

/// What the pipeline knows of a request before reading its body.
struct Incoming {
    method: String,
    path: String,
    /// Bytes of the request target (path and query).
    target_len: usize,
    matched: Matched,
}

/// Serves one request; every response, errors included, leaves through here.
pub async fn serve(mut req: Request, env: Env) -> Response {
    let started = clock::now_ms();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let request_id = header("x-request-id")
        .filter(|id| is_acceptable_request_id(id))
        .unwrap_or_else(random::request_id);
    let method = req.method().to_string();
    let (path, target_len) = match req.url() {
        Ok(url) => (url.path().to_owned(), target_length(&url)),
        Err(_) => ("/".to_owned(), 0),
    };
    let matched = routes::match_route(&method, &path);
    let mut line = AccessLine {
        request_id,
        method: method.clone(),
        route: matched.template.unwrap_or("<unmatched>"),
        cf_ray: header("cf-ray"),
        cf_ipcountry: header("cf-ipcountry").or_else(|| req.cf().and_then(|cf| cf.country())),
        user_agent: header("user-agent"),
        ..AccessLine::default()
    };
    let incoming = Incoming {
        method,
        path,
        target_len,
        matched,
    };
    let is_api = paths::is_api_path(&incoming.path);
    let (mut response, echo_origin) = pipeline(&mut req, &env, incoming, &mut line).await;
    let duration_ms = clock::now_ms().saturating_sub(started) as f64;
    decorate(
        &mut response,
        is_api,
        echo_origin.as_deref(),
        &line.request_id,
        duration_ms,
    );
    line.status = response.status_code();
    line.duration_ms = duration_ms;
    log::access(line);
    response
}

/// CORS, shape checks, bans and limits, then the handler. Returns the response and the
/// origin to echo in `Access-Control-Allow-Origin`, if granted.
async fn pipeline(
    req: &mut Request,
    env: &Env,
    incoming: Incoming,
    line: &mut AccessLine,
) -> (Response, Option<String>) {
    let settings = match isolate::settings(env) {
        Ok(settings) => settings,
        Err(e) => return (render(ApiError::internal(e), line), None),
    };
    let origin = req.headers().get("origin").ok().flatten();
    let host = req.headers().get("host").ok().flatten();
    let verdict = settings.cors.judge(cors::Request {
        path: &incoming.path,
        method: &incoming.method,
        origin: origin.as_deref(),
        host: host.as_deref(),
    });
    let echo = match verdict {
        Verdict::Refuse => return (render(ApiError::new(ErrorCode::CorsForbidden), line), None),
        Verdict::Preflight { granted } => {
            let echo = origin.filter(|_| granted);
            return (
                preflight(paths::allow(incoming.matched.template), granted),
                echo,
            );
        }
        Verdict::Serve { echo_origin } => origin.filter(|_| echo_origin),
    };
    if let Err(e) = check_shape(req, &settings, &incoming) {
        return (render(e, line), echo);
    }
    let client_ip = client_ip(req);
    if settings.log_client_ip {
        line.client_ip = Some(client_ip.to_string());
    }
    let ctx = Ctx {
        env,
        settings: &settings,
        now: clock::now_ms(),
    };
    let response = limited(&ctx, req, incoming, &ClientKey::of(client_ip), line).await;
    (response, echo)
}

/// Refuses requests by their shape before any work (docs/api.md).
fn check_shape(req: &Request, settings: &Settings, incoming: &Incoming) -> Result<(), ApiError> {
    if !paths::is_allowed_method(&incoming.method) {
        return Err(ApiError::method_not_allowed(paths::allow(
            incoming.matched.template,
        )));
    }
    if incoming.target_len > settings.max_url_length {
        return Err(ApiError::new(ErrorCode::UriTooLong));
    }
    let sent: Vec<(String, String)> = req
        .headers()
        .entries()
        .filter(|(name, _)| !name.starts_with("cf-") && !EDGE_HEADERS.contains(&name.as_str()))
        .collect();
    if header_bytes(sent.iter().map(|(n, v)| (n.as_str(), v.as_bytes()))) > settings.max_header_size
    {
        return Err(ApiError::new(ErrorCode::HeadersTooLarge));
    }
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > settings.max_request_size as u64) {
        return Err(ApiError::new(ErrorCode::PayloadTooLarge));
    }
    Ok(())
}

/// Bans and rate limits around the handler: a banned client gets 403 `BANNED` on every
/// route but health; limited routes spend their budget, and their answers (errors
/// included) carry the rate-limit headers.
async fn limited(
    ctx: &Ctx<'_>,
    req: &mut Request,
    incoming: Incoming,
    client: &ClientKey,
    line: &mut AccessLine,
) -> Response {
    let Matched { route, template } = incoming.matched;
    let now = ctx.now;
    if template.is_some_and(paths::is_exempt_from_limits) {
        return handled(ctx, route, req, line).await;
    }
    let Some(action) = template.and_then(|t| paths::limited_action(&incoming.method, t)) else {
        if let Some(until) = rate_limiter::banned_until(ctx.env, ctx.settings, client, now).await {
            return render(banned(until, now), line);
        }
        return handled(ctx, route, req, line).await;
    };
    let decision = rate_limiter::check(ctx.env, ctx.settings, client, action, now).await;
    let mut response = match decision {
        Decision::Ban { until } => return render(banned(until, now), line),
        Decision::Limit { reset_at, .. } => {
            let limited = ApiError::new(ErrorCode::RateLimited)
                .with_retry_after(ratelimit::seconds_until(reset_at, now));
            render(limited, line)
        }
        Decision::Allow { .. } => handled(ctx, route, req, line).await,
    };
    for (name, value) in ratelimit::headers(decision, ctx.settings.rate_policy.window_ms, now) {
        let _ = response.headers_mut().set(name, &value);
    }
    response
}

async fn handled(
    ctx: &Ctx<'_>,
    route: routes::Route,
    req: &mut Request,
    line: &mut AccessLine,
) -> Response {
    match routes::handle(ctx, route, req).await {
        Ok(response) => response,
        Err(e) => render(e, line),
    }
}

/// An error as its response; its cause goes into the request's log line.
fn render(e: ApiError, line: &mut AccessLine) -> Response {
    if e.cause.is_some() {
        line.error.clone_from(&e.cause);
    }
    e.into_response(&line.request_id)
}

fn banned(until: u64, now: u64) -> ApiError {
    ApiError::new(ErrorCode::Banned).with_retry_after(ratelimit::seconds_until(until, now))
}

/// A CORS preflight on `/api/*`: 204 with the resource's methods in `Allow`, plus the
/// grant when the origin is allowed (the origin itself is echoed by [`decorate`]).
fn preflight(allow: &str, granted: bool) -> Response {
    let headers = Headers::new();
    let _ = headers.set("allow", allow);
    if granted {
        let _ = headers.set("access-control-allow-methods", ALLOW_METHODS);
        let _ = headers.set("access-control-allow-headers", ALLOW_HEADERS);
        let _ = headers.set("access-control-max-age", PREFLIGHT_MAX_AGE_S);
    }
    Response::builder()
        .with_status(204)
        .with_headers(headers)
        .empty()
}

/// Headers every response carries (docs/api.md, "Every response").
fn decorate(
    response: &mut Response,
    is_api: bool,
    echo_origin: Option<&str>,
    request_id: &str,
    duration_ms: f64,
) {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        let _ = headers.set(name, value);
    }
    if !headers.has("content-security-policy").unwrap_or(false) {
        let _ = headers.set("content-security-policy", API_CSP);
    }
    if is_api {
        let _ = headers.set("cache-control", "no-store");
        let _ = headers.set("pragma", "no-cache");
    }
    if let Some(origin) = echo_origin {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.append("vary", "Origin");
    }
    let _ = headers.set("x-request-id", request_id);
    let _ = headers.set("x-response-time", &response_time(duration_ms));
}

/// The client: `CF-Connecting-IP`, which Cloudflare's edge sets on every request (and
/// `wrangler dev` sets when absent). Without it, all such requests share one budget.
fn client_ip(req: &Request) -> IpAddr {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Bytes of the request target: the path and, if any, `?` and the query.
fn target_length(url: &Url) -> usize {
    url.path().len() + url.query().map_or(0, |q| q.len() + 1)
}
