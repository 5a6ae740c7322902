//! A circuit breaker around one backend (docs/architecture.md, "Resilience"): every call runs under the
//! per-operation timeout, timeouts and errors count as failures, and while the circuit is
//! open calls are refused at once with [`StoreError::CircuitOpen`]. The state machine is
//! `vanish_core::breaker`; this module adds the clock, the timeout and the lock.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use vanish_core::breaker::{Admission, Breaker, BreakerConfig, BreakerState};
use vanish_core::clock::Clock;

use crate::store::StoreError;
use crate::telemetry::CallSpan;
use crate::telemetry::Metrics;

pub struct CircuitBreaker {
    name: &'static str,
    /// Held only to read or update the state machine, never across an `.await`.
    state: Mutex<Breaker>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl CircuitBreaker {
    pub fn new(
        name: &'static str,
        config: BreakerConfig,
        timeout: Duration,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            name,
            state: Mutex::new(Breaker::new(config)),
            clock,
            timeout,
            metrics,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn state(&self) -> BreakerState {
        self.lock().state()
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state(), BreakerState::Open { .. })
    }

    fn lock(&self) -> MutexGuard<'_, Breaker> {
        // The state machine is updated by whole-value assignments; a poisoned lock still
        // holds a consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `call` (the store operation `op`) if the circuit admits it, under the operation
    /// timeout, and records the outcome and its latency (and, for traces, a span named
    /// after the backend and the operation, never the key). Only backend failures count:
    /// a call's answer (found or not) is a success.
    pub async fn call<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let now = self.clock.now_ms();
        if let Admission::Refuse { retry_at_ms } = self.lock().admit(now) {
            return Err(StoreError::CircuitOpen {
                retry_after_ms: retry_at_ms.saturating_sub(now),
            });
        }
        let mut pending = PendingVerdict {
            breaker: self,
            settled: false,
        };
        let mut span = CallSpan::start(
            self.name,
            op,
            &[
                ("vanish.store.backend", self.name),
                ("vanish.store.operation", op),
            ],
        );
        let started = Instant::now();
        let outcome = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Timeout),
        };
        if outcome.is_err() {
            span.fail();
        }
        span.end();
        pending.settled = true;
        let seconds = started.elapsed().as_secs_f64();
        self.metrics
            .record_store_op(self.name, op, outcome.is_ok(), seconds);
        let before = self.state();
        match &outcome {
            Ok(_) => self.lock().on_success(),
            Err(_) => self.lock().on_failure(self.clock.now_ms()),
        }
        let after = self.state();
        if before.name() != after.name() {
            tracing::warn!(
                breaker = self.name,
                from = before.name(),
                to = after.name(),
                "circuit breaker changed state"
            );
        }
        outcome
    }
}

/// Frees an admitted call's probe slot if the caller drops the call before it finishes
/// (a client went away), so a half-open circuit never stalls on probes nobody awaits.
struct PendingVerdict<'a> {
    breaker: &'a CircuitBreaker,
    settled: bool,
}

impl Drop for PendingVerdict<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.breaker.lock().on_abandon();
        }
    }
}
