//! What the front Worker and its Durable Objects say to each other: one JSON command per
//! request, one JSON outcome per response. Token hashes travel as hex; no command or
//! outcome ever carries a manage token or a passphrase proof itself, only their SHA-256.

use serde::{Deserialize, Serialize};
use vanish_core::id::TokenHash;

/// A call on one secret's `SecretStore` object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SecretCommand {
    /// Store a new secret; the object must be empty.
    Put {
        encrypted: String,
        iv: String,
        expires_at: u64,
        max_views: u32,
        manage_hash: String,
        verifier_hash: Option<String>,
    },
    /// Metadata, never consumes.
    Peek,
    /// Consume one view.
    Take {
        proof_hash: Option<String>,
    },
    Burn {
        manage_hash: String,
    },
    Receipt {
        manage_hash: String,
    },
}

/// A `SecretStore` object's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(
    tag = "outcome",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SecretOutcome {
    Stored,
    /// `Put` found a secret already there (ids are random: never expected).
    Exists,
    Meta {
        expires_at: u64,
        views_left: u32,
        passphrase_required: bool,
    },
    Revealed {
        encrypted: String,
        iv: String,
        views_left: u32,
    },
    NotFound,
    PassphraseRequired,
    PassphraseInvalid,
    Forbidden,
    Burned,
    Receipt {
        state: String,
        max_views: u32,
        views_left: u32,
        viewed_at: Vec<u64>,
        expires_at: u64,
    },
}

/// A call on one client's `RateLimiter` object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LimitCommand {
    /// Count `attempts` of `action` (`create` or `read`) into the open window.
    Record { action: String, attempts: u64 },
    /// When the client's ban ends, if banned.
    BannedUntil,
}

/// A `RateLimiter` object's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitOutcome {
    /// The action's window after counting (`Record` only).
    pub count: u64,
    pub window_ends_at: u64,
    pub banned_until: Option<u64>,
}

pub fn hash_to_hex(hash: &TokenHash) -> String {
    hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash written by [`hash_to_hex`]; `None` if malformed.
pub fn hash_from_hex(hex: &str) -> Option<TokenHash> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(TokenHash::from_bytes(bytes))
}
