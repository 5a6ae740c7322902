//! vanish-server: the HTTP server behind `vanish serve`.
//!
//! Map:
//! - [`config`]: every setting, from flags and environment.
//! - [`server`]: start, serve, graceful shutdown; [`app`]: shared state and the pipeline order.
//! - [`pipeline`]: one middleware per concern (request id, timing, security headers, CORS).
//! - [`routes`]: one module per action (create, reveal, meta, manage, health, UI).
//! - [`extract`]: our extractors (secret id from the path, size-limited JSON body).
//! - [`error`]: the one HTTP error type and its JSON shape.
//! - [`store`]: the `SecretStore` contract and its backends (SQLite, Redis, memory).
//! - [`sweeper`]: background removal of expired secrets.
//! - [`telemetry`]: logging setup.

pub mod app;
pub mod breaker;
pub mod clock;
pub mod config;
pub mod error;
pub mod extract;
pub mod pipeline;
pub mod ratelimit;
pub mod routes;
pub mod server;
pub mod single_flight;
pub mod store;
pub mod sweeper;
pub mod telemetry;

pub use config::Config;
pub use server::{Deps, Server};
