//! The `LimitStore` contract, run unchanged against every backend: the in-process store
//! (a single node's limiter, and every node's fallback) and Redis, standalone and Cluster.
//! Redis suites start their own `redis-server` (see `support::redis`). The last case runs
//! the limiter's decision cache in front of each store on the real clock.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::redis::{RedisServer, connect, shared_cluster, unique_prefix};
use vanish_core::clock::Clock;
use vanish_core::ratelimit::{Action, Decision, Policy, Tally};
use vanish_server::clock::SystemClock;
use vanish_server::ratelimit::memory::MemoryLimitStore;
use vanish_server::ratelimit::redis::RedisLimitStore;
use vanish_server::ratelimit::{CacheConfig, RateLimiter};
use vanish_server::ratelimit::{ClientKey, LimitStore};
use vanish_server::store::redis::{Keys, RedisOptions};

const T0: u64 = 1_800_000_000_000;
const P: Policy = Policy {
    window_ms: 1000,
    create_per_window: 2,
    read_per_window: 5,
    abuse_multiplier: 3,
    ban_ms: 10_000,
};

fn client(n: u8) -> ClientKey {
    ClientKey::of(std::net::IpAddr::from([192, 0, 2, n]))
}

async fn windows_count_per_client_and_action_and_reopen(store: &dyn LimitStore) {
    // (client, action, attempts, at) → (count, window end): the window opens at the first
    // attempt, lasts `window_ms`, counts per client and action, and reopens at its end.
    let steps = [
        (
            (1, Action::Create, 1, T0),
            (1, T0 + 1000),
            "the first attempt opens a window",
        ),
        (
            (1, Action::Create, 2, T0 + 100),
            (3, T0 + 1000),
            "attempts add up",
        ),
        (
            (1, Action::Read, 1, T0 + 100),
            (1, T0 + 1100),
            "reads are counted apart",
        ),
        (
            (2, Action::Create, 1, T0 + 100),
            (1, T0 + 1100),
            "clients are counted apart",
        ),
        (
            (1, Action::Create, 1, T0 + 999),
            (4, T0 + 1000),
            "the window is still open",
        ),
        (
            (1, Action::Create, 1, T0 + 1000),
            (1, T0 + 2000),
            "a new window opens at its end",
        ),
    ];
    for ((who, action, attempts, at), (count, window_ends_at), why) in steps {
        let r = store
            .record(&client(who), action, attempts, at, &P)
            .await
            .expect("record");
        assert_eq!(
            r.tally,
            Tally {
                count,
                window_ends_at
            },
            "{why}"
        );
        assert_eq!(r.banned_until, None, "{why}");
    }
}

async fn reaching_the_abuse_threshold_bans_until_ban_ms_later(store: &dyn LimitStore) {
    // Threshold: 2 creates × 3 = 6 attempts in one window.
    let r = store
        .record(&client(1), Action::Create, 5, T0, &P)
        .await
        .expect("record");
    assert_eq!(r.banned_until, None);
    let r = store
        .record(&client(1), Action::Create, 1, T0 + 10, &P)
        .await
        .expect("record");
    assert_eq!((r.tally.count, r.banned_until), (6, Some(T0 + 10_010)));
    assert_eq!(
        store
            .banned_until(&client(1), T0 + 10_009)
            .await
            .expect("lookup"),
        Some(T0 + 10_010)
    );
    assert_eq!(
        store
            .banned_until(&client(1), T0 + 10_010)
            .await
            .expect("lookup"),
        None,
        "ends exactly"
    );
    assert_eq!(
        store
            .banned_until(&client(2), T0 + 10)
            .await
            .expect("lookup"),
        None
    );
}

/// Three limiters with their own decision caches on one store stand for three instances,
/// on the real clock (the cache's lifetime is real time in production). A client makes
/// exactly the ban threshold's attempts, spread so that no instance alone sees it: the
/// attempts the caches answered must still reach the store and ban it within two TTLs.
async fn denials_answered_from_caches_still_ban_on_real_time(store: Arc<dyn LimitStore>) {
    let policy = Policy {
        window_ms: 60_000,
        create_per_window: 4,
        read_per_window: 100,
        abuse_multiplier: 5,
        ban_ms: 600_000,
    };
    let ttl = Duration::from_millis(200);
    let cache = CacheConfig {
        ttl_ms: 200,
        max_entries: 100,
        dedup_window: Duration::from_secs(5),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let instances: Vec<Arc<RateLimiter>> = (0..3)
        .map(|_| {
            let limiter = Arc::new(RateLimiter::new(
                policy,
                Arc::clone(&store),
                cache,
                Arc::default(),
            ));
            tokio::spawn(Arc::clone(&limiter).run_flusher(
                Arc::clone(&clock),
                ttl,
                stopped.clone(),
            ));
            limiter
        })
        .collect();
    let me = client(9);
    let mut decisions = Vec::new();
    for n in 0..20 {
        decisions.push(
            instances[n % 3]
                .check(&me, Action::Create, clock.now_ms())
                .await,
        );
    }
    assert!(
        !decisions.iter().any(|d| matches!(d, Decision::Ban { .. })),
        "no instance alone reaches the threshold: {decisions:?}"
    );
    tokio::time::sleep(ttl * 2 + Duration::from_millis(100)).await;
    let now = clock.now_ms();
    assert!(
        store
            .banned_until(&me, now)
            .await
            .expect("lookup")
            .is_some(),
        "banned in the store within two cache TTLs"
    );
    for instance in &instances {
        let decision = instance.check(&me, Action::Create, now).await;
        assert!(matches!(decision, Decision::Ban { .. }), "{decision:?}");
    }
}

/// A backend under test, kept alive with whatever it runs on.
struct Backend {
    store: Arc<dyn LimitStore>,
    _guard: Box<dyn std::any::Any + Send>,
}

fn memory() -> Option<Backend> {
    Some(Backend {
        store: Arc::new(MemoryLimitStore::new(10_000)),
        _guard: Box::new(()),
    })
}

fn redis_on(url: &str) -> Arc<dyn LimitStore> {
    let conn = connect(url, RedisOptions::default());
    let keys = Keys::new(&unique_prefix()).expect("valid prefix");
    Arc::new(RedisLimitStore::new(conn, keys))
}

fn redis() -> Option<Backend> {
    let server = RedisServer::start()?;
    Some(Backend {
        store: redis_on(&server.url()),
        _guard: Box::new(server),
    })
}

fn redis_cluster() -> Option<Backend> {
    let cluster = shared_cluster()?;
    Some(Backend {
        store: redis_on(&cluster.url()),
        _guard: Box::new(cluster),
    })
}

macro_rules! conformance {
    ($backend:ident) => {
        mod $backend {
            #[tokio::test]
            async fn windows_count_per_client_and_action_and_reopen() {
                let Some(backend) = super::$backend() else {
                    return;
                };
                super::windows_count_per_client_and_action_and_reopen(backend.store.as_ref()).await;
            }

            #[tokio::test]
            async fn reaching_the_abuse_threshold_bans_until_ban_ms_later() {
                let Some(backend) = super::$backend() else {
                    return;
                };
                super::reaching_the_abuse_threshold_bans_until_ban_ms_later(backend.store.as_ref())
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn denials_answered_from_caches_still_ban_on_real_time() {
                let Some(backend) = super::$backend() else {
                    return;
                };
                super::denials_answered_from_caches_still_ban_on_real_time(backend.store.clone())
                    .await;
            }
        }
    };
}

conformance!(memory);
conformance!(redis);
conformance!(redis_cluster);
