//! One stored secret as a value, and what each store operation does to it: the rules of
//! revealing (views, expiry, the passphrase gate), burning and the sender's receipt, with
//! the time passed in.
//!
//! Stores that keep a whole secret as one value apply these transitions inside their own
//! atomic section: the Worker's `SecretStore` Durable Object (one object per secret, so
//! one record per object) and an in-process map. Stores that keep a secret in columns or
//! hash fields (SQLite, Redis) state the same rules in SQL and Lua; the store conformance
//! suites hold them all to the same answers.
//!
//! Nothing here is atomic or durable by itself: that is the store's part.

use std::fmt;

use crate::id::TokenHash;
use crate::limits::{MAX_FAILED_PROOFS, RECEIPT_RETENTION_MS};
use crate::receipt::{Receipt, ReceiptState};

/// The ciphertext and its nonce, base64url exactly as the sender uploaded them.
#[derive(Clone, PartialEq, Eq)]
pub struct Material {
    pub encrypted: String,
    pub iv: String,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Material")
            .field("encrypted_chars", &self.encrypted.len())
            .finish_non_exhaustive()
    }
}

/// A secret and its history.
#[derive(Debug, Clone)]
pub struct SecretRecord {
    /// Present while the secret is revealable; dropped at the last view, on burn, on
    /// expiry, and after too many wrong passphrase proofs.
    pub material: Option<Material>,
    pub state: ReceiptState,
    pub expires_at: u64,
    pub max_views: u32,
    pub views_left: u32,
    pub viewed_at: Vec<u64>,
    pub manage_hash: TokenHash,
    pub verifier_hash: Option<TokenHash>,
    pub failed_proofs: u32,
}

/// What a recipient may learn before consuming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub expires_at: u64,
    pub views_left: u32,
    pub passphrase_required: bool,
}

/// The outcome of a consuming read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    /// One view was consumed; the material is the caller's to send.
    Revealed { material: Material, views_left: u32 },
    /// Unknown, expired, used up or burned: all look the same to a recipient.
    NotFound,
    /// The secret has a passphrase and no proof was given. Nothing changed.
    PassphraseRequired,
    /// The proof was wrong. Nothing was consumed; the failure was counted, and the secret
    /// was burned if this was the last allowed failure.
    PassphraseInvalid,
}

/// The outcome of a sender's call that presents a manage token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Managed<T> {
    Done(T),
    /// No receipt (never existed, or retention is over).
    NotFound,
    /// A receipt exists but the token does not match.
    Forbidden,
}

impl SecretRecord {
    /// A fresh, pending secret.
    pub fn new(
        material: Material,
        expires_at: u64,
        max_views: u32,
        manage_hash: TokenHash,
        verifier_hash: Option<TokenHash>,
    ) -> Self {
        Self {
            material: Some(material),
            state: ReceiptState::Pending,
            expires_at,
            max_views,
            views_left: max_views,
            viewed_at: Vec::new(),
            manage_hash,
            verifier_hash,
            failed_proofs: 0,
        }
    }

    /// Revealable at `now_ms`: pending, views left, not expired (exact to the millisecond,
    /// whether or not a sweep or alarm has run).
    pub fn is_revealable(&self, now_ms: u64) -> bool {
        self.state == ReceiptState::Pending
            && self.views_left > 0
            && now_ms < self.expires_at
            && self.material.is_some()
    }

    /// The receipt is kept until `expires_at` + [`RECEIPT_RETENTION_MS`].
    pub fn is_retained(&self, now_ms: u64) -> bool {
        now_ms < self.retained_until()
    }

    /// When the receipt may be deleted.
    pub fn retained_until(&self) -> u64 {
        self.expires_at.saturating_add(RECEIPT_RETENTION_MS)
    }

    /// Metadata if revealable; never changes anything.
    pub fn meta(&self, now_ms: u64) -> Option<Meta> {
        self.is_revealable(now_ms).then_some(Meta {
            expires_at: self.expires_at,
            views_left: self.views_left,
            passphrase_required: self.verifier_hash.is_some(),
        })
    }

    /// Consumes one view if revealable and the passphrase gate (if any) is passed.
    pub fn take(&mut self, proof: Option<TokenHash>, now_ms: u64) -> Take {
        if !self.is_revealable(now_ms) {
            return Take::NotFound;
        }
        if let Some(verifier) = self.verifier_hash {
            match proof {
                None => return Take::PassphraseRequired,
                Some(p) if !verifier.matches(&p) => {
                    self.failed_proofs += 1;
                    if self.failed_proofs >= MAX_FAILED_PROOFS {
                        self.state = ReceiptState::Burned;
                        self.material = None;
                    }
                    return Take::PassphraseInvalid;
                }
                Some(_) => {}
            }
        }
        self.views_left -= 1;
        self.viewed_at.push(now_ms);
        let material = if self.views_left == 0 {
            self.state = ReceiptState::Viewed;
            self.material.take()
        } else {
            self.material.clone()
        };
        match material {
            Some(material) => Take::Revealed {
                material,
                views_left: self.views_left,
            },
            // Unreachable: `is_revealable` checked the material is there.
            None => Take::NotFound,
        }
    }

    /// The sender destroys the secret. A used-up or expired one keeps its state: there is
    /// nothing left to destroy.
    pub fn burn(&mut self, manage: &TokenHash, now_ms: u64) -> Managed<()> {
        if !self.is_retained(now_ms) {
            return Managed::NotFound;
        }
        if !self.manage_hash.matches(manage) {
            return Managed::Forbidden;
        }
        if self.is_revealable(now_ms) {
            self.state = ReceiptState::Burned;
            self.material = None;
        }
        Managed::Done(())
    }

    /// The sender's receipt, while retained.
    pub fn receipt(&self, manage: &TokenHash, now_ms: u64) -> Managed<Receipt> {
        if !self.is_retained(now_ms) {
            return Managed::NotFound;
        }
        if !self.manage_hash.matches(manage) {
            return Managed::Forbidden;
        }
        Managed::Done(Receipt {
            stored_state: self.state,
            max_views: self.max_views,
            views_left: self.views_left,
            viewed_at: self.viewed_at.clone(),
            expires_at: self.expires_at,
        })
    }

    /// Drops the material of a secret expired at `now_ms` (a pending one becomes
    /// `expired`); returns whether anything was dropped. Reads never depend on it.
    pub fn expire(&mut self, now_ms: u64) -> bool {
        if now_ms < self.expires_at || self.material.is_none() {
            return false;
        }
        self.material = None;
        if self.state == ReceiptState::Pending {
            self.state = ReceiptState::Expired;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material() -> Material {
        Material {
            encrypted: "c2VjcmV0".into(),
            iv: "AAECAwQFBgcICQoL".into(),
        }
    }

    fn record(max_views: u32, verifier: Option<&[u8]>) -> SecretRecord {
        SecretRecord::new(
            material(),
            1_000,
            max_views,
            TokenHash::of(b"manage"),
            verifier.map(TokenHash::of),
        )
    }

    #[test]
    fn a_k_view_secret_reveals_exactly_k_times_and_then_keeps_no_material() {
        let mut r = record(2, None);
        assert!(matches!(
            r.take(None, 10),
            Take::Revealed { views_left: 1, .. }
        ));
        assert!(r.material.is_some());
        assert!(matches!(
            r.take(None, 20),
            Take::Revealed { views_left: 0, .. }
        ));
        assert_eq!(r.take(None, 30), Take::NotFound);
        assert_eq!(r.material, None);
        assert_eq!(r.state, ReceiptState::Viewed);
        assert_eq!(r.viewed_at, vec![10, 20]);
    }

    #[test]
    fn expiry_is_exact_without_any_sweep() {
        let mut r = record(1, None);
        assert!(r.meta(999).is_some());
        assert_eq!(r.meta(1_000), None);
        assert_eq!(r.take(None, 1_000), Take::NotFound);
        assert!(r.expire(1_000));
        assert_eq!(r.state, ReceiptState::Expired);
        assert!(!r.expire(1_001), "nothing left to drop");
    }

    #[test]
    fn the_passphrase_gate_consumes_nothing_and_burns_after_five_wrong_proofs() {
        let mut r = record(1, Some(b"verifier"));
        assert_eq!(r.take(None, 0), Take::PassphraseRequired);
        for _ in 0..4 {
            assert_eq!(
                r.take(Some(TokenHash::of(b"wrong")), 0),
                Take::PassphraseInvalid
            );
        }
        assert_eq!(r.views_left, 1);
        let mut right = r.clone();
        assert!(matches!(
            right.take(Some(TokenHash::of(b"verifier")), 0),
            Take::Revealed { .. }
        ));
        assert_eq!(
            r.take(Some(TokenHash::of(b"wrong")), 0),
            Take::PassphraseInvalid
        );
        assert_eq!(r.state, ReceiptState::Burned);
        assert_eq!(r.take(Some(TokenHash::of(b"verifier")), 0), Take::NotFound);
    }

    #[test]
    fn burn_and_receipt_need_the_token_and_last_until_retention_ends() {
        let mut r = record(1, None);
        let token = TokenHash::of(b"manage");
        assert_eq!(r.burn(&TokenHash::of(b"other"), 0), Managed::Forbidden);
        assert!(r.is_revealable(0));
        assert_eq!(r.burn(&token, 0), Managed::Done(()));
        assert_eq!(r.material, None);
        let Managed::Done(receipt) = r.receipt(&token, 0) else {
            panic!("receipt expected");
        };
        assert_eq!(receipt.stored_state, ReceiptState::Burned);
        let end = 1_000 + RECEIPT_RETENTION_MS;
        assert!(matches!(r.receipt(&token, end - 1), Managed::Done(_)));
        assert_eq!(r.receipt(&token, end), Managed::NotFound);
        assert_eq!(r.burn(&token, end), Managed::NotFound);
    }

    #[test]
    fn burning_a_used_up_secret_keeps_its_state() {
        let mut r = record(1, None);
        r.take(None, 5);
        assert_eq!(r.burn(&TokenHash::of(b"manage"), 6), Managed::Done(()));
        assert_eq!(r.state, ReceiptState::Viewed);
    }

    #[test]
    fn debug_output_hides_the_material() {
        let shown = format!("{:?}", record(1, None));
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
}
