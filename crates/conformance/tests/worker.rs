//! The conformance suite against the Worker under `wrangler dev --local`, with its
//! Durable Objects persisted to a temp folder. Without the Worker's build tools it says
//! SKIPPED (and fails under `VANISH_REQUIRE_ALL=1`).

mod support;

use std::process::ExitCode;

use libtest_mimic::Arguments;
use support::worker::{Objects, WranglerDev, build, config, tools_ready};
use vanish_conformance::profile::SETTINGS;
use vanish_conformance::{Target, run};

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // One check at a time unless told otherwise: wrangler dev's local proxy drops
    // connections under two 32-reader races at once (64 requests in flight), which would
    // test the local tool rather than the Worker.
    args.test_threads.get_or_insert(1);
    let placeholder = Target {
        base_url: String::new(),
        name: "worker".into(),
    };
    if args.list {
        return run(&args, placeholder).exit_code();
    }
    if !tools_ready("conformance suite on the Worker") {
        return ExitCode::SUCCESS;
    }
    build().expect("the Worker builds");
    let state = tempfile::tempdir().expect("temp dir");
    let log = state.path().join("wrangler.log");
    let config = config(state.path(), Objects::Local).expect("a wrangler configuration");
    let dev = WranglerDev::start(&config, &state.path().join("state"), SETTINGS, &log)
        .expect("wrangler dev starts");
    let target = Target {
        base_url: dev.base_url.clone(),
        ..placeholder
    };
    let conclusion = run(&args, target);
    dev.kill();
    if conclusion.has_failed() {
        // The Worker's own account (its warnings and 5xx lines, with their causes) and
        // wrangler's.
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        for line in log.lines() {
            eprintln!("wrangler dev: {line}");
        }
    }
    conclusion.exit_code()
}
