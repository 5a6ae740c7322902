//! One shared connection to Redis (a server, a cluster, or the primary behind Sentinel),
//! used by both the secret store and the rate limiter. It is cheap to clone: clones share
//! one multiplexed connection per node.
//!
//! Hazards it handles, and how:
//! - **Redis down at startup**: connections are made lazily, so `vanish serve` starts and
//!   reports not-ready (`/readyz`) until Redis answers, instead of refusing to start.
//! - **Redis restarts**: a dropped connection is re-established on the next call
//!   (`ConnectionManager`; the cluster client refreshes its nodes; behind Sentinel, the
//!   Sentinels are asked again, see [`super::sentinel`]); the first calls after the drop
//!   fail fast rather than queue.
//! - **Redis hangs** (`SIGSTOP`, a full network buffer): every call is bounded by
//!   [`RedisOptions::response_timeout`] and every connection attempt by
//!   [`RedisOptions::connect_timeout`], so callers get an error, never a hang. The circuit
//!   breaker around the stores adds its own, usually shorter, per-operation timeout.
//! - **Reconnect storms**: one retry with a short back-off per reconnection; later calls
//!   trigger the next attempt. Waiting out an outage is the breaker's job, not the
//!   client's.
//! - **Replies lost in flight** (a dropped connection, a reply past the response timeout):
//!   the command may have run. The cluster client retries such errors by itself; the
//!   store's scripts are written so that a retry is harmless (see `super` on retries).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
use redis::{Cmd, RedisError, RedisFuture, Value};

use super::sentinel::SentinelLink;
use super::url::RedisTarget;
use crate::store::StoreError;

/// Timeouts of the Redis client.
#[derive(Debug, Clone, Copy)]
pub struct RedisOptions {
    /// One connection attempt, TCP and handshake included.
    pub connect_timeout: Duration,
    /// One command, from sending it to its reply.
    pub response_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(5),
        }
    }
}

/// A connection to the Redis that `REDIS_URL` names.
#[derive(Clone)]
pub struct RedisConnection {
    inner: Inner,
    options: RedisOptions,
}

#[derive(Clone)]
enum Inner {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(Arc<SentinelLink>),
}

impl RedisConnection {
    /// Prepares a connection without contacting Redis (it connects on first use). Must be
    /// called inside a Tokio runtime.
    pub fn open(target: &RedisTarget, options: RedisOptions) -> Result<Self, StoreError> {
        let inner = match target {
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url.as_str()).map_err(backend)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(options.connect_timeout))
                    .set_response_timeout(Some(options.response_timeout))
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(20))
                    .set_max_delay(Duration::from_millis(200));
                Inner::Single(
                    ConnectionManager::new_lazy_with_config(client, config).map_err(backend)?,
                )
            }
            RedisTarget::Cluster(nodes) => {
                let client = ClusterClientBuilder::new(nodes.clone())
                    .connection_timeout(options.connect_timeout)
                    .response_timeout(options.response_timeout)
                    // Retries follow MOVED/ASK redirects during resharding and failover.
                    .retries(2)
                    .min_retry_wait(20)
                    .max_retry_wait(200)
                    .build()
                    .map_err(backend)?;
                let config = ClusterConfig::new()
                    .set_connection_timeout(options.connect_timeout)
                    .set_response_timeout(options.response_timeout);
                Inner::Cluster(client.get_pending_async_connection_with_config(config))
            }
            RedisTarget::Sentinel {
                sentinels,
                service,
                primary,
            } => Inner::Sentinel(Arc::new(
                SentinelLink::new(sentinels, service, primary, options).map_err(backend)?,
            )),
        };
        Ok(Self { inner, options })
    }

    /// How long one command may wait for its reply.
    pub fn response_timeout(&self) -> Duration {
        self.options.response_timeout
    }

    /// PING; on a cluster, every primary must answer.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.clone();
        redis::cmd("PING")
            .query_async::<()>(&mut conn)
            .await
            .map_err(store_error)
    }

    /// `CONFIG GET name` on the server, or on every primary of a cluster: one value per
    /// node. Fails where `CONFIG` is disabled (common on managed Redis).
    pub async fn config_get(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let mut command = redis::cmd("CONFIG");
        command.arg("GET").arg(name);
        let reply = match &self.inner {
            Inner::Cluster(conn) => {
                let all = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                conn.clone().route_command(command, all).await
            }
            Inner::Single(_) | Inner::Sentinel(_) => command.query_async(&mut self.clone()).await,
        }
        .map_err(store_error)?;
        let mut values = Vec::new();
        collect_config_values(reply, &mut values);
        Ok(values)
    }
}

/// Flattens `CONFIG GET` replies (a `[name, value]` array, a RESP3 map, or a cluster's
/// map of node → reply) into the values.
fn collect_config_values(reply: Value, out: &mut Vec<String>) {
    match reply {
        Value::Array(items) => {
            // `[name, value, name, value, …]`: the values are every second item.
            out.extend(items.into_iter().skip(1).step_by(2).filter_map(text));
        }
        Value::Map(pairs) => {
            // RESP3 `{name: value}`, or a cluster's `{node: reply}`.
            for (_, value) in pairs {
                match value {
                    nested @ (Value::Array(_) | Value::Map(_)) => {
                        collect_config_values(nested, out)
                    }
                    value => out.extend(text(value)),
                }
            }
        }
        _ => {}
    }
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// After Redis comes back, a `ConnectionManager` still holds the refused attempt from
/// the outage: the next call gets that error at once and only then starts a reconnect.
/// A refused connection means the command was never sent, so one retry (which waits for
/// the fresh connection) is safe even for scripts that mutate, and it spares the circuit
/// breaker's half-open probe a certain failure. Any other error is returned as is: a
/// dropped connection may have run the command.
impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Single(conn) => Box::pin(async move {
                match conn.req_packed_command(cmd).await {
                    Err(e) if e.is_connection_refusal() => conn.req_packed_command(cmd).await,
                    result => result,
                }
            }),
            Inner::Cluster(conn) => conn.req_packed_command(cmd),
            Inner::Sentinel(link) => Box::pin(async move { link.send(cmd).await }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Single(conn) => Box::pin(async move {
                match conn.req_packed_commands(cmd, offset, count).await {
                    Err(e) if e.is_connection_refusal() => {
                        conn.req_packed_commands(cmd, offset, count).await
                    }
                    result => result,
                }
            }),
            Inner::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
            Inner::Sentinel(link) => {
                Box::pin(async move { link.send_pipeline(cmd, offset, count).await })
            }
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Single(conn) => conn.get_db(),
            Inner::Cluster(conn) => conn.get_db(),
            Inner::Sentinel(link) => link.db(),
        }
    }
}

/// A Redis error as a store error: timeouts are `Timeout`, everything else `Backend`.
/// Redis error texts name commands and servers, never our arguments.
pub fn store_error(e: RedisError) -> StoreError {
    if e.is_timeout() {
        StoreError::Timeout
    } else {
        StoreError::Backend(format!("redis: {e}"))
    }
}

fn backend(e: RedisError) -> StoreError {
    StoreError::Backend(format!("redis client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn config_values_are_read_from_every_reply_shape() {
        let mut out = Vec::new();
        collect_config_values(
            Value::Array(vec![bulk("appendonly"), bulk("yes")]),
            &mut out,
        );
        assert_eq!(out, ["yes"]);
        let cluster = Value::Map(vec![
            (
                bulk("127.0.0.1:7000"),
                Value::Array(vec![bulk("appendonly"), bulk("yes")]),
            ),
            (
                bulk("127.0.0.1:7001"),
                Value::Array(vec![bulk("appendonly"), bulk("no")]),
            ),
        ]);
        let mut out = Vec::new();
        collect_config_values(cluster, &mut out);
        assert_eq!(out, ["yes", "no"]);
        let mut out = Vec::new();
        collect_config_values(
            Value::Map(vec![(bulk("appendfsync"), bulk("always"))]),
            &mut out,
        );
        assert_eq!(out, ["always"]);
    }
}
