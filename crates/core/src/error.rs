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
}
