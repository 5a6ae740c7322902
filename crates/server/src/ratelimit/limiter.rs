//! [`RateLimiter`]: decides each request from its client's counts, with a decision cache
//! in front of the [`LimitStore`].
//!
//! The cache keeps denials (limited, banned) and ban lookups for `CACHE_RATE_LIMIT_TTL_MS`,
//! so a client far over its limit costs about one store call per TTL per instance. Denied
//! attempts answered from the cache are not lost: they are added to the next call that
//! reaches the store. Allowed attempts are never answered from the cache, since each must
//! be counted before it is allowed. Cached entries are also checked against the injected
//! clock, so a window's end or a ban's end takes effect exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use vanish_core::ratelimit::{Action, Decision, Policy};

use super::{ClientKey, LimitStore};
use crate::single_flight::SingleFlight;
use crate::store::StoreError;

/// A denial remembered for a short while, with the attempts it answered since.
struct CachedDenial {
    decision: Decision,
    valid_until_ms: u64,
    unrecorded: AtomicU64,
}

/// A ban lookup remembered for a short while.
#[derive(Clone, Copy)]
struct CachedBan {
    banned_until: Option<u64>,
    valid_until_ms: u64,
}

/// Cache hit and miss counts, for metrics.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

pub struct RateLimiter {
    policy: Policy,
    store: Arc<dyn LimitStore>,
    ttl_ms: u64,
    denials: Cache<(ClientKey, Action), Arc<CachedDenial>>,
    bans: Cache<ClientKey, CachedBan>,
    ban_lookups: SingleFlight<ClientKey, Result<Option<u64>, StoreError>>,
    pub stats: CacheStats,
}

/// Cache sizing and lifetime.
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    pub ttl_ms: u64,
    pub max_entries: u64,
}

impl RateLimiter {
    pub fn new(policy: Policy, store: Arc<dyn LimitStore>, cache: CacheConfig) -> Self {
        let ttl = Duration::from_millis(cache.ttl_ms.max(1));
        Self {
            policy,
            store,
            ttl_ms: cache.ttl_ms,
            denials: Cache::builder()
                .max_capacity(cache.max_entries)
                .time_to_live(ttl)
                .build(),
            bans: Cache::builder()
                .max_capacity(cache.max_entries)
                .time_to_live(ttl)
                .build(),
            ban_lookups: SingleFlight::default(),
            stats: CacheStats::default(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Counts one attempt of `action` and decides it.
    pub async fn check(&self, client: &ClientKey, action: Action, now_ms: u64) -> Decision {
        let key = (client.clone(), action);
        if let Some(cached) = self.denials.get(&key).filter(|c| still_denies(c, now_ms)) {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            cached.unrecorded.fetch_add(1, Ordering::Relaxed);
            return cached.decision;
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        // Attempts a cached denial answered belong to its window: carry them over only
        // while that window is still open.
        let unrecorded = self
            .denials
            .remove(&key)
            .filter(|c| now_ms < decision_end(c.decision))
            .map_or(0, |c| c.unrecorded.load(Ordering::Relaxed));
        let recorded = match self
            .store
            .record(client, action, 1 + unrecorded, now_ms, &self.policy)
            .await
        {
            Ok(recorded) => recorded,
            Err(e) => {
                // Fail open: a limiter outage must not take the service down with it.
                tracing::warn!(error = %e, "rate-limit store failed; allowing the request");
                return Decision::Allow {
                    limit: self.policy.limit(action),
                    remaining: 0,
                    reset_at: now_ms,
                };
            }
        };
        let decision = match recorded.banned_until {
            Some(until) => Decision::Ban { until },
            None => self.policy.judge(action, recorded.tally, now_ms),
        };
        if let Decision::Ban { until } = decision {
            self.bans.insert(
                client.clone(),
                CachedBan {
                    banned_until: Some(until),
                    valid_until_ms: now_ms + self.ttl_ms,
                },
            );
        }
        if !matches!(decision, Decision::Allow { .. }) {
            let denial = CachedDenial {
                decision,
                valid_until_ms: now_ms + self.ttl_ms,
                unrecorded: AtomicU64::new(0),
            };
            self.denials.insert(key, Arc::new(denial));
        }
        decision
    }

    /// When `client`'s ban ends, if banned. Concurrent lookups for one client share one
    /// store call; a store failure counts as "not banned" (fail open).
    pub async fn banned_until(&self, client: &ClientKey, now_ms: u64) -> Option<u64> {
        if let Some(cached) = self.bans.get(client).filter(|c| now_ms < c.valid_until_ms) {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return cached.banned_until.filter(|until| now_ms < *until);
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let store = Arc::clone(&self.store);
        let key = client.clone();
        let lookup = async move { store.banned_until(&key, now_ms).await };
        let panicked = Err(StoreError::Backend("ban lookup panicked".into()));
        match self.ban_lookups.run(client.clone(), lookup, panicked).await {
            Ok(banned_until) => {
                self.bans.insert(
                    client.clone(),
                    CachedBan {
                        banned_until,
                        valid_until_ms: now_ms + self.ttl_ms,
                    },
                );
                banned_until.filter(|until| now_ms < *until)
            }
            Err(e) => {
                tracing::warn!(error = %e, "ban lookup failed; treating the client as not banned");
                None
            }
        }
    }

    /// Lookups answered by another caller's flight.
    pub fn merged_lookups(&self) -> u64 {
        self.ban_lookups.merged()
    }
}

/// Whether a cached denial still applies at `now_ms` by the injected clock.
fn still_denies(cached: &CachedDenial, now_ms: u64) -> bool {
    now_ms < cached.valid_until_ms && now_ms < decision_end(cached.decision)
}

/// When a decision stops applying: the window's end, or the ban's.
fn decision_end(decision: Decision) -> u64 {
    match decision {
        Decision::Limit { reset_at, .. } => reset_at,
        Decision::Ban { until } => until,
        Decision::Allow { .. } => 0,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use async_trait::async_trait;

    use super::*;
    use crate::ratelimit::Recorded;
    use crate::ratelimit::memory::MemoryLimitStore;

    const P: Policy = Policy {
        window_ms: 10_000,
        create_per_window: 2,
        read_per_window: 5,
        abuse_multiplier: 5,
        ban_ms: 60_000,
    };

    /// A memory store that counts how often it is called.
    struct Counting {
        inner: MemoryLimitStore,
        records: AtomicUsize,
        attempts: AtomicU64,
    }

    #[async_trait]
    impl LimitStore for Counting {
        async fn record(
            &self,
            c: &ClientKey,
            a: Action,
            n: u64,
            now: u64,
            p: &Policy,
        ) -> Result<Recorded, StoreError> {
            self.records.fetch_add(1, Ordering::SeqCst);
            self.attempts.fetch_add(n, Ordering::SeqCst);
            self.inner.record(c, a, n, now, p).await
        }
        async fn banned_until(&self, c: &ClientKey, now: u64) -> Result<Option<u64>, StoreError> {
            self.inner.banned_until(c, now).await
        }
        async fn ping(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn limiter() -> (RateLimiter, Arc<Counting>) {
        let store = Arc::new(Counting {
            inner: MemoryLimitStore::new(100),
            records: AtomicUsize::new(0),
            attempts: AtomicU64::new(0),
        });
        (
            RateLimiter::new(
                P,
                store.clone(),
                CacheConfig {
                    ttl_ms: 1000,
                    max_entries: 100,
                },
            ),
            store,
        )
    }

    #[tokio::test]
    async fn a_client_over_its_limit_costs_one_store_call_per_ttl_and_every_attempt_counts() {
        let (limiter, store) = limiter();
        let me = ClientKey("192.0.2.1".into());
        for _ in 0..2 {
            assert!(matches!(
                limiter.check(&me, Action::Create, 0).await,
                Decision::Allow { .. }
            ));
        }
        for _ in 0..5 {
            assert!(matches!(
                limiter.check(&me, Action::Create, 10).await,
                Decision::Limit { .. }
            ));
        }
        assert_eq!(
            store.records.load(Ordering::SeqCst),
            3,
            "two allowed + one denial; the rest from cache"
        );
        // After the cache TTL (by the injected clock) the next call carries the cached attempts.
        limiter.check(&me, Action::Create, 1_010).await;
        assert_eq!(store.attempts.load(Ordering::SeqCst), 8);
        assert_eq!(store.records.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_new_window_allows_again_even_with_a_cached_denial() {
        let (limiter, _) = limiter();
        let me = ClientKey("192.0.2.1".into());
        for _ in 0..3 {
            limiter.check(&me, Action::Create, 9_500).await;
        }
        assert!(matches!(
            limiter.check(&me, Action::Create, 9_600).await,
            Decision::Limit { .. }
        ));
        assert!(matches!(
            limiter.check(&me, Action::Create, 19_500).await,
            Decision::Allow { remaining: 1, .. }
        ));
    }

    #[tokio::test]
    async fn hammering_at_the_abuse_threshold_bans() {
        let (limiter, _) = limiter();
        let me = ClientKey("192.0.2.1".into());
        let mut last = Decision::Allow {
            limit: 0,
            remaining: 0,
            reset_at: 0,
        };
        for n in 0..10u64 {
            // Step past the cache TTL each time so every attempt reaches the store.
            last = limiter.check(&me, Action::Create, n * 1_001).await;
        }
        assert_eq!(
            last,
            Decision::Ban {
                until: 9 * 1_001 + 60_000
            }
        );
        assert_eq!(
            limiter.banned_until(&me, 9 * 1_001).await,
            Some(9 * 1_001 + 60_000)
        );
        let other = ClientKey("192.0.2.2".into());
        assert_eq!(limiter.banned_until(&other, 9 * 1_001).await, None);
        assert_eq!(
            limiter.banned_until(&me, 9 * 1_001 + 60_000).await,
            None,
            "the ban ends on time"
        );
    }
}
