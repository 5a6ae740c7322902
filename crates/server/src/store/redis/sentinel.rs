//! Redis behind Sentinel: the Sentinels say which node is the primary; vanish connects to
//! it and asks them again after a connection error, a timeout or a `READONLY` reply (the
//! node it knew was demoted). A failover is thus followed without restarting vanish, at
//! the cost of failing the calls in flight while it happens.
//!
//! Asynchronous replication can lose the primary's last writes in a failover; see
//! docs/operations.md, "Replicas and failover".

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Cmd, ErrorKind, IntoConnectionInfo, Pipeline, RedisError, RedisResult,
    ServerErrorKind, Value,
};

use super::connection::RedisOptions;

pub struct SentinelLink {
    /// Asks the Sentinels; an async lock, so one caller resolves while the others wait
    /// for its answer instead of all asking at once.
    resolver: tokio::sync::Mutex<SentinelClient>,
    /// The primary's connection while it is believed good. A std lock: held only to
    /// clone or replace the handle, never across an `.await`.
    current: Mutex<Option<MultiplexedConnection>>,
    config: AsyncConnectionConfig,
    /// Bounds one resolution (asking the Sentinels and connecting).
    resolve_timeout: Duration,
    db: i64,
}

impl SentinelLink {
    /// `sentinels` and `primary` as in `RedisTarget::Sentinel`. Contacts nobody yet.
    pub fn new(
        sentinels: &[String],
        service: &str,
        primary: &str,
        options: RedisOptions,
    ) -> RedisResult<Self> {
        let settings = primary.into_connection_info()?.redis_settings().clone();
        let db = settings.db();
        let node = SentinelNodeConnectionInfo::default().set_redis_connection_info(settings);
        let sentinels: Vec<&str> = sentinels.iter().map(String::as_str).collect();
        let client =
            SentinelClient::build(sentinels, service, Some(node), SentinelServerType::Master)?;
        Ok(Self {
            resolver: tokio::sync::Mutex::new(client),
            current: Mutex::new(None),
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(options.connect_timeout))
                .set_response_timeout(Some(options.response_timeout)),
            resolve_timeout: options.connect_timeout * 3,
            db,
        })
    }

    pub fn db(&self) -> i64 {
        self.db
    }

    fn cached(&self) -> Option<MultiplexedConnection> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The primary's connection, asking the Sentinels first if there is none.
    async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let mut resolver = self.resolver.lock().await;
        // Another caller may have resolved while this one waited for the lock.
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let resolve = async {
            let client = resolver.async_get_client().await?;
            client
                .get_multiplexed_async_connection_with_config(&self.config)
                .await
        };
        let conn = tokio::time::timeout(self.resolve_timeout, resolve)
            .await
            .map_err(|_| {
                RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "asking the Sentinels for the primary timed out",
                ))
            })??;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    /// Drops the connection after an error that may mean the primary moved, so the next
    /// call asks the Sentinels again.
    fn forget_on<T>(&self, result: RedisResult<T>) -> RedisResult<T> {
        if let Err(e) = &result {
            let moved = e.is_io_error()
                || e.is_unrecoverable_error()
                || e.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly);
            if moved {
                *self.current.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
        }
        result
    }

    pub async fn send(&self, cmd: &Cmd) -> RedisResult<Value> {
        let mut conn = self.forget_on(self.connection().await)?;
        self.forget_on(conn.send_packed_command(cmd).await)
    }

    pub async fn send_pipeline(
        &self,
        pipeline: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        let mut conn = self.forget_on(self.connection().await)?;
        self.forget_on(conn.send_packed_commands(pipeline, offset, count).await)
    }
}
