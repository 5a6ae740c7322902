//! `vanish serve` settings: every one is a flag and an environment variable of the same
//! name (`--max-views` = `MAX_VIEWS`), parsed once at startup into typed values. Errors
//! name the variable. Defaults are the original service's constants (DESIGN §5–§6).

use std::net::SocketAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use vanish_core::breaker::BreakerConfig;
use vanish_core::limits::Limits;
use vanish_core::ratelimit::Policy;

use crate::store::redis::RedisTarget;

/// Settings of `vanish serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long = "vanish-addr",
        env = "VANISH_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: SocketAddr,

    /// Folder of the embedded SQLite store.
    #[arg(
        long = "vanish-data-dir",
        env = "VANISH_DATA_DIR",
        default_value = "./vanish-data"
    )]
    pub data_dir: PathBuf,

    /// Keep secrets, receipts, rate-limit counters and bans in Redis instead of the
    /// embedded store, so many instances act as one: `redis://host:port[/db]`,
    /// `rediss://…` (TLS), a cluster as `redis+cluster://host:port,host:port,…` or a
    /// comma-separated list of `redis://` node URLs, or a primary behind Sentinel as
    /// `redis+sentinel://host:port,…/name`. See docs/operations.md, "Redis".
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Base of the links the UI and CLI print (e.g. https://vanish.example); from the
    /// request's Host header when unset.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Serve this folder as the web UI instead of the built-in one; unknown page paths
    /// fall back to its index.html.
    #[arg(long, env = "UI_DIR")]
    pub ui_dir: Option<PathBuf>,

    /// Shortest secret lifetime; shorter requests are raised to it.
    #[arg(long, env = "TTL_MIN_MS", default_value_t = Limits::TTL_MIN_MS)]
    pub ttl_min_ms: u64,

    /// Lifetime when a create request names none.
    #[arg(long, env = "TTL_DEFAULT_MS", default_value_t = Limits::TTL_DEFAULT_MS)]
    pub ttl_default_ms: u64,

    /// Longest secret lifetime; longer requests are lowered to it.
    #[arg(long, env = "TTL_MAX_MS", default_value_t = Limits::TTL_MAX_MS)]
    pub ttl_max_ms: u64,

    /// Most views one secret may allow.
    #[arg(long, env = "MAX_VIEWS", default_value_t = Limits::MAX_VIEWS)]
    pub max_views: u32,

    /// Largest `encrypted` field, in base64url characters.
    #[arg(long, env = "ENCRYPTED_MAX_CHARS", default_value_t = Limits::ENCRYPTED_MAX_CHARS)]
    pub encrypted_max_chars: usize,

    /// Longest request target (path and query) in bytes; longer is 414.
    #[arg(long, env = "MAX_URL_LENGTH", default_value_t = 2048)]
    pub max_url_length: usize,

    /// Largest request body in bytes, declared or streamed; larger is 413.
    #[arg(long, env = "MAX_REQUEST_SIZE", default_value_t = 2_000_000)]
    pub max_request_size: usize,

    /// Largest total of request header bytes; larger is 431.
    #[arg(long, env = "MAX_HEADER_SIZE", default_value_t = 8192)]
    pub max_header_size: usize,

    /// Time a client has to send its request headers (slowloris protection).
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,

    /// Deadline for a whole request, body read included; past it the answer is 503 TIMEOUT.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// Rate-limit window; a client's window opens at its first attempt.
    #[arg(long, env = "RATE_LIMIT_WINDOW_MS", default_value_t = 3_600_000)]
    pub rate_limit_window_ms: u64,

    /// Creates per client per window.
    #[arg(long, env = "RATE_LIMIT_CREATE_PER_WINDOW", default_value_t = 100)]
    pub rate_limit_create_per_window: u64,

    /// Reads (reveal, metadata, status, burn) per client per window.
    #[arg(long, env = "RATE_LIMIT_READ_PER_WINDOW", default_value_t = 1000)]
    pub rate_limit_read_per_window: u64,

    /// Attempts at or above limit × this in one window ban the client.
    #[arg(long, env = "ABUSE_THRESHOLD_MULTIPLIER", default_value_t = 5)]
    pub abuse_threshold_multiplier: u64,

    /// How long a ban lasts.
    #[arg(long, env = "BAN_DURATION_MS", default_value_t = 86_400_000)]
    pub ban_duration_ms: u64,

    /// Most clients the in-process limiter tracks at once (memory bound).
    #[arg(long, env = "RATE_LIMIT_MAX_CLIENTS", default_value_t = 100_000)]
    pub rate_limit_max_clients: u64,

    /// CIDRs of proxies whose X-Forwarded-For / CF-Connecting-IP is believed, comma separated.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = ""
    )]
    pub trusted_proxies: Vec<String>,

    /// Consecutive store failures that open a circuit.
    #[arg(long, env = "CIRCUIT_BREAKER_FAILURE_THRESHOLD", default_value_t = 5)]
    pub circuit_breaker_failure_threshold: u32,

    /// Successes in half-open that close a circuit.
    #[arg(long, env = "CIRCUIT_BREAKER_SUCCESS_THRESHOLD", default_value_t = 2)]
    pub circuit_breaker_success_threshold: u32,

    /// Timeout of each store operation; a timeout counts as a failure.
    #[arg(long, env = "CIRCUIT_BREAKER_TIMEOUT_MS", default_value_t = 10_000)]
    pub circuit_breaker_timeout_ms: u64,

    /// Time an open circuit waits before letting probes through.
    #[arg(
        long,
        env = "CIRCUIT_BREAKER_RESET_TIMEOUT_MS",
        default_value_t = 60_000
    )]
    pub circuit_breaker_reset_timeout_ms: u64,

    /// How long rate-limit and ban decisions are cached.
    #[arg(long, env = "CACHE_RATE_LIMIT_TTL_MS", default_value_t = 1000)]
    pub cache_rate_limit_ttl_ms: u64,

    /// Most entries in each decision cache.
    #[arg(long, env = "CACHE_MAX_SIZE", default_value_t = 1000)]
    pub cache_max_size: u64,

    /// Longest a single-flight lookup may be joined by later callers.
    #[arg(long, env = "DEDUP_WINDOW_MS", default_value_t = 5000)]
    pub dedup_window_ms: u64,

    /// `json` (one object per line) or `pretty`.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "pretty"])]
    pub log_format: String,

    /// Log level or filter (`info`, `debug`, `vanish_server=debug`); `RUST_LOG` also works.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Put client IPs in request logs.
    #[arg(long, env = "LOG_CLIENT_IP", default_value_t = false, action = clap::ArgAction::Set)]
    pub log_client_ip: bool,

    /// Bearer token required to read `/metrics`; unset leaves it open (it holds no
    /// secret material, ids or IPs).
    #[arg(long, env = "METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Serve `/metrics` on this separate address (e.g. a private interface) instead of the
    /// main listener.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Seconds between `"level":"metric"` summary lines; 0 turns them off.
    #[arg(long, env = "METRICS_LOG_INTERVAL_S", default_value_t = 60)]
    pub metrics_log_interval_s: u64,

    /// CORS allow-list of origins, comma separated; the service's own origin is always allowed.
    #[arg(
        long,
        env = "ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub allowed_origins: Vec<String>,

    /// Contact line of /.well-known/security.txt (a mailto: or https: URI).
    #[arg(
        long,
        env = "SECURITY_CONTACT",
        default_value = "mailto:security@example.com"
    )]
    pub security_contact: String,

    /// How often expired secrets are swept from the store.
    #[arg(long, env = "SWEEP_INTERVAL_MS", default_value_t = 60_000)]
    pub sweep_interval_ms: u64,

    /// On SIGTERM, how long in-flight requests may take to finish.
    #[arg(long, env = "SHUTDOWN_GRACE_MS", default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,
}

/// A setting that parsed but makes no sense; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    /// Checks relations between settings that clap cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |variable, problem: &str| {
            Err(ConfigError {
                variable,
                problem: problem.to_owned(),
            })
        };
        if self.ttl_min_ms == 0 {
            return fail("TTL_MIN_MS", "must be above 0");
        }
        if !(self.ttl_min_ms..=self.ttl_max_ms).contains(&self.ttl_default_ms) {
            return fail(
                "TTL_DEFAULT_MS",
                "must lie between TTL_MIN_MS and TTL_MAX_MS",
            );
        }
        if self.max_views == 0 {
            return fail("MAX_VIEWS", "must be at least 1");
        }
        if self.circuit_breaker_failure_threshold == 0
            || self.circuit_breaker_success_threshold == 0
        {
            return fail(
                "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
                "thresholds must be at least 1",
            );
        }
        if self.rate_limit_window_ms == 0 {
            return fail("RATE_LIMIT_WINDOW_MS", "must be above 0");
        }
        if self.abuse_threshold_multiplier == 0 {
            return fail("ABUSE_THRESHOLD_MULTIPLIER", "must be at least 1");
        }
        if let Some(bad) = self
            .trusted_proxies
            .iter()
            .find(|p| !p.is_empty() && parse_cidr(p).is_none())
        {
            return fail(
                "TRUSTED_PROXIES",
                &format!("{bad:?} is not an IP address or CIDR"),
            );
        }
        if self.sweep_interval_ms == 0 {
            return fail("SWEEP_INTERVAL_MS", "must be above 0");
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return fail("PUBLIC_URL", "must start with http:// or https://");
        }
        if let Some(origin) = self.allowed_origins.iter().find(|o| o.ends_with('/')) {
            return fail(
                "ALLOWED_ORIGINS",
                &format!("origin {origin:?} must not end with '/'"),
            );
        }
        self.redis_target()?;
        Ok(())
    }

    /// The Redis that `REDIS_URL` names, if set. The error never repeats the URL (it may
    /// hold a password).
    pub fn redis_target(&self) -> Result<Option<RedisTarget>, ConfigError> {
        self.redis_url
            .as_deref()
            .map(RedisTarget::parse)
            .transpose()
            .map_err(|e| ConfigError {
                variable: "REDIS_URL",
                problem: e.to_string(),
            })
    }

    /// The create-request bounds.
    pub fn limits(&self) -> Limits {
        Limits {
            ttl_min_ms: self.ttl_min_ms,
            ttl_default_ms: self.ttl_default_ms,
            ttl_max_ms: self.ttl_max_ms,
            max_views: self.max_views,
            encrypted_max_chars: self.encrypted_max_chars,
        }
    }

    pub fn rate_policy(&self) -> Policy {
        Policy {
            window_ms: self.rate_limit_window_ms,
            create_per_window: self.rate_limit_create_per_window,
            read_per_window: self.rate_limit_read_per_window,
            abuse_multiplier: self.abuse_threshold_multiplier,
            ban_ms: self.ban_duration_ms,
        }
    }

    pub fn breaker(&self) -> BreakerConfig {
        BreakerConfig {
            failure_threshold: self.circuit_breaker_failure_threshold,
            success_threshold: self.circuit_breaker_success_threshold,
            reset_timeout_ms: self.circuit_breaker_reset_timeout_ms,
            half_open_probes: self.circuit_breaker_success_threshold,
        }
    }

    /// The trusted proxy networks, parsed (validated by [`Config::validate`]).
    pub fn trusted_networks(&self) -> Vec<IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| parse_cidr(p))
            .collect()
    }

    /// Defaults, as if `vanish serve` ran with no flags and no environment; for tests
    /// and embedding.
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        let wrapper: Wrapper = clap::Parser::try_parse_from(["vanish"]).expect("defaults parse");
        wrapper.config
    }
}

/// A CIDR (`10.0.0.0/8`) or a bare address (a /32 or /128).
fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}
