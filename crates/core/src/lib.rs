//! vanish-core: the logic every vanish deployment shares, with no IO and no async runtime,
//! so it builds for native servers, the CLI and `wasm32-unknown-unknown` (a Cloudflare Worker).
//!
//! Map:
//! - [`access`]: who may create secrets (open, API tokens, a proxy's identity, closed).
//! - [`id`]: secret ids and manage tokens (generation from caller-supplied entropy, parsing,
//!   hashing, constant-time comparison).
//! - [`envelope`]: AES-256-GCM sealing, the passphrase derivation and share links
//!   (`docs/envelope.md`).
//! - [`payload`]: what the envelope holds: the bytes alone, or a file with its name and
//!   media type (`docs/envelope.md`).
//! - [`error`]: the API's error codes and their HTTP statuses.
//! - [`limits`]: the tunable bounds (TTL, views, sizes) with the original service's defaults.
//! - [`validate`]: turns a create/manage/reveal request body into typed, valid values.
//! - [`api`]: the JSON shapes of responses, camelCase as the original API.
//! - [`receipt`]: the sender's view of a secret's life (pending, viewed, burned, expired).
//! - [`clock`]: the time source, injected so tests control it.
//! - [`headers`]: security headers and `security.txt`.
//! - [`ratelimit`]: client keys, rate-window and abuse-ban maths, the rate-limit headers.
//! - [`routes`]: the API's route templates, methods, and which budget each spends.
//! - [`cors`]: origin normalisation and the cross-origin verdict.
//! - [`breaker`]: the circuit-breaker state machine.
//! - [`secret`]: one stored secret as a value and what reveal, burn and status do to it.
//! - [`request`]: request-shape rules every host applies (request ids, header bytes).
//! - [`settings`]: checks of the settings every host shares, naming the variable.
//! - [`decision_cache`]: the rate-limit decision cache's rules (what is kept, how long).
//!
//! Randomness is the caller's: functions that need it take bytes, so this crate never
//! touches the OS.

pub mod access;
pub mod api;
pub mod breaker;
pub mod clock;
pub mod cors;
pub mod decision_cache;
pub mod envelope;
pub mod error;
pub mod headers;
pub mod id;
pub mod limits;
pub mod payload;
pub mod ratelimit;
pub mod receipt;
pub mod request;
pub mod routes;
pub mod secret;
pub mod settings;
pub mod validate;
