//! [`RateLimiter`]: decides each request from its client's counts, with a decision cache
//! in front of the [`LimitStore`].
//!
//! The cache keeps denials (limited, banned) and ban lookups for `CACHE_RATE_LIMIT_TTL_MS`,
//! so a client far over its limit costs about one store call per TTL per instance. Allowed
//! attempts are never answered from the cache, since each must be counted before it is
//! allowed. Denied attempts answered from the cache are never lost:
//!
//! - the attempt that would reach the ban threshold by this instance's count goes to the
//!   store with every attempt the cache answered, so on one node a ban lands exactly on
//!   time;
//! - otherwise they go with the next call that reaches the store, or at the latest with
//!   [`RateLimiter::flush`], which the server runs every cache TTL, so on many nodes a ban
//!   lands in the shared store within about two cache TTLs of the attempt that earned it.
//!
//! Validity is judged by the injected clock (a window's end or a ban's end takes effect
//! exactly); denials are kept by capacity only, never dropped by a library's timer, since
//! the attempts they hold must reach the store (docs/decisions.md, "The decision cache").

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use tokio::sync::watch;
use vanish_core::clock::Clock;
use vanish_core::decision_cache::{decision_end, may_answer};
use vanish_core::ratelimit::{Action, Decision, Policy};

use super::{ClientKey, LimitStore};
use crate::resilience::SingleFlight;
use crate::store::StoreError;
use crate::telemetry::Metrics;

/// A denial remembered for a short while, with the attempts it answered since.
struct CachedDenial {
    decision: Decision,
    /// The window's count the store last reported.
    count_at_store: u64,
    valid_until_ms: u64,
    /// Attempts answered from here and not yet counted by the store.
    unrecorded: AtomicU64,
}

/// A ban lookup remembered for a short while.
#[derive(Clone, Copy)]
struct CachedBan {
    banned_until: Option<u64>,
    valid_until_ms: u64,
}

pub struct RateLimiter {
    policy: Policy,
    store: Arc<dyn LimitStore>,
    ttl_ms: u64,
    denials: Cache<(ClientKey, Action), Arc<CachedDenial>>,
    bans: Cache<ClientKey, CachedBan>,
    ban_lookups: SingleFlight<ClientKey, Result<Option<u64>, StoreError>>,
    metrics: Arc<Metrics>,
}

/// Cache sizing and lifetime.
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    pub ttl_ms: u64,
    pub max_entries: u64,
    /// Longest a ban lookup may be joined by later callers (`DEDUP_WINDOW_MS`).
    pub dedup_window: Duration,
}

impl RateLimiter {
    pub fn new(
        policy: Policy,
        store: Arc<dyn LimitStore>,
        cache: CacheConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let ttl = Duration::from_millis(cache.ttl_ms.max(1));
        Self {
            policy,
            store,
            ttl_ms: cache.ttl_ms,
            denials: Cache::builder().max_capacity(cache.max_entries).build(),
            bans: Cache::builder()
                .max_capacity(cache.max_entries)
                .time_to_live(ttl)
                .build(),
            ban_lookups: SingleFlight::new(cache.dedup_window, Arc::clone(&metrics.merged.ban)),
            metrics,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Counts one attempt of `action` and decides it.
    pub async fn check(&self, client: &ClientKey, action: Action, now_ms: u64) -> Decision {
        let key = (client.clone(), action);
        let mut attempts = 1;
        if let Some(cached) = self.denials.get(&key) {
            if still_denies(&cached, now_ms) {
                let seen = cached.unrecorded.fetch_add(1, Ordering::AcqRel) + 1;
                let threshold = self.policy.ban_threshold(action);
                if may_answer(cached.decision, cached.count_at_store, seen, threshold) {
                    self.metrics.cache.hits.fetch_add(1, Ordering::Relaxed);
                    return cached.decision;
                }
                // This attempt earns a ban: it and every attempt answered here go to the
                // store now. A concurrent caller's attempt is in one swap or the other.
                attempts = cached.unrecorded.swap(0, Ordering::AcqRel);
            } else if now_ms < decision_end(cached.decision) {
                // The cached answer is stale but its window is open: carry its attempts.
                attempts += cached.unrecorded.swap(0, Ordering::AcqRel);
            }
            self.denials.invalidate(&key);
        }
        self.metrics.cache.misses.fetch_add(1, Ordering::Relaxed);
        let recorded = match self
            .store
            .record(client, action, attempts, now_ms, &self.policy)
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
        self.remember(key, decision, recorded.tally.count, now_ms);
        decision
    }

    /// Caches a denial (and a ban as a ban lookup); allowed decisions are never cached.
    fn remember(&self, key: (ClientKey, Action), decision: Decision, count: u64, now_ms: u64) {
        if let Decision::Ban { until } = decision {
            let ban = CachedBan {
                banned_until: Some(until),
                valid_until_ms: now_ms + self.ttl_ms,
            };
            self.bans.insert(key.0.clone(), ban);
        }
        if !matches!(decision, Decision::Allow { .. }) {
            let denial = CachedDenial {
                decision,
                count_at_store: count,
                valid_until_ms: now_ms + self.ttl_ms,
                unrecorded: AtomicU64::new(0),
            };
            self.denials.insert(key, Arc::new(denial));
        }
    }

    /// Sends the attempts of every stale cached denial to the store, so none waits for a
    /// next request that may never come. Returns how many attempts were sent.
    pub async fn flush(&self, now_ms: u64) -> u64 {
        let stale: Vec<_> = self
            .denials
            .iter()
            .filter(|(_, denial)| !still_denies(denial, now_ms))
            .collect();
        let mut sent = 0;
        for (key, denial) in stale {
            // Drop the entry unless a newer denial has replaced it meanwhile.
            if let Some(current) = self.denials.remove(&*key)
                && !Arc::ptr_eq(&current, &denial)
            {
                self.denials.insert((*key).clone(), current);
            }
            let attempts = denial.unrecorded.swap(0, Ordering::AcqRel);
            if attempts == 0 || now_ms >= decision_end(denial.decision) {
                continue;
            }
            let (client, action) = (&key.0, key.1);
            match self
                .store
                .record(client, action, attempts, now_ms, &self.policy)
                .await
            {
                Ok(recorded) => {
                    sent += attempts;
                    if let Some(until) = recorded.banned_until {
                        self.remember((*key).clone(), Decision::Ban { until }, 0, now_ms);
                    }
                }
                Err(e) => tracing::warn!(error = %e, attempts, "rate-limit flush failed"),
            }
        }
        sent
    }

    /// Runs [`RateLimiter::flush`] every `every` until `stop` changes.
    pub async fn run_flusher(
        self: Arc<Self>,
        clock: Arc<dyn Clock>,
        every: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.changed() => return,
            }
            self.flush(clock.now_ms()).await;
        }
    }

    /// When `client`'s ban ends, if banned. Concurrent lookups for one client share one
    /// store call; a store failure counts as "not banned" (fail open).
    pub async fn banned_until(&self, client: &ClientKey, now_ms: u64) -> Option<u64> {
        if let Some(cached) = self.bans.get(client).filter(|c| now_ms < c.valid_until_ms) {
            self.metrics.cache.hits.fetch_add(1, Ordering::Relaxed);
            return cached.banned_until.filter(|until| now_ms < *until);
        }
        self.metrics.cache.misses.fetch_add(1, Ordering::Relaxed);
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
}

/// Whether a cached denial still applies at `now_ms` by the injected clock.
fn still_denies(cached: &CachedDenial, now_ms: u64) -> bool {
    now_ms < cached.valid_until_ms && now_ms < decision_end(cached.decision)
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
                    dedup_window: Duration::from_secs(5),
                },
                Arc::default(),
            ),
            store,
        )
    }

    #[tokio::test]
    async fn a_client_over_its_limit_costs_one_store_call_per_ttl_and_every_attempt_counts() {
        let (limiter, store) = limiter();
        let me = ClientKey::of([192, 0, 2, 1].into());
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
        let me = ClientKey::of([192, 0, 2, 1].into());
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
        let me = ClientKey::of([192, 0, 2, 1].into());
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
        let other = ClientKey::of([192, 0, 2, 2].into());
        assert_eq!(limiter.banned_until(&other, 9 * 1_001).await, None);
        assert_eq!(
            limiter.banned_until(&me, 9 * 1_001 + 60_000).await,
            None,
            "the ban ends on time"
        );
    }

    #[tokio::test]
    async fn the_attempt_that_reaches_the_threshold_bans_though_the_cache_answered_before() {
        let (limiter, store) = limiter();
        let me = ClientKey::of([192, 0, 2, 1].into());
        // Limit 2, threshold 10, all at one instant: the cache answers attempts 4 to 9.
        let mut decisions = Vec::new();
        for _ in 0..10 {
            decisions.push(limiter.check(&me, Action::Create, 500).await);
        }
        assert!(matches!(decisions[8], Decision::Limit { .. }));
        assert_eq!(
            decisions[9],
            Decision::Ban {
                until: 500 + 60_000
            }
        );
        assert_eq!(
            store.attempts.load(Ordering::SeqCst),
            10,
            "every attempt was counted"
        );
        assert_eq!(limiter.banned_until(&me, 501).await, Some(60_500));
    }

    #[tokio::test]
    async fn a_flush_hands_stale_cached_attempts_to_the_store() {
        let (limiter, store) = limiter();
        let me = ClientKey::of([192, 0, 2, 1].into());
        for _ in 0..6 {
            limiter.check(&me, Action::Create, 0).await;
        }
        assert_eq!(
            store.attempts.load(Ordering::SeqCst),
            3,
            "attempts 4 to 6 are cached"
        );
        assert_eq!(limiter.flush(500).await, 0, "a denial still valid is kept");
        assert_eq!(limiter.flush(1_000).await, 3);
        assert_eq!(store.attempts.load(Ordering::SeqCst), 6);
        assert_eq!(limiter.flush(2_000).await, 0, "nothing is sent twice");
    }
}
