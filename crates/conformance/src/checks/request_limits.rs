//! Limits on a request's shape: the URL at its limit passes and one byte more is 414;
//! headers far over their limit are 431; a body over its limit is 413 whether declared or
//! streamed; methods outside the four are 405 with `Allow` naming the resource's own
//! methods, as is a known method on a resource that does not answer it. (Exact header-size boundaries
//! depend on the bytes each front end adds, so they are the native server's own test.)

use anyhow::ensure;

use crate::client::{Client, Framing};
use crate::{Check, Target, ensure_eq, profile};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "request_limits::a_url_at_the_limit_passes_and_one_byte_more_is_414",
            run: a_url_at_the_limit_passes_and_one_byte_more_is_414,
        },
        Check {
            name: "request_limits::headers_over_the_limit_are_431",
            run: headers_over_the_limit_are_431,
        },
        Check {
            name: "request_limits::a_declared_or_streamed_body_over_the_limit_is_413",
            run: a_declared_or_streamed_body_over_the_limit_is_413,
        },
        Check {
            name: "request_limits::a_method_a_resource_does_not_answer_is_405_with_its_allow",
            run: a_method_a_resource_does_not_answer_is_405_with_its_allow,
        },
    ]
}

fn a_url_at_the_limit_passes_and_one_byte_more_is_414(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let prefix = "/api/health?pad=";
    let at_limit = format!(
        "{prefix}{}",
        "a".repeat(profile::MAX_URL_LENGTH - prefix.len())
    );
    client.get(&at_limit)?.expect(200)?;
    client
        .get(&format!("{at_limit}a"))?
        .expect_error(414, "URI_TOO_LONG")?;
    Ok(())
}

fn headers_over_the_limit_are_431(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let half = "p".repeat(profile::MAX_HEADER_SIZE / 2);
    client
        .send("GET", "/api/health", &[("x-pad", &half)], None)?
        .expect(200)?;
    let over = "p".repeat(profile::MAX_HEADER_SIZE + 1);
    client
        .send("GET", "/api/health", &[("x-pad", &over)], None)?
        .expect_error(431, "HEADERS_TOO_LARGE")?;
    Ok(())
}

fn a_declared_or_streamed_body_over_the_limit_is_413(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let body = |len: usize| format!("{{\"encrypted\":\"{}\"}}", "a".repeat(len - 16));
    let json = [("content-type", "application/json")];
    let at_limit = body(profile::MAX_REQUEST_SIZE);
    client
        .send("POST", "/api/secrets", &json, Some(at_limit.as_bytes()))?
        .expect_error(400, "MISSING_FIELDS")?;
    let over = body(profile::MAX_REQUEST_SIZE + 1);
    let declared = client.send_raw("/api/secrets", over.as_bytes(), Framing::Declared)?;
    ensure_eq!(declared, 413, "status of a declared body over the limit");
    // Chunked, so no Content-Length: refused while reading.
    let streamed = client.send_raw("/api/secrets", over.as_bytes(), Framing::Chunked)?;
    ensure_eq!(streamed, 413, "status of a streamed body over the limit");
    Ok(())
}

fn a_method_a_resource_does_not_answer_is_405_with_its_allow(
    target: &Target,
) -> anyhow::Result<()> {
    let client = Client::new(target);
    let cases = [
        ("PUT", "/api/health", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/health", "GET, HEAD, OPTIONS"),
        ("PATCH", "/api/health", "GET, HEAD, OPTIONS"),
        ("GET", "/api/secrets", "POST, OPTIONS"),
        (
            "GET",
            "/api/secrets/ValidButUnknown123/burn",
            "POST, OPTIONS",
        ),
        (
            "POST",
            "/api/secrets/ValidButUnknown123/meta",
            "GET, HEAD, OPTIONS",
        ),
        ("POST", "/healthz", "GET, HEAD"),
        ("PUT", "/api/nothing-here", "GET, POST, HEAD, OPTIONS"),
    ];
    for (method, path, allow) in cases {
        let reply = client.send(method, path, &[], None)?;
        ensure!(
            reply.header("allow") == Some(allow),
            "{method} {path}: Allow is {:?}, not {allow:?}",
            reply.header("allow")
        );
        reply.expect_error(405, "METHOD_NOT_ALLOWED")?;
    }
    // A preflight names the resource's methods too.
    let preflight = client.send(
        "OPTIONS",
        "/api/secrets/ValidButUnknown123/status",
        &[],
        None,
    )?;
    ensure_eq!(preflight.status, 204, "status of a preflight");
    ensure!(
        preflight.header("allow") == Some("POST, OPTIONS"),
        "preflight Allow is {:?}",
        preflight.header("allow")
    );
    Ok(())
}
