//! The background sweeper: every `SWEEP_INTERVAL_MS` it asks the store to drop expired
//! ciphertext and receipts past retention. Correctness never depends on it (expiry is
//! exact on read); it only bounds how long expired bytes stay on disk.
//!
//! A store's sweep does a bounded amount of work per call (`SecretStore::sweep`), so the
//! sweeper calls again while the store reports more: a backlog of any size is worked off in
//! short steps that requests queue between, and each step stays within the circuit
//! breaker's per-operation timeout. Between two steps it pauses nine times as long as the
//! last one took, so a large backlog (a million secrets expiring at once) takes at most a
//! tenth of the store's time and the requests keep the rest (bench/README.md, "Scale").

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use vanish_core::clock::Clock;

use crate::store::{SecretStore, StoreError, Swept};
use crate::telemetry::Metrics;

/// What the sweeper works on.
pub struct Sweeper {
    pub store: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

/// The pause after a step, as a multiple of the step's time: the sweeper's share of the
/// store's time is at most 1 / (1 + this).
const PAUSE_PER_STEP: u32 = 9;
/// The longest pause between two steps (a step that waited long behind requests must not
/// stall the backlog for long).
const MAX_PAUSE: Duration = Duration::from_secs(1);

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
/// begins, pausing between calls ([`PAUSE_PER_STEP`]). Returns the totals.
async fn sweep_backlog(app: &Sweeper, stop: &watch::Receiver<bool>) -> Result<Swept, StoreError> {
    let now_ms = app.clock.now_ms();
    let mut total = Swept::default();
    loop {
        let started = Instant::now();
        let step = app.store.sweep(now_ms).await?;
        let took = started.elapsed();
        Metrics::count(&app.metrics.secrets.expired, step.expired);
        total.expired += step.expired;
        total.purged += step.purged;
        if !step.has_more || *stop.borrow() {
            return Ok(total);
        }
        tokio::time::sleep((took * PAUSE_PER_STEP).min(MAX_PAUSE)).await;
        if *stop.borrow() {
            return Ok(total);
        }
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

    /// How long each of the test store's sweep calls takes, unless a test says otherwise.
    const STEP: Duration = Duration::from_millis(10);

    /// A store whose backlog takes `steps` sweep calls of `step` each (on tokio's clock);
    /// everything else is refused.
    struct Backlog {
        steps: u64,
        step: Duration,
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
            tokio::time::sleep(self.step).await;
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
        sweeper_with(steps, STEP)
    }

    fn sweeper_with(steps: u64, step: Duration) -> (Sweeper, Arc<Backlog>) {
        let store = Arc::new(Backlog {
            steps,
            step,
            calls: AtomicU64::new(0),
        });
        let app = Sweeper {
            store: Arc::clone(&store) as Arc<dyn SecretStore>,
            clock: Arc::new(ManualClock::new(1_000)),
            metrics: Arc::new(Metrics::default()),
        };
        (app, store)
    }

    #[tokio::test(start_paused = true)]
    async fn a_backlog_is_swept_call_after_call_until_the_store_has_no_more() {
        let (app, store) = sweeper(7);
        let (_stop, stopped) = watch::channel(false);
        let total = sweep_backlog(&app, &stopped).await.expect("sweep");
        assert_eq!(store.calls.load(Ordering::SeqCst), 7);
        assert_eq!((total.expired, total.purged), (70, 7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_backlog_takes_at_most_a_tenth_of_the_stores_time() {
        let (app, store) = sweeper(5);
        let (_stop, stopped) = watch::channel(false);
        let started = Instant::now();
        sweep_backlog(&app, &stopped).await.expect("sweep");
        let busy = STEP * 5;
        let paused = STEP * PAUSE_PER_STEP * 4;
        assert_eq!(store.calls.load(Ordering::SeqCst), 5);
        assert_eq!(started.elapsed(), busy + paused);
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_that_waited_long_is_followed_by_a_bounded_pause() {
        let slow = Duration::from_millis(500);
        let (app, _store) = sweeper_with(2, slow);
        let (_stop, stopped) = watch::channel(false);
        let started = Instant::now();
        sweep_backlog(&app, &stopped).await.expect("sweep");
        assert_eq!(started.elapsed(), slow * 2 + MAX_PAUSE);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_a_backlog_between_two_calls() {
        let (app, store) = sweeper(1_000);
        let (stop, stopped) = watch::channel(false);
        stop.send(true).expect("receiver alive");
        sweep_backlog(&app, &stopped).await.expect("sweep");
        assert_eq!(store.calls.load(Ordering::SeqCst), 1);
    }
}
