//! Error reports to Sentry (feature `sentry`), on when `SENTRY_DSN` is set: every 5xx
//! answer and every panic becomes an event tagged with the request id, method, route
//! template and status, with a stack trace. `ENVIRONMENT` names the environment,
//! `SENTRY_SAMPLE_RATE` the share of events sent; the release is `vanish@<version>`.
//!
//! The request being served is a task-local ([`watch`]), read only when an event is made.
//! At most 10 reports are made a second (an outage makes every answer a 5xx, and a report
//! costs about a millisecond of CPU); the rest are logged and counted as usual. A 5xx
//! report's stack trace is symbolized on the blocking pool, never on the request's path.
//! Events are queued to a background thread (ureq with rustls), so a slow, dead or
//! black-holed DSN never holds a request up: a full queue drops events.
//!
//! What leaves is an allow-list, enforced by [`scrub`] on every event: the tags above and
//! the error code, the stack trace's frames (code locations only), the OS and runtime
//! contexts, and free text (messages, causes, panic messages) with every token that could
//! be secret material (ciphertext, iv, ids, tokens, verifiers, proofs: long base64url
//! runs) or an IP address replaced. No request data is ever attached (no URL, query
//! string, body, headers, cookies or IP): `send_default_pii` is off and this module never
//! sets one (docs/operations.md, "Error reports").

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::response::Response;
use sentry::integrations::backtrace::ProcessStacktraceIntegration;
use sentry::integrations::contexts::ContextIntegration;
use sentry::integrations::panic::PanicIntegration;
use sentry::protocol::{Event, Exception, Level};
use sentry::{ClientInitGuard, ClientOptions, Hub};

use super::TelemetryError;
use crate::config::Telemetry;
use crate::error::{ErrorCause, PendingErrorBody};
use crate::pipeline::catch_panic::Panicked;

/// Tags an event may carry; any other is dropped.
const TAGS: [&str; 5] = ["request_id", "method", "route", "status", "code"];
/// Contexts an event may carry (the host's OS and the Rust runtime).
const CONTEXTS: [&str; 3] = ["os", "rust", "device"];
/// Most reports made per second. Making one costs about a millisecond of CPU (the stack
/// trace is captured and symbolized on the spot); during an outage every answer is a 5xx,
/// and reporting each would cost more than serving it. Beyond this, 5xx answers and
/// panics are still logged and counted, just not reported.
const REPORTS_PER_SECOND: u64 = 10;
/// The current second (high 32 bits) and the reports made in it (low 32 bits). Process-wide,
/// like the Sentry client and the panic hook it guards.
static BUDGET: AtomicU64 = AtomicU64::new(0);

/// Takes one report from this second's budget; false when it is spent.
fn within_budget() -> bool {
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() & 0xffff_ffff);
    let mut current = BUDGET.load(Ordering::Relaxed);
    loop {
        let next = if current >> 32 != second {
            (second << 32) | 1
        } else if current & 0xffff_ffff < REPORTS_PER_SECOND {
            current + 1
        } else {
            return false;
        };
        match BUDGET.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(seen) => current = seen,
        }
    }
}

/// Shortest run of base64url characters that is redacted unless it reads as a word.
const REDACT_FROM: usize = 8;

/// Starts the Sentry client when `SENTRY_DSN` is set; dropping the guard flushes queued
/// events (for at most two seconds).
pub fn init(settings: &Telemetry) -> Result<Option<ClientInitGuard>, TelemetryError> {
    let Some(dsn) = &settings.sentry_dsn else {
        return Ok(None);
    };
    // The message never repeats the DSN: it holds the project's key.
    let dsn = dsn.parse().map_err(|_| TelemetryError {
        variable: "SENTRY_DSN",
        problem: "is not a valid Sentry DSN".into(),
    })?;
    let mut options = ClientOptions::new()
        .release(format!("vanish@{}", env!("CARGO_PKG_VERSION")))
        .environment(settings.environment.clone())
        .sample_rate(settings.sentry_sample_rate)
        .send_default_pii(false)
        .max_breadcrumbs(0)
        .in_app_include(["vanish"])
        .shutdown_timeout(Duration::from_secs(2))
        .before_send(|event| Some(scrub(event)))
        .before_breadcrumb(|_| None)
        // Sentry's own panic integration flushes the queue from the panicking thread (up
        // to 2 s with a dead DSN): ours (`report_panics`) only queues. The others are
        // Sentry's defaults: OS and runtime contexts, stack trace trimming.
        .default_integrations(false)
        .add_integration(ContextIntegration::default())
        .add_integration(ProcessStacktraceIntegration);
    options.dsn = Some(dsn);
    let guard = sentry::init(options);
    report_panics();
    // Symbolizing the first stack trace loads the binary's debug information (tens of
    // milliseconds to a second); do it now, on a thread of its own, not in a report.
    std::thread::spawn(|| drop(backtrace::Backtrace::new()));
    Ok(Some(guard))
}

/// Chains a panic hook that reports the panic, tagged with the request being served if
/// any, and answered 500 by the catch-panic layer.
fn report_panics() {
    let next = std::panic::take_hook();
    let events = PanicIntegration::new();
    std::panic::set_hook(Box::new(move |info| {
        if !within_budget() {
            return next(info);
        }
        let mut event = events.event_from_panic_info(info);
        let _ = REQUEST.try_with(|tags| {
            tag(&mut event, tags);
            event.tags.insert("status".into(), "500".into());
        });
        Hub::main().capture_event(event);
        next(info);
    }));
}

/// What a report about the request being served is tagged with.
#[derive(Debug, Clone)]
struct RequestTags {
    request_id: String,
    method: &'static str,
    route: String,
}

tokio::task_local! {
    /// The request the current task serves. A task-local rather than a Sentry scope per
    /// request: a new hub and scope for every request cost more than the rest of the error
    /// reporting together, and the tags are only read when an event is made.
    static REQUEST: RequestTags;
}

/// Serves one request with its tags at hand (so a panic inside is reported with them,
/// see [`report_panics`]), and reports the answer if it is a 5xx. A panic is reported by the panic
/// hook, where its stack trace is; the 500 the catch-panic layer answers for it is not
/// reported a second time.
pub async fn watch(
    request_id: String,
    method: &'static str,
    route: String,
    serve: impl Future<Output = Response>,
) -> Response {
    let tags = RequestTags {
        request_id,
        method,
        route,
    };
    let mut scoped = std::pin::pin!(REQUEST.scope(tags, serve));
    let response = scoped.as_mut().await;
    let status = response.status();
    let reported_elsewhere = response.extensions().get::<Panicked>().is_some();
    if status.is_server_error()
        && !reported_elsewhere
        && within_budget()
        && let Some(tags) = scoped.as_mut().take_value()
    {
        report(&tags, &response);
    }
    response
}

/// A 5xx answer as an event, its stack trace where the answer was made. The stack is
/// walked here and symbolized on the blocking pool, so the request waits for neither.
fn report(tags: &RequestTags, response: &Response) {
    let status = response.status();
    let code = response
        .extensions()
        .get::<PendingErrorBody>()
        .map_or("HTTP_ERROR", |p| p.code.as_str());
    let cause = response.extensions().get::<ErrorCause>();
    let (method, route) = (tags.method, &tags.route);
    let mut event = Event {
        level: Level::Error,
        message: Some(format!("{} {code} on {method} {route}", status.as_u16())),
        exception: vec![Exception {
            ty: code.to_owned(),
            value: cause.map(|c| c.0.to_string()),
            ..Exception::default()
        }]
        .into(),
        ..Event::default()
    };
    tag(&mut event, tags);
    event
        .tags
        .insert("status".into(), status.as_u16().to_string());
    event.tags.insert("code".into(), code.to_owned());
    let mut trace = backtrace::Backtrace::new_unresolved();
    tokio::task::spawn_blocking(move || {
        trace.resolve();
        if let Some(exception) = event.exception.values.first_mut() {
            exception.stacktrace = sentry::integrations::backtrace::backtrace_to_stacktrace(&trace);
        }
        Hub::main().capture_event(event);
    });
}

fn tag(event: &mut Event<'static>, tags: &RequestTags) {
    event
        .tags
        .insert("request_id".into(), tags.request_id.clone());
    event.tags.insert("method".into(), tags.method.to_owned());
    event.tags.insert("route".into(), tags.route.clone());
}

/// Keeps only what an event may carry (see the module comment).
pub fn scrub(mut event: Event<'static>) -> Event<'static> {
    event.request = None;
    event.user = None;
    event.transaction = None;
    event.culprit = None;
    event.extra.clear();
    event.breadcrumbs.values.clear();
    event.tags.retain(|key, _| TAGS.contains(&key.as_str()));
    event
        .contexts
        .retain(|key, _| CONTEXTS.contains(&key.as_str()));
    let panicked = event
        .exception
        .values
        .iter()
        .any(|e| e.mechanism.as_ref().is_some_and(|m| m.ty == "panic"));
    // A panic while serving a request is answered 500 by the catch-panic layer.
    if panicked && event.tags.contains_key("route") {
        event.tags.insert("status".into(), "500".into());
    }
    event.message = event.message.as_deref().map(redact);
    if let Some(entry) = &mut event.logentry {
        entry.message = redact(&entry.message);
        entry.params.clear();
    }
    for exception in &mut event.exception.values {
        exception.value = exception.value.as_deref().map(redact);
        if let Some(mechanism) = &mut exception.mechanism {
            mechanism.data.clear();
            mechanism.meta = Default::default();
        }
        for stack in [&mut exception.stacktrace, &mut exception.raw_stacktrace] {
            strip_frames(stack);
        }
    }
    strip_frames(&mut event.stacktrace);
    for thread in &mut event.threads.values {
        strip_frames(&mut thread.stacktrace);
        strip_frames(&mut thread.raw_stacktrace);
    }
    event
}

/// Frames keep their code location only: no variables, no source lines.
fn strip_frames(stack: &mut Option<sentry::protocol::Stacktrace>) {
    for frame in stack.iter_mut().flat_map(|s| s.frames.iter_mut()) {
        frame.vars.clear();
        frame.pre_context.clear();
        frame.context_line = None;
        frame.post_context.clear();
    }
}

/// `text` with IP addresses and every token that could be secret material replaced.
///
/// Tokens are runs of base64url characters and the separators `.`, `:` and `/`. A token
/// that parses as an IP address (with or without a port) becomes `[ip]`. Otherwise each
/// piece between separators of at least 8 characters becomes `[redacted]` unless it reads
/// as a word or a constant (`Connection`, `timed_out`, `STORE_UNAVAILABLE`) or a number:
/// ids (22 base62), ivs (16), tokens and ciphertext (longer) mix cases and digits, and the
/// chance that one of them reads as a word is below one in a million.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/') {
            token.push(c);
        } else {
            redact_token(&token, &mut out);
            token.clear();
            out.push(c);
        }
    }
    redact_token(&token, &mut out);
    out
}

fn redact_token(token: &str, out: &mut String) {
    let trimmed = token.trim_end_matches(['.', ':']);
    if trimmed.parse::<IpAddr>().is_ok() || trimmed.parse::<SocketAddr>().is_ok() {
        out.push_str("[ip]");
        out.push_str(&token[trimmed.len()..]);
        return;
    }
    let mut piece = String::new();
    for c in token.chars() {
        if matches!(c, '.' | ':' | '/') {
            out.push_str(redact_piece(&piece));
            piece.clear();
            out.push(c);
        } else {
            piece.push(c);
        }
    }
    out.push_str(redact_piece(&piece));
}

fn redact_piece(piece: &str) -> &str {
    if piece.len() < REDACT_FROM || reads_as_word(piece) {
        piece
    } else {
        "[redacted]"
    }
}

/// `Word`, `word`, `snake_case`, `CONSTANT_CASE` or all digits.
fn reads_as_word(piece: &str) -> bool {
    let mut chars = piece.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    let rest = chars.as_str();
    let lower = |s: &str| s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    let upper = |s: &str| s.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    piece.chars().all(|c| c.is_ascii_digit())
        || (first.is_ascii_alphabetic() && lower(rest))
        || (first.is_ascii_uppercase() && upper(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_material_and_addresses_are_redacted_and_words_kept() {
        let cases = [
            (
                "backend: connection refused at 10.1.2.3:6379 for [::1]",
                "backend: connection refused at [ip] for [[ip]]",
            ),
            (
                "take 3VbPnXqz8kLm2RtYw7HcdA failed",
                "take [redacted] failed",
            ),
            (
                "iv=SXZOZXZlckxvZ2dl ct=Q2lwaGVydGV4dFRoYXRNdXN0TmV2ZXJCZUxvZ2dlZA",
                "iv=[redacted] ct=[redacted]",
            ),
            (
                "/api/secrets/abcDEF123ghiJKL456mnoP/reveal",
                "/api/secrets/[redacted]/reveal",
            ),
            (
                "STORE_UNAVAILABLE: Timeout after 10000 ms in vanish_server::store",
                "STORE_UNAVAILABLE: Timeout after 10000 ms in vanish_server::store",
            ),
            ("client 2001:db8::42 banned", "client [ip] banned"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn only_allowed_tags_and_no_request_data_leave() {
        let mut event = Event {
            message: Some("token=V3JvbmdQcm9vZk5ldmVyTG9nZ2Vk".into()),
            request: Some(sentry::protocol::Request {
                query_string: Some("id=3VbPnXqz8kLm2RtYw7HcdA".into()),
                ..Default::default()
            }),
            user: Some(sentry::protocol::User {
                ip_address: Some(sentry::protocol::IpAddress::Auto),
                ..Default::default()
            }),
            ..Event::default()
        };
        event
            .tags
            .insert("route".into(), "/api/secrets/{id}".into());
        event.tags.insert("client".into(), "10.0.0.1".into());
        event.extra.insert("body".into(), "ciphertext".into());
        let event = scrub(event);
        assert!(event.request.is_none() && event.user.is_none());
        assert!(event.extra.is_empty());
        assert_eq!(event.tags.keys().collect::<Vec<_>>(), ["route"]);
        assert_eq!(event.message.as_deref(), Some("token=[redacted]"));
    }
}
