//! Rate limits and abuse bans through the API, with the test's clock. Clients are told
//! apart by `X-Forwarded-For` from a trusted proxy (127.0.0.1), as behind a load balancer.

use reqwest::Response;
use serde_json::json;
use vanish_core::clock::Clock;
use vanish_server::Config;

use crate::common::{IV, TestApp, expect_error, spawn_app, test_config};

const WINDOW_MS: u64 = 60_000;
const BAN_MS: u64 = 600_000;

fn limited_config() -> Config {
    let mut config = test_config();
    config.rate.create_per_window = 3;
    config.rate.read_per_window = 5;
    config.rate.window = std::time::Duration::from_millis(WINDOW_MS);
    config.rate.ban_duration = std::time::Duration::from_millis(BAN_MS);
    config.clients.trusted_proxies =
        vanish_server::config::Proxies::parse("127.0.0.1/32").expect("a CIDR");
    config
}

async fn create_as(app: &TestApp, client: &str) -> Response {
    app.http
        .post(app.url("/api/secrets"))
        .header("x-forwarded-for", client)
        .json(&json!({ "encrypted": "abcd", "iv": IV }))
        .send()
        .await
        .expect("request sent")
}

async fn get_as(app: &TestApp, client: &str, path: &str) -> Response {
    app.http
        .get(app.url(path))
        .header("x-forwarded-for", client)
        .send()
        .await
        .expect("request sent")
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn the_create_after_the_limit_is_429_with_headers_and_a_new_window_allows_again()
-> anyhow::Result<()> {
    let app = spawn_app(limited_config()).await;
    let window_end = (app.clock.now_ms() + WINDOW_MS).to_string();
    for remaining in ["2", "1", "0"] {
        let response = create_as(&app, "198.51.100.1").await;
        assert_eq!(response.status(), 201);
        assert_eq!(header(&response, "x-ratelimit-limit"), "3");
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
        assert_eq!(header(&response, "x-ratelimit-reset"), window_end);
        assert_eq!(header(&response, "ratelimit-policy"), "3;w=60");
        assert_eq!(
            header(&response, "ratelimit"),
            format!("limit=3, remaining={remaining}, reset=60")
        );
    }
    app.clock.advance(15_000);
    let limited = create_as(&app, "198.51.100.1").await;
    assert_eq!(header(&limited, "retry-after"), "45");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), "0");
    expect_error(limited, 429, "RATE_LIMITED").await;

    // Reads have their own budget.
    let read = get_as(&app, "198.51.100.1", "/api/secrets/UnknownButValid12/meta").await;
    assert_eq!(
        (read.status().as_u16(), header(&read, "x-ratelimit-limit")),
        (404, "5")
    );

    app.clock.advance(WINDOW_MS);
    assert_eq!(
        create_as(&app, "198.51.100.1").await.status(),
        201,
        "a new window allows again"
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn hammering_at_five_times_the_limit_bans_only_that_client_until_the_ban_ends()
-> anyhow::Result<()> {
    let app = spawn_app(limited_config()).await;
    let mut statuses = Vec::new();
    for _ in 0..14 {
        statuses.push(create_as(&app, "203.0.113.66").await.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[201, 201, 201]);
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    // Denials were answered from the decision cache; once it lapses, the next attempt
    // reaches the store carrying all of them: the 15th attempt (limit 3 × 5) bans.
    app.clock.advance(1_001);
    expect_error(create_as(&app, "203.0.113.66").await, 403, "BANNED").await;

    let banned = get_as(&app, "203.0.113.66", "/").await;
    assert_eq!(
        header(&banned, "retry-after"),
        (BAN_MS / 1000).to_string(),
        "the whole ban is ahead"
    );
    expect_error(banned, 403, "BANNED").await;
    expect_error(
        get_as(&app, "203.0.113.66", "/api/secrets/UnknownButValid12/meta").await,
        403,
        "BANNED",
    )
    .await;
    assert_eq!(
        get_as(&app, "203.0.113.66", "/api/health").await.status(),
        200,
        "health is never banned"
    );
    assert_eq!(
        create_as(&app, "203.0.113.77").await.status(),
        201,
        "another client is unaffected"
    );

    app.clock.advance(BAN_MS);
    assert_eq!(
        create_as(&app, "203.0.113.66").await.status(),
        201,
        "the ban ends after its duration"
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn without_trusted_proxies_a_forged_forwarded_for_changes_nothing() -> anyhow::Result<()> {
    let mut config = limited_config();
    config.clients.trusted_proxies = vanish_server::config::Proxies::default();
    let app = spawn_app(config).await;
    for n in 0..3 {
        assert_eq!(create_as(&app, &format!("192.0.2.{n}")).await.status(), 201);
    }
    let forged = app
        .http
        .post(app.url("/api/secrets"))
        .header("x-forwarded-for", "192.0.2.99")
        .header("cf-connecting-ip", "192.0.2.98")
        .json(&json!({ "encrypted": "abcd", "iv": IV }))
        .send()
        .await?;
    expect_error(forged, 429, "RATE_LIMITED").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_told_apart() -> anyhow::Result<()> {
    let app = spawn_app(limited_config()).await;
    for _ in 0..3 {
        assert_eq!(create_as(&app, "192.0.2.1").await.status(), 201);
    }
    assert_eq!(create_as(&app, "192.0.2.1").await.status(), 429);
    assert_eq!(create_as(&app, "192.0.2.2").await.status(), 201);
    // The right-most untrusted hop counts: a client cannot prepend its way out.
    assert_eq!(create_as(&app, "10.9.9.9, 192.0.2.1").await.status(), 429);
    // IPv6 clients share their /64.
    for _ in 0..3 {
        create_as(&app, "2001:db8:1:2::1").await;
    }
    assert_eq!(create_as(&app, "2001:db8:1:2::ffff").await.status(), 429);
    app.shutdown().await;
    Ok(())
}

/// A read of a missing secret's metadata as the proxy forwards it: `forwarded` is what the
/// proxy appended to X-Forwarded-For, `extra` headers the client sent and the proxy passed.
async fn read_through_proxy(app: &TestApp, forwarded: &[u8], extra: &[(&str, &str)]) -> Response {
    let mut request = app
        .http
        .get(app.url("/api/secrets/AAAAAAAAAAAAAAAAAAAAAA/meta"))
        .header(
            "x-forwarded-for",
            reqwest::header::HeaderValue::from_bytes(forwarded).expect("header bytes"),
        );
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request sent")
}

#[tokio::test]
async fn behind_a_generic_proxy_a_clients_own_cf_connecting_ip_picks_no_identity()
-> anyhow::Result<()> {
    let app = spawn_app(limited_config()).await;
    // One real client, a fresh CF-Connecting-IP on every read: still one budget of 5.
    for n in 0..5 {
        let forged = format!("10.9.9.{n}");
        let response =
            read_through_proxy(&app, b"198.51.100.5", &[("cf-connecting-ip", &forged)]).await;
        assert_eq!(response.status(), 404, "read {n} is within the budget");
    }
    let over = read_through_proxy(&app, b"198.51.100.5", &[("cf-connecting-ip", "10.9.9.99")]);
    expect_error(over.await, 429, "RATE_LIMITED").await;
    // Another client naming 203.0.113.7 as CF-Connecting-IP, far past the ban threshold,
    // gets itself banned, never 203.0.113.7.
    for _ in 0..30 {
        read_through_proxy(
            &app,
            b"198.51.100.6",
            &[("cf-connecting-ip", "203.0.113.7")],
        )
        .await;
    }
    let victim = read_through_proxy(&app, b"203.0.113.7", &[]).await;
    assert_eq!(victim.status(), 404, "the named address is not banned");
    let attacker = read_through_proxy(&app, b"198.51.100.6", &[]).await;
    expect_error(attacker, 403, "BANNED").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_non_ascii_byte_in_forwarded_for_does_not_hide_the_client() -> anyhow::Result<()> {
    let app = spawn_app(limited_config()).await;
    for _ in 0..5 {
        let response = read_through_proxy(&app, b"\x80, 198.51.100.66", &[]).await;
        assert_eq!(response.status(), 404);
    }
    let over = read_through_proxy(&app, b"\x80\xff, 198.51.100.66", &[]).await;
    expect_error(over, 429, "RATE_LIMITED").await;
    // The proxy's own budget is untouched: the garbage was not counted as the proxy.
    let other = read_through_proxy(&app, b"198.51.100.67", &[]).await;
    assert_eq!(other.status(), 404);
    app.shutdown().await;
    Ok(())
}
