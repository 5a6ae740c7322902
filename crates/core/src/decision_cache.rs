//! The rate-limit decision cache's rules, as a single-threaded, bounded map with the clock
//! passed in: denials (limited, banned) and ban lookups are remembered for `ttl_ms`, so a
//! client far over its limit costs about one limit-store call per TTL. Allowed attempts
//! are never answered from the cache, since each must be counted before it is allowed.
//! Attempts a cached denial answered are handed to the next call that reaches the store
//! (while the denial's window is still open), so every attempt counts and a client over
//! its limit is banned at most one TTL late. A cached entry also ends when the window or
//! ban it describes ends, so a new window or a ban's end takes effect exactly.
//!
//! The Worker keeps one of these per isolate. (The native server keeps the same rules in
//! a concurrent cache, `crates/server/src/ratelimit/limiter.rs`.)

use std::collections::HashMap;
use std::hash::Hash;

use crate::ratelimit::{Action, Decision};

/// A denial remembered for a short while, with the attempts it answered since.
#[derive(Debug, Clone, Copy)]
struct CachedDenial {
    decision: Decision,
    valid_until_ms: u64,
    unrecorded: u64,
}

/// A ban lookup remembered for a short while.
#[derive(Debug, Clone, Copy)]
struct CachedBan {
    banned_until: Option<u64>,
    valid_until_ms: u64,
}

/// Per-client denials and ban lookups, each map bounded by `max_entries`.
#[derive(Debug)]
pub struct DecisionCache<K> {
    ttl_ms: u64,
    max_entries: usize,
    denials: HashMap<(K, Action), CachedDenial>,
    bans: HashMap<K, CachedBan>,
}

impl<K: Hash + Eq + Clone> DecisionCache<K> {
    pub fn new(ttl_ms: u64, max_entries: usize) -> Self {
        Self {
            ttl_ms,
            max_entries: max_entries.max(1),
            denials: HashMap::new(),
            bans: HashMap::new(),
        }
    }

    /// A cached denial of `action` for `client` that still applies at `now_ms`; the
    /// attempt it answers is counted for the next store call.
    pub fn denial(&mut self, client: &K, action: Action, now_ms: u64) -> Option<Decision> {
        let key = (client.clone(), action);
        let cached = self.denials.get_mut(&key)?;
        if now_ms < cached.valid_until_ms && now_ms < decision_end(cached.decision) {
            cached.unrecorded += 1;
            return Some(cached.decision);
        }
        None
    }

    /// Removes the cached denial of `action` and returns the attempts it answered, if its
    /// window is still open at `now_ms` (attempts belong to their window); else 0.
    pub fn take_unrecorded(&mut self, client: &K, action: Action, now_ms: u64) -> u64 {
        self.denials
            .remove(&(client.clone(), action))
            .filter(|c| now_ms < decision_end(c.decision))
            .map_or(0, |c| c.unrecorded)
    }

    /// Remembers the store's decision: denials for `ttl_ms`, and a ban as a ban lookup too.
    pub fn remember(&mut self, client: &K, action: Action, decision: Decision, now_ms: u64) {
        if let Decision::Ban { until } = decision {
            self.remember_ban(client, Some(until), now_ms);
        }
        if matches!(decision, Decision::Allow { .. }) || self.ttl_ms == 0 {
            return;
        }
        let denial = CachedDenial {
            decision,
            valid_until_ms: now_ms + self.ttl_ms,
            unrecorded: 0,
        };
        make_room(&mut self.denials, self.max_entries, now_ms, |d| {
            d.valid_until_ms
        });
        self.denials.insert((client.clone(), action), denial);
    }

    /// A cached ban lookup valid at `now_ms`: `Some(ban end, if banned)`, or `None` when
    /// the store must be asked.
    pub fn ban(&self, client: &K, now_ms: u64) -> Option<Option<u64>> {
        let cached = self.bans.get(client)?;
        (now_ms < cached.valid_until_ms)
            .then(|| cached.banned_until.filter(|until| now_ms < *until))
    }

    /// Remembers a ban lookup's answer for `ttl_ms`.
    pub fn remember_ban(&mut self, client: &K, banned_until: Option<u64>, now_ms: u64) {
        if self.ttl_ms == 0 {
            return;
        }
        make_room(&mut self.bans, self.max_entries, now_ms, |b| {
            b.valid_until_ms
        });
        self.bans.insert(
            client.clone(),
            CachedBan {
                banned_until,
                valid_until_ms: now_ms + self.ttl_ms,
            },
        );
    }

    /// Entries held, both maps together.
    pub fn len(&self) -> usize {
        self.denials.len() + self.bans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// When a decision stops applying: the window's end, or the ban's.
pub fn decision_end(decision: Decision) -> u64 {
    match decision {
        Decision::Limit { reset_at, .. } => reset_at,
        Decision::Ban { until } => until,
        Decision::Allow { .. } => 0,
    }
}

/// Before an insert into a map holding `max_entries`: drops what has lapsed at `now_ms`
/// (by `valid_until`), and if that is not enough, the entries closest to lapsing. Linear,
/// but only when full; for bounded per-client maps of a few thousand entries.
pub fn make_room<Q: Hash + Eq + Clone, V>(
    map: &mut HashMap<Q, V>,
    max_entries: usize,
    now_ms: u64,
    valid_until: impl Fn(&V) -> u64,
) {
    if map.len() < max_entries {
        return;
    }
    map.retain(|_, v| now_ms < valid_until(v));
    while map.len() >= max_entries {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| valid_until(v))
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITED: Decision = Decision::Limit {
        limit: 3,
        reset_at: 10_000,
    };

    #[test]
    fn a_denial_answers_until_the_ttl_ends_and_hands_over_its_attempts() {
        let mut cache = DecisionCache::new(1_000, 10);
        cache.remember(&"a", Action::Create, LIMITED, 0);
        assert_eq!(cache.denial(&"a", Action::Create, 10), Some(LIMITED));
        assert_eq!(cache.denial(&"a", Action::Create, 999), Some(LIMITED));
        assert_eq!(cache.denial(&"a", Action::Read, 10), None, "per action");
        assert_eq!(cache.denial(&"a", Action::Create, 1_000), None);
        assert_eq!(cache.take_unrecorded(&"a", Action::Create, 1_000), 2);
        assert_eq!(cache.take_unrecorded(&"a", Action::Create, 1_000), 0);
    }

    #[test]
    fn allowed_decisions_are_never_cached_and_window_ends_are_exact() {
        let mut cache = DecisionCache::new(60_000, 10);
        let allow = Decision::Allow {
            limit: 3,
            remaining: 1,
            reset_at: 10_000,
        };
        cache.remember(&"a", Action::Create, allow, 0);
        assert!(cache.is_empty());
        cache.remember(&"a", Action::Create, LIMITED, 9_000);
        assert_eq!(cache.denial(&"a", Action::Create, 9_999), Some(LIMITED));
        assert_eq!(cache.denial(&"a", Action::Create, 10_000), None);
        assert_eq!(
            cache.take_unrecorded(&"a", Action::Create, 10_000),
            0,
            "attempts of a closed window are not carried into the next"
        );
    }

    #[test]
    fn bans_are_remembered_as_ban_lookups() {
        let mut cache = DecisionCache::new(1_000, 10);
        assert_eq!(cache.ban(&"a", 0), None);
        cache.remember(&"a", Action::Read, Decision::Ban { until: 500 }, 0);
        assert_eq!(cache.ban(&"a", 10), Some(Some(500)));
        assert_eq!(cache.ban(&"a", 500), Some(None), "the ban ends on time");
        assert_eq!(cache.ban(&"a", 1_000), None);
        cache.remember_ban(&"b", None, 0);
        assert_eq!(cache.ban(&"b", 1), Some(None));
    }

    #[test]
    fn the_cache_stays_bounded() {
        let mut cache = DecisionCache::new(1_000, 100);
        for n in 0..10_000u64 {
            cache.remember(&n, Action::Read, LIMITED, n % 500);
            cache.remember_ban(&n, None, n % 500);
        }
        assert!(cache.len() <= 200, "{} entries", cache.len());
    }
}
