//! A store wrapper for tests that can be told to fail or hang, and that counts calls, to
//! drive the circuit breaker and to show which calls single-flight merges.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::receipt::Receipt;
use vanish_server::store::{Managed, Meta, NewRecord, SecretStore, StoreError, Swept, Take};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Healthy = 0,
    Failing = 1,
    Hanging = 2,
    /// Fails with an error, and panics, whose messages hold the call's secret material
    /// (id, ciphertext, iv), as a careless backend might: telemetry must not pass it on.
    #[allow(dead_code)] // used by the telemetry tests
    FailingLoudly = 3,
    #[allow(dead_code)]
    PanickingLoudly = 4,
}

pub struct FaultyStore {
    inner: Arc<dyn SecretStore>,
    mode: AtomicU8,
    /// Extra latency of every call, in ms.
    pub delay_ms: AtomicU64,
    pub calls: AtomicU64,
    pub peeks: AtomicU64,
    pub takes: AtomicU64,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn SecretStore>) -> Self {
        Self {
            inner,
            mode: AtomicU8::new(Mode::Healthy as u8),
            delay_ms: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            peeks: AtomicU64::new(0),
            takes: AtomicU64::new(0),
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Applies the mode and delay before a call reaches the real store; `detail` is what
    /// the loud modes put in their messages.
    async fn gate(&self) -> Result<(), StoreError> {
        self.gate_with(String::new).await
    }

    async fn gate_with(&self, detail: impl FnOnce() -> String) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        match self.mode.load(Ordering::SeqCst) {
            1 => Err(StoreError::Backend("injected failure".into())),
            2 => std::future::pending().await,
            3 => Err(StoreError::Backend(format!(
                "injected failure: {}",
                detail()
            ))),
            4 => panic!("injected panic: {}", detail()),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl SecretStore for FaultyStore {
    async fn put(&self, record: NewRecord) -> Result<(), StoreError> {
        let detail = || {
            let (id, ct, iv) = (record.id.as_str(), &record.encrypted, &record.iv);
            format!("put {id} encrypted={ct:?} iv={iv:?}")
        };
        self.gate_with(detail).await?;
        self.inner.put(record).await
    }
    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError> {
        self.peeks.fetch_add(1, Ordering::SeqCst);
        self.gate().await?;
        self.inner.peek(id, now_ms).await
    }
    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError> {
        self.takes.fetch_add(1, Ordering::SeqCst);
        self.gate_with(|| format!("take {}", id.as_str())).await?;
        self.inner.take(id, proof, now_ms).await
    }
    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        self.gate().await?;
        self.inner.burn(id, manage, now_ms).await
    }
    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        self.gate().await?;
        self.inner.receipt(id, manage, now_ms).await
    }
    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        self.gate().await?;
        self.inner.sweep(now_ms).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.gate().await?;
        self.inner.ping().await
    }
    async fn close(&self) -> Result<(), StoreError> {
        self.inner.close().await
    }
}
