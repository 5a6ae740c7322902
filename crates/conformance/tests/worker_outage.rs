//! Store trouble on the Worker: with both kinds of Durable Object unreachable (their
//! bindings point at a Worker that is not running, so every call fails at once), secret
//! operations answer `503 STORE_UNAVAILABLE` with `Retry-After` and never a 500; after
//! `CIRCUIT_BREAKER_FAILURE_THRESHOLD` failures the isolate's circuit opens, answers are
//! refused at once and `/readyz` is 503; rate limits fail open to the isolate's own counts,
//! so a client over its budget is still limited. Without the Worker's tools it says
//! SKIPPED (and fails under `VANISH_REQUIRE_ALL=1`).

mod support;

use std::time::Instant;

use anyhow::ensure;
use serde_json::{Value, json};
use support::worker::{Objects, WranglerDev, build, config, tools_ready};
use vanish_conformance::client::{CIPHERTEXT, Client, IV};
use vanish_conformance::profile::{self, SETTINGS};
use vanish_conformance::{Target, ensure_eq};

#[test]
fn unreachable_objects_give_fast_503s_an_open_circuit_and_limits_that_still_hold()
-> anyhow::Result<()> {
    if !tools_ready("Worker outage test") {
        return Ok(());
    }
    build()?;
    let dir = tempfile::tempdir()?;
    let config = config(dir.path(), Objects::Unreachable)?;
    let dev = WranglerDev::start(
        &config,
        &dir.path().join("state"),
        SETTINGS,
        &dir.path().join("wrangler.log"),
    )?;
    let target = Target {
        base_url: dev.base_url.clone(),
        name: "worker".into(),
    };
    let create = |client: &Client| client.create(&json!({ "encrypted": CIPHERTEXT, "iv": IV }));

    // Closed circuit: each call fails at the object and answers 503 with Retry-After.
    let failure_threshold = 5;
    for n in 0..failure_threshold {
        let reply = create(&Client::new(&target))?;
        ensure!(
            reply.header("retry-after").is_some(),
            "failure {n}: 503 without Retry-After"
        );
        reply.expect_error(503, "STORE_UNAVAILABLE")?;
    }
    // Open circuit: refused at once, for about the reset timeout.
    let started = Instant::now();
    let refused = Client::new(&target).meta("UnknownButValid12")?;
    ensure!(
        started.elapsed().as_millis() < 1_000,
        "an open circuit answered after {:?}",
        started.elapsed()
    );
    let retry_after: u64 = refused.header("retry-after").unwrap_or("0").parse()?;
    ensure!(
        (50..=60).contains(&retry_after),
        "Retry-After {retry_after} is not the circuit's reset time"
    );
    refused.expect_error(503, "STORE_UNAVAILABLE")?;
    let ready = Client::new(&target).get("/readyz")?.expect(503)?;
    let body: Value = ready.json()?;
    ensure_eq!(body["ready"], false);
    ensure_eq!(body["breakers"]["secrets"], "open");

    // Limits fail open to the isolate's counts: the budget still holds.
    let client = Client::new(&target);
    for _ in 0..profile::CREATE_PER_WINDOW {
        create(&client)?.expect_error(503, "STORE_UNAVAILABLE")?;
    }
    create(&client)?.expect_error(429, "RATE_LIMITED")?;
    Client::new(&target).get("/api/health")?.expect(200)?;
    dev.kill();
    Ok(())
}
