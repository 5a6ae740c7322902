//! vanish-client: the blocking HTTP + crypto client behind the `vanish` CLI, usable as a
//! library by anything that wants to send or read vanish secrets without a browser.
//!
//! Map:
//! - [`api_token`]: [`ApiToken`], the bearer credential a server may require to create.
//! - [`client`]: [`Client`] and its operations (send, meta, reveal, status, burn), the
//!   server URL type and the request bodies. Secrets are sealed and opened here, on the
//!   caller's machine, with [`vanish_core::envelope`].
//! - [`error`]: [`Error`], one variant per outcome a caller can act on, classified from the
//!   API's status and error code.
//! - [`escape`]: makes text from a server (or a secret) safe to print on a terminal.
//! - [`receipt`]: the sender's side: a secret's address without its key, receipt links,
//!   and what `status`/`burn` accept as a target.
//!
//! Blocking by design (`ureq`, no async runtime): the CLI does one request at a time.
//! Randomness comes from the OS via `getrandom`.

pub mod api_token;
pub mod client;
pub mod error;
pub mod escape;
pub mod receipt;

pub use api_token::ApiToken;
pub use client::{Client, Revealed, SendOptions, Sent, Server};
pub use error::{CreateRefusal, Error};
pub use receipt::{ManageTarget, SecretAddress};
pub use vanish_core::envelope::Link;
pub use vanish_core::payload::FileInfo;
