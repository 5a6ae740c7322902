//! Guarantee 4, no secret material leaves through telemetry: the real binary logs at its
//! most verbose through a whole lifecycle (create with a passphrase, look, wrong and right
//! proofs, reveal, status, burn), and nothing it wrote contains the ciphertext, the iv, the
//! manage token, passphrase data or the secret id. It also writes the request lines and the
//! `"level":"metric"` summary (docs/operations.md, "Monitoring"). And a Redis password, in
//! whatever form `REDIS_URL` carries it, never reaches the log either.

#[path = "../../server/tests/support/redis.rs"]
mod redis_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use redis_support::RedisServer;
use serde_json::{Value, json};
use support::{ServerProcess, free_port};

const CIPHERTEXT: &str = "Q2lwaGVydGV4dFRoYXRNdXN0TmV2ZXJCZUxvZ2dlZA";
const IV: &str = "SXZOZXZlckxvZ2dl";
const VERIFIER: &str = "VmVyaWZpZXJOZXZlckxvZ2dlZA";
const WRONG_PROOF: &str = "V3JvbmdQcm9vZk5ldmVyTG9nZ2Vk";

#[tokio::test]
async fn a_full_lifecycle_logs_no_secret_material() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("server.log");
    let env = [
        ("RUST_LOG", "trace"),
        ("METRICS_LOG_INTERVAL_S", "1"),
        ("LOG_FORMAT", "json"),
    ];
    let server = ServerProcess::start_logged(&dir.path().join("data"), free_port(), &env, &log);
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}{path}", server.base);

    let created: Value = http
        .post(api("/api/secrets"))
        .json(&json!({ "encrypted": CIPHERTEXT, "iv": IV, "maxViews": 2, "passphraseVerifier": VERIFIER }))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"].as_str().expect("id").to_owned();
    let token = created["manageToken"].as_str().expect("token").to_owned();
    let secret = |suffix: &str| api(&format!("/api/secrets/{id}{suffix}"));
    assert_eq!(http.get(secret("/meta")).send().await?.status(), 200);
    assert_eq!(http.head(secret("")).send().await?.status(), 200);
    assert_eq!(http.get(secret("")).send().await?.status(), 401);
    let wrong = http
        .post(secret("/reveal"))
        .json(&json!({ "passphraseProof": WRONG_PROOF }))
        .send()
        .await?;
    assert_eq!(wrong.status(), 401);
    let right = http
        .post(secret("/reveal"))
        .json(&json!({ "passphraseProof": VERIFIER }))
        .send()
        .await?;
    assert_eq!(right.status(), 200);
    assert_eq!(
        http.post(secret("/status"))
            .json(&json!({ "manageToken": token }))
            .send()
            .await?
            .status(),
        200
    );
    assert_eq!(
        http.post(secret("/burn"))
            .json(&json!({ "manageToken": "wrong-token" }))
            .send()
            .await?
            .status(),
        403
    );
    assert_eq!(
        http.post(secret("/burn"))
            .json(&json!({ "manageToken": token }))
            .send()
            .await?
            .status(),
        204
    );

    // Wait for the summary line, then stop the server so every line is flushed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)?.contains(r#""level":"metric""#) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "no metric summary line within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.terminate().success());
    let logged = std::fs::read_to_string(&log)?;

    for (what, needle) in [
        ("ciphertext", CIPHERTEXT),
        ("iv", IV),
        ("passphrase verifier", VERIFIER),
        ("wrong proof", WRONG_PROOF),
        ("manage token", token.as_str()),
        ("secret id", id.as_str()),
    ] {
        assert!(!logged.contains(needle), "the log contains the {what}");
    }

    let lines: Vec<Value> = logged
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert!(
        requests.len() >= 9,
        "one line per request: {}",
        requests.len()
    );
    let reveal = requests
        .iter()
        .find(|l| l["route"] == "/api/secrets/{id}/reveal" && l["status"] == 200);
    let reveal = reveal.expect("the reveal is logged by its route template");
    assert!(reveal["request_id"].as_str().is_some_and(|r| r.len() == 32));
    assert!(reveal["duration_ms"].as_f64().is_some());
    assert!(
        reveal.get("client_ip").is_none_or(Value::is_null),
        "no client IP unless LOG_CLIENT_IP"
    );
    let metric = lines
        .iter()
        .find(|l| l["level"] == "metric")
        .expect("summary line");
    assert!(metric["requests"].as_u64().is_some_and(|n| n >= 9));
    assert_eq!(metric["by_method_status"]["POST 204"], 1);
    Ok(())
}

/// A Redis password with an `@` in it, and the pieces of it a wrong split would log.
const REDIS_PASSWORD: &str = "p@ssw0rd";
const PASSWORD_PIECES: [&str; 4] = ["p@ssw0rd", "ssw0rd", "p%40ssw0rd", "40ssw0rd"];

/// Runs `vanish serve` with `REDIS_URL=url` at trace level, sends it a create (which
/// reaches Redis or fails trying), stops it, and returns everything it logged.
async fn log_of_a_server_on(url: &str, dir: &Path) -> anyhow::Result<String> {
    let log = dir.join("server.log");
    let env = [
        ("RUST_LOG", "trace"),
        ("LOG_FORMAT", "json"),
        ("REDIS_URL", url),
        ("CIRCUIT_BREAKER_TIMEOUT_MS", "500"),
    ];
    let server = ServerProcess::start_logged(&dir.join("data"), free_port(), &env, &log);
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/api/secrets", server.base))
        .json(&json!({ "encrypted": CIPHERTEXT, "iv": IV }))
        .send()
        .await?;
    if created.status() == 201 {
        let id = created.json::<Value>().await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let revealed = http
            .get(format!("{}/api/secrets/{id}", server.base))
            .send()
            .await?;
        anyhow::ensure!(revealed.status() == 200, "reveal through {url}");
    }
    let _ = http.get(format!("{}/readyz", server.base)).send().await?;
    assert!(server.terminate().success());
    Ok(std::fs::read_to_string(&log)?)
}

fn assert_no_password(url: &str, logged: &str) {
    for piece in PASSWORD_PIECES {
        let line = logged.lines().find(|l| l.contains(piece));
        assert!(
            line.is_none(),
            "REDIS_URL {url} put {piece:?} in the log: {line:?}"
        );
    }
}

#[tokio::test]
async fn no_form_of_an_unreachable_redis_url_logs_its_password() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (a, b) = (free_port(), free_port());
    let socket = dir.path().join("nothing.sock");
    let socket = socket.display();
    let p = REDIS_PASSWORD;
    for url in [
        format!("redis://:{p}@127.0.0.1:{a}"),
        format!("redis://admin:{p}@127.0.0.1:{a}/1"),
        format!("redis://127.0.0.1:{a}/0?password={p}"),
        format!("redis+unix://{socket}?pass={p}"),
        format!("unix://{socket}?db=0&PASS={p}"),
        format!("redis+cluster://:{p}@127.0.0.1:{a},127.0.0.1:{b}"),
        format!("redis://:{p}@127.0.0.1:{a},redis://:{p}@127.0.0.1:{b}"),
        format!("redis+sentinel://:{p}@127.0.0.1:{a}/vanish"),
    ] {
        let run = tempfile::tempdir()?;
        let logged = log_of_a_server_on(&url, run.path()).await?;
        assert!(
            logged.contains("kept in Redis"),
            "the target is logged at all: {logged}"
        );
        assert_no_password(&url, &logged);
    }
    Ok(())
}

#[tokio::test]
async fn a_real_redis_behind_a_password_never_sees_it_logged() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let socket = dir.path().join("r.sock");
    let socket_arg = socket.display().to_string();
    let Some(redis) = RedisServer::start_with_args(&["--unixsocket", &socket_arg]) else {
        return Ok(());
    };
    let set = redis.cli(&["CONFIG", "SET", "requirepass", REDIS_PASSWORD]);
    assert_eq!(set.trim(), "OK");
    let p = REDIS_PASSWORD;
    let port = redis.port();
    for url in [
        format!("redis://:{p}@127.0.0.1:{port}"),
        format!("redis+unix://{socket_arg}?pass={p}"),
        // A wrong password: Redis refuses, and the refusal is logged.
        format!("redis://:x{p}@127.0.0.1:{port}"),
    ] {
        let run = tempfile::tempdir()?;
        let logged = log_of_a_server_on(&url, run.path()).await?;
        assert_no_password(&url, &logged);
    }
    Ok(())
}
