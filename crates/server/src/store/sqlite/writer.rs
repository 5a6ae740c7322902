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

use super::{backend, exec, revealable, row};
use crate::store::{Managed, NewRecord, Revealed, StoreError, Swept, Take};

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
        Job::Sweep { now_ms, reply } => finish(reply, in_savepoint(tx, |c| sweep(c, now_ms))),
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

fn put(c: &Connection, r: &NewRecord) -> rusqlite::Result<()> {
    exec(
        c,
        "INSERT INTO secrets (id, encrypted, iv, state, created_at, expires_at, max_views,
                              views_left, manage_hash, verifier_hash)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?6, ?7, ?8)",
        params![
            r.id.as_str(),
            r.encrypted,
            r.iv,
            r.created_at,
            r.expires_at,
            r.max_views,
            r.manage_hash.as_bytes(),
            r.verifier_hash.as_ref().map(TokenHash::as_bytes),
        ],
    )?;
    Ok(())
}

/// One atomic consume: a single guarded `UPDATE … RETURNING` does the check, the
/// decrement and the view time; at zero the ciphertext is dropped in the same transaction.
fn take(
    c: &Connection,
    id: &SecretId,
    proof: Option<TokenHash>,
    now_ms: u64,
) -> rusqlite::Result<Take> {
    let proof_bytes = proof.as_ref().map(TokenHash::as_bytes);
    let consumed = row(
        c,
        concat!(
            "UPDATE secrets SET
                    views_left = views_left - 1,
                    viewed_at = json_insert(viewed_at, '$[#]', ?2),
                    state = CASE WHEN views_left = 1 THEN 'viewed' ELSE state END
                 WHERE id = ?1 AND ",
            revealable!(),
            " AND (verifier_hash IS NULL OR verifier_hash = ?3)
                 RETURNING encrypted, iv, views_left"
        ),
        params![id.as_str(), now_ms, proof_bytes],
        |r| {
            Ok(Revealed {
                encrypted: r.get(0)?,
                iv: r.get(1)?,
                views_left: r.get(2)?,
            })
        },
    )
    .optional()?;
    if let Some(revealed) = consumed {
        if revealed.views_left == 0 {
            exec(
                c,
                "UPDATE secrets SET encrypted = NULL, iv = NULL WHERE id = ?1",
                [id.as_str()],
            )?;
        }
        return Ok(Take::Revealed(revealed));
    }
    // Nothing consumed: find out why, for the caller's answer.
    let has_verifier: Option<bool> = row(
        c,
        concat!(
            "SELECT verifier_hash IS NOT NULL FROM secrets WHERE id = ?1 AND ",
            revealable!()
        ),
        params![id.as_str(), now_ms],
        |r| r.get(0),
    )
    .optional()?;
    Ok(match (has_verifier, proof) {
        (Some(true), None) => Take::PassphraseRequired,
        (Some(true), Some(_)) => {
            count_failed_proof(c, id)?;
            Take::PassphraseInvalid
        }
        _ => Take::NotFound,
    })
}

/// Counts a wrong proof; the last allowed one burns the secret.
fn count_failed_proof(c: &Connection, id: &SecretId) -> rusqlite::Result<()> {
    exec(
        c,
        "UPDATE secrets SET failed_proofs = failed_proofs + 1 WHERE id = ?1",
        [id.as_str()],
    )?;
    exec(
        c,
        "UPDATE secrets SET state = 'burned', encrypted = NULL, iv = NULL
         WHERE id = ?1 AND failed_proofs >= ?2",
        params![id.as_str(), MAX_FAILED_PROOFS],
    )?;
    Ok(())
}

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
        "SELECT manage_hash FROM secrets WHERE id = ?1 AND expires_at + ?3 > ?2",
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
    exec(
        c,
        concat!(
            "UPDATE secrets SET state = 'burned', encrypted = NULL, iv = NULL WHERE id = ?1 AND ",
            revealable!()
        ),
        params![id.as_str(), now_ms],
    )?;
    Ok(Managed::Done(()))
}

fn sweep(c: &Connection, now_ms: u64) -> rusqlite::Result<Swept> {
    let expired = exec(
        c,
        "UPDATE secrets SET encrypted = NULL, iv = NULL,
                state = CASE WHEN state = 'pending' THEN 'expired' ELSE state END
         WHERE expires_at <= ?1 AND encrypted IS NOT NULL",
        [now_ms],
    )?;
    let purged = exec(
        c,
        "DELETE FROM secrets WHERE expires_at + ?2 <= ?1",
        params![now_ms, RECEIPT_RETENTION_MS],
    )?;
    Ok(Swept {
        expired: expired as u64,
        purged: purged as u64,
    })
}
