//! A small blocking HTTP client for the checks. Every [`Client`] is one client of the
//! service: it names its own address in `CF-Connecting-IP` (which Cloudflare's edge sets,
//! and the native server believes from the trusted loopback proxy), so each check spends
//! its own rate-limit budget and checks running side by side never limit each other.
//! Responses are read whole into a [`Reply`]; statuses are data, never errors.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use ureq::Agent;
use ureq::http::{HeaderMap, Request};
use vanish_core::api::{CreateResponse, ErrorBody};

use crate::Target;

/// A valid 12-byte iv in base64url.
pub const IV: &str = "AAECAwQFBgcICQoL";
/// A valid `encrypted` for secrets whose content does not matter.
pub const CIPHERTEXT: &str = "c2VjcmV0LWNpcGhlcnRleHQ";

/// A client of the service with an address of its own.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: Agent,
    ip: String,
}

/// How a raw request's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// With `Content-Length`.
    Declared,
    /// `Transfer-Encoding: chunked`: the size is known only by reading.
    Chunked,
}

/// A whole response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The next address from 198.18.0.0/15 (set aside for tests), starting at a random point
/// so that suites run twice against one deployment do not meet their own old budgets.
fn next_ipv4() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let _ = NEXT.compare_exchange(0, seed | 1, Ordering::SeqCst, Ordering::SeqCst);
    let n = NEXT.fetch_add(1, Ordering::SeqCst) % (1 << 17);
    Ipv4Addr::from((198u32 << 24) | (18 << 16) | n).to_string()
}

impl Client {
    /// A new client with a fresh IPv4 address.
    pub fn new(target: &Target) -> Self {
        Self::with_ip(target, &next_ipv4())
    }

    /// A client at `ip` (IPv4 or IPv6).
    pub fn with_ip(target: &Target, ip: &str) -> Self {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .max_redirects(0)
            // A fresh connection per request: a server may close a kept-alive connection
            // after answering early (a 429 before reading the body), and a POST on such a
            // connection cannot be retried.
            .max_idle_connections_per_host(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Self {
            base: target.base_url.clone(),
            agent: config.into(),
            ip: ip.to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method path` with extra `headers` and an optional body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> anyhow::Result<Reply> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("cf-connecting-ip", &self.ip);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = match body {
            Some(body) => self.agent.run(request.body(body.to_vec())?),
            None => self.agent.run(request.body(())?),
        }
        .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_vec()
            .with_context(|| format!("body of {method} {path}"))?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// POSTs a JSON `body` on a raw connection, framed as told, and returns the response's
    /// status (0 if the server closed without answering). A server may answer and stop
    /// reading before the body ends: write errors are expected and ignored.
    pub fn send_raw(&self, path: &str, body: &[u8], framing: Framing) -> anyhow::Result<u16> {
        let authority = self
            .base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("raw requests need an http:// base"))?;
        let mut stream = TcpStream::connect(authority)?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let length = match framing {
            Framing::Declared => format!("Content-Length: {}", body.len()),
            Framing::Chunked => "Transfer-Encoding: chunked".to_owned(),
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
             CF-Connecting-IP: {}\r\n{length}\r\nConnection: close\r\n\r\n",
            self.ip
        );
        let mut sent = stream.write_all(head.as_bytes());
        for chunk in body.chunks(64 * 1024) {
            if sent.is_err() {
                break;
            }
            sent = match framing {
                Framing::Declared => stream.write_all(chunk),
                Framing::Chunked => stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .and_then(|()| stream.write_all(chunk))
                    .and_then(|()| stream.write_all(b"\r\n")),
            };
        }
        if sent.is_ok() && framing == Framing::Chunked {
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response);
        Ok(text
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0))
    }

    pub fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.send("GET", path, &[], None)
    }

    pub fn head(&self, path: &str) -> anyhow::Result<Reply> {
        self.send("HEAD", path, &[], None)
    }

    pub fn post_json(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        let bytes = serde_json::to_vec(body)?;
        self.send(
            "POST",
            path,
            &[("content-type", "application/json")],
            Some(&bytes),
        )
    }

    pub fn create(&self, body: &Value) -> anyhow::Result<Reply> {
        self.post_json("/api/secrets", body)
    }

    /// Creates a secret from a valid body with `extra` fields merged in; expects 201.
    pub fn create_ok(&self, extra: Value) -> anyhow::Result<CreateResponse> {
        let mut body = json!({ "encrypted": CIPHERTEXT, "iv": IV });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let reply = self.create(&body)?;
        ensure!(
            reply.status == 201,
            "create answered {}: {}",
            reply.status,
            reply.text()
        );
        reply.json()
    }

    pub fn reveal_get(&self, id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/api/secrets/{id}"))
    }

    pub fn reveal_post(&self, id: &str, body: &Value) -> anyhow::Result<Reply> {
        self.post_json(&format!("/api/secrets/{id}/reveal"), body)
    }

    pub fn meta(&self, id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/api/secrets/{id}/meta"))
    }

    pub fn burn(&self, id: &str, token: &str) -> anyhow::Result<Reply> {
        self.post_json(
            &format!("/api/secrets/{id}/burn"),
            &json!({ "manageToken": token }),
        )
    }

    pub fn status(&self, id: &str, token: &str) -> anyhow::Result<Reply> {
        self.post_json(
            &format!("/api/secrets/{id}/status"),
            &json!({ "manageToken": token }),
        )
    }
}

impl Reply {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("body is not the expected JSON: {}", self.text()))
    }

    /// Expects exactly `status`; returns the reply for more checks.
    pub fn expect(self, status: u16) -> anyhow::Result<Self> {
        ensure!(
            self.status == status,
            "expected {status}, got {}: {}",
            self.status,
            self.text()
        );
        Ok(self)
    }

    /// Expects an error of `status` and `code` in the API's shape, with a message and the
    /// request id of the `X-Request-ID` header.
    pub fn expect_error(&self, status: u16, code: &str) -> anyhow::Result<ErrorBody> {
        ensure!(
            self.status == status,
            "expected {status} {code}, got {}: {}",
            self.status,
            self.text()
        );
        let body: ErrorBody = self.json()?;
        ensure!(body.error == code, "expected {code}, got {}", body.error);
        ensure!(!body.message.is_empty(), "{code} without a message");
        ensure!(
            Some(body.request_id.as_str()) == self.header("x-request-id"),
            "requestId {:?} is not the X-Request-ID header {:?}",
            body.request_id,
            self.header("x-request-id")
        );
        Ok(body)
    }
}

/// Milliseconds since the epoch by this machine's clock (the deployments under test run on
/// it too).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
