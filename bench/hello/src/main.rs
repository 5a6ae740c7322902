//! `bench-hello`: the ceiling of bench/run.sh. It answers `200 hello` to every request over
//! HTTP/1.1 keep-alive, on the same runtime shape as `vanish serve` (tokio multi-thread,
//! one worker per core, hyper's http1 connection), and does nothing else: no routing, no
//! middleware, no store. Whatever vanish loses against it under the same wrk load is the
//! cost of vanish's own work, not of the machine, the kernel's loopback or wrk.
//!
//! Usage: `bench-hello [ADDR]`, or `BENCH_HELLO_ADDR=ADDR bench-hello`; default
//! `127.0.0.1:8081`. Port 0 picks a free port; the bound address goes to stderr.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const DEFAULT_ADDR: &str = "127.0.0.1:8081";
const HELLO: &[u8] = b"hello";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let raw = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BENCH_HELLO_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let addr: SocketAddr = match raw.parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("bench-hello: bad address {raw:?}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match serve(addr).await {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("bench-hello: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Accepts forever; only binding can fail. A failed accept (e.g. out of file descriptors)
/// is reported and retried rather than ending the benchmark's ceiling mid-run.
async fn serve(addr: SocketAddr) -> std::io::Result<Infallible> {
    let listener = TcpListener::bind(addr).await?;
    eprintln!("bench-hello: listening on {}", listener.local_addr()?);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("bench-hello: accept: {e}");
                continue;
            }
        };
        tokio::spawn(async move {
            // A client going away mid-request is normal under load; nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}

async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Hello>, Infallible> {
    Ok(Response::new(Hello { sent: false }))
}

/// A one-frame `hello` body. Written out rather than taken from http-body-util to keep
/// this crate's dependencies to hyper, hyper-util and tokio; the exact size hint makes
/// hyper send `Content-Length: 5`, as `Full` would.
struct Hello {
    sent: bool,
}

impl Body for Hello {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent {
            return Poll::Ready(None);
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(HELLO)))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent
    }

    fn size_hint(&self) -> SizeHint {
        let left = if self.sent { 0 } else { HELLO.len() as u64 };
        SizeHint::with_exact(left)
    }
}
