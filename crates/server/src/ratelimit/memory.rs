//! The in-process limit store: windows and bans in a bounded moka cache, each entry
//! expiring when its window or ban ends. It is the limiter of a single node, and the
//! fallback of many nodes while the shared store is unreachable.
//!
//! Memory stays bounded under a flood of distinct clients: past `capacity` windows, the
//! least useful are evicted. Bans are kept apart, bounded on their own: traffic that is
//! allowed only ever adds windows, so no flood of fresh clients can push a ban out.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::ops::compute::Op;
use moka::sync::Cache;
use vanish_core::ratelimit::{Action, Policy, Tally};

use super::{ClientKey, LimitStore, Recorded};
use crate::store::StoreError;

/// A window's tally or a ban's end, with the wall-clock lifetime moka uses to drop it.
#[derive(Clone, Copy)]
struct Entry {
    /// For windows: the tally. For bans: `window_ends_at` is the ban's end.
    tally: Tally,
    lifetime: Duration,
}

struct ExpireAtEnd;

impl<K> Expiry<K, Entry> for ExpireAtEnd {
    fn expire_after_create(&self, _: &K, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.lifetime)
    }

    fn expire_after_update(
        &self,
        _: &K,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.lifetime)
    }
}

pub struct MemoryLimitStore {
    windows: Cache<(ClientKey, Action), Entry>,
    bans: Cache<ClientKey, Entry>,
}

impl MemoryLimitStore {
    /// At most `capacity` windows and, apart, at most `capacity` bans.
    pub fn new(capacity: u64) -> Self {
        Self {
            windows: Cache::builder()
                .max_capacity(capacity)
                .expire_after(ExpireAtEnd)
                .build(),
            bans: Cache::builder()
                .max_capacity(capacity)
                .expire_after(ExpireAtEnd)
                .build(),
        }
    }

    fn ban_end(&self, client: &ClientKey, now_ms: u64) -> Option<u64> {
        let ban = self.bans.get(client)?;
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
        let window = (client.clone(), action);
        let computed = self.windows.entry(window).and_compute_with(|previous| {
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
            self.bans.insert(client.clone(), ban);
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

    fn client(n: u32) -> ClientKey {
        ClientKey::of(std::net::IpAddr::from((0x0a00_0000 + n).to_be_bytes()))
    }

    #[tokio::test]
    async fn memory_stays_bounded_under_a_flood_of_distinct_clients() {
        let store = MemoryLimitStore::new(500);
        for n in 0..20_000u32 {
            store
                .record(&client(n), Action::Read, 1, 0, &P)
                .await
                .expect("record");
        }
        store.windows.run_pending_tasks();
        assert!(
            store.windows.entry_count() <= 500,
            "{} windows kept",
            store.windows.entry_count()
        );
    }

    #[tokio::test]
    async fn a_flood_of_allowed_clients_cannot_evict_a_ban() {
        // Entries live on the real clock for as long as they last: a ban long enough to
        // outlast the flood on a slow machine.
        const P: Policy = Policy {
            ban_ms: 3_600_000,
            ..super::tests::P
        };
        let store = MemoryLimitStore::new(1_000);
        let abuser = ClientKey::of("2001:db8:1::1".parse().expect("ip"));
        let banned = store
            .record(
                &abuser,
                Action::Create,
                P.ban_threshold(Action::Create),
                0,
                &P,
            )
            .await
            .expect("record");
        assert_eq!(banned.banned_until, Some(P.ban_ms));
        // Every /64 of a /48, three allowed reads each: far more clients than the store
        // tracks, each seen often enough to win a place in it.
        for _ in 0..3 {
            for n in 0..65_536u32 {
                let ip = std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, n as u16, 0, 0, 0, 1);
                store
                    .record(&ClientKey::of(ip.into()), Action::Read, 1, 1, &P)
                    .await
                    .expect("record");
            }
        }
        store.windows.run_pending_tasks();
        store.bans.run_pending_tasks();
        assert_eq!(
            store.banned_until(&abuser, 2).await.expect("lookup"),
            Some(P.ban_ms),
            "the ban outlives the flood"
        );
    }
}
