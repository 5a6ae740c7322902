//! The Redis key layout, in one place. Every key starts with a prefix (`vanish` unless a
//! deployment or a test picks another) and carries a hash tag (`{…}`) so that all keys one
//! Lua script touches live in one Redis Cluster slot:
//!
//! | key | type | holds | lifetime |
//! |---|---|---|---|
//! | `P:{<id>}:s` | hash | `encrypted`, `iv`, `verifier` (hex SHA-256, optional), `failed` | until `expiresAt` |
//! | `P:{<id>}:r` | hash | the receipt: `state`, `max_views`, `views_left`, `viewed_at`, `expires_at`, `created_at`, `manage` (hex SHA-256) | until `expiresAt` + receipt retention |
//! | `P:{<id>}:call:<nonce>` | string | the reply of one `put` or `take` call, for its retry | a few seconds (deleted sooner after a reveal) |
//! | `P:{sweep}:due` | sorted set | secret id → when the sweeper should next look at it | members removed by the sweeper |
//! | `P:rl:{<client>}:create`, `…:read` | hash | a rate window: `count`, `ends` | until the window ends |
//! | `P:rl:{<client>}:ban` | string | when the ban ends | until the ban ends |
//!
//! `<client>` is the first 16 bytes of SHA-256 of the client key in hex, so Redis keys
//! (visible to `MONITOR`, `SCAN`, slowlogs) hold no IP addresses in clear. That keeps
//! addresses out of casual view; it is not anonymisation (IPv4 is easy to enumerate).

use vanish_core::id::{SecretId, TokenHash};

use crate::store::StoreError;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "vanish";

/// Builds keys under one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// A prefix must not contain `{` or `}`: the hash tag has to be the first braces in
    /// every key.
    pub fn new(prefix: &str) -> Result<Self, StoreError> {
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            return Err(StoreError::Backend(
                "a Redis key prefix must be non-empty and contain no braces".into(),
            ));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The secret's material: ciphertext, iv, verifier and failed-proof count.
    pub fn secret(&self, id: &SecretId) -> String {
        format!("{}:{{{}}}:s", self.prefix, id.as_str())
    }

    /// The secret's receipt: no secret material.
    pub fn receipt(&self, id: &SecretId) -> String {
        format!("{}:{{{}}}:r", self.prefix, id.as_str())
    }

    /// Where one call (`put` or `take`, by its random nonce) keeps its reply for a short
    /// time, so a retry of that call gets the same reply instead of running again.
    pub fn reply(&self, id: &SecretId, nonce: &str) -> String {
        format!("{}:{{{}}}:call:{nonce}", self.prefix, id.as_str())
    }

    /// The sweeper's index of secrets by due time.
    pub fn sweep_due(&self) -> String {
        format!("{}:{{sweep}}:due", self.prefix)
    }

    /// A client's rate window for one action (`create` or `read`).
    pub fn rate_window(&self, client: &str, action: &str) -> String {
        format!("{}:rl:{{{}}}:{action}", self.prefix, client_tag(client))
    }

    /// A client's ban.
    pub fn ban(&self, client: &str) -> String {
        format!("{}:rl:{{{}}}:ban", self.prefix, client_tag(client))
    }
}

fn client_tag(client: &str) -> String {
    hex(&TokenHash::of(client.as_bytes()).as_bytes()[..16])
}

/// Lower-case hex, as hashes are kept in Redis (readable with `redis-cli`).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_of_one_secret_share_a_hash_tag() {
        let keys = Keys::new("vanish").expect("valid prefix");
        let id = SecretId::parse("AbCdEf012345").expect("valid id");
        assert_eq!(keys.secret(&id), "vanish:{AbCdEf012345}:s");
        assert_eq!(keys.receipt(&id), "vanish:{AbCdEf012345}:r");
        assert_eq!(keys.reply(&id, "00ff"), "vanish:{AbCdEf012345}:call:00ff");
    }

    #[test]
    fn client_keys_are_tagged_by_a_hash_not_the_address() {
        let keys = Keys::new("vanish").expect("valid prefix");
        let window = keys.rate_window("203.0.113.7", "create");
        let ban = keys.ban("203.0.113.7");
        assert!(!window.contains("203.0.113.7") && !ban.contains("203.0.113.7"));
        let tag = |k: &str| k[k.find('{').expect("tag")..=k.find('}').expect("tag")].to_owned();
        assert_eq!(tag(&window), tag(&ban));
        assert_eq!(tag(&window).len(), 34);
        assert_ne!(tag(&window), tag(&keys.ban("203.0.113.8")));
    }

    #[test]
    fn prefixes_with_braces_are_refused() {
        assert!(Keys::new("a{b}").is_err());
        assert!(Keys::new("").is_err());
        assert!(Keys::new("test-1:vanish").is_ok());
    }
}
