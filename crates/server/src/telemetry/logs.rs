//! The log layer: JSON lines by default ([`JsonLines`]), `pretty` for humans, level from
//! `LOG_LEVEL` or `RUST_LOG`. Every line written while a request is served carries that
//! request's span (`"span": {"request_id", "method", "route", …}` in JSON), whatever the
//! level: the request span is always kept, the level filter applies to everything else.

use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, LevelFilter, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, fmt};

use super::json_lines::JsonLines;
use crate::config::LogFormat;

/// Target of the one span per request (`pipeline::request_span`).
pub const REQUEST_TARGET: &str = "vanish::request";

/// The log layer, writing to `writer`. `RUST_LOG`, when set, wins over `level`.
pub fn layer<S, W>(format: LogFormat, level: &str, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let levels = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let request_span = filter_fn(|meta| meta.is_span() && meta.target() == REQUEST_TARGET)
        .with_max_level_hint(LevelFilter::INFO);
    let filter = levels.or(request_span);
    match format {
        LogFormat::Pretty => fmt::layer().with_writer(writer).with_filter(filter).boxed(),
        LogFormat::Json => fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines)
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
    }
}
