//! Single-flight: concurrent identical lookups share one backend call. The first caller's
//! work runs on its own task, so a caller that goes away cancels nothing for the others;
//! every waiter gets the same result, errors included.
//!
//! Only for idempotent lookups (metadata, bans). Never for reveal, create, burn or status:
//! merging those would hand one consumer's result to another.
//!
//! A flight older than the dedup window (`DEDUP_WINDOW_MS`) takes no new waiters: a lookup
//! that hangs does not collect every later caller behind it.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

struct Flight<V: Clone> {
    /// Tells this flight from a later one under the same key.
    serial: u64,
    started: Instant,
    result: Shared<BoxFuture<'static, V>>,
}

pub struct SingleFlight<K, V: Clone> {
    /// Held only to find or register a flight, never across an `.await`.
    flights: Arc<Mutex<HashMap<K, Flight<V>>>>,
    window: Duration,
    serials: AtomicU64,
    /// Callers served by another caller's flight; shared with the metrics.
    merged: Arc<AtomicU64>,
}

impl<K, V> SingleFlight<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Flights join callers for at most `window`; each merged caller adds one to `merged`.
    pub fn new(window: Duration, merged: Arc<AtomicU64>) -> Self {
        Self {
            flights: Arc::new(Mutex::new(HashMap::new())),
            window,
            serials: AtomicU64::new(0),
            merged,
        }
    }

    /// Runs `work` unless a flight for `key` is already under way, in which case its result
    /// is awaited instead. `on_panic` is what waiters get if the work panics.
    pub async fn run<F>(&self, key: K, work: F, on_panic: V) -> V
    where
        F: Future<Output = V> + Send + 'static,
    {
        let result = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            match flights
                .get(&key)
                .filter(|f| f.started.elapsed() < self.window)
            {
                Some(flight) => {
                    self.merged.fetch_add(1, Ordering::Relaxed);
                    flight.result.clone()
                }
                None => {
                    let serial = self.serials.fetch_add(1, Ordering::Relaxed);
                    let registry = Arc::clone(&self.flights);
                    let done_key = key.clone();
                    let task = tokio::spawn(async move {
                        let value = work.await;
                        // Unregister before the value is shared, so later callers start
                        // afresh; only this flight, not a newer one under the same key.
                        let mut flights = registry.lock().unwrap_or_else(|p| p.into_inner());
                        if flights.get(&done_key).is_some_and(|f| f.serial == serial) {
                            flights.remove(&done_key);
                        }
                        value
                    });
                    let result = async move { task.await.unwrap_or(on_panic) }
                        .boxed()
                        .shared();
                    flights.insert(
                        key,
                        Flight {
                            serial,
                            started: Instant::now(),
                            result: result.clone(),
                        },
                    );
                    result
                }
            }
        };
        result.await
    }

    /// How many callers were served by another caller's flight so far.
    pub fn merged(&self) -> u64 {
        self.merged.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn flights<V: Clone + Send + Sync + 'static>() -> Arc<SingleFlight<&'static str, V>> {
        Arc::new(SingleFlight::new(Duration::from_secs(5), Arc::default()))
    }

    // Time is paused: sleeps below advance tokio's clock at once when every task is idle,
    // so these tests order events without waiting for them.

    #[tokio::test(start_paused = true)]
    async fn concurrent_identical_lookups_run_once_and_share_the_result() {
        let flights = flights::<Result<u32, String>>();
        let runs = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..10)
            .map(|_| {
                let (flights, runs) = (Arc::clone(&flights), Arc::clone(&runs));
                tokio::spawn(async move {
                    let work = async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Err::<u32, _>("backend down".to_owned())
                    };
                    flights.run("key", work, Err("panicked".into())).await
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(
                caller.await.expect("task"),
                Err("backend down".to_owned()),
                "errors are shared"
            );
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.merged(), 9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_leader_that_goes_away_does_not_cancel_the_work() {
        let flights = flights::<u32>();
        let leader = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                let work = async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    7
                };
                flights.run("k", work, 0).await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let follower = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move { flights.run("k", async { 99 }, 0).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        leader.abort();
        assert_eq!(follower.await.expect("follower"), 7, "the leader's result");
    }

    #[tokio::test(start_paused = true)]
    async fn a_flight_older_than_the_window_takes_no_new_waiters() {
        let flights = flights::<u32>();
        let hung = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                let work = async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    1
                };
                flights.run("k", work, 0).await
            })
        };
        tokio::time::sleep(Duration::from_secs(4)).await;
        let joined = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move { flights.run("k", async { 2 }, 0).await })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        let fresh = flights.run("k", async { 3 }, 0).await;
        assert_eq!(fresh, 3, "past the window a caller starts its own lookup");
        assert_eq!(
            joined.await.expect("task"),
            1,
            "within the window a caller joins"
        );
        assert_eq!(hung.await.expect("task"), 1);
        assert_eq!(flights.merged(), 1);
    }
}
