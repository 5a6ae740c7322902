//! Starting and stopping a server: bind, serve the app, run the sweeper, and on shutdown
//! drain in-flight requests (bounded by `SHUTDOWN_GRACE_MS`) before the store flushes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vanish_core::clock::Clock;

use crate::app::{self, AppState};
use crate::config::{Config, ConfigError};
use crate::store::sqlite::SqliteStore;
use crate::store::{SecretStore, StoreError};
use crate::sweeper;

/// What a server is built from besides its configuration; tests swap these.
pub struct Deps {
    pub store: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
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
    state: AppState,
    stop: watch::Sender<bool>,
    serving: JoinHandle<std::io::Result<()>>,
    sweeping: JoinHandle<()>,
    grace: Duration,
}

/// Opens the store the configuration names: SQLite in `VANISH_DATA_DIR`.
pub fn open_store(config: &Config) -> Result<Arc<dyn SecretStore>, StoreError> {
    Ok(Arc::new(SqliteStore::open(&config.data_dir)?))
}

impl Server {
    /// Binds `config.addr` and starts serving.
    pub async fn start(config: &Config, deps: Deps) -> Result<Self, StartError> {
        config.validate()?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
        let state = AppState::new(config, deps.store, deps.clock);
        let (stop, stopped) = watch::channel(false);
        let app = app::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let mut until_stop = stopped.clone();
        let serving = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = until_stop.wait_for(|stop| *stop).await;
                })
                .await
        });
        let sweep_every = Duration::from_millis(config.sweep_interval_ms);
        let sweeping = tokio::spawn(sweeper::run(
            Arc::clone(&state.store),
            Arc::clone(&state.clock),
            sweep_every,
            stopped,
        ));
        tracing::info!(%addr, "vanish is listening");
        Ok(Self {
            addr,
            state,
            stop,
            serving,
            sweeping,
            grace: Duration::from_millis(config.shutdown_grace_ms),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
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
            Ok(Ok(Ok(()))) => tracing::info!("drained in-flight requests"),
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "server stopped with an error"),
            Ok(Err(e)) => tracing::error!(error = %e, "server task failed"),
            Err(_) => tracing::warn!(
                grace_ms = self.grace.as_millis() as u64,
                "requests still running after the grace period; closing anyway"
            ),
        }
        let _ = self.sweeping.await;
        self.state.store.close().await
    }
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
