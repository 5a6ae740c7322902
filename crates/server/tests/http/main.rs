//! HTTP tests of the native server that need its insides: the injected clock, a faulty
//! store, its SQLite file, its metrics, raw sockets. The real server on a real socket (see
//! `common`), one module per concern. What every deployment must do alike is the
//! conformance suite's (crates/conformance).

mod common;
mod faulty_store;

mod breaker;
mod connections;
mod create_access;
mod expiry;
mod metrics;
mod openapi;
mod passphrase;
mod rate_limits;
mod readiness;
mod receipts;
mod request_limits;
mod single_flight;
mod slowloris;
mod ui_dir;
