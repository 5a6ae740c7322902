//! `REDIS_URL`: which Redis vanish talks to. Parsed once, here, into a [`RedisTarget`];
//! nothing else reads the raw string. The accepted forms:
//!
//! - `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS), `redis+unix:///path`: one
//!   server (or a managed endpoint that behaves like one, e.g. behind Sentinel-aware DNS);
//! - `redis+cluster://[user:pass@]host:port,host:port,…` (`rediss+cluster://` for TLS): a
//!   Redis Cluster, given by any of its nodes;
//! - `redis://host:port,redis://host:port,…`: the same cluster as a list of node URLs;
//! - `redis+sentinel://[user:pass@]host:port,host:port,…/name[/db]`: the primary that the
//!   given Sentinels monitor under `name` (credentials and db are the primary's; the
//!   Sentinels themselves are reached without auth or TLS).
//!
//! Error messages never repeat the URL, since it may carry a password, and logs show it
//! only through [`RedisTarget`]'s `Display`, which drops every credential ([`redacted`]).

use std::fmt;

/// Where the shared store lives.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server: a URL the `redis` crate accepts.
    Single(String),
    /// Seed nodes of a Redis Cluster, each a `redis://` or `rediss://` URL; the client
    /// discovers the rest of the cluster from them.
    Cluster(Vec<String>),
    /// The primary that Sentinels monitor.
    Sentinel {
        /// `redis://host:port` of each Sentinel.
        sentinels: Vec<String>,
        /// The name the Sentinels know the primary by.
        service: String,
        /// `redis://[userinfo@]primary/db`: the primary's credentials and database (the
        /// host is a placeholder; the Sentinels say where the primary is).
        primary: String,
    },
}

/// Why a `REDIS_URL` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedisUrlError {
    #[error("is empty")]
    Empty,
    #[error(
        "scheme {0:?} is not one of redis, rediss, redis+unix, unix, redis+cluster, \
         rediss+cluster, redis+sentinel"
    )]
    UnknownScheme(String),
    #[error("cluster node {0} is not host:port")]
    BadNode(usize),
    #[error("cluster nodes must all use the same scheme (all redis:// or all rediss://)")]
    MixedSchemes,
    #[error("a cluster has only database 0")]
    ClusterDatabase,
    #[error("a Sentinel URL needs the primary's name: redis+sentinel://host:port,…/name[/db]")]
    SentinelService,
    #[error("is not a valid Redis URL")]
    Invalid,
}

const SINGLE_SCHEMES: [&str; 4] = ["redis", "rediss", "redis+unix", "unix"];

impl RedisTarget {
    /// Parses a `REDIS_URL` value.
    pub fn parse(raw: &str) -> Result<Self, RedisUrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(RedisUrlError::Empty);
        }
        let (scheme, rest) = raw.split_once("://").ok_or(RedisUrlError::Invalid)?;
        let target = match scheme {
            "redis+cluster" => Self::Cluster(cluster_nodes("redis", rest)?),
            "rediss+cluster" => Self::Cluster(cluster_nodes("rediss", rest)?),
            "redis+sentinel" => sentinel(rest)?,
            _ if raw.contains(',') => Self::Cluster(node_list(raw)?),
            s if SINGLE_SCHEMES.contains(&s) => Self::Single(raw.to_owned()),
            other if is_scheme(other) => {
                return Err(RedisUrlError::UnknownScheme(other.to_owned()));
            }
            // Not even a scheme: perhaps credentials without `//`; never repeat it.
            _ => return Err(RedisUrlError::Invalid),
        };
        target.check_with_client()?;
        Ok(target)
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// Every URL in the target: the server, the cluster's nodes, or the Sentinels and the
    /// primary's settings.
    fn urls(&self) -> Vec<&String> {
        match self {
            Self::Single(url) => vec![url],
            Self::Cluster(nodes) => nodes.iter().collect(),
            Self::Sentinel {
                sentinels, primary, ..
            } => sentinels.iter().chain([primary]).collect(),
        }
    }

    /// Lets the `redis` crate check every URL too (ports, unix paths, db numbers).
    fn check_with_client(&self) -> Result<(), RedisUrlError> {
        use redis::IntoConnectionInfo;
        for url in self.urls() {
            let info = url
                .as_str()
                .into_connection_info()
                .map_err(|_| RedisUrlError::Invalid)?;
            if self.is_cluster() && info.redis_settings().db() != 0 {
                return Err(RedisUrlError::ClusterDatabase);
            }
        }
        Ok(())
    }
}

/// A URL scheme as RFC 3986 spells it: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// `[userinfo@]h1:p1,h2:p2[/0]` → one URL per node, each with the shared userinfo.
fn cluster_nodes(scheme: &str, rest: &str) -> Result<Vec<String>, RedisUrlError> {
    let (userinfo, hosts) = match rest.rsplit_once('@') {
        Some((user, hosts)) => (format!("{user}@"), hosts),
        None => (String::new(), rest),
    };
    let hosts = match hosts.split_once('/') {
        None => hosts,
        Some((hosts, "" | "0")) => hosts,
        Some(_) => return Err(RedisUrlError::ClusterDatabase),
    };
    hosts
        .split(',')
        .enumerate()
        .map(|(i, host)| {
            let host = host.trim();
            let valid = host
                .rsplit_once(':')
                .is_some_and(|(h, port)| !h.is_empty() && port.parse::<u16>().is_ok());
            if valid {
                Ok(format!("{scheme}://{userinfo}{host}"))
            } else {
                Err(RedisUrlError::BadNode(i + 1))
            }
        })
        .collect()
}

/// `[userinfo@]h1:p1,h2:p2/name[/db]` → the Sentinels' URLs, the name, and the primary's
/// settings.
fn sentinel(rest: &str) -> Result<RedisTarget, RedisUrlError> {
    let (userinfo, location) = match rest.rsplit_once('@') {
        Some((user, location)) => (format!("{user}@"), location),
        None => (String::new(), rest),
    };
    let (hosts, path) = location
        .split_once('/')
        .ok_or(RedisUrlError::SentinelService)?;
    let (service, db) = path.split_once('/').unwrap_or((path, "0"));
    let valid_name = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if service.is_empty() || !service.chars().all(valid_name) {
        return Err(RedisUrlError::SentinelService);
    }
    let db: u32 = db.parse().map_err(|_| RedisUrlError::Invalid)?;
    Ok(RedisTarget::Sentinel {
        sentinels: cluster_nodes("redis", hosts)?,
        service: service.to_owned(),
        primary: format!("redis://{userinfo}primary/{db}"),
    })
}

/// `redis://a:1,redis://b:2` → the node URLs, all with one scheme.
fn node_list(raw: &str) -> Result<Vec<String>, RedisUrlError> {
    let nodes: Vec<String> = raw.split(',').map(|n| n.trim().to_owned()).collect();
    let scheme_of = |n: &str| n.split_once("://").map(|(s, _)| s.to_owned());
    let first = scheme_of(&nodes[0]).ok_or(RedisUrlError::Invalid)?;
    if first != "redis" && first != "rediss" {
        return Err(if is_scheme(&first) {
            RedisUrlError::UnknownScheme(first)
        } else {
            RedisUrlError::Invalid
        });
    }
    for (i, node) in nodes.iter().enumerate() {
        match scheme_of(node) {
            Some(s) if s == first => {}
            Some(s) if s == "redis" || s == "rediss" => return Err(RedisUrlError::MixedSchemes),
            _ => return Err(RedisUrlError::BadNode(i + 1)),
        }
    }
    Ok(nodes)
}

/// Without credentials, for logs and errors: `redis://host:6379/0`, `cluster via
/// redis://a:1,…`, `primary "name" via Sentinel redis://s:26379`; see [`redacted`].
impl fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |urls: &[String]| urls.iter().map(|u| redacted(u)).collect::<Vec<_>>();
        match self {
            Self::Single(url) => f.write_str(&redacted(url)),
            Self::Cluster(nodes) => write!(f, "cluster via {}", list(nodes).join(",")),
            Self::Sentinel {
                sentinels, service, ..
            } => write!(
                f,
                "primary {service:?} via Sentinel {}",
                list(sentinels).join(",")
            ),
        }
    }
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisTarget({self})")
    }
}

/// Query parameters whose values are shown; every other value (`pass`, `password`,
/// `user`, anything unknown, in any case) is `***`.
const SHOWN_PARAMETERS: [&str; 2] = ["db", "protocol"];

/// `url` with every credential removed, read as URL parsers read it: the authority ends at
/// the first `/`, `?` or `#`, and its user info runs to the authority's **last** `@` (a
/// password may contain `@`). User info is dropped, query values other than
/// [`SHOWN_PARAMETERS`] become `***`, and a fragment other than `#insecure` is dropped. A
/// path still holding an `@` (a password with a raw `/` spilled into it) is not shown.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(unreadable URL)".to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (tail, fragment) = tail.split_once('#').unwrap_or((tail, ""));
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut shown = format!("{scheme}://{host}");
    shown.push_str(if path.contains('@') { "/…" } else { path });
    if !query.is_empty() {
        let pairs: Vec<String> = query.split('&').map(redacted_parameter).collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    if fragment == "insecure" {
        shown.push_str("#insecure");
    }
    shown
}

fn redacted_parameter(pair: &str) -> String {
    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
    if key.contains('@') {
        "***".to_owned()
    } else if SHOWN_PARAMETERS.iter().any(|k| k.eq_ignore_ascii_case(key)) && !value.contains('@') {
        pair.to_owned()
    } else {
        format!("{key}=***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(nodes: &[&str]) -> RedisTarget {
        RedisTarget::Cluster(nodes.iter().map(|n| (*n).to_owned()).collect())
    }

    #[test]
    fn one_server_urls_pass_through() {
        for url in [
            "redis://127.0.0.1:6379",
            "redis://cache.internal:6380/2",
            "rediss://user:secret@redis.example:6380",
            "redis+unix:///run/redis.sock",
        ] {
            assert_eq!(RedisTarget::parse(url), Ok(RedisTarget::Single(url.into())));
        }
        assert_eq!(
            RedisTarget::parse("  redis://h:1 \n"),
            Ok(RedisTarget::Single("redis://h:1".into()))
        );
    }

    #[test]
    fn a_cluster_url_becomes_one_url_per_node_with_shared_credentials() {
        assert_eq!(
            RedisTarget::parse("redis+cluster://10.0.0.1:7000,10.0.0.2:7001"),
            Ok(cluster(&["redis://10.0.0.1:7000", "redis://10.0.0.2:7001"]))
        );
        assert_eq!(
            RedisTarget::parse("rediss+cluster://:pw@a:7000, b:7001/0"),
            Ok(cluster(&["rediss://:pw@a:7000", "rediss://:pw@b:7001"]))
        );
    }

    #[test]
    fn a_comma_separated_list_of_urls_is_a_cluster() {
        assert_eq!(
            RedisTarget::parse("redis://a:7000,redis://b:7001"),
            Ok(cluster(&["redis://a:7000", "redis://b:7001"]))
        );
    }

    #[test]
    fn a_sentinel_url_names_the_sentinels_the_primary_and_its_settings() {
        assert_eq!(
            RedisTarget::parse("redis+sentinel://:pw@s1:26379,s2:26380/mymaster/2"),
            Ok(RedisTarget::Sentinel {
                sentinels: vec!["redis://s1:26379".into(), "redis://s2:26380".into()],
                service: "mymaster".into(),
                primary: "redis://:pw@primary/2".into(),
            })
        );
        let target = RedisTarget::parse("redis+sentinel://s1:26379/vanish").expect("valid");
        assert_eq!(
            target.to_string(),
            "primary \"vanish\" via Sentinel redis://s1:26379"
        );
        let err = |raw| RedisTarget::parse(raw).err();
        assert_eq!(
            err("redis+sentinel://s1:26379"),
            Some(RedisUrlError::SentinelService)
        );
        assert_eq!(
            err("redis+sentinel://s1:26379/"),
            Some(RedisUrlError::SentinelService)
        );
        assert_eq!(
            err("redis+sentinel://s1:26379/a/b"),
            Some(RedisUrlError::Invalid)
        );
        assert_eq!(
            err("redis+sentinel://s1/name"),
            Some(RedisUrlError::BadNode(1))
        );
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        let err = |raw| RedisTarget::parse(raw).err();
        assert_eq!(err(""), Some(RedisUrlError::Empty));
        assert_eq!(err("localhost:6379"), Some(RedisUrlError::Invalid));
        assert_eq!(
            err("http://h:1"),
            Some(RedisUrlError::UnknownScheme("http".into()))
        );
        assert_eq!(
            err("redis+cluster://a:7000,b"),
            Some(RedisUrlError::BadNode(2))
        );
        assert_eq!(
            err("redis+cluster://a:7000,:7001"),
            Some(RedisUrlError::BadNode(2))
        );
        assert_eq!(
            err("redis+cluster://a:7000/3"),
            Some(RedisUrlError::ClusterDatabase)
        );
        assert_eq!(
            err("redis://a:7000/1,redis://b:7001/1"),
            Some(RedisUrlError::ClusterDatabase)
        );
        assert_eq!(
            err("redis://a:7000,rediss://b:7001"),
            Some(RedisUrlError::MixedSchemes)
        );
        assert_eq!(
            err("redis://a:7000,b:7001"),
            Some(RedisUrlError::BadNode(2))
        );
        assert_eq!(err("redis://h:notaport"), Some(RedisUrlError::Invalid));
    }

    /// Every form `REDIS_URL` takes, with credentials where each form carries them, and
    /// how the logs must show it.
    const CREDENTIAL_FORMS: [(&str, &str); 15] = [
        ("redis://:p@ssw0rd@cache:6379", "redis://cache:6379"),
        (
            "redis://admin:p@ssw0rd@cache:6379/2",
            "redis://cache:6379/2",
        ),
        (
            "rediss://default:p@ssw0rd@cache:6380/1#insecure",
            "rediss://cache:6380/1#insecure",
        ),
        (
            "redis+unix:///run/redis/r.sock?pass=p@ssw0rd",
            "redis+unix:///run/redis/r.sock?pass=***",
        ),
        (
            "unix:///r.sock?db=1&PASS=p@ssw0rd&user=admin",
            "unix:///r.sock?db=1&PASS=***&user=***",
        ),
        (
            "redis://cache:6379/0?password=p@ssw0rd",
            "redis://cache:6379/0?password=***",
        ),
        (
            "redis://cache:6379?RequirePass=p@ssw0rd&protocol=resp3",
            "redis://cache:6379?RequirePass=***&protocol=resp3",
        ),
        ("redis://:p%40ssw0rd@cache", "redis://cache"),
        (
            "redis://cache:6379/0?db=p@ssw0rd#p@ssw0rd",
            "redis://cache:6379/0?db=***",
        ),
        (
            "redis+cluster://:p@ssw0rd@a:7000,b:7001",
            "cluster via redis://a:7000,redis://b:7001",
        ),
        (
            "rediss+cluster://admin:p@ssw0rd@a:7000,b:7001/0",
            "cluster via rediss://a:7000,rediss://b:7001",
        ),
        (
            "redis://:p@ssw0rd@a:7000,redis://:p@ssw0rd@b:7001",
            "cluster via redis://a:7000,redis://b:7001",
        ),
        (
            "redis://a:7000?pass=p@ssw0rd,redis://b:7001?pass=p@ssw0rd",
            "cluster via redis://a:7000?pass=***,redis://b:7001?pass=***",
        ),
        (
            "redis+sentinel://:p@ssw0rd@s1:26379,s2:26380/mymaster/2",
            "primary \"mymaster\" via Sentinel redis://s1:26379,redis://s2:26380",
        ),
        (
            "redis+sentinel://admin:p@ssw0rd@s1:26379/vanish",
            "primary \"vanish\" via Sentinel redis://s1:26379",
        ),
    ];

    /// The password, and the pieces a wrong split would leave in a log line.
    const PASSWORD_PIECES: [&str; 4] = ["p@ssw0rd", "ssw0rd", "p%40ssw0rd", "40ssw0rd"];

    #[test]
    fn every_url_form_is_shown_without_its_credentials() {
        for (raw, shown) in CREDENTIAL_FORMS {
            let target = RedisTarget::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(target.to_string(), shown, "Display of {raw}");
            let debug = format!("{target:?}");
            for piece in PASSWORD_PIECES {
                assert!(!debug.contains(piece), "Debug of {raw}: {debug}");
            }
        }
    }

    #[test]
    fn refusals_never_show_the_password() {
        for raw in [
            "redis://:p@ssw0rd@cache:notaport",
            "redis+cluster://:p@ssw0rd@a:7000,b",
            "redis+cluster://:p@ssw0rd@a:7000/3",
            "redis+sentinel://:p@ssw0rd@s1:26379",
            "redis://:p@ssw0rd@a:1,rediss://b:2",
            "redis:p@ssw0rd://cache",
            "p@ssw0rd://cache",
            "p@ssw0rd://a:1,redis://b:2",
        ] {
            let message = RedisTarget::parse(raw).expect_err(raw).to_string();
            for piece in PASSWORD_PIECES {
                assert!(!message.contains(piece), "{raw}: {message}");
            }
        }
    }

    #[test]
    fn errors_and_display_never_show_the_password() {
        let raw = "redis+cluster://user:hunter2@a:7000,b";
        let message = RedisTarget::parse(raw).expect_err("bad node").to_string();
        assert!(!message.contains("hunter2"), "{message}");
        let target = RedisTarget::parse("rediss://user:hunter2@h:6380/1").expect("valid");
        assert_eq!(target.to_string(), "rediss://h:6380/1");
        assert!(!format!("{target:?}").contains("hunter2"));
        let target = RedisTarget::parse("redis+cluster://:hunter2@a:1,b:2").expect("valid");
        assert_eq!(target.to_string(), "cluster via redis://a:1,redis://b:2");
    }
}
