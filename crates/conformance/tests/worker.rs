//! The conformance suite against the Worker under `wrangler dev --local`, with its
//! Durable Objects persisted to a temp folder. Without the Worker's build tools it says
//! SKIPPED (and fails under `VANISH_REQUIRE_ALL=1`).

mod support;

use std::process::ExitCode;

use libtest_mimic::Arguments;
use support::worker::{WranglerDev, build, tools_ready};
use vanish_conformance::profile::SETTINGS;
use vanish_conformance::{Target, run};

fn main() -> ExitCode {
    let args = Arguments::from_args();
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
    let dev = WranglerDev::start(&state.path().join("state"), SETTINGS, &log)
        .expect("wrangler dev starts");
    let target = Target {
        base_url: dev.base_url.clone(),
        ..placeholder
    };
    let conclusion = run(&args, target);
    dev.kill();
    conclusion.exit_code()
}
