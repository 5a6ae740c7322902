//! [`FailOpenLimits`]: a shared limit store (Redis) behind its own circuit breaker, falling
//! back to an in-process store whenever the shared one fails or the circuit is open. Limits
//! thus still hold per instance while Redis is down, and a Redis outage never turns into
//! refused requests (docs/architecture.md, "Resilience").
//!
//! The local store counts every attempt, even while the shared store answers, so that
//! when the fallback takes over it starts from a warm count rather than from zero.

use std::sync::Arc;

use async_trait::async_trait;
use vanish_core::ratelimit::{Action, Policy};

use vanish_core::ratelimit::ClientKey;

use super::CircuitBreaker;
use crate::ratelimit::memory::MemoryLimitStore;
use crate::ratelimit::{LimitStore, Recorded};
use crate::store::StoreError;

pub struct FailOpenLimits {
    shared: Arc<dyn LimitStore>,
    breaker: Arc<CircuitBreaker>,
    local: MemoryLimitStore,
}

impl FailOpenLimits {
    pub fn new(
        shared: Arc<dyn LimitStore>,
        breaker: Arc<CircuitBreaker>,
        local: MemoryLimitStore,
    ) -> Self {
        Self {
            shared,
            breaker,
            local,
        }
    }
}

#[async_trait]
impl LimitStore for FailOpenLimits {
    async fn record(
        &self,
        client: &ClientKey,
        action: Action,
        attempts: u64,
        now_ms: u64,
        policy: &Policy,
    ) -> Result<Recorded, StoreError> {
        let local = self
            .local
            .record(client, action, attempts, now_ms, policy)
            .await?;
        match self
            .breaker
            .call(
                "record",
                self.shared.record(client, action, attempts, now_ms, policy),
            )
            .await
        {
            Ok(shared) => Ok(shared),
            Err(_) => Ok(local),
        }
    }

    async fn banned_until(
        &self,
        client: &ClientKey,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        let local = self.local.banned_until(client, now_ms).await?;
        match self
            .breaker
            .call("banned_until", self.shared.banned_until(client, now_ms))
            .await
        {
            Ok(shared) => Ok(shared.max(local)),
            Err(_) => Ok(local),
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.breaker.call("ping", self.shared.ping()).await
    }
}
