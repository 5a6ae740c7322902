//! The embedded store: SQLite on local disk, the default for a single node.
//!
//! - **Durability**: WAL with `synchronous=FULL`, so a commit is on disk before any reply.
//! - **One writer** ([`writer`]): every mutation is queued to a single thread that commits
//!   whatever has queued up in one transaction (group commit: one fsync per batch, not per
//!   request). Replies are sent only after that commit, so an acknowledged create survives
//!   `kill -9` and an acknowledged reveal is never handed out again.
//! - **Atomic consume**: `take` is one `UPDATE … RETURNING` guarded by the revealability
//!   check, run by the one writer inside its transaction, which also reads the ciphertext
//!   and, at the last view, deletes it; there is no read-then-delete.
//! - **Schema** ([`schema`]): a small receipt row per secret, and the ciphertext in a row
//!   of its own that is deleted when the secret stops being revealable.
//! - **Sweeping**: bounded steps found through indexes, each its own writer job, so a
//!   backlog never holds the writer for long (`SecretStore::sweep`, `writer::sweep_step`).
//! - **Readers** ([`readers`]): `peek` and `receipt` use a small pool of read connections
//!   on blocking threads; under WAL they never block, nor are blocked by, the writer.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::limits::RECEIPT_RETENTION_MS;
use vanish_core::receipt::{Receipt, ReceiptState};

use super::{Managed, Meta, NewRecord, SecretStore, StoreError, Swept, Take};

mod readers;
mod schema;
mod writer;

use readers::Readers;
use writer::Job;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "vanish.db";

/// SQL condition for "revealable at ?2 (now)" on `receipts AS r`, as a macro so
/// statements that use it stay `&'static str` (and hit the statement cache). A revealable
/// secret always has its `material` row: every change that ends revealability deletes it
/// in the same transaction, and only the sweeper deletes it otherwise.
macro_rules! revealable {
    () => {
        "r.state = 'pending' AND r.views_left > 0 AND r.expires_at > ?2"
    };
}
pub(crate) use revealable;

/// SQL expression for "the secret `r` has a passphrase verifier": NULL when its `material`
/// row is gone. A subquery on `r.id`, not a join: SQLite marks a join on the bound id as
/// depending on that id's value, and rusqlite's statement cache, clearing the bindings of
/// such a statement, makes SQLite compile it again on every call (half the CPU of a
/// metadata read, before).
macro_rules! has_verifier {
    () => {
        "(SELECT m.verifier_hash IS NOT NULL FROM material AS m WHERE m.id = r.id)"
    };
}
pub(crate) use has_verifier;

/// Runs a statement from the connection's prepared-statement cache.
pub(crate) fn exec(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(params)
}

/// Reads one row with a statement from the prepared-statement cache.
pub(crate) fn row<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.prepare_cached(sql)?.query_row(params, map)
}

/// Metadata of a revealable secret (read by `peek`).
const PEEK: &str = concat!(
    "SELECT r.expires_at, r.views_left, ",
    has_verifier!(),
    " FROM receipts AS r WHERE r.id = ?1 AND ",
    revealable!()
);

/// A receipt within its retention (read by `receipt`).
const RECEIPT: &str = "SELECT state, max_views, views_left, viewed_at, expires_at, manage_hash
     FROM receipts WHERE id = ?1 AND expires_at + ?3 > ?2";

pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Readers,
    writer_thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and starts the writer thread.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let path: PathBuf = data_dir.join(DB_FILE);
        let mut conn = open_connection(&path)?;
        schema::migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel();
        let writer_thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer::run(conn, rx))
            .map_err(|e| StoreError::Backend(format!("cannot start writer thread: {e}")))?;
        Ok(Self {
            jobs,
            readers: Readers::new(path),
            writer_thread: std::sync::Mutex::new(Some(writer_thread)),
        })
    }

    /// Queues a job for the writer and waits for its post-commit reply.
    async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs.send(job(tx)).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// Opens a connection with the pragmas every connection needs.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;",
    )
    .map_err(backend)?;
    Ok(conn)
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[async_trait]
impl SecretStore for SqliteStore {
    async fn put(&self, record: NewRecord) -> Result<(), StoreError> {
        self.submit(|reply| Job::Put { record, reply }).await
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError> {
        let id = id.as_str().to_owned();
        self.readers
            .read(move |conn| {
                let meta = row(conn, PEEK, params![id, now_ms], |r| {
                    let Some(passphrase_required) = r.get(2)? else {
                        return Ok(None);
                    };
                    Ok(Some(Meta {
                        expires_at: r.get(0)?,
                        views_left: r.get(1)?,
                        passphrase_required,
                    }))
                })
                .optional()?;
                Ok(meta.flatten())
            })
            .await
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError> {
        let id = id.clone();
        self.submit(|reply| Job::Take {
            id,
            proof,
            now_ms,
            reply,
        })
        .await
    }

    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        let id = id.clone();
        self.submit(|reply| Job::Burn {
            id,
            manage,
            now_ms,
            reply,
        })
        .await
    }

    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        let id = id.as_str().to_owned();
        self.readers
            .read(move |conn| {
                let row = row(
                    conn,
                    RECEIPT,
                    params![id, now_ms, RECEIPT_RETENTION_MS],
                    |r| {
                        let state: String = r.get(0)?;
                        let viewed_at: String = r.get(3)?;
                        let hash: Vec<u8> = r.get(5)?;
                        let receipt = Receipt {
                            stored_state: ReceiptState::parse(&state)
                                .unwrap_or(ReceiptState::Burned),
                            max_views: r.get(1)?,
                            views_left: r.get(2)?,
                            viewed_at: serde_json::from_str(&viewed_at).unwrap_or_default(),
                            expires_at: r.get(4)?,
                        };
                        Ok((receipt, TokenHash::from_slice(&hash)))
                    },
                )
                .optional()?;
                Ok(match row {
                    None => Managed::NotFound,
                    Some((receipt, Some(stored))) if stored.matches(&manage) => {
                        Managed::Done(receipt)
                    }
                    Some(_) => Managed::Forbidden,
                })
            })
            .await
    }

    /// One step of bounded work (`writer::SWEEP_ROWS` rows of each table, at most
    /// `writer::SWEEP_BYTES` of ciphertext), found through indexes. Each step is its own
    /// writer job, so whatever was queued meanwhile (creates, reveals) is committed before
    /// the sweeper's next step.
    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        self.submit(|reply| Job::Sweep { now_ms, reply }).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.submit(|reply| Job::Ping { reply }).await
    }

    async fn close(&self) -> Result<(), StoreError> {
        let result = self.submit(|reply| Job::Close { reply }).await;
        let handle = self
            .writer_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(handle) = handle {
            // The writer replied after its last commit; joining only waits for the
            // connection to close, which is quick.
            tokio::task::spawn_blocking(move || handle.join())
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?
                .map_err(|_| StoreError::Backend("writer thread panicked".into()))?;
        }
        match result {
            Err(StoreError::Closed) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
