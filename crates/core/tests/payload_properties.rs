//! Property tests of the payload (`vanish_core::payload`, `docs/envelope.md` "Payload
//! formats"): reading never panics and never loses bytes, a file round-trips with its
//! name and type, and the file-name rule always gives a name that is safe to create in a
//! folder and that the rule leaves as it is.

use proptest::prelude::*;
use vanish_core::payload::{
    FileInfo, MAGIC, MAX_NAME_BYTES, Payload, safe_file_name, safe_media_type,
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes, some of which start like a frame.
fn plaintext() -> impl Strategy<Value = Vec<u8>> {
    let framed = (
        any::<u8>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(version, length, rest)| {
            let mut bytes = MAGIC.to_vec();
            bytes.push(version % 4);
            bytes.extend_from_slice(&(length % 80).to_be_bytes());
            bytes.extend_from_slice(&rest);
            bytes
        });
    prop_oneof![prop::collection::vec(any::<u8>(), 0..128), framed]
}

/// Names as people and hostile clients write them.
fn raw_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ._/\\\\:<>|?*\u{202E}\u{200B}\u{FEFF}\t-]{0,40}",
        "(con|CON|nul|Com1|lpt9|aux)(\\.[a-z]{1,4}){0,2}",
        "[a-zé]{150,260}(\\.[a-z]{1,20})?",
    ]
}

/// Characters a safe name never holds: controls and the invisible ones that disguise.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reading_never_panics_and_keeps_every_byte_of_the_content(bytes in plaintext()) {
        let payload = Payload::decode(&bytes);
        prop_assert!(bytes.ends_with(payload.content));
        if payload.file.is_none() {
            prop_assert_eq!(payload.content, bytes.as_slice());
        }
    }

    #[test]
    fn a_file_round_trips_with_its_safe_name_and_type(
        name in proptest::option::of(raw_name()),
        media_type in proptest::option::of("[a-zA-Z]{1,10}/[a-zA-Z0-9+.-]{1,20}|.{0,20}"),
        content in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let file = FileInfo::new(name.as_deref(), media_type.as_deref());
        let encoded = Payload::file(file.clone(), &content).encode();
        let decoded = Payload::decode(&encoded);
        prop_assert_eq!(decoded.file, Some(file));
        prop_assert_eq!(decoded.content, content.as_slice());
    }

    #[test]
    fn bytes_alone_are_written_as_they_are(content in prop::collection::vec(any::<u8>(), 0..256)) {
        prop_assert_eq!(Payload::bytes(&content).encode(), content);
    }

    #[test]
    fn a_safe_name_stays_in_its_folder_and_is_left_as_it_is(raw in raw_name()) {
        if let Some(name) = safe_file_name(&raw) {
            prop_assert!(!name.is_empty() && name.len() <= MAX_NAME_BYTES, "{:?}", name);
            prop_assert!(!name.contains(['/', '\\']) && name != "." && name != "..");
            prop_assert!(!name.starts_with('.') && !name.ends_with('.'));
            prop_assert!(!name.starts_with(char::is_whitespace) && !name.ends_with(char::is_whitespace));
            prop_assert!(!name.chars().any(is_hidden), "{:?}", name);
            prop_assert_eq!(safe_file_name(&name), Some(name.clone()));
        }
    }

    #[test]
    fn a_safe_media_type_is_left_as_it_is(raw in ".{0,40}|[a-zA-Z]{1,10}/[a-zA-Z0-9+.-]{1,20}") {
        if let Some(media_type) = safe_media_type(&raw) {
            prop_assert_eq!(safe_media_type(&media_type), Some(media_type.clone()));
        }
    }
}
