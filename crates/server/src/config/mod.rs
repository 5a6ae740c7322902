//! `vanish serve` settings. Every one is a flag and an environment variable of the same
//! name (`--max-views` = `MAX_VIEWS`), parsed once at startup into typed values (durations,
//! networks, origins, the Redis target, enums); nothing downstream parses a setting again.
//! A bad value stops startup with a message naming the variable. Defaults are the original
//! service's constants; docs/operations.md lists them all.
//!
//! Settings come in groups, one struct per concern, flattened into [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, FromArgMatches};
use ipnet::IpNet;
use vanish_core::access::CreateAccess;
use vanish_core::breaker::BreakerConfig;
use vanish_core::cors::{self, Origin};
use vanish_core::id::TokenHash;
use vanish_core::limits::Limits;
use vanish_core::ratelimit::Policy;
use vanish_core::settings;

use crate::store::redis::RedisTarget;

pub(crate) mod parse;

pub use parse::{Domains, Origins, Proxies, RedisUrl, TokenHashes};

/// Settings of `vanish serve`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten)]
    pub listen: Listen,
    #[command(flatten)]
    pub storage: Storage,
    #[command(flatten)]
    pub secrets: SecretLimits,
    #[command(flatten)]
    pub requests: RequestBounds,
    #[command(flatten)]
    pub rate: RateLimits,
    #[command(flatten)]
    pub clients: ClientIdentity,
    #[command(flatten)]
    pub web: Web,
    #[command(flatten)]
    pub creation: Creation,
    #[command(flatten)]
    pub resilience: Resilience,
    #[command(flatten)]
    pub telemetry: Telemetry,
}

/// Where and how the server listens.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Listening")]
pub struct Listen {
    /// Address to listen on.
    #[arg(
        long = "vanish-addr",
        env = "VANISH_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: SocketAddr,

    /// Time a client has to send its request headers, in ms (slowloris protection).
    #[arg(long = "header-read-timeout-ms", env = "HEADER_READ_TIMEOUT_MS", default_value = "10000", value_parser = parse::positive_ms)]
    pub header_read_timeout: Duration,

    /// Deadline of a whole request, body read included, in ms; past it the answer is 503
    /// TIMEOUT.
    #[arg(long = "request-timeout-ms", env = "REQUEST_TIMEOUT_MS", default_value = "30000", value_parser = parse::positive_ms)]
    pub request_timeout: Duration,

    /// Most connections open at once; past it, new ones wait in the kernel's backlog. Each
    /// costs a few tens of KiB at most, so this bounds memory under a connection flood.
    #[arg(long = "max-connections", env = "MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,

    /// On SIGTERM, how long in-flight requests may take to finish, in ms.
    #[arg(long = "shutdown-grace-ms", env = "SHUTDOWN_GRACE_MS", default_value = "10000", value_parser = parse::ms)]
    pub shutdown_grace: Duration,
}

/// Where secrets live.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub struct Storage {
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
    #[arg(long = "redis-url", env = "REDIS_URL", value_parser = RedisUrl)]
    pub redis: Option<RedisTarget>,

    /// Serve from a Redis whose `maxmemory-policy` may evict keys (any `allkeys-*` or
    /// `volatile-*`), which can silently drop acknowledged secrets. Refused unless this is
    /// true; see docs/operations.md, "Recommended Redis settings".
    #[arg(long = "redis-allow-eviction", env = "REDIS_ALLOW_EVICTION", default_value_t = false, action = clap::ArgAction::Set)]
    pub redis_allow_eviction: bool,

    /// How often expired secrets are swept from the store, in ms.
    #[arg(long = "sweep-interval-ms", env = "SWEEP_INTERVAL_MS", default_value = "60000", value_parser = parse::positive_ms)]
    pub sweep_interval: Duration,
}

/// Bounds on what a sender may create.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Secrets")]
pub struct SecretLimits {
    /// Shortest secret lifetime in ms; shorter requests are raised to it.
    #[arg(long, env = "TTL_MIN_MS", default_value_t = Limits::TTL_MIN_MS, value_parser = clap::value_parser!(u64).range(1..))]
    pub ttl_min_ms: u64,

    /// Lifetime in ms when a create request names none.
    #[arg(long, env = "TTL_DEFAULT_MS", default_value_t = Limits::TTL_DEFAULT_MS)]
    pub ttl_default_ms: u64,

    /// Longest secret lifetime in ms; longer requests are lowered to it.
    #[arg(long, env = "TTL_MAX_MS", default_value_t = Limits::TTL_MAX_MS)]
    pub ttl_max_ms: u64,

    /// Most views one secret may allow.
    #[arg(long, env = "MAX_VIEWS", default_value_t = Limits::MAX_VIEWS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_views: u32,

    /// Largest `encrypted` field, in base64url characters.
    #[arg(long, env = "ENCRYPTED_MAX_CHARS", default_value_t = Limits::ENCRYPTED_MAX_CHARS)]
    pub encrypted_max_chars: usize,
}

/// Bounds on a request's shape, checked before any work.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Requests")]
pub struct RequestBounds {
    /// Longest request target (path and query) in bytes; longer is 414.
    #[arg(long, env = "MAX_URL_LENGTH", default_value_t = 2048)]
    pub max_url_length: usize,

    /// Largest request body in bytes, declared or streamed; larger is 413.
    #[arg(long, env = "MAX_REQUEST_SIZE", default_value_t = 2_000_000)]
    pub max_request_size: usize,

    /// Largest total of request header bytes; larger is 431.
    #[arg(long, env = "MAX_HEADER_SIZE", default_value_t = 8192)]
    pub max_header_size: usize,
}

/// Rate limits and abuse bans.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rate limits")]
pub struct RateLimits {
    /// Rate-limit window in ms; a client's window opens at its first attempt.
    #[arg(long = "rate-limit-window-ms", env = "RATE_LIMIT_WINDOW_MS", default_value = "3600000", value_parser = parse::positive_ms)]
    pub window: Duration,

    /// Creates per client per window.
    #[arg(
        long = "rate-limit-create-per-window",
        env = "RATE_LIMIT_CREATE_PER_WINDOW",
        default_value_t = 100
    )]
    pub create_per_window: u64,

    /// Reads (reveal, metadata, status, burn) per client per window.
    #[arg(
        long = "rate-limit-read-per-window",
        env = "RATE_LIMIT_READ_PER_WINDOW",
        default_value_t = 1000
    )]
    pub read_per_window: u64,

    /// Attempts at or above limit × this in one window ban the client.
    #[arg(long = "abuse-threshold-multiplier", env = "ABUSE_THRESHOLD_MULTIPLIER", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub abuse_multiplier: u64,

    /// How long a ban lasts, in ms.
    #[arg(long = "ban-duration-ms", env = "BAN_DURATION_MS", default_value = "86400000", value_parser = parse::ms)]
    pub ban_duration: Duration,

    /// Most clients the in-process limiter tracks at once (memory bound).
    #[arg(long = "rate-limit-max-clients", env = "RATE_LIMIT_MAX_CLIENTS", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_clients: u64,
}

/// Who a client is.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Client identity")]
pub struct ClientIdentity {
    /// CIDRs (or bare addresses) of the proxies in front, comma separated; only from them
    /// is the client-address header believed.
    #[arg(long = "trusted-proxies", env = "TRUSTED_PROXIES", default_value = "", value_parser = Proxies::parse)]
    pub trusted_proxies: Proxies,

    /// The one header trusted proxies set to name the client: `x-forwarded-for`
    /// (right-most address that is not a trusted proxy), `cf-connecting-ip` (only behind
    /// Cloudflare), `x-real-ip`, or `none` (the socket peer is the client).
    #[arg(
        long = "client-ip-header",
        env = "CLIENT_IP_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub client_ip_header: ClientIpHeader,
}

/// The header trusted proxies name the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientIpHeader {
    /// `X-Forwarded-For`, walked from the right past trusted proxies.
    XForwardedFor,
    /// `CF-Connecting-IP`, set by Cloudflare.
    CfConnectingIp,
    /// `X-Real-IP`, as nginx sets it.
    XRealIp,
    /// No header: the socket peer is the client.
    None,
}

/// The web face: links, the UI, who may call the API from a browser.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Web")]
pub struct Web {
    /// Base of the links the UI and CLI print (e.g. https://vanish.example); also the
    /// service's own origin for CORS. From the request's Host header when unset.
    #[arg(long = "public-url", env = "PUBLIC_URL", value_parser = parse::public_url)]
    pub public_url: Option<Origin>,

    /// Base URL share links point at when recipients open them on another instance (the
    /// public, read-only side of a split deployment); the UI reads it from /api/config.
    #[arg(long = "share-base-url", env = "SHARE_BASE_URL", value_parser = parse::share_base_url)]
    pub share_base_url: Option<String>,

    /// Serve this folder as the web UI instead of the built-in one; unknown page paths
    /// fall back to its index.html.
    #[arg(long = "ui-dir", env = "UI_DIR")]
    pub ui_dir: Option<PathBuf>,

    /// CORS allow-list of origins, comma separated; the service's own origin is always
    /// allowed.
    #[arg(long = "allowed-origins", env = "ALLOWED_ORIGINS", default_value = "", value_parser = Origins::parse)]
    pub allowed_origins: Origins,

    /// Contact line of /.well-known/security.txt (a mailto: or https: URI).
    #[arg(
        long = "security-contact",
        env = "SECURITY_CONTACT",
        default_value = "mailto:security@example.com"
    )]
    pub security_contact: String,
}

/// Who may create secrets (reading never needs an account).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Who may create")]
pub struct Creation {
    /// `open` (anyone), `token` (an `Authorization: Bearer` API token from
    /// CREATE_TOKENS / CREATE_TOKENS_FILE), `proxy` (an identity in IDENTITY_HEADER set by a
    /// trusted authenticating proxy) or `closed` (this instance only reveals).
    #[arg(long = "create-access", env = "CREATE_ACCESS", default_value = "open")]
    pub mode: CreateMode,

    /// SHA-256 hashes (hex) of the API tokens that may create, comma separated; `vanish
    /// token` makes a token and its hash.
    #[arg(long = "create-tokens", env = "CREATE_TOKENS", default_value = "", value_parser = TokenHashes::parse)]
    pub tokens: TokenHashes,

    /// A file of token hashes, one per line (`#` starts a comment), read at startup.
    #[arg(long = "create-tokens-file", env = "CREATE_TOKENS_FILE", value_parser = TokenHashes::read)]
    pub tokens_file: Option<TokenHashes>,

    /// The header in which the authenticating proxy names the signed-in user (an e-mail
    /// address); believed only from TRUSTED_PROXIES.
    #[arg(long = "identity-header", env = "IDENTITY_HEADER", default_value = "x-forwarded-email", value_parser = parse::header_name)]
    pub identity_header: axum::http::HeaderName,

    /// E-mail domains whose users may create, comma separated; empty allows any identity
    /// the proxy vouches for.
    #[arg(long = "allowed-email-domains", env = "ALLOWED_EMAIL_DOMAINS", default_value = "", value_parser = Domains::parse)]
    pub allowed_email_domains: Domains,
}

/// How `POST /api/secrets` is authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CreateMode {
    Open,
    Token,
    Proxy,
    Closed,
}

/// Circuit breakers, the decision cache and single-flight.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Resilience")]
pub struct Resilience {
    /// Consecutive store failures that open a circuit.
    #[arg(long = "circuit-breaker-failure-threshold", env = "CIRCUIT_BREAKER_FAILURE_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub failure_threshold: u32,

    /// Successes in half-open that close a circuit.
    #[arg(long = "circuit-breaker-success-threshold", env = "CIRCUIT_BREAKER_SUCCESS_THRESHOLD", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub success_threshold: u32,

    /// Timeout of each store operation in ms; a timeout counts as a failure.
    #[arg(long = "circuit-breaker-timeout-ms", env = "CIRCUIT_BREAKER_TIMEOUT_MS", default_value = "10000", value_parser = parse::positive_ms)]
    pub operation_timeout: Duration,

    /// Time an open circuit waits before letting probes through, in ms.
    #[arg(long = "circuit-breaker-reset-timeout-ms", env = "CIRCUIT_BREAKER_RESET_TIMEOUT_MS", default_value = "60000", value_parser = parse::ms)]
    pub reset_timeout: Duration,

    /// How long rate-limit and ban decisions are cached, in ms.
    #[arg(long = "cache-rate-limit-ttl-ms", env = "CACHE_RATE_LIMIT_TTL_MS", default_value = "1000", value_parser = parse::positive_ms)]
    pub cache_ttl: Duration,

    /// Most entries in each decision cache.
    #[arg(
        long = "cache-max-size",
        env = "CACHE_MAX_SIZE",
        default_value_t = 1000
    )]
    pub cache_max_size: u64,

    /// Longest a single-flight lookup may be joined by later callers, in ms.
    #[arg(long = "dedup-window-ms", env = "DEDUP_WINDOW_MS", default_value = "5000", value_parser = parse::ms)]
    pub dedup_window: Duration,
}

/// Logs and metrics.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Telemetry")]
pub struct Telemetry {
    /// `json` (one object per line) or `pretty`.
    #[arg(long = "log-format", env = "LOG_FORMAT", default_value = "json")]
    pub log_format: LogFormat,

    /// Log level or filter (`info`, `debug`, `vanish_server=debug`); `RUST_LOG` wins when
    /// set.
    #[arg(long = "log-level", env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Put client IPs in request logs.
    #[arg(long = "log-client-ip", env = "LOG_CLIENT_IP", default_value_t = false, action = clap::ArgAction::Set)]
    pub log_client_ip: bool,

    /// Bearer token required to read `/metrics`; unset leaves it open (it holds no secret
    /// material, ids or IPs).
    #[arg(long = "metrics-token", env = "METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Serve `/metrics` on this separate address (e.g. a private interface) instead of the
    /// main listener.
    #[arg(long = "metrics-addr", env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Seconds between `"level":"metric"` summary lines; 0 turns them off.
    #[arg(long = "metrics-log-interval-s", env = "METRICS_LOG_INTERVAL_S", default_value = "60", value_parser = parse::seconds)]
    pub metrics_log_interval: Duration,

    /// Report 5xx answers and panics to Sentry at this DSN (builds with the `sentry`
    /// feature). Never sent: bodies, ids, tokens, IPs, query strings, headers.
    #[arg(long = "sentry-dsn", env = "SENTRY_DSN")]
    pub sentry_dsn: Option<String>,

    /// The environment error reports are filed under.
    #[arg(
        long = "environment",
        env = "ENVIRONMENT",
        default_value = "production"
    )]
    pub environment: String,

    /// Share of error reports sent to Sentry, from 0 to 1.
    #[arg(long = "sentry-sample-rate", env = "SENTRY_SAMPLE_RATE", default_value = "1.0", value_parser = parse::rate)]
    pub sentry_sample_rate: f32,

    /// Export traces over OTLP/HTTP (protobuf) to this collector base URL, e.g.
    /// `http://localhost:4318` (builds with the `otel` feature). The other standard
    /// `OTEL_*` variables (service name, resource attributes, sampler, headers, timeout)
    /// apply too.
    #[arg(long = "otel-exporter-otlp-endpoint", env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_parser = parse::http_url)]
    pub otlp_endpoint: Option<String>,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// For humans at a terminal.
    Pretty,
}

/// A setting that parsed but makes no sense with the others; the message names the
/// variable. The checks both hosts share are `vanish_core::settings`'.
pub use vanish_core::settings::SettingError as ConfigError;

impl Config {
    /// Defaults, as if `vanish serve` ran with no flags and an empty environment, whatever
    /// the caller's environment holds; for tests and embedding.
    pub fn defaults() -> Self {
        let command =
            Self::augment_args(clap::Command::new("vanish")).mut_args(|arg| arg.env(None));
        let matches = command
            .try_get_matches_from(["vanish"])
            .expect("the defaults parse");
        Self::from_arg_matches(&matches).expect("the defaults fill every setting")
    }

    /// `command` with every setting's value named after its environment variable, so help
    /// and errors show `--rate-limit-window-ms <RATE_LIMIT_WINDOW_MS>`.
    pub fn name_values_after_variables(command: clap::Command) -> clap::Command {
        command.mut_args(|arg| match arg.get_env() {
            Some(env) => {
                let name = env.to_string_lossy().into_owned();
                arg.value_name(name)
            }
            None => arg,
        })
    }

    /// Checks relations between settings that no single value parser can.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |variable, problem: &str| {
            Err(ConfigError {
                variable,
                problem: problem.to_owned(),
            })
        };
        settings::check_limits(&self.limits())?;
        settings::check_rate_policy(&self.rate_policy())?;
        settings::check_breaker(&self.breaker())?;
        match self.creation.mode {
            CreateMode::Token if self.token_hashes().is_empty() => fail(
                "CREATE_ACCESS",
                "token needs at least one hash in CREATE_TOKENS or CREATE_TOKENS_FILE",
            ),
            CreateMode::Proxy if self.trusted_proxies().is_empty() => fail(
                "CREATE_ACCESS",
                "proxy needs TRUSTED_PROXIES: the identity header is believed only from them",
            ),
            _ => Ok(()),
        }
    }

    fn token_hashes(&self) -> Vec<TokenHash> {
        let from_file = self.creation.tokens_file.iter().flat_map(|t| t.0.iter());
        self.creation
            .tokens
            .0
            .iter()
            .chain(from_file)
            .copied()
            .collect()
    }

    /// Who may create secrets.
    pub fn create_access(&self) -> CreateAccess {
        match self.creation.mode {
            CreateMode::Open => CreateAccess::Open,
            CreateMode::Token => CreateAccess::Token(self.token_hashes()),
            CreateMode::Proxy => CreateAccess::Proxy {
                allowed_domains: self.creation.allowed_email_domains.0.clone(),
            },
            CreateMode::Closed => CreateAccess::Closed,
        }
    }

    /// The create-request bounds.
    pub fn limits(&self) -> Limits {
        let s = &self.secrets;
        Limits {
            ttl_min_ms: s.ttl_min_ms,
            ttl_default_ms: s.ttl_default_ms,
            ttl_max_ms: s.ttl_max_ms,
            max_views: s.max_views,
            encrypted_max_chars: s.encrypted_max_chars,
        }
    }

    pub fn rate_policy(&self) -> Policy {
        let r = &self.rate;
        Policy {
            window_ms: millis(r.window),
            create_per_window: r.create_per_window,
            read_per_window: r.read_per_window,
            abuse_multiplier: r.abuse_multiplier,
            ban_ms: millis(r.ban_duration),
        }
    }

    pub fn breaker(&self) -> BreakerConfig {
        let r = &self.resilience;
        BreakerConfig {
            failure_threshold: r.failure_threshold,
            success_threshold: r.success_threshold,
            reset_timeout_ms: millis(r.reset_timeout),
            half_open_probes: r.success_threshold,
        }
    }

    /// Which origins may call the API from a browser.
    pub fn cors_policy(&self) -> cors::Policy {
        cors::Policy::new(
            self.web.public_url.clone(),
            self.web.allowed_origins.0.clone(),
        )
    }

    /// The trusted proxy networks.
    pub fn trusted_proxies(&self) -> &[IpNet] {
        &self.clients.trusted_proxies.0
    }
}

/// Whole milliseconds of a duration, as the core's maths counts time.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
