//! Guarantee 4, no secret material leaves through telemetry: the real binary logs at its
//! most verbose through a whole lifecycle (create with a passphrase, look, wrong and right
//! proofs, reveal, status, burn), and nothing it wrote contains the ciphertext, the iv, the
//! manage token, passphrase data or the secret id. It also writes the request lines and the
//! `"level":"metric"` summary (docs/operations.md, "Monitoring").

mod support;

use std::time::{Duration, Instant};

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
