//! Our own extractors, so malformed input gets vanish's error shape rather than the
//! framework's: the secret id from the path, and a JSON body read under the size limit.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use vanish_core::error::ErrorCode;
use vanish_core::id::SecretId;
use vanish_core::request::is_json_media_type;

use crate::error::ApiError;
use crate::state::BodyLimit;

/// The `{id}` path segment, parsed; a malformed id is 400 `INVALID_ID`.
pub struct IdPath(pub SecretId);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::InvalidId))?;
        SecretId::parse(&raw)
            .map(IdPath)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidId))
    }
}

/// A request body that, if not empty, was declared JSON. Parsing its fields is left to
/// `vanish_core::validate`. Over `MAX_REQUEST_SIZE` is 413 `PAYLOAD_TOO_LARGE`, whether the
/// size was declared or only found while reading.
pub struct JsonBody(pub Bytes);

impl<S> FromRequest<S> for JsonBody
where
    S: Send + Sync,
    BodyLimit: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let declared_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(is_json_media_type);
        let BodyLimit(limit) = BodyLimit::from_ref(state);
        let bytes = Limited::new(req.into_body(), limit)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    ApiError::new(ErrorCode::PayloadTooLarge)
                } else {
                    ApiError::new(ErrorCode::BadJson).with_message("request body could not be read")
                }
            })?;
        let bytes = bytes.to_bytes();
        if !bytes.is_empty() && declared_json != Some(true) {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
        }
        Ok(JsonBody(bytes))
    }
}
