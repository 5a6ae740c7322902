//! The embedded store's schema and its upgrades. The version is SQLite's `user_version`;
//! [`migrate`] brings any older database to [`VERSION`] in one transaction at startup and
//! refuses a newer one.
//!
//! A secret lives in two rows:
//! - `receipts`: what the sender may learn (state, view times) and the manage token's hash.
//!   Small rows, kept until `expiresAt` + retention.
//! - `material`: the ciphertext, its iv and the passphrase verifier's hash, only while the
//!   secret can still be revealed. Deleting the row (last view, burn, too many wrong
//!   proofs, sweep) frees the ciphertext's pages at once; the receipt never holds any.
//!
//! Keeping ciphertext out of the receipts means nothing that walks receipts (retention, the
//! view count of a multi-view secret, a wrong proof) reads or rewrites megabytes, and the
//! sweeper finds what to drop through an index on each table instead of scanning rows.

use rusqlite::Connection;

use super::backend;
use crate::store::StoreError;

/// The schema this build writes.
pub(super) const VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE receipts (
    id            TEXT PRIMARY KEY,
    state         TEXT NOT NULL,      -- pending | viewed | burned | expired
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    max_views     INTEGER NOT NULL,
    views_left    INTEGER NOT NULL,
    viewed_at     TEXT NOT NULL DEFAULT '[]',  -- JSON array of ms times
    failed_proofs INTEGER NOT NULL DEFAULT 0,
    manage_hash   BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX receipts_by_expiry ON receipts (expires_at);
CREATE TABLE material (
    id            TEXT PRIMARY KEY,
    expires_at    INTEGER NOT NULL,
    size          INTEGER NOT NULL,   -- bytes of iv and encrypted, to bound a sweep's work
    verifier_hash BLOB,
    iv            TEXT NOT NULL,
    encrypted     TEXT NOT NULL       -- last, so reading any other column skips its pages
);
CREATE INDEX material_by_expiry ON material (expires_at, size, id);
";

/// From the first release's single `secrets` table, ciphertext in the row.
const FROM_1: &str = "
INSERT INTO receipts (id, state, created_at, expires_at, max_views, views_left, viewed_at,
                      failed_proofs, manage_hash)
    SELECT id, state, created_at, expires_at, max_views, views_left, viewed_at,
           failed_proofs, manage_hash
    FROM secrets;
INSERT INTO material (id, expires_at, size, verifier_hash, iv, encrypted)
    SELECT id, expires_at, length(iv) + length(encrypted), verifier_hash, iv, encrypted
    FROM secrets WHERE encrypted IS NOT NULL AND iv IS NOT NULL;
DROP TABLE secrets;
";

/// Creates or upgrades the schema; a database newer than this build is refused.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    if version > VERSION {
        return Err(StoreError::Backend(format!(
            "database schema {version} is newer than this vanish ({VERSION}); upgrade vanish"
        )));
    }
    if version == VERSION {
        return Ok(());
    }
    let tx = conn.transaction().map_err(backend)?;
    tx.execute_batch(SCHEMA).map_err(backend)?;
    if version == 1 {
        tracing::info!("upgrading the database from schema 1 to {VERSION}");
        tx.execute_batch(FROM_1).map_err(backend)?;
    }
    tx.pragma_update(None, "user_version", VERSION)
        .map_err(backend)?;
    tx.commit().map_err(backend)
}
