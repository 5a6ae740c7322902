//! Read connections for the SQLite store. Reads run on tokio's blocking threads, each on
//! a connection taken from a small pool; under WAL they see the last commit and never
//! wait for the writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::{backend, open_connection};
use crate::store::StoreError;

/// Idle connections kept for reuse; more may be open at once under load.
const MAX_IDLE: usize = 8;

pub(super) struct Readers {
    path: PathBuf,
    /// Held only to push or pop a connection, never across a query or an `.await`.
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Runs `query` on a pooled read connection on a blocking thread.
    pub(super) async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let path = self.path.clone();
        let idle = Arc::clone(&self.idle);
        tokio::task::spawn_blocking(move || {
            let pooled = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => {
                    let conn = open_connection(&path)?;
                    conn.pragma_update(None, "query_only", true)
                        .map_err(backend)?;
                    conn
                }
            };
            let result = query(&conn).map_err(backend);
            let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }
}
