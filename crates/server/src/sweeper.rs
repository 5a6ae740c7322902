//! The background sweeper: every `SWEEP_INTERVAL_MS` it asks the store to drop expired
//! ciphertext and receipts past retention. Correctness never depends on it (expiry is
//! exact on read); it only bounds how long expired bytes stay on disk.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use vanish_core::clock::Clock;

use crate::store::SecretStore;
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
        let swept = app.store.sweep(app.clock.now_ms()).await;
        if let Ok(swept) = &swept {
            Metrics::count(&app.metrics.secrets.expired, swept.expired);
        }
        match swept {
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
