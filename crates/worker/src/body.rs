//! Request bodies, read under `MAX_REQUEST_SIZE` (413 `PAYLOAD_TOO_LARGE` whether the size
//! was declared or only found while reading) and, when not empty, declared JSON (else 415).
//! Parsing the fields is `vanish_core::validate`'s.

use futures_util::StreamExt;
use vanish_core::error::ErrorCode;
use vanish_core::request::is_json_media_type;
use worker::Request;

use crate::error::ApiError;

pub async fn read_json(req: &mut Request, max_bytes: usize) -> Result<Vec<u8>, ApiError> {
    let declared_json = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .map(|v| is_json_media_type(&v));
    let mut body = Vec::new();
    // No body at all is an empty one.
    if let Ok(mut stream) = req.stream() {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ApiError::new(ErrorCode::BadJson))?;
            if body.len() + chunk.len() > max_bytes {
                return Err(ApiError::new(ErrorCode::PayloadTooLarge));
            }
            body.extend_from_slice(&chunk);
        }
    }
    if !body.is_empty() && declared_json != Some(true) {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
    }
    Ok(body)
}
