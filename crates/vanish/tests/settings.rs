//! Settings as an operator gives them, through the environment of the real binary: values
//! are normalised where people spell them differently, and a bad one stops startup with a
//! message naming its variable.

mod support;

use std::process::{Command, Stdio};

use support::{ServerProcess, free_port};

async fn origin_answer(base: &str, origin: &str) -> (u16, Option<String>) {
    let response = reqwest::Client::new()
        .get(format!("{base}/api/health"))
        .header("origin", origin)
        .send()
        .await
        .expect("request sent");
    let echoed = response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), echoed)
}

#[tokio::test]
async fn cors_origins_match_whatever_their_spelling() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(
        dir.path(),
        free_port(),
        &[
            ("PUBLIC_URL", "https://Secrets.Example.com"),
            (
                "ALLOWED_ORIGINS",
                "https://a.example, https://b.example:443/",
            ),
        ],
    );
    for origin in [
        "https://secrets.example.com",
        "https://a.example",
        "https://b.example",
    ] {
        assert_eq!(
            origin_answer(&server.base, origin).await,
            (200, Some(origin.to_owned())),
            "{origin}"
        );
    }
    assert_eq!(
        origin_answer(&server.base, "https://c.example").await.0,
        403
    );
}

#[test]
fn a_bad_setting_stops_startup_naming_its_variable() {
    for (variable, value) in [
        ("TRUSTED_PROXIES", "10.0.0.0/8, not-a-network"),
        ("RATE_LIMIT_WINDOW_MS", "0"),
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TTL_DEFAULT_MS", "1"),
        ("REDIS_URL", "redis://:hunter2@host:notaport"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_vanish"))
            .arg("serve")
            .env_clear()
            .env("VANISH_ADDR", format!("127.0.0.1:{}", free_port()))
            .env(variable, value)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{variable}={value} started");
        assert!(stderr.contains(variable), "{variable}: {stderr}");
        assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
    }
}
