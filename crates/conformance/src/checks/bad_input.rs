//! Bad input gets a clear 4xx with a code, never a 5xx: a table of malformed requests, each
//! with the exact status and code it must get; TTLs clamped, not refused; unknown paths
//! and methods answered in the API's JSON shape.

use anyhow::ensure;
use serde_json::{Value, json};
use vanish_core::api::CreateResponse;

use crate::client::{Client, IV, now_ms};
use crate::{Check, Target, ensure_eq, profile};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "bad_input::every_bad_request_gets_its_4xx_and_code",
            run: every_bad_request_gets_its_4xx_and_code,
        },
        Check {
            name: "bad_input::encrypted_at_the_size_limit_is_accepted",
            run: encrypted_at_the_size_limit_is_accepted,
        },
        Check {
            name: "bad_input::ttl_outside_its_bounds_is_clamped_not_refused",
            run: ttl_outside_its_bounds_is_clamped_not_refused,
        },
        Check {
            name: "bad_input::unknown_api_paths_and_methods_get_json_errors",
            run: unknown_api_paths_and_methods_get_json_errors,
        },
    ]
}

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

fn on(path: &str, case: Case) -> Case {
    Case {
        path: path.to_owned(),
        ..case
    }
}

fn create(name: &'static str, fields: &str, status: u16, code: &'static str) -> Case {
    case(name, format!("{{{fields}}}"), status, code)
}

fn cases() -> Vec<Case> {
    let too_large = "A".repeat(profile::ENCRYPTED_MAX_CHARS + 1);
    let unknown = "/api/secrets/ValidButUnknown123";
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
        create("missing iv", r#""encrypted":"abcd""#, 400, "MISSING_FIELDS"),
        create(
            "missing encrypted",
            &format!(r#""iv":"{IV}""#),
            400,
            "MISSING_FIELDS",
        ),
        create(
            "null encrypted",
            &format!(r#""encrypted":null,"iv":"{IV}""#),
            400,
            "MISSING_FIELDS",
        ),
        create(
            "empty encrypted",
            &format!(r#""encrypted":"","iv":"{IV}""#),
            400,
            "MISSING_FIELDS",
        ),
        create(
            "standard base64",
            &format!(r#""encrypted":"ab+/cd==","iv":"{IV}""#),
            400,
            "INVALID_ENCODING",
        ),
        create(
            "encrypted is a number",
            &format!(r#""encrypted":42,"iv":"{IV}""#),
            400,
            "INVALID_ENCODING",
        ),
        create(
            "encrypted is an object",
            &format!(r#""encrypted":{{}},"iv":"{IV}""#),
            400,
            "INVALID_ENCODING",
        ),
        create(
            "iv is an array",
            r#""encrypted":"abcd","iv":[1,2]"#,
            400,
            "INVALID_ENCODING",
        ),
        create(
            "iv not base64url",
            r#""encrypted":"abcd","iv":"%%%%""#,
            400,
            "INVALID_ENCODING",
        ),
        create(
            "iv of 8 bytes",
            r#""encrypted":"abcd","iv":"AAAAAAAAAAA""#,
            400,
            "INVALID_IV_LENGTH",
        ),
        create(
            "iv of 16 bytes",
            r#""encrypted":"abcd","iv":"AAAAAAAAAAAAAAAAAAAAAA""#,
            400,
            "INVALID_IV_LENGTH",
        ),
        create(
            "zero views",
            &format!(r#""encrypted":"abcd","iv":"{IV}","maxViews":0"#),
            400,
            "INVALID_VIEWS",
        ),
        create(
            "too many views",
            &format!(
                r#""encrypted":"abcd","iv":"{IV}","maxViews":{}"#,
                profile::MAX_VIEWS + 1
            ),
            400,
            "INVALID_VIEWS",
        ),
        create(
            "negative views",
            &format!(r#""encrypted":"abcd","iv":"{IV}","maxViews":-1"#),
            400,
            "INVALID_VIEWS",
        ),
        create(
            "views as string",
            &format!(r#""encrypted":"abcd","iv":"{IV}","maxViews":"3""#),
            400,
            "INVALID_VIEWS",
        ),
        create(
            "ttl as string",
            &format!(r#""encrypted":"abcd","iv":"{IV}","ttl":"1h""#),
            400,
            "INVALID_TTL",
        ),
        create(
            "ttl as bool",
            &format!(r#""encrypted":"abcd","iv":"{IV}","ttl":true"#),
            400,
            "INVALID_TTL",
        ),
        create(
            "verifier as number",
            &format!(r#""encrypted":"abcd","iv":"{IV}","passphraseVerifier":1"#),
            400,
            "INVALID_ENCODING",
        ),
        create(
            "secret too large",
            &format!(r#""encrypted":"{too_large}","iv":"{IV}""#),
            413,
            "SECRET_TOO_LARGE",
        ),
        on(
            "/api/secrets/short/reveal",
            case("id too short", "", 400, "INVALID_ID"),
        ),
        on(
            &format!("/api/secrets/{}/reveal", "a".repeat(65)),
            case("id too long", "", 400, "INVALID_ID"),
        ),
        on(
            "/api/secrets/bad_id_chars/burn",
            case("id with _", "{}", 400, "INVALID_ID"),
        ),
        on(
            &format!("{unknown}/burn"),
            case("burn without token", "{}", 400, "MISSING_FIELDS"),
        ),
        on(
            &format!("{unknown}/status"),
            case(
                "status with numeric token",
                r#"{"manageToken":5}"#,
                400,
                "INVALID_ENCODING",
            ),
        ),
        on(
            &format!("{unknown}/reveal"),
            case("reveal with bad json", "{oops", 400, "BAD_JSON"),
        ),
        Case {
            content_type: Some("text/plain"),
            ..on(
                &format!("{unknown}/reveal"),
                case(
                    "reveal with text body",
                    "proof",
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                ),
            )
        },
    ]
}

fn every_bad_request_gets_its_4xx_and_code(target: &Target) -> anyhow::Result<()> {
    for case in cases() {
        // Every attempt counts against the create budget: one client per case.
        let client = Client::new(target);
        let headers: Vec<(&str, &str)> = case
            .content_type
            .map(|c| ("content-type", c))
            .into_iter()
            .collect();
        let reply = client.send("POST", &case.path, &headers, Some(case.body.as_bytes()))?;
        ensure_eq!(reply.status, case.status, "status of case {:?}", case.name);
        let body: Value = reply.json()?;
        ensure_eq!(body["error"], case.code, "code of case {:?}", case.name);
    }
    let client = Client::new(target);
    client.meta("a-b")?.expect_error(400, "INVALID_ID")?;
    client
        .reveal_get("has%20space")?
        .expect_error(400, "INVALID_ID")?;
    Ok(())
}

fn encrypted_at_the_size_limit_is_accepted(target: &Target) -> anyhow::Result<()> {
    let at_limit = "A".repeat(profile::ENCRYPTED_MAX_CHARS);
    let client = Client::new(target);
    let created: CreateResponse = client
        .create(&json!({ "encrypted": at_limit, "iv": IV }))?
        .expect(201)?
        .json()?;
    let revealed: Value = client.reveal_get(&created.id)?.expect(200)?.json()?;
    ensure!(
        revealed["encrypted"].as_str().map(str::len) == Some(profile::ENCRYPTED_MAX_CHARS),
        "the whole ciphertext comes back"
    );
    Ok(())
}

fn ttl_outside_its_bounds_is_clamped_not_refused(target: &Target) -> anyhow::Result<()> {
    for (ttl, expected) in [
        (json!(1), profile::TTL_MIN_MS),
        (json!(0), profile::TTL_MIN_MS),
        (json!(-100), profile::TTL_MIN_MS),
        (json!(profile::TTL_MAX_MS * 10), profile::TTL_MAX_MS),
        (json!(1e300), profile::TTL_MAX_MS),
        (json!(null), profile::TTL_DEFAULT_MS),
        (json!(3_600_000), 3_600_000),
    ] {
        let client = Client::new(target);
        let before = now_ms();
        let created: CreateResponse = client
            .create(&json!({ "encrypted": "abcd", "iv": IV, "ttl": ttl }))?
            .expect(201)?
            .json()?;
        let after = now_ms();
        ensure!(
            (before + expected..=after + expected).contains(&created.expires_at),
            "ttl {ttl}: expiresAt {} is not now + {expected}",
            created.expires_at
        );
    }
    Ok(())
}

fn unknown_api_paths_and_methods_get_json_errors(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    client
        .get("/api/nothing-here")?
        .expect_error(404, "NOT_FOUND")?;
    let reply = client.send("DELETE", "/api/secrets/ValidButUnknown123", &[], None)?;
    ensure!(reply.header("allow").is_some(), "405 without Allow");
    reply.expect_error(405, "METHOD_NOT_ALLOWED")?;
    client
        .get("/api/secrets")?
        .expect_error(405, "METHOD_NOT_ALLOWED")?;
    Ok(())
}
