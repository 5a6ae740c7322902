//! The Worker's settings: Worker variables (`[vars]` in wrangler.toml, `--var` of
//! `wrangler dev`, or the dashboard) with the same names and defaults as the native
//! server's environment variables (docs/operations.md). Parsed once per isolate; a value
//! that does not parse or makes no sense is an error naming the variable.
//!
//! Settings about sockets, files, Redis, proxies, timeouts of the HTTP server and
//! `/metrics` have no meaning here (README, "The edge", lists them).

use vanish_core::breaker::BreakerConfig;
use vanish_core::cors::{self, Origin};
use vanish_core::limits::Limits;
use vanish_core::ratelimit::Policy;
use vanish_core::settings::{SettingError, check_breaker, check_limits, check_rate_policy};
use worker::Env;

/// Every setting the Worker honours, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub limits: Limits,
    pub rate_policy: Policy,
    pub breaker: BreakerConfig,
    /// Timeout of each Durable Object call; a timeout counts as a failure.
    pub store_timeout_ms: u64,
    pub cache_ttl_ms: u64,
    pub cache_max_size: usize,
    /// Clients the in-isolate fallback limiter tracks at once.
    pub fallback_max_clients: usize,
    pub max_url_length: usize,
    pub max_request_size: usize,
    pub max_header_size: usize,
    pub cors: cors::Policy,
    pub security_contact: String,
    pub log_client_ip: bool,
}

impl Settings {
    /// Reads and checks every setting from the Worker's variables.
    pub fn from_env(env: &Env) -> Result<Self, SettingError> {
        let vars = Vars(env);
        let limits = Limits {
            ttl_min_ms: vars.number("TTL_MIN_MS", Limits::TTL_MIN_MS)?,
            ttl_default_ms: vars.number("TTL_DEFAULT_MS", Limits::TTL_DEFAULT_MS)?,
            ttl_max_ms: vars.number("TTL_MAX_MS", Limits::TTL_MAX_MS)?,
            max_views: vars.number("MAX_VIEWS", Limits::MAX_VIEWS)?,
            encrypted_max_chars: vars.number("ENCRYPTED_MAX_CHARS", Limits::ENCRYPTED_MAX_CHARS)?,
        };
        check_limits(&limits)?;
        let defaults = Policy::default();
        let rate_policy = Policy {
            window_ms: vars.number("RATE_LIMIT_WINDOW_MS", defaults.window_ms)?,
            create_per_window: vars
                .number("RATE_LIMIT_CREATE_PER_WINDOW", defaults.create_per_window)?,
            read_per_window: vars.number("RATE_LIMIT_READ_PER_WINDOW", defaults.read_per_window)?,
            abuse_multiplier: vars
                .number("ABUSE_THRESHOLD_MULTIPLIER", defaults.abuse_multiplier)?,
            ban_ms: vars.number("BAN_DURATION_MS", defaults.ban_ms)?,
        };
        check_rate_policy(&rate_policy)?;
        let success_threshold = vars.number("CIRCUIT_BREAKER_SUCCESS_THRESHOLD", 2)?;
        let breaker = BreakerConfig {
            failure_threshold: vars.number("CIRCUIT_BREAKER_FAILURE_THRESHOLD", 5)?,
            success_threshold,
            reset_timeout_ms: vars.number("CIRCUIT_BREAKER_RESET_TIMEOUT_MS", 60_000)?,
            half_open_probes: success_threshold,
        };
        check_breaker(&breaker)?;
        Ok(Self {
            limits,
            rate_policy,
            breaker,
            store_timeout_ms: vars.number("CIRCUIT_BREAKER_TIMEOUT_MS", 10_000)?,
            cache_ttl_ms: vars.number("CACHE_RATE_LIMIT_TTL_MS", 1_000)?,
            cache_max_size: vars.number("CACHE_MAX_SIZE", 1_000)?,
            fallback_max_clients: vars.number("RATE_LIMIT_MAX_CLIENTS", 100_000)?,
            max_url_length: vars.number("MAX_URL_LENGTH", 2_048)?,
            max_request_size: vars.number("MAX_REQUEST_SIZE", 2_000_000)?,
            max_header_size: vars.number("MAX_HEADER_SIZE", 8_192)?,
            cors: cors_policy(&vars)?,
            security_contact: vars
                .text("SECURITY_CONTACT")
                .unwrap_or_else(|| "mailto:security@example.com".to_owned()),
            log_client_ip: vars.boolean("LOG_CLIENT_IP", false)?,
        })
    }
}

/// `PUBLIC_URL` (the service's own origin) and `ALLOWED_ORIGINS`.
fn cors_policy(vars: &Vars<'_>) -> Result<cors::Policy, SettingError> {
    let own = vars
        .text("PUBLIC_URL")
        .map(|url| Origin::of_url(&url))
        .transpose()
        .map_err(|e| SettingError::new("PUBLIC_URL", e.to_string()))?;
    let allowed = vars
        .text("ALLOWED_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(Origin::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SettingError::new("ALLOWED_ORIGINS", e.to_string()))?;
    Ok(cors::Policy::new(own, allowed))
}

/// The Worker's variables, read as text.
struct Vars<'a>(&'a Env);

impl Vars<'_> {
    /// The variable's value, if set and not blank.
    fn text(&self, name: &str) -> Option<String> {
        let value = self.0.var(name).ok()?.to_string();
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    fn number<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, SettingError> {
        match self.text(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| SettingError::new(name, format!("{text:?} is not a whole number"))),
        }
    }

    fn boolean(&self, name: &'static str, default: bool) -> Result<bool, SettingError> {
        match self.text(name).as_deref() {
            None => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(other) => Err(SettingError::new(
                name,
                format!("{other:?} is not true or false"),
            )),
        }
    }
}
