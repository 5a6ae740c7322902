//! HTTP API tests: the real server on a real socket (see `common`), one module per concern.

mod common;

mod bad_input;
mod cors_and_headers;
mod expiry;
mod lifecycle;
mod passphrase;
mod race;
