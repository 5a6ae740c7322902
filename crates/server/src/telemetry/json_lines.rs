//! The JSON log line: `{"timestamp", "level", <the event's fields>, "target", "span": {<the
//! request span's fields>, "name"}}`, the shape of `tracing-subscriber`'s JSON format with
//! flattened events and the current span, written straight into the line.
//!
//! Written here rather than taken from `tracing-subscriber` for its cost: its JSON format
//! serializes through `serde_json` into an `io::Write` adaptor that checks every fragment
//! for UTF-8 (about a hundred per line), and parses the span's stored fields back into a
//! map on every line. That was a sixth of the server's instructions for a metadata read at
//! `LOG_LEVEL=info` (bench/README.md, "Where the time goes"). Here each value is escaped
//! as it is written, and the span's fields, stored as JSON by `JsonFields` when the span
//! was made, are copied in as they are.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as JSON lines; spans' fields must be formatted by [`JsonFields`].
pub struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        write!(writer, "\",\"level\":\"{}\"", meta.level())?;
        let mut fields = EventFields {
            out: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        quoted(&mut writer, meta.target())?;
        let span = event
            .parent()
            .and_then(|id| ctx.span(id))
            .or_else(|| ctx.lookup_current());
        if let Some(span) = span {
            let extensions = span.extensions();
            let stored = extensions
                .get::<FormattedFields<JsonFields>>()
                .map_or("", |f| f.fields.as_str());
            // `{"a":1,"b":2}` or empty: the members between the braces, if any.
            let members = stored
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .unwrap_or("");
            writer.write_str(",\"span\":{")?;
            if !members.is_empty() {
                writer.write_str(members)?;
                writer.write_char(',')?;
            }
            writer.write_str("\"name\":")?;
            quoted(&mut writer, span.name())?;
            writer.write_char('}')?;
        }
        writer.write_str("}\n")
    }
}

/// Writes each field of an event as `,"name":value`.
struct EventFields<'a, 'w> {
    out: &'a mut Writer<'w>,
    result: fmt::Result,
}

impl EventFields<'_, '_> {
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self
                .out
                .write_char(',')
                .and_then(|()| quoted(self.out, field.name()))
                .and_then(|()| self.out.write_char(':'))
                .and_then(|()| value(self.out));
        }
    }
}

impl Visit for EventFields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |out| quoted(out, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value}")?;
            out.write_char('"')
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |out| write!(out, "{value}"));
    }

    /// Finite numbers in their shortest exact form (`Debug` keeps the `.0` of whole ones);
    /// JSON has no NaN or infinity, so those are `null`, as `serde_json` writes them.
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.member(field, |out| {
            if value.is_finite() {
                write!(out, "{value:?}")
            } else {
                out.write_str("null")
            }
        });
    }
}

/// Writes `text` as a JSON string.
fn quoted(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(&mut *out).write_str(text)?;
    out.write_char('"')
}

/// Escapes what passes through it for the inside of a JSON string, as `serde_json` does:
/// the quote, the backslash and control characters; everything else as it is.
struct Escaped<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, byte) in s.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = i + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::telemetry::captured::CapturedLogs;

    /// What `run` logs, once through [`JsonLines`] and once through `tracing-subscriber`'s
    /// own JSON format as the server configured it before, each parsed.
    fn both(run: impl Fn()) -> (serde_json::Value, serde_json::Value) {
        let ours = CapturedLogs::default();
        let theirs = CapturedLogs::default();
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(JsonFields::new())
                    .event_format(JsonLines)
                    .with_writer(ours.clone()),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(theirs.clone()),
            );
        tracing::subscriber::with_default(subscriber, run);
        let parse = |logs: CapturedLogs| {
            let mut lines = logs.lines();
            assert_eq!(lines.len(), 1, "one line: {}", logs.text());
            let mut line = lines.remove(0);
            line.as_object_mut().expect("an object").remove("timestamp");
            line
        };
        (parse(ours), parse(theirs))
    }

    #[test]
    fn a_line_says_what_tracing_subscribers_json_format_says() {
        let (ours, theirs) = both(|| {
            let span = tracing::info_span!(
                "request",
                request_id = "ab\"c",
                method = "GET",
                route = "/api/secrets/{id}"
            );
            let _entered = span.enter();
            tracing::info!(
                target: "vanish::access",
                status = 200_u16,
                duration_ms = 1.25_f64,
                whole = 2.0_f64,
                nan = f64::NAN,
                negative = -3_i64,
                ok = true,
                agent = "tab\there \u{1} \\ \"quoted\" ünïcode",
                shown = %"display\nvalue",
                debugged = ?Some("x"),
                "request {}",
                "done"
            );
        });
        assert_eq!(ours, theirs);
        assert_eq!(ours["span"]["request_id"], "ab\"c");
        assert_eq!(ours["agent"], "tab\there \u{1} \\ \"quoted\" ünïcode");
    }

    #[test]
    fn a_line_outside_any_span_has_no_span() {
        let (ours, theirs) = both(|| tracing::warn!(error = "store down", "sweep failed"));
        assert_eq!(ours, theirs);
        assert!(ours.get("span").is_none());
    }

    #[test]
    fn a_span_without_fields_still_names_itself() {
        let (ours, theirs) = both(|| {
            let _entered = tracing::info_span!("bare").entered();
            tracing::error!("inside");
        });
        assert_eq!(ours, theirs);
        assert_eq!(ours["span"]["name"], "bare");
    }
}
