//! The API's error codes: the stable strings clients match on, each with its HTTP status
//! and a default message that is safe to show anyone (no internals, no secret material).

use std::fmt;

/// Every error the API can answer with. The status mapping is an exhaustive `match`, so a
/// new code cannot ship without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadJson,
    UnsupportedMediaType,
    MissingFields,
    InvalidEncoding,
    InvalidIvLength,
    InvalidViews,
    InvalidTtl,
    InvalidId,
    SecretTooLarge,
    PayloadTooLarge,
    UriTooLong,
    HeadersTooLarge,
    MethodNotAllowed,
    CorsForbidden,
    Forbidden,
    AuthRequired,
    CreatorNotAllowed,
    ReadOnly,
    Banned,
    NotFound,
    PassphraseRequired,
    PassphraseInvalid,
    RateLimited,
    StoreUnavailable,
    Timeout,
    InternalError,
}

impl ErrorCode {
    /// Every code, in declaration order (the OpenAPI document's test compares it with
    /// docs/openapi.json). The test below fails to compile when a variant is added until
    /// it is listed there, which is the reminder to list it here too.
    pub const ALL: [ErrorCode; 26] = [
        Self::BadJson,
        Self::UnsupportedMediaType,
        Self::MissingFields,
        Self::InvalidEncoding,
        Self::InvalidIvLength,
        Self::InvalidViews,
        Self::InvalidTtl,
        Self::InvalidId,
        Self::SecretTooLarge,
        Self::PayloadTooLarge,
        Self::UriTooLong,
        Self::HeadersTooLarge,
        Self::MethodNotAllowed,
        Self::CorsForbidden,
        Self::Forbidden,
        Self::AuthRequired,
        Self::CreatorNotAllowed,
        Self::ReadOnly,
        Self::Banned,
        Self::NotFound,
        Self::PassphraseRequired,
        Self::PassphraseInvalid,
        Self::RateLimited,
        Self::StoreUnavailable,
        Self::Timeout,
        Self::InternalError,
    ];

    /// The HTTP status this code is sent with.
    pub fn status(self) -> u16 {
        match self {
            Self::BadJson
            | Self::MissingFields
            | Self::InvalidEncoding
            | Self::InvalidIvLength
            | Self::InvalidViews
            | Self::InvalidTtl
            | Self::InvalidId => 400,
            Self::PassphraseRequired | Self::PassphraseInvalid | Self::AuthRequired => 401,
            Self::CorsForbidden
            | Self::Forbidden
            | Self::CreatorNotAllowed
            | Self::ReadOnly
            | Self::Banned => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::SecretTooLarge | Self::PayloadTooLarge => 413,
            Self::UriTooLong => 414,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited => 429,
            Self::HeadersTooLarge => 431,
            Self::InternalError => 500,
            Self::StoreUnavailable | Self::Timeout => 503,
        }
    }

    /// The wire string, e.g. `"RATE_LIMITED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadJson => "BAD_JSON",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::MissingFields => "MISSING_FIELDS",
            Self::InvalidEncoding => "INVALID_ENCODING",
            Self::InvalidIvLength => "INVALID_IV_LENGTH",
            Self::InvalidViews => "INVALID_VIEWS",
            Self::InvalidTtl => "INVALID_TTL",
            Self::InvalidId => "INVALID_ID",
            Self::SecretTooLarge => "SECRET_TOO_LARGE",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UriTooLong => "URI_TOO_LONG",
            Self::HeadersTooLarge => "HEADERS_TOO_LARGE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::CorsForbidden => "CORS_FORBIDDEN",
            Self::Forbidden => "FORBIDDEN",
            Self::AuthRequired => "AUTH_REQUIRED",
            Self::CreatorNotAllowed => "CREATOR_NOT_ALLOWED",
            Self::ReadOnly => "READ_ONLY",
            Self::Banned => "BANNED",
            Self::NotFound => "NOT_FOUND",
            Self::PassphraseRequired => "PASSPHRASE_REQUIRED",
            Self::PassphraseInvalid => "PASSPHRASE_INVALID",
            Self::RateLimited => "RATE_LIMITED",
            Self::StoreUnavailable => "STORE_UNAVAILABLE",
            Self::Timeout => "TIMEOUT",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// A message for humans that reveals nothing beyond the code itself.
    pub fn default_message(self) -> &'static str {
        match self {
            Self::BadJson => "Request body must be valid JSON",
            Self::UnsupportedMediaType => "Content-Type must be application/json",
            Self::MissingFields => "Required fields are missing",
            Self::InvalidEncoding => "Fields must be base64url encoded",
            Self::InvalidIvLength => "iv must be 12 bytes",
            Self::InvalidViews => "maxViews is out of range",
            Self::InvalidTtl => "ttl must be a number of milliseconds",
            Self::InvalidId => "Invalid secret id",
            Self::SecretTooLarge => "Secret is too large",
            Self::PayloadTooLarge => "Request body is too large",
            Self::UriTooLong => "URL is too long",
            Self::HeadersTooLarge => "Request headers are too large",
            Self::MethodNotAllowed => "Method not allowed",
            Self::CorsForbidden => "Origin not allowed",
            Self::Forbidden => "Invalid manage token",
            Self::AuthRequired => "Creating secrets here needs sign-in or an API token",
            Self::CreatorNotAllowed => "This account may not create secrets here",
            Self::ReadOnly => "This service only opens secrets; it does not create them",
            Self::Banned => "Too many requests; this client is temporarily banned",
            Self::NotFound => "Secret not found, already viewed, or expired",
            Self::PassphraseRequired => "This secret needs a passphrase",
            Self::PassphraseInvalid => "Wrong passphrase",
            Self::RateLimited => "Too many requests",
            Self::StoreUnavailable => "Storage is temporarily unavailable",
            Self::Timeout => "The request took too long",
            Self::InternalError => "Internal server error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_4xx_and_store_trouble_is_503() {
        assert_eq!(ErrorCode::BadJson.status(), 400);
        assert_eq!(ErrorCode::UnsupportedMediaType.status(), 415);
        assert_eq!(ErrorCode::SecretTooLarge.status(), 413);
        assert_eq!(ErrorCode::HeadersTooLarge.status(), 431);
        assert_eq!(ErrorCode::StoreUnavailable.status(), 503);
        assert_eq!(ErrorCode::NotFound.as_str(), "NOT_FOUND");
    }

    #[test]
    fn all_lists_every_code_once() {
        // No `_` arm: a new variant does not compile here until it is placed, and its place
        // is its index in `ALL`.
        let index = |code: ErrorCode| match code {
            ErrorCode::BadJson => 0,
            ErrorCode::UnsupportedMediaType => 1,
            ErrorCode::MissingFields => 2,
            ErrorCode::InvalidEncoding => 3,
            ErrorCode::InvalidIvLength => 4,
            ErrorCode::InvalidViews => 5,
            ErrorCode::InvalidTtl => 6,
            ErrorCode::InvalidId => 7,
            ErrorCode::SecretTooLarge => 8,
            ErrorCode::PayloadTooLarge => 9,
            ErrorCode::UriTooLong => 10,
            ErrorCode::HeadersTooLarge => 11,
            ErrorCode::MethodNotAllowed => 12,
            ErrorCode::CorsForbidden => 13,
            ErrorCode::Forbidden => 14,
            ErrorCode::AuthRequired => 15,
            ErrorCode::CreatorNotAllowed => 16,
            ErrorCode::ReadOnly => 17,
            ErrorCode::Banned => 18,
            ErrorCode::NotFound => 19,
            ErrorCode::PassphraseRequired => 20,
            ErrorCode::PassphraseInvalid => 21,
            ErrorCode::RateLimited => 22,
            ErrorCode::StoreUnavailable => 23,
            ErrorCode::Timeout => 24,
            ErrorCode::InternalError => 25,
        };
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(index(code), i, "{code} is out of place in ALL");
        }
    }
}
