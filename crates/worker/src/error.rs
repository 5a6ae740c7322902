//! The one API error type of the Worker, with the native server's JSON shape
//! (`{"error", "message", "requestId"}`) and statuses from `vanish_core::error`. Bodies are
//! written at the end of the pipeline, where the request id is known. 5xx messages are
//! generic; causes go to the log line only.

use std::borrow::Cow;

use vanish_core::api::ErrorBody;
use vanish_core::error::ErrorCode;
use vanish_core::validate::Rejection;
use worker::{Headers, Response};

/// Seconds a client is told to wait after a Durable Object failure.
const STORE_RETRY_AFTER_S: u64 = 5;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    pub retry_after_s: Option<u64>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    /// What went wrong inside, for the log line only.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: Cow::Borrowed(code.default_message()),
            retry_after_s: None,
            allow: None,
            cause: None,
        }
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

    /// An internal failure: a generic 500; the cause goes to the log line.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(ErrorCode::InternalError)
        }
    }

    /// A Durable Object failed, timed out or its circuit is open: a fast 503.
    pub fn store_unavailable(cause: impl std::fmt::Display, retry_after_ms: Option<u64>) -> Self {
        let seconds = retry_after_ms.map_or(STORE_RETRY_AFTER_S, |ms| ms.div_ceil(1000).max(1));
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(ErrorCode::StoreUnavailable).with_retry_after(seconds)
        }
    }

    /// The response, with the body naming `request_id`.
    pub fn into_response(self, request_id: &str) -> Response {
        let body = ErrorBody {
            error: self.code.as_str().to_owned(),
            message: self.message.into_owned(),
            request_id: request_id.to_owned(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let headers = Headers::new();
        let _ = headers.set("content-type", "application/json");
        if let Some(seconds) = self.retry_after_s {
            let _ = headers.set("retry-after", &seconds.to_string());
        }
        if let Some(allow) = self.allow {
            let _ = headers.set("allow", allow);
        }
        Response::builder()
            .with_status(self.code.status())
            .with_headers(headers)
            .fixed(json)
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        Self {
            message: Cow::Borrowed(r.message),
            ..Self::new(r.code)
        }
    }
}

/// A runtime call that should not fail (building a response, reading a header) did.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::internal(e)
    }
}
