//! Sentry: a store failure (503) and a panic (500) forced through a faulty store arrive at
//! a capture endpoint as events tagged with the request id, method, route template and
//! status, with a stack trace, and with none of the secret material, the client's address
//! or the request's query string, headers or body, although the store's messages held
//! the id, ciphertext and iv.

use serde_json::{Value, json};

use crate::faulty_store::Mode;
use crate::fixture::{eventually, fixture};
use crate::request_logs::{request_id, spawn_faulty};

const CIPHERTEXT: &str = "Q2lwaGVydGV4dFRoYXRNdXN0TmV2ZXJCZUxvZ2dlZA";
const IV: &str = "SXZOZXZlckxvZ2dl";
const QUERY_SECRET: &str = "QueryValue7xK2mP9";
const AUTH_SECRET: &str = "AuthorizationValue4hQ8";
const COOKIE_SECRET: &str = "CookieValue3nB6vT1";

/// Every event payload received so far, as JSON, with its raw text.
fn events() -> Vec<(Value, String)> {
    let mut events = Vec::new();
    for body in fixture().sentry.bodies() {
        let text = String::from_utf8_lossy(&body).into_owned();
        let mut lines = text.lines();
        lines.next(); // the envelope header
        while let (Some(header), Some(payload)) = (lines.next(), lines.next()) {
            let header: Value = serde_json::from_str(header).unwrap_or_default();
            if header["type"] == "event" {
                let event = serde_json::from_str(payload).unwrap_or_default();
                events.push((event, payload.to_owned()));
            }
        }
    }
    events
}

fn event_of(request_id: &str) -> Option<(Value, String)> {
    events()
        .into_iter()
        .find(|(event, _)| event["tags"]["request_id"] == request_id)
}

#[tokio::test]
async fn a_store_failure_and_a_panic_arrive_tagged_with_a_stack_trace_and_no_secrets()
-> anyhow::Result<()> {
    let f = fixture();
    let (app, faulty) = spawn_faulty(f.config()).await;
    let send = || {
        app.http
            .post(app.url(&format!("/api/secrets?token={QUERY_SECRET}")))
            .header("authorization", format!("Bearer {AUTH_SECRET}"))
            .header("cookie", format!("session={COOKIE_SECRET}"))
            .json(&json!({ "encrypted": CIPHERTEXT, "iv": IV }))
            .send()
    };
    faulty.set_mode(Mode::FailingLoudly);
    let failed = send().await?;
    assert_eq!(failed.status(), 503);
    faulty.set_mode(Mode::PanickingLoudly);
    let panicked = send().await?;
    assert_eq!(panicked.status(), 500);
    let (failed_id, panicked_id) = (request_id(&failed), request_id(&panicked));

    for (id, status, code) in [
        (&failed_id, "503", Some("STORE_UNAVAILABLE")),
        (&panicked_id, "500", None),
    ] {
        let (event, raw) = eventually("the error report", || event_of(id)).await;
        let tags = &event["tags"];
        assert_eq!(tags["method"], "POST", "{raw}");
        assert_eq!(tags["route"], "/api/secrets", "{raw}");
        assert_eq!(tags["status"], status, "{raw}");
        if let Some(code) = code {
            assert_eq!(tags["code"], code, "{raw}");
        }
        assert_eq!(event["environment"], "test");
        assert!(
            event["release"]
                .as_str()
                .is_some_and(|r| r.starts_with("vanish@"))
        );
        let exception = &event["exception"]["values"][0];
        let frames = exception["stacktrace"]["frames"].as_array();
        assert!(
            frames.is_some_and(|f| !f.is_empty()),
            "a stack trace: {raw}"
        );
        // The store's message named the id, ciphertext and iv; they were redacted.
        let value = exception["value"].as_str().unwrap_or_default();
        assert!(
            value.contains("injected") && value.contains("put [redacted]"),
            "{value}"
        );
        for (what, needle) in [
            ("ciphertext", CIPHERTEXT),
            ("iv", IV),
            ("query string", QUERY_SECRET),
            ("authorization header", AUTH_SECRET),
            ("cookie", COOKIE_SECRET),
            ("client address", "127.0.0.1"),
        ] {
            assert!(!raw.contains(needle), "the report holds the {what}: {raw}");
        }
        assert!(event.get("request").is_none() && event.get("user").is_none());
    }
    let (panic_event, _) = event_of(&panicked_id).expect("seen above");
    assert_eq!(
        panic_event["exception"]["values"][0]["mechanism"]["type"],
        "panic"
    );
    assert_eq!(
        events()
            .iter()
            .filter(|(e, _)| e["tags"]["request_id"] == panicked_id.as_str())
            .count(),
        1,
        "a panic is reported once, not again as its 500"
    );
    app.shutdown().await;
    Ok(())
}
