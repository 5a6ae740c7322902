//! Runs the real `vanish` binary as a server for process-level tests (crash, shutdown,
//! CLI): a free port on 127.0.0.1, a data dir the caller owns, readiness by `/healthz`.

#![allow(dead_code)] // each test binary uses part of this module

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    pub base: String,
    child: Child,
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

impl ServerProcess {
    /// Starts `vanish serve` on `port` with its store in `data_dir`, plus `env` (which wins
    /// over the defaults here), and waits until it answers `/healthz`. Its logs are
    /// discarded. The server sees only these variables, never the caller's environment
    /// (a developer's `REDIS_URL` must not change what a test runs against).
    pub fn start(data_dir: &Path, port: u16, env: &[(&str, &str)]) -> Self {
        Self::spawn(data_dir, port, env, Stdio::null())
    }

    /// Like [`ServerProcess::start`], with the server's log (stderr) written to `log`.
    pub fn start_logged(data_dir: &Path, port: u16, env: &[(&str, &str)], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn(data_dir, port, env, Stdio::from(file))
    }

    fn spawn(data_dir: &Path, port: u16, env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vanish"));
        command
            .arg("serve")
            .env_clear()
            .env("VANISH_ADDR", format!("127.0.0.1:{port}"))
            .env("VANISH_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            // Every request of a test comes from 127.0.0.1: budgets high enough that only
            // the tests about limits (which pass their own) ever meet them.
            .env("RATE_LIMIT_CREATE_PER_WINDOW", "1000000000")
            .env("RATE_LIMIT_READ_PER_WINDOW", "1000000000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("vanish binary starts");
        let server = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = self.base.trim_start_matches("http://").to_owned();
        while Instant::now() < deadline {
            if healthz_ok(&addr) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("vanish serve did not become healthy at {}", self.base);
    }

    /// Runs `vanish serve` as [`ServerProcess::start`] would, but expects it to refuse to
    /// start: waits up to `limit` for it to exit and returns its status and stderr, or
    /// `None` (after killing it) if it was still running.
    pub fn refused(
        data_dir: &Path,
        env: &[(&str, &str)],
        limit: Duration,
    ) -> Option<(ExitStatus, String)> {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("stderr.log");
        let file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_vanish"));
        command
            .arg("serve")
            .env_clear()
            .env("VANISH_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("VANISH_DATA_DIR", data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file));
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("vanish binary starts");
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("wait") {
                return Some((status, std::fs::read_to_string(&log).unwrap_or_default()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill_hard(mut self) {
        self.child.kill().expect("SIGKILL delivered");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then waits for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM delivered");
        self.child.wait().expect("reaped")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.1 GET of `/healthz`, so readiness needs no client library.
fn healthz_ok(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}
