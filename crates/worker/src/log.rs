//! Logs as one JSON object per line on the console (what Workers Logs and `wrangler tail`
//! collect): one access line per request with its id, method, route template (never the
//! raw path, which holds a secret id), status, duration, Cloudflare's `CF-Ray` and
//! country, and the user agent; the client address only with `LOG_CLIENT_IP=true`. A
//! failure's cause goes into its request's line. Nothing here ever sees a body.

use serde::Serialize;
use vanish_core::headers::rfc3339_utc;

use crate::clock;

/// One request, as logged.
#[derive(Debug, Default, Serialize)]
pub struct AccessLine {
    pub request_id: String,
    pub method: String,
    /// The matched route template (`/api/secrets/{id}`), or `<unmatched>`.
    pub route: &'static str,
    pub status: u16,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cf_ray: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cf_ipcountry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// Why the request failed inside (5xx only); never secret material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    timestamp: String,
    level: &'static str,
    target: &'static str,
    message: &'a str,
    #[serde(flatten)]
    fields: T,
}

fn emit<T: Serialize>(level: &'static str, target: &'static str, message: &str, fields: T) {
    let line = Line {
        timestamp: rfc3339_utc(clock::now_ms()),
        level,
        target,
        message,
        fields,
    };
    if let Ok(json) = serde_json::to_string(&line) {
        // The console method carries the severity into Workers Logs (and lets `wrangler
        // dev --log-level warn` show only the lines that matter).
        match level {
            "ERROR" => worker::console_error!("{json}"),
            "WARN" => worker::console_warn!("{json}"),
            _ => worker::console_log!("{json}"),
        }
    }
}

pub fn access(line: AccessLine) {
    let level = if line.status >= 500 { "ERROR" } else { "INFO" };
    emit(level, "vanish::access", "request", line);
}

#[derive(Serialize)]
struct Cause {
    error: String,
}

/// A problem outside any one answer (a fallback taken, a bad setting).
pub fn warn(message: &str, cause: &dyn std::fmt::Display) {
    emit(
        "WARN",
        "vanish",
        message,
        Cause {
            error: cause.to_string(),
        },
    );
}
