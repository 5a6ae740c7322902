//! vanish-conformance: one black-box suite over HTTP that every deployment of vanish
//! passes, parametrised by a base URL. It knows nothing of the server it talks to beyond
//! the settings of [`profile`], which every deployment under test runs with.
//!
//! Map:
//! - [`profile`]: the settings a deployment runs with for the suite (small rate budgets,
//!   a short minimum TTL, an allowed origin), as variable names and values.
//! - [`client`]: a small blocking HTTP client; each [`client::Client`] is one client
//!   address (`CF-Connecting-IP`), so checks never share a rate-limit budget by accident.
//! - [`checks`]: the checks, one module per concern (the original API and the lifecycle,
//!   passphrases, bad input, limits on request shape, the race, expiry, rate limits and
//!   bans, headers and CORS, the web UI).
//! - [`run`]: runs every check against a base URL as a libtest-style test run.
//!
//! The test targets in `tests/` start each deployment (the native server on SQLite and on
//! Redis, the Worker under `wrangler dev --local`) and call [`run`].

pub mod checks;
pub mod client;
pub mod profile;

use std::sync::Arc;

use libtest_mimic::{Arguments, Conclusion, Failed, Trial};

/// A deployment under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://host:port`, no trailing slash.
    pub base_url: String,
    /// Which deployment this is, for names in the output (`sqlite`, `redis`, `worker`).
    pub name: String,
}

/// One check: a name that reads as a sentence, and the function that runs it.
pub struct Check {
    pub name: &'static str,
    pub run: fn(&Target) -> anyhow::Result<()>,
}

/// Runs every check (filtered by `args`, as `cargo test NAME` does) against `target`.
pub fn run(args: &Arguments, target: Target) -> Conclusion {
    let target = Arc::new(target);
    let trials = checks::all()
        .into_iter()
        .map(|check| {
            let kind = target.name.clone();
            let target = Arc::clone(&target);
            Trial::test(check.name, move || {
                (check.run)(&target).map_err(|e| Failed::from(format!("{e:#}")))
            })
            .with_kind(kind)
        })
        .collect();
    libtest_mimic::run(args, trials)
}

/// Whether `args` only lists tests (`cargo test -- --list`), so no deployment is needed.
pub fn only_lists(args: &Arguments) -> bool {
    args.list
}
