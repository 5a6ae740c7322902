//! An in-process store for tests and experiments: a `HashMap` behind a std `Mutex`. Every
//! method is one short critical section with no `.await` inside, which is what makes
//! `take` atomic here. Nothing survives a restart, so `vanish serve` never uses it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::limits::{MAX_FAILED_PROOFS, RECEIPT_RETENTION_MS};
use vanish_core::receipt::{Receipt, ReceiptState};

use super::{Managed, Meta, NewRecord, Revealed, SecretStore, StoreError, Swept, Take};

struct Entry {
    /// `(encrypted, iv)` while revealable; `None` once consumed, burned or expired.
    material: Option<(String, String)>,
    state: ReceiptState,
    expires_at: u64,
    max_views: u32,
    views_left: u32,
    viewed_at: Vec<u64>,
    manage_hash: TokenHash,
    verifier_hash: Option<TokenHash>,
    failed_proofs: u32,
}

impl Entry {
    fn is_revealable(&self, now_ms: u64) -> bool {
        self.state == ReceiptState::Pending && self.views_left > 0 && now_ms < self.expires_at
    }

    fn is_retained(&self, now_ms: u64) -> bool {
        now_ms < self.expires_at + RECEIPT_RETENTION_MS
    }
}

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
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
            return Err(StoreError::Backend("duplicate id".into()));
        }
        let entry = Entry {
            material: Some((r.encrypted, r.iv)),
            state: ReceiptState::Pending,
            expires_at: r.expires_at,
            max_views: r.max_views,
            views_left: r.max_views,
            viewed_at: Vec::new(),
            manage_hash: r.manage_hash,
            verifier_hash: r.verifier_hash,
            failed_proofs: 0,
        };
        entries.insert(r.id.as_str().to_owned(), entry);
        Ok(())
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError> {
        let entries = self.lock();
        Ok(entries
            .get(id.as_str())
            .filter(|e| e.is_revealable(now_ms))
            .map(|e| Meta {
                expires_at: e.expires_at,
                views_left: e.views_left,
                passphrase_required: e.verifier_hash.is_some(),
            }))
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError> {
        let mut entries = self.lock();
        let Some(e) = entries
            .get_mut(id.as_str())
            .filter(|e| e.is_revealable(now_ms))
        else {
            return Ok(Take::NotFound);
        };
        if let Some(verifier) = e.verifier_hash {
            match proof {
                None => return Ok(Take::PassphraseRequired),
                Some(p) if !verifier.matches(&p) => {
                    e.failed_proofs += 1;
                    if e.failed_proofs >= MAX_FAILED_PROOFS {
                        e.state = ReceiptState::Burned;
                        e.material = None;
                    }
                    return Ok(Take::PassphraseInvalid);
                }
                Some(_) => {}
            }
        }
        e.views_left -= 1;
        e.viewed_at.push(now_ms);
        let (encrypted, iv) = if e.views_left == 0 {
            e.state = ReceiptState::Viewed;
            e.material.take()
        } else {
            e.material.clone()
        }
        .ok_or_else(|| StoreError::Backend("revealable entry without material".into()))?;
        Ok(Take::Revealed(Revealed {
            encrypted,
            iv,
            views_left: e.views_left,
        }))
    }

    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        let mut entries = self.lock();
        let Some(e) = entries
            .get_mut(id.as_str())
            .filter(|e| e.is_retained(now_ms))
        else {
            return Ok(Managed::NotFound);
        };
        if !e.manage_hash.matches(&manage) {
            return Ok(Managed::Forbidden);
        }
        if e.is_revealable(now_ms) {
            e.state = ReceiptState::Burned;
            e.material = None;
        }
        Ok(Managed::Done(()))
    }

    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        let entries = self.lock();
        let Some(e) = entries.get(id.as_str()).filter(|e| e.is_retained(now_ms)) else {
            return Ok(Managed::NotFound);
        };
        if !e.manage_hash.matches(&manage) {
            return Ok(Managed::Forbidden);
        }
        Ok(Managed::Done(Receipt {
            stored_state: e.state,
            max_views: e.max_views,
            views_left: e.views_left,
            viewed_at: e.viewed_at.clone(),
            expires_at: e.expires_at,
        }))
    }

    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        let mut entries = self.lock();
        let mut swept = Swept::default();
        for e in entries
            .values_mut()
            .filter(|e| now_ms >= e.expires_at && e.material.is_some())
        {
            e.material = None;
            if e.state == ReceiptState::Pending {
                e.state = ReceiptState::Expired;
            }
            swept.expired += 1;
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
