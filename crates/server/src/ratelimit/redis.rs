//! [`RedisLimitStore`]: rate windows and bans in Redis, shared by every instance, so a
//! client's budget and ban are the same whichever instance it reaches.
//!
//! `record` is one Lua script (`redis.lua`) over one client's keys: count into the open
//! window or open one, then ban at the threshold; no read-modify-write across round trips,
//! so concurrent instances never lose a count. A client's keys share a hash tag, which
//! keeps each script in one Redis Cluster slot; the tag is a hash of the client key, so
//! Redis never holds an address in clear (key layout: `store::redis::keys`). Client keys
//! are never logged, by this module or in its errors.
//!
//! Breakers and the fall-back to the in-process limiter while Redis is down are
//! `fail_open`'s; this store only answers or fails fast (the connection's timeouts).

use async_trait::async_trait;
use redis::Script;
use vanish_core::ratelimit::{Action, Policy, Tally};

use super::{ClientKey, LimitStore, Recorded};
use crate::store::StoreError;
use crate::store::redis::connection::store_error;
use crate::store::redis::{Keys, RedisConnection};

pub struct RedisLimitStore {
    conn: RedisConnection,
    keys: Keys,
    record: Script,
}

impl RedisLimitStore {
    /// A limit store on `conn` (typically the secret store's, see
    /// `RedisStore::connection`), with keys under `keys`' prefix.
    pub fn new(conn: RedisConnection, keys: Keys) -> Self {
        Self {
            conn,
            keys,
            record: Script::new(include_str!("redis.lua")),
        }
    }
}

#[async_trait]
impl LimitStore for RedisLimitStore {
    async fn record(
        &self,
        client: &ClientKey,
        action: Action,
        attempts: u64,
        now_ms: u64,
        policy: &Policy,
    ) -> Result<Recorded, StoreError> {
        let (count, window_ends_at, banned_until): (u64, u64, u64) = self
            .record
            .key(self.keys.rate_window(client.as_str(), action.as_str()))
            .key(self.keys.ban(client.as_str()))
            .arg(attempts)
            .arg(now_ms)
            .arg(policy.window_ms.max(1))
            .arg(policy.ban_threshold(action))
            .arg(policy.ban_ms.max(1))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(store_error)?;
        Ok(Recorded {
            tally: Tally {
                count,
                window_ends_at,
            },
            banned_until: (banned_until > 0).then_some(banned_until),
        })
    }

    async fn banned_until(
        &self,
        client: &ClientKey,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        let until: Option<u64> = redis::cmd("GET")
            .arg(self.keys.ban(client.as_str()))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(store_error)?;
        Ok(until.filter(|&until| now_ms < until))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.conn.ping().await
    }
}
