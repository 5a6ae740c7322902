//! Rate-limit maths, as the original service's RateLimiter: a client's window opens at its
//! first attempt and lasts `window_ms`; create and read attempts are budgeted apart; every
//! attempt counts, refused ones too; reaching `limit × abuse_multiplier` attempts in one
//! window bans the client for `ban_ms`.
//!
//! Counting is the store's job (in process or shared); this module only turns a count into
//! a decision and the response headers that explain it.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// Who a limit applies to: an IPv4 address, or an IPv6 address's /64 (one host usually
/// holds a whole /64), as text (`203.0.113.7`, `2001:db8:1:2::/64`). Never logged, never a
/// metric label.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(String);

impl ClientKey {
    /// The key of a client at `ip`; IPv4-mapped IPv6 addresses are IPv4 clients.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let s = v6.segments();
                    let network = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                    Self(format!("{network}/64"))
                }
            },
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey(..)")
    }
}

/// What a request spends budget on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `POST /api/secrets`.
    Create,
    /// Reveals, metadata, status and burn.
    Read,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
        }
    }
}

/// The limits in force (defaults in docs/api.md, "Rate limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub window_ms: u64,
    pub create_per_window: u64,
    pub read_per_window: u64,
    pub abuse_multiplier: u64,
    pub ban_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            window_ms: 3_600_000,
            create_per_window: 100,
            read_per_window: 1000,
            abuse_multiplier: 5,
            ban_ms: 86_400_000,
        }
    }
}

/// A window's state after counting attempts into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Attempts in the current window, this one included.
    pub count: u64,
    /// When the current window closes (ms epoch).
    pub window_ends_at: u64,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow {
        limit: u64,
        remaining: u64,
        reset_at: u64,
    },
    Limit {
        limit: u64,
        reset_at: u64,
    },
    /// Banned until the given time; set just now or earlier.
    Ban {
        until: u64,
    },
}

impl Policy {
    pub fn limit(&self, action: Action) -> u64 {
        match action {
            Action::Create => self.create_per_window,
            Action::Read => self.read_per_window,
        }
    }

    /// Attempts in one window at which a client is banned.
    pub fn ban_threshold(&self, action: Action) -> u64 {
        self.limit(action).saturating_mul(self.abuse_multiplier)
    }

    /// Opens or continues a window: `previous` is the stored window (if any); returns the
    /// window after adding `attempts`. A window that ended at or before `now_ms` is replaced.
    ///
    /// Sums saturate: a window or ban set to a huge length (a setting is any `u64`) must
    /// mean "practically forever", not wrap around to the past and lift every limit.
    pub fn count(&self, previous: Option<Tally>, attempts: u64, now_ms: u64) -> Tally {
        match previous {
            Some(t) if now_ms < t.window_ends_at => Tally {
                count: t.count.saturating_add(attempts),
                ..t
            },
            _ => Tally {
                count: attempts,
                window_ends_at: now_ms.saturating_add(self.window_ms),
            },
        }
    }

    /// The decision for a request whose attempt made the window `tally`.
    pub fn judge(&self, action: Action, tally: Tally, now_ms: u64) -> Decision {
        let limit = self.limit(action);
        if tally.count >= self.ban_threshold(action) {
            return Decision::Ban {
                until: now_ms.saturating_add(self.ban_ms),
            };
        }
        if tally.count > limit {
            return Decision::Limit {
                limit,
                reset_at: tally.window_ends_at,
            };
        }
        Decision::Allow {
            limit,
            remaining: limit - tally.count,
            reset_at: tally.window_ends_at,
        }
    }
}

/// Whole seconds until `at`, at least 1 (for `Retry-After`).
pub fn seconds_until(at_ms: u64, now_ms: u64) -> u64 {
    at_ms.saturating_sub(now_ms).div_ceil(1000).max(1)
}

/// The rate-limit response headers of a decision: the original's `X-RateLimit-*` and the
/// IETF draft's `RateLimit-Policy` / `RateLimit`.
pub fn headers(decision: Decision, window_ms: u64, now_ms: u64) -> Vec<(&'static str, String)> {
    let (limit, remaining, reset_at) = match decision {
        Decision::Allow {
            limit,
            remaining,
            reset_at,
        } => (limit, remaining, reset_at),
        Decision::Limit { limit, reset_at } => (limit, 0, reset_at),
        Decision::Ban { .. } => return Vec::new(),
    };
    let reset_s = seconds_until(reset_at, now_ms);
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset_at.to_string()),
        (
            "ratelimit-policy",
            // Whole seconds, rounded up: a sub-second window is not `w=0`.
            format!("{limit};w={}", window_ms.div_ceil(1000)),
        ),
        (
            "ratelimit",
            format!("limit={limit}, remaining={remaining}, reset={reset_s}"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |s: &str| ClientKey::of(s.parse().expect("ip"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2::1").as_str(), "2001:db8:1:2::/64");
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_eq!(key("192.0.2.1").as_str(), "192.0.2.1");
    }

    const P: Policy = Policy {
        window_ms: 1000,
        create_per_window: 3,
        read_per_window: 10,
        abuse_multiplier: 5,
        ban_ms: 9000,
    };

    #[test]
    fn a_window_opens_at_the_first_attempt_and_ends_after_window_ms() {
        let t = P.count(None, 1, 500);
        assert_eq!(
            t,
            Tally {
                count: 1,
                window_ends_at: 1500
            }
        );
        assert_eq!(
            P.count(Some(t), 1, 1499),
            Tally {
                count: 2,
                window_ends_at: 1500
            }
        );
        assert_eq!(
            P.count(Some(t), 1, 1500),
            Tally {
                count: 1,
                window_ends_at: 2500
            }
        );
    }

    #[test]
    fn the_limit_is_inclusive_and_the_next_attempt_is_limited() {
        let at = |count| {
            P.judge(
                Action::Create,
                Tally {
                    count,
                    window_ends_at: 1000,
                },
                0,
            )
        };
        assert_eq!(
            at(3),
            Decision::Allow {
                limit: 3,
                remaining: 0,
                reset_at: 1000
            }
        );
        assert_eq!(
            at(4),
            Decision::Limit {
                limit: 3,
                reset_at: 1000
            }
        );
        assert_eq!(
            at(14),
            Decision::Limit {
                limit: 3,
                reset_at: 1000
            }
        );
        assert_eq!(at(15), Decision::Ban { until: 9000 });
    }

    #[test]
    fn reads_have_their_own_budget() {
        let t = Tally {
            count: 4,
            window_ends_at: 1000,
        };
        assert!(matches!(
            P.judge(Action::Read, t, 0),
            Decision::Allow { remaining: 6, .. }
        ));
        assert!(matches!(
            P.judge(Action::Create, t, 0),
            Decision::Limit { .. }
        ));
    }

    #[test]
    fn huge_windows_and_bans_saturate_instead_of_wrapping_into_the_past() {
        let forever = Policy {
            window_ms: u64::MAX,
            ban_ms: u64::MAX,
            ..P
        };
        let t = forever.count(None, 1, 1_800_000_000_000);
        assert_eq!(t.window_ends_at, u64::MAX);
        let t = forever.count(
            Some(Tally {
                count: u64::MAX,
                ..t
            }),
            1,
            1_800_000_000_001,
        );
        assert_eq!(t.count, u64::MAX);
        assert_eq!(
            forever.judge(Action::Create, t, 5),
            Decision::Ban { until: u64::MAX }
        );
    }

    #[test]
    fn a_sub_second_window_is_announced_as_one_second() {
        let allow = Decision::Allow {
            limit: 2,
            remaining: 2,
            reset_at: 1,
        };
        assert!(headers(allow, 1, 0).contains(&("ratelimit-policy", "2;w=1".into())));
        assert!(headers(allow, 1500, 0).contains(&("ratelimit-policy", "2;w=2".into())));
    }

    #[test]
    fn headers_follow_both_conventions() {
        let h = headers(
            Decision::Allow {
                limit: 3,
                remaining: 1,
                reset_at: 2500,
            },
            1000,
            1000,
        );
        assert!(h.contains(&("x-ratelimit-remaining", "1".into())));
        assert!(h.contains(&("x-ratelimit-reset", "2500".into())));
        assert!(h.contains(&("ratelimit-policy", "3;w=1".into())));
        assert!(h.contains(&("ratelimit", "limit=3, remaining=1, reset=2".into())));
        assert_eq!(seconds_until(1001, 1000), 1);
        assert_eq!(seconds_until(900, 1000), 1);
    }
}
