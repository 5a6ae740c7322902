//! Calls to Durable Objects through the isolate's circuit breaker for their kind
//! (`vanish_core::breaker`): each call has a timeout (`CIRCUIT_BREAKER_TIMEOUT_MS`) that
//! counts as a failure, and while a circuit is open calls are refused at once. What a
//! refusal means is the caller's: secrets answer 503, limits fall back (fail open).

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{Either, select};
use vanish_core::breaker::Admission;
use worker::Delay;

use crate::clock;
use crate::isolate::{self, Backend};

/// Why a guarded call has no answer.
#[derive(Debug)]
pub enum Unavailable {
    /// Refused without trying; probes resume in this many ms.
    CircuitOpen {
        retry_after_ms: u64,
    },
    Timeout,
    Failed(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CircuitOpen { retry_after_ms } => {
                write!(f, "circuit open; retry in {retry_after_ms} ms")
            }
            Self::Timeout => f.write_str("durable object call timed out"),
            Self::Failed(cause) => write!(f, "durable object call failed: {cause}"),
        }
    }
}

/// Runs `call` if `backend`'s circuit admits it, under `timeout_ms`, and records the
/// outcome. An answer (found or not) is a success; only errors and timeouts are failures.
pub async fn guarded<T>(
    backend: Backend,
    timeout_ms: u64,
    call: impl Future<Output = worker::Result<T>>,
) -> Result<T, Unavailable> {
    let now = clock::now_ms();
    let admission = isolate::with(|i| i.breaker(backend).admit(now)).unwrap_or(Admission::Go);
    if let Admission::Refuse { retry_at_ms } = admission {
        return Err(Unavailable::CircuitOpen {
            retry_after_ms: retry_at_ms.saturating_sub(now),
        });
    }
    let mut verdict = PendingVerdict {
        backend,
        settled: false,
    };
    let timeout = Delay::from(Duration::from_millis(timeout_ms.max(1)));
    let outcome = match select(pin!(call), pin!(timeout)).await {
        Either::Left((Ok(value), _)) => Ok(value),
        Either::Left((Err(e), _)) => Err(Unavailable::Failed(e.to_string())),
        Either::Right(_) => Err(Unavailable::Timeout),
    };
    verdict.settled = true;
    let after = clock::now_ms();
    isolate::with(|i| {
        let breaker = i.breaker(backend);
        match &outcome {
            Ok(_) => breaker.on_success(),
            Err(_) => breaker.on_failure(after),
        }
    });
    outcome
}

/// Frees an admitted call's probe slot if the call is dropped before it finishes (the
/// client went away), so a half-open circuit never stalls on probes nobody awaits.
struct PendingVerdict {
    backend: Backend,
    settled: bool,
}

impl Drop for PendingVerdict {
    fn drop(&mut self) {
        if !self.settled {
            isolate::with(|i| i.breaker(self.backend).on_abandon());
        }
    }
}
