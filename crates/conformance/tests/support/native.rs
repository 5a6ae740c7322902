//! The native server in this process, on a real socket, configured exactly as `vanish
//! serve` would be with the suite's settings as flags: SQLite in a temp dir, or Redis when
//! a `REDIS_URL` is given.

use std::sync::Arc;

use clap::{Args, FromArgMatches};
use tempfile::TempDir;
use tokio::runtime::Runtime;
use vanish_conformance::profile::SETTINGS;
use vanish_server::clock::SystemClock;
use vanish_server::{Config, Server, app};

/// A running native server; stopped by [`Native::stop`].
pub struct Native {
    pub base_url: String,
    runtime: Runtime,
    server: Server,
    _dir: TempDir,
}

impl Native {
    /// Starts `vanish serve` in process with the suite's settings plus `extra` (`NAME`,
    /// value) pairs.
    pub fn start(extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut argv = vec!["vanish".to_owned()];
        let data_dir = dir.path().display().to_string();
        let fixed = [
            ("VANISH_ADDR", "127.0.0.1:0"),
            ("VANISH_DATA_DIR", data_dir.as_str()),
            ("METRICS_LOG_INTERVAL_S", "0"),
        ];
        for (name, value) in SETTINGS.iter().chain(&fixed).chain(extra) {
            argv.push(format!("--{}", name.to_lowercase().replace('_', "-")));
            argv.push((*value).to_owned());
        }
        // The flags alone: the caller's environment must not leak into the deployment.
        let command =
            Config::augment_args(clap::Command::new("vanish")).mut_args(|arg| arg.env(None));
        let config = Config::from_arg_matches(&command.try_get_matches_from(&argv)?)?;
        config.validate()?;
        let runtime = Runtime::new()?;
        let server = runtime.block_on(async {
            let deps = app::open_deps(&config, Arc::new(SystemClock)).await?;
            anyhow::Ok(Server::start(&config, deps).await?)
        })?;
        Ok(Self {
            base_url: format!("http://{}", server.addr()),
            runtime,
            server,
            _dir: dir,
        })
    }

    pub fn stop(self) {
        let Self {
            runtime, server, ..
        } = self;
        if let Err(e) = runtime.block_on(server.shutdown()) {
            eprintln!("native server did not stop cleanly: {e}");
        }
    }
}
