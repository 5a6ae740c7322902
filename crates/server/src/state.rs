//! [`AppState`]: what the route handlers share, built once at startup. A clone is one
//! reference count. Middleware never sees it: each layer has its own small state
//! (`crate::pipeline`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;
use axum::http::HeaderName;
use vanish_core::access::CreateAccess;
use vanish_core::clock::Clock;
use vanish_core::limits::Limits;

use crate::resilience::CircuitBreaker;
use crate::routes::health::Readiness;
use crate::routes::ui::Ui;
use crate::store::SecretStore;
use crate::telemetry::Metrics;

/// The handlers' shared state; read its fields through `Deref` (`app.store`, …).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state behind [`AppState`].
pub struct Shared {
    /// The secret store, already behind its circuit breaker and single-flight.
    pub store: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    /// Bounds on what a sender may create.
    pub limits: Limits,
    /// Who may create (`CREATE_ACCESS`), and the header a trusted proxy names them in.
    pub create_access: CreateAccess,
    pub identity_header: HeaderName,
    /// `SHARE_BASE_URL`, for `/api/config`.
    pub share_base_url: Option<Arc<str>>,
    pub body_limit: BodyLimit,
    pub metrics: Arc<Metrics>,
    /// Every circuit breaker, for readiness and `/metrics`.
    pub breakers: Arc<[Arc<CircuitBreaker>]>,
    pub lifecycle: Arc<Lifecycle>,
    pub readiness: Readiness,
    pub metrics_access: MetricsAccess,
    pub security_contact: Arc<str>,
    pub ui: Ui,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

/// Largest request body, in bytes (`MAX_REQUEST_SIZE`); the JSON extractor's bound.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl FromRef<AppState> for BodyLimit {
    fn from_ref(app: &AppState) -> Self {
        app.body_limit
    }
}

/// Who may read `/metrics` on the main listener.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// Bearer token `/metrics` requires, when set.
    pub token: Option<Arc<str>>,
    /// `/metrics` has its own listener (`METRICS_ADDR`) and is not on the main one.
    pub elsewhere: bool,
}

/// Process-wide run state that readiness reports.
#[derive(Debug, Default)]
pub struct Lifecycle {
    shutting_down: AtomicBool,
}

impl Lifecycle {
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
