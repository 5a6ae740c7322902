//! Redis beyond the store contract: the shared rate-limit store, and how the client
//! behaves when Redis dies, hangs and comes back. Every test runs its own `redis-server`
//! (see `support::redis`); the store contract itself is `store_conformance.rs`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::proxy::{Loss, LossyProxy};
use support::redis::{RedisSentinel, RedisServer, connect, shared_cluster, unique_prefix};
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::ratelimit::{Action, Policy};
use vanish_core::receipt::ReceiptState;
use vanish_server::ratelimit::redis::RedisLimitStore;
use vanish_server::ratelimit::{ClientKey, LimitStore};
use vanish_server::store::redis::persistence::{Eviction, assess};
use vanish_server::store::redis::{Keys, RedisOptions, RedisStore};
use vanish_server::store::{Managed, NewRecord, SecretStore, StoreError, Take};

const T0: u64 = 1_800_000_000_000;
const P: Policy = Policy {
    window_ms: 1000,
    create_per_window: 2,
    read_per_window: 5,
    abuse_multiplier: 3,
    ban_ms: 10_000,
};

fn limits(url: &str, prefix: &str) -> RedisLimitStore {
    let keys = Keys::new(prefix).expect("valid prefix");
    RedisLimitStore::new(connect(url, RedisOptions::default()), keys)
}

fn client(n: u8) -> ClientKey {
    ClientKey::of(std::net::IpAddr::from([192, 0, 2, n]))
}

#[tokio::test]
async fn a_ban_set_through_one_instance_holds_on_another() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let prefix = unique_prefix();
    let (a, b) = (limits(&redis.url(), &prefix), limits(&redis.url(), &prefix));
    // Threshold: 2 creates × 3 = 6 attempts in one window, counted across both instances.
    let r = a
        .record(&client(1), Action::Create, 3, T0, &P)
        .await
        .expect("record");
    assert_eq!(r.banned_until, None);
    let r = b
        .record(&client(1), Action::Create, 2, T0 + 10, &P)
        .await
        .expect("record");
    assert_eq!((r.tally.count, r.banned_until), (5, None));
    let r = a
        .record(&client(1), Action::Create, 1, T0 + 20, &P)
        .await
        .expect("record");
    assert_eq!((r.tally.count, r.banned_until), (6, Some(T0 + 20 + 10_000)));
    assert_eq!(
        b.banned_until(&client(1), T0 + 30).await.expect("lookup"),
        Some(T0 + 10_020)
    );
    assert_eq!(
        b.banned_until(&client(1), T0 + 10_020)
            .await
            .expect("lookup"),
        None,
        "ends exactly"
    );
    assert_eq!(
        b.banned_until(&client(2), T0 + 30).await.expect("lookup"),
        None
    );
    // Attempts still count while banned, and the ban is reported, not renewed.
    let r = b
        .record(&client(1), Action::Read, 1, T0 + 40, &P)
        .await
        .expect("record");
    assert_eq!(r.banned_until, Some(T0 + 10_020));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attempts_through_two_instances_are_all_counted() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let prefix = unique_prefix();
    let stores: [Arc<dyn LimitStore>; 2] = [
        Arc::new(limits(&redis.url(), &prefix)),
        Arc::new(limits(&redis.url(), &prefix)),
    ];
    let policy = Policy {
        read_per_window: 10_000,
        ..P
    };
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move {
                store
                    .record(&client(9), Action::Read, 1, T0, &policy)
                    .await
                    .expect("record")
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let r = stores[0]
        .record(&client(9), Action::Read, 1, T0, &policy)
        .await
        .expect("record");
    assert_eq!(r.tally.count, 201);
}

#[tokio::test]
async fn client_addresses_never_appear_in_redis_keys() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = limits(&redis.url(), "vanish");
    store
        .record(&client(7), Action::Create, 100, T0, &P)
        .await
        .expect("record");
    let keys = redis.cli(&["--scan"]);
    assert!(
        keys.contains("vanish:rl:{") && keys.contains(":ban"),
        "{keys}"
    );
    assert!(!keys.contains("192.0.2.7"), "{keys}");
}

fn record(n: u8) -> NewRecord {
    NewRecord {
        id: SecretId::from_random([n; 32]),
        encrypted: format!("ciphertext{n}"),
        iv: "AAECAwQFBgcICQoL".into(),
        created_at: T0,
        expires_at: T0 + 600_000,
        max_views: 1,
        manage_hash: TokenHash::of(b"manage"),
        verifier_hash: None,
    }
}

fn store_on(url: &str, options: RedisOptions) -> RedisStore {
    RedisStore::new(
        connect(url, options),
        Keys::new(&unique_prefix()).expect("prefix"),
    )
}

/// Retries `ping` until it succeeds, for at most `limit`.
async fn wait_until_reachable(store: &RedisStore, limit: Duration) -> Duration {
    let start = Instant::now();
    while store.ping().await.is_err() {
        assert!(start.elapsed() < limit, "no reconnect within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

#[tokio::test]
async fn a_killed_redis_fails_fast_and_a_restarted_one_serves_again_with_its_data() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let store = store_on(&redis.url(), RedisOptions::default());
    store.put(record(1)).await.expect("put");
    store.put(record(2)).await.expect("put");
    redis.kill();
    for _ in 0..5 {
        let start = Instant::now();
        let failed = store.peek(&record(1).id, T0).await;
        assert!(failed.is_err(), "a dead Redis is an error");
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "fails fast: {:?}",
            start.elapsed()
        );
    }
    redis.restart();
    // The very first call after Redis returns succeeds (no failed probe to trip a
    // breaker again); the data came back from the append-only file, and the scripts (lost
    // with the restart) are loaded again transparently.
    let first = store.take(&record(1).id, None, T0).await;
    let Take::Revealed(r) = first.expect("first call after the restart succeeds") else {
        panic!("acknowledged secret survives a Redis restart")
    };
    assert_eq!(r.encrypted, "ciphertext1");
    assert!(store.peek(&record(2).id, T0).await.expect("peek").is_some());
}

#[tokio::test]
async fn a_hung_redis_times_out_instead_of_hanging() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let options = RedisOptions {
        connect_timeout: Duration::from_millis(300),
        response_timeout: Duration::from_millis(300),
    };
    let store = store_on(&redis.url(), options);
    store.put(record(1)).await.expect("put");
    redis.pause();
    let start = Instant::now();
    let result = store.peek(&record(1).id, T0).await;
    let took = start.elapsed();
    redis.resume();
    assert!(matches!(result, Err(StoreError::Timeout)), "{result:?}");
    assert!(
        took < Duration::from_millis(1000),
        "bounded by the response timeout: {took:?}"
    );
    wait_until_reachable(&store, Duration::from_secs(5)).await;
    assert!(store.peek(&record(1).id, T0).await.expect("peek").is_some());
}

#[tokio::test]
async fn a_store_that_never_reached_redis_starts_and_reports_unready() {
    let port = support::redis::free_port();
    let options = RedisOptions::default();
    let store = store_on(&format!("redis://127.0.0.1:{port}"), options);
    let start = Instant::now();
    assert!(store.ping().await.is_err());
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn persistence_settings_are_read_from_every_node() {
    let Some(weak) =
        RedisServer::start_with_args(&["--appendonly", "no", "--appendfsync", "everysec"])
    else {
        return;
    };
    let conn = connect(&weak.url(), RedisOptions::default());
    let appendonly = conn.config_get("appendonly").await.expect("config get");
    let appendfsync = conn.config_get("appendfsync").await.expect("config get");
    assert_eq!(
        (appendonly.as_slice(), appendfsync.as_slice()),
        (&["no".to_owned()][..], &["everysec".to_owned()][..])
    );
    assert_eq!(assess(&appendonly, &appendfsync).len(), 2);

    let Some(cluster) = shared_cluster() else {
        return;
    };
    let conn = connect(&cluster.url(), RedisOptions::default());
    let appendonly = conn.config_get("appendonly").await.expect("config get");
    let appendfsync = conn.config_get("appendfsync").await.expect("config get");
    assert_eq!(appendonly, ["yes", "yes", "yes"]);
    assert!(assess(&appendonly, &appendfsync).is_empty());
}

fn assert_refused_for(result: Result<(), StoreError>, policy: &str) {
    let Err(StoreError::Refused(why)) = &result else {
        panic!("an evicting Redis ({policy}) is refused: {result:?}")
    };
    assert!(
        why.contains(&format!("maxmemory-policy {policy}")) && why.contains("REDIS_ALLOW_EVICTION"),
        "{why}"
    );
}

#[tokio::test]
async fn a_redis_that_may_evict_keys_is_refused_unless_tolerated() {
    let Some(evicting) = RedisServer::start_with_args(&["--maxmemory-policy", "allkeys-lru"])
    else {
        return;
    };
    let store = store_on(&evicting.url(), RedisOptions::default());
    assert_refused_for(store.put(record(1)).await, "allkeys-lru");
    assert_refused_for(store.ping().await, "allkeys-lru");
    assert_eq!(evicting.cli(&["DBSIZE"]).trim(), "0", "nothing was written");

    let tolerant =
        store_on(&evicting.url(), RedisOptions::default()).with_eviction(Eviction::Tolerate);
    tolerant
        .put(record(1))
        .await
        .expect("the operator tolerates eviction");

    let Some(safe) = RedisServer::start_with_args(&["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    store_on(&safe.url(), RedisOptions::default())
        .put(record(1))
        .await
        .expect("noeviction serves");
}

#[tokio::test]
async fn a_redis_out_at_first_contact_is_checked_when_it_answers() {
    let Some(mut evicting) = RedisServer::start_with_args(&["--maxmemory-policy", "volatile-ttl"])
    else {
        return;
    };
    evicting.kill();
    let store = store_on(&evicting.url(), RedisOptions::default());
    let unreachable = store.put(record(1)).await;
    assert!(
        matches!(unreachable, Err(StoreError::Backend(_))),
        "{unreachable:?}"
    );
    evicting.restart();
    assert_refused_for(store.put(record(1)).await, "volatile-ttl");
}

#[tokio::test]
async fn in_a_cluster_every_primary_must_keep_its_keys() {
    let Some(cluster) = support::redis::RedisCluster::start() else {
        return;
    };
    for bad in cluster.nodes() {
        assert_eq!(
            bad.cli(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"])
                .trim(),
            "OK"
        );
        let store = store_on(&cluster.url(), RedisOptions::default());
        assert_refused_for(store.put(record(1)).await, "volatile-lru");
        assert_eq!(
            bad.cli(&["CONFIG", "SET", "maxmemory-policy", "noeviction"])
                .trim(),
            "OK"
        );
    }
    let store = store_on(&cluster.url(), RedisOptions::default());
    store
        .put(record(1))
        .await
        .expect("every primary keeps its keys");
}

#[tokio::test]
async fn a_rediss_url_refuses_a_server_it_cannot_verify() {
    let Some(ca) = support::redis::TestCa::generate() else {
        return;
    };
    let tls_port = support::redis::free_port();
    let args = ca.redis_args(tls_port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let Some(_redis) = RedisServer::start_with_args(&args) else {
        return;
    };
    // The test CA is in no trust store this process reads, so the handshake must fail:
    // an error (which also shows that a TLS crypto provider is in place), never a panic
    // or a plaintext fallback.
    let store = store_on(
        &format!("rediss://localhost:{tls_port}"),
        RedisOptions::default(),
    );
    let Err(StoreError::Backend(message)) = store.ping().await else {
        panic!("an unverifiable server is refused")
    };
    assert!(message.contains("certificate"), "{message}");
}

#[tokio::test]
async fn a_closed_store_refuses_work_and_keeps_what_it_stored() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let prefix = unique_prefix();
    let open = |prefix: &str| {
        let keys = Keys::new(prefix).expect("prefix");
        RedisStore::new(connect(&redis.url(), RedisOptions::default()), keys)
    };
    let store = open(&prefix);
    store.put(record(1)).await.expect("put");
    store.close().await.expect("close");
    assert!(matches!(
        store.put(record(2)).await,
        Err(StoreError::Closed)
    ));
    assert!(matches!(store.ping().await, Err(StoreError::Closed)));
    let reopened = open(&prefix);
    assert!(
        reopened
            .peek(&record(1).id, T0)
            .await
            .expect("peek")
            .is_some()
    );
}

#[tokio::test]
async fn behind_sentinel_the_store_follows_a_failover() {
    let Some(mut set) = RedisSentinel::start() else {
        return;
    };
    let options = RedisOptions {
        connect_timeout: Duration::from_millis(500),
        response_timeout: Duration::from_secs(1),
    };
    let store = store_on(&set.url(), options);
    store
        .put(record(1))
        .await
        .expect("put through the Sentinel's primary");
    // Replication is asynchronous: wait until the replica holds what the primary does.
    let dbsize = |server: &RedisServer| server.cli(&["dbsize"]).trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while dbsize(&set.replica) != dbsize(&set.primary) {
        assert!(Instant::now() < deadline, "replica never caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    set.primary.kill();

    // While the Sentinel fails over, calls fail, each within its timeouts; then they reach
    // the promoted replica, without a new store.
    let started = Instant::now();
    loop {
        let call = Instant::now();
        let result = store.peek(&record(1).id, T0).await;
        assert!(
            call.elapsed() < Duration::from_secs(3),
            "{:?}",
            call.elapsed()
        );
        if let Ok(meta) = result {
            assert!(
                meta.is_some(),
                "the replicated secret is on the new primary"
            );
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no failover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(set.primary_port(), Some(set.replica.port()));
    store
        .put(record(2))
        .await
        .expect("writes go to the new primary");
    let Take::Revealed(r) = store.take(&record(1).id, None, T0).await.expect("take") else {
        panic!("revealable after failover")
    };
    assert_eq!(r.encrypted, "ciphertext1");
}

/// Timeouts short enough that a reply held back by the proxy times out quickly.
const LOSSY: RedisOptions = RedisOptions {
    connect_timeout: Duration::from_millis(500),
    response_timeout: Duration::from_millis(500),
};

/// Held back past the response timeout, yet delivered before a retry sent at the timeout
/// times out in turn (replies on one connection keep their order).
const HELD_BACK: Loss = Loss::Delay(Duration::from_millis(800));

/// A standalone Redis reached through a [`LossyProxy`].
fn standalone_behind_a_proxy() -> Option<(RedisServer, LossyProxy)> {
    let redis = RedisServer::start()?;
    let proxy = LossyProxy::start();
    proxy.forward_to(redis.port());
    Some((redis, proxy))
}

/// A one-node Redis Cluster (all slots on one primary) that announces the proxy's port,
/// so the cluster client reaches it only through the proxy, even after rediscovery.
fn cluster_behind_a_proxy() -> Option<(RedisServer, LossyProxy)> {
    let proxy = LossyProxy::start();
    let bus = support::redis::free_port().to_string();
    let announced = proxy.port().to_string();
    let node = RedisServer::start_with_args(&[
        "--cluster-enabled",
        "yes",
        "--cluster-port",
        &bus,
        "--cluster-announce-ip",
        "127.0.0.1",
        "--cluster-announce-port",
        &announced,
    ])?;
    proxy.forward_to(node.port());
    assert_eq!(
        node.cli(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]).trim(),
        "OK"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !node.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok") {
        assert!(
            Instant::now() < deadline,
            "the one-node cluster never became ok"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((node, proxy))
}

/// Put, take and burn one secret, each with its reply lost once on the way back: every
/// call still reports what it did, and did it once.
async fn lost_replies_neither_repeat_nor_hide_a_write(
    redis: &RedisServer,
    url: &str,
    proxy: &LossyProxy,
    loss: Loss,
) {
    let store = store_on(url, LOSSY);
    // Scripts loaded and the eviction check made before any reply is lost.
    store.put(record(9)).await.expect("warm-up put");
    store
        .take(&record(9).id, None, T0)
        .await
        .expect("warm-up take");

    let secret = NewRecord {
        max_views: 3,
        ..record(1)
    };
    let id = secret.id.clone();
    proxy.lose_reply_to(id.as_str(), loss);
    store
        .put(secret)
        .await
        .expect("a stored secret is reported stored, though its reply was lost");
    assert_eq!(proxy.lost(), 1, "the put's reply was lost");

    proxy.lose_reply_to(id.as_str(), loss);
    let taken = store.take(&id, None, T0).await.expect("take");
    assert_eq!(proxy.lost(), 2, "the take's reply was lost");
    let Take::Revealed(revealed) = taken else {
        panic!("the view whose reply was lost is handed out: {taken:?}")
    };
    assert_eq!(
        (revealed.encrypted.as_str(), revealed.views_left),
        ("ciphertext1", 2)
    );
    let manage = TokenHash::of(b"manage");
    let Managed::Done(receipt) = store.receipt(&id, manage, T0).await.expect("receipt") else {
        panic!("receipt")
    };
    assert_eq!(
        (receipt.views_left, receipt.viewed_at.len()),
        (2, 1),
        "exactly one view was consumed"
    );

    no_kept_reply_holds_the_ciphertext(redis).await;

    proxy.lose_reply_to(id.as_str(), loss);
    let burned = store.burn(&id, manage, T0).await.expect("burn");
    assert_eq!((burned, proxy.lost()), (Managed::Done(()), 3));
    let Managed::Done(receipt) = store.receipt(&id, manage, T0).await.expect("receipt") else {
        panic!("receipt")
    };
    assert_eq!(
        (receipt.stored_state, receipt.views_left),
        (ReceiptState::Burned, 2)
    );
    assert_eq!(
        store.take(&id, None, T0).await.expect("take"),
        Take::NotFound
    );
}

/// A call's kept reply lives seconds at most, and a reveal's (the ciphertext) goes as
/// soon as its reply has arrived.
async fn no_kept_reply_holds_the_ciphertext(redis: &RedisServer) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let kept = redis.cli(&["--scan", "--pattern", "*:call:*"]);
        let keys: Vec<&str> = kept.lines().filter(|k| !k.is_empty()).collect();
        for key in &keys {
            let ttl: i64 = redis.cli(&["PTTL", key]).trim().parse().unwrap_or(-1);
            assert!((0..=3_000).contains(&ttl), "{key} is kept for {ttl} ms");
        }
        let holding = keys
            .iter()
            .filter(|k| redis.cli(&["GET", k]).contains("ciphertext"))
            .count();
        if holding == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "a reveal's reply is still kept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn standalone_a_dropped_connection_loses_no_write_and_repeats_none() {
    let Some((redis, proxy)) = standalone_behind_a_proxy() else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}", proxy.port());
    lost_replies_neither_repeat_nor_hide_a_write(&redis, &url, &proxy, Loss::Close).await;
}

#[tokio::test]
async fn standalone_a_reply_past_the_timeout_loses_no_write_and_repeats_none() {
    let Some((redis, proxy)) = standalone_behind_a_proxy() else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}", proxy.port());
    lost_replies_neither_repeat_nor_hide_a_write(&redis, &url, &proxy, HELD_BACK).await;
}

#[tokio::test]
async fn cluster_a_dropped_connection_loses_no_write_and_repeats_none() {
    let Some((node, proxy)) = cluster_behind_a_proxy() else {
        return;
    };
    let url = format!("redis+cluster://127.0.0.1:{}", proxy.port());
    lost_replies_neither_repeat_nor_hide_a_write(&node, &url, &proxy, Loss::Close).await;
}

#[tokio::test]
async fn cluster_a_reply_past_the_timeout_loses_no_write_and_repeats_none() {
    let Some((node, proxy)) = cluster_behind_a_proxy() else {
        return;
    };
    let url = format!("redis+cluster://127.0.0.1:{}", proxy.port());
    lost_replies_neither_repeat_nor_hide_a_write(&node, &url, &proxy, HELD_BACK).await;
}
