//! Guarantee 5, bad input gets a clear 4xx with a code: a table of malformed requests,
//! each with the exact status and code it must get, and none a 5xx.

use reqwest::StatusCode;
use serde_json::json;
use vanish_core::api::CreateResponse;
use vanish_core::limits::Limits;

use crate::common::{IV, T0, expect_error, spawn_app, test_config};

struct Case {
    name: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: String,
    status: u16,
    code: &'static str,
}

fn case(name: &'static str, body: impl Into<String>, status: u16, code: &'static str) -> Case {
    Case {
        name,
        path: "/api/secrets".into(),
        content_type: Some("application/json"),
        body: body.into(),
        status,
        code,
    }
}

fn cases() -> Vec<Case> {
    let too_large = "A".repeat(Limits::ENCRYPTED_MAX_CHARS + 1);
    vec![
        case("not json", "{\"encrypted\": ", 400, "BAD_JSON"),
        case("json array", "[1, 2]", 400, "BAD_JSON"),
        case("json string", "\"hello\"", 400, "BAD_JSON"),
        case("empty body", "", 400, "BAD_JSON"),
        Case {
            content_type: Some("text/plain"),
            ..case("text content type", "{}", 415, "UNSUPPORTED_MEDIA_TYPE")
        },
        Case {
            content_type: None,
            ..case("no content type", "{}", 415, "UNSUPPORTED_MEDIA_TYPE")
        },
        Case {
            content_type: Some("application/x-www-form-urlencoded"),
            ..case("form body", "encrypted=abc", 415, "UNSUPPORTED_MEDIA_TYPE")
        },
        case("empty object", "{}", 400, "MISSING_FIELDS"),
        case(
            "missing iv",
            r#"{"encrypted":"abcd"}"#,
            400,
            "MISSING_FIELDS",
        ),
        case(
            "missing encrypted",
            format!(r#"{{"iv":"{IV}"}}"#),
            400,
            "MISSING_FIELDS",
        ),
        case(
            "null encrypted",
            format!(r#"{{"encrypted":null,"iv":"{IV}"}}"#),
            400,
            "MISSING_FIELDS",
        ),
        case(
            "empty encrypted",
            format!(r#"{{"encrypted":"","iv":"{IV}"}}"#),
            400,
            "MISSING_FIELDS",
        ),
        case(
            "standard base64",
            format!(r#"{{"encrypted":"ab+/cd==","iv":"{IV}"}}"#),
            400,
            "INVALID_ENCODING",
        ),
        case(
            "encrypted is a number",
            format!(r#"{{"encrypted":42,"iv":"{IV}"}}"#),
            400,
            "INVALID_ENCODING",
        ),
        case(
            "encrypted is an object",
            format!(r#"{{"encrypted":{{}},"iv":"{IV}"}}"#),
            400,
            "INVALID_ENCODING",
        ),
        case(
            "iv is an array",
            r#"{"encrypted":"abcd","iv":[1,2]}"#,
            400,
            "INVALID_ENCODING",
        ),
        case(
            "iv not base64url",
            r#"{"encrypted":"abcd","iv":"%%%%"}"#,
            400,
            "INVALID_ENCODING",
        ),
        case(
            "iv of 8 bytes",
            r#"{"encrypted":"abcd","iv":"AAAAAAAAAAA"}"#,
            400,
            "INVALID_IV_LENGTH",
        ),
        case(
            "iv of 16 bytes",
            r#"{"encrypted":"abcd","iv":"AAAAAAAAAAAAAAAAAAAAAA"}"#,
            400,
            "INVALID_IV_LENGTH",
        ),
        case(
            "zero views",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":0}}"#),
            400,
            "INVALID_VIEWS",
        ),
        case(
            "too many views",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":101}}"#),
            400,
            "INVALID_VIEWS",
        ),
        case(
            "negative views",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":-1}}"#),
            400,
            "INVALID_VIEWS",
        ),
        case(
            "views as string",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":"3"}}"#),
            400,
            "INVALID_VIEWS",
        ),
        case(
            "ttl as string",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","ttl":"1h"}}"#),
            400,
            "INVALID_TTL",
        ),
        case(
            "ttl as bool",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","ttl":true}}"#),
            400,
            "INVALID_TTL",
        ),
        case(
            "verifier as number",
            format!(r#"{{"encrypted":"abcd","iv":"{IV}","passphraseVerifier":1}}"#),
            400,
            "INVALID_ENCODING",
        ),
        case(
            "secret too large",
            format!(r#"{{"encrypted":"{too_large}","iv":"{IV}"}}"#),
            413,
            "SECRET_TOO_LARGE",
        ),
        Case {
            path: "/api/secrets/short/reveal".into(),
            ..case("id too short", "", 400, "INVALID_ID")
        },
        Case {
            path: format!("/api/secrets/{}/reveal", "a".repeat(65)),
            ..case("id too long", "", 400, "INVALID_ID")
        },
        Case {
            path: "/api/secrets/bad_id_chars/burn".into(),
            ..case("id with _", "{}", 400, "INVALID_ID")
        },
        Case {
            path: "/api/secrets/ValidButUnknown123/burn".into(),
            ..case("burn without token", "{}", 400, "MISSING_FIELDS")
        },
        Case {
            path: "/api/secrets/ValidButUnknown123/status".into(),
            ..case(
                "status with numeric token",
                r#"{"manageToken":5}"#,
                400,
                "INVALID_ENCODING",
            )
        },
        Case {
            path: "/api/secrets/ValidButUnknown123/reveal".into(),
            ..case("reveal with bad json", "{oops", 400, "BAD_JSON")
        },
        Case {
            path: "/api/secrets/ValidButUnknown123/reveal".into(),
            content_type: Some("text/plain"),
            ..case(
                "reveal with text body",
                "proof",
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            )
        },
    ]
}

#[tokio::test]
async fn every_bad_request_gets_its_4xx_and_code() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    for case in cases() {
        let mut request = app.http.post(app.url(&case.path)).body(case.body.clone());
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await?;
        assert_eq!(
            response.status().as_u16(),
            case.status,
            "case {:?}",
            case.name
        );
        let body: serde_json::Value = response.json().await?;
        assert_eq!(body["error"], case.code, "case {:?}", case.name);
    }
    // The invalid-id rule holds on the GET routes too.
    expect_error(app.meta("a-b").await, 400, "INVALID_ID").await;
    expect_error(app.reveal_get("has%20space").await, 400, "INVALID_ID").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn encrypted_at_the_size_limit_is_accepted() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let at_limit = "A".repeat(Limits::ENCRYPTED_MAX_CHARS);
    let response = app
        .create(&json!({ "encrypted": at_limit, "iv": IV }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn ttl_outside_its_bounds_is_clamped_not_refused() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    for (ttl, expected) in [
        (json!(1), Limits::TTL_MIN_MS),
        (json!(0), Limits::TTL_MIN_MS),
        (json!(-100), Limits::TTL_MIN_MS),
        (json!(Limits::TTL_MAX_MS * 10), Limits::TTL_MAX_MS),
        (json!(1e300), Limits::TTL_MAX_MS),
        (json!(null), Limits::TTL_DEFAULT_MS),
        (json!(3_600_000), 3_600_000),
    ] {
        let response = app
            .create(&json!({ "encrypted": "abcd", "iv": IV, "ttl": ttl }))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "ttl {ttl}");
        let created: CreateResponse = response.json().await?;
        assert_eq!(created.expires_at, T0 + expected, "ttl {ttl}");
    }
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn unknown_api_paths_and_methods_get_json_errors() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    expect_error(
        app.request(reqwest::Method::GET, "/api/nothing-here").await,
        404,
        "NOT_FOUND",
    )
    .await;
    let response = app
        .request(reqwest::Method::DELETE, "/api/secrets/ValidButUnknown123")
        .await;
    assert!(response.headers().contains_key("allow"));
    expect_error(response, 405, "METHOD_NOT_ALLOWED").await;
    expect_error(
        app.request(reqwest::Method::GET, "/api/secrets").await,
        405,
        "METHOD_NOT_ALLOWED",
    )
    .await;
    app.shutdown().await;
    Ok(())
}
