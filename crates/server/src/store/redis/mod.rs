//! The shared store for many nodes: secrets and receipts in Redis (standalone or Cluster),
//! so any number of stateless `vanish serve` instances act as one service.
//!
//! - **Atomicity**: every mutation is one Lua script over one secret's keys ([`keys`]), so
//!   Redis runs it without interleaving: `take` checks, decrements, records the view and
//!   deletes the material in one step, and no caller ever reads-then-deletes.
//! - **Cluster**: a secret's keys share a hash tag, so each script stays in one slot. The
//!   sweeper's index is the only key outside a secret's slot; it is written with its own
//!   command and is never needed for correctness.
//! - **Expiry**: every key has a Redis TTL (material until `expiresAt`, receipt until
//!   `expiresAt` + retention), so Redis frees memory by itself. TTLs are durations
//!   (`PEXPIRE` of `expiresAt - createdAt`), not instants, so a difference between vanish's
//!   and Redis's clocks cannot make Redis delete a secret early. Reads still compare
//!   `expires_at` with the caller's `now_ms`: expiry is exact on read.
//! - **Durability**: Redis's own (`appendonly yes`, `appendfsync always`; see
//!   [`persistence`] and `docs/operations.md`). A reply means the script ran on the
//!   primary; under asynchronous replication a failover can still lose it.
//!
//! - **Retries**: a reply can be lost after Redis ran the command (the connection drops,
//!   the reply comes after the response timeout). The cluster client then sends the
//!   command again by itself, and this store does once for every client, so that the
//!   caller learns what happened. Every script is therefore safe to run twice: `put` and
//!   `take` carry a random nonce per call, and their first run keeps its reply under
//!   `Keys::reply` for a few seconds, which a second run returns instead of storing the
//!   secret again or spending another view; a reveal's kept reply (it holds the
//!   ciphertext) is deleted as soon as the reply arrives. `burn`, `peek` and the sweep
//!   step give the same answer when run again. See docs/decisions.md, "Lost Redis
//!   replies".
//!
//! Connection handling (lazy connect, reconnects, timeouts, following Sentinel) is
//! [`connection`]'s; `REDIS_URL` parsing is [`url`]'s.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use redis::{FromRedisValue, Script, ScriptInvocation};
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::limits::{MAX_FAILED_PROOFS, RECEIPT_RETENTION_MS};
use vanish_core::receipt::{Receipt, ReceiptState};

use super::{Managed, Meta, NewRecord, Revealed, SecretStore, StoreError, Swept, Take};

pub mod connection;
pub mod keys;
pub mod persistence;
mod sentinel;
pub mod url;

pub use connection::{RedisConnection, RedisOptions};
pub use keys::{DEFAULT_PREFIX, Keys};
pub use url::{RedisTarget, RedisUrlError};

use connection::store_error;
use keys::hex;
use persistence::{Eviction, EvictionGate};

/// Secrets one sweep call looks at (one index read, then one script each).
const SWEEP_BATCH: usize = 500;

/// The Lua scripts, each with the shared prelude. Built once per store (hashing them is
/// the only cost); Redis caches them by SHA-1 and `invoke_async` reloads them after a
/// Redis restart.
struct Scripts {
    put: Script,
    peek: Script,
    take: Script,
    burn: Script,
    sweep_one: Script,
}

macro_rules! script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("lua/prelude.lua"),
            include_str!(concat!("lua/", $file))
        ))
    };
}

impl Scripts {
    fn new() -> Self {
        Self {
            put: script!("put.lua"),
            peek: script!("peek.lua"),
            take: script!("take.lua"),
            burn: script!("burn.lua"),
            sweep_one: script!("sweep_one.lua"),
        }
    }
}

pub struct RedisStore {
    conn: RedisConnection,
    keys: Keys,
    scripts: Scripts,
    closed: AtomicBool,
    /// Refuses every call while Redis may evict keys ([`persistence::EvictionGate`]).
    gate: EvictionGate,
}

impl RedisStore {
    /// A store on `conn` with keys under `keys`' prefix. Contacts Redis only when used; the
    /// first call checks that Redis does not evict keys, and every call is refused if it
    /// does (see [`Self::with_eviction`]).
    pub fn new(conn: RedisConnection, keys: Keys) -> Self {
        Self {
            conn,
            keys,
            scripts: Scripts::new(),
            closed: AtomicBool::new(false),
            gate: EvictionGate::new(Eviction::Refuse),
        }
    }

    /// What to do if Redis's `maxmemory-policy` may evict keys (`REDIS_ALLOW_EVICTION`).
    pub fn with_eviction(mut self, eviction: Eviction) -> Self {
        self.gate = EvictionGate::new(eviction);
        self
    }

    /// The connection, to share with the rate limiter.
    pub fn connection(&self) -> &RedisConnection {
        &self.conn
    }

    /// Refuses calls after `close` and while Redis may evict keys.
    async fn ensure_open(&self) -> Result<(), StoreError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(StoreError::Closed);
        }
        self.gate.check(&self.conn).await
    }

    /// Runs one script on one secret's keys, plus the key of its `call` for the scripts
    /// that replay (`put`, `take`). A reply lost on the way back (a dropped connection, a
    /// timeout) may hide a run that happened, so the call is sent once more: every script
    /// is safe to run twice (see the module's "Retries").
    async fn run<T: FromRedisValue>(
        &self,
        mut invocation: ScriptInvocation<'_>,
        id: &SecretId,
        call: Option<&Call>,
    ) -> Result<T, StoreError> {
        self.ensure_open().await?;
        invocation
            .key(self.keys.secret(id))
            .key(self.keys.receipt(id));
        if let Some(call) = call {
            invocation.key(self.keys.reply(id, &call.nonce));
        }
        match invocation.invoke_async(&mut self.conn.clone()).await {
            Err(e) if e.is_io_error() => {
                tracing::debug!(error = %e, "a Redis reply was lost; sending the call again");
                invocation.invoke_async(&mut self.conn.clone()).await
            }
            result => result,
        }
        .map_err(store_error)
    }

    /// A new call of a replaying script, with how long Redis keeps its reply: past every
    /// retry the client may make (ours and, on a cluster, the client's own).
    fn call(&self) -> Result<Call, StoreError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Backend(format!("no randomness for a call nonce: {e}")))?;
        let ttl = self.conn.response_timeout() * 4 + Duration::from_secs(1);
        Ok(Call {
            nonce: hex(&bytes),
            reply_ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Drops the kept reply of a reveal (it holds the ciphertext) once the reply arrived,
    /// without making the caller wait; its TTL drops it anyway if this fails.
    fn forget_reply(&self, id: &SecretId, call: &Call) {
        let key = self.keys.reply(id, &call.nonce);
        let mut conn = self.conn.clone();
        tokio::spawn(async move {
            let _ = redis::cmd("DEL")
                .arg(key)
                .query_async::<()>(&mut conn)
                .await;
        });
    }

    /// Indexes a new secret for the sweeper. A failure is only logged: the secret is
    /// stored, and Redis TTLs remove it even if no sweep ever sees it.
    async fn index_for_sweep(&self, id: &SecretId, due: u64) {
        let indexed = redis::cmd("ZADD")
            .arg(self.keys.sweep_due())
            .arg(due)
            .arg(id.as_str())
            .query_async::<()>(&mut self.conn.clone())
            .await;
        if let Err(e) = indexed {
            tracing::warn!(error = %e, "could not index a new secret for the sweeper");
        }
    }

    /// One sweep step for one secret; updates its index entry. Returns (expired, purged).
    async fn sweep_one(&self, id: &SecretId, now_ms: u64) -> Result<(u64, u64), StoreError> {
        let mut invocation = self.scripts.sweep_one.prepare_invoke();
        invocation.arg(now_ms).arg(RECEIPT_RETENTION_MS);
        let (expired, purged, next_due): (u64, u64, u64) = self.run(invocation, id, None).await?;
        if next_due == 0 {
            self.unindex(id.as_str()).await?;
        } else {
            // XX: never re-add what a concurrent sweeper just removed.
            redis::cmd("ZADD")
                .arg(self.keys.sweep_due())
                .arg("XX")
                .arg(next_due)
                .arg(id.as_str())
                .query_async::<()>(&mut self.conn.clone())
                .await
                .map_err(store_error)?;
        }
        Ok((expired, purged))
    }

    /// Drops a member from the sweeper's index.
    async fn unindex(&self, member: &str) -> Result<(), StoreError> {
        redis::cmd("ZREM")
            .arg(self.keys.sweep_due())
            .arg(member)
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(store_error)
    }
}

/// A successful `take`'s reply: `(code, encrypted, iv, views_left)`.
type TakeReply = (u8, String, String, u32);

/// One call of `put` or `take`: a random nonce no other call shares, under which Redis
/// keeps the call's reply for `reply_ttl_ms`.
struct Call {
    nonce: String,
    reply_ttl_ms: u64,
}

#[async_trait]
impl SecretStore for RedisStore {
    async fn put(&self, r: NewRecord) -> Result<(), StoreError> {
        let secret_ttl = r.expires_at.saturating_sub(r.created_at).max(1);
        let call = self.call()?;
        let mut invocation = self.scripts.put.prepare_invoke();
        invocation
            .arg(r.encrypted.as_str())
            .arg(r.iv.as_str())
            .arg(
                r.verifier_hash
                    .map(|h| hex(h.as_bytes()))
                    .unwrap_or_default(),
            )
            .arg(hex(r.manage_hash.as_bytes()))
            .arg(r.created_at)
            .arg(r.expires_at)
            .arg(r.max_views)
            .arg(secret_ttl)
            .arg(secret_ttl + RECEIPT_RETENTION_MS)
            .arg(call.reply_ttl_ms);
        self.run::<()>(invocation, &r.id, Some(&call)).await?;
        self.index_for_sweep(&r.id, r.expires_at).await;
        Ok(())
    }

    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError> {
        let mut invocation = self.scripts.peek.prepare_invoke();
        invocation.arg(now_ms);
        let (found, expires_at, views_left, verifier): (u8, u64, u32, u8) =
            self.run(invocation, id, None).await?;
        Ok((found == 1).then_some(Meta {
            expires_at,
            views_left,
            passphrase_required: verifier == 1,
        }))
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError> {
        let call = self.call()?;
        let mut invocation = self.scripts.take.prepare_invoke();
        invocation
            .arg(now_ms)
            .arg(proof.map(|p| hex(p.as_bytes())).unwrap_or_default())
            .arg(MAX_FAILED_PROOFS)
            .arg(call.reply_ttl_ms);
        let (code, encrypted, iv, views_left): TakeReply =
            self.run(invocation, id, Some(&call)).await?;
        Ok(match code {
            1 => {
                self.forget_reply(id, &call);
                Take::Revealed(Revealed {
                    encrypted,
                    iv,
                    views_left,
                })
            }
            2 => Take::PassphraseRequired,
            3 => Take::PassphraseInvalid,
            _ => Take::NotFound,
        })
    }

    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError> {
        let mut invocation = self.scripts.burn.prepare_invoke();
        invocation
            .arg(now_ms)
            .arg(hex(manage.as_bytes()))
            .arg(RECEIPT_RETENTION_MS);
        Ok(match self.run::<u8>(invocation, id, None).await? {
            2 => Managed::Done(()),
            1 => Managed::Forbidden,
            _ => Managed::NotFound,
        })
    }

    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError> {
        self.ensure_open().await?;
        // One key, one command: a consistent snapshot without a script.
        let fields: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.keys.receipt(id))
            .arg(&[
                "state",
                "max_views",
                "views_left",
                "viewed_at",
                "expires_at",
                "manage",
            ])
            .query_async(&mut self.conn.clone())
            .await
            .map_err(store_error)?;
        let Some(stored) = StoredReceipt::parse(&fields) else {
            return Ok(Managed::NotFound);
        };
        if now_ms >= stored.receipt.expires_at + RECEIPT_RETENTION_MS {
            return Ok(Managed::NotFound);
        }
        if !stored.manage.is_some_and(|m| m.matches(&manage)) {
            return Ok(Managed::Forbidden);
        }
        Ok(Managed::Done(stored.receipt))
    }

    /// Redis TTLs already drop expired material and old receipts in real time; the sweep
    /// makes the same happen by the caller's clock (tests, clocks ahead of Redis's), turns
    /// pending receipts into `expired`, and counts what it did for the metrics. It walks
    /// only the index of due secrets, one batch per call, so it costs O(expired) and any
    /// number of instances may sweep at once (each step is idempotent and counted by the
    /// instance that did it).
    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        self.ensure_open().await?;
        let due: Vec<String> = redis::cmd("ZRANGE")
            .arg(self.keys.sweep_due())
            .arg("-inf")
            .arg(now_ms)
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(SWEEP_BATCH)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(store_error)?;
        let mut swept = Swept {
            has_more: due.len() == SWEEP_BATCH,
            ..Swept::default()
        };
        for raw in &due {
            let (expired, purged) = match SecretId::parse(raw) {
                Some(id) => self.sweep_one(&id, now_ms).await?,
                // Not ours to interpret; dropped from the index so it cannot fill a batch.
                None => self.unindex(raw).await.map(|()| (0, 0))?,
            };
            swept.expired += expired;
            swept.purged += purged;
        }
        Ok(swept)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.ensure_open().await?;
        self.conn.ping().await
    }

    /// Nothing is buffered on our side (every reply already means "done in Redis"), so
    /// closing only refuses later calls; connections go when the last clone drops.
    async fn close(&self) -> Result<(), StoreError> {
        self.closed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A receipt hash as read back, with its manage-token hash.
struct StoredReceipt {
    receipt: Receipt,
    manage: Option<TokenHash>,
}

impl StoredReceipt {
    /// `None` if the receipt does not exist; malformed fields read as a burned receipt,
    /// which reveals nothing and destroys nothing.
    fn parse(fields: &[Option<String>]) -> Option<Self> {
        let [state, max_views, views_left, viewed_at, expires_at, manage] = fields else {
            return None;
        };
        fn number<T: std::str::FromStr>(field: &Option<String>) -> Option<T> {
            field.as_deref().and_then(|s| s.parse().ok())
        }
        let receipt = Receipt {
            stored_state: ReceiptState::parse(state.as_deref()?).unwrap_or(ReceiptState::Burned),
            max_views: number(max_views).unwrap_or(0),
            views_left: number(views_left).unwrap_or(0),
            viewed_at: viewed_at
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(|t| t.parse().ok())
                .collect(),
            expires_at: number(expires_at).unwrap_or(0),
        };
        Some(Self {
            receipt,
            manage: manage.as_deref().and_then(unhex_hash),
        })
    }
}

/// A 64-character hex SHA-256 back to its bytes.
fn unhex_hash(text: &str) -> Option<TokenHash> {
    if text.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(TokenHash::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_survive_the_hex_round_trip() {
        let hash = TokenHash::of(b"token");
        let back = unhex_hash(&hex(hash.as_bytes())).expect("valid hex");
        assert!(back.matches(&hash));
        assert!(unhex_hash("zz").is_none());
        assert!(unhex_hash(&"g".repeat(64)).is_none());
    }

    #[test]
    fn a_stored_receipt_parses_its_view_times() {
        let f = |s: &str| Some(s.to_owned());
        let fields = [
            f("viewed"),
            f("2"),
            f("0"),
            f("10,20"),
            f("99"),
            f(&hex(&[7; 32])),
        ];
        let stored = StoredReceipt::parse(&fields).expect("exists");
        assert_eq!(stored.receipt.viewed_at, vec![10, 20]);
        assert_eq!(stored.receipt.stored_state, ReceiptState::Viewed);
        assert!(stored.manage.is_some());
        let none = [None, None, None, None, None, None];
        assert!(StoredReceipt::parse(&none).is_none());
    }
}
