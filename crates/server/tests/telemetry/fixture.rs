//! The process-wide telemetry of this test binary and the receivers it sends to: a capture
//! endpoint for Sentry envelopes and an OTLP/HTTP endpoint for traces, both plain HTTP
//! servers on `127.0.0.1:0`, on a thread of their own so they outlive every test's runtime.

// The receivers serve only the tests of the features this build has.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::Value;
use vanish_server::Config;
use vanish_server::config::LogFormat;
use vanish_server::telemetry::{self, Guard};

use crate::common::test_config;

/// Request bodies a receiver got, in order.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<Bytes>>>);

impl Received {
    pub fn bodies(&self) -> Vec<Bytes> {
        self.0.lock().expect("received").clone()
    }
}

/// Log output, shared with the log layer.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Every JSON line logged so far.
    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("logs").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

pub struct Fixture {
    pub logs: Logs,
    pub sentry: Received,
    pub otlp: Received,
    pub guard: Guard,
    config: Config,
}

impl Fixture {
    /// Test settings with this process's telemetry on.
    pub fn config(&self) -> Config {
        self.config.clone()
    }
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let (sentry, otlp) = (Received::default(), Received::default());
        let addr = start_receivers(sentry.clone(), otlp.clone());
        let mut config = test_config();
        config.telemetry.log_format = LogFormat::Json;
        config.telemetry.log_level = "info".into();
        config.telemetry.environment = "test".into();
        if cfg!(feature = "sentry") {
            config.telemetry.sentry_dsn = Some(format!("http://public@{addr}/1"));
        }
        if cfg!(feature = "otel") {
            config.telemetry.otlp_endpoint = Some(format!("http://{addr}"));
        }
        let logs = Logs::default();
        let writer = logs.clone();
        let guard = telemetry::init_with_writer(&config.telemetry, move || writer.clone())
            .expect("telemetry starts");
        Fixture {
            logs,
            sentry,
            otlp,
            guard,
            config,
        }
    })
}

fn start_receivers(sentry: Received, otlp: Received) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("addr");
    async fn keep(State(into): State<Received>, body: Bytes) -> &'static str {
        into.0.lock().expect("received").push(body);
        "{}"
    }
    let app = Router::new()
        .route("/api/1/envelope/", post(keep).with_state(sentry))
        .route("/v1/traces", post(keep).with_state(otlp));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("receivers serve");
        });
    });
    addr
}

/// Polls `found` until it returns `Some`, flushing telemetry in between; fails after 15 s.
pub async fn eventually<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not seen within 15 s");
        fixture().guard.flush(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
