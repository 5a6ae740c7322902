//! The `SecretStore` Durable Object: one object per secret, named by the secret's id,
//! holding one row in its own SQLite database.
//!
//! Atomic: every command reads the row, applies `vanish_core::secret` and writes it back
//! with synchronous SQL calls and no `await` in between, so no other request to the same
//! object can interleave; 32 concurrent reveals are served one after another.
//! Durable before answered: the runtime's output gate holds the response until the write
//! is persisted, so a `201` or a ciphertext never leaves before its write is durable.
//! Expiry is exact on read (the record's rules compare against the clock); an alarm drops
//! the ciphertext at `expiresAt` and deletes everything at `expiresAt` + 24 h.

use vanish_core::id::TokenHash;
use vanish_core::receipt::ReceiptState;
use vanish_core::secret::{Managed, Material, SecretRecord, Take};
use worker::{
    DurableObject, Env, Request, Response, Result, SqlStorageValue, State, durable_object,
};

use crate::alarm;
use crate::clock;
use crate::protocol::{SecretCommand, SecretOutcome, hash_from_hex, hash_to_hex};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS secret (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    encrypted TEXT,
    iv TEXT,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    max_views INTEGER NOT NULL,
    views_left INTEGER NOT NULL,
    viewed_at TEXT NOT NULL,
    manage_hash TEXT NOT NULL,
    verifier_hash TEXT,
    failed_proofs INTEGER NOT NULL
)";

#[durable_object]
pub struct SecretStore {
    state: State,
}

/// The row as SQL returns it.
#[derive(serde::Deserialize)]
struct Row {
    encrypted: Option<String>,
    iv: Option<String>,
    state: String,
    expires_at: u64,
    max_views: u32,
    views_left: u32,
    viewed_at: String,
    manage_hash: String,
    verifier_hash: Option<String>,
    failed_proofs: u32,
}

impl DurableObject for SecretStore {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // The only await before the storage calls: nothing below yields until answered.
        let command: SecretCommand = req.json().await?;
        let now = clock::now_ms();
        let (outcome, alarm_at) = self.apply(command, now)?;
        if let Some(at) = alarm_at {
            alarm::set_at(&self.state.storage(), at).await?;
        }
        Response::from_json(&outcome)
    }

    async fn alarm(&self) -> Result<Response> {
        let now = clock::now_ms();
        let Some(mut record) = self.load()? else {
            return Response::empty();
        };
        if record.expire(now) {
            self.save(&record)?;
        }
        if record.is_retained(now) {
            let next = if now < record.expires_at {
                record.expires_at
            } else {
                record.retained_until()
            };
            alarm::set_at(&self.state.storage(), next).await?;
        } else {
            self.state.storage().delete_all().await?;
        }
        Response::empty()
    }
}

impl SecretStore {
    /// Runs one command against the row; returns the outcome and an alarm to set, if any.
    fn apply(&self, command: SecretCommand, now: u64) -> Result<(SecretOutcome, Option<u64>)> {
        let stored = self.load()?;
        let Some(mut record) = stored else {
            return match command {
                SecretCommand::Put { .. } => {
                    let record = new_record(command)?;
                    self.save(&record)?;
                    Ok((SecretOutcome::Stored, Some(record.expires_at)))
                }
                _ => Ok((SecretOutcome::NotFound, None)),
            };
        };
        let outcome = match command {
            SecretCommand::Put { .. } => SecretOutcome::Exists,
            SecretCommand::Peek => match record.meta(now) {
                Some(meta) => SecretOutcome::Meta {
                    expires_at: meta.expires_at,
                    views_left: meta.views_left,
                    passphrase_required: meta.passphrase_required,
                },
                None => SecretOutcome::NotFound,
            },
            SecretCommand::Take { proof_hash } => {
                let proof = proof_hash.as_deref().map(parse_hash).transpose()?;
                let taken = record.take(proof, now);
                if !matches!(taken, Take::NotFound | Take::PassphraseRequired) {
                    self.save(&record)?;
                }
                take_outcome(taken)
            }
            SecretCommand::Burn { manage_hash } => {
                match record.burn(&parse_hash(&manage_hash)?, now) {
                    Managed::Done(()) => {
                        self.save(&record)?;
                        SecretOutcome::Burned
                    }
                    Managed::NotFound => SecretOutcome::NotFound,
                    Managed::Forbidden => SecretOutcome::Forbidden,
                }
            }
            SecretCommand::Receipt { manage_hash } => {
                match record.receipt(&parse_hash(&manage_hash)?, now) {
                    Managed::Done(r) => SecretOutcome::Receipt {
                        state: r.state_at(now).as_str().to_owned(),
                        max_views: r.max_views,
                        views_left: r.views_left,
                        viewed_at: r.viewed_at,
                        expires_at: r.expires_at,
                    },
                    Managed::NotFound => SecretOutcome::NotFound,
                    Managed::Forbidden => SecretOutcome::Forbidden,
                }
            }
        };
        Ok((outcome, None))
    }

    fn load(&self) -> Result<Option<SecretRecord>> {
        let sql = self.state.storage().sql();
        sql.exec(SCHEMA, None)?;
        let rows: Vec<Row> = sql
            .exec("SELECT * FROM secret WHERE one = 1", None)?
            .to_array()?;
        rows.into_iter().next().map(from_row).transpose()
    }

    fn save(&self, r: &SecretRecord) -> Result<()> {
        let viewed_at = serde_json::to_string(&r.viewed_at)?;
        let (encrypted, iv) = match &r.material {
            Some(m) => (Some(m.encrypted.clone()), Some(m.iv.clone())),
            None => (None, None),
        };
        let values: Vec<SqlStorageValue> = vec![
            encrypted.into(),
            iv.into(),
            r.state.as_str().into(),
            integer(r.expires_at)?,
            i64::from(r.max_views).into(),
            i64::from(r.views_left).into(),
            viewed_at.into(),
            hash_to_hex(&r.manage_hash).into(),
            r.verifier_hash.as_ref().map(hash_to_hex).into(),
            i64::from(r.failed_proofs).into(),
        ];
        self.state.storage().sql().exec(
            "INSERT OR REPLACE INTO secret (one, encrypted, iv, state, expires_at, max_views,
                views_left, viewed_at, manage_hash, verifier_hash, failed_proofs)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )?;
        Ok(())
    }
}

fn new_record(command: SecretCommand) -> Result<SecretRecord> {
    let SecretCommand::Put {
        encrypted,
        iv,
        expires_at,
        max_views,
        manage_hash,
        verifier_hash,
    } = command
    else {
        return Err(worker::Error::RustError("not a put".into()));
    };
    Ok(SecretRecord::new(
        Material { encrypted, iv },
        expires_at,
        max_views,
        parse_hash(&manage_hash)?,
        verifier_hash.as_deref().map(parse_hash).transpose()?,
    ))
}

fn from_row(row: Row) -> Result<SecretRecord> {
    let material = match (row.encrypted, row.iv) {
        (Some(encrypted), Some(iv)) => Some(Material { encrypted, iv }),
        _ => None,
    };
    let state = ReceiptState::parse(&row.state)
        .ok_or_else(|| worker::Error::RustError("stored state is unknown".into()))?;
    Ok(SecretRecord {
        material,
        state,
        expires_at: row.expires_at,
        max_views: row.max_views,
        views_left: row.views_left,
        viewed_at: serde_json::from_str(&row.viewed_at)?,
        manage_hash: parse_hash(&row.manage_hash)?,
        verifier_hash: row.verifier_hash.as_deref().map(parse_hash).transpose()?,
        failed_proofs: row.failed_proofs,
    })
}

fn take_outcome(taken: Take) -> SecretOutcome {
    match taken {
        Take::Revealed {
            material,
            views_left,
        } => SecretOutcome::Revealed {
            encrypted: material.encrypted,
            iv: material.iv,
            views_left,
        },
        Take::NotFound => SecretOutcome::NotFound,
        Take::PassphraseRequired => SecretOutcome::PassphraseRequired,
        Take::PassphraseInvalid => SecretOutcome::PassphraseInvalid,
    }
}

fn parse_hash(hex: &str) -> Result<TokenHash> {
    hash_from_hex(hex).ok_or_else(|| worker::Error::RustError("malformed hash".into()))
}

/// A time or count as an SQL integer (JavaScript numbers are exact to 2^53).
pub fn integer(value: u64) -> Result<SqlStorageValue> {
    SqlStorageValue::try_from_i64(i64::try_from(value).unwrap_or(i64::MAX))
}
