//! Request shape limits at their boundaries (docs/api.md, "Errors"): the limit passes, one more fails
//! with its code. Raw HTTP is used where the exact bytes on the wire matter.

use reqwest::Method;

use crate::common::{expect_error, raw_request, spawn_app, test_config};

#[tokio::test]
async fn a_url_at_the_limit_passes_and_one_byte_more_is_414() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let prefix = "/api/health?pad=";
    let at_limit = format!("{prefix}{}", "a".repeat(2048 - prefix.len()));
    assert_eq!(app.request(Method::GET, &at_limit).await.status(), 200);
    let over = format!("{at_limit}a");
    expect_error(app.request(Method::GET, &over).await, 414, "URI_TOO_LONG").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn headers_at_the_limit_pass_and_one_byte_more_is_431() -> anyhow::Result<()> {
    let mut config = test_config();
    config.requests.max_header_size = 1000;
    let app = spawn_app(config).await;
    // Header bytes are `name: value\r\n`: host 9, connection 19, x-pad 9 + pad = 1000.
    let pad = "p".repeat(1000 - 37);
    let at_limit =
        format!("GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: {pad}\r\nConnection: close\r\n\r\n");
    assert_eq!(raw_request(&app.base, at_limit.as_bytes()).await, 200);
    let over = at_limit.replacen("X-Pad: ", "X-Pad: p", 1);
    assert_eq!(raw_request(&app.base, over.as_bytes()).await, 431);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_declared_or_streamed_body_over_the_limit_is_413() -> anyhow::Result<()> {
    let mut config = test_config();
    config.requests.max_request_size = 1000;
    let app = spawn_app(config).await;
    let body = |len: usize| format!("{{\"encrypted\":\"{}\"}}", "a".repeat(len - 16));
    let at_limit = app
        .http
        .post(app.url("/api/secrets"))
        .header("content-type", "application/json")
        .body(body(1000));
    expect_error(at_limit.send().await?, 400, "MISSING_FIELDS").await;
    let over = app
        .http
        .post(app.url("/api/secrets"))
        .header("content-type", "application/json")
        .body(body(1001));
    expect_error(over.send().await?, 413, "PAYLOAD_TOO_LARGE").await;

    // Chunked, so no Content-Length: refused while streaming.
    let chunk = "a".repeat(600);
    let chunked = format!(
        "POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    assert_eq!(raw_request(&app.base, chunked.as_bytes()).await, 413);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn methods_outside_the_four_are_405_with_the_resources_allow() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    for method in [Method::PUT, Method::DELETE, Method::PATCH, Method::TRACE] {
        let response = app.request(method.clone(), "/api/health").await;
        assert_eq!(
            response.headers()["allow"],
            "GET, HEAD, OPTIONS",
            "{method}"
        );
        expect_error(response, 405, "METHOD_NOT_ALLOWED").await;
    }
    // A known method the resource does not answer: its own methods, not the service's.
    let get_create = app.request(Method::GET, "/api/secrets").await;
    assert_eq!(get_create.headers()["allow"], "POST, OPTIONS");
    expect_error(get_create, 405, "METHOD_NOT_ALLOWED").await;
    let post_probe = app.request(Method::POST, "/healthz").await;
    assert_eq!(post_probe.headers()["allow"], "GET, HEAD");
    expect_error(post_probe, 405, "METHOD_NOT_ALLOWED").await;
    let put_nowhere = app.request(Method::PUT, "/api/nothing-here").await;
    assert_eq!(put_nowhere.headers()["allow"], "GET, POST, HEAD, OPTIONS");
    expect_error(put_nowhere, 405, "METHOD_NOT_ALLOWED").await;
    app.shutdown().await;
    Ok(())
}
