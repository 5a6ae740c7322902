//! The `SecretStore` contract, run unchanged against every backend. Each backend gets a
//! module from `conformance!` with one test per clause of the contract. A backend factory
//! returns `None` when its server is not installed (Redis); the harness has then printed a
//! SKIPPED line, or failed under `VANISH_REQUIRE_ALL=1`.

mod support;

use std::sync::Arc;

use vanish_core::id::{SecretId, TokenHash};
use vanish_core::limits::{MAX_FAILED_PROOFS, RECEIPT_RETENTION_MS};
use vanish_core::receipt::ReceiptState;
use vanish_server::store::memory::MemoryStore;
use vanish_server::store::redis::{Keys, RedisOptions, RedisStore};
use vanish_server::store::sqlite::SqliteStore;
use vanish_server::store::{Managed, Meta, NewRecord, SecretStore, Swept, Take};

const T0: u64 = 1_800_000_000_000;
const TTL: u64 = 600_000;

/// A store under test plus whatever must live as long as it (temp dir, server process).
pub struct Backend {
    pub store: Arc<dyn SecretStore>,
    _guard: Box<dyn std::any::Any + Send>,
}

fn memory() -> Option<Backend> {
    Some(Backend {
        store: Arc::new(MemoryStore::new()),
        _guard: Box::new(()),
    })
}

fn sqlite() -> Option<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).expect("sqlite opens");
    Some(Backend {
        store: Arc::new(store),
        _guard: Box::new(dir),
    })
}

/// A `RedisStore` with its own key prefix on `url`.
fn redis_store(url: &str) -> RedisStore {
    let conn = support::redis::connect(url, RedisOptions::default());
    let keys = Keys::new(&support::redis::unique_prefix()).expect("valid prefix");
    RedisStore::new(conn, keys)
}

/// A standalone `redis-server` of its own per test.
fn redis() -> Option<Backend> {
    let server = support::redis::RedisServer::start()?;
    Some(Backend {
        store: Arc::new(redis_store(&server.url())),
        _guard: Box::new(server),
    })
}

/// A three-master Redis Cluster, shared by concurrent tests (each under its own prefix).
fn redis_cluster() -> Option<Backend> {
    let cluster = support::redis::shared_cluster()?;
    Some(Backend {
        store: Arc::new(redis_store(&cluster.url())),
        _guard: Box::new(cluster),
    })
}

fn id(n: u8) -> SecretId {
    SecretId::from_random([n; 32])
}

fn manage() -> TokenHash {
    TokenHash::of(b"manage-token")
}

fn record(n: u8, max_views: u32, verifier: Option<&[u8]>) -> NewRecord {
    NewRecord {
        id: id(n),
        encrypted: format!("ciphertext{n}"),
        iv: "AAECAwQFBgcICQoL".into(),
        created_at: T0,
        expires_at: T0 + TTL,
        max_views,
        manage_hash: manage(),
        verifier_hash: verifier.map(TokenHash::of),
    }
}

fn revealed_views(take: &Take) -> Option<u32> {
    match take {
        Take::Revealed(r) => Some(r.views_left),
        _ => None,
    }
}

pub async fn put_then_peek_shows_metadata(s: &dyn SecretStore) {
    s.put(record(1, 3, Some(b"v"))).await.expect("put");
    let meta = s.peek(&id(1), T0).await.expect("peek");
    assert_eq!(
        meta,
        Some(Meta {
            expires_at: T0 + TTL,
            views_left: 3,
            passphrase_required: true
        })
    );
    assert_eq!(s.peek(&id(2), T0).await.expect("peek"), None);
}

pub async fn a_duplicate_id_is_an_error_not_an_overwrite(s: &dyn SecretStore) {
    s.put(record(1, 1, None)).await.expect("put");
    let mut again = record(1, 5, None);
    again.encrypted = "other".into();
    assert!(s.put(again).await.is_err());
    let Take::Revealed(r) = s.take(&id(1), None, T0).await.expect("take") else {
        panic!("revealable")
    };
    assert_eq!(r.encrypted, "ciphertext1");
}

pub async fn peek_never_consumes(s: &dyn SecretStore) {
    s.put(record(1, 1, None)).await.expect("put");
    for _ in 0..50 {
        assert!(s.peek(&id(1), T0).await.expect("peek").is_some());
    }
    assert_eq!(
        revealed_views(&s.take(&id(1), None, T0).await.expect("take")),
        Some(0)
    );
}

pub async fn each_view_is_taken_once_then_not_found(s: &dyn SecretStore) {
    s.put(record(1, 3, None)).await.expect("put");
    for left in [2, 1, 0] {
        let take = s.take(&id(1), None, T0).await.expect("take");
        let Take::Revealed(r) = take else {
            panic!("view {left} should reveal")
        };
        assert_eq!((r.encrypted.as_str(), r.views_left), ("ciphertext1", left));
    }
    assert_eq!(
        s.take(&id(1), None, T0).await.expect("take"),
        Take::NotFound
    );
    assert_eq!(s.peek(&id(1), T0).await.expect("peek"), None);
    assert_eq!(
        s.take(&id(9), None, T0).await.expect("take"),
        Take::NotFound
    );
}

pub async fn expiry_is_exact_on_read(s: &dyn SecretStore) {
    s.put(record(1, 2, None)).await.expect("put");
    assert!(s.peek(&id(1), T0 + TTL - 1).await.expect("peek").is_some());
    assert!(s.peek(&id(1), T0 + TTL).await.expect("peek").is_none());
    assert_eq!(
        s.take(&id(1), None, T0 + TTL).await.expect("take"),
        Take::NotFound
    );
    assert_eq!(
        revealed_views(&s.take(&id(1), None, T0 + TTL - 1).await.expect("take")),
        Some(1)
    );
}

pub async fn passphrase_guards_consumption(s: &dyn SecretStore) {
    let right = Some(TokenHash::of(b"right"));
    let wrong = Some(TokenHash::of(b"wrong"));
    s.put(record(1, 1, Some(b"right"))).await.expect("put");
    assert_eq!(
        s.take(&id(1), None, T0).await.expect("take"),
        Take::PassphraseRequired
    );
    assert_eq!(
        s.take(&id(1), wrong, T0).await.expect("take"),
        Take::PassphraseInvalid
    );
    assert_eq!(
        s.peek(&id(1), T0)
            .await
            .expect("peek")
            .map(|m| m.views_left),
        Some(1)
    );
    assert_eq!(
        revealed_views(&s.take(&id(1), right, T0).await.expect("take")),
        Some(0)
    );
}

pub async fn too_many_wrong_proofs_burn(s: &dyn SecretStore) {
    let wrong = Some(TokenHash::of(b"wrong"));
    s.put(record(1, 1, Some(b"right"))).await.expect("put");
    for _ in 0..MAX_FAILED_PROOFS {
        assert_eq!(
            s.take(&id(1), wrong, T0).await.expect("take"),
            Take::PassphraseInvalid
        );
    }
    assert_eq!(
        s.take(&id(1), Some(TokenHash::of(b"right")), T0)
            .await
            .expect("take"),
        Take::NotFound
    );
    let Managed::Done(r) = s.receipt(&id(1), manage(), T0).await.expect("receipt") else {
        panic!("receipt")
    };
    assert_eq!(r.state_at(T0), ReceiptState::Burned);
}

pub async fn burn_needs_the_token_and_keeps_a_receipt(s: &dyn SecretStore) {
    s.put(record(1, 2, None)).await.expect("put");
    assert_eq!(
        s.burn(&id(1), TokenHash::of(b"nope"), T0)
            .await
            .expect("burn"),
        Managed::Forbidden
    );
    assert!(s.peek(&id(1), T0).await.expect("peek").is_some());
    assert_eq!(
        s.burn(&id(1), manage(), T0).await.expect("burn"),
        Managed::Done(())
    );
    assert_eq!(
        s.take(&id(1), None, T0).await.expect("take"),
        Take::NotFound
    );
    assert_eq!(
        s.burn(&id(1), manage(), T0).await.expect("burn again"),
        Managed::Done(())
    );
    assert_eq!(
        s.burn(&id(7), manage(), T0).await.expect("burn unknown"),
        Managed::NotFound
    );
    let Managed::Done(r) = s.receipt(&id(1), manage(), T0).await.expect("receipt") else {
        panic!("receipt")
    };
    assert_eq!((r.state_at(T0), r.views_left), (ReceiptState::Burned, 2));
}

pub async fn burning_a_used_up_secret_keeps_it_viewed(s: &dyn SecretStore) {
    s.put(record(1, 1, None)).await.expect("put");
    s.take(&id(1), None, T0 + 5).await.expect("take");
    assert_eq!(
        s.burn(&id(1), manage(), T0).await.expect("burn"),
        Managed::Done(())
    );
    let Managed::Done(r) = s.receipt(&id(1), manage(), T0).await.expect("receipt") else {
        panic!("receipt")
    };
    assert_eq!(
        (r.state_at(T0), r.viewed_at),
        (ReceiptState::Viewed, vec![T0 + 5])
    );
}

pub async fn receipts_follow_the_life_and_end_after_retention(s: &dyn SecretStore) {
    s.put(record(1, 2, None)).await.expect("put");
    assert_eq!(
        s.receipt(&id(1), TokenHash::of(b"nope"), T0)
            .await
            .expect("receipt"),
        Managed::Forbidden
    );
    assert_eq!(
        s.receipt(&id(8), manage(), T0).await.expect("receipt"),
        Managed::NotFound
    );
    s.take(&id(1), None, T0 + 1).await.expect("take");
    let Managed::Done(r) = s.receipt(&id(1), manage(), T0 + 2).await.expect("receipt") else {
        panic!("receipt")
    };
    assert_eq!(
        (r.state_at(T0 + 2), r.max_views, r.views_left),
        (ReceiptState::Pending, 2, 1)
    );
    assert_eq!(r.viewed_at, vec![T0 + 1]);
    let Managed::Done(r) = s
        .receipt(&id(1), manage(), T0 + TTL)
        .await
        .expect("receipt")
    else {
        panic!("receipt")
    };
    assert_eq!(r.state_at(T0 + TTL), ReceiptState::Expired);
    let end = T0 + TTL + RECEIPT_RETENTION_MS;
    assert_eq!(
        s.receipt(&id(1), manage(), end).await.expect("receipt"),
        Managed::NotFound
    );
}

pub async fn sweep_drops_expired_and_purges_old_receipts(s: &dyn SecretStore) {
    s.put(record(1, 1, None)).await.expect("put");
    let mut lasting = record(2, 1, None);
    lasting.expires_at = T0 + TTL + 2 * RECEIPT_RETENTION_MS;
    s.put(lasting).await.expect("put");
    assert_eq!(s.sweep(T0 + TTL - 1).await.expect("sweep").expired, 0);
    let swept = s.sweep(T0 + TTL).await.expect("sweep");
    assert_eq!((swept.expired, swept.purged), (1, 0));
    let Managed::Done(r) = s
        .receipt(&id(1), manage(), T0 + TTL)
        .await
        .expect("receipt")
    else {
        panic!("receipt")
    };
    assert_eq!(r.stored_state, ReceiptState::Expired);
    let swept = s
        .sweep(T0 + TTL + RECEIPT_RETENTION_MS)
        .await
        .expect("sweep");
    assert_eq!((swept.purged, swept.has_more), (1, false));
    assert!(
        s.peek(&id(2), T0 + TTL + RECEIPT_RETENTION_MS)
            .await
            .expect("peek")
            .is_some()
    );
}

/// Sweeps at `now_ms` call after call, as the sweeper does, and adds up the calls.
async fn sweep_all(s: &dyn SecretStore, now_ms: u64) -> Swept {
    let mut total = Swept::default();
    for _ in 0..10_000 {
        let step = s.sweep(now_ms).await.expect("sweep");
        total.expired += step.expired;
        total.purged += step.purged;
        if !step.has_more {
            return total;
        }
    }
    panic!("a sweep that never ends")
}

pub async fn a_backlog_is_swept_over_several_calls_each_secret_once(s: &dyn SecretStore) {
    let backlog = 600u16;
    let puts = (0..backlog).map(|n| {
        let mut random = [0xA5; 32];
        random[30..].copy_from_slice(&n.to_be_bytes());
        s.put(NewRecord {
            id: SecretId::from_random(random),
            ..record(0, 1, None)
        })
    });
    for put in futures::future::join_all(puts).await {
        put.expect("put");
    }
    let swept = sweep_all(s, T0 + TTL).await;
    assert_eq!((swept.expired, swept.purged), (u64::from(backlog), 0));
    let swept = sweep_all(s, T0 + TTL + RECEIPT_RETENTION_MS).await;
    assert_eq!((swept.expired, swept.purged), (0, u64::from(backlog)));
}

pub async fn concurrent_takes_never_exceed_max_views(s: Arc<dyn SecretStore>) {
    for (n, max_views) in [(1u8, 1u32), (2, 4), (3, 17)] {
        s.put(record(n, max_views, None)).await.expect("put");
        let takers: Vec<_> = (0..64)
            .map(|_| {
                let s = Arc::clone(&s);
                tokio::spawn(async move { s.take(&id(n), None, T0).await.expect("take") })
            })
            .collect();
        let mut revealed = 0;
        for taker in takers {
            if matches!(taker.await.expect("task"), Take::Revealed(_)) {
                revealed += 1;
            }
        }
        assert_eq!(revealed, max_views);
    }
}

pub async fn ping_succeeds_while_open(s: &dyn SecretStore) {
    s.ping().await.expect("ping");
}

/// The primary that a Sentinel watches (with one replica), shared by concurrent tests.
fn redis_sentinel() -> Option<Backend> {
    let set = support::redis::shared_sentinel()?;
    Some(Backend {
        store: Arc::new(redis_store(&set.url())),
        _guard: Box::new(set),
    })
}

macro_rules! conformance {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            conformance!(@tests $backend:
                put_then_peek_shows_metadata,
                a_duplicate_id_is_an_error_not_an_overwrite,
                peek_never_consumes,
                each_view_is_taken_once_then_not_found,
                expiry_is_exact_on_read,
                passphrase_guards_consumption,
                too_many_wrong_proofs_burn,
                burn_needs_the_token_and_keeps_a_receipt,
                burning_a_used_up_secret_keeps_it_viewed,
                receipts_follow_the_life_and_end_after_retention,
                sweep_drops_expired_and_purges_old_receipts,
                a_backlog_is_swept_over_several_calls_each_secret_once,
                ping_succeeds_while_open,
            );

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_takes_never_exceed_max_views() {
                let Some(backend) = super::$backend() else { return };
                super::concurrent_takes_never_exceed_max_views(Arc::clone(&backend.store)).await;
            }
        }
    };
    (@tests $backend:ident: $($test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                let Some(backend) = super::$backend() else { return };
                super::$test(backend.store.as_ref()).await;
            }
        )*
    };
}

conformance!(memory);
conformance!(sqlite);
conformance!(redis);
conformance!(redis_cluster);
conformance!(redis_sentinel);

#[tokio::test]
async fn sqlite_keeps_secrets_across_reopen_and_refuses_after_close() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).expect("open");
    store.put(record(1, 1, None)).await.expect("put");
    store.close().await.expect("close");
    assert!(
        store.put(record(2, 1, None)).await.is_err(),
        "a closed store refuses work"
    );
    let reopened = SqliteStore::open(dir.path()).expect("reopen");
    assert_eq!(
        revealed_views(&reopened.take(&id(1), None, T0).await.expect("take")),
        Some(0)
    );
    reopened.close().await.expect("close");
}
