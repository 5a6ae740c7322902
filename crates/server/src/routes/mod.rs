//! The HTTP routes (docs/api.md; docs/openapi.json is the machine-readable contract). Each
//! module owns its handlers and private types; this one only joins their [`Routes`]. The
//! route templates are `vanish_core::routes`, shared with the Worker. Middleware is applied
//! in `crate::pipeline`, not here.

use std::collections::BTreeSet;

use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::{Router, routing};
use vanish_core::error::ErrorCode;
use vanish_core::routes as api;

use crate::error::ApiError;
use crate::state::AppState;

mod create;
pub mod health;
mod info;
mod manage;
mod meta;
pub mod metrics;
pub mod openapi;
mod reveal;
mod security_txt;
pub mod ui;

/// A router that keeps a table of what it routes: every route is added through it, so
/// [`table`] is the server's real list of routes, which the OpenAPI document's test holds
/// docs/openapi.json to.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: BTreeSet<(&'static str, &'static str)>,
}

impl Routes {
    /// `GET` on `path`. axum answers `HEAD` with the same handler (without the body) unless
    /// the path has a `head` of its own, so both are in the table.
    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(path, &["GET", "HEAD"], routing::get(handler))
    }

    /// `HEAD` on `path`, by its own handler.
    pub fn head<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(path, &["HEAD"], routing::head(handler))
    }

    /// `POST` on `path`.
    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(path, &["POST"], routing::post(handler))
    }

    /// Both sets of routes; methods on one path join (one method twice panics, in axum).
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    fn add(
        mut self,
        path: &'static str,
        methods: &[&'static str],
        route: routing::MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.table.extend(methods.iter().map(|m| (path, *m)));
        self
    }
}

pub fn router(state: AppState) -> Router {
    let routes = if state.metrics_access.elsewhere {
        main_listener()
    } else {
        main_listener().merge(metrics::router())
    };
    routes
        .router
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state)
}

/// Every `(template, method)` the server routes, `/metrics` included (served on the main
/// listener or on `METRICS_ADDR`'s). CORS preflights (`OPTIONS` on `/api/*`) are answered
/// by the pipeline and the UI's files by the fallback, so neither is here.
pub fn table() -> BTreeSet<(&'static str, &'static str)> {
    main_listener().merge(metrics::router()).table
}

/// The routes of the main listener, whatever the metrics settings.
fn main_listener() -> Routes {
    Routes::default()
        .merge(create::router())
        .merge(reveal::router())
        .merge(meta::router())
        .merge(manage::router())
        .merge(health::router())
        .merge(info::router())
        .merge(openapi::router())
        .merge(security_txt::router())
        .merge(ui::router())
}

/// A known path, a method it does not answer: 405 with the path's own methods.
async fn method_not_allowed(route: Option<MatchedPath>) -> ApiError {
    ApiError::method_not_allowed(api::allow(route.as_ref().map(MatchedPath::as_str)))
}

/// Unknown API paths are JSON 404s; unknown page paths go to the UI's fallback.
async fn not_found(State(app): State<AppState>, req: Request) -> Response {
    if api::is_api_path(req.uri().path()) {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    ui::fallback(&app, req).await
}
