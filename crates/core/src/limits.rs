//! The bounds a create request is held to, with the original service's defaults.
//! Values come from configuration; this module only knows what they mean.

/// TTL and size bounds applied by [`crate::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub ttl_min_ms: u64,
    pub ttl_default_ms: u64,
    pub ttl_max_ms: u64,
    pub max_views: u32,
    /// Largest accepted `encrypted`, in base64url characters.
    pub encrypted_max_chars: usize,
}

impl Limits {
    pub const TTL_MIN_MS: u64 = 5 * 60 * 1000;
    pub const TTL_DEFAULT_MS: u64 = 24 * 60 * 60 * 1000;
    pub const TTL_MAX_MS: u64 = 7 * 24 * 60 * 60 * 1000;
    pub const MAX_VIEWS: u32 = 100;
    pub const ENCRYPTED_MAX_CHARS: usize = 1_400_000;

    /// Clamps a requested TTL into `[ttl_min_ms, ttl_max_ms]`, as the original did.
    pub fn clamp_ttl(&self, requested_ms: u64) -> u64 {
        requested_ms.clamp(self.ttl_min_ms, self.ttl_max_ms)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ttl_min_ms: Self::TTL_MIN_MS,
            ttl_default_ms: Self::TTL_DEFAULT_MS,
            ttl_max_ms: Self::TTL_MAX_MS,
            max_views: Self::MAX_VIEWS,
            encrypted_max_chars: Self::ENCRYPTED_MAX_CHARS,
        }
    }
}

/// Wrong passphrase proofs after which a secret is burned.
pub const MAX_FAILED_PROOFS: u32 = 5;

/// How long a receipt (state and view times, never secret material) outlives the secret's
/// expiry, so a sender can still learn that it expired or was viewed.
pub const RECEIPT_RETENTION_MS: u64 = 24 * 60 * 60 * 1000;
