//! Request validation: raw JSON bodies in, typed values out. After this module nothing
//! re-validates. Rules follow the original service (docs/api.md, "Create") where it had them:
//! `encrypted` and `iv` are required base64url, `iv` decodes to 12 bytes, `ttl` is clamped
//! (never refused) and `maxViews` must lie in `[1, MAX_VIEWS]`.
//!
//! Where the original was silent (wrong JSON types) vanish answers a 400 naming the field:
//! a non-numeric `ttl` is `INVALID_TTL`, a non-integer `maxViews` is `INVALID_VIEWS` (`3.0`
//! is the integer 3, as JSON Schema counts it), a non-string
//! `encrypted`/`iv`/`passphraseVerifier` is `INVALID_ENCODING`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::error::ErrorCode;
use crate::id::TokenHash;
use crate::limits::Limits;

/// Base64url that tolerates padding and non-canonical trailing bits: the bytes are opaque
/// to the server, so any well-formed encoding is accepted and stored as sent.
const LENIENT_B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Length of an AES-GCM nonce.
pub const IV_BYTES: usize = 12;

/// Why a request was refused: a code and a message safe to send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: &'static str,
}

impl Rejection {
    const fn new(code: ErrorCode, message: &'static str) -> Self {
        Self { code, message }
    }
}

/// A valid create request, ready for a store.
#[derive(Debug, Clone)]
pub struct NewSecret {
    /// Ciphertext ‖ tag, base64url exactly as the client sent it.
    pub encrypted: String,
    /// The 12-byte nonce, base64url exactly as the client sent it.
    pub iv: String,
    pub ttl_ms: u64,
    pub max_views: u32,
    /// SHA-256 of the client's passphrase verifier, if the secret has a passphrase.
    pub verifier: Option<TokenHash>,
}

/// Parses and validates a create body (`POST /api/secrets`).
pub fn parse_create(body: &[u8], limits: &Limits) -> Result<NewSecret, Rejection> {
    let object = parse_object(body)?;
    let encrypted = required_string(&object, "encrypted")?;
    let iv = required_string(&object, "iv")?;
    // Size first: a huge body must not cost a full decode before it is refused.
    if encrypted.len() > limits.encrypted_max_chars {
        return Err(Rejection::new(
            ErrorCode::SecretTooLarge,
            "encrypted exceeds the size limit",
        ));
    }
    if !is_base64url(encrypted) {
        return Err(Rejection::new(
            ErrorCode::InvalidEncoding,
            "encrypted must be base64url",
        ));
    }
    let iv_bytes = LENIENT_B64URL
        .decode(iv)
        .map_err(|_| Rejection::new(ErrorCode::InvalidEncoding, "iv must be base64url"))?;
    if iv_bytes.len() != IV_BYTES {
        return Err(Rejection::new(
            ErrorCode::InvalidIvLength,
            "iv must decode to 12 bytes",
        ));
    }
    Ok(NewSecret {
        encrypted: encrypted.to_owned(),
        iv: iv.to_owned(),
        ttl_ms: parse_ttl(object.get("ttl"), limits)?,
        max_views: parse_max_views(object.get("maxViews"), limits)?,
        verifier: optional_bearer(&object, "passphraseVerifier")?,
    })
}

/// Parses a `{manageToken}` body (burn, status) into the hash stores compare against.
pub fn parse_manage(body: &[u8]) -> Result<TokenHash, Rejection> {
    let object = parse_object(body)?;
    let token = required_string(&object, "manageToken")?;
    Ok(TokenHash::of(token.as_bytes()))
}

/// Parses a reveal body: empty, `{}`, or `{"passphraseProof": "..."}`.
pub fn parse_reveal(body: &[u8]) -> Result<Option<TokenHash>, Rejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let object = parse_object(body)?;
    optional_bearer(&object, "passphraseProof")
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::new(ErrorCode::BadJson, "request body is empty"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Rejection::new(
            ErrorCode::BadJson,
            "request body must be a JSON object",
        )),
        Err(_) => Err(Rejection::new(
            ErrorCode::BadJson,
            "request body is not valid JSON",
        )),
    }
}

/// A required string field. Absent, null or empty counts as missing (the original's
/// `if (!encrypted || !iv)`); another JSON type is an encoding error.
fn required_string<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, Rejection> {
    match object.get(field) {
        None | Some(Value::Null) => Err(missing()),
        Some(Value::String(s)) if s.is_empty() => Err(missing()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Rejection::new(
            ErrorCode::InvalidEncoding,
            "field must be a string",
        )),
    }
}

fn missing() -> Rejection {
    Rejection::new(ErrorCode::MissingFields, "encrypted and iv are required")
}

/// An optional base64url bearer value (verifier or proof), returned as the SHA-256 of its
/// canonical form, so a verifier and a proof match when they encode the same bytes.
fn optional_bearer(
    object: &Map<String, Value>,
    field: &str,
) -> Result<Option<TokenHash>, Rejection> {
    let invalid = Rejection::new(
        ErrorCode::InvalidEncoding,
        "passphrase data must be base64url",
    );
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= BEARER_MAX_CHARS => canonical_base64url(s)
            .map(|canonical| Some(TokenHash::of(canonical.as_bytes())))
            .ok_or(invalid),
        Some(_) => Err(invalid),
    }
}

/// Longest verifier or proof accepted (vanish's are 43 characters).
const BEARER_MAX_CHARS: usize = 512;

/// The one spelling of the bytes `s` encodes: base64url without padding, trailing bits
/// zero. Padding and stray trailing bits are dropped; `None` if `s` is not base64url (the
/// standard alphabet's `+` and `/` included: the API speaks base64url only).
///
/// A canonical unpadded value, which every vanish client sends, maps to itself, so hashes
/// stored before normalisation still match.
pub fn canonical_base64url(s: &str) -> Option<String> {
    if !is_base64url(s) {
        return None;
    }
    let bytes = LENIENT_B64URL.decode(s).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

fn parse_ttl(value: Option<&Value>, limits: &Limits) -> Result<u64, Rejection> {
    let requested = match value {
        None | Some(Value::Null) => return Ok(limits.ttl_default_ms),
        // Whole numbers exactly (an f64 rounds above 2^53); others through f64.
        Some(Value::Number(n)) if n.is_u64() => {
            return Ok(limits.clamp_ttl(n.as_u64().unwrap_or_default()));
        }
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(_) => {
            return Err(Rejection::new(
                ErrorCode::InvalidTtl,
                "ttl must be a number",
            ));
        }
    };
    // Negative, fractional and absurdly large values all land inside the bounds.
    let whole = if requested.is_finite() && requested > 0.0 {
        requested as u64
    } else {
        0
    };
    Ok(limits.clamp_ttl(whole))
}

fn parse_max_views(value: Option<&Value>, limits: &Limits) -> Result<u32, Rejection> {
    let out_of_range = Rejection::new(
        ErrorCode::InvalidViews,
        "maxViews must be an integer in range",
    );
    match value {
        None | Some(Value::Null) => Ok(1),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| whole_number(n.as_f64()?))
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| (1..=limits.max_views).contains(v))
            .ok_or(out_of_range),
        Some(_) => Err(out_of_range),
    }
}

/// A JSON number written with a fraction that is zero (`3.0`, `3e0`) is the integer it
/// equals, as JSON Schema's `integer` says: clients whose JSON library writes floats
/// must not be refused for it. Only values a `u32` can hold matter here.
fn whole_number(f: f64) -> Option<u64> {
    (f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f)).then_some(f as u64)
}

/// Well-formed base64url: the URL-safe alphabet, optional `=` padding, and a length that
/// some byte string encodes to. Checked without decoding, since `encrypted` can be large.
pub fn is_base64url(s: &str) -> bool {
    let data = s.trim_end_matches('=');
    let padding = s.len() - data.len();
    let chars_ok = data
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let padding_ok = padding == 0 || (padding <= 2 && s.len().is_multiple_of(4));
    chars_ok && padding_ok && !data.is_empty() && data.len() % 4 != 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const IV: &str = "AAAAAAAAAAAAAAAA"; // 12 zero bytes

    fn create(body: &str) -> Result<NewSecret, Rejection> {
        parse_create(body.as_bytes(), &Limits::default())
    }

    fn code(body: &str) -> ErrorCode {
        create(body).expect_err("should be refused").code
    }

    #[test]
    fn a_whole_max_views_written_with_a_fraction_is_that_integer() {
        for written in ["47.0", "4.7e1", "47"] {
            let body = format!(r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":{written}}}"#);
            assert_eq!(create(&body).expect(written).max_views, 47);
        }
    }

    #[test]
    fn minimal_create_gets_defaults() {
        let s = create(&format!(r#"{{"encrypted":"abcd","iv":"{IV}"}}"#)).expect("valid");
        assert_eq!(s.ttl_ms, Limits::TTL_DEFAULT_MS);
        assert_eq!(s.max_views, 1);
        assert!(s.verifier.is_none());
    }

    #[test]
    fn ttl_is_clamped_not_refused() {
        let ttl = |t: &str| {
            create(&format!(r#"{{"encrypted":"abcd","iv":"{IV}","ttl":{t}}}"#))
                .expect("valid")
                .ttl_ms
        };
        assert_eq!(ttl("1"), Limits::TTL_MIN_MS);
        assert_eq!(ttl("-5"), Limits::TTL_MIN_MS);
        assert_eq!(ttl("1e30"), Limits::TTL_MAX_MS);
        assert_eq!(ttl("3600000"), 3_600_000);
        assert_eq!(ttl("3600000.7"), 3_600_000);
        // Whole numbers are exact beyond f64's 2^53.
        let wide = Limits {
            ttl_max_ms: u64::MAX,
            ..Limits::default()
        };
        let body = format!(r#"{{"encrypted":"abcd","iv":"{IV}","ttl":9007199254740993}}"#);
        let secret = parse_create(body.as_bytes(), &wide).expect("valid");
        assert_eq!(secret.ttl_ms, 9_007_199_254_740_993);
    }

    #[test]
    fn each_bad_input_has_its_code() {
        assert_eq!(code(""), ErrorCode::BadJson);
        assert_eq!(code("{not json"), ErrorCode::BadJson);
        assert_eq!(code("[1,2]"), ErrorCode::BadJson);
        assert_eq!(code("{}"), ErrorCode::MissingFields);
        assert_eq!(
            code(r#"{"encrypted":"","iv":"x"}"#),
            ErrorCode::MissingFields
        );
        assert_eq!(
            code(&format!(r#"{{"encrypted":5,"iv":"{IV}"}}"#)),
            ErrorCode::InvalidEncoding
        );
        assert_eq!(
            code(&format!(r#"{{"encrypted":"a+b/","iv":"{IV}"}}"#)),
            ErrorCode::InvalidEncoding
        );
        assert_eq!(
            code(r#"{"encrypted":"abcd","iv":"AAAA"}"#),
            ErrorCode::InvalidIvLength
        );
        assert_eq!(
            code(r#"{"encrypted":"abcd","iv":"!!"}"#),
            ErrorCode::InvalidEncoding
        );
        assert_eq!(
            code(&format!(
                r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":0}}"#
            )),
            ErrorCode::InvalidViews
        );
        assert_eq!(
            code(&format!(
                r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":101}}"#
            )),
            ErrorCode::InvalidViews
        );
        assert_eq!(
            code(&format!(
                r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":1.5}}"#
            )),
            ErrorCode::InvalidViews
        );
        assert_eq!(
            code(&format!(
                r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":"2"}}"#
            )),
            ErrorCode::InvalidViews
        );
        assert_eq!(
            code(&format!(
                r#"{{"encrypted":"abcd","iv":"{IV}","maxViews":101.0}}"#
            )),
            ErrorCode::InvalidViews
        );
        assert_eq!(
            code(&format!(r#"{{"encrypted":"abcd","iv":"{IV}","ttl":"1h"}}"#)),
            ErrorCode::InvalidTtl
        );
        assert_eq!(
            code(&format!(
                r#"{{"encrypted":"abcd","iv":"{IV}","passphraseVerifier":7}}"#
            )),
            ErrorCode::InvalidEncoding
        );
    }

    #[test]
    fn size_limit_is_inclusive() {
        let limits = Limits {
            encrypted_max_chars: 8,
            ..Limits::default()
        };
        let at = format!(r#"{{"encrypted":"{}","iv":"{IV}"}}"#, "a".repeat(8));
        let over = format!(r#"{{"encrypted":"{}","iv":"{IV}"}}"#, "a".repeat(9));
        assert!(parse_create(at.as_bytes(), &limits).is_ok());
        let err = parse_create(over.as_bytes(), &limits).expect_err("too large");
        assert_eq!(err.code, ErrorCode::SecretTooLarge);
    }

    #[test]
    fn base64url_shapes() {
        assert!(is_base64url("abcd"));
        assert!(is_base64url("ab-_"));
        assert!(is_base64url("abc"));
        assert!(is_base64url("ab=="));
        assert!(!is_base64url("a"));
        assert!(!is_base64url("abcde"));
        assert!(!is_base64url("ab+/"));
        assert!(!is_base64url("="));
    }

    #[test]
    fn reveal_body_may_be_empty() {
        assert!(parse_reveal(b"").expect("empty ok").is_none());
        assert!(parse_reveal(b"{}").expect("object ok").is_none());
        assert!(
            parse_reveal(br#"{"passphraseProof":"abcd"}"#)
                .expect("proof ok")
                .is_some()
        );
        assert_eq!(
            parse_reveal(b"nope").expect_err("bad").code,
            ErrorCode::BadJson
        );
    }

    #[test]
    fn proofs_and_verifiers_match_by_the_bytes_they_encode() {
        let hash = |body: &str| {
            parse_reveal(body.as_bytes())
                .expect("valid proof")
                .expect("a proof")
        };
        // "dmVyaWZpZXI" encodes "verifier"; "dmVyaWZpZXJ" differs only in trailing bits.
        let unpadded = hash(r#"{"passphraseProof":"dmVyaWZpZXI"}"#);
        for same in ["dmVyaWZpZXI=", "dmVyaWZpZXJ"] {
            let other = hash(&format!(r#"{{"passphraseProof":"{same}"}}"#));
            assert!(unpadded.matches(&other), "{same}");
        }
        assert!(
            unpadded.matches(&TokenHash::of(b"dmVyaWZpZXI")),
            "old hashes still match"
        );
        assert!(!unpadded.matches(&hash(r#"{"passphraseProof":"dmVyaWZpZXM"}"#)));
        let verifier = create(&format!(
            r#"{{"encrypted":"abcd","iv":"{IV}","passphraseVerifier":"dmVyaWZpZXI="}}"#
        ))
        .expect("valid")
        .verifier
        .expect("a verifier");
        assert!(verifier.matches(&unpadded));
    }

    #[test]
    fn only_the_url_safe_alphabet_is_canonical() {
        assert_eq!(canonical_base64url("-_8").as_deref(), Some("-_8"));
        assert_eq!(canonical_base64url("+/8"), None);
        assert_eq!(canonical_base64url("aQ=="), Some("aQ".to_owned()));
        assert_eq!(canonical_base64url("ab").as_deref(), Some("aQ"));
        assert_eq!(canonical_base64url("aQ="), None);
        assert_eq!(canonical_base64url(""), None);
        assert_eq!(
            parse_reveal(br#"{"passphraseProof":"+/8"}"#)
                .expect_err("standard alphabet")
                .code,
            ErrorCode::InvalidEncoding
        );
    }

    #[test]
    fn manage_body_needs_a_token() {
        assert!(parse_manage(br#"{"manageToken":"t"}"#).is_ok());
        assert_eq!(
            parse_manage(b"{}").expect_err("missing").code,
            ErrorCode::MissingFields
        );
    }
}
