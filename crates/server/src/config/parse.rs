//! Value parsers for settings: durations given in milliseconds or seconds, lists given as
//! comma-separated text, origins, and the Redis URL. Each turns one setting's text into its
//! typed value; clap names the variable in the error.

use std::ffi::OsStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use ipnet::IpNet;
use vanish_core::cors::Origin;
use vanish_core::id::TokenHash;

use crate::store::redis::RedisTarget;

/// Milliseconds, zero allowed.
pub fn ms(text: &str) -> Result<Duration, String> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| "must be a whole number of milliseconds".to_owned())?;
    Ok(Duration::from_millis(n))
}

/// Milliseconds, at least 1.
pub fn positive_ms(text: &str) -> Result<Duration, String> {
    ms(text).and_then(|d| {
        if d.is_zero() {
            Err("must be above 0".to_owned())
        } else {
            Ok(d)
        }
    })
}

/// Whole seconds, zero allowed.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| "must be a whole number of seconds".to_owned())?;
    Ok(Duration::from_secs(n))
}

/// `PUBLIC_URL`: an `http(s)://` base URL, kept as the origin it belongs to.
pub fn public_url(text: &str) -> Result<Origin, String> {
    let lower = text.trim().to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err("must start with http:// or https://".to_owned());
    }
    Origin::of_url(text).map_err(|e| e.to_string())
}

/// `SHARE_BASE_URL`: an `http(s)://` base URL, kept without a trailing `/`.
pub fn share_base_url(text: &str) -> Result<String, String> {
    public_url(text)?;
    Ok(text.trim().trim_end_matches('/').to_owned())
}

/// A sampling rate: a number from 0 to 1.
pub fn rate(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err("must be a number from 0 to 1".to_owned()),
    }
}

/// An `http(s)://` URL, kept as written without a trailing slash.
pub fn http_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() => Ok(url.to_owned()),
        _ => Err("must be an http:// or https:// URL".to_owned()),
    }
}

/// Splits a comma-separated setting into its trimmed, non-empty entries.
fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|e| !e.is_empty())
}

/// `TRUSTED_PROXIES`: CIDRs or bare addresses (a /32 or /128), comma separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies(pub Vec<IpNet>);

impl Proxies {
    pub fn parse(text: &str) -> Result<Self, String> {
        entries(text)
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// `ALLOWED_ORIGINS`: origins, comma separated, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(pub Vec<Origin>);

impl Origins {
    pub fn parse(text: &str) -> Result<Self, String> {
        entries(text)
            .map(|entry| Origin::parse(entry).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// An HTTP header name, in lower case.
pub fn header_name(text: &str) -> Result<axum::http::HeaderName, String> {
    axum::http::HeaderName::from_bytes(text.trim().to_ascii_lowercase().as_bytes())
        .map_err(|_| format!("{text:?} is not a header name"))
}

/// `ALLOWED_EMAIL_DOMAINS`: e-mail domains, comma separated, in lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Domains(pub Vec<String>);

impl Domains {
    pub fn parse(text: &str) -> Result<Self, String> {
        domains(text).map(Self)
    }
}

fn domains(text: &str) -> Result<Vec<String>, String> {
    entries(text)
        .map(|d| {
            let d = d.trim_start_matches('@').to_ascii_lowercase();
            let ok = d.contains('.')
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
            if ok {
                Ok(d)
            } else {
                Err(format!("{d:?} is not a domain"))
            }
        })
        .collect()
}

/// API token hashes: SHA-256 in hex, comma separated (`CREATE_TOKENS`) or one per line of
/// a file (`CREATE_TOKENS_FILE`).
#[derive(Debug, Clone, Default)]
pub struct TokenHashes(pub Vec<TokenHash>);

impl TokenHashes {
    pub fn parse(text: &str) -> Result<Self, String> {
        entries(text)
            .map(|hex| {
                TokenHash::from_hex(hex).ok_or_else(|| {
                    "an entry is not 64 hexadecimal digits (a SHA-256 hash)".to_owned()
                })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Reads a file of hashes, one per line; blank lines and `#` comments are skipped.
    pub fn read(path: &str) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path:?}: {e}"))?;
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default().trim())
            .filter(|l| !l.is_empty())
            .collect();
        Self::parse(&lines.join(","))
    }
}

/// `REDIS_URL`, parsed into a [`RedisTarget`]. Unlike clap's own errors, this one never
/// repeats the value: a Redis URL may carry a password.
#[derive(Debug, Clone, Copy)]
pub struct RedisUrl;

impl TypedValueParser for RedisUrl {
    type Value = RedisTarget;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<RedisTarget, clap::Error> {
        let text = utf8(cmd, arg, value)?;
        RedisTarget::parse(text).map_err(|e| invalid(cmd, arg, &e.to_string()))
    }
}

fn utf8<'a>(
    cmd: &clap::Command,
    arg: Option<&clap::Arg>,
    value: &'a OsStr,
) -> Result<&'a str, clap::Error> {
    value
        .to_str()
        .ok_or_else(|| invalid(cmd, arg, "is not valid UTF-8"))
}

/// An error that names the variable and the problem, and not the value.
fn invalid(cmd: &clap::Command, arg: Option<&clap::Arg>, problem: &str) -> clap::Error {
    let name = arg
        .and_then(|a| a.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .or_else(|| arg.map(|a| a.get_id().to_string()))
        .unwrap_or_else(|| "a setting".to_owned());
    clap::Error::raw(ErrorKind::ValueValidation, format!("{name}: {problem}\n")).with_cmd(cmd)
}
