//! The API's contract (docs/openapi.json) held against the real binary by generated
//! requests: schemathesis sends valid and invalid input to every operation, boundary
//! values, undocumented methods, and stateful sequences that follow a create's links into
//! reveal, metadata, status and burn, and checks each answer against the document: no
//! 5xx, only documented statuses, content types, headers and schemas, invalid input
//! refused with a 4xx, 405s with `Allow`, the metrics token enforced. On SQLite and on a
//! private Redis.
//!
//! `contract/schemathesis.sh` makes a virtual environment with the pinned tools from PyPI
//! under the target directory on first use. Without Python 3 (or without PyPI) the tests
//! print SKIPPED, and fail instead under `VANISH_REQUIRE_ALL=1`; without `redis-server`
//! the Redis one does the same.

#[path = "../../server/tests/support/redis.rs"]
mod redis_support;
mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis_support::RedisServer;
use support::{ServerProcess, free_port};

/// The whole run may take this long on a slow machine; a hang fails instead of blocking.
const DEADLINE: Duration = Duration::from_secs(600);

const METRICS_TOKEN: &str = "contract-metrics-token";

/// The two runs share a machine that may have two cores: one at a time, and the first
/// makes the virtual environment for both.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn server_env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![("METRICS_TOKEN", METRICS_TOKEN)];
    env.extend_from_slice(extra);
    env
}

#[test]
fn the_api_keeps_its_openapi_contract_on_sqlite() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path(), free_port(), &server_env(&[]));
    run_schemathesis(&server.base, "SQLite");
}

#[test]
fn the_api_keeps_its_openapi_contract_on_redis() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path(), free_port(), &server_env(&[("REDIS_URL", &url)]));
    run_schemathesis(&server.base, "Redis");
}

/// Runs `contract/schemathesis.sh` against `base`; panics with its output on any failure,
/// prints SKIPPED (or panics under `VANISH_REQUIRE_ALL=1`) when Python is missing.
fn run_schemathesis(base: &str, store: &str) {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract");
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("contract-venv");
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("schemathesis.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new("bash")
        .arg(here.join("schemathesis.sh"))
        .arg(&venv)
        .arg(base)
        .env("VANISH_METRICS_TOKEN", METRICS_TOKEN)
        // schemathesis keeps a cache of failures in its working directory.
        .current_dir(log_dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("bash runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status.and_then(|s| s.code()) {
        Some(0) => {
            let summary = output.lines().rev().take(12).collect::<Vec<_>>();
            let summary: Vec<&str> = summary.into_iter().rev().collect();
            loud(&format!(
                "contract on {store}: passed in {:.0} s\n{}",
                started.elapsed().as_secs_f64(),
                summary.join("\n")
            ));
        }
        Some(3) if std::env::var("VANISH_REQUIRE_ALL").as_deref() != Ok("1") => {
            loud(&format!(
                "\n*** SKIPPED contract test on {store}: no Python 3 with venv, or no PyPI ***\n{output}"
            ));
        }
        Some(code) => panic!("schemathesis on {store} exited {code}:\n{output}"),
        None => panic!(
            "schemathesis on {store} did not finish in {} s:\n{output}",
            DEADLINE.as_secs()
        ),
    }
}

/// Straight to the process's stderr: the harness captures `eprintln!`, and a skip or a
/// summary must show in the output of a passing run.
fn loud(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
