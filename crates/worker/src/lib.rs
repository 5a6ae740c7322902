//! vanish-worker: vanish as a Cloudflare Worker, with the native server's API and
//! guarantees, built on the same `vanish-core`.
//!
//! Map:
//! - [`app`]: the request pipeline, in the native server's order, in one place.
//! - [`routes`]: route matching and one module per action (create, reveal, meta, manage,
//!   health, security.txt, the web UI from the static assets).
//! - [`secret_store`]: the `SecretStore` Durable Object (one per secret) and the calls to it.
//! - [`rate_limiter`]: the `RateLimiter` Durable Object (one per client), the decision
//!   cache and the in-isolate fallback.
//! - [`breaker`]: Durable Object calls through the isolate's circuit breakers.
//! - [`isolate`]: what one isolate keeps across requests.
//! - [`settings`]: Worker variables, same names and defaults as the native settings.
//! - [`protocol`]: the commands and outcomes the Worker and its objects exchange.
//! - [`log`]: JSON log lines on the console.
//! - [`error`], [`body`], [`clock`], [`random`], [`alarm`]: the small pieces.
//!
//! Built with `worker-build` for `wasm32-unknown-unknown`; `wrangler.toml` binds the
//! objects and the assets. The README's "The edge" says how to run and deploy it.

pub mod alarm;
pub mod app;
pub mod body;
pub mod breaker;
pub mod clock;
pub mod error;
pub mod isolate;
pub mod log;
pub mod protocol;
pub mod random;
pub mod rate_limiter;
pub mod routes;
pub mod secret_store;
pub mod settings;

pub use rate_limiter::object::RateLimiter;
pub use secret_store::object::SecretStore;

use worker::{Context, Env, Request, Response, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(app::serve(req, env).await)
}
