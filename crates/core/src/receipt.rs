//! The sender's receipt: what happened to a secret, never the secret itself.
//!
//! Stores keep a [`Receipt`] for every secret until `expiresAt` plus
//! [`crate::limits::RECEIPT_RETENTION_MS`]. The stored state only moves forward
//! (pending → viewed | burned | expired); expiry is also applied on read, so a receipt read
//! after `expiresAt` but before any sweep already says `expired`.

use serde::{Deserialize, Serialize};

/// Where a secret is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptState {
    /// Still revealable (views left, not expired).
    Pending,
    /// Every view was used; the ciphertext is gone.
    Viewed,
    /// The sender burned it, or too many wrong passphrase proofs did.
    Burned,
    /// Its TTL ran out with views left; the ciphertext is gone.
    Expired,
}

impl ReceiptState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Viewed => "viewed",
            Self::Burned => "burned",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "viewed" => Some(Self::Viewed),
            "burned" => Some(Self::Burned),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// A secret's history without its material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The state as last written by the store.
    pub stored_state: ReceiptState,
    pub max_views: u32,
    pub views_left: u32,
    pub viewed_at: Vec<u64>,
    pub expires_at: u64,
}

impl Receipt {
    /// The state as of `now_ms`: a pending secret past its expiry is expired even if no
    /// sweep has run yet.
    pub fn state_at(&self, now_ms: u64) -> ReceiptState {
        match self.stored_state {
            ReceiptState::Pending if now_ms >= self.expires_at => ReceiptState::Expired,
            state => state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(state: ReceiptState) -> Receipt {
        Receipt {
            stored_state: state,
            max_views: 1,
            views_left: 1,
            viewed_at: vec![],
            expires_at: 100,
        }
    }

    #[test]
    fn pending_turns_expired_exactly_at_expiry() {
        assert_eq!(
            receipt(ReceiptState::Pending).state_at(99),
            ReceiptState::Pending
        );
        assert_eq!(
            receipt(ReceiptState::Pending).state_at(100),
            ReceiptState::Expired
        );
    }

    #[test]
    fn final_states_do_not_change_with_time() {
        assert_eq!(
            receipt(ReceiptState::Burned).state_at(1_000),
            ReceiptState::Burned
        );
        assert_eq!(
            receipt(ReceiptState::Viewed).state_at(1_000),
            ReceiptState::Viewed
        );
    }
}
