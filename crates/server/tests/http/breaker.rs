//! The circuit breaker through the API (docs/architecture.md, "Resilience"): a store that fails or hangs drives
//! CLOSED → OPEN → HALF_OPEN → CLOSED exactly per the thresholds; while open, answers are
//! 503 `STORE_UNAVAILABLE` at once; never a 500.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use vanish_server::app::open_store;

use crate::common::{IV, TestApp, expect_error, spawn_app_with, test_config};
use crate::faulty_store::{FaultyStore, Mode};

const OP_TIMEOUT_MS: u64 = 300;
const RESET_MS: u64 = 60_000;

async fn app_with_faulty_store() -> (TestApp, Arc<FaultyStore>) {
    let mut config = test_config();
    config.resilience.operation_timeout = std::time::Duration::from_millis(OP_TIMEOUT_MS);
    config.resilience.reset_timeout = std::time::Duration::from_millis(RESET_MS);
    let mut faulty = None;
    let app = spawn_app_with(config, |config| {
        let store = Arc::new(FaultyStore::new(open_store(config).expect("store")));
        faulty = Some(Arc::clone(&store));
        store
    })
    .await;
    (app, faulty.expect("store made"))
}

fn breaker_state(app: &TestApp) -> String {
    app.breaker_state("secrets")
}

async fn create(app: &TestApp) -> reqwest::Response {
    app.create(&json!({ "encrypted": "abcd", "iv": IV })).await
}

#[tokio::test]
async fn failures_open_the_circuit_and_successes_close_it_again() -> anyhow::Result<()> {
    let (app, store) = app_with_faulty_store().await;
    store.set_mode(Mode::Failing);
    for n in 1..=5 {
        let response = create(&app).await;
        assert!(response.headers().contains_key("retry-after"));
        expect_error(response, 503, "STORE_UNAVAILABLE").await;
        let expected = if n < 5 { "closed" } else { "open" };
        assert_eq!(breaker_state(&app), expected, "after failure {n}");
    }

    // Open: refused without touching the store, at once, even though it has recovered.
    store.set_mode(Mode::Healthy);
    let calls_before = store.calls.load(Ordering::SeqCst);
    let started = Instant::now();
    let refused = create(&app).await;
    assert!(started.elapsed() < Duration::from_millis(OP_TIMEOUT_MS / 3));
    assert_eq!(
        refused.headers()["retry-after"],
        (RESET_MS / 1000).to_string()
    );
    expect_error(refused, 503, "STORE_UNAVAILABLE").await;
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        calls_before,
        "an open circuit calls nothing"
    );
    let readiness = app.readiness().await;
    assert_eq!(
        (
            readiness["ready"].as_bool(),
            readiness["breakers"]["secrets"].as_str()
        ),
        (Some(false), Some("open"))
    );

    // After the reset timeout: half-open; two successes close it.
    app.clock.advance(RESET_MS);
    assert_eq!(create(&app).await.status(), 201);
    assert_eq!(breaker_state(&app), "half_open");
    assert_eq!(create(&app).await.status(), 201);
    assert_eq!(breaker_state(&app), "closed");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_failed_probe_reopens_the_circuit() -> anyhow::Result<()> {
    let (app, store) = app_with_faulty_store().await;
    store.set_mode(Mode::Failing);
    for _ in 0..5 {
        create(&app).await;
    }
    app.clock.advance(RESET_MS);
    expect_error(create(&app).await, 503, "STORE_UNAVAILABLE").await;
    assert_eq!(breaker_state(&app), "open");
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_hanging_store_times_out_then_answers_fast_while_open() -> anyhow::Result<()> {
    let (app, store) = app_with_faulty_store().await;
    let created = app.create_ok(json!({})).await;
    store.set_mode(Mode::Hanging);
    for _ in 0..5 {
        let started = Instant::now();
        expect_error(app.reveal_get(&created.id).await, 503, "STORE_UNAVAILABLE").await;
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(OP_TIMEOUT_MS)
                && took < Duration::from_millis(OP_TIMEOUT_MS * 5)
        );
    }
    for path in [
        "/api/secrets",
        "/api/secrets/{id}/meta",
        "/api/secrets/{id}",
    ] {
        let started = Instant::now();
        let response = if path == "/api/secrets" {
            create(&app).await
        } else {
            app.request(reqwest::Method::GET, &path.replace("{id}", &created.id))
                .await
        };
        assert!(
            started.elapsed() < Duration::from_millis(OP_TIMEOUT_MS / 3),
            "{path} answered fast"
        );
        expect_error(response, 503, "STORE_UNAVAILABLE").await;
    }
    app.shutdown().await;
    Ok(())
}
