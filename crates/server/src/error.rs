//! The one HTTP error type. Handlers and middleware return [`ApiError`]; the body
//! (`{"error", "message", "requestId"}`) is written by the request-id layer, which is the
//! one place that knows the id. 5xx messages are generic; causes go to the log only.

use std::borrow::Cow;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vanish_core::error::ErrorCode;
use vanish_core::validate::Rejection;

use crate::store::StoreError;

/// Seconds a client is told to wait after a store failure.
const STORE_RETRY_AFTER_S: u64 = 5;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    pub retry_after_s: Option<u64>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    /// The `WWW-Authenticate` header of a 401 that asks for a token.
    pub challenge: Option<&'static str>,
    /// What went wrong inside, for the log and the error tracker; never sent to clients.
    pub cause: Option<Arc<str>>,
}

/// The cause of a 5xx, on the response for the error tracker (`telemetry::sentry`), which
/// sees it only after scrubbing. Clients never see it.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub Arc<str>);

/// Marks a response whose JSON error body is still to be written (see module comment).
#[derive(Debug, Clone)]
pub struct PendingErrorBody {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: Cow::Borrowed(code.default_message()),
            retry_after_s: None,
            allow: None,
            challenge: None,
            cause: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(ErrorCode::MethodNotAllowed)
        }
    }

    /// 401 `AUTH_REQUIRED`, asking for a bearer token.
    pub fn auth_required() -> Self {
        Self {
            challenge: Some("Bearer"),
            ..Self::new(ErrorCode::AuthRequired)
        }
    }

    /// An internal failure: logged here with its cause, answered with a generic 500.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self {
            cause: Some(cause.to_string().into()),
            ..Self::new(ErrorCode::InternalError)
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        Self::new(r.code).with_message(r.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let retry_after_s = match &e {
            StoreError::CircuitOpen { retry_after_ms } => retry_after_ms.div_ceil(1000).max(1),
            StoreError::Backend(_)
            | StoreError::Timeout
            | StoreError::Closed
            | StoreError::Refused(_) => STORE_RETRY_AFTER_S,
        };
        tracing::warn!(error = %e, "store unavailable");
        Self {
            cause: Some(e.to_string().into()),
            ..Self::new(ErrorCode::StoreUnavailable).with_retry_after(retry_after_s)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        response.extensions_mut().insert(PendingErrorBody {
            code: self.code,
            message: self.message,
        });
        response
    }
}
