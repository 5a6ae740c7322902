//! The conformance suite against the native server on Redis (the many-node deployment),
//! with a `redis-server` of its own on a free port. Without `redis-server` it says SKIPPED
//! (and fails under `VANISH_REQUIRE_ALL=1`).

#[path = "../../server/tests/support/redis.rs"]
mod redis_support;
mod support;

use std::process::ExitCode;

use libtest_mimic::Arguments;
use redis_support::RedisServer;
use support::native::Native;
use vanish_conformance::{Target, run};

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let placeholder = Target {
        base_url: String::new(),
        name: "redis".into(),
    };
    if args.list {
        return run(&args, placeholder).exit_code();
    }
    let Some(redis) = RedisServer::start() else {
        return ExitCode::SUCCESS;
    };
    let native =
        Native::start(&[("REDIS_URL", &redis.url())]).expect("the native server starts on Redis");
    let target = Target {
        base_url: native.base_url.clone(),
        ..placeholder
    };
    let conclusion = run(&args, target);
    native.stop();
    drop(redis);
    conclusion.exit_code()
}
