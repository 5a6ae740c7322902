//! The in-isolate fallback limiter: windows and bans counted in this isolate's memory with
//! the same core maths, used while the `RateLimiter` objects fail or their circuit is open,
//! so limits still hold per isolate (fail open, DESIGN of the native server's `FailOpen`).
//! It counts every attempt even while the objects answer, so that it starts warm.
//!
//! Memory is bounded: past `max_clients` entries, lapsed ones are dropped first, then the
//! entries closest to lapsing.

use std::collections::HashMap;

use vanish_core::decision_cache::make_room;
use vanish_core::ratelimit::{Action, ClientKey, Policy, Tally};

/// What counting attempts found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub tally: Tally,
    pub banned_until: Option<u64>,
}

pub struct LocalLimits {
    max_clients: usize,
    windows: HashMap<(ClientKey, Action), Tally>,
    bans: HashMap<ClientKey, u64>,
}

impl LocalLimits {
    pub fn new(max_clients: usize) -> Self {
        Self {
            max_clients: max_clients.max(1),
            windows: HashMap::new(),
            bans: HashMap::new(),
        }
    }

    /// Counts `attempts` of `action` for `client`, banning at the threshold.
    pub fn record(
        &mut self,
        client: &ClientKey,
        action: Action,
        attempts: u64,
        now_ms: u64,
        policy: &Policy,
    ) -> Recorded {
        let key = (client.clone(), action);
        let tally = policy.count(self.windows.get(&key).copied(), attempts, now_ms);
        if !self.windows.contains_key(&key) {
            make_room(&mut self.windows, self.max_clients, now_ms, |t| {
                t.window_ends_at
            });
        }
        self.windows.insert(key, tally);
        if tally.count >= policy.ban_threshold(action)
            && self.banned_until(client, now_ms).is_none()
        {
            make_room(&mut self.bans, self.max_clients, now_ms, |until| *until);
            self.bans.insert(client.clone(), now_ms + policy.ban_ms);
        }
        Recorded {
            tally,
            banned_until: self.banned_until(client, now_ms),
        }
    }

    pub fn banned_until(&self, client: &ClientKey, now_ms: u64) -> Option<u64> {
        self.bans
            .get(client)
            .copied()
            .filter(|until| now_ms < *until)
    }
}
