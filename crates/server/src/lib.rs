//! vanish-server: the HTTP server behind `vanish serve` (docs/architecture.md is the map of
//! the whole workspace; this is the map of this crate).
//!
//! - [`config`]: every setting, from flags and environment, typed once.
//! - [`server`]: open the backends, start, serve, shut down gracefully.
//! - [`app`]: the routes wrapped in the pipeline, in one call.
//! - [`pipeline`]: one middleware per concern, each with its own small state, and their
//!   order.
//! - [`routes`]: one module per action (create, reveal, meta, manage, health, metrics,
//!   security.txt, UI); [`state`]: what the handlers share.
//! - [`extract`]: our extractors (secret id from the path, size-limited JSON body).
//! - [`error`]: the one HTTP error type and its JSON shape.
//! - [`store`]: the `SecretStore` contract and its backends (SQLite, Redis, memory).
//! - [`ratelimit`]: the limiter, its decision cache and its stores (memory, Redis).
//! - [`resilience`]: circuit breakers, single-flight, and the store wrappers that apply
//!   them.
//! - [`sweeper`]: background removal of expired secrets.
//! - [`telemetry`]: logging setup, metrics, the summary line.

pub mod app;
pub mod clock;
pub mod config;
pub mod error;
pub mod extract;
pub mod pipeline;
pub mod ratelimit;
pub mod resilience;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod sweeper;
pub mod telemetry;

pub use app::Deps;
pub use config::Config;
pub use server::Server;
