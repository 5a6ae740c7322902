//! The background sweeper: every `SWEEP_INTERVAL_MS` it asks the store to drop expired
//! ciphertext and receipts past retention. Correctness never depends on it (expiry is
//! exact on read); it only bounds how long expired bytes stay on disk.
//!
//! A store's sweep does a bounded amount of work per call (`SecretStore::sweep`), so the
//! sweeper calls again while the store reports more, yielding between calls: a backlog of
//! any size is worked off in short steps that requests queue between, and each step stays
//! within the circuit breaker's per-operation timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use vanish_core::clock::Clock;

use crate::store::{SecretStore, StoreError, Swept};
use crate::telemetry::Metrics;

/// What the sweeper works on.
pub struct Sweeper {
    pub store: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

/// Sweeps every `every` until `stop` changes.
pub async fn run(app: Sweeper, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the first sweep waits one interval, so starting up
    // (perhaps while the store is still warming) costs no extra store call.
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        match sweep_backlog(&app, &stop).await {
            Ok(swept) if swept.expired + swept.purged > 0 => {
                tracing::info!(
                    expired = swept.expired,
                    purged = swept.purged,
                    "swept expired secrets"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweep failed; will retry"),
        }
    }
}

/// Calls the store's sweep, all at one `now`, until it has nothing more or shutdown
/// begins. Returns the totals.
async fn sweep_backlog(app: &Sweeper, stop: &watch::Receiver<bool>) -> Result<Swept, StoreError> {
    let now_ms = app.clock.now_ms();
    let mut total = Swept::default();
    loop {
        let step = app.store.sweep(now_ms).await?;
        Metrics::count(&app.metrics.secrets.expired, step.expired);
        total.expired += step.expired;
        total.purged += step.purged;
        if !step.has_more || *stop.borrow() {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use async_trait::async_trait;
    use vanish_core::clock::ManualClock;
    use vanish_core::id::{SecretId, TokenHash};
    use vanish_core::receipt::Receipt;

    use super::*;
    use crate::store::{Managed, Meta, NewRecord, Take};

    /// A store whose backlog takes `steps` sweep calls; everything else is refused.
    struct Backlog {
        steps: u64,
        calls: AtomicU64,
    }

    #[async_trait]
    impl SecretStore for Backlog {
        async fn put(&self, _: NewRecord) -> Result<(), StoreError> {
            Err(StoreError::Closed)
        }
        async fn peek(&self, _: &SecretId, _: u64) -> Result<Option<Meta>, StoreError> {
            Err(StoreError::Closed)
        }
        async fn take(
            &self,
            _: &SecretId,
            _: Option<TokenHash>,
            _: u64,
        ) -> Result<Take, StoreError> {
            Err(StoreError::Closed)
        }
        async fn burn(
            &self,
            _: &SecretId,
            _: TokenHash,
            _: u64,
        ) -> Result<Managed<()>, StoreError> {
            Err(StoreError::Closed)
        }
        async fn receipt(
            &self,
            _: &SecretId,
            _: TokenHash,
            _: u64,
        ) -> Result<Managed<Receipt>, StoreError> {
            Err(StoreError::Closed)
        }
        async fn sweep(&self, _: u64) -> Result<Swept, StoreError> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Swept {
                expired: 10,
                purged: 1,
                has_more: call < self.steps,
            })
        }
        async fn ping(&self) -> Result<(), StoreError> {
            Ok(())
        }
        async fn close(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn sweeper(steps: u64) -> (Sweeper, Arc<Backlog>) {
        let store = Arc::new(Backlog {
            steps,
            calls: AtomicU64::new(0),
        });
        let app = Sweeper {
            store: Arc::clone(&store) as Arc<dyn SecretStore>,
            clock: Arc::new(ManualClock::new(1_000)),
            metrics: Arc::new(Metrics::default()),
        };
        (app, store)
    }

    #[tokio::test]
    async fn a_backlog_is_swept_call_after_call_until_the_store_has_no_more() {
        let (app, store) = sweeper(7);
        let (_stop, stopped) = watch::channel(false);
        let total = sweep_backlog(&app, &stopped).await.expect("sweep");
        assert_eq!(store.calls.load(Ordering::SeqCst), 7);
        assert_eq!((total.expired, total.purged), (70, 7));
    }

    #[tokio::test]
    async fn shutdown_stops_a_backlog_between_two_calls() {
        let (app, store) = sweeper(1_000);
        let (stop, stopped) = watch::channel(false);
        stop.send(true).expect("receiver alive");
        sweep_backlog(&app, &stopped).await.expect("sweep");
        assert_eq!(store.calls.load(Ordering::SeqCst), 1);
    }
}
