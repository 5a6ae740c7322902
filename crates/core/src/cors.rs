//! Cross-origin requests, as the original service answered them: a request without
//! `Origin` is served (CLIs, scripts); the service's own origin or one on the allow-list
//! is echoed back; any other origin on `/api/*` is refused (403 `CORS_FORBIDDEN`),
//! preflight included. Origins are compared normalised (scheme and host in lower case,
//! default ports dropped), so `https://Secrets.Example.com:443` is
//! `https://secrets.example.com`.
//!
//! Pure decisions only; the server and the Worker each turn a [`Verdict`] into headers.

use std::fmt;
use std::str::FromStr;

use crate::routes;

/// `Access-Control-Allow-Methods` of a granted preflight.
pub const ALLOW_METHODS: &str = routes::ALLOWED_METHODS;
/// `Access-Control-Allow-Headers` of a granted preflight.
pub const ALLOW_HEADERS: &str = "Content-Type, X-Request-ID, Authorization";
/// `Access-Control-Max-Age` of a granted preflight, in seconds.
pub const PREFLIGHT_MAX_AGE_S: &str = "86400";

/// A web origin, `scheme://host[:port]`, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    /// The port if given and not the scheme's default.
    port: Option<u16>,
}

/// Why a text is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an origin (scheme://host[:port])")]
pub struct OriginError(pub String);

impl Origin {
    /// Parses `scheme://host[:port]`, allowing one trailing `/` (what people paste) and
    /// surrounding whitespace; a path, query, user info or fragment is an error.
    pub fn parse(text: &str) -> Result<Self, OriginError> {
        let bad = || OriginError(text.to_owned());
        let trimmed = text.trim();
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        let (scheme, authority) = trimmed.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok || authority.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        let (host, port) = split_host_port(authority).ok_or_else(bad)?;
        Ok(Self {
            port: port.filter(|p| Some(*p) != default_port(&scheme)),
            host,
            scheme,
        })
    }

    /// The origin a base URL (`PUBLIC_URL`, which may carry a path) belongs to.
    pub fn of_url(url: &str) -> Result<Self, OriginError> {
        let (scheme, rest) = url
            .trim()
            .split_once("://")
            .ok_or_else(|| OriginError(url.to_owned()))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        Self::parse(&format!("{scheme}://{authority}"))
    }

    /// Whether a `Host` header names this origin's host and port.
    fn is_host(&self, host_header: &str) -> bool {
        match split_host_port(host_header.trim()) {
            Some((host, port)) => {
                let port = port.filter(|p| Some(*p) != default_port(&self.scheme));
                host == self.host && port == self.port
            }
            None => false,
        }
    }
}

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, OriginError> {
        Self::parse(text)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `host[:port]` with the host in lower case; IPv6 literals keep their brackets.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{inside}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':'));
    if !host_ok {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// The service's own origin (`PUBLIC_URL`); when unset, the request's `Host` decides.
    own: Option<Origin>,
    /// `ALLOWED_ORIGINS`.
    allowed: Vec<Origin>,
}

/// The parts of a request CORS looks at.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The raw path, to tell the API from pages.
    pub path: &'a str,
    pub method: &'a str,
    /// The `Origin` header, if present (`None` also when it is not valid text).
    pub origin: Option<&'a str>,
    /// The `Host` header, if present.
    pub host: Option<&'a str>,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 403 `CORS_FORBIDDEN`.
    Refuse,
    /// Answer the preflight with 204 and `Allow`; with the CORS grant headers when
    /// `granted` (the origin is echoed back).
    Preflight { granted: bool },
    /// Serve the request; echo the origin back in `Access-Control-Allow-Origin` when
    /// `echo_origin`.
    Serve { echo_origin: bool },
}

impl Policy {
    pub fn new(own: Option<Origin>, allowed: Vec<Origin>) -> Self {
        Self { own, allowed }
    }

    /// Whether a browser at `origin` may read the answers.
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let Ok(origin) = Origin::parse(origin) else {
            return false;
        };
        if self.allowed.contains(&origin) {
            return true;
        }
        match &self.own {
            Some(own) => *own == origin,
            // Same origin by the Host header, any scheme: behind a TLS-terminating proxy
            // the server cannot tell the scheme the browser used.
            None => host.is_some_and(|h| origin.is_host(h)),
        }
    }

    /// The verdict on one request.
    pub fn judge(&self, req: Request<'_>) -> Verdict {
        let is_api = routes::is_api_path(req.path);
        let granted = req.origin.map(|o| self.allows(o, req.host));
        if is_api && granted == Some(false) {
            return Verdict::Refuse;
        }
        if is_api && req.method == "OPTIONS" {
            return Verdict::Preflight {
                granted: granted == Some(true),
            };
        }
        Verdict::Serve {
            echo_origin: granted == Some(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        Origin::parse(text).expect("origin")
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin("https://Secrets.Example.com:443").to_string(),
            "https://secrets.example.com"
        );
        assert_eq!(
            origin(" HTTP://a.example:80/ ").to_string(),
            "http://a.example"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").to_string(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("http://[::1]:8080").to_string(), "http://[::1]:8080");
        assert_eq!(
            Origin::of_url("https://V.example/base/?x").map(|o| o.to_string()),
            Ok("https://v.example".to_owned())
        );
        for bad in [
            "null",
            "a.example",
            "https://a.example/path",
            "https://u@a.example",
            "https://a.example:99999",
            "https://",
            "https://a b",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn own_origin_matches_whatever_its_spelling() {
        let policy = Policy::new(Some(origin("https://Secrets.Example.com")), vec![]);
        assert!(policy.allows("https://secrets.example.com", None));
        assert!(policy.allows("https://secrets.example.com:443", None));
        assert!(!policy.allows("http://secrets.example.com", None));
        assert!(!policy.allows("https://evil.example", None));
    }

    #[test]
    fn without_a_public_url_the_host_header_decides() {
        let policy = Policy::default();
        assert!(policy.allows("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(policy.allows("https://v.example", Some("V.example:443")));
        assert!(!policy.allows("https://v.example", Some("v.example:8443")));
        assert!(!policy.allows("https://v.example", None));
    }

    #[test]
    fn verdicts_follow_the_original_service() {
        let policy = Policy::new(None, vec![origin("https://partner.example")]);
        let req = |method, origin| Request {
            path: "/api/secrets",
            method,
            origin,
            host: Some("v.example"),
        };
        assert_eq!(
            policy.judge(req("POST", None)),
            Verdict::Serve { echo_origin: false }
        );
        assert_eq!(
            policy.judge(req("POST", Some("https://partner.example"))),
            Verdict::Serve { echo_origin: true }
        );
        assert_eq!(
            policy.judge(req("POST", Some("https://evil.example"))),
            Verdict::Refuse
        );
        assert_eq!(
            policy.judge(req("OPTIONS", Some("https://evil.example"))),
            Verdict::Refuse
        );
        assert_eq!(
            policy.judge(req("OPTIONS", Some("https://partner.example"))),
            Verdict::Preflight { granted: true }
        );
        assert_eq!(
            policy.judge(req("OPTIONS", None)),
            Verdict::Preflight { granted: false }
        );
        let page = Request {
            path: "/",
            ..req("GET", Some("https://evil.example"))
        };
        assert_eq!(policy.judge(page), Verdict::Serve { echo_origin: false });
    }
}
