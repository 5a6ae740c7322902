//! Headers every response carries and CORS exactly as the original service: no `Origin`
//! is served, the own or a listed origin echoed, any other refused on `/api/*` (preflight
//! included); security headers and a CSP everywhere; `/api` never cached; request ids kept
//! when sane.

use anyhow::ensure;
use vanish_core::headers::{API_CSP, PAGE_CSP, SECURITY_HEADERS};

use crate::client::Client;
use crate::{Check, Target, ensure_eq, profile};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "headers::requests_without_origin_are_served_and_foreign_origins_refused",
            run: requests_without_origin_are_served_and_foreign_origins_refused,
        },
        Check {
            name: "headers::every_response_carries_security_headers_and_api_is_never_cached",
            run: every_response_carries_security_headers_and_api_is_never_cached,
        },
        Check {
            name: "headers::a_valid_request_id_is_kept_and_a_bad_one_replaced",
            run: a_valid_request_id_is_kept_and_a_bad_one_replaced,
        },
    ]
}

fn requests_without_origin_are_served_and_foreign_origins_refused(
    target: &Target,
) -> anyhow::Result<()> {
    let client = Client::new(target);
    let health = "/api/health";
    let plain = client.get(health)?.expect(200)?;
    ensure!(plain.header("access-control-allow-origin").is_none());

    let origin = |o: &str| client.send("GET", health, &[("origin", o)], None);
    let listed = origin(profile::ALLOWED_ORIGIN)?.expect(200)?;
    ensure_eq!(
        listed.header("access-control-allow-origin"),
        Some(profile::ALLOWED_ORIGIN)
    );
    let own = client.base().to_owned();
    let same = origin(&own)?.expect(200)?;
    ensure_eq!(
        same.header("access-control-allow-origin"),
        Some(own.as_str())
    );
    origin("https://evil.example")?.expect_error(403, "CORS_FORBIDDEN")?;

    let preflight = |o: &str| {
        client.send(
            "OPTIONS",
            "/api/secrets",
            &[("origin", o), ("access-control-request-method", "POST")],
            None,
        )
    };
    preflight("https://evil.example")?.expect_error(403, "CORS_FORBIDDEN")?;
    let granted = preflight(profile::ALLOWED_ORIGIN)?.expect(204)?;
    ensure_eq!(
        granted.header("access-control-allow-origin"),
        Some(profile::ALLOWED_ORIGIN)
    );
    ensure!(
        granted
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST")),
        "preflight grants POST"
    );
    // Pages are not the API: a foreign origin may load them.
    client
        .send("GET", "/", &[("origin", "https://evil.example")], None)?
        .expect(200)?;
    Ok(())
}

fn every_response_carries_security_headers_and_api_is_never_cached(
    target: &Target,
) -> anyhow::Result<()> {
    let client = Client::new(target);
    for path in [
        "/api/health",
        "/api/secrets/unknownId12345",
        "/api/nope",
        "/healthz",
        "/",
        "/app.css",
        "/missing.png",
    ] {
        let reply = client.get(path)?;
        for (name, value) in SECURITY_HEADERS {
            ensure_eq!(reply.header(name), Some(*value), "{name} on {path}");
        }
        ensure!(
            reply.header("x-request-id").is_some(),
            "X-Request-ID on {path}"
        );
        ensure!(
            reply
                .header("x-response-time")
                .is_some_and(|t| t.ends_with("ms")),
            "X-Response-Time on {path}"
        );
        let csp = reply.header("content-security-policy");
        if path.starts_with("/api") {
            ensure_eq!(csp, Some(API_CSP), "CSP on {path}");
            ensure_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
            ensure_eq!(reply.header("pragma"), Some("no-cache"), "{path}");
        }
        if path == "/" {
            ensure_eq!(csp, Some(PAGE_CSP), "CSP on {path}");
        }
    }
    Ok(())
}

fn a_valid_request_id_is_kept_and_a_bad_one_replaced(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let kept = client.send("GET", "/api/health", &[("x-request-id", "abc-123")], None)?;
    ensure_eq!(kept.header("x-request-id"), Some("abc-123"));
    let replaced = client.send("GET", "/api/health", &[("x-request-id", "bad id!")], None)?;
    let fresh = replaced.header("x-request-id").unwrap_or_default();
    ensure_eq!(fresh.len(), 32, "fresh id {fresh:?}");
    ensure!(fresh.bytes().all(|b| b.is_ascii_hexdigit()), "{fresh:?}");
    Ok(())
}
