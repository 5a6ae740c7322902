//! Early answers reach the client. When the app answers before reading a request's body
//! (a 413 by `Content-Length`, a 429, a 403, a body refused mid-stream), the connection
//! would close with unread bytes, and a client still sending (most send the whole body
//! before reading) gets a reset instead of the answer. This layer keeps the body aside
//! and, once the answer is ready, reads and discards what is left, bounded in bytes and
//! time, so the client can finish sending and read the status (docs/decisions.md,
//! "Early answers").

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use vanish_core::error::ErrorCode;

use crate::error::PendingErrorBody;

/// How much of an unread body is drained before the answer goes out.
#[derive(Debug, Clone, Copy)]
pub struct Drain {
    pub max_bytes: u64,
    pub max_time: Duration,
}

/// A client that sends nothing for this long is not waited for any longer: draining is for
/// clients still sending, not for ones that stalled.
const IDLE: Duration = Duration::from_millis(500);

pub async fn layer(State(drain): State<Drain>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let (parts, body) = req.into_parts();
    let kept = Arc::new(Mutex::new(Some(body)));
    let lent = Body::new(Lent(Arc::clone(&kept)));
    let response = next.run(Request::from_parts(parts, lent)).await;
    // Poisoning cannot leave a body half-polled in a way that matters: it is only read.
    let left = kept.lock().unwrap_or_else(|p| p.into_inner()).take();
    // A request that ran out of time came from a client too slow to wait for again.
    let timed_out = response
        .extensions()
        .get::<PendingErrorBody>()
        .is_some_and(|e| e.code == ErrorCode::Timeout);
    let worth_draining = !timed_out && declared.is_none_or(|len| len <= drain.max_bytes);
    if let Some(body) = left.filter(|b| !b.is_end_stream() && worth_draining) {
        let _ = tokio::time::timeout(drain.max_time, discard(body, drain.max_bytes)).await;
    }
    response
}

/// Reads and drops up to `max_bytes` of `body`, giving up on a client idle for [`IDLE`].
async fn discard(mut body: Body, max_bytes: u64) {
    let mut read = 0u64;
    while read <= max_bytes {
        match tokio::time::timeout(IDLE, body.frame()).await {
            Ok(Some(Ok(frame))) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            Ok(Some(Err(_)) | None) | Err(_) => return,
        }
    }
}

/// The request's body as the app sees it: read through the layer's handle, so whatever
/// the app leaves unread stays with the layer.
struct Lent(Arc<Mutex<Option<Body>>>);

impl http_body::Body for Lent {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        // Held only for one poll, never across an `.await`.
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match kept.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref()
            .map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use axum::Router;
    use axum::http::StatusCode;
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;
    use futures::stream;
    use tower::ServiceExt as _;

    use super::*;

    /// A body of `chunks` chunks of 1 KiB that counts what was read of it.
    fn counted_body(chunks: usize, read: Arc<AtomicU64>) -> Body {
        let frames = stream::iter((0..chunks).map(move |_| {
            read.fetch_add(1024, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 1024]))
        }));
        Body::from_stream(frames)
    }

    fn app(max_bytes: u64) -> Router {
        let drain = Drain {
            max_bytes,
            max_time: Duration::from_secs(5),
        };
        Router::new()
            .route("/refuse", post(|| async { StatusCode::PAYLOAD_TOO_LARGE }))
            .layer(from_fn_with_state(drain, layer))
    }

    #[tokio::test]
    async fn an_unread_body_is_drained_before_the_early_answer() {
        let read = Arc::new(AtomicU64::new(0));
        let req = axum::http::Request::post("/refuse")
            .body(counted_body(100, Arc::clone(&read)))
            .expect("request");
        let response = app(1 << 20).oneshot(req).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            read.load(Ordering::SeqCst),
            100 * 1024,
            "every byte was read"
        );
    }

    #[tokio::test]
    async fn draining_stops_at_its_bound() {
        let read = Arc::new(AtomicU64::new(0));
        let req = axum::http::Request::post("/refuse")
            .body(counted_body(1000, Arc::clone(&read)))
            .expect("request");
        let response = app(10 * 1024).oneshot(req).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let drained = read.load(Ordering::SeqCst);
        assert!(drained <= 12 * 1024, "stopped near the bound: {drained}");
    }
}
