//! The JSON shapes of API responses, shared by the server (which writes them) and the CLI
//! (which reads them). camelCase and millisecond times, exactly as the original service.

use serde::{Deserialize, Serialize};

use crate::receipt::ReceiptState;

/// `201` answer to `POST /api/secrets`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CreateResponse {
    pub id: String,
    pub expires_at: u64,
    pub max_views: u32,
    pub manage_token: String,
}

/// `200` answer to a consuming read (`GET /api/secrets/{id}`, `POST …/reveal`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RevealResponse {
    pub encrypted: String,
    pub iv: String,
    pub views_left: u32,
}

/// `200` answer to `GET /api/secrets/{id}/meta`; never consumes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MetaResponse {
    pub id: String,
    pub expires_at: u64,
    pub views_left: u32,
    pub passphrase_required: bool,
}

/// `200` answer to the sender's `POST /api/secrets/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub state: ReceiptState,
    pub max_views: u32,
    pub views_left: u32,
    pub viewed_at: Vec<u64>,
    pub expires_at: u64,
}

/// Every error body: the original's `{error, message}` plus the request id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_id: String,
}
