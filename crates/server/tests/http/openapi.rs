//! docs/openapi.json, kept by hand, against the server it describes, so the two cannot
//! drift apart: the server serves exactly that file; the document has exactly the
//! operations the server answers (the router's own table of routes, the pipeline's CORS
//! preflights, the built-in UI's files) and the live server answers every other method on
//! those paths with 405; every error code appears with its status; the documented ranges
//! are the settings' defaults. That the document is valid OpenAPI 3.1 and that the server
//! keeps it under generated requests is `crates/vanish/tests/contract.rs` (schemathesis).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use vanish_core::error::ErrorCode;
use vanish_core::id::{ID_MAX_LEN, ID_MIN_LEN};
use vanish_core::limits::Limits;
use vanish_core::routes;
use vanish_server::routes::{openapi, table, ui};

use crate::common::{spawn_app, test_config};

const IN_REPOSITORY: &str = include_str!("../../../../docs/openapi.json");

/// The methods an OpenAPI path item can hold.
const METHODS: [&str; 8] = [
    "get", "head", "post", "options", "put", "delete", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(IN_REPOSITORY).expect("docs/openapi.json is JSON")
}

/// `node`, or what it points at if it is a `$ref`.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local reference");
            doc.pointer(pointer).expect("reference resolves")
        }
        None => node,
    }
}

/// Every `(path, METHOD)` the document describes.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        let item = resolve(doc, item);
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((path.clone(), method.to_uppercase()));
            }
        }
    }
    operations
}

/// Every `(path, METHOD)` the server answers: its router's table, OPTIONS on each API path
/// (the CORS layer answers preflights), GET and HEAD on each built-in UI file.
fn served_operations() -> BTreeSet<(String, String)> {
    let mut operations: BTreeSet<(String, String)> = table()
        .into_iter()
        .map(|(path, method)| (path.to_owned(), method.to_owned()))
        .collect();
    let api_paths: Vec<String> = operations
        .iter()
        .map(|(path, _)| path.clone())
        .filter(|path| routes::is_api_path(path))
        .collect();
    for path in api_paths {
        operations.insert((path, "OPTIONS".to_owned()));
    }
    for name in ui::embedded_names() {
        for method in ["GET", "HEAD"] {
            operations.insert((format!("/{name}"), method.to_owned()));
        }
    }
    operations
}

#[tokio::test]
async fn the_server_serves_the_document_in_the_repository() -> anyhow::Result<()> {
    assert_eq!(
        openapi::DOCUMENT,
        IN_REPOSITORY,
        "built from an older document"
    );
    let app = spawn_app(test_config()).await;
    let response = app.request(Method::GET, routes::OPENAPI).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.text().await?, IN_REPOSITORY);
    let head = app.request(Method::HEAD, routes::OPENAPI).await;
    assert_eq!(head.status(), StatusCode::OK);
    app.shutdown().await;
    Ok(())
}

#[test]
fn the_document_has_exactly_the_operations_the_server_answers() {
    let documented = documented_operations(&document());
    let served = served_operations();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in docs/openapi.json: {undocumented:?}\n\
         in docs/openapi.json but not served: {unserved:?}"
    );
}

#[test]
fn allow_lists_exactly_each_routes_methods() {
    let served = served_operations();
    for (path, _) in table() {
        let methods: BTreeSet<&str> = served
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, m)| m.as_str())
            .collect();
        let allow: BTreeSet<&str> = routes::allow(Some(path)).split(", ").collect();
        assert_eq!(allow, methods, "Allow of {path}");
    }
}

/// A concrete path for a template: `{id}` becomes a well-formed id no secret has.
fn concrete(path: &str) -> String {
    path.replace("{id}", "NoSuchSecret0123456789")
}

#[tokio::test]
async fn every_documented_path_refuses_its_undocumented_methods_with_405() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let documented = documented_operations(&document());
    let paths: BTreeSet<&String> = documented.iter().map(|(path, _)| path).collect();
    for path in paths {
        for method in ["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"] {
            let response = app
                .request(Method::from_bytes(method.as_bytes())?, &concrete(path))
                .await;
            let status = response.status();
            if documented.contains(&(path.clone(), method.to_owned())) {
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                assert!(response.headers().contains_key("allow"), "{method} {path}");
            }
        }
    }
    app.shutdown().await;
    Ok(())
}

#[test]
fn every_error_code_is_documented_with_its_status() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let listed: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let mut sorted = listed.clone();
    expected.sort_unstable();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "components.schemas.ErrorCode");

    let statuses: BTreeSet<u16> = ErrorCode::ALL.iter().map(|c| c.status()).collect();
    for status in statuses {
        let schema = &schemas[format!("Error{status}")];
        let codes: BTreeSet<&str> = schema["properties"]["error"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("Error{status} lists its codes"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let expected: BTreeSet<&str> = ErrorCode::ALL
            .iter()
            .filter(|c| c.status() == status)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(codes, expected, "Error{status}");
    }
}

#[test]
fn the_documented_ranges_are_the_defaults() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let create = &schemas["CreateRequest"]["properties"];
    assert_eq!(
        create["encrypted"]["maxLength"],
        Limits::ENCRYPTED_MAX_CHARS
    );
    assert_eq!(create["maxViews"]["minimum"], 1);
    assert_eq!(create["maxViews"]["maximum"], Limits::MAX_VIEWS);
    assert_eq!(create["ttl"]["default"], Limits::TTL_DEFAULT_MS);
    assert_eq!(create["ttl"]["x-clamp"]["minimum"], Limits::TTL_MIN_MS);
    assert_eq!(create["ttl"]["x-clamp"]["maximum"], Limits::TTL_MAX_MS);
    let id = &schemas["SecretId"];
    assert_eq!(
        id["pattern"],
        format!("^[A-Za-z0-9]{{{ID_MIN_LEN},{ID_MAX_LEN}}}$")
    );
    assert_eq!(id["minLength"], ID_MIN_LEN);
    assert_eq!(id["maxLength"], ID_MAX_LEN);
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["openapi"], "3.1.0");
}
