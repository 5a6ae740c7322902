//! The conformance suite against the native server on its embedded SQLite store (the
//! single-node deployment).

mod support;

use std::process::ExitCode;

use libtest_mimic::Arguments;
use support::native::Native;
use vanish_conformance::{Target, run};

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let placeholder = Target {
        base_url: String::new(),
        name: "sqlite".into(),
    };
    if args.list {
        return run(&args, placeholder).exit_code();
    }
    let native = Native::start(&[]).expect("the native server starts on SQLite");
    let target = Target {
        base_url: native.base_url.clone(),
        ..placeholder
    };
    let conclusion = run(&args, target);
    native.stop();
    conclusion.exit_code()
}
