//! Secret storage: the [`SecretStore`] trait every backend implements, and its types.
//!
//! The trait's doc comments are the contract; the conformance suite in
//! `tests/store_conformance.rs` holds every backend to it. Resilience (timeouts, circuit
//! breaker, merged lookups; `crate::resilience`) wraps a store from outside and implements
//! this same trait, so handlers never see it.

use async_trait::async_trait;
use vanish_core::id::{SecretId, TokenHash};
use vanish_core::receipt::Receipt;

pub mod memory;
pub mod redis;
pub mod sqlite;

/// A validated secret, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub id: SecretId,
    pub encrypted: String,
    pub iv: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_views: u32,
    pub manage_hash: TokenHash,
    pub verifier_hash: Option<TokenHash>,
}

/// What a recipient may learn before consuming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub expires_at: u64,
    pub views_left: u32,
    pub passphrase_required: bool,
}

/// The ciphertext handed out by one successful consume.
#[derive(Clone, PartialEq, Eq)]
pub struct Revealed {
    pub encrypted: String,
    pub iv: String,
    pub views_left: u32,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("views_left", &self.views_left)
            .finish_non_exhaustive()
    }
}

/// The result of [`SecretStore::take`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    /// One view was consumed; the ciphertext is the caller's to send.
    Revealed(Revealed),
    /// Unknown, expired, used up or burned: all look the same to a recipient.
    NotFound,
    /// The secret has a passphrase and no proof was given. Nothing was consumed.
    PassphraseRequired,
    /// The proof was wrong. Nothing was consumed; the failure was counted, and the secret
    /// was burned if this was the last allowed failure.
    PassphraseInvalid,
}

/// The result of a sender's call that presents a manage token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Managed<T> {
    Done(T),
    /// No receipt under this id (never existed, or retention is over).
    NotFound,
    /// A receipt exists but the token does not match.
    Forbidden,
}

/// What one sweep call removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Secrets whose ciphertext was dropped because their TTL ran out.
    pub expired: u64,
    /// Receipts deleted because their retention ended.
    pub purged: u64,
    /// The call stopped at its bound with work left: calling again would find more.
    pub has_more: bool,
}

/// A store failed; the request gets a 503, never a 500 and never a wrong answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("store backend failed: {0}")]
    Backend(String),
    #[error("store operation timed out")]
    Timeout,
    /// The circuit breaker refused the call without trying it.
    #[error("circuit open; retry in {retry_after_ms} ms")]
    CircuitOpen { retry_after_ms: u64 },
    #[error("store is closed")]
    Closed,
    /// The backend is set up in a way that could lose acknowledged secrets (Redis that
    /// evicts keys), so the store will not serve from it; the message says how to fix it.
    #[error("store refuses to serve: {0}")]
    Refused(String),
}

/// Where secrets live. Times are passed in (`now_ms`) so expiry follows the caller's clock.
///
/// Every method either completes its effect fully or not at all. `Ok` from a mutating
/// method means the effect is durable to the backend's guarantee (SQLite: fsynced WAL;
/// Redis: the server's persistence settings).
#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// Stores a new secret. Ids are random and never reused, so an existing id is a
    /// backend error, not an overwrite.
    async fn put(&self, record: NewRecord) -> Result<(), StoreError>;

    /// Metadata of a revealable secret; `None` if it is not revealable at `now_ms`
    /// (unknown, expired, used up, burned). Never changes anything.
    async fn peek(&self, id: &SecretId, now_ms: u64) -> Result<Option<Meta>, StoreError>;

    /// Consumes one view atomically: the check, the decrement, the view time and (at zero)
    /// the deletion of the ciphertext happen in one backend operation, so however many
    /// callers race, at most `max_views` ever get [`Take::Revealed`]. A secret with a
    /// verifier is consumed only with the matching `proof`.
    async fn take(
        &self,
        id: &SecretId,
        proof: Option<TokenHash>,
        now_ms: u64,
    ) -> Result<Take, StoreError>;

    /// The sender destroys the secret: the ciphertext is deleted and the receipt says
    /// `burned`. Burning a secret that is already used up or expired succeeds and keeps its
    /// state, since there is nothing left to destroy.
    async fn burn(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<()>, StoreError>;

    /// The sender's receipt, until `expires_at` + [`vanish_core::limits::RECEIPT_RETENTION_MS`].
    async fn receipt(
        &self,
        id: &SecretId,
        manage: TokenHash,
        now_ms: u64,
    ) -> Result<Managed<Receipt>, StoreError>;

    /// Drops the ciphertext of secrets expired at `now_ms` and deletes receipts past
    /// retention. Reads never depend on it: expiry is exact on read.
    ///
    /// One call does a bounded amount of work, however large the backlog, so it never
    /// holds the backend (SQLite's one writer) for long and fits in one operation timeout;
    /// `has_more` asks the caller to call again. Each call's effect is complete and
    /// durable on its own.
    async fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError>;

    /// Succeeds if the backend can serve requests right now.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Finishes queued writes and releases the backend. Later calls answer `Closed`.
    async fn close(&self) -> Result<(), StoreError>;
}
