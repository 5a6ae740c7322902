//! Assembling the application: the backends the settings name ([`open_deps`]), wrapped in
//! their resilience and given to the handlers and each pipeline layer as the small state
//! that part reads ([`wire`]), and the routes wrapped in the pipeline ([`build`]). This is
//! the one place that joins settings, backends, routes and layers (docs/architecture.md).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use vanish_core::clock::Clock;

use crate::config::{Config, millis};
use crate::pipeline::{
    Pipeline, access_log, client_ip, cors, drain, rate_limit, request_limits, request_span, timeout,
};
use crate::ratelimit::memory::MemoryLimitStore;
use crate::ratelimit::redis::RedisLimitStore;
use crate::ratelimit::{CacheConfig, LimitStore, RateLimiter};
use crate::resilience::{self, Resilience};
use crate::routes;
use crate::routes::health::Readiness;
use crate::routes::ui::Ui;
use crate::state::{AppState, BodyLimit, Lifecycle, MetricsAccess, Shared};
use crate::store::redis::persistence::{Eviction, warn_if_not_durable};
use crate::store::redis::{DEFAULT_PREFIX, Keys, RedisConnection, RedisOptions, RedisStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{SecretStore, StoreError};
use crate::telemetry::{self, Metrics};

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

/// Opens the secret store the configuration names: Redis when `REDIS_URL` is set, else
/// SQLite in `VANISH_DATA_DIR`.
pub fn open_store(config: &Config) -> Result<Arc<dyn SecretStore>, StoreError> {
    Ok(open_backends(config)?.0)
}

/// The [`Deps`] the configuration names: with `REDIS_URL`, Redis keeps the secrets and
/// (sharing its connection) the rate-limit counters and bans; otherwise SQLite keeps the
/// secrets and limits stay in process.
///
/// A Redis that answers at once is checked before anything is served: one that may evict
/// keys is refused here, so `vanish serve` does not start (unless
/// `REDIS_ALLOW_EVICTION=true`). One that does not answer yet is checked at first contact.
pub async fn open_deps(config: &Config, clock: Arc<dyn Clock>) -> Result<Deps, StoreError> {
    let (store, shared_limits) = open_backends(config)?;
    if config.storage.redis.is_some() {
        match tokio::time::timeout(FIRST_CONTACT, store.ping()).await {
            Ok(Err(refused @ StoreError::Refused(_))) => return Err(refused),
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => tracing::warn!(
                "Redis does not answer yet; starting anyway (not ready until it does), its \
                 settings are checked when it answers"
            ),
        }
    }
    Ok(Deps {
        store,
        shared_limits,
        clock,
    })
}

/// How long startup waits for Redis to answer its first check.
const FIRST_CONTACT: Duration = Duration::from_secs(3);

type OpenedBackends = (Arc<dyn SecretStore>, Option<Arc<dyn LimitStore>>);

fn open_backends(config: &Config) -> Result<OpenedBackends, StoreError> {
    let Some(target) = &config.storage.redis else {
        return Ok((Arc::new(SqliteStore::open(&config.storage.data_dir)?), None));
    };
    // A command waits half the breaker's operation timeout, so a reply lost to the response
    // timeout can be asked for once more (store/redis, "Retries") within the operation's
    // budget; a hung Redis still costs one operation timeout, never more.
    let op_timeout = config.resilience.operation_timeout;
    let options = RedisOptions {
        connect_timeout: op_timeout.min(Duration::from_secs(1)),
        response_timeout: op_timeout / 2,
    };
    let conn = RedisConnection::open(target, options)?;
    let keys = Keys::new(DEFAULT_PREFIX)?;
    tracing::info!(redis = %target, "secrets, rate limits and bans are kept in Redis");
    tokio::spawn(warn_if_not_durable(conn.clone()));
    let limits = RedisLimitStore::new(conn.clone(), keys.clone());
    let eviction = if config.storage.redis_allow_eviction {
        Eviction::Tolerate
    } else {
        Eviction::Refuse
    };
    Ok((
        Arc::new(RedisStore::new(conn, keys).with_eviction(eviction)),
        Some(Arc::new(limits)),
    ))
}

/// Longest an early answer waits for the rest of a request body to be drained.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The app's state and the pipeline's, built from the settings around the raw backends.
pub struct Wired {
    pub state: AppState,
    pub pipeline: Pipeline,
}

/// Puts the backends behind their breakers, single-flight and decision cache, and gives
/// each layer and the handlers the part of the settings they read.
pub fn wire(config: &Config, deps: Deps) -> Wired {
    let metrics = Arc::new(Metrics::default());
    let settings = resilience::Settings {
        breaker: config.breaker(),
        operation_timeout: config.resilience.operation_timeout,
        dedup_window: config.resilience.dedup_window,
    };
    let mut resilience = Resilience::new(settings, Arc::clone(&deps.clock), Arc::clone(&metrics));
    let store = resilience.secrets(deps.store);
    let local = MemoryLimitStore::new(config.rate.max_clients);
    let limit_store: Arc<dyn LimitStore> = match deps.shared_limits {
        Some(shared) => resilience.limits(shared, local),
        None => Arc::new(local),
    };
    let cache = CacheConfig {
        ttl_ms: millis(config.resilience.cache_ttl),
        max_entries: config.resilience.cache_max_size,
        dedup_window: config.resilience.dedup_window,
    };
    let limiter = RateLimiter::new(
        config.rate_policy(),
        limit_store,
        cache,
        Arc::clone(&metrics),
    );
    let pipeline = Pipeline {
        request_span: request_span::RequestSpans {
            traces: telemetry::exports_traces(&config.telemetry),
            errors: telemetry::reports_errors(&config.telemetry),
        },
        client_ip: client_ip::Resolver::new(
            config.trusted_proxies(),
            config.clients.client_ip_header,
        ),
        access_log: access_log::AccessLog {
            metrics: Arc::clone(&metrics),
            log_client_ip: config.telemetry.log_client_ip,
        },
        cors: cors::Cors(Arc::new(config.cors_policy())),
        drain: drain::Drain {
            max_bytes: 2 * config.requests.max_request_size as u64,
            max_time: DRAIN_TIME,
        },
        request_limits: request_limits::Bounds {
            max_url_length: config.requests.max_url_length,
            max_header_size: config.requests.max_header_size,
            max_body: config.requests.max_request_size,
        },
        rate_limit: Arc::new(rate_limit::Gate {
            limiter: Arc::new(limiter),
            clock: Arc::clone(&deps.clock),
            metrics: Arc::clone(&metrics),
        }),
        timeout: timeout::Deadline(config.listen.request_timeout),
    };
    let state = AppState::new(Shared {
        store,
        clock: deps.clock,
        limits: config.limits(),
        create_access: config.create_access(),
        identity_header: config.creation.identity_header.clone(),
        share_base_url: config.web.share_base_url.as_deref().map(Arc::from),
        body_limit: BodyLimit(config.requests.max_request_size),
        metrics,
        breakers: resilience.into_breakers(),
        lifecycle: Arc::new(Lifecycle::default()),
        readiness: Readiness::default(),
        metrics_access: MetricsAccess {
            token: config.telemetry.metrics_token.as_deref().map(Arc::from),
            elsewhere: config.telemetry.metrics_addr.is_some(),
        },
        security_contact: Arc::from(config.web.security_contact.as_str()),
        ui: Ui::new(config.web.ui_dir.clone()),
    });
    Wired { state, pipeline }
}

/// The app the main listener serves: the routes wrapped in the pipeline.
pub fn build(state: AppState, pipeline: &Pipeline) -> Router {
    pipeline.wrap(routes::router(state))
}
