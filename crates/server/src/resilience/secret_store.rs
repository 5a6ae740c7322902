//! [`ResilientSecrets`]: a [`SecretStore`] behind its circuit breaker, with a
//! per-operation timeout, and with concurrent metadata lookups (`peek`) of one secret
//! merged into one backend call. Handlers see a store that answers fast: the backend's
//! answer, or `StoreError::{Timeout, CircuitOpen}` (503 `STORE_UNAVAILABLE`).
//!
//! Only `peek` is merged. A reveal, create, burn or status never is: each must be its own
//! atomic operation, and merging a consume would hand one recipient's ciphertext to
//! another.
//!
//! A consume that times out may still complete in the backend; its ciphertext is then
//! never sent to anyone, and the view is spent. At most once, never twice.

use std::sync::Arc;

use async_trait::async_trait;
use tracing::Instrument as _;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::receipt::Receipt;

use super::{CircuitBreaker, SingleFlight};
use crate::store::{Managed, Meta, NewRecord, SecretStore, StoreError, Swept, Take};

type PeekResult = Result<Option<Meta>, StoreError>;

pub struct ResilientSecrets {
    inner: Arc<dyn SecretStore>,
    breaker: Arc<CircuitBreaker>,
    peeks: SingleFlight<SecretId, PeekResult>,
}

impl ResilientSecrets {
    pub fn new(
        inner: Arc<dyn SecretStore>,
        breaker: Arc<CircuitBreaker>,
        peeks: SingleFlight<SecretId, PeekResult>,
    ) -> Self {
        Self {
            inner,
            breaker,
            peeks,
        }
    }
}

#[async_trait]
impl SecretStore for ResilientSecrets {
    async fn put(&self, record: NewRecord) -> Result<(), StoreError> {
        self.breaker.call("put", self.inner.put(record)).await
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> PeekResult {
        let (inner, breaker, key) = (
            Arc::clone(&self.inner),
            Arc::clone(&self.breaker),
            id.clone(),
        );
        // The shared lookup runs on its own task: it keeps the leader's span, so its log
        // lines and trace span belong to the leader's request.
        let lookup = async move { breaker.call("peek", inner.peek(&key, now_ms)).await }
            .instrument(tracing::Span::current());
        let panicked = Err(StoreError::Backend("metadata lookup panicked".into()));
        let shared = self.peeks.run(id.clone(), lookup, panicked).await?;
        // A merged answer was computed at the leader's `now`; re-apply expiry at ours.
        Ok(shared.filter(|meta| now_ms < meta.expires_at))
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
