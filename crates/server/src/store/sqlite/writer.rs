//! The SQLite writer thread: the only code that mutates the database.
//!
//! It blocks for one job, drains whatever else is queued (up to [`MAX_BATCH`]), runs them
//! all in one `BEGIN IMMEDIATE` transaction (each in its own savepoint, so one failing job
//! does not undo the others) and commits once. Only then are the replies sent: a caller
//! never hears "done" for something that is not on disk.

use std::sync::mpsc::{Receiver, TryRecvError};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::oneshot;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::limits::{MAX_FAILED_PROOFS, RECEIPT_RETENTION_MS};

use super::{backend, exec, has_verifier, revealable, row};
use crate::store::{Managed, Material, NewRecord, StoreError, Swept, Take};

/// Most jobs committed together; bounds the latency one batch adds to its first job.
const MAX_BATCH: usize = 512;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A mutation for the writer, with the channel its result goes back on.
pub(super) enum Job {
    Put {
        record: NewRecord,
        reply: Reply<()>,
    },
    Take {
        id: SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
        reply: Reply<Take>,
    },
    Burn {
        id: SecretId,
        manage: TokenHash,
        now_ms: u64,
        reply: Reply<Managed<()>>,
    },
    /// One bounded step of a sweep (see [`sweep_step`]).
    Sweep {
        now_ms: u64,
        reply: Reply<Swept>,
    },
    Ping {
        reply: Reply<()>,
    },
    /// Commit what is queued before it, then stop.
    Close {
        reply: Reply<()>,
    },
}

/// Sends a job's result once the batch's commit outcome is known.
type Completion = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// The writer loop; returns when every sender is gone or a `Close` job was committed.
pub(super) fn run(mut conn: Connection, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        if commit_batch(&mut conn, batch) == Flow::Stop {
            break;
        }
    }
    // Dropping the connection checkpoints the WAL into the main file.
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

fn commit_batch(conn: &mut Connection, batch: Vec<Job>) -> Flow {
    let mut flow = Flow::Continue;
    let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
    let outcome = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(mut tx) => {
            for job in batch {
                if matches!(job, Job::Close { .. }) {
                    flow = Flow::Stop;
                }
                completions.push(apply(&mut tx, job));
            }
            tx.commit().map_err(backend)
        }
        Err(e) => {
            // Nothing ran; every job gets the error.
            for job in batch {
                completions.push(unrun(job));
            }
            Err(backend(e))
        }
    };
    for complete in completions {
        complete(outcome.as_ref().map(|_| ()));
    }
    flow
}

/// Runs one job in its own savepoint and returns how to report it after the commit.
fn apply(tx: &mut Transaction<'_>, job: Job) -> Completion {
    match job {
        Job::Put { record, reply } => finish(reply, in_savepoint(tx, |c| put(c, &record))),
        Job::Take {
            id,
            proof,
            now_ms,
            reply,
        } => finish(reply, in_savepoint(tx, |c| take(c, &id, proof, now_ms))),
        Job::Burn {
            id,
            manage,
            now_ms,
            reply,
        } => finish(reply, in_savepoint(tx, |c| burn(c, &id, manage, now_ms))),
        Job::Sweep { now_ms, reply } => finish(reply, in_savepoint(tx, |c| sweep_step(c, now_ms))),
        Job::Ping { reply } | Job::Close { reply } => finish(reply, Ok(())),
    }
}

/// The completion for a job that never ran because the batch could not start.
fn unrun(job: Job) -> Completion {
    fn fail<T: Send + 'static>(reply: Reply<T>) -> Completion {
        Box::new(move |_| {
            drop(reply.send(Err(StoreError::Backend("transaction did not start".into()))))
        })
    }
    match job {
        Job::Put { reply, .. } | Job::Ping { reply } | Job::Close { reply } => fail(reply),
        Job::Take { reply, .. } => fail(reply),
        Job::Burn { reply, .. } => fail(reply),
        Job::Sweep { reply, .. } => fail(reply),
    }
}

fn finish<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Completion {
    Box::new(move |commit| {
        let result = match commit {
            Ok(()) => result,
            Err(e) => Err(StoreError::Backend(format!("commit failed: {e}"))),
        };
        // The caller may have gone away (client disconnected); the effect stands anyway.
        let _ = reply.send(result);
    })
}

fn in_savepoint<T>(
    tx: &mut Transaction<'_>,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let sp = tx.savepoint().map_err(backend)?;
    let result = work(&sp).map_err(backend)?;
    sp.commit().map_err(backend)?;
    Ok(result)
}

const PUT_RECEIPT: &str = "INSERT INTO receipts (id, state, created_at, expires_at, max_views,
                                              views_left, manage_hash)
     VALUES (?1, 'pending', ?2, ?3, ?4, ?4, ?5)";
const PUT_MATERIAL: &str =
    "INSERT INTO material (id, expires_at, size, verifier_hash, iv, encrypted)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

fn put(c: &Connection, r: &NewRecord) -> rusqlite::Result<()> {
    exec(
        c,
        PUT_RECEIPT,
        params![
            r.id.as_str(),
            r.created_at,
            r.expires_at,
            r.max_views,
            r.manage_hash.as_bytes(),
        ],
    )?;
    exec(
        c,
        PUT_MATERIAL,
        params![
            r.id.as_str(),
            r.expires_at,
            r.iv.len() + r.encrypted.len(),
            r.verifier_hash.as_ref().map(TokenHash::as_bytes),
            r.iv,
            r.encrypted,
        ],
    )?;
    Ok(())
}

/// The guarded consume: revealable, and the proof matches the verifier if there is one.
const CONSUME: &str = concat!(
    "UPDATE receipts AS r SET
            views_left = views_left - 1,
            viewed_at = json_insert(viewed_at, '$[#]', ?2),
            state = CASE WHEN views_left = 1 THEN 'viewed' ELSE state END
     WHERE r.id = ?1 AND ",
    revealable!(),
    " AND EXISTS (SELECT 1 FROM material AS m WHERE m.id = ?1
                  AND (m.verifier_hash IS NULL OR m.verifier_hash = ?3))
     RETURNING views_left"
);
const READ_MATERIAL: &str = "SELECT encrypted, iv FROM material WHERE id = ?1";
const TAKE_LAST_MATERIAL: &str = "DELETE FROM material WHERE id = ?1 RETURNING encrypted, iv";
const HAS_VERIFIER: &str = concat!(
    "SELECT ",
    has_verifier!(),
    " FROM receipts AS r WHERE r.id = ?1 AND ",
    revealable!()
);

/// One atomic consume: a single guarded `UPDATE … RETURNING` does the check, the
/// decrement and the view time; the ciphertext is read in the same transaction, and at
/// zero views deleted with it.
fn take(
    c: &Connection,
    id: &SecretId,
    proof: Option<TokenHash>,
    now_ms: u64,
) -> rusqlite::Result<Take> {
    let proof_bytes = proof.as_ref().map(TokenHash::as_bytes);
    let consumed: Option<u32> = row(c, CONSUME, params![id.as_str(), now_ms, proof_bytes], |r| {
        r.get(0)
    })
    .optional()?;
    if let Some(views_left) = consumed {
        let material = if views_left == 0 {
            TAKE_LAST_MATERIAL
        } else {
            READ_MATERIAL
        };
        return row(c, material, [id.as_str()], |r| {
            Ok(Take::Revealed {
                material: Material {
                    encrypted: r.get(0)?,
                    iv: r.get(1)?,
                },
                views_left,
            })
        });
    }
    // Nothing consumed: find out why, for the caller's answer.
    let has_verifier: Option<bool> =
        row(c, HAS_VERIFIER, params![id.as_str(), now_ms], |r| r.get(0))
            .optional()?
            .flatten();
    Ok(match (has_verifier, proof) {
        (Some(true), None) => Take::PassphraseRequired,
        (Some(true), Some(_)) => {
            count_failed_proof(c, id)?;
            Take::PassphraseInvalid
        }
        _ => Take::NotFound,
    })
}

const COUNT_FAILED_PROOF: &str =
    "UPDATE receipts SET failed_proofs = failed_proofs + 1 WHERE id = ?1 RETURNING failed_proofs";
const BURN_RECEIPT: &str = "UPDATE receipts SET state = 'burned' WHERE id = ?1";
const DROP_MATERIAL: &str = "DELETE FROM material WHERE id = ?1";

/// Counts a wrong proof; the last allowed one burns the secret.
fn count_failed_proof(c: &Connection, id: &SecretId) -> rusqlite::Result<()> {
    let failed: u32 = row(c, COUNT_FAILED_PROOF, [id.as_str()], |r| r.get(0))?;
    if failed >= MAX_FAILED_PROOFS {
        exec(c, BURN_RECEIPT, [id.as_str()])?;
        exec(c, DROP_MATERIAL, [id.as_str()])?;
    }
    Ok(())
}

const MANAGE_HASH: &str = "SELECT manage_hash FROM receipts WHERE id = ?1 AND expires_at + ?3 > ?2";
const BURN_IF_REVEALABLE: &str = concat!(
    "UPDATE receipts AS r SET state = 'burned' WHERE r.id = ?1 AND ",
    revealable!()
);

fn burn(
    c: &Connection,
    id: &SecretId,
    manage: TokenHash,
    now_ms: u64,
) -> rusqlite::Result<Managed<()>> {
    // Reading before writing is safe here: this thread is the only writer and holds the
    // database's write lock for the whole transaction.
    let stored: Option<Vec<u8>> = row(
        c,
        MANAGE_HASH,
        params![id.as_str(), now_ms, RECEIPT_RETENTION_MS],
        |r| r.get(0),
    )
    .optional()?;
    let Some(stored) = stored else {
        return Ok(Managed::NotFound);
    };
    if !TokenHash::from_slice(&stored).is_some_and(|s| s.matches(&manage)) {
        return Ok(Managed::Forbidden);
    }
    // A used-up or burned secret has no material left; an expired one keeps its own
    // until the sweeper, which also turns its receipt `expired`.
    if exec(c, BURN_IF_REVEALABLE, params![id.as_str(), now_ms])? == 1 {
        exec(c, DROP_MATERIAL, [id.as_str()])?;
    }
    Ok(Managed::Done(()))
}

/// Most rows one sweep step deletes from each table.
const SWEEP_ROWS: usize = 256;
/// Most ciphertext bytes one sweep step deletes (at least one secret's, however large):
/// freeing a ciphertext's pages costs in proportion to its size.
const SWEEP_BYTES: u64 = 4 << 20;

/// Material past its expiry, oldest first, from the index alone.
const EXPIRED_MATERIAL: &str =
    "SELECT id, size FROM material WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2";
const MARK_EXPIRED: &str =
    "UPDATE receipts SET state = 'expired' WHERE id = ?1 AND state = 'pending'";
/// Receipts whose retention ended (`expires_at` ≤ ?1 = now − retention), oldest first.
const PURGE_RECEIPTS: &str = "DELETE FROM receipts WHERE id IN
     (SELECT id FROM receipts WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";

/// One bounded step: drops the ciphertext of up to [`SWEEP_ROWS`] expired secrets (and
/// [`SWEEP_BYTES`]), marking their receipts `expired`; once no expired material is left,
/// deletes up to [`SWEEP_ROWS`] receipts past retention. Both are found through an index
/// (`material_by_expiry`, `receipts_by_expiry`), never by scanning rows.
fn sweep_step(c: &Connection, now_ms: u64) -> rusqlite::Result<Swept> {
    let candidates: Vec<(String, u64)> = c
        .prepare_cached(EXPIRED_MATERIAL)?
        .query_map(params![now_ms, SWEEP_ROWS], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let (mut done, mut bytes, mut expired) = (0, 0, 0);
    for (id, size) in &candidates {
        if done > 0 && bytes + size > SWEEP_BYTES {
            break;
        }
        done += 1;
        bytes += size;
        expired += exec(c, DROP_MATERIAL, [id])? as u64;
        exec(c, MARK_EXPIRED, [id])?;
    }
    if candidates.len() == SWEEP_ROWS || done < candidates.len() {
        // More expired material may be left: receipts wait for the next step, so a
        // receipt is never purged while its secret still holds ciphertext.
        return Ok(Swept {
            expired,
            purged: 0,
            has_more: true,
        });
    }
    let purged = match now_ms.checked_sub(RECEIPT_RETENTION_MS) {
        Some(cutoff) => exec(c, PURGE_RECEIPTS, params![cutoff, SWEEP_ROWS])?,
        None => 0,
    };
    Ok(Swept {
        expired,
        purged: purged as u64,
        has_more: purged == SWEEP_ROWS,
    })
}

#[cfg(test)]
mod query_plans {
    use super::*;

    /// The plan of `sql` on a fresh database of the current schema, one line per step.
    fn plan(sql: &str) -> Vec<String> {
        let mut conn = Connection::open_in_memory().expect("in-memory db");
        super::super::schema::migrate(&mut conn).expect("schema");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("statement prepares");
        // Plans do not depend on the values bound; NULL stands for each.
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        stmt.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .and_then(|rows| rows.collect())
            .expect("plan")
    }

    #[test]
    fn the_sweep_finds_its_rows_through_covering_indexes() {
        assert_eq!(
            plan(EXPIRED_MATERIAL),
            ["SEARCH material USING COVERING INDEX material_by_expiry (expires_at<?)"]
        );
        let purge = plan(PURGE_RECEIPTS);
        assert!(
            purge.contains(
                &"SEARCH receipts USING COVERING INDEX receipts_by_expiry (expires_at<?)".into()
            ),
            "{purge:#?}"
        );
    }

    const STATEMENTS: [&str; 16] = [
        PUT_RECEIPT,
        PUT_MATERIAL,
        CONSUME,
        READ_MATERIAL,
        TAKE_LAST_MATERIAL,
        HAS_VERIFIER,
        COUNT_FAILED_PROOF,
        BURN_RECEIPT,
        DROP_MATERIAL,
        MANAGE_HASH,
        BURN_IF_REVEALABLE,
        EXPIRED_MATERIAL,
        MARK_EXPIRED,
        PURGE_RECEIPTS,
        super::super::PEEK,
        super::super::RECEIPT,
    ];

    /// A statement SQLite compiles again when a bound value changes (which STAT4 does to a
    /// range on a parameter that an index could serve) costs a full prepare on every call,
    /// cached or not. Every statement runs here with new values each time, as requests do.
    #[test]
    fn no_statement_is_compiled_again_when_its_values_change() {
        let mut conn = Connection::open_in_memory().expect("in-memory db");
        super::super::schema::migrate(&mut conn).expect("schema");
        for i in 0..10_i64 {
            let id = format!("{i:017}");
            conn.execute(PUT_RECEIPT, params![id, 0, 5_000 + i, 1, [0u8; 32]])
                .expect("a receipt");
            conn.execute(
                PUT_MATERIAL,
                params![id, 5_000 + i, 4, None::<Vec<u8>>, "iv", "ct"],
            )
            .expect("its material");
        }
        let mut compiled_again = Vec::new();
        for sql in STATEMENTS {
            let mut reprepared = 0;
            for now in 1_000..1_010_i64 {
                // From the cache, as the store runs them: the cache clears a statement's
                // bindings when it takes it back, which is what expires one SQLite marked.
                let mut stmt = conn.prepare_cached(sql).expect("statement prepares");
                // ?1 is an id (text) but in the sweep's statements; the rest are numbers.
                let id = rusqlite::types::Value::Text(format!("{now:017}"));
                let values = std::iter::once(id)
                    .chain(std::iter::repeat(rusqlite::types::Value::Integer(now)))
                    .take(stmt.parameter_count());
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(values))
                    .expect("statement runs");
                while rows.next().expect("statement steps").is_some() {}
                drop(rows);
                reprepared = stmt.get_status(rusqlite::StatementStatus::RePrepare);
            }
            if reprepared > 0 {
                compiled_again.push(sql);
            }
        }
        assert_eq!(compiled_again, [EXPIRED_MATERIAL, PURGE_RECEIPTS]);
    }

    #[test]
    fn no_statement_of_the_store_scans_a_table() {
        for sql in STATEMENTS {
            let plan = plan(sql);
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN")),
                "{sql}\n{plan:#?}"
            );
        }
    }
}
