//! The Worker's routes: the same paths, methods and answers as the native server
//! (docs/api.md), matched by hand into [`Route`] and handled one module per action. The
//! route templates and the methods are `vanish_core::routes`, shared with the server.

mod create;
mod health;
mod manage;
mod meta;
mod reveal;
mod security_txt;
pub mod ui;

use vanish_core::error::ErrorCode;
use vanish_core::id::SecretId;
use vanish_core::routes as paths;
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::settings::Settings;

/// What a request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Create,
    /// The original's consuming `GET /api/secrets/{id}`.
    RevealByGet(String),
    /// `POST /api/secrets/{id}/reveal`.
    Reveal(String),
    Meta(String),
    /// `HEAD` on a secret or its metadata: existence only.
    Exists(String),
    Burn(String),
    Status(String),
    Health,
    Healthz,
    Readyz,
    SecurityTxt,
    Index,
    RevealPage,
    /// Anything else outside the API: a UI asset, if there is one by that name.
    Asset(String),
    /// A known path with a method it does not answer; the path's methods, for `Allow`.
    MethodNotAllowed(&'static str),
    /// An unknown path under `/api`.
    ApiNotFound,
}

/// A matched request: its route and the template logs and limits know it by.
#[derive(Debug, Clone)]
pub struct Matched {
    pub route: Route,
    pub template: Option<&'static str>,
}

/// Matches a method and raw path. HEAD is matched explicitly everywhere, so it never falls
/// through to a consuming GET.
pub fn match_route(method: &str, path: &str) -> Matched {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (template, route) = match segments.as_slice() {
        ["api", "secrets"] => (paths::SECRETS, only(method == "POST", Route::Create)),
        ["api", "secrets", id] if !id.is_empty() => (
            paths::SECRET,
            match method {
                "GET" => Route::RevealByGet((*id).to_owned()),
                "HEAD" => Route::Exists((*id).to_owned()),
                _ => Route::MethodNotAllowed(paths::ALLOWED_METHODS),
            },
        ),
        ["api", "secrets", id, action] if !id.is_empty() => {
            match secret_action(method, id, action) {
                Some(matched) => matched,
                None => return unmatched(path),
            }
        }
        ["api", "health"] => (paths::HEALTH, only(is_get(method), Route::Health)),
        ["healthz"] => (paths::HEALTHZ, only(is_get(method), Route::Healthz)),
        ["readyz"] => (paths::READYZ, only(is_get(method), Route::Readyz)),
        [".well-known", "security.txt"] => (
            "/.well-known/security.txt",
            only(is_get(method), Route::SecurityTxt),
        ),
        [""] => ("/", only(is_get(method), Route::Index)),
        ["s", id] if !id.is_empty() => ("/s/{id}", only(is_get(method), Route::RevealPage)),
        _ => return unmatched(path),
    };
    // A 405 names the resource's own methods (docs/decisions.md, "`Allow`").
    let route = match route {
        Route::MethodNotAllowed(_) => Route::MethodNotAllowed(paths::allow(Some(template))),
        route => route,
    };
    Matched {
        route,
        template: Some(template),
    }
}

fn secret_action(method: &str, id: &str, action: &str) -> Option<(&'static str, Route)> {
    let id = id.to_owned();
    Some(match action {
        "meta" => (
            paths::META,
            match method {
                "GET" => Route::Meta(id),
                "HEAD" => Route::Exists(id),
                _ => Route::MethodNotAllowed(paths::ALLOWED_METHODS),
            },
        ),
        "reveal" => (paths::REVEAL, only(method == "POST", Route::Reveal(id))),
        "burn" => (paths::BURN, only(method == "POST", Route::Burn(id))),
        "status" => (paths::STATUS, only(method == "POST", Route::Status(id))),
        _ => return None,
    })
}

fn unmatched(path: &str) -> Matched {
    let route = if paths::is_api_path(path) {
        Route::ApiNotFound
    } else {
        Route::Asset(path.trim_start_matches('/').to_owned())
    };
    Matched {
        route,
        template: None,
    }
}

fn is_get(method: &str) -> bool {
    method == "GET" || method == "HEAD"
}

/// `route` if the method is one it answers, else a 405 (whose `Allow` `match_route` sets).
fn only(allowed: bool, route: Route) -> Route {
    if allowed {
        route
    } else {
        Route::MethodNotAllowed(paths::ALLOWED_METHODS)
    }
}

/// What handlers get besides the request.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub settings: &'a Settings,
    pub now: u64,
}

/// Runs the handler of `route`.
pub async fn handle(ctx: &Ctx<'_>, route: Route, req: &mut Request) -> Result<Response, ApiError> {
    match route {
        Route::Create => create::create(ctx, req).await,
        Route::RevealByGet(id) => reveal::consume(ctx, &parse_id(&id)?, None).await,
        Route::Reveal(id) => reveal::reveal(ctx, &parse_id(&id)?, req).await,
        Route::Meta(id) => meta::meta(ctx, &parse_id(&id)?).await,
        Route::Exists(id) => meta::exists(ctx, &parse_id(&id)?).await,
        Route::Burn(id) => manage::burn(ctx, &parse_id(&id)?, req).await,
        Route::Status(id) => manage::status(ctx, &parse_id(&id)?, req).await,
        Route::Health => health::health(),
        Route::Healthz => health::live(),
        Route::Readyz => health::ready(),
        Route::SecurityTxt => security_txt::serve(ctx),
        Route::Index => ui::page(ctx, "index.html").await,
        Route::RevealPage => ui::page(ctx, "reveal.html").await,
        Route::Asset(name) => ui::asset(ctx, &name, req.method().as_ref()).await,
        Route::MethodNotAllowed(allow) => Err(ApiError::method_not_allowed(allow)),
        Route::ApiNotFound => Err(ApiError::new(ErrorCode::NotFound)),
    }
}

/// The `{id}` segment; a malformed id is 400 `INVALID_ID`.
fn parse_id(raw: &str) -> Result<SecretId, ApiError> {
    SecretId::parse(raw).ok_or_else(|| ApiError::new(ErrorCode::InvalidId))
}

/// A JSON response with `status`.
pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Ok(Response::from_json(value)?.with_status(status))
}
