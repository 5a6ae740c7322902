//! `vanish serve` settings: every one is a flag and an environment variable of the same
//! name (`--max-views` = `MAX_VIEWS`), parsed once at startup into typed values. Errors
//! name the variable. Defaults are the original service's constants (DESIGN §5–§6).

use std::net::SocketAddr;
use std::path::PathBuf;

use vanish_core::limits::Limits;

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

    /// Largest request body in bytes.
    #[arg(long, env = "MAX_REQUEST_SIZE", default_value_t = 2_000_000)]
    pub max_request_size: usize,

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
        Ok(())
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
