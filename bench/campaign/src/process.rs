//! The processes a campaign runs against: `vanish serve` instances and a private
//! `redis-server`, each on a free port of 127.0.0.1 with its own data dir, started with
//! only the settings given here (never the caller's environment) and killed with SIGKILL
//! when the campaign says so or when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A port that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// One running `vanish serve`.
pub struct Vanish {
    pub base: String,
    child: Child,
}

impl Vanish {
    /// Starts `binary serve` on a free port with its store in `data_dir` (SQLite) or on
    /// `redis_url`, rate budgets far above anything a campaign sends (every request comes
    /// from 127.0.0.1), and waits until it answers `/healthz`.
    pub async fn start(
        binary: &Path,
        data_dir: &Path,
        redis_url: Option<&str>,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("log {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_clear()
            .env("VANISH_ADDR", format!("127.0.0.1:{port}"))
            .env("VANISH_DATA_DIR", data_dir)
            .env("LOG_LEVEL", "warn")
            .env("RATE_LIMIT_CREATE_PER_WINDOW", "1000000000")
            .env("RATE_LIMIT_READ_PER_WINDOW", "1000000000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(url) = redis_url {
            command.env("REDIS_URL", url);
        }
        let child = command
            .spawn()
            .with_context(|| format!("{} serve", binary.display()))?;
        let server = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}/healthz", self.base);
        while Instant::now() < deadline {
            if http.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("vanish at {} did not become healthy", self.base)
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Vanish {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private `redis-server` with the durability docs/operations.md asks for
/// (`appendonly yes`, `appendfsync always`), restartable on the same port and data dir.
pub struct Redis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut redis = Self {
            port: free_port()?,
            dir: dir.to_path_buf(),
            child: None,
        };
        redis.spawn()?;
        Ok(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))?;
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", &self.dir.to_string_lossy()])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .context("redis-server (is it on PATH?)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("redis-server on port {} did not answer PING", self.port)
    }

    /// SIGKILL, then a new server on the same port and data dir (it replays its AOF).
    pub fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.spawn()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `PING` in RESP over a plain socket, so readiness needs no Redis client.
fn ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}
