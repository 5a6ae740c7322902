//! Resilience: what stands between the app and a backend that may fail or hang. Handlers
//! and the limiter never see it; they see the same store traits, wrapped.
//!
//! - [`breaker`]: a circuit breaker around one backend, with the per-operation timeout
//!   (the state machine itself is `vanish_core::breaker`).
//! - [`single_flight`]: concurrent identical lookups share one backend call.
//! - [`secret_store`]: a [`SecretStore`] behind its breaker, with merged metadata lookups.
//! - [`limit_store`]: a shared [`LimitStore`] behind its breaker, failing open to an
//!   in-process one.
//!
//! [`Resilience`] is the one entry: it makes the breakers from the settings and wraps each
//! backend (docs/architecture.md, "Resilience").

pub mod breaker;
pub mod limit_store;
pub mod secret_store;
pub mod single_flight;

use std::sync::Arc;
use std::time::Duration;

use vanish_core::breaker::BreakerConfig;
use vanish_core::clock::Clock;

pub use breaker::CircuitBreaker;
pub use limit_store::FailOpenLimits;
pub use secret_store::ResilientSecrets;
pub use single_flight::SingleFlight;

use crate::ratelimit::LimitStore;
use crate::ratelimit::memory::MemoryLimitStore;
use crate::store::SecretStore;
use crate::telemetry::Metrics;

/// How backends are guarded.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub breaker: BreakerConfig,
    /// Timeout of each backend operation; a timeout counts as a failure.
    pub operation_timeout: Duration,
    /// Longest a single-flight lookup may be joined.
    pub dedup_window: Duration,
}

/// Wraps backends and keeps their breakers, for readiness and metrics.
pub struct Resilience {
    settings: Settings,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    breakers: Vec<Arc<CircuitBreaker>>,
}

impl Resilience {
    pub fn new(settings: Settings, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Self {
        Self {
            settings,
            clock,
            metrics,
            breakers: Vec::new(),
        }
    }

    fn breaker(&mut self, name: &'static str) -> Arc<CircuitBreaker> {
        let breaker = Arc::new(CircuitBreaker::new(
            name,
            self.settings.breaker,
            self.settings.operation_timeout,
            Arc::clone(&self.clock),
            Arc::clone(&self.metrics),
        ));
        self.breakers.push(Arc::clone(&breaker));
        breaker
    }

    /// The secret store behind the `secrets` breaker, metadata lookups merged.
    pub fn secrets(&mut self, store: Arc<dyn SecretStore>) -> Arc<dyn SecretStore> {
        let breaker = self.breaker("secrets");
        Arc::new(ResilientSecrets::new(
            store,
            breaker,
            SingleFlight::new(
                self.settings.dedup_window,
                Arc::clone(&self.metrics.merged.metadata),
            ),
        ))
    }

    /// A shared limit store behind the `limits` breaker, failing open to `local`.
    pub fn limits(
        &mut self,
        shared: Arc<dyn LimitStore>,
        local: MemoryLimitStore,
    ) -> Arc<dyn LimitStore> {
        let breaker = self.breaker("limits");
        Arc::new(FailOpenLimits::new(shared, breaker, local))
    }

    /// Every breaker made so far, in the order made.
    pub fn into_breakers(self) -> Arc<[Arc<CircuitBreaker>]> {
        self.breakers.into()
    }
}
