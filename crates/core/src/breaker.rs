//! The circuit-breaker state machine (docs/architecture.md, "Resilience"), with the clock passed in so tests move
//! time instead of sleeping. `Closed` counts consecutive failures; at the threshold it opens.
//! `Open` refuses every call until `reset_timeout_ms` has passed, then turns `HalfOpen`,
//! which lets a bounded number of probes through: `success_threshold` successes close it,
//! any failure opens it again.
//!
//! This is only the bookkeeping; running calls with a timeout is the caller's job.

/// Breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub success_threshold: u32,
    pub reset_timeout_ms: u64,
    /// Probes allowed in flight at once while half-open.
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            success_threshold: 2,
            reset_timeout_ms: 60_000,
            half_open_probes: 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed { failures: u32 },
    Open { since_ms: u64 },
    HalfOpen { successes: u32, in_flight: u32 },
}

impl BreakerState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Closed { .. } => "closed",
            Self::Open { .. } => "open",
            Self::HalfOpen { .. } => "half_open",
        }
    }
}

/// Whether a call may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// Refused; the circuit may admit probes again at this time.
    Refuse {
        retry_at_ms: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Breaker {
    config: BreakerConfig,
    state: BreakerState,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: BreakerState::Closed { failures: 0 },
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks to start a call at `now_ms`. A `Go` must be followed by exactly one
    /// [`Breaker::on_success`] or [`Breaker::on_failure`].
    pub fn admit(&mut self, now_ms: u64) -> Admission {
        if let BreakerState::Open { since_ms } = self.state {
            let retry_at_ms = since_ms + self.config.reset_timeout_ms;
            if now_ms < retry_at_ms {
                return Admission::Refuse { retry_at_ms };
            }
            self.state = BreakerState::HalfOpen {
                successes: 0,
                in_flight: 0,
            };
        }
        match &mut self.state {
            BreakerState::HalfOpen { in_flight, .. }
                if *in_flight >= self.config.half_open_probes =>
            {
                Admission::Refuse {
                    retry_at_ms: now_ms,
                }
            }
            BreakerState::HalfOpen { in_flight, .. } => {
                *in_flight += 1;
                Admission::Go
            }
            _ => Admission::Go,
        }
    }

    pub fn on_success(&mut self) {
        self.state = match self.state {
            BreakerState::HalfOpen { successes, .. }
                if successes + 1 >= self.config.success_threshold =>
            {
                BreakerState::Closed { failures: 0 }
            }
            BreakerState::HalfOpen {
                successes,
                in_flight,
            } => BreakerState::HalfOpen {
                successes: successes + 1,
                in_flight: in_flight.saturating_sub(1),
            },
            BreakerState::Closed { .. } => BreakerState::Closed { failures: 0 },
            // A call admitted before the circuit opened finished late; it changes nothing.
            open @ BreakerState::Open { .. } => open,
        };
    }

    /// A call admitted with `Go` ended with no verdict (its caller went away): frees its
    /// probe slot without counting it either way.
    pub fn on_abandon(&mut self) {
        if let BreakerState::HalfOpen { in_flight, .. } = &mut self.state {
            *in_flight = in_flight.saturating_sub(1);
        }
    }

    pub fn on_failure(&mut self, now_ms: u64) {
        self.state = match self.state {
            BreakerState::Closed { failures } if failures + 1 < self.config.failure_threshold => {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
            BreakerState::Closed { .. } | BreakerState::HalfOpen { .. } => {
                BreakerState::Open { since_ms: now_ms }
            }
            open @ BreakerState::Open { .. } => open,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerConfig {
            failure_threshold: 3,
            success_threshold: 2,
            reset_timeout_ms: 100,
            half_open_probes: 1,
        })
    }

    #[test]
    fn consecutive_failures_open_the_circuit_at_the_threshold() {
        let mut b = breaker();
        b.on_failure(0);
        b.on_success();
        b.on_failure(0);
        b.on_failure(0);
        assert_eq!(
            b.state(),
            BreakerState::Closed { failures: 2 },
            "a success resets the count"
        );
        b.on_failure(10);
        assert_eq!(b.state(), BreakerState::Open { since_ms: 10 });
        assert_eq!(b.admit(109), Admission::Refuse { retry_at_ms: 110 });
    }

    #[test]
    fn half_open_admits_bounded_probes_and_closes_after_successes() {
        let mut b = breaker();
        for _ in 0..3 {
            b.on_failure(0);
        }
        assert_eq!(b.admit(100), Admission::Go);
        assert_eq!(b.state().name(), "half_open");
        assert!(
            matches!(b.admit(100), Admission::Refuse { .. }),
            "one probe at a time"
        );
        b.on_success();
        assert_eq!(b.admit(101), Admission::Go);
        b.on_success();
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn an_abandoned_probe_frees_its_slot() {
        let mut b = breaker();
        for _ in 0..3 {
            b.on_failure(0);
        }
        assert_eq!(b.admit(100), Admission::Go);
        b.on_abandon();
        assert_eq!(b.admit(100), Admission::Go);
    }

    #[test]
    fn a_failed_probe_reopens_the_circuit() {
        let mut b = breaker();
        for _ in 0..3 {
            b.on_failure(0);
        }
        assert_eq!(b.admit(150), Admission::Go);
        b.on_failure(150);
        assert_eq!(b.state(), BreakerState::Open { since_ms: 150 });
        assert!(matches!(b.admit(249), Admission::Refuse { .. }));
        assert_eq!(b.admit(250), Admission::Go);
    }
}
