//! What a connection may cost before the app sees a request: a head far over
//! `MAX_HEADER_SIZE` is refused while it is read, not after; at most `MAX_CONNECTIONS` are
//! open at once; and an early answer to a large upload reaches a client that sends the whole
//! body before reading (docs/decisions.md, "Early answers").

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{spawn_app, test_config};

fn addr(base: &str) -> &str {
    base.trim_start_matches("http://")
}

#[tokio::test]
async fn a_huge_header_set_is_refused_before_it_is_read_whole() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let mut stream = TcpStream::connect(addr(&app.base)).await?;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .await?;
    let line = format!("X-Pad: {}\r\n", "p".repeat(1000));
    let mut sent = 0;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // Send 1 KB header lines until the server answers or hangs up; up to 500 KB.
    while sent < 500_000 {
        if stream.write_all(line.as_bytes()).await.is_err() {
            break;
        }
        sent += line.len();
        match tokio::time::timeout(Duration::from_millis(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    assert!(
        sent < 64 * 1024,
        "the server read {sent} bytes of headers before refusing"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "refused with 431, if at all answered: {text}"
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn past_max_connections_new_clients_wait_for_a_free_slot() -> anyhow::Result<()> {
    let mut config = test_config();
    config.listen.max_connections = 2;
    let app = spawn_app(config).await;
    let idle_a = TcpStream::connect(addr(&app.base)).await?;
    let _idle_b = TcpStream::connect(addr(&app.base)).await?;
    let mut third = TcpStream::connect(addr(&app.base)).await?;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    let waited =
        tokio::time::timeout(Duration::from_millis(500), third.read_to_end(&mut response)).await;
    assert!(waited.is_err(), "served while two connections were open");
    drop(idle_a);
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut response)).await??;
    assert!(
        String::from_utf8_lossy(&response).starts_with("HTTP/1.1 200"),
        "served once a slot was free"
    );
    app.shutdown().await;
    Ok(())
}

/// Sends a whole request (head, then the full body) before reading anything, as Python's
/// http.client does, and returns the status it then reads: 0 if none, and 1 if sending
/// failed (such a client raises a broken pipe and never reads the answer).
async fn send_all_then_read(base: &str, body_len: usize) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect(addr(base)).await?;
    let head = format!(
        "POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    // The body in blocks, as a client streaming a file does: the server has long answered
    // (by Content-Length) when the last blocks go out.
    let block = vec![b'a'; 64 * 1024];
    let mut left = body_len;
    while left > 0 {
        let n = left.min(block.len());
        if stream.write_all(&block[..n]).await.is_err() {
            return Ok(1);
        }
        left -= n;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf).await {
            response.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&response).contains("requestId") {
                break;
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&response);
    Ok(text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0))
}

#[tokio::test]
async fn an_early_413_reaches_a_client_still_sending_its_body() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    let limit = test_config().requests.max_request_size;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(send_all_then_read(&app.base, limit + 1).await?);
    }
    assert!(
        statuses.iter().all(|s| *s == 413),
        "every upload over the limit read its 413: {statuses:?}"
    );
    app.shutdown().await;
    Ok(())
}
