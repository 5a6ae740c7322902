//! The header-size limit at its exact boundary (docs/api.md): the limit passes, one byte
//! more is 431. Raw HTTP, since the exact bytes on the wire matter, and they are this
//! server's (a Worker's front end adds its own headers). The other shape limits are the
//! conformance suite's: crates/conformance/src/checks/request_limits.rs.

use crate::common::{raw_request, spawn_app, test_config};

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
