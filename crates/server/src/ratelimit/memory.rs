//! The in-process limit store: windows and bans in a bounded moka cache, each entry
//! expiring when its window or ban ends. It is the limiter of a single node, and the
//! fallback of many nodes while the shared store is unreachable.
//!
//! Memory stays bounded under a flood of distinct clients: past `capacity` entries, the
//! least useful are evicted (a flood can thus evict a ban early; the flooding clients are
//! then counted afresh and banned again).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::ops::compute::Op;
use moka::sync::Cache;
use vanish_core::ratelimit::{Action, Policy, Tally};

use super::{ClientKey, LimitStore, Recorded};
use crate::store::StoreError;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Window(ClientKey, Action),
    Ban(ClientKey),
}

/// A window's tally or a ban's end, with the wall-clock lifetime moka uses to drop it.
#[derive(Clone, Copy)]
struct Entry {
    /// For windows: the tally. For bans: `window_ends_at` is the ban's end.
    tally: Tally,
    lifetime: Duration,
}

struct ExpireAtEnd;

impl Expiry<Key, Entry> for ExpireAtEnd {
    fn expire_after_create(&self, _: &Key, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.lifetime)
    }

    fn expire_after_update(
        &self,
        _: &Key,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.lifetime)
    }
}

pub struct MemoryLimitStore {
    entries: Cache<Key, Entry>,
}

impl MemoryLimitStore {
    pub fn new(capacity: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(capacity)
                .expire_after(ExpireAtEnd)
                .build(),
        }
    }

    fn ban_end(&self, client: &ClientKey, now_ms: u64) -> Option<u64> {
        let ban = self.entries.get(&Key::Ban(client.clone()))?;
        (now_ms < ban.tally.window_ends_at).then_some(ban.tally.window_ends_at)
    }
}

/// Wall-clock lifetime of an entry ending at `end_ms`; time is the caller's clock, so this
/// only bounds how long memory is held, never a decision.
fn lifetime(end_ms: u64, now_ms: u64) -> Duration {
    Duration::from_millis(end_ms.saturating_sub(now_ms).max(1))
}

#[async_trait]
impl LimitStore for MemoryLimitStore {
    async fn record(
        &self,
        client: &ClientKey,
        action: Action,
        attempts: u64,
        now_ms: u64,
        policy: &Policy,
    ) -> Result<Recorded, StoreError> {
        // `and_compute_with` runs the closure under moka's per-key lock: the read and the
        // write of one window are atomic with respect to other callers.
        let window = Key::Window(client.clone(), action);
        let computed = self.entries.entry(window).and_compute_with(|previous| {
            let tally = policy.count(previous.map(|e| e.into_value().tally), attempts, now_ms);
            Op::Put(Entry {
                tally,
                lifetime: lifetime(tally.window_ends_at, now_ms),
            })
        });
        let tally = computed
            .into_entry()
            .map(|e| e.into_value().tally)
            .ok_or_else(|| StoreError::Backend("window not stored".into()))?;
        if tally.count >= policy.ban_threshold(action) && self.ban_end(client, now_ms).is_none() {
            let until = now_ms + policy.ban_ms;
            let ban = Entry {
                tally: Tally {
                    count: 0,
                    window_ends_at: until,
                },
                lifetime: lifetime(until, now_ms),
            };
            self.entries.insert(Key::Ban(client.clone()), ban);
        }
        Ok(Recorded {
            tally,
            banned_until: self.ban_end(client, now_ms),
        })
    }

    async fn banned_until(
        &self,
        client: &ClientKey,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        Ok(self.ban_end(client, now_ms))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        window_ms: 1000,
        create_per_window: 2,
        read_per_window: 5,
        abuse_multiplier: 3,
        ban_ms: 10_000,
    };

    #[tokio::test]
    async fn memory_stays_bounded_under_a_flood_of_distinct_clients() {
        let store = MemoryLimitStore::new(500);
        for n in 0..20_000u32 {
            let flooder = ClientKey(format!("flood-{n}"));
            store
                .record(&flooder, Action::Read, 1, 0, &P)
                .await
                .expect("record");
        }
        store.entries.run_pending_tasks();
        assert!(
            store.entries.entry_count() <= 500,
            "{} entries kept",
            store.entries.entry_count()
        );
    }
}
