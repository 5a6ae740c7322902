//! The one test harness: [`spawn_app`] runs the real server on `127.0.0.1:0` with a
//! SQLite store in a temp dir and a [`ManualClock`], and [`TestApp`] talks plain HTTP to it.

use std::sync::Arc;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use vanish_core::api::{CreateResponse, ErrorBody};
use vanish_core::clock::ManualClock;
use vanish_server::app::open_store;
use vanish_server::store::SecretStore;
use vanish_server::{Config, Deps, Server};

/// Where every test clock starts: a fixed, realistic instant.
pub const T0: u64 = 1_800_000_000_000;
/// A valid 12-byte iv in base64url.
pub const IV: &str = "AAECAwQFBgcICQoL";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
    server: Option<Server>,
}

/// Defaults, with limits high enough that only the tests about limits meet them.
pub fn test_config() -> Config {
    let mut config = Config::defaults();
    config.rate.create_per_window = 1_000_000;
    config.rate.read_per_window = 1_000_000;
    config.telemetry.metrics_log_interval = std::time::Duration::ZERO;
    config
}

pub async fn spawn_app(config: Config) -> TestApp {
    spawn_app_with(config, |config| open_store(config).expect("store opens")).await
}

/// Like [`spawn_app`], with the raw store made by `make_store` (e.g. a faulty wrapper).
pub async fn spawn_app_with(
    mut config: Config,
    make_store: impl FnOnce(&Config) -> Arc<dyn SecretStore>,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.storage.data_dir = dir.path().to_path_buf();
    let clock = Arc::new(ManualClock::new(T0));
    let store = make_store(&config);
    let server = Server::start(&config, Deps::new(store, clock.clone()))
        .await
        .expect("server starts");
    TestApp {
        base: format!("http://{}", server.addr()),
        http: reqwest::Client::new(),
        clock,
        dir,
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn request(&self, method: Method, path: &str) -> Response {
        self.http
            .request(method, self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn create(&self, body: &Value) -> Response {
        self.post_json("/api/secrets", body).await
    }

    /// Creates a secret with `extra` fields merged into a valid body; asserts 201.
    pub async fn create_ok(&self, extra: Value) -> CreateResponse {
        let mut body = json!({ "encrypted": "c2VjcmV0LWNpcGhlcnRleHQ", "iv": IV });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let response = self.create(&body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("create response")
    }

    pub async fn reveal_get(&self, id: &str) -> Response {
        self.request(Method::GET, &format!("/api/secrets/{id}"))
            .await
    }

    pub async fn reveal_post(&self, id: &str, body: &Value) -> Response {
        self.post_json(&format!("/api/secrets/{id}/reveal"), body)
            .await
    }

    pub async fn meta(&self, id: &str) -> Response {
        self.request(Method::GET, &format!("/api/secrets/{id}/meta"))
            .await
    }

    pub async fn burn(&self, id: &str, token: &str) -> Response {
        self.post_json(
            &format!("/api/secrets/{id}/burn"),
            &json!({ "manageToken": token }),
        )
        .await
    }

    pub async fn status(&self, id: &str, token: &str) -> Response {
        self.post_json(
            &format!("/api/secrets/{id}/status"),
            &json!({ "manageToken": token }),
        )
        .await
    }

    /// A circuit breaker's state by name (`closed`, `open`, `half_open`), read directly so
    /// that looking does not itself call the store.
    pub fn breaker_state(&self, name: &str) -> String {
        let server = self.server.as_ref().expect("running");
        let breaker = server
            .state()
            .breakers
            .iter()
            .find(|b| b.name() == name)
            .expect("breaker exists");
        breaker.state().name().to_owned()
    }

    /// `http://` address of the separate metrics listener, when configured.
    pub fn metrics_base(&self) -> Option<String> {
        let server = self.server.as_ref().expect("running");
        server.metrics_addr().map(|addr| format!("http://{addr}"))
    }

    /// The readiness body: `{"ready", "breakers": {name: state}}`.
    pub async fn readiness(&self) -> Value {
        self.request(Method::GET, "/readyz")
            .await
            .json()
            .await
            .expect("readyz JSON")
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Asserts the status and the error code of an error response; returns its body.
pub async fn expect_error(response: Response, status: u16, code: &str) -> ErrorBody {
    assert_eq!(
        response.status().as_u16(),
        status,
        "status for expected {code}"
    );
    let request_id = response.headers().get("x-request-id").cloned();
    let body: ErrorBody = response.json().await.expect("error body is JSON");
    assert_eq!(body.error, code);
    assert!(!body.message.is_empty());
    assert_eq!(
        Some(body.request_id.as_str()),
        request_id.as_ref().and_then(|v| v.to_str().ok())
    );
    body
}

/// Sends raw bytes on a fresh connection and returns the status code of the response (0 if
/// the server closed the connection without answering).
pub async fn raw_request(base: &str, bytes: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut response = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut response),
    )
    .await;
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}
