//! [`SingleFlightStore`]: merges concurrent metadata lookups (`peek`) of the same secret
//! into one backend call. Every other method passes straight through: a reveal, create,
//! burn or status is never merged, since each must be its own atomic operation.

use std::sync::Arc;

use async_trait::async_trait;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::receipt::Receipt;

use super::{Managed, Meta, NewRecord, SecretStore, StoreError, Swept, Take};
use crate::single_flight::SingleFlight;

type PeekResult = Result<Option<Meta>, StoreError>;

pub struct SingleFlightStore {
    inner: Arc<dyn SecretStore>,
    peeks: SingleFlight<SecretId, PeekResult>,
}

impl SingleFlightStore {
    /// `window` is how long one lookup may be joined (`DEDUP_WINDOW_MS`).
    pub fn new(inner: Arc<dyn SecretStore>, window: std::time::Duration) -> Self {
        Self {
            inner,
            peeks: SingleFlight::new(window),
        }
    }

    /// Lookups served by another caller's flight so far.
    pub fn merged(&self) -> u64 {
        self.peeks.merged()
    }
}

#[async_trait]
impl SecretStore for SingleFlightStore {
    async fn put(&self, record: NewRecord) -> Result<(), StoreError> {
        self.inner.put(record).await
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> PeekResult {
        let inner = Arc::clone(&self.inner);
        let key = id.clone();
        let lookup = async move { inner.peek(&key, now_ms).await };
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
        self.inner.take(id, proof, now_ms).await
    }

    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        self.inner.burn(id, manage, now_ms).await
    }

    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        self.inner.receipt(id, manage, now_ms).await
    }

    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        self.inner.sweep(now_ms).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.inner.close().await
    }
}
