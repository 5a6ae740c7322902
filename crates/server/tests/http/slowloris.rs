//! Slow clients: one that trickles its headers is cut off by the header-read timeout, one
//! that trickles its body by the request deadline; normal requests keep being served.

use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{spawn_app, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_trickling_headers_is_closed_while_others_are_served() -> anyhow::Result<()> {
    let mut config = test_config();
    config.listen.header_read_timeout = std::time::Duration::from_millis(500);
    let app = spawn_app(config).await;
    let mut slow = TcpStream::connect(app.base.trim_start_matches("http://")).await?;
    slow.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .await?;
    let started = Instant::now();
    let trickle = async {
        for n in 0..100 {
            if slow
                .write_all(format!("X-{n}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_millis(100), slow.read(&mut byte)).await;
            if let Ok(Ok(0) | Err(_)) = read {
                break;
            }
        }
        started.elapsed()
    };
    let normal = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.request(Method::GET, "/api/health").await.status()
    };
    let (closed_after, normal_status) = tokio::join!(trickle, normal);
    assert_eq!(normal_status, 200);
    assert!(
        closed_after >= Duration::from_millis(400),
        "closed too early: {closed_after:?}"
    );
    assert!(
        closed_after < Duration::from_secs(3),
        "still open after {closed_after:?}"
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_body_trickled_past_the_request_deadline_gets_503_timeout() -> anyhow::Result<()> {
    let mut config = test_config();
    config.listen.request_timeout = std::time::Duration::from_millis(500);
    let app = spawn_app(config).await;
    let mut slow = TcpStream::connect(app.base.trim_start_matches("http://")).await?;
    slow.write_all(b"POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await?;
    let started = Instant::now();
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&response).contains("requestId") {
        let read = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf)).await??;
        anyhow::ensure!(read > 0, "connection closed without an answer");
        response.extend_from_slice(&buf[..read]);
    }
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"TIMEOUT\""), "{text}");
    assert!(started.elapsed() < Duration::from_secs(2));
    app.shutdown().await;
    Ok(())
}
