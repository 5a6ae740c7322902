//! Many nodes (README, "Deploy"; docs/operations.md, "Redis"): real `vanish serve` processes sharing one Redis
//! act as one service. A secret created on one instance is revealed on another; concurrent
//! reveals spread over three instances succeed exactly `maxViews` times; the create budget
//! and bans are shared. And the outage: Redis hangs (SIGSTOP), dies (SIGKILL) and comes
//! back on the same port and data dir while two instances are under load; meanwhile only
//! fast 503 `STORE_UNAVAILABLE` answers, rate limits still hold per instance, service
//! returns without restarting vanish, and no acknowledged secret is lost.
//!
//! Each test runs its own `redis-server` (never the machine's shared one); without
//! `redis-server` on PATH they print SKIPPED (and fail under `VANISH_REQUIRE_ALL=1`).

#[path = "../../server/tests/support/redis.rs"]
mod redis_support;
mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis_support::{RedisServer, TestCa};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{ServerProcess, free_port};
use tempfile::TempDir;

const IV: &str = "AAECAwQFBgcICQoL";

/// Instances on one Redis, each with its own (unused) data dir.
struct Fleet {
    nodes: Vec<ServerProcess>,
    _dirs: Vec<TempDir>,
    /// Last, so the instances stop before Redis does.
    redis: RedisServer,
}

impl Fleet {
    fn start(count: usize, env: &[(&str, &str)]) -> Option<Self> {
        let redis = RedisServer::start()?;
        let url = redis.url();
        let mut env = env.to_vec();
        env.push(("REDIS_URL", &url));
        let mut nodes = Vec::new();
        let mut dirs = Vec::new();
        for _ in 0..count {
            let dir = tempfile::tempdir().expect("temp dir");
            nodes.push(ServerProcess::start(dir.path(), free_port(), &env));
            dirs.push(dir);
        }
        Some(Self {
            nodes,
            _dirs: dirs,
            redis,
        })
    }

    fn base(&self, i: usize) -> &str {
        &self.nodes[i % self.nodes.len()].base
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .expect("client")
}

/// Sends `request` and returns its status and JSON body (`Null` if none).
async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("instance answers");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn create(http: &reqwest::Client, base: &str, body: Value) -> (StatusCode, Value) {
    send(http.post(format!("{base}/api/secrets")).json(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_created_on_one_instance_is_revealed_on_another() {
    let Some(fleet) = Fleet::start(3, &[]) else {
        return;
    };
    let http = http();
    let body = json!({ "encrypted": "c2VjcmV0", "iv": IV, "maxViews": 2 });
    let (status, created) = create(&http, fleet.base(0), body).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().expect("id");
    let token = created["manageToken"].as_str().expect("manage token");

    let (status, meta) = send(http.get(format!("{}/api/secrets/{id}/meta", fleet.base(1)))).await;
    assert_eq!((status, &meta["viewsLeft"]), (StatusCode::OK, &json!(2)));
    let (status, revealed) = send(http.get(format!("{}/api/secrets/{id}", fleet.base(2)))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revealed["encrypted"], "c2VjcmV0");
    assert_eq!(revealed["viewsLeft"], 1);
    let reveal = format!("{}/api/secrets/{id}/reveal", fleet.base(0));
    let (status, _) = send(http.post(reveal).json(&json!({}))).await;
    assert_eq!(status, StatusCode::OK, "the last view, on a third instance");
    let (status, gone) = send(http.get(format!("{}/api/secrets/{id}", fleet.base(1)))).await;
    assert_eq!(
        (status, &gone["error"]),
        (StatusCode::NOT_FOUND, &json!("NOT_FOUND"))
    );

    let status_url = format!("{}/api/secrets/{id}/status", fleet.base(2));
    let (status, receipt) =
        send(http.post(status_url).json(&json!({ "manageToken": token }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(receipt["state"], "viewed");
    assert_eq!(receipt["viewedAt"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reveals_across_three_instances_succeed_exactly_max_views_times() {
    let generous = [
        ("RATE_LIMIT_CREATE_PER_WINDOW", "100000"),
        ("RATE_LIMIT_READ_PER_WINDOW", "1000000"),
    ];
    let Some(fleet) = Fleet::start(3, &generous) else {
        return;
    };
    let http = http();
    // 100 rounds of one view, then 10 of three views, so "exactly max" is tested too.
    const ROUNDS: usize = 110;
    const RACERS: usize = 48;
    for round in 0..ROUNDS {
        let max_views = if round < 100 { 1 } else { 3 };
        let body =
            json!({ "encrypted": format!("cm91{round:08}"), "iv": IV, "maxViews": max_views });
        let (status, created) = create(&http, fleet.base(round), body).await;
        assert_eq!(status, StatusCode::CREATED);
        let id = created["id"].as_str().expect("id").to_owned();
        let racers: Vec<_> = (0..RACERS)
            .map(|i| {
                let url = format!("{}/api/secrets/{id}", fleet.base(i));
                let http = http.clone();
                tokio::spawn(async move { send(http.get(url)).await })
            })
            .collect();
        let (mut revealed, mut not_found) = (0, 0);
        for racer in racers {
            match racer.await.expect("racer") {
                (StatusCode::OK, body) => {
                    assert_eq!(body["encrypted"], format!("cm91{round:08}"));
                    revealed += 1;
                }
                (StatusCode::NOT_FOUND, body) => {
                    assert_eq!(body["error"], "NOT_FOUND");
                    not_found += 1;
                }
                (status, body) => panic!("round {round}: unexpected {status} {body}"),
            }
        }
        assert_eq!(
            (revealed, not_found),
            (max_views, RACERS - max_views),
            "round {round}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create_budget_is_shared_by_all_instances() {
    let env = [
        ("RATE_LIMIT_CREATE_PER_WINDOW", "5"),
        ("CACHE_RATE_LIMIT_TTL_MS", "1"),
    ];
    let Some(fleet) = Fleet::start(3, &env) else {
        return;
    };
    let http = http();
    let body = json!({ "encrypted": "YnVkZ2V0", "iv": IV });
    for i in 0..5 {
        let (status, _) = create(&http, fleet.base(i), body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "create {} of 5", i + 1);
    }
    for i in 0..3 {
        let response = http
            .post(format!("{}/api/secrets", fleet.base(i)))
            .json(&body)
            .send()
            .await
            .expect("answers");
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "instance {i}"
        );
        assert_eq!(response.headers()["x-ratelimit-limit"], "5");
        assert!(response.headers().contains_key("retry-after"));
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], "RATE_LIMITED");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_made_on_one_instance_is_enforced_by_the_others() {
    // Ban at 2 × 2 = 4 creates in one window. Clients are told apart by X-Forwarded-For,
    // which the instances believe from 127.0.0.1.
    let env = [
        ("RATE_LIMIT_CREATE_PER_WINDOW", "2"),
        ("ABUSE_THRESHOLD_MULTIPLIER", "2"),
        ("CACHE_RATE_LIMIT_TTL_MS", "1"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ];
    let Some(fleet) = Fleet::start(3, &env) else {
        return;
    };
    let http = http();
    let as_client =
        |ip: &'static str, req: reqwest::RequestBuilder| req.header("x-forwarded-for", ip);
    let secret = json!({ "encrypted": "YmFu", "iv": IV });
    let abuser = "198.51.100.7";
    let mut last = StatusCode::OK;
    for _ in 0..4 {
        let post = http
            .post(format!("{}/api/secrets", fleet.base(0)))
            .json(&secret);
        last = send(as_client(abuser, post)).await.0;
    }
    assert_eq!(last, StatusCode::FORBIDDEN, "the 4th attempt bans");
    for i in [1, 2] {
        let get = http.get(format!(
            "{}/api/secrets/AAAAAAAAAAAAAAAAAAAAAA/meta",
            fleet.base(i)
        ));
        let (status, body) = send(as_client(abuser, get)).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::FORBIDDEN, &json!("BANNED")),
            "instance {i}"
        );
        let health = http.get(format!("{}/api/health", fleet.base(i)));
        assert_eq!(
            send(as_client(abuser, health)).await.0,
            StatusCode::OK,
            "health stays open"
        );
        let innocent = http
            .post(format!("{}/api/secrets", fleet.base(i)))
            .json(&secret);
        let innocent = as_client(
            if i == 1 {
                "198.51.100.8"
            } else {
                "198.51.100.9"
            },
            innocent,
        );
        assert_eq!(
            send(innocent).await.0,
            StatusCode::CREATED,
            "other clients are not banned"
        );
    }
}

/// What the load generator was told, and what it only tried.
#[derive(Default)]
struct Ledger {
    /// Acknowledged creates (201): id → ciphertext.
    created: HashMap<String, String>,
    /// Reveals sent: after an outage their outcome may be unknown.
    reveal_tried: HashSet<String>,
    /// Acknowledged reveals (200).
    revealed: HashSet<String>,
    /// Every answer: (sent at, since the test start; took; status; error code).
    answers: Vec<(Duration, Duration, u16, String)>,
    /// Requests that got no HTTP answer at all.
    unanswered: usize,
}

/// Creates, and reveals every other secret created, until `stop`; each request as a client
/// of its own (an IPv6 /64 via X-Forwarded-For) so the load never hits its own limits.
async fn load(
    base: String,
    worker: u16,
    start: Instant,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let http = http();
    let mut n: u16 = 0;
    while !stop.load(Ordering::Relaxed) {
        n = n.wrapping_add(1);
        let client = format!("2001:db8:{worker:x}:{n:x}::1");
        // Base64url of a whole number of bytes: 16 characters.
        let ciphertext = format!("bG9h{worker:04}{n:08}");
        let post = http
            .post(format!("{base}/api/secrets"))
            .header("x-forwarded-for", &client)
            .json(&json!({ "encrypted": ciphertext, "iv": IV }));
        let Some((status, body)) = timed(post, start, &ledger).await else {
            continue;
        };
        if status != StatusCode::CREATED {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let id = body["id"].as_str().expect("id").to_owned();
        ledger
            .lock()
            .expect("ledger")
            .created
            .insert(id.clone(), ciphertext);
        if n.is_multiple_of(2) {
            ledger
                .lock()
                .expect("ledger")
                .reveal_tried
                .insert(id.clone());
            let get = http
                .get(format!("{base}/api/secrets/{id}"))
                .header("x-forwarded-for", &client);
            if let Some((StatusCode::OK, _)) = timed(get, start, &ledger).await {
                ledger.lock().expect("ledger").revealed.insert(id);
            }
        }
    }
}

/// Sends a request and writes its answer (or its lack of one) in the ledger.
async fn timed(
    request: reqwest::RequestBuilder,
    start: Instant,
    ledger: &Mutex<Ledger>,
) -> Option<(StatusCode, Value)> {
    let sent = Instant::now();
    let Ok(response) = request.send().await else {
        ledger.lock().expect("ledger").unanswered += 1;
        return None;
    };
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let took = sent.elapsed();
    let code = body["error"].as_str().unwrap_or_default().to_owned();
    let answer = (sent - start, took, status.as_u16(), code);
    ledger.lock().expect("ledger").answers.push(answer);
    Some((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_gives_fast_503s_keeps_limits_and_loses_no_acknowledged_secret() {
    const OP_TIMEOUT_MS: u64 = 400;
    const RESET_TIMEOUT_MS: u64 = 1000;
    let op_timeout = OP_TIMEOUT_MS.to_string();
    let reset_timeout = RESET_TIMEOUT_MS.to_string();
    let env = [
        ("CIRCUIT_BREAKER_TIMEOUT_MS", op_timeout.as_str()),
        ("CIRCUIT_BREAKER_RESET_TIMEOUT_MS", reset_timeout.as_str()),
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "3"),
        ("RATE_LIMIT_READ_PER_WINDOW", "20"),
        ("RATE_LIMIT_CREATE_PER_WINDOW", "1000"),
        ("ABUSE_THRESHOLD_MULTIPLIER", "1000"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ];
    let Some(mut fleet) = Fleet::start(2, &env) else {
        return;
    };
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let workers: Vec<_> = (0..4u16)
        .map(|w| {
            let base = fleet.base(usize::from(w)).to_owned();
            tokio::spawn(load(base, w, start, Arc::clone(&stop), Arc::clone(&ledger)))
        })
        .collect();
    let pause = |ms| tokio::time::sleep(Duration::from_millis(ms));

    pause(1500).await;
    let before = ledger.lock().expect("ledger").created.len();
    assert!(
        before > 10,
        "load runs before the outage ({before} creates)"
    );

    // Hang: Redis keeps its sockets open and answers nothing.
    let paused_at = start.elapsed();
    fleet.redis.pause();
    pause(2500).await;
    // Dead: connections are refused.
    fleet.redis.kill();
    pause(1000).await;
    let bases: Vec<String> = (0..2).map(|i| fleet.base(i).to_owned()).collect();
    let ready = |i: usize| format!("{}/readyz", bases[i]);
    let (status, _) = send(http().get(ready(1))).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready while Redis is down"
    );

    // Rate limits still hold while Redis is down: the in-process limiter takes over.
    let http = http();
    let probe = |i: usize| {
        http.get(format!(
            "{}/api/secrets/AAAAAAAAAAAAAAAAAAAAAA/meta",
            fleet.base(0)
        ))
        .header("x-forwarded-for", "192.0.2.77")
        .header("x-probe", i.to_string())
    };
    for i in 0..20 {
        let (status, body) = send(probe(i)).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::SERVICE_UNAVAILABLE, &json!("STORE_UNAVAILABLE")),
            "probe {i} during the outage"
        );
    }
    let (status, body) = send(probe(20)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("RATE_LIMITED"))
    );

    // Redis returns on the same port and dir, reloading its append-only file.
    fleet.redis.restart();
    let back_at = start.elapsed();
    let recovered = wait_for_creates(&fleet, 2, Duration::from_secs(10)).await;
    assert!(
        recovered <= Duration::from_millis(RESET_TIMEOUT_MS + 1500),
        "service came back {recovered:?} after Redis (reset timeout {RESET_TIMEOUT_MS} ms)"
    );
    for i in 0..2 {
        assert_eq!(
            send(http.get(ready(i))).await.0,
            StatusCode::OK,
            "ready again"
        );
    }
    pause(1000).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("load worker");
    }

    // The workers are done: take the ledger out from under its lock.
    let ledger = std::mem::take(&mut *ledger.lock().expect("ledger"));
    assert_eq!(ledger.unanswered, 0, "every request got an HTTP answer");
    // Each secret request makes at most two store calls in turn (count the attempt, then
    // the secret operation), each bounded by the operation timeout.
    let bound = Duration::from_millis(2 * OP_TIMEOUT_MS + 700);
    let mut during = 0;
    for (sent, took, status, code) in &ledger.answers {
        assert!(
            took <= &bound,
            "a request took {took:?} (status {status}), bound {bound:?}"
        );
        match status {
            200 | 201 | 404 => {}
            503 => assert_eq!(code, "STORE_UNAVAILABLE", "503s carry the store code"),
            other => panic!("unexpected status {other} {code} at {sent:?}"),
        }
        if *status == 503 {
            let answered = *sent + *took;
            assert!(
                answered >= paused_at && *sent <= back_at + recovered,
                "a 503 outside the outage: sent at {sent:?}, outage {paused_at:?}..{:?}",
                back_at + recovered
            );
            during += 1;
        }
    }
    assert!(during > 0, "the outage was felt");
    let slowest = ledger.answers.iter().map(|a| a.1).max().unwrap_or_default();
    eprintln!(
        "outage: {} answers, {during} × 503, slowest {slowest:?}, {} creates acknowledged, \
         recovered {recovered:?} after Redis returned",
        ledger.answers.len(),
        ledger.created.len()
    );
    let after = ledger
        .answers
        .iter()
        .filter(|(sent, _, status, _)| *sent > back_at + recovered && *status == 201)
        .count();
    assert!(after > 0, "creates succeed again after recovery");

    // No acknowledged secret is lost, and no acknowledged reveal is undone.
    check_nothing_lost(&fleet, &ledger).await;
}

/// Every acknowledged create that no reveal touched reveals its exact ciphertext (on
/// either instance), and every acknowledged reveal stays consumed.
async fn check_nothing_lost(fleet: &Fleet, ledger: &Ledger) {
    let http = http();
    let mut checked = 0u32;
    for (id, ciphertext) in &ledger.created {
        if ledger.reveal_tried.contains(id) {
            continue;
        }
        checked += 1;
        let get = http
            .get(format!("{}/api/secrets/{id}", fleet.base(checked as usize)))
            .header("x-forwarded-for", format!("2001:db8:eeee:{checked:x}::1"));
        let (status, body) = send(get).await;
        assert_eq!(status, StatusCode::OK, "acknowledged secret lost");
        assert_eq!(&body["encrypted"], ciphertext);
    }
    for (n, id) in ledger.revealed.iter().enumerate() {
        let get = http
            .get(format!("{}/api/secrets/{id}", fleet.base(n)))
            .header("x-forwarded-for", format!("2001:db8:dddd:{n:x}::1"));
        assert_eq!(
            send(get).await.0,
            StatusCode::NOT_FOUND,
            "a consumed secret came back"
        );
    }
    assert!(
        checked > 10,
        "enough untouched secrets to check ({checked})"
    );
    eprintln!(
        "outage: {checked} untouched acknowledged secrets intact, {} acknowledged reveals stay consumed",
        ledger.revealed.len()
    );
}

/// Polls creates on the first `count` instances until each succeeds; returns how long it
/// took.
async fn wait_for_creates(fleet: &Fleet, count: usize, limit: Duration) -> Duration {
    let http = http();
    let started = Instant::now();
    for i in 0..count {
        loop {
            let post = http
                .post(format!("{}/api/secrets", fleet.base(i)))
                .header("x-forwarded-for", format!("2001:db8:ffff:{i:x}::1"))
                .json(&json!({ "encrypted": "cmVjb3Zlcg", "iv": IV }));
            if matches!(post.send().await, Ok(r) if r.status() == StatusCode::CREATED) {
                break;
            }
            assert!(
                started.elapsed() < limit,
                "instance {i} did not recover within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rediss_url_works_with_a_trusted_ca_and_refuses_an_unknown_one() {
    let (Some(ca), Some(other_ca)) = (TestCa::generate(), TestCa::generate()) else {
        return;
    };
    let tls_port = free_port();
    let args = ca.redis_args(tls_port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let Some(_redis) = RedisServer::start_with_args(&args) else {
        return;
    };
    let url = format!("rediss://localhost:{tls_port}");
    let start = |trust: &TestCa| {
        let dir = tempfile::tempdir().expect("temp dir");
        let trust = trust.ca_cert();
        let env = [
            ("REDIS_URL", url.as_str()),
            ("SSL_CERT_FILE", trust.to_str().expect("utf-8 path")),
        ];
        (ServerProcess::start(dir.path(), free_port(), &env), dir)
    };
    let http = http();
    let body = json!({ "encrypted": "dGxz", "iv": IV });

    let (trusting, _dir) = start(&ca);
    let (status, created) = create(&http, &trusting.base, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().expect("id");
    let (status, revealed) = send(http.get(format!("{}/api/secrets/{id}", trusting.base))).await;
    assert_eq!(
        (status, &revealed["encrypted"]),
        (StatusCode::OK, &json!("dGxz"))
    );

    let (doubting, _dir) = start(&other_ca);
    let (status, refused) = create(&http, &doubting.base, body).await;
    assert_eq!(
        (status, &refused["error"]),
        (StatusCode::SERVICE_UNAVAILABLE, &json!("STORE_UNAVAILABLE")),
        "a server whose certificate cannot be verified is not used"
    );
}

/// docs/operations.md, "Recommended Redis settings": Redis under any `allkeys-*` or
/// `volatile-*` policy silently evicts keys with a TTL, which every secret has. vanish
/// refuses to start on such a Redis, naming the policy and the setting that overrides the
/// refusal; with `noeviction`, or with the override, it starts.
#[tokio::test]
async fn a_redis_that_evicts_keys_is_refused_at_startup_unless_allowed() {
    let Some(evicting) = RedisServer::start_with_args(&["--maxmemory-policy", "allkeys-lru"])
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = evicting.url();
    let env = [("REDIS_URL", url.as_str())];
    let (status, stderr) = ServerProcess::refused(dir.path(), &env, Duration::from_secs(20))
        .expect("vanish refuses to start on an evicting Redis");
    assert!(!status.success());
    assert!(
        stderr.contains("maxmemory-policy allkeys-lru") && stderr.contains("REDIS_ALLOW_EVICTION"),
        "the refusal names the policy and the override: {stderr}"
    );

    let log = dir.path().join("allowed.log");
    let allowed = [
        ("REDIS_URL", url.as_str()),
        ("REDIS_ALLOW_EVICTION", "true"),
    ];
    let server = ServerProcess::start_logged(&dir.path().join("a"), free_port(), &allowed, &log);
    let (status, _) = create(
        &http(),
        &server.base,
        json!({ "encrypted": "YQ", "iv": IV }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "the operator allowed eviction");
    assert!(server.terminate().success());
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("allkeys-lru"),
        "running on an evicting Redis is still warned about: {logged}"
    );

    let Some(safe) = RedisServer::start_with_args(&["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    let url = safe.url();
    let server = ServerProcess::start(&dir.path().join("b"), free_port(), &[("REDIS_URL", &url)]);
    let (status, _) = create(
        &http(),
        &server.base,
        json!({ "encrypted": "YQ", "iv": IV }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}
