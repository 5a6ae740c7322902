//! The settings a deployment runs with for the suite. They are the defaults except where a
//! check needs something it can observe from outside in seconds: rate budgets small enough
//! to reach, a window and a ban short enough to outlive, a minimum TTL short enough to
//! expire, an origin to allow and a contact to find. Each deployment takes them under the
//! same names: environment variables of `vanish serve`, `--var`s of `wrangler dev`.

/// `(name, value)` of every setting the suite needs.
pub const SETTINGS: &[(&str, &str)] = &[
    ("TTL_MIN_MS", "2000"),
    ("RATE_LIMIT_WINDOW_MS", "10000"),
    ("RATE_LIMIT_CREATE_PER_WINDOW", "5"),
    ("RATE_LIMIT_READ_PER_WINDOW", "1000"),
    ("ABUSE_THRESHOLD_MULTIPLIER", "5"),
    ("BAN_DURATION_MS", "12000"),
    ("ALLOWED_ORIGINS", "https://partner.example"),
    ("SECURITY_CONTACT", "mailto:security@vanish.test"),
    // The native server believes `CF-Connecting-IP` only when told to, and only from
    // trusted proxies; the suite connects from loopback and names its clients in that
    // header. (The Worker always believes it: Cloudflare's edge sets it.)
    ("TRUSTED_PROXIES", "127.0.0.1/32,::1/128"),
    ("CLIENT_IP_HEADER", "cf-connecting-ip"),
];

pub const TTL_MIN_MS: u64 = 2_000;
pub const TTL_DEFAULT_MS: u64 = 86_400_000;
pub const TTL_MAX_MS: u64 = 604_800_000;
pub const MAX_VIEWS: u32 = 100;
pub const ENCRYPTED_MAX_CHARS: usize = 1_400_000;
pub const MAX_URL_LENGTH: usize = 2_048;
pub const MAX_REQUEST_SIZE: usize = 2_000_000;
pub const MAX_HEADER_SIZE: usize = 8_192;
pub const WINDOW_MS: u64 = 10_000;
pub const CREATE_PER_WINDOW: u64 = 5;
pub const READ_PER_WINDOW: u64 = 1_000;
pub const ABUSE_MULTIPLIER: u64 = 5;
pub const BAN_MS: u64 = 12_000;
pub const ALLOWED_ORIGIN: &str = "https://partner.example";
pub const SECURITY_CONTACT: &str = "mailto:security@vanish.test";
