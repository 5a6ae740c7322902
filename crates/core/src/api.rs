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

/// `GET /api/config`: what a client needs to know before it offers to create: who may
/// create here, whether this caller may, and the bounds a secret must fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// `open`, `token`, `proxy` or `closed` (docs/api.md, "Who may create").
    pub create_access: String,
    /// Whether this very request would be allowed to create.
    pub can_create: bool,
    /// Where share links should point when that is not this service (a split deployment's
    /// public instance, `SHARE_BASE_URL`); `null` for this service itself.
    pub share_base_url: Option<String>,
    pub limits: LimitsResponse,
}

/// The bounds of a create request, as `GET /api/config` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitsResponse {
    pub ttl_min_ms: u64,
    pub ttl_default_ms: u64,
    pub ttl_max_ms: u64,
    pub max_views: u32,
    pub encrypted_max_chars: usize,
}
