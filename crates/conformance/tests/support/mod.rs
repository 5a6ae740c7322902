//! Starting deployments for the conformance suite: the native server in process (on
//! SQLite, or on a `redis-server` of its own), and the Worker under `wrangler dev --local`.
//! Each takes the suite's settings (`vanish_conformance::profile::SETTINGS`).

#![allow(dead_code)] // each test target uses part of this module

pub mod native;
pub mod worker;

use std::io::Write;

/// Whether a missing dependency must fail the run (`VANISH_REQUIRE_ALL=1`, set in CI).
pub fn require_all() -> bool {
    std::env::var("VANISH_REQUIRE_ALL").as_deref() == Ok("1")
}

/// Says loudly that a deployment was skipped, on the process's stderr (a passing run's
/// output must show it); panics instead under `VANISH_REQUIRE_ALL=1`.
pub fn skip(why: &str) {
    if require_all() {
        panic!("{why}, and VANISH_REQUIRE_ALL=1");
    }
    let line = format!("\n*** SKIPPED {why} ***\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}
