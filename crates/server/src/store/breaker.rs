//! [`BreakerStore`]: any [`SecretStore`] behind a circuit breaker with a per-operation
//! timeout. Handlers see a store that answers fast: the backend's answer, or
//! `StoreError::{Timeout, CircuitOpen}` (503 `STORE_UNAVAILABLE`).
//!
//! A consume that times out may still complete in the backend; its ciphertext is then
//! never sent to anyone, and the view is spent. At most once, never twice.

use std::sync::Arc;

use async_trait::async_trait;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::receipt::Receipt;

use super::{Managed, Meta, NewRecord, SecretStore, StoreError, Swept, Take};
use crate::breaker::CircuitBreaker;

pub struct BreakerStore {
    inner: Arc<dyn SecretStore>,
    breaker: Arc<CircuitBreaker>,
}

impl BreakerStore {
    pub fn new(inner: Arc<dyn SecretStore>, breaker: Arc<CircuitBreaker>) -> Self {
        Self { inner, breaker }
    }
}

#[async_trait]
impl SecretStore for BreakerStore {
    async fn put(&self, record: NewRecord) -> Result<(), StoreError> {
        self.breaker.call("put", self.inner.put(record)).await
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError> {
        self.breaker.call("peek", self.inner.peek(id, now_ms)).await
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError> {
        self.breaker
            .call("take", self.inner.take(id, proof, now_ms))
            .await
    }

    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        self.breaker
            .call("burn", self.inner.burn(id, manage, now_ms))
            .await
    }

    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        self.breaker
            .call("receipt", self.inner.receipt(id, manage, now_ms))
            .await
    }

    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        self.breaker.call("sweep", self.inner.sweep(now_ms)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.breaker.call("ping", self.inner.ping()).await
    }

    /// Closing is not guarded: shutdown must flush even with the circuit open.
    async fn close(&self) -> Result<(), StoreError> {
        self.inner.close().await
    }
}
