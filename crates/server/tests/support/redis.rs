//! Real `redis-server` processes for tests, never the machine's shared Redis: each server
//! gets a free port and its own temp dir, runs with `appendonly yes` and `appendfsync
//! always` (what docs/operations.md recommends), and is killed when dropped.
//!
//! When `redis-server` or `redis-cli` is not on PATH, [`RedisServer::start`] prints a loud
//! SKIPPED line and returns `None`; with `VANISH_REQUIRE_ALL=1` (CI) it panics instead.

#![allow(dead_code)] // each test binary uses part of this module

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use vanish_server::store::redis::{RedisConnection, RedisOptions, RedisTarget};

/// A vanish Redis connection to `url` (any form `REDIS_URL` takes).
pub fn connect(url: &str, options: RedisOptions) -> RedisConnection {
    let target = RedisTarget::parse(url).expect("test URL parses");
    RedisConnection::open(&target, options).expect("client builds")
}

/// Whether `redis-server` and `redis-cli` can run here; says so loudly when not, and fails
/// when `VANISH_REQUIRE_ALL=1`.
pub fn redis_available(what: &str) -> bool {
    let runs = |bin: &str| {
        Command::new(bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if runs("redis-server") && runs("redis-cli") {
        return true;
    }
    if std::env::var("VANISH_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{what}: redis-server/redis-cli not on PATH and VANISH_REQUIRE_ALL=1");
    }
    skipped(&format!("{what}: redis-server/redis-cli not on PATH"));
    false
}

/// Writes straight to the process's stderr: the test harness captures `eprintln!`, and a
/// skip must show in the output of a passing run.
fn skipped(why: &str) {
    let line = format!("\n*** SKIPPED {why} ***\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// A key prefix no other test uses, so tests can share one Redis.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "test{}-{}:vanish",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// One `redis-server` child process.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
    _temp: Option<tempfile::TempDir>,
}

impl RedisServer {
    /// A fresh server in a new temp dir; `None` (after a SKIPPED line) without Redis.
    pub fn start() -> Option<Self> {
        Self::start_with_args(&[])
    }

    /// As [`Self::start`], with extra `redis-server` arguments.
    pub fn start_with_args(extra: &[&str]) -> Option<Self> {
        if !redis_available("Redis-backed test") {
            return None;
        }
        let temp = tempfile::tempdir().expect("temp dir");
        let mut server = Self {
            port: free_port(),
            dir: temp.path().to_path_buf(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
            _temp: Some(temp),
        };
        server.spawn();
        Some(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn spawn(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "yes"])
            .args(["--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--logfile", "redis.log"])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = Some(command.spawn().expect("redis-server starts"));
        self.wait_ready();
    }

    /// Waits until the server answers PING with PONG (not LOADING).
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if command(self.port, "PING").is_some_and(|r| r.starts_with("+PONG")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "redis-server on port {} not ready; log: {}",
            self.port,
            std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
        );
    }

    fn signal(&self, signal: &str) {
        let pid = self.pid().expect("server running").to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {signal} delivered");
    }

    /// SIGSTOP: the server hangs with its sockets open (a frozen host).
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT after [`Self::pause`].
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// SIGKILL: gone at once, no shutdown; connections are refused afterwards.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port and dir, so it reloads its append-only file.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Runs `redis-cli -p PORT ARGS…` and returns its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends one inline command and returns the first reply line, or `None` if the server
/// does not answer within a second.
fn command(port: u16, line: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(format!("{line}\r\n").as_bytes()).ok()?;
    let mut reply = [0u8; 256];
    let n = stream.read(&mut reply).ok()?;
    Some(String::from_utf8_lossy(&reply[..n]).into_owned())
}

/// A throw-away certificate authority and a server certificate it signed for `localhost`
/// and `127.0.0.1`, made with the `openssl` command, for `rediss://` tests.
pub struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    /// `None` (after a SKIPPED line) without `openssl`; a failure under
    /// `VANISH_REQUIRE_ALL=1`.
    pub fn generate() -> Option<Self> {
        let has_openssl = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_openssl {
            if std::env::var("VANISH_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!("TLS test: openssl not on PATH and VANISH_REQUIRE_ALL=1");
            }
            skipped("TLS test: openssl not on PATH");
            return None;
        }
        let ca = Self {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::write(
            ca.path("san.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .expect("write extension file");
        ca.openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=vanish-test-ca -keyout ca.key -out ca.crt");
        ca.openssl(
            "req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr",
        );
        ca.openssl("x509 -req -days 2 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -extfile san.cnf -out server.crt");
        Some(ca)
    }

    fn openssl(&self, args: &str) {
        let output = Command::new("openssl")
            .args(args.split(' '))
            .current_dir(self.dir.path())
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {args}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// The CA certificate, PEM: what a client must trust.
    pub fn ca_cert(&self) -> PathBuf {
        self.path("ca.crt")
    }

    /// `redis-server` arguments that add a TLS listener on `port` with this CA's server
    /// certificate (clients need no certificate of their own).
    pub fn redis_args(&self, port: u16) -> Vec<String> {
        let path = |f: &str| self.path(f).to_string_lossy().into_owned();
        vec![
            "--tls-port".into(),
            port.to_string(),
            "--tls-cert-file".into(),
            path("server.crt"),
            "--tls-key-file".into(),
            path("server.key"),
            "--tls-ca-cert-file".into(),
            path("ca.crt"),
            "--tls-auth-clients".into(),
            "no".into(),
        ]
    }
}

/// A local Redis Cluster of three masters and no replicas.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three cluster-enabled servers and joins them with `redis-cli --cluster
    /// create`; `None` (after a SKIPPED line) without Redis.
    pub fn start() -> Option<Self> {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let bus = free_port().to_string();
            let args = ["--cluster-enabled", "yes", "--cluster-port", &bus];
            nodes.push(RedisServer::start_with_args(&args)?);
        }
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli --cluster create runs");
        assert!(
            created.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        let cluster = Self { nodes };
        cluster.wait_ok();
        Some(cluster)
    }

    fn wait_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for node in &self.nodes {
            while !node.cli(&["cluster", "info"]).contains("cluster_state:ok") {
                assert!(Instant::now() < deadline, "cluster did not become ok");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }
}

/// A primary, one replica and one Sentinel watching them under the name `vanish`, quick
/// to declare the primary down (500 ms) so failover tests are short.
pub struct RedisSentinel {
    pub primary: RedisServer,
    pub replica: RedisServer,
    sentinel_port: u16,
    sentinel: Child,
    _dir: tempfile::TempDir,
}

impl RedisSentinel {
    /// `None` (after a SKIPPED line) without Redis.
    pub fn start() -> Option<Self> {
        let primary = RedisServer::start()?;
        let primary_port = primary.port().to_string();
        let replica = RedisServer::start_with_args(&["--replicaof", "127.0.0.1", &primary_port])?;
        let dir = tempfile::tempdir().expect("temp dir");
        let sentinel_port = free_port();
        let config = format!(
            "port {sentinel_port}\nbind 127.0.0.1\ndir {dir}\nlogfile sentinel.log\n\
             sentinel monitor vanish 127.0.0.1 {primary_port} 1\n\
             sentinel down-after-milliseconds vanish 500\n\
             sentinel failover-timeout vanish 5000\n",
            dir = dir.path().display()
        );
        let config_path = dir.path().join("sentinel.conf");
        std::fs::write(&config_path, config).expect("write sentinel.conf");
        let sentinel = Command::new("redis-server")
            .arg(&config_path)
            .arg("--sentinel")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server --sentinel starts");
        let set = Self {
            primary,
            replica,
            sentinel_port,
            sentinel,
            _dir: dir,
        };
        set.wait_until_watching();
        Some(set)
    }

    /// Waits until the Sentinel answers and knows the replica, so a failover can happen.
    fn wait_until_watching(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let replica = format!("{}", self.replica.port());
        loop {
            let known = Command::new("redis-cli")
                .args(["-p", &self.sentinel_port.to_string()])
                .args(["sentinel", "replicas", "vanish"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            if known.lines().any(|l| l.trim() == replica) {
                return;
            }
            assert!(Instant::now() < deadline, "Sentinel never saw the replica");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `redis+sentinel://127.0.0.1:PORT/vanish`.
    pub fn url(&self) -> String {
        format!("redis+sentinel://127.0.0.1:{}/vanish", self.sentinel_port)
    }

    /// The port the Sentinel currently names as the primary's.
    pub fn primary_port(&self) -> Option<u16> {
        let output = Command::new("redis-cli")
            .args(["-p", &self.sentinel_port.to_string()])
            .args(["sentinel", "get-master-addr-by-name", "vanish"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .nth(1)?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        let _ = self.sentinel.kill();
        let _ = self.sentinel.wait();
    }
}

/// One Sentinel set shared by the tests that run at the same time, like [`shared_cluster`].
pub fn shared_sentinel() -> Option<Arc<RedisSentinel>> {
    static SHARED: Mutex<Weak<RedisSentinel>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(set) = shared.upgrade() {
        return Some(set);
    }
    let set = Arc::new(RedisSentinel::start()?);
    *shared = Arc::downgrade(&set);
    Some(set)
}

/// One cluster shared by the tests that run at the same time; it is killed when the last
/// of them drops its handle (a static would outlive the test process's cleanup and leak
/// three servers), and the next test starts a new one.
pub fn shared_cluster() -> Option<Arc<RedisCluster>> {
    static SHARED: Mutex<Weak<RedisCluster>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(cluster) = shared.upgrade() {
        return Some(cluster);
    }
    let cluster = Arc::new(RedisCluster::start()?);
    *shared = Arc::downgrade(&cluster);
    Some(cluster)
}
