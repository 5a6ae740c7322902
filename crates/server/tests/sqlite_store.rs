//! The embedded store beyond the shared contract (`store_conformance.rs`): a sweep of a
//! large backlog never holds the one writer for long, and a data dir written by an older
//! schema is upgraded in place with nothing lost.

use std::sync::Arc;

use futures::future::join_all;
use rusqlite::{Connection, params};
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::limits::{MAX_FAILED_PROOFS, RECEIPT_RETENTION_MS};
use vanish_core::receipt::ReceiptState;
use vanish_server::store::sqlite::{DB_FILE, SqliteStore};
use vanish_server::store::{Managed, Meta, NewRecord, SecretStore, StoreError, Swept, Take};

const T0: u64 = 1_800_000_000_000;
const TTL: u64 = 600_000;

fn id(n: u32) -> SecretId {
    let mut bytes = [0u8; 32];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    SecretId::from_random(bytes)
}

fn manage() -> TokenHash {
    TokenHash::of(b"manage-token")
}

fn record(n: u32, expires_at: u64, encrypted: String) -> NewRecord {
    NewRecord {
        id: id(n),
        encrypted,
        iv: "AAECAwQFBgcICQoL".into(),
        created_at: T0,
        expires_at,
        max_views: 1,
        manage_hash: manage(),
        verifier_hash: None,
    }
}

/// Stores `count` secrets (ids from `first`) that expire at `T0 + TTL`. The puts are
/// queued together, so the writer commits them in a few group commits.
async fn backlog(store: &SqliteStore, first: u32, count: u32, size: usize) {
    let puts = (first..first + count).map(|n| store.put(record(n, T0 + TTL, "x".repeat(size))));
    for put in join_all(puts).await {
        put.expect("put");
    }
}

/// Starts sweeping everything (past expiry and past retention), call after call as the
/// sweeper does, then creates secrets one after another until the sweep ends. Returns the sweep's result and how many creates
/// completed while it was still running. The test runtime has one thread, so the sweep's
/// first job is queued before the first create.
async fn creates_during_a_sweep(store: Arc<SqliteStore>) -> (Swept, u32) {
    let sweeping = Arc::clone(&store);
    let sweep = tokio::spawn(async move {
        // As the sweeper does: call again while the store says there is more.
        let mut total = Swept::default();
        loop {
            let step = sweeping.sweep(T0 + TTL + RECEIPT_RETENTION_MS).await?;
            total.expired += step.expired;
            total.purged += step.purged;
            if !step.has_more {
                return Ok::<_, StoreError>(total);
            }
        }
    });
    tokio::task::yield_now().await;
    let mut during = 0;
    for n in 0..100_000u32 {
        let far = T0 + TTL + 10 * RECEIPT_RETENTION_MS;
        store
            .put(record(1_000_000 + n, far, "small".into()))
            .await
            .expect("create during the sweep");
        if sweep.is_finished() {
            break;
        }
        during += 1;
    }
    let swept = sweep.await.expect("sweep task").expect("sweep");
    (swept, during)
}

#[tokio::test]
async fn creates_go_first_while_a_large_backlog_is_swept_in_batches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path()).expect("open"));
    backlog(&store, 0, 5_000, 16).await;
    let (swept, during) = creates_during_a_sweep(Arc::clone(&store)).await;
    assert_eq!(
        swept,
        Swept {
            expired: 5_000,
            purged: 5_000,
            has_more: false
        }
    );
    // One writer transaction for the whole sweep would let at most the create queued with
    // it through; steps of a few hundred rows let one through between every two.
    assert!(
        during >= 10,
        "only {during} creates completed while 5,000 expired secrets were swept"
    );
}

#[tokio::test]
async fn large_ciphertexts_are_swept_a_few_megabytes_at_a_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path()).expect("open"));
    backlog(&store, 0, 40, 1_000_000).await;
    let (swept, during) = creates_during_a_sweep(Arc::clone(&store)).await;
    assert_eq!(swept.expired, 40);
    assert!(
        during >= 3,
        "only {during} creates completed while 40 MB of expired ciphertext was swept"
    );
}

/// The schema of the first release (`user_version` 1): one table, ciphertext in the row.
const SCHEMA_V1: &str = "
CREATE TABLE secrets (
    id            TEXT PRIMARY KEY,
    encrypted     TEXT,
    iv            TEXT,
    state         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    max_views     INTEGER NOT NULL,
    views_left    INTEGER NOT NULL,
    viewed_at     TEXT NOT NULL DEFAULT '[]',
    manage_hash   BLOB NOT NULL,
    verifier_hash BLOB,
    failed_proofs INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX secrets_by_expiry ON secrets (expires_at);
PRAGMA user_version = 1;
";

/// One row as the first release wrote it.
struct V1Row {
    n: u32,
    encrypted: Option<&'static str>,
    state: &'static str,
    expires_at: u64,
    max_views: u32,
    views_left: u32,
    viewed_at: &'static str,
    verifier: Option<&'static [u8]>,
    failed_proofs: u32,
}

fn write_v1_data_dir(dir: &std::path::Path, rows: &[V1Row]) {
    let conn = Connection::open(dir.join(DB_FILE)).expect("open v1 db");
    conn.execute_batch("PRAGMA journal_mode = WAL;")
        .expect("wal");
    conn.execute_batch(SCHEMA_V1).expect("v1 schema");
    for r in rows {
        conn.execute(
            "INSERT INTO secrets (id, encrypted, iv, state, created_at, expires_at, max_views,
                                  views_left, viewed_at, manage_hash, verifier_hash, failed_proofs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                id(r.n).as_str(),
                r.encrypted,
                r.encrypted.map(|_| "AAECAwQFBgcICQoL"),
                r.state,
                T0,
                r.expires_at,
                r.max_views,
                r.views_left,
                r.viewed_at,
                manage().as_bytes(),
                r.verifier.map(|v| TokenHash::of(v).as_bytes().to_vec()),
                r.failed_proofs,
            ],
        )
        .expect("insert v1 row");
    }
}

async fn receipt(store: &SqliteStore, n: u32, now: u64) -> (ReceiptState, u32, Vec<u64>) {
    match store.receipt(&id(n), manage(), now).await.expect("receipt") {
        Managed::Done(r) => (r.state_at(now), r.views_left, r.viewed_at),
        other => panic!("receipt of {n}: {other:?}"),
    }
}

#[tokio::test]
async fn a_data_dir_of_the_first_schema_is_upgraded_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = T0 + TTL;
    let row = |n, encrypted, state, views_left, viewed_at| V1Row {
        n,
        encrypted,
        state,
        expires_at: live,
        max_views: 3,
        views_left,
        viewed_at,
        verifier: None,
        failed_proofs: 0,
    };
    write_v1_data_dir(
        dir.path(),
        &[
            row(1, Some("pending-one"), "pending", 2, "[1800000000005]"),
            row(
                2,
                None,
                "viewed",
                0,
                "[1800000000001,1800000000002,1800000000003]",
            ),
            row(3, None, "burned", 3, "[]"),
            V1Row {
                verifier: Some(b"right"),
                failed_proofs: MAX_FAILED_PROOFS - 1,
                ..row(4, Some("guarded"), "pending", 1, "[]")
            },
            // Expired but never swept: its ciphertext is still in the row.
            V1Row {
                expires_at: T0 + 10,
                ..row(5, Some("stale"), "pending", 1, "[]")
            },
        ],
    );

    let store = SqliteStore::open(dir.path()).expect("a v1 data dir opens");
    let now = T0 + 100;
    assert_eq!(
        store.peek(&id(1), now).await.expect("peek"),
        Some(Meta {
            expires_at: live,
            views_left: 2,
            passphrase_required: false
        })
    );
    assert_eq!(
        receipt(&store, 2, now).await,
        (ReceiptState::Viewed, 0, vec![T0 + 1, T0 + 2, T0 + 3])
    );
    assert_eq!(receipt(&store, 3, now).await.0, ReceiptState::Burned);
    assert_eq!(receipt(&store, 5, now).await.0, ReceiptState::Expired);
    // The verifier and the count of wrong proofs came along: one more wrong proof burns.
    assert_eq!(
        store.take(&id(4), None, now).await.expect("take"),
        Take::PassphraseRequired
    );
    assert_eq!(
        store
            .take(&id(4), Some(TokenHash::of(b"wrong")), now)
            .await
            .expect("take"),
        Take::PassphraseInvalid
    );
    assert_eq!(receipt(&store, 4, now).await.0, ReceiptState::Burned);
    let Take::Revealed(revealed) = store.take(&id(1), None, now).await.expect("take") else {
        panic!("the pending secret reveals after the upgrade")
    };
    assert_eq!(
        (revealed.encrypted.as_str(), revealed.views_left),
        ("pending-one", 1)
    );
    assert_eq!(receipt(&store, 1, now).await.2, vec![T0 + 5, now]);
    let swept = store.sweep(now).await.expect("sweep");
    assert_eq!(swept.expired, 1, "the stale secret's ciphertext is swept");
    store.close().await.expect("close");

    // Upgraded once: the file now has the current schema, and no ciphertext is left
    // anywhere but with the one live secret.
    let conn = Connection::open(dir.path().join(DB_FILE)).expect("reopen");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 2);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    assert_eq!(tables, ["material", "receipts"]);
    let held: Vec<String> = conn
        .prepare("SELECT encrypted FROM material")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("material");
    assert_eq!(held, ["pending-one"]);
    let reopened = SqliteStore::open(dir.path()).expect("a v2 data dir opens again");
    assert!(reopened.peek(&id(1), now).await.expect("peek").is_some());
    reopened.close().await.expect("close");
}
