//! The API's routes as data: their templates, the methods the service answers, which
//! routes spend which rate-limit budget, and which are exempt from bans and limits. The
//! native server and the Worker both route by these, so the two never disagree on what a
//! request costs (docs/api.md lists the routes; docs/architecture.md the request's path).

use crate::ratelimit::Action;

/// `POST` creates a secret.
pub const SECRETS: &str = "/api/secrets";
/// `GET` consumes one view; `HEAD` only tells existence.
pub const SECRET: &str = "/api/secrets/{id}";
/// `GET`/`HEAD`: metadata, never consumes.
pub const META: &str = "/api/secrets/{id}/meta";
/// `POST`: consumes one view, with an optional passphrase proof.
pub const REVEAL: &str = "/api/secrets/{id}/reveal";
/// `POST` with the manage token: destroys the secret early.
pub const BURN: &str = "/api/secrets/{id}/burn";
/// `POST` with the manage token: the sender's receipt.
pub const STATUS: &str = "/api/secrets/{id}/status";
/// `GET`: who may create here and the bounds of a secret (not limited, never consumes).
pub const CONFIG: &str = "/api/config";
/// The original service's health check.
pub const HEALTH: &str = "/api/health";
/// Liveness and readiness probes.
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
/// `GET`: the API's OpenAPI 3.1 document (docs/openapi.json).
pub const OPENAPI: &str = "/api/openapi.json";
/// `GET`: Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// `GET`: RFC 9116 contact file.
pub const SECURITY_TXT: &str = "/.well-known/security.txt";
/// `GET`: the web UI's create page; with `?id=`, the original's link form of the reveal page.
pub const HOME_PAGE: &str = "/";
/// `GET`: the web UI's reveal page, where share links point (`/s/{id}#key`).
pub const REVEAL_PAGE: &str = "/s/{id}";

/// Every method the service answers somewhere; others are 405 everywhere. A 405 lists the
/// methods of its own resource ([`allow`]).
pub const ALLOWED_METHODS: &str = "GET, POST, HEAD, OPTIONS";

/// The methods the resource at `route` (a matched template) answers, as its `Allow` header
/// lists them in a 405 and a CORS preflight. Every GET route answers HEAD too; API routes
/// answer OPTIONS (the CORS preflight). A path no route matches gets every method the
/// service answers anywhere.
pub fn allow(route: Option<&str>) -> &'static str {
    match route {
        Some(SECRETS | REVEAL | BURN | STATUS) => "POST, OPTIONS",
        Some(SECRET | META | CONFIG | HEALTH | OPENAPI) => "GET, HEAD, OPTIONS",
        Some(HEALTHZ | READYZ | METRICS | SECURITY_TXT | HOME_PAGE | REVEAL_PAGE) => "GET, HEAD",
        _ => ALLOWED_METHODS,
    }
}

/// Whether `method` is one the service answers at all.
pub fn is_allowed_method(method: &str) -> bool {
    matches!(method, "GET" | "POST" | "HEAD" | "OPTIONS")
}

/// Whether `path` (the raw request path) is under the JSON API, where errors are JSON and
/// responses are never cached.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Routes no ban or limit applies to, so probes and monitors always get through.
pub fn is_exempt_from_limits(route: &str) -> bool {
    matches!(route, HEALTH | HEALTHZ | READYZ)
}

/// Which budget a request spends, by its method and matched route template: creating
/// spends the create budget; everything on one secret (reveal, metadata, HEAD, status,
/// burn) the read budget; a CORS preflight and every other route spend nothing.
pub fn limited_action(method: &str, route: &str) -> Option<Action> {
    match (method, route) {
        ("POST", SECRETS) => Some(Action::Create),
        ("OPTIONS", _) => None,
        (_, SECRET | META | REVEAL | BURN | STATUS) => Some(Action::Read),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_reads_spend_their_own_budgets() {
        assert_eq!(limited_action("POST", SECRETS), Some(Action::Create));
        assert_eq!(limited_action("GET", SECRET), Some(Action::Read));
        assert_eq!(limited_action("HEAD", META), Some(Action::Read));
        assert_eq!(limited_action("POST", BURN), Some(Action::Read));
        assert_eq!(limited_action("POST", STATUS), Some(Action::Read));
        assert_eq!(limited_action("POST", REVEAL), Some(Action::Read));
        assert_eq!(limited_action("OPTIONS", SECRET), None);
        assert_eq!(limited_action("GET", SECRETS), None);
        assert_eq!(limited_action("GET", "/"), None);
        assert_eq!(limited_action("GET", HEALTH), None);
    }

    #[test]
    fn health_routes_are_exempt_and_api_paths_are_recognised() {
        assert!(is_exempt_from_limits(READYZ));
        assert!(!is_exempt_from_limits(SECRET));
        assert!(is_api_path("/api/secrets"));
        assert!(is_api_path("/api"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/s/abc"));
        assert!(is_allowed_method("HEAD"));
        assert!(!is_allowed_method("PUT"));
    }

    #[test]
    fn allow_lists_each_resources_own_methods() {
        assert_eq!(allow(Some(SECRETS)), "POST, OPTIONS");
        assert_eq!(allow(Some(META)), "GET, HEAD, OPTIONS");
        assert_eq!(allow(Some(HEALTHZ)), "GET, HEAD");
        assert_eq!(allow(Some("/not/a/route")), ALLOWED_METHODS);
        assert_eq!(allow(None), ALLOWED_METHODS);
    }
}
