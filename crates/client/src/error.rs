//! What can go wrong talking to a vanish server, as variants a caller can act on.
//!
//! HTTP answers are classified here, once, from their status and the API's error code
//! (docs/api.md, "Errors"); the operations in [`crate::client`] never look at status codes. No
//! variant carries a link, key, passphrase or plaintext, and any text that came from the
//! server (error codes, messages, parse errors quoting a body) has its control characters
//! escaped ([`crate::escape`]), so every message is safe to print on a terminal.

use std::time::Duration;

use vanish_core::api::ErrorBody;
use vanish_core::envelope::{LinkError, OpenError};

use crate::escape;
use crate::receipt::TargetError;

/// Everything a client operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The link could not be parsed (the reason never quotes the link).
    #[error("bad link: {0}")]
    BadLink(#[from] LinkError),
    /// What `status` or `burn` was pointed at is not a receipt link, share link or id.
    #[error("bad receipt link or id: {0}")]
    BadTarget(#[from] TargetError),
    /// The server URL is not an `http://` or `https://` URL.
    #[error("bad server URL: it must start with http:// or https://")]
    BadServer,
    /// Not found, expired, already viewed or burned: the API does not say which.
    #[error("secret not found: it never existed, expired, was already viewed, or was burned")]
    NotFound,
    /// The secret needs a passphrase and none was available.
    #[error("this secret needs a passphrase")]
    PassphraseRequired,
    /// The passphrase was wrong; the secret was not consumed.
    #[error("wrong passphrase (the secret was not consumed; after 5 wrong tries it is burned)")]
    PassphraseInvalid,
    /// The manage token does not belong to this secret.
    #[error("forbidden: the manage token does not match this secret")]
    Forbidden,
    /// Too many requests from this client; try again after `retry_after`.
    #[error("rate limited by the server{}", retry_hint(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// This client is banned for abuse for a while.
    #[error("this client is temporarily banned by the server{}", retry_hint(*.retry_after))]
    Banned { retry_after: Option<Duration> },
    /// The server is up but its storage is not (`STORE_UNAVAILABLE`, `TIMEOUT`).
    #[error("the server is temporarily unavailable ({code}){}", retry_hint(*.retry_after))]
    Unavailable {
        code: String,
        retry_after: Option<Duration>,
    },
    /// The secret is larger than the server accepts.
    #[error("the secret is too large for this server")]
    TooLarge,
    /// The server does not let this client create secrets (docs/api.md, "Who may create").
    #[error("{0}")]
    NotAllowedToCreate(CreateRefusal),
    /// The server could not be reached or the connection failed.
    #[error("network error: {0}")]
    Network(String),
    /// Any other refusal, with the API's code when it sent one.
    #[error("server answered HTTP {status}{}", code_and_message(code, message))]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The server answered success with a body this client does not understand.
    #[error("unexpected response from the server: {0}")]
    InvalidResponse(String),
    /// The ciphertext did not open: wrong key in the link, or it was altered.
    #[error("could not decrypt the secret: {0}")]
    DecryptFailed(#[from] OpenError),
    /// The operating system's random number generator failed.
    #[error("no randomness available from the operating system: {0}")]
    Entropy(String),
}

/// Why a server refused to create a secret: the three codes of docs/api.md, "Who may
/// create". Reading never meets these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreateRefusal {
    /// `AUTH_REQUIRED`: the server wants an API token (or a signed-in identity) and no
    /// valid one came.
    #[error("this server creates secrets only with a valid API token (AUTH_REQUIRED)")]
    AuthRequired,
    /// `CREATOR_NOT_ALLOWED`: the identity its sign-in proxy vouches for may not create.
    #[error("this server does not let this identity create secrets (CREATOR_NOT_ALLOWED)")]
    CreatorNotAllowed,
    /// `READ_ONLY`: this server only reveals what another instance created.
    #[error("this server only reveals secrets; it does not create them (READ_ONLY)")]
    ReadOnly,
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |after| {
        format!("; retry in {}s", after.as_secs())
    })
}

fn code_and_message(code: &str, message: &str) -> String {
    match (code.is_empty(), message.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!(" {code}"),
        (false, false) => format!(" {code}: {message}"),
    }
}

impl Error {
    /// Classifies a non-success answer from its status, `Retry-After` and error body.
    pub(crate) fn from_response(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let code = parsed.as_ref().map_or("", |b| b.error.as_str());
        // Matched raw below; only the escaped form is ever kept in a variant.
        match (status, code) {
            (404, _) => Self::NotFound,
            (401, "AUTH_REQUIRED") => Self::NotAllowedToCreate(CreateRefusal::AuthRequired),
            (403, "CREATOR_NOT_ALLOWED") => {
                Self::NotAllowedToCreate(CreateRefusal::CreatorNotAllowed)
            }
            (403, "READ_ONLY") => Self::NotAllowedToCreate(CreateRefusal::ReadOnly),
            (401, "PASSPHRASE_INVALID") => Self::PassphraseInvalid,
            (401, _) => Self::PassphraseRequired,
            (403, "BANNED") => Self::Banned { retry_after },
            (403, "FORBIDDEN") => Self::Forbidden,
            (413, _) => Self::TooLarge,
            (429, _) => Self::RateLimited { retry_after },
            (503, _) => Self::Unavailable {
                code: if code.is_empty() {
                    "503".to_owned()
                } else {
                    escape::server_text(code)
                },
                retry_after,
            },
            _ => Self::Server {
                status,
                code: escape::server_text(code),
                message: parsed.map_or_else(String::new, |b| escape::server_text(&b.message)),
            },
        }
    }
}

impl From<ureq::Error> for Error {
    fn from(error: ureq::Error) -> Self {
        match error {
            // ureq's messages may quote what the server sent (a status line, a header).
            ureq::Error::Json(_) | ureq::Error::BodyExceedsLimit(_) => {
                Self::InvalidResponse(escape::server_text(&error.to_string()))
            }
            other => Self::Network(escape::server_text(&other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str) -> Vec<u8> {
        format!(r#"{{"error":"{code}","message":"m","requestId":"r"}}"#).into_bytes()
    }

    #[test]
    fn api_codes_map_to_what_happened() {
        let minute = Some(Duration::from_secs(60));
        assert!(matches!(
            Error::from_response(404, None, &body("NOT_FOUND")),
            Error::NotFound
        ));
        assert!(matches!(
            Error::from_response(401, None, &body("PASSPHRASE_INVALID")),
            Error::PassphraseInvalid
        ));
        assert!(matches!(
            Error::from_response(401, None, &body("PASSPHRASE_REQUIRED")),
            Error::PassphraseRequired
        ));
        assert!(matches!(
            Error::from_response(403, minute, &body("BANNED")),
            Error::Banned { retry_after } if retry_after == minute
        ));
        assert!(matches!(
            Error::from_response(403, None, &body("FORBIDDEN")),
            Error::Forbidden
        ));
        assert!(matches!(
            Error::from_response(429, minute, &body("RATE_LIMITED")),
            Error::RateLimited { retry_after } if retry_after == minute
        ));
        assert!(matches!(
            Error::from_response(503, None, &body("STORE_UNAVAILABLE")),
            Error::Unavailable { code, .. } if code == "STORE_UNAVAILABLE"
        ));
    }

    #[test]
    fn refusals_to_create_are_told_apart_from_passphrase_and_manage_token_errors() {
        let cases = [
            (401, "AUTH_REQUIRED", CreateRefusal::AuthRequired),
            (403, "CREATOR_NOT_ALLOWED", CreateRefusal::CreatorNotAllowed),
            (403, "READ_ONLY", CreateRefusal::ReadOnly),
        ];
        for (status, code, refusal) in cases {
            assert!(
                matches!(
                    Error::from_response(status, None, &body(code)),
                    Error::NotAllowedToCreate(r) if r == refusal
                ),
                "{code}"
            );
        }
        assert_eq!(
            Error::NotAllowedToCreate(CreateRefusal::ReadOnly).to_string(),
            "this server only reveals secrets; it does not create them (READ_ONLY)"
        );
    }

    #[test]
    fn an_unknown_refusal_keeps_its_status_code_and_message() {
        let error = Error::from_response(403, None, &body("CORS_FORBIDDEN"));
        assert_eq!(
            error.to_string(),
            "server answered HTTP 403 CORS_FORBIDDEN: m"
        );
        let error = Error::from_response(502, None, b"<html>bad gateway</html>");
        assert_eq!(error.to_string(), "server answered HTTP 502");
    }

    #[test]
    fn a_servers_code_and_message_are_escaped() {
        let hostile = br#"{"error":"X\u001b[2J","message":"\u001b]0;t\u0007","requestId":"r"}"#;
        let error = Error::from_response(418, None, hostile);
        assert_eq!(
            error.to_string(),
            r"server answered HTTP 418 X\x1b[2J: \x1b]0;t\x07"
        );
        let error = Error::from_response(503, None, hostile);
        assert_eq!(
            error.to_string(),
            r"the server is temporarily unavailable (X\x1b[2J)"
        );
    }

    #[test]
    fn messages_mention_when_to_retry() {
        let error = Error::RateLimited {
            retry_after: Some(Duration::from_secs(42)),
        };
        assert_eq!(
            error.to_string(),
            "rate limited by the server; retry in 42s"
        );
    }
}
