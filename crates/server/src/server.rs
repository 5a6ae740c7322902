//! Starting and stopping a server (the app itself is assembled in `crate::app`): accept
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
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

use crate::app::{self, Deps, Wired};
use crate::config::{Config, ConfigError};
use crate::state::AppState;
use crate::store::StoreError;
use crate::sweeper::Sweeper;
use crate::{routes, sweeper, telemetry};

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

impl Server {
    /// Binds `VANISH_ADDR` and starts serving.
    pub async fn start(config: &Config, deps: Deps) -> Result<Self, StartError> {
        config.validate()?;
        let (listener, addr) = bind(config.listen.addr).await?;
        let metrics_listener = match config.telemetry.metrics_addr {
            Some(metrics_addr) => Some(bind(metrics_addr).await?),
            None => None,
        };
        let Wired { state, pipeline } = app::wire(config, deps);
        let (stop, stopped) = watch::channel(false);
        let connections = ConnectionLimits::from_config(config);
        let serving = tokio::spawn(accept_loop(
            listener,
            app::build(state.clone(), &pipeline),
            connections,
            stopped.clone(),
        ));
        let sweeper = Sweeper {
            store: Arc::clone(&state.store),
            clock: Arc::clone(&state.clock),
            metrics: Arc::clone(&state.metrics),
        };
        let mut background = vec![tokio::spawn(sweeper::run(
            sweeper,
            config.storage.sweep_interval,
            stopped.clone(),
        ))];
        // Cached rate-limit denials hand their attempts to the store at least every TTL.
        background.push(tokio::spawn(
            Arc::clone(&pipeline.rate_limit.limiter).run_flusher(
                Arc::clone(&state.clock),
                config.resilience.cache_ttl,
                stopped.clone(),
            ),
        ));
        let metrics_addr = metrics_listener.as_ref().map(|(_, bound)| *bound);
        if let Some((listener, bound)) = metrics_listener {
            let metrics_app = routes::metrics::standalone(state.clone());
            background.push(tokio::spawn(accept_loop(
                listener,
                metrics_app,
                connections,
                stopped.clone(),
            )));
            tracing::info!(addr = %bound, "metrics are served on their own listener");
        }
        background.push(tokio::spawn(telemetry::run_upkeep(
            Arc::clone(&state.metrics),
            Duration::from_secs(5),
            stopped.clone(),
        )));
        let every = config.telemetry.metrics_log_interval;
        if !every.is_zero() {
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
            grace: config.listen.shutdown_grace,
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

/// How connections are read: bounds that hold before the app sees a request.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time a client has to send its request headers.
    pub header_timeout: Duration,
    /// Most bytes of a request head (request line and headers) read into memory; a longer
    /// head is answered 431 by the connection without being read whole.
    pub max_head_bytes: usize,
    /// Most connections open at once; past it, new ones wait in the kernel's backlog.
    pub max_connections: usize,
}

impl ConnectionLimits {
    pub fn from_config(config: &Config) -> Self {
        // The app checks MAX_URL_LENGTH and MAX_HEADER_SIZE with its own error bodies;
        // the connection's buffer holds a head at both limits (plus the request line's
        // method and version) and refuses anything much larger before reading it whole.
        // hyper's smallest buffer is 8 KiB.
        let head = config.requests.max_url_length + config.requests.max_header_size + 1024;
        Self {
            header_timeout: config.listen.header_read_timeout,
            max_head_bytes: head.max(8192),
            max_connections: config.listen.max_connections,
        }
    }
}

/// Accepts connections until `stop`, then waits for open connections to finish.
async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_head_bytes);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        // A free slot first, then a connection: at capacity, clients wait in the backlog
        // instead of costing memory here.
        let slot = tokio::select! {
            slot = Arc::clone(&open).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
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
            drop(slot);
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
