//! An in-process store for tests and experiments: a `HashMap` of the core's secret records
//! (`vanish_core::secret`, whose transitions the Worker's Durable Object applies too)
//! behind a std `Mutex`. Every method is one short critical section with no `.await`
//! inside, which is what makes `take` atomic here. Nothing survives a restart, so `vanish
//! serve` never uses it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::receipt::Receipt;
use vanish_core::secret::SecretRecord;

use super::{Managed, Material, Meta, NewRecord, SecretStore, StoreError, Swept, Take};

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, SecretRecord>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, SecretRecord>> {
        // A panic while holding the lock cannot leave an entry half-updated (each update
        // is a few field writes), so a poisoned map is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl SecretStore for MemoryStore {
    async fn put(&self, r: NewRecord) -> Result<(), StoreError> {
        let mut entries = self.lock();
        if entries.contains_key(r.id.as_str()) {
            return Err(StoreError::Backend("duplicate secret id".into()));
        }
        let material = Material {
            encrypted: r.encrypted,
            iv: r.iv,
        };
        let record = SecretRecord::new(
            material,
            r.expires_at,
            r.max_views,
            r.manage_hash,
            r.verifier_hash,
        );
        entries.insert(r.id.as_str().to_owned(), record);
        Ok(())
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError> {
        Ok(self.lock().get(id.as_str()).and_then(|e| e.meta(now_ms)))
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError> {
        Ok(match self.lock().get_mut(id.as_str()) {
            Some(e) => e.take(proof, now_ms),
            None => Take::NotFound,
        })
    }

    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        Ok(match self.lock().get_mut(id.as_str()) {
            Some(e) => e.burn(&manage, now_ms),
            None => Managed::NotFound,
        })
    }

    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        Ok(match self.lock().get(id.as_str()) {
            Some(e) => e.receipt(&manage, now_ms),
            None => Managed::NotFound,
        })
    }

    /// One pass over the whole map: it lives in memory, so there is no backlog to bound.
    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        let mut entries = self.lock();
        let mut swept = Swept::default();
        for e in entries.values_mut() {
            if e.expire(now_ms) {
                swept.expired += 1;
            }
        }
        let before = entries.len();
        entries.retain(|_, e| e.is_retained(now_ms));
        swept.purged = (before - entries.len()) as u64;
        Ok(swept)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn close(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
