//! What decides a request's trace (feature `otel`): the caller's W3C `traceparent` and
//! `tracestate` ([`Incoming`]), the sampler the standard variables choose ([`Sampler`]),
//! and fresh trace and span ids ([`new_trace_id`], [`new_span_id`]).
//!
//! Written here rather than taken from the OpenTelemetry SDK with the spans themselves
//! (see `otel`'s module comment): each piece is a few lines of the W3C Trace Context and
//! OpenTelemetry specifications, and taking them from the SDK would bring its `Context`
//! and span types into every request.

use std::cell::Cell;
use std::sync::Arc;

use axum::http::HeaderMap;

use super::TelemetryError;

/// The W3C flag of a sampled trace.
pub const SAMPLED: u8 = 1;

/// The longest `tracestate` carried on (the W3C limit for what a vendor must propagate).
const MAX_TRACE_STATE: usize = 512;

/// A caller's trace, from a valid `traceparent` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub flags: u8,
    /// The `tracestate` header(s), joined, when short enough and printable.
    pub trace_state: Option<Arc<str>>,
}

impl Incoming {
    /// The caller's trace from `headers`; `None` when there is no valid `traceparent`
    /// (a request with a malformed one starts a trace of its own, as the W3C
    /// recommendation says).
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let parent = headers.get("traceparent")?.to_str().ok()?;
        let (trace_id, span_id, flags) = parse_traceparent(parent.trim())?;
        // A `tracestate` that cannot be carried on is dropped; the parent still counts.
        let mut state = String::new();
        let mut valid = true;
        for value in headers.get_all("tracestate") {
            let Ok(value) = value.to_str() else {
                valid = false;
                break;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if !state.is_empty() {
                state.push(',');
            }
            state.push_str(value);
        }
        let trace_state = (valid && !state.is_empty() && state.len() <= MAX_TRACE_STATE)
            .then(|| Arc::from(state.as_str()));
        Some(Self {
            trace_id,
            span_id,
            flags,
            trace_state,
        })
    }
}

/// `version-traceid-parentid-flags` in lowercase hex. Version `ff` is invalid; version
/// `00` has exactly these four parts; a later version may append more after a `-`. An
/// all-zero trace or parent id is invalid.
fn parse_traceparent(value: &str) -> Option<([u8; 16], [u8; 8], u8)> {
    let bytes = value.as_bytes();
    if bytes.len() < 55 || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let version = hex_bytes::<1>(&bytes[..2])?[0];
    if version == 0xff || (version == 0 && bytes.len() != 55) {
        return None;
    }
    if bytes.len() > 55 && bytes[55] != b'-' {
        return None;
    }
    let trace_id = hex_bytes::<16>(&bytes[3..35])?;
    let span_id = hex_bytes::<8>(&bytes[36..52])?;
    let flags = hex_bytes::<1>(&bytes[53..55])?[0];
    if trace_id == [0; 16] || span_id == [0; 8] {
        return None;
    }
    Some((trace_id, span_id, flags))
}

/// `N` bytes from `2 × N` lowercase hex digits.
fn hex_bytes<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    fn nibble(d: u8) -> Option<u8> {
        match d {
            b'0'..=b'9' => Some(d - b'0'),
            b'a'..=b'f' => Some(d - b'a' + 10),
            _ => None,
        }
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// Lowercase hex of `bytes` into `out` (twice as long).
pub fn write_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
}

/// Which traces are kept, as `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` say
/// (default `parentbased_always_on`). Spans within a request follow its server span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    AlwaysOn,
    AlwaysOff,
    /// Keeps a trace when the lower 63 bits of the second half of its id fall under this
    /// bound: the same decision for the same trace wherever it is made (the
    /// specification's `TraceIdRatioBased`).
    Ratio(u64),
    /// Follows the caller's `sampled` flag when there is a caller, else the inner root
    /// sampler (never itself parent-based).
    ParentBased(Root),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Root {
    AlwaysOn,
    AlwaysOff,
    Ratio(u64),
}

impl Sampler {
    /// The sampler the environment names; an unknown name or a ratio that is not a number
    /// from 0 to 1 is an error naming the variable.
    pub fn from_env() -> Result<Self, TelemetryError> {
        let name = std::env::var("OTEL_TRACES_SAMPLER").unwrap_or_default();
        let arg = std::env::var("OTEL_TRACES_SAMPLER_ARG").ok();
        Self::parse(&name, arg.as_deref())
    }

    /// Names are read without regard to case or surrounding spaces, as the specification
    /// asks of enumerated values.
    fn parse(name: &str, arg: Option<&str>) -> Result<Self, TelemetryError> {
        let ratio = || -> Result<u64, TelemetryError> {
            let Some(arg) = arg.map(str::trim).filter(|a| !a.is_empty()) else {
                return Ok(ratio_bound(1.0));
            };
            match arg.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(ratio_bound(r)),
                _ => Err(TelemetryError {
                    variable: "OTEL_TRACES_SAMPLER_ARG",
                    problem: format!("{arg:?} is not a ratio from 0 to 1"),
                }),
            }
        };
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "" | "parentbased_always_on" => Self::ParentBased(Root::AlwaysOn),
            "parentbased_always_off" => Self::ParentBased(Root::AlwaysOff),
            "parentbased_traceidratio" => Self::ParentBased(Root::Ratio(ratio()?)),
            "always_on" => Self::AlwaysOn,
            "always_off" => Self::AlwaysOff,
            "traceidratio" => Self::Ratio(ratio()?),
            other => {
                return Err(TelemetryError {
                    variable: "OTEL_TRACES_SAMPLER",
                    problem: format!(
                        "{other:?} is not one of always_on, always_off, traceidratio, \
                         parentbased_always_on, parentbased_always_off, parentbased_traceidratio"
                    ),
                });
            }
        })
    }

    /// Whether the trace `trace_id`, continued from `caller` if any, is kept.
    pub fn keeps(&self, trace_id: &[u8; 16], caller: Option<&Incoming>) -> bool {
        match (self, caller) {
            (Self::AlwaysOn, _) => true,
            (Self::AlwaysOff, _) => false,
            (Self::Ratio(bound), _) => under_ratio(trace_id, *bound),
            (Self::ParentBased(_), Some(caller)) => caller.flags & SAMPLED != 0,
            (Self::ParentBased(Root::AlwaysOn), None) => true,
            (Self::ParentBased(Root::AlwaysOff), None) => false,
            (Self::ParentBased(Root::Ratio(bound)), None) => under_ratio(trace_id, *bound),
        }
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn ratio_bound(ratio: f64) -> u64 {
    (ratio * (1_u64 << 63) as f64) as u64
}

fn under_ratio(trace_id: &[u8; 16], bound: u64) -> bool {
    let mut low = [0; 8];
    low.copy_from_slice(&trace_id[8..]);
    (u64::from_be_bytes(low) >> 1) < bound
}

thread_local! {
    /// Per-thread state of the id generator, seeded from the OS once per thread.
    static ID_STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let mut bytes = [0; 8];
    // Without OS randomness the ids still differ between threads and over time.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        bytes = (u64::from(nanos) ^ (&raw const bytes as u64)).to_le_bytes();
    }
    u64::from_le_bytes(bytes)
}

/// The next 64 random bits (wyrand: fast and well distributed; trace ids need to be
/// unique, not secret, as the W3C specification says).
fn next_u64() -> u64 {
    ID_STATE.with(|state| {
        let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        #[allow(clippy::cast_possible_truncation)]
        let mixed = (t >> 64) as u64 ^ t as u64;
        mixed
    })
}

/// A new trace id, never all zeros.
pub fn new_trace_id() -> [u8; 16] {
    loop {
        let id = (u128::from(next_u64()) << 64 | u128::from(next_u64())).to_be_bytes();
        if id != [0; 16] {
            return id;
        }
    }
}

/// A new span id, never all zeros.
pub fn new_span_id() -> [u8; 8] {
    loop {
        let id = next_u64();
        if id != 0 {
            return id.to_be_bytes();
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).expect("a header value"));
        }
        headers
    }

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn a_valid_traceparent_and_its_tracestate_are_continued() {
        let incoming = Incoming::from_headers(&headers(&[
            ("traceparent", &format!("00-{TRACE}-00f067aa0ba902b7-01")),
            ("tracestate", "congo=t61rcWkgMzE"),
            ("tracestate", "rojo=00f067aa0ba902b7"),
        ]))
        .expect("continued");
        let mut hex = [0; 32];
        write_hex(&incoming.trace_id, &mut hex);
        assert_eq!(std::str::from_utf8(&hex), Ok(TRACE));
        assert_eq!(
            incoming.span_id,
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert_eq!(incoming.flags, SAMPLED);
        assert_eq!(
            incoming.trace_state.as_deref(),
            Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        );
        // A later version may carry more after its four parts.
        let later = format!("cc-{TRACE}-00f067aa0ba902b7-00-what-comes-next");
        let incoming = Incoming::from_headers(&headers(&[("traceparent", &later)]));
        assert_eq!(incoming.map(|i| i.flags), Some(0));
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace() {
        for bad in [
            String::new(),
            "garbage".to_owned(),
            format!("00-{TRACE}-00f067aa0ba902b7-01-extra"),
            format!("ff-{TRACE}-00f067aa0ba902b7-01"),
            format!("00-{}-00f067aa0ba902b7-01", TRACE.to_uppercase()),
            format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
            format!("00-{TRACE}-0000000000000000-01"),
            format!("00-{TRACE}-00f067aa0ba902b7-0x"),
            format!("00_{TRACE}-00f067aa0ba902b7-01"),
            format!("cc-{TRACE}-00f067aa0ba902b7-01x"),
        ] {
            assert_eq!(
                Incoming::from_headers(&headers(&[("traceparent", &bad)])),
                None,
                "{bad:?}"
            );
        }
        // A tracestate too long or not text is dropped, and the parent kept.
        let long_state = "k=".to_owned() + &"v".repeat(MAX_TRACE_STATE);
        let incoming = Incoming::from_headers(&headers(&[
            ("traceparent", &format!("00-{TRACE}-00f067aa0ba902b7-01")),
            ("tracestate", &long_state),
        ]));
        assert_eq!(incoming.map(|i| i.trace_state), Some(None));
        let mut with_bytes =
            headers(&[("traceparent", &format!("00-{TRACE}-00f067aa0ba902b7-01"))]);
        with_bytes.append(
            "tracestate",
            HeaderValue::from_bytes(b"k=\xff\xfe").expect("opaque bytes"),
        );
        let incoming = Incoming::from_headers(&with_bytes).expect("the parent is kept");
        assert_eq!(incoming.trace_state, None);
    }

    #[test]
    fn the_samplers_the_variables_name_decide_as_the_specification_says() {
        let sampled = Incoming {
            trace_id: [1; 16],
            span_id: [2; 8],
            flags: SAMPLED,
            trace_state: None,
        };
        let unsampled = Incoming {
            flags: 0,
            ..sampled.clone()
        };
        let parse = |name, arg| Sampler::parse(name, arg).expect("a sampler");
        let default = parse("", None);
        assert_eq!(default, Sampler::ParentBased(Root::AlwaysOn));
        assert!(default.keeps(&[3; 16], None));
        assert!(default.keeps(&[3; 16], Some(&sampled)));
        assert!(!default.keeps(&[3; 16], Some(&unsampled)));
        assert_eq!(parse(" Always_On ", None), Sampler::AlwaysOn);
        assert!(!parse("parentbased_always_off", None).keeps(&[3; 16], None));
        assert!(parse("parentbased_always_off", None).keeps(&[3; 16], Some(&sampled)));
        assert!(parse("always_on", None).keeps(&[3; 16], Some(&unsampled)));
        assert!(!parse("always_off", None).keeps(&[3; 16], Some(&sampled)));

        // A ratio keeps about that share of random traces, always the same ones.
        let ratio = parse("traceidratio", Some("0.25"));
        let kept = (0..20_000)
            .filter(|_| ratio.keeps(&new_trace_id(), None))
            .count();
        assert!((4_500..5_500).contains(&kept), "{kept} of 20000");
        let id = new_trace_id();
        assert_eq!(ratio.keeps(&id, None), ratio.keeps(&id, None));
        assert!(!parse("traceidratio", Some("0")).keeps(&[0xff; 16], None));
        assert!(parse("traceidratio", Some("1")).keeps(&[0xff; 16], None));
        let parent_ratio = parse("parentbased_traceidratio", Some("0"));
        assert!(!parent_ratio.keeps(&[3; 16], None));
        assert!(parent_ratio.keeps(&[3; 16], Some(&sampled)));

        for (name, arg, variable) in [
            ("sometimes", None, "OTEL_TRACES_SAMPLER"),
            ("traceidratio", Some("1.5"), "OTEL_TRACES_SAMPLER_ARG"),
            ("traceidratio", Some("half"), "OTEL_TRACES_SAMPLER_ARG"),
        ] {
            let error = Sampler::parse(name, arg).expect_err("refused");
            assert_eq!(error.variable, variable, "{name} {arg:?}");
        }
    }

    #[test]
    fn ids_are_never_zero_and_do_not_repeat() {
        let ids: std::collections::HashSet<[u8; 16]> =
            (0..10_000).map(|_| new_trace_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!((0..10_000).all(|_| new_span_id() != [0; 8]));
    }
}
