//! The application: [`AppState`] (built once; a clone is one reference count, since every
//! middleware layer clones it per request) and [`router`], which applies the middleware
//! pipeline in DESIGN §2's order in this one place.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use vanish_core::clock::Clock;
use vanish_core::limits::Limits;

use ipnet::IpNet;

use crate::breaker::CircuitBreaker;
use crate::config::Config;
use crate::pipeline::{
    access_log, catch_panic, client_ip, cors, rate_limit, request_id, request_limits,
    security_headers, timeout, timing,
};
use crate::ratelimit::RateLimiter;
use crate::routes::{self, ui::Ui};
use crate::store::SecretStore;
use crate::store::single_flight::SingleFlightStore;
use crate::telemetry::Metrics;

/// Everything handlers and middleware need, shared by all requests. Read its fields
/// through `Deref` (`app.store`, `app.clock`, …).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state behind [`AppState`].
pub struct Shared {
    /// The secret store, already behind its circuit breaker and single-flight.
    pub store: Arc<dyn SecretStore>,
    pub limiter: Arc<RateLimiter>,
    /// Every circuit breaker, for readiness and logs.
    pub breakers: Arc<[Arc<CircuitBreaker>]>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    pub single_flight: Arc<SingleFlightStore>,
    /// Bearer token `/metrics` requires, when set.
    pub metrics_token: Option<Arc<str>>,
    /// `/metrics` has its own listener (`METRICS_ADDR`) and is not on the main one.
    pub metrics_elsewhere: bool,
    pub limits: Limits,
    pub request_limits: RequestLimits,
    pub max_request_size: usize,
    pub request_timeout: Duration,
    pub trusted_proxies: Arc<[IpNet]>,
    pub log_client_ip: bool,
    /// `scheme://host[:port]` of `PUBLIC_URL`, when set.
    pub public_url: Option<Arc<str>>,
    pub allowed_origins: Arc<[String]>,
    pub security_contact: Arc<str>,
    pub ui: Ui,
    pub lifecycle: Arc<Lifecycle>,
}

/// Bounds on a request's shape, checked before any work.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    pub max_url_length: usize,
    pub max_header_size: usize,
}

/// The backends a state is built on, already wrapped (see `server::wire`).
pub struct Backends {
    pub store: Arc<dyn SecretStore>,
    /// The same store, typed, for its merge count.
    pub single_flight: Arc<SingleFlightStore>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    pub breakers: Vec<Arc<CircuitBreaker>>,
}

impl AppState {
    pub fn new(config: &Config, backends: Backends, clock: Arc<dyn Clock>) -> Self {
        Self(Arc::new(Shared {
            store: backends.store,
            limiter: backends.limiter,
            breakers: backends.breakers.into(),
            clock,
            metrics: backends.metrics,
            single_flight: backends.single_flight,
            metrics_token: config.metrics_token.clone().map(Arc::from),
            metrics_elsewhere: config.metrics_addr.is_some(),
            limits: config.limits(),
            request_limits: RequestLimits {
                max_url_length: config.max_url_length,
                max_header_size: config.max_header_size,
            },
            max_request_size: config.max_request_size,
            request_timeout: Duration::from_millis(config.request_timeout_ms),
            trusted_proxies: config.trusted_networks().into(),
            log_client_ip: config.log_client_ip,
            public_url: config.public_url.as_deref().map(origin_of).map(Arc::from),
            allowed_origins: config
                .allowed_origins
                .iter()
                .filter(|o| !o.is_empty())
                .cloned()
                .collect(),
            security_contact: Arc::from(config.security_contact.as_str()),
            ui: config.ui_dir.clone().map_or(Ui::Embedded, Ui::Dir),
            lifecycle: Arc::new(Lifecycle::default()),
        }))
    }
}

/// `https://example.com/base/` → `https://example.com`.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

/// Process-wide run state that readiness reports.
#[derive(Debug, Default)]
pub struct Lifecycle {
    shutting_down: AtomicBool,
}

impl Lifecycle {
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

/// The whole app: routes wrapped in the pipeline. `.layer` calls read bottom-up: the last
/// one is the outermost, so the order below is DESIGN §2's from the inside out.
pub fn router(state: AppState) -> Router {
    routes::router(state.clone())
        .layer(from_fn_with_state(state.clone(), timeout::layer))
        .layer(from_fn_with_state(state.clone(), rate_limit::layer))
        .layer(from_fn_with_state(state.clone(), request_limits::layer))
        .layer(from_fn_with_state(state.clone(), cors::layer))
        .layer(from_fn(security_headers::layer))
        .layer(from_fn_with_state(state.clone(), access_log::layer))
        .layer(from_fn(timing::layer))
        .layer(from_fn_with_state(state.clone(), client_ip::layer))
        .layer(from_fn(catch_panic::layer))
        // Outermost: every response, errors included, gets its id and its error body here.
        .layer(from_fn(request_id::layer))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origin_drops_path() {
        assert_eq!(origin_of("https://v.example/base/"), "https://v.example");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
