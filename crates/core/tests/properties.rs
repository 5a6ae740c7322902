//! Property tests of everything in vanish-core that takes input from outside: request
//! bodies (`validate`), ids and tokens (`id`), base64url, links and the envelope
//! (`envelope`), and the rate-limit maths (`ratelimit`). Public API only.
//!
//! The properties: no input panics; accepted input round-trips (what goes in comes back,
//! normalised only where `docs/api.md` says so); input with one thing wrong is refused
//! with the code `docs/api.md` documents for that thing, at the status its table gives
//! (the table is read from the file, so the two cannot drift); and the rate-limit
//! invariants of `docs/api.md` hold (windows only move forward, the ban comes exactly at
//! limit × multiplier, the remaining budget never grows within a window, and the headers
//! agree with each other).

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vanish_core::envelope::{KEY_BYTES, Keys, Link, LinkKey, OpenError, TAG_BYTES};
use vanish_core::error::ErrorCode;
use vanish_core::id::{GENERATED_ID_LEN, ID_MAX_LEN, ID_MIN_LEN, ManageToken, SecretId, TokenHash};
use vanish_core::limits::Limits;
use vanish_core::ratelimit::{self, Action, Decision, Policy, Tally};
use vanish_core::validate::{
    self, IV_BYTES, canonical_base64url, is_base64url, parse_create, parse_manage, parse_reveal,
};

// ---- The documented codes ----------------------------------------------------------

/// `docs/api.md`'s error table: code → status.
fn documented_statuses() -> HashMap<String, u16> {
    include_str!("../../../docs/api.md")
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).skip(1);
            let code = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let status = cells.next()?.parse().ok()?;
            Some((code.to_owned(), status))
        })
        .collect()
}

/// Fails unless `code` is in the documented table with the status the code is sent with.
fn assert_documented(code: ErrorCode) -> Result<(), TestCaseError> {
    let documented = documented_statuses().get(code.as_str()).copied();
    prop_assert_eq!(documented, Some(code.status()), "{} in docs/api.md", code);
    Ok(())
}

/// The code of a refusal, `None` if the input was accepted.
fn code_of<T>(parsed: Result<T, validate::Rejection>) -> Option<ErrorCode> {
    parsed.err().map(|rejection| rejection.code)
}

/// The codes a create body can be refused with (`docs/api.md`).
const CREATE_CODES: [ErrorCode; 7] = [
    ErrorCode::BadJson,
    ErrorCode::MissingFields,
    ErrorCode::InvalidEncoding,
    ErrorCode::InvalidIvLength,
    ErrorCode::InvalidViews,
    ErrorCode::InvalidTtl,
    ErrorCode::SecretTooLarge,
];

#[test]
fn every_code_validation_uses_is_documented_with_its_status() {
    let documented = documented_statuses();
    for code in CREATE_CODES {
        assert_eq!(
            documented.get(code.as_str()),
            Some(&code.status()),
            "{code}"
        );
    }
}

/// proptest's defaults (256 cases, `PROPTEST_CASES` to change), without writing failures
/// to a regressions file: a failure prints its minimal input, which belongs in a unit test.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- Strategies ----------------------------------------------------------------------

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[A-Za-z0-9_=+/-]{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys are mostly the API's field names, with any values.
fn api_like_object() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("encrypted".to_owned()),
        Just("iv".to_owned()),
        Just("ttl".to_owned()),
        Just("maxViews".to_owned()),
        Just("passphraseVerifier".to_owned()),
        Just("passphraseProof".to_owned()),
        Just("manageToken".to_owned()),
        "[a-zA-Z]{1,8}",
    ];
    prop::collection::vec((key, json_value()), 0..7)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
}

/// Bytes a client might send as a body: JSON-ish or not.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        api_like_object().prop_map(|v| v.to_string().into_bytes()),
    ]
}

/// base64url of `bytes`, padded or not.
fn encode(bytes: &[u8], padded: bool) -> String {
    if padded {
        URL_SAFE.encode(bytes)
    } else {
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// Limits an operator could configure (`TTL_MIN_MS` ≤ `TTL_MAX_MS`, at least one view),
/// with room for the ciphertexts of [`valid_create`] (at most 344 characters).
fn limits() -> impl Strategy<Value = Limits> {
    (
        1..u64::MAX / 2,
        0..u64::MAX / 2,
        1..=1000u32,
        400..100_000usize,
    )
        .prop_map(|(min, span, max_views, encrypted_max_chars)| Limits {
            ttl_min_ms: min,
            ttl_default_ms: min + span / 2,
            ttl_max_ms: min + span,
            max_views,
            encrypted_max_chars,
        })
}

// ---- base64url -----------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_encoding_of_some_bytes_is_base64url_and_canonicalises_to_the_unpadded_form(
        bytes in prop::collection::vec(any::<u8>(), 1..64),
        padded in any::<bool>(),
    ) {
        let encoded = encode(&bytes, padded);
        prop_assert!(is_base64url(&encoded));
        prop_assert_eq!(canonical_base64url(&encoded), Some(URL_SAFE_NO_PAD.encode(&bytes)));
    }

    #[test]
    fn a_string_canonicalises_exactly_when_it_is_base64url_and_canonical_forms_are_fixed(
        s in prop_oneof!["[A-Za-z0-9_=+/-]{0,24}", ".{0,16}"],
    ) {
        let canonical = canonical_base64url(&s);
        prop_assert_eq!(canonical.is_some(), is_base64url(&s));
        if let Some(canonical) = canonical {
            prop_assert!(!canonical.contains('='));
            prop_assert_eq!(canonical_base64url(&canonical), Some(canonical.clone()));
        }
    }

    #[test]
    fn a_character_outside_the_url_safe_alphabet_is_never_base64url(
        bytes in prop::collection::vec(any::<u8>(), 1..32),
        at in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec!['+', '/', ' ', '.', '\n', 'é', '\0']),
    ) {
        let mut encoded: Vec<char> = URL_SAFE_NO_PAD.encode(&bytes).chars().collect();
        encoded.insert(at.index(encoded.len() + 1), bad);
        let encoded: String = encoded.into_iter().collect();
        prop_assert!(!is_base64url(&encoded), "{:?}", encoded);
        prop_assert_eq!(canonical_base64url(&encoded), None);
    }
}

// ---- ids and tokens ------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_id_parses_exactly_when_it_is_8_to_64_letters_and_digits(s in prop_oneof![
        "[A-Za-z0-9]{0,70}",
        ".{0,70}",
    ]) {
        let valid = (ID_MIN_LEN..=ID_MAX_LEN).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric());
        match SecretId::parse(&s) {
            Some(id) => {
                prop_assert!(valid);
                prop_assert_eq!(id.as_str(), s.as_str());
                prop_assert_eq!(id.to_string(), s);
            }
            None => prop_assert!(!valid),
        }
    }

    #[test]
    fn generated_ids_are_22_base62_characters_that_parse_back(random in any::<[u8; 32]>()) {
        let id = SecretId::from_random(random);
        prop_assert_eq!(id.as_str().len(), GENERATED_ID_LEN);
        prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        prop_assert_eq!(SecretId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn distinct_entropy_gives_distinct_ids_and_tokens(
        a in any::<[u8; 32]>(),
        b in any::<[u8; 32]>(),
    ) {
        prop_assume!(a != b);
        prop_assert_ne!(SecretId::from_random(a), SecretId::from_random(b));
        let (a, b) = (ManageToken::from_random(a), ManageToken::from_random(b));
        prop_assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn a_manage_token_is_canonical_base64url_whose_hash_is_what_a_manage_body_gives(
        random in any::<[u8; 32]>(),
    ) {
        let token = ManageToken::from_random(random);
        prop_assert_eq!(token.as_str().len(), 43);
        prop_assert_eq!(canonical_base64url(token.as_str()), Some(token.as_str().to_owned()));
        let body = json!({ "manageToken": token.as_str() }).to_string();
        let parsed = parse_manage(body.as_bytes()).map_err(|r| TestCaseError::fail(r.message))?;
        prop_assert!(parsed.matches(&token.hash()));
    }

    #[test]
    fn a_token_hash_restores_from_exactly_32_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        match TokenHash::from_slice(&bytes) {
            Some(hash) => {
                prop_assert_eq!(bytes.len(), 32);
                prop_assert_eq!(&hash.as_bytes()[..], &bytes[..]);
                prop_assert!(hash.matches(&TokenHash::from_bytes(*hash.as_bytes())));
            }
            None => prop_assert_ne!(bytes.len(), 32),
        }
    }
}

// ---- create bodies -------------------------------------------------------------------

/// How a valid create body sets `ttl`.
#[derive(Debug, Clone)]
enum TtlField {
    Absent,
    Null,
    Whole(u64),
    Negative(i64),
    Fraction(f64),
}

/// The parts of a valid create body.
#[derive(Debug, Clone)]
struct ValidCreate {
    ciphertext: Vec<u8>,
    iv: [u8; IV_BYTES],
    padded: bool,
    ttl: TtlField,
    /// `None`: absent; `Some(None)`: null.
    max_views: Option<Option<u32>>,
    verifier: Option<(Vec<u8>, bool)>,
}

impl ValidCreate {
    fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert(
            "encrypted".into(),
            encode(&self.ciphertext, self.padded).into(),
        );
        body.insert("iv".into(), encode(&self.iv, self.padded).into());
        match self.ttl {
            TtlField::Absent => {}
            TtlField::Null => drop(body.insert("ttl".into(), Value::Null)),
            TtlField::Whole(ms) => drop(body.insert("ttl".into(), ms.into())),
            TtlField::Negative(ms) => drop(body.insert("ttl".into(), ms.into())),
            TtlField::Fraction(ms) => drop(body.insert("ttl".into(), ms.into())),
        }
        if let Some(views) = self.max_views {
            body.insert("maxViews".into(), views.map_or(Value::Null, Value::from));
        }
        if let Some((verifier, padded)) = &self.verifier {
            body.insert(
                "passphraseVerifier".into(),
                encode(verifier, *padded).into(),
            );
        }
        body
    }

    /// The TTL `docs/api.md` promises: absent or null is the default; otherwise clamped
    /// into the bounds, fractions cut.
    fn expected_ttl(&self, limits: &Limits) -> u64 {
        match self.ttl {
            TtlField::Absent | TtlField::Null => limits.ttl_default_ms,
            TtlField::Whole(ms) => limits.clamp_ttl(ms),
            TtlField::Negative(_) => limits.ttl_min_ms,
            TtlField::Fraction(ms) => limits.clamp_ttl(ms.trunc() as u64),
        }
    }
}

fn valid_create(max_views: u32) -> impl Strategy<Value = ValidCreate> {
    let ttl = prop_oneof![
        Just(TtlField::Absent),
        Just(TtlField::Null),
        any::<u64>().prop_map(TtlField::Whole),
        (0..10_000_000_000u64).prop_map(TtlField::Whole),
        (i64::MIN..0).prop_map(TtlField::Negative),
        (0.0..1e12f64).prop_map(TtlField::Fraction),
    ];
    let views = prop_oneof![
        Just(None),
        Just(Some(None)),
        (1..=max_views).prop_map(|v| Some(Some(v))),
    ];
    let verifier = prop::option::of((prop::collection::vec(any::<u8>(), 1..64), any::<bool>()));
    (
        prop::collection::vec(any::<u8>(), 1..256),
        any::<[u8; IV_BYTES]>(),
        any::<bool>(),
        ttl,
        views,
        verifier,
    )
        .prop_map(
            |(ciphertext, iv, padded, ttl, max_views, verifier)| ValidCreate {
                ciphertext,
                iv,
                padded,
                ttl,
                max_views,
                verifier,
            },
        )
}

/// One thing wrong with an otherwise valid create body, and the code `docs/api.md` gives it.
#[derive(Debug, Clone)]
enum Fault {
    /// `encrypted` or `iv` absent, null or empty.
    Missing(&'static str, Option<Value>),
    /// `encrypted` or `iv` not a string.
    NotString(&'static str, Value),
    /// A character outside the alphabet in a base64url field.
    BadCharacter(&'static str, usize, char),
    /// `iv` decoding to some other length than 12 bytes.
    IvLength(usize),
    /// `maxViews` not an integer in `[1, MAX_VIEWS]`.
    Views(Value),
    /// `ttl` not a number.
    Ttl(Value),
    /// `passphraseVerifier` not base64url (or over 512 characters).
    Verifier(Value),
    /// `encrypted` over `ENCRYPTED_MAX_CHARS`.
    TooLarge,
}

impl Fault {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Missing(..) => ErrorCode::MissingFields,
            Self::NotString(..) | Self::BadCharacter(..) | Self::Verifier(_) => {
                ErrorCode::InvalidEncoding
            }
            Self::IvLength(_) => ErrorCode::InvalidIvLength,
            Self::Views(_) => ErrorCode::InvalidViews,
            Self::Ttl(_) => ErrorCode::InvalidTtl,
            Self::TooLarge => ErrorCode::SecretTooLarge,
        }
    }

    fn apply(&self, body: &mut Map<String, Value>, limits: &Limits) {
        match self {
            Self::Missing(field, None) => drop(body.remove(*field)),
            Self::Missing(field, Some(value)) | Self::NotString(field, value) => {
                drop(body.insert((*field).into(), value.clone()))
            }
            Self::BadCharacter(field, at, bad) => {
                let mut chars: Vec<char> =
                    body[*field].as_str().unwrap_or_default().chars().collect();
                chars.insert(at % (chars.len() + 1), *bad);
                body.insert(
                    (*field).into(),
                    chars.into_iter().collect::<String>().into(),
                );
            }
            Self::IvLength(len) => {
                drop(body.insert("iv".into(), encode(&vec![7; *len], false).into()))
            }
            Self::Views(value) => drop(body.insert("maxViews".into(), value.clone())),
            Self::Ttl(value) => drop(body.insert("ttl".into(), value.clone())),
            Self::Verifier(value) => drop(body.insert("passphraseVerifier".into(), value.clone())),
            Self::TooLarge => {
                let chars = limits.encrypted_max_chars + 1;
                body.insert("encrypted".into(), "A".repeat(chars).into());
            }
        }
    }
}

/// A JSON value that is neither a string nor null.
fn non_string() -> impl Strategy<Value = Value> {
    json_value().prop_filter("not a string or null", |v| !v.is_string() && !v.is_null())
}

fn fault(max_views: u32) -> impl Strategy<Value = Fault> {
    let field = prop_oneof![Just("encrypted"), Just("iv")];
    let bad_char = prop_oneof![
        Just('+'),
        Just('/'),
        Just(' '),
        Just('!'),
        Just('é'),
        Just('\u{0}')
    ];
    prop_oneof![
        (
            field.clone(),
            prop_oneof![Just(None), Just(Some(Value::Null)), Just(Some(json!("")))]
        )
            .prop_map(|(f, v)| Fault::Missing(f, v)),
        (field.clone(), non_string()).prop_map(|(f, v)| Fault::NotString(f, v)),
        (field, any::<usize>(), bad_char.clone())
            .prop_map(|(f, at, c)| Fault::BadCharacter(f, at, c)),
        (1..64usize)
            .prop_filter("not 12", |n| *n != IV_BYTES)
            .prop_map(Fault::IvLength),
        prop_oneof![
            Just(json!(0)),
            (i64::MIN..0).prop_map(Value::from),
            (u64::from(max_views) + 1..=u64::MAX).prop_map(Value::from),
            (0.01..1e6f64)
                .prop_filter("not whole", |f| f.fract() != 0.0)
                .prop_map(Value::from),
            json_value().prop_filter("not a number or null", |v| !v.is_number() && !v.is_null()),
        ]
        .prop_map(Fault::Views),
        json_value()
            .prop_filter("not a number or null", |v| !v.is_number() && !v.is_null())
            .prop_map(Fault::Ttl),
        prop_oneof![
            non_string(),
            Just(json!("")),
            "[A-Za-z0-9_-]{0,8}[+/ .!][A-Za-z0-9_-]{0,8}".prop_map(Value::from),
            Just(Value::from("A".repeat(513))),
        ]
        .prop_map(Fault::Verifier),
        Just(Fault::TooLarge),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_create_body_panics_and_every_refusal_is_a_documented_create_code(
        body in body_bytes(),
        limits in limits(),
    ) {
        if let Err(rejection) = parse_create(&body, &limits) {
            prop_assert!(CREATE_CODES.contains(&rejection.code), "{:?}", rejection);
            assert_documented(rejection.code)?;
        }
    }

    #[test]
    fn a_valid_create_body_round_trips(
        (limits, valid) in limits().prop_flat_map(|l| (Just(l), valid_create(l.max_views))),
    ) {
        let body = Value::Object(valid.body());
        let secret = parse_create(body.to_string().as_bytes(), &limits)
            .map_err(|r| TestCaseError::fail(format!("{r:?} for {body}")))?;
        prop_assert_eq!(&secret.encrypted, &body["encrypted"]);
        prop_assert_eq!(&secret.iv, &body["iv"]);
        prop_assert_eq!(secret.ttl_ms, valid.expected_ttl(&limits));
        prop_assert_eq!(secret.max_views, valid.max_views.flatten().unwrap_or(1));
        let expected_verifier =
            valid.verifier.as_ref().map(|(bytes, _)| URL_SAFE_NO_PAD.encode(bytes));
        match (secret.verifier, expected_verifier) {
            (None, None) => {}
            (Some(hash), Some(canonical)) => {
                prop_assert!(hash.matches(&TokenHash::of(canonical.as_bytes())));
            }
            (got, expected) => prop_assert!(false, "verifier {:?}, expected {:?}", got, expected),
        }
    }

    #[test]
    fn a_create_body_with_one_fault_is_refused_with_that_faults_documented_code(
        (limits, valid, fault) in limits()
            .prop_flat_map(|l| (Just(l), valid_create(l.max_views), fault(l.max_views))),
    ) {
        let mut body = valid.body();
        fault.apply(&mut body, &limits);
        let body = Value::Object(body);
        let rejection = parse_create(body.to_string().as_bytes(), &limits)
            .err()
            .ok_or_else(|| TestCaseError::fail(format!("accepted {body}")))?;
        prop_assert_eq!(rejection.code, fault.code(), "{}", body);
        assert_documented(rejection.code)?;
    }

    #[test]
    fn a_create_body_that_is_not_a_json_object_is_bad_json(
        body in prop_oneof![
            json_value()
                .prop_filter("not an object", |v| !v.is_object())
                .prop_map(|v| v.to_string()),
            "[ \t\r\n]{0,4}",
            "\\{[^}]{0,8}",
        ],
    ) {
        let rejection = parse_create(body.as_bytes(), &Limits::default()).err();
        prop_assert_eq!(rejection.map(|r| r.code), Some(ErrorCode::BadJson), "{:?}", body);
    }
}

// ---- reveal and manage bodies --------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_reveal_or_manage_body_panics_and_refusals_are_documented(body in body_bytes()) {
        let rejections = [parse_reveal(&body).err(), parse_manage(&body).err()];
        for rejection in rejections.into_iter().flatten() {
            prop_assert!(
                [ErrorCode::BadJson, ErrorCode::MissingFields, ErrorCode::InvalidEncoding]
                    .contains(&rejection.code),
                "{:?}", rejection
            );
            assert_documented(rejection.code)?;
        }
    }

    #[test]
    fn a_reveal_body_gives_the_canonical_proofs_hash_or_the_documented_code(
        proof in prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            (prop::collection::vec(any::<u8>(), 1..300), any::<bool>())
                .prop_map(|(b, padded)| Some(Value::from(encode(&b, padded)))),
            json_value().prop_map(Some),
        ],
        whitespace in "[ \t\r\n]{0,3}",
    ) {
        let mut object = Map::new();
        if let Some(proof) = &proof {
            object.insert("passphraseProof".into(), proof.clone());
        }
        let body = format!("{whitespace}{}{whitespace}", Value::Object(object));
        let parsed = parse_reveal(body.as_bytes());
        match proof.as_ref() {
            None | Some(Value::Null) => prop_assert!(matches!(parsed, Ok(None))),
            Some(Value::String(s)) if s.len() <= 512 && canonical_base64url(s).is_some() => {
                let canonical = canonical_base64url(s).unwrap_or_default();
                let hash = parsed.map_err(|r| TestCaseError::fail(r.message))?;
                prop_assert!(hash.is_some_and(|h| h.matches(&TokenHash::of(canonical.as_bytes()))));
            }
            Some(_) => prop_assert_eq!(code_of(parsed), Some(ErrorCode::InvalidEncoding)),
        }
    }

    #[test]
    fn an_empty_reveal_body_asks_for_no_proof(body in "[ \t\r\n]{0,8}") {
        prop_assert!(matches!(parse_reveal(body.as_bytes()), Ok(None)));
    }

    #[test]
    fn a_manage_body_gives_its_tokens_hash_or_the_documented_code(token in prop_oneof![
        Just(None),
        json_value().prop_map(Some),
        ".{1,50}".prop_map(|s| Some(Value::from(s))),
    ]) {
        let mut object = Map::new();
        if let Some(token) = &token {
            object.insert("manageToken".into(), token.clone());
        }
        let parsed = parse_manage(Value::Object(object).to_string().as_bytes());
        match token.as_ref() {
            None | Some(Value::Null) => {
                prop_assert_eq!(code_of(parsed), Some(ErrorCode::MissingFields));
            }
            Some(Value::String(s)) if s.is_empty() => {
                prop_assert_eq!(code_of(parsed), Some(ErrorCode::MissingFields));
            }
            Some(Value::String(s)) => {
                let hash = parsed.map_err(|r| TestCaseError::fail(r.message))?;
                prop_assert!(hash.matches(&TokenHash::of(s.as_bytes())));
            }
            Some(_) => prop_assert_eq!(code_of(parsed), Some(ErrorCode::InvalidEncoding)),
        }
    }
}

// ---- the envelope and links ----------------------------------------------------------

/// A server base URL: scheme, host, optional port and path.
fn base_url() -> impl Strategy<Value = String> {
    "https?://[a-z0-9]([a-z0-9.-]{0,12})(:[0-9]{1,5})?(/[A-Za-z0-9._~-]{1,6}){0,3}/?"
}

fn secret_id() -> impl Strategy<Value = SecretId> {
    "[A-Za-z0-9]{8,64}".prop_map(|s| SecretId::parse(&s).expect("the pattern is a valid id"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_link_key_round_trips_through_its_fragment(
        bytes in any::<[u8; KEY_BYTES]>(),
        padded in any::<bool>(),
    ) {
        let key = LinkKey::from_bytes(bytes);
        let fragment = key.to_fragment();
        prop_assert_eq!(fragment.len(), 43);
        prop_assert_eq!(LinkKey::parse(&fragment), Some(key.clone()));
        prop_assert_eq!(LinkKey::parse(&encode(&bytes, padded)), Some(key));
    }

    #[test]
    fn a_fragment_parses_only_as_32_bytes_of_base64url(s in prop_oneof![
        "[A-Za-z0-9_=+/-]{0,48}",
        ".{0,48}",
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
    ]) {
        if let Some(key) = LinkKey::parse(&s) {
            prop_assert!(is_base64url(&s), "{:?}", s);
            prop_assert_eq!(canonical_base64url(&s), Some(key.to_fragment()));
        }
    }

    #[test]
    fn a_link_displays_as_the_s_form_and_both_forms_parse_back_to_it(
        base in base_url(),
        id in secret_id(),
        key in any::<[u8; KEY_BYTES]>(),
    ) {
        let link = Link::new(&base, id.clone(), LinkKey::from_bytes(key));
        let shown = link.to_string();
        let trimmed = base.trim_end_matches('/');
        prop_assert_eq!(&shown, &format!("{trimmed}/s/{id}#{}", URL_SAFE_NO_PAD.encode(key)));
        prop_assert_eq!(Link::parse(&shown), Ok(link.clone()));
        let original = format!("{trimmed}/?x=1&id={id}#{}", URL_SAFE_NO_PAD.encode(key));
        prop_assert_eq!(Link::parse(&original), Ok(link));
    }

    #[test]
    fn parsing_any_link_like_text_never_panics_and_what_parses_is_stable(
        scheme in prop_oneof![Just("https://"), Just("http://"), Just("ftp://"), Just("")],
        host in "[a-z/?#&=:.]{0,6}",
        form in prop_oneof![Just("/s/"), Just("/?id="), Just("?id="), Just("/"), Just("")],
        id in "[A-Za-z0-9-]{0,12}",
        tail in "[/?#&=]{0,2}",
        key in prop_oneof![
            any::<[u8; KEY_BYTES]>().prop_map(|k| format!("#{}", URL_SAFE_NO_PAD.encode(k))),
            "#?[A-Za-z0-9_=-]{0,46}",
        ],
    ) {
        let raw = format!("{scheme}{host}{form}{id}{tail}{key}");
        if let Ok(link) = Link::parse(&raw) {
            prop_assert!(link.base().starts_with("http"), "{:?}", raw);
            let shown = link.to_string();
            prop_assert_eq!(Link::parse(&shown), Ok(link), "{:?} shown as {}", raw, shown);
        }
    }

    #[test]
    fn what_is_sealed_opens_to_the_same_bytes_and_with_no_other_key(
        key in any::<[u8; KEY_BYTES]>(),
        other in any::<[u8; KEY_BYTES]>(),
        iv in any::<[u8; IV_BYTES]>(),
        plaintext in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let keys = Keys::derive(&LinkKey::from_bytes(key), None);
        let sealed = keys.seal(iv, &plaintext);
        prop_assert_eq!(
            URL_SAFE_NO_PAD.decode(&sealed.encrypted).map(|c| c.len()),
            Ok(plaintext.len() + TAG_BYTES)
        );
        prop_assert_eq!(keys.open(&sealed.encrypted, &sealed.iv), Ok(plaintext));
        prop_assume!(key != other);
        let wrong = Keys::derive(&LinkKey::from_bytes(other), None);
        prop_assert_eq!(wrong.open(&sealed.encrypted, &sealed.iv), Err(OpenError::DecryptFailed));
    }

    #[test]
    fn any_altered_ciphertext_fails_to_open(
        plaintext in prop::collection::vec(any::<u8>(), 0..128),
        at in any::<prop::sample::Index>(),
        flip in 1..=255u8,
    ) {
        let keys = Keys::derive(&LinkKey::from_bytes([3; KEY_BYTES]), None);
        let sealed = keys.seal([5; IV_BYTES], &plaintext);
        let mut bytes = URL_SAFE_NO_PAD
            .decode(&sealed.encrypted)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let at = at.index(bytes.len());
        bytes[at] ^= flip;
        prop_assert_eq!(
            keys.open(&URL_SAFE_NO_PAD.encode(&bytes), &sealed.iv),
            Err(OpenError::DecryptFailed)
        );
    }

    #[test]
    fn opening_any_received_strings_never_panics(
        encrypted in prop_oneof!["[A-Za-z0-9_=+/-]{0,80}", ".{0,40}"],
        iv in prop_oneof!["[A-Za-z0-9_=-]{14,18}", ".{0,20}"],
    ) {
        let keys = Keys::derive(&LinkKey::from_bytes([9; KEY_BYTES]), None);
        let opened = keys.open(&encrypted, &iv);
        prop_assert!(opened.is_err(), "random bytes do not authenticate");
    }
}

// ---- rate-limit maths ----------------------------------------------------------------

/// Policies the configuration accepts (`RATE_LIMIT_WINDOW_MS` and
/// `ABUSE_THRESHOLD_MULTIPLIER` at least 1), small values and extreme ones.
fn policy() -> impl Strategy<Value = Policy> {
    let small_or_any = |low: u64| prop_oneof![low..100, low..=u64::MAX];
    (
        small_or_any(1),
        small_or_any(0),
        small_or_any(0),
        small_or_any(1),
        small_or_any(0),
    )
        .prop_map(|(window_ms, create, read, multiplier, ban_ms)| Policy {
            window_ms,
            create_per_window: create,
            read_per_window: read,
            abuse_multiplier: multiplier,
            ban_ms,
        })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![Just(Action::Create), Just(Action::Read)]
}

/// A client's requests: each a pause since the previous one and how many attempts it adds.
fn requests() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((prop_oneof![0..50u64, 0..5_000u64], 1..4u64), 1..40)
}

/// Reads `name` from a header list.
fn header(headers: &[(&'static str, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.clone())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_policy_clock_or_count_makes_the_maths_panic(
        policy in policy(),
        action in action(),
        previous in prop::option::of((any::<u64>(), any::<u64>())),
        attempts in any::<u64>(),
        now in any::<u64>(),
    ) {
        let previous = previous.map(|(count, window_ends_at)| Tally { count, window_ends_at });
        let tally = policy.count(previous, attempts, now);
        let decision = policy.judge(action, tally, now);
        let _ = ratelimit::headers(decision, policy.window_ms, now);
        prop_assert!(ratelimit::seconds_until(tally.window_ends_at, now) >= 1);
    }

    #[test]
    fn a_window_opens_at_the_first_attempt_and_only_moves_forward(
        policy in policy(),
        start in 0..u64::MAX / 2,
        requests in requests(),
    ) {
        let mut now = start;
        let mut tally: Option<Tally> = None;
        for (pause, attempts) in requests {
            now += pause;
            let next = policy.count(tally, attempts, now);
            prop_assert!(next.window_ends_at > now, "the window is open at its attempt");
            match tally {
                Some(previous) if now < previous.window_ends_at => {
                    prop_assert_eq!(next.window_ends_at, previous.window_ends_at);
                    prop_assert_eq!(next.count, previous.count.saturating_add(attempts));
                }
                Some(previous) => {
                    prop_assert!(next.window_ends_at > previous.window_ends_at);
                    prop_assert_eq!(next.count, attempts);
                }
                None => {
                    prop_assert_eq!(next.window_ends_at, now.saturating_add(policy.window_ms));
                    prop_assert_eq!(next.count, attempts);
                }
            }
            tally = Some(next);
        }
    }

    #[test]
    fn the_ban_comes_exactly_at_limit_times_multiplier_and_the_limit_is_inclusive(
        policy in policy(),
        action in action(),
        count in prop_oneof![0..1_000u64, any::<u64>()],
        now in 0..u64::MAX / 2,
    ) {
        let tally = Tally { count, window_ends_at: now.saturating_add(policy.window_ms) };
        let limit = policy.limit(action);
        let threshold = limit.saturating_mul(policy.abuse_multiplier);
        prop_assert_eq!(policy.ban_threshold(action), threshold);
        match policy.judge(action, tally, now) {
            Decision::Ban { until } => {
                prop_assert!(count >= threshold);
                prop_assert_eq!(until, now.saturating_add(policy.ban_ms));
            }
            Decision::Limit { limit: l, reset_at } => {
                prop_assert!(count > limit && count < threshold);
                prop_assert_eq!((l, reset_at), (limit, tally.window_ends_at));
            }
            Decision::Allow { limit: l, remaining, reset_at } => {
                prop_assert!(count <= limit && count < threshold);
                prop_assert_eq!(
                    (l, remaining, reset_at),
                    (limit, limit - count, tally.window_ends_at)
                );
            }
        }
    }

    #[test]
    fn the_remaining_budget_never_grows_within_a_window_and_a_denial_stays_denied(
        policy in policy(),
        action in action(),
        start in 0..u64::MAX / 2,
        requests in requests(),
    ) {
        let mut now = start;
        let mut tally: Option<Tally> = None;
        // The previous decision in the same window: remaining budget, or denied.
        let mut previous: Option<Option<u64>> = None;
        for (pause, attempts) in requests {
            now += pause;
            let next = policy.count(tally, attempts, now);
            if tally.is_some_and(|t| t.window_ends_at != next.window_ends_at) {
                previous = None;
            }
            let remaining = match policy.judge(action, next, now) {
                Decision::Allow { remaining, .. } => Some(remaining),
                Decision::Limit { .. } | Decision::Ban { .. } => None,
            };
            match (previous, remaining) {
                (Some(Some(before)), Some(after)) => prop_assert!(after < before),
                (Some(None), Some(_)) => {
                    prop_assert!(false, "allowed again after a denial in one window");
                }
                _ => {}
            }
            previous = Some(remaining);
            tally = Some(next);
        }
    }

    #[test]
    fn the_rate_limit_headers_agree_with_the_decision_and_each_other(
        policy in policy(),
        action in action(),
        count in prop_oneof![0..1_000u64, any::<u64>()],
        now in 0..u64::MAX / 2,
        into_window in any::<u64>(),
    ) {
        let tally = Tally {
            count,
            window_ends_at: now.saturating_add(into_window % policy.window_ms.max(1)).max(now + 1),
        };
        let decision = policy.judge(action, tally, now);
        let headers = ratelimit::headers(decision, policy.window_ms, now);
        let (limit, remaining, reset_at) = match decision {
            Decision::Ban { .. } => {
                prop_assert!(headers.is_empty());
                return Ok(());
            }
            Decision::Limit { limit, reset_at } => (limit, 0, reset_at),
            Decision::Allow { limit, remaining, reset_at } => (limit, remaining, reset_at),
        };
        prop_assert!(remaining <= limit);
        prop_assert_eq!(header(&headers, "x-ratelimit-limit"), Some(limit.to_string()));
        prop_assert_eq!(header(&headers, "x-ratelimit-remaining"), Some(remaining.to_string()));
        prop_assert_eq!(header(&headers, "x-ratelimit-reset"), Some(reset_at.to_string()));
        let reset_s = ratelimit::seconds_until(reset_at, now);
        prop_assert!(reset_s >= 1);
        prop_assert!(reset_s.saturating_mul(1000) >= reset_at - now);
        prop_assert!((reset_s - 1).saturating_mul(1000) < reset_at - now);
        prop_assert_eq!(
            header(&headers, "ratelimit"),
            Some(format!("limit={limit}, remaining={remaining}, reset={reset_s}"))
        );
        // The policy names the window in whole seconds, never less than it is.
        let policy_header = header(&headers, "ratelimit-policy").unwrap_or_default();
        let window_s: u64 = policy_header
            .strip_prefix(&format!("{limit};w="))
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| TestCaseError::fail(format!("policy header {policy_header:?}")))?;
        prop_assert!(window_s >= 1, "{}", policy_header);
        prop_assert!(window_s.saturating_mul(1000) >= policy.window_ms, "{}", policy_header);
        prop_assert!((window_s - 1).saturating_mul(1000) < policy.window_ms, "{}", policy_header);
    }
}

// ---- what validate promises about sizes -----------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_size_limit_is_inclusive(limit in 4..2_000usize, over in 0..3usize) {
        let limits = Limits { encrypted_max_chars: limit, ..Limits::default() };
        let chars = limit + over;
        let body = json!({ "encrypted": "A".repeat(chars), "iv": encode(&[0; IV_BYTES], false) });
        let parsed = parse_create(body.to_string().as_bytes(), &limits);
        let expected_ok = chars <= limit && chars % 4 != 1;
        match parsed {
            Ok(_) => prop_assert!(expected_ok),
            Err(rejection) if chars > limit => {
                prop_assert_eq!(rejection.code, ErrorCode::SecretTooLarge);
            }
            Err(rejection) => prop_assert_eq!(rejection.code, ErrorCode::InvalidEncoding),
        }
    }
}
