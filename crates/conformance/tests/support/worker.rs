//! The Worker under `wrangler dev --local` (workerd on this machine: no Cloudflare account,
//! no network). [`tools_ready`] checks what building and running it takes (the wasm32
//! target, `worker-build` and `wasm-bindgen` 0.2.130 from crates.io, wrangler, wasm-opt and
//! esbuild from `npm ci` in crates/worker); [`build`] runs the Worker's `build.sh`;
//! [`WranglerDev`] runs one `wrangler dev` in its own process group with a state folder
//! (`--persist-to`) and the suite's settings as `--var`s.

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::free_port;

/// The exact wasm-bindgen the `worker` crate's pin needs.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

pub fn worker_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../worker")
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let installed = home.join(".cargo/bin").join(name);
    if installed.exists() {
        installed
    } else {
        PathBuf::from(name)
    }
}

fn prints(program: &Path, arg: &str, expected: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(expected))
}

/// What is missing to build and run the Worker, if anything.
pub fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if !Path::new(&sysroot)
        .join("lib/rustlib/wasm32-unknown-unknown")
        .exists()
    {
        missing.push("the wasm32-unknown-unknown target (rustup target add)".to_owned());
    }
    if !prints(&cargo_bin("worker-build"), "--version", "") {
        missing.push("worker-build (cargo install worker-build@0.8.7)".to_owned());
    }
    if !prints(
        &cargo_bin("wasm-bindgen"),
        "--version",
        WASM_BINDGEN_VERSION,
    ) {
        missing.push(format!(
            "wasm-bindgen {WASM_BINDGEN_VERSION} (cargo install wasm-bindgen-cli@{WASM_BINDGEN_VERSION})"
        ));
    }
    for tool in ["wrangler", "wasm-opt", "esbuild"] {
        if !worker_dir().join("node_modules/.bin").join(tool).exists() {
            missing.push(format!("{tool} (npm ci in crates/worker)"));
        }
    }
    missing
}

/// Whether the Worker can be built and run here; says SKIPPED (or panics under
/// `VANISH_REQUIRE_ALL=1`) when not.
pub fn tools_ready(what: &str) -> bool {
    let missing = missing_tools();
    if missing.is_empty() {
        return true;
    }
    super::skip(&format!("{what}: missing {}", missing.join(", ")));
    false
}

/// Builds the Worker once per process (`crates/worker/build.sh`); the log goes to
/// `crates/worker/target/build.log`.
pub fn build() -> anyhow::Result<()> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT
        .get_or_init(|| run_build().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn run_build() -> anyhow::Result<()> {
    let dir = worker_dir();
    std::fs::create_dir_all(dir.join("target"))?;
    let log = dir.join("target/build.log");
    let out = File::create(&log)?;
    let status = Command::new("bash")
        .arg(dir.join("build.sh"))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .context("running crates/worker/build.sh")?;
    if !status.success() {
        bail!("building the Worker failed:\n{}", tail(&log));
    }
    Ok(())
}

/// The last lines of a log, for error messages.
fn tail(log: &Path) -> String {
    let mut text = String::new();
    let _ = File::open(log).and_then(|mut f| f.read_to_string(&mut text));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Where a test's Worker finds its Durable Objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objects {
    /// Its own, as deployed.
    Local,
    /// Bound to a Worker that does not run: every object call fails at once.
    Unreachable,
}

/// Writes a wrangler configuration into `dir` for a test run: the Worker's own
/// `wrangler.toml` with absolute paths and without its build step, so `wrangler dev`
/// neither rebuilds nor watches `src/` and restarts mid-test ([`build`] has built it).
pub fn config(dir: &Path, objects: Objects) -> anyhow::Result<PathBuf> {
    let worker = worker_dir().canonicalize()?;
    let original = std::fs::read_to_string(worker.join("wrangler.toml"))?;
    let mut lines = Vec::new();
    let mut skipping = false;
    for line in original.lines() {
        if line.starts_with('[') {
            skipping =
                line == "[build]" || (objects == Objects::Unreachable && line == "[[migrations]]");
        }
        if skipping {
            continue;
        }
        lines.push(match line {
            r#"main = "build/index.js""# => {
                format!(
                    "main = {:?}",
                    worker.join("build/index.js").display().to_string()
                )
            }
            r#"directory = "../../web""# => {
                let web = worker.join("../../web").canonicalize()?;
                format!("directory = {:?}", web.display().to_string())
            }
            _ => line.to_owned(),
        });
        if objects == Objects::Unreachable && line.starts_with("class_name = ") {
            lines.push(r#"script_name = "vanish-objects-unreachable""#.to_owned());
        }
    }
    let path = dir.join("wrangler.toml");
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(path)
}

/// One `wrangler dev --local`, killed (its whole process group) when dropped.
pub struct WranglerDev {
    pub base_url: String,
    child: Child,
    log: PathBuf,
}

impl WranglerDev {
    /// Starts `wrangler dev` with `config` (from [`config`]) on a free port, its state in
    /// `persist_to` and `vars` as Worker variables; waits until `/healthz` answers.
    pub fn start(
        config: &Path,
        persist_to: &Path,
        vars: &[(&str, &str)],
        log: &Path,
    ) -> anyhow::Result<Self> {
        let dir = worker_dir();
        let port = free_port();
        // One file for both streams, so neither overwrites the other.
        let out = File::create(log)?;
        let mut command = Command::new(dir.join("node_modules/.bin/wrangler"));
        command
            .args(["dev", "--local", "--ip", "127.0.0.1"])
            .arg("--config")
            .arg(config)
            .args(["--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(persist_to)
            .arg("--show-interactive-dev-session=false")
            // At info level wrangler follows every request through its inspector and
            // prints it; under a 32-reader race that load makes its local proxy drop
            // connections. The Worker's warnings and errors still show.
            .arg("--log-level=warn")
            .current_dir(&dir)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            // Its own process group, so stopping it stops workerd too.
            .process_group(0);
        for (name, value) in vars {
            command.arg("--var").arg(format!("{name}:{value}"));
        }
        let child = command.spawn().context("starting wrangler dev")?;
        let mut dev = Self {
            base_url: format!("http://127.0.0.1:{port}"),
            child,
            log: log.to_owned(),
        };
        dev.wait_healthy(port)?;
        Ok(dev)
    }

    fn wait_healthy(&mut self, port: u16) -> anyhow::Result<()> {
        // The first start may compile the Worker (build.sh is wrangler's build command).
        let deadline = Instant::now() + Duration::from_secs(600);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("wrangler dev exited ({status}):\n{}", tail(&self.log));
            }
            if healthz_ok(port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("wrangler dev did not answer /healthz:\n{}", tail(&self.log))
    }

    /// SIGKILL to the whole process group: wrangler and workerd stop with no chance to
    /// flush anything, as in a crash.
    pub fn kill(mut self) {
        self.kill_group();
    }

    fn kill_group(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WranglerDev {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// A raw HTTP/1.1 GET of `/healthz`.
fn healthz_ok(port: u16) -> bool {
    use std::io::Write;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}
