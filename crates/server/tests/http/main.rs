//! HTTP API tests: the real server on a real socket (see `common`), one module per concern.

mod common;
mod faulty_store;

mod bad_input;
mod breaker;
mod connections;
mod cors_and_headers;
mod create_access;
mod expiry;
mod lifecycle;
mod metrics;
mod openapi;
mod passphrase;
mod race;
mod rate_limits;
mod readiness;
mod request_limits;
mod single_flight;
mod slowloris;
mod ui_dir;
