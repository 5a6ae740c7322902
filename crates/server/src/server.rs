//! Starting and stopping a server: wire the backends behind their breakers, accept
//! connections (HTTP/1.1 via hyper, with a header-read timeout against slowloris), run the
//! sweeper and the summary logger, and on shutdown drain in-flight requests (bounded by
//! `SHUTDOWN_GRACE_MS`) before the store flushes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use vanish_core::clock::Clock;

use crate::app::{self, AppState, Backends};
use crate::breaker::CircuitBreaker;
use crate::config::{Config, ConfigError};
use crate::ratelimit::fail_open::FailOpen;
use crate::ratelimit::memory::MemoryLimitStore;
use crate::ratelimit::redis::RedisLimitStore;
use crate::ratelimit::{CacheConfig, LimitStore, RateLimiter};
use crate::store::breaker::BreakerStore;
use crate::store::redis::persistence::warn_if_not_durable;
use crate::store::redis::{DEFAULT_PREFIX, Keys, RedisConnection, RedisOptions, RedisStore};
use crate::store::single_flight::SingleFlightStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{SecretStore, StoreError};
use crate::telemetry::Metrics;
use crate::{routes, sweeper, telemetry};

/// What a server is built from besides its configuration; tests swap these.
pub struct Deps {
    /// The raw secret store; `Server::start` puts it behind a breaker.
    pub store: Arc<dyn SecretStore>,
    /// A shared limit store (Redis) for many nodes; `None` limits in process.
    pub shared_limits: Option<Arc<dyn LimitStore>>,
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    /// A store and a clock, limits in process.
    pub fn new(store: Arc<dyn SecretStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            shared_limits: None,
            clock,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    state: AppState,
    stop: watch::Sender<bool>,
    serving: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    grace: Duration,
}

/// Opens the secret store the configuration names: Redis when `REDIS_URL` is set, else
/// SQLite in `VANISH_DATA_DIR`.
pub fn open_store(config: &Config) -> Result<Arc<dyn SecretStore>, StoreError> {
    Ok(open_backends(config)?.0)
}

/// The [`Deps`] the configuration names: with `REDIS_URL`, Redis keeps the secrets and
/// (sharing its connection) the rate-limit counters and bans; otherwise SQLite keeps the
/// secrets and limits stay in process.
pub fn open_deps(config: &Config, clock: Arc<dyn Clock>) -> Result<Deps, StoreError> {
    let (store, shared_limits) = open_backends(config)?;
    Ok(Deps {
        store,
        shared_limits,
        clock,
    })
}

type OpenedBackends = (Arc<dyn SecretStore>, Option<Arc<dyn LimitStore>>);

fn open_backends(config: &Config) -> Result<OpenedBackends, StoreError> {
    let target = config
        .redis_target()
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let Some(target) = target else {
        return Ok((Arc::new(SqliteStore::open(&config.data_dir)?), None));
    };
    // The Redis client gives up when the breaker would, so a hung Redis costs one
    // operation timeout, never more.
    let op_timeout = Duration::from_millis(config.circuit_breaker_timeout_ms.max(1));
    let options = RedisOptions {
        connect_timeout: op_timeout.min(Duration::from_secs(1)),
        response_timeout: op_timeout,
    };
    let conn = RedisConnection::open(&target, options)?;
    let keys = Keys::new(DEFAULT_PREFIX)?;
    tracing::info!(redis = %target, "secrets, rate limits and bans are kept in Redis");
    tokio::spawn(warn_if_not_durable(conn.clone()));
    let limits = RedisLimitStore::new(conn.clone(), keys.clone());
    Ok((
        Arc::new(RedisStore::new(conn, keys)),
        Some(Arc::new(limits)),
    ))
}

/// Puts the backends behind their breakers, single-flight and decision cache.
pub fn wire(config: &Config, deps: Deps) -> Backends {
    let timeout = Duration::from_millis(config.circuit_breaker_timeout_ms);
    let metrics = Arc::new(Metrics::default());
    let breaker = |name| {
        Arc::new(CircuitBreaker::new(
            name,
            config.breaker(),
            timeout,
            Arc::clone(&deps.clock),
            Arc::clone(&metrics),
        ))
    };
    let secrets_breaker = breaker("secrets");
    let store: Arc<dyn SecretStore> =
        Arc::new(BreakerStore::new(deps.store, Arc::clone(&secrets_breaker)));
    let single_flight = Arc::new(SingleFlightStore::new(
        store,
        Duration::from_millis(config.dedup_window_ms),
    ));
    let local = MemoryLimitStore::new(config.rate_limit_max_clients);
    let mut breakers = vec![secrets_breaker];
    let limit_store: Arc<dyn LimitStore> = match deps.shared_limits {
        Some(shared) => {
            let limits_breaker = breaker("limits");
            breakers.push(Arc::clone(&limits_breaker));
            Arc::new(FailOpen::new(shared, limits_breaker, local))
        }
        None => Arc::new(local),
    };
    let cache = CacheConfig {
        ttl_ms: config.cache_rate_limit_ttl_ms,
        max_entries: config.cache_max_size,
    };
    let limiter = Arc::new(RateLimiter::new(config.rate_policy(), limit_store, cache));
    Backends {
        store: Arc::clone(&single_flight) as Arc<dyn SecretStore>,
        single_flight,
        limiter,
        breakers,
        metrics,
    }
}

impl Server {
    /// Binds `config.addr` and starts serving.
    pub async fn start(config: &Config, deps: Deps) -> Result<Self, StartError> {
        config.validate()?;
        let (listener, addr) = bind(config.addr).await?;
        let metrics_listener = match config.metrics_addr {
            Some(metrics_addr) => Some(bind(metrics_addr).await?),
            None => None,
        };
        let clock = Arc::clone(&deps.clock);
        let state = AppState::new(config, wire(config, deps), clock);
        let (stop, stopped) = watch::channel(false);
        let header_timeout = Duration::from_millis(config.header_read_timeout_ms);
        let serving = tokio::spawn(accept_loop(
            listener,
            app::router(state.clone()),
            header_timeout,
            stopped.clone(),
        ));
        let mut background = vec![tokio::spawn(sweeper::run(
            state.clone(),
            Duration::from_millis(config.sweep_interval_ms),
            stopped.clone(),
        ))];
        let metrics_addr = metrics_listener.as_ref().map(|(_, bound)| *bound);
        if let Some((listener, bound)) = metrics_listener {
            let metrics_app = routes::metrics::standalone(state.clone());
            background.push(tokio::spawn(accept_loop(
                listener,
                metrics_app,
                header_timeout,
                stopped.clone(),
            )));
            tracing::info!(addr = %bound, "metrics are served on their own listener");
        }
        if config.metrics_log_interval_s > 0 {
            let every = Duration::from_secs(config.metrics_log_interval_s);
            background.push(tokio::spawn(telemetry::run_summary(
                Arc::clone(&state.metrics),
                Arc::clone(&state.clock),
                every,
                stopped,
            )));
        }
        tracing::info!(%addr, "vanish is listening");
        Ok(Self {
            addr,
            metrics_addr,
            state,
            stop,
            serving,
            background,
            grace: Duration::from_millis(config.shutdown_grace_ms),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `/metrics` is served, if on its own listener (`METRICS_ADDR`).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish within the grace period, then
    /// flushes and closes the store.
    pub async fn shutdown(self) -> Result<(), StoreError> {
        self.state.lifecycle.begin_shutdown();
        let _ = self.stop.send(true);
        match tokio::time::timeout(self.grace, self.serving).await {
            Ok(Ok(())) => tracing::info!("drained in-flight requests"),
            Ok(Err(e)) => tracing::error!(error = %e, "server task failed"),
            Err(_) => tracing::warn!(
                grace_ms = self.grace.as_millis() as u64,
                "requests still running after the grace period; closing anyway"
            ),
        }
        for task in self.background {
            let _ = task.await;
        }
        self.state.store.close().await
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let bind_error = |source| StartError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    Ok((listener, bound))
}

/// Accepts connections until `stop`, then waits for open connections to finish.
async fn accept_loop(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let service = app
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are client-side (reset, timeout); nothing to answer.
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
