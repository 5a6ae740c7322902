//! Rate limiting and abuse bans (docs/architecture.md, "Rate limits"): the [`LimitStore`]
//! contract that counts attempts (in process, or shared in Redis), and the [`RateLimiter`]
//! that turns counts into decisions, with a short-lived decision cache in front so a
//! client far over its limit costs about one store call per cache TTL.
//!
//! The maths (windows, thresholds, headers) and the client key are
//! `vanish_core::ratelimit`; who the client is, `pipeline::client_ip`; the HTTP side,
//! `pipeline::rate_limit`; failing open while a shared store is down,
//! `resilience::limit_store`.

use async_trait::async_trait;
pub use vanish_core::ratelimit::ClientKey;
use vanish_core::ratelimit::{Action, Policy, Tally};

use crate::store::StoreError;

pub mod limiter;
pub mod memory;
pub mod redis;

pub use limiter::{CacheConfig, RateLimiter};

/// The result of counting attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The action's window after counting.
    pub tally: Tally,
    /// Set if the client is banned: an earlier ban, or one this count just set.
    pub banned_until: Option<u64>,
}

/// Where rate-limit windows and bans are kept.
#[async_trait]
pub trait LimitStore: Send + Sync + 'static {
    /// Atomically: adds `attempts` to `client`'s open window for `action` (opening a new
    /// window of `policy.window_ms` if none is open at `now_ms`), and if the window reaches
    /// `policy.ban_threshold(action)`, bans the client until `now_ms + policy.ban_ms`.
    /// Attempts count even while the client is banned.
    async fn record(
        &self,
        client: &ClientKey,
        action: Action,
        attempts: u64,
        now_ms: u64,
        policy: &Policy,
    ) -> Result<Recorded, StoreError>;

    /// When `client`'s ban ends, if it is banned at `now_ms`. Never changes anything.
    async fn banned_until(
        &self,
        client: &ClientKey,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError>;

    /// Succeeds if the store can serve right now.
    async fn ping(&self) -> Result<(), StoreError>;
}
