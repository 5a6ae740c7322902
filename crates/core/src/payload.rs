//! The payload: what the envelope's plaintext holds. Specified in `docs/envelope.md`
//! ("Payload formats"), with vectors in `docs/envelope-vectors.json` that the web UI is
//! held to as well.
//!
//! - **Format 1** (the original service's): the plaintext *is* the secret's bytes. Text
//!   secrets are still sent this way, so older readers keep reading them.
//! - **Format 2** (a file): `MAGIC` (7 bytes), the version byte `2`, a 2-byte big-endian
//!   header length, a UTF-8 JSON object header (`{"name": …, "type": …}`, both optional),
//!   then the file's bytes. The name and media type thus travel encrypted, never in clear.
//!
//! Reading never fails: anything that is not a well-formed frame of a version this code
//! knows is format 1, so no plaintext an older client produced can be lost to a
//! misreading. Names are made safe ([`safe_file_name`]) on both writing and reading,
//! since a reader must not trust the sender's.

use serde_json::{Map, Value};

/// The frame's first bytes: a NUL (which no text secret starts with) and `vanish`.
pub const MAGIC: &[u8; 7] = b"\0vanish";
/// The version byte of the file frame.
pub const FORMAT_FILE: u8 = 2;
/// Bytes before the header: magic, version, header length.
pub const PREFIX_BYTES: usize = MAGIC.len() + 3;
/// The longest header a reader accepts; a longer one means "not a frame".
pub const MAX_HEADER_BYTES: usize = 4096;
/// The longest file name kept, in UTF-8 bytes (file systems allow 255; room for a suffix).
pub const MAX_NAME_BYTES: usize = 200;
/// The longest media type kept (RFC 6838: 127 characters per part).
pub const MAX_TYPE_BYTES: usize = 255;
/// An extension longer than this is not kept apart when a long name is shortened.
const MAX_EXTENSION_BYTES: usize = 16;

/// What the sender said about a file: both fields optional, both already made safe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    name: Option<String>,
    media_type: Option<String>,
}

impl FileInfo {
    /// Keeps `name` only if [`safe_file_name`] leaves something of it, and `media_type`
    /// only if it is a plain `type/subtype`.
    pub fn new(name: Option<&str>, media_type: Option<&str>) -> Self {
        Self {
            name: name.and_then(safe_file_name),
            media_type: media_type.and_then(safe_media_type),
        }
    }

    /// The file's name, safe to show and to create in a folder of the reader's choice.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The media type the sender's system gave (e.g. `application/pdf`); informational.
    pub fn media_type(&self) -> Option<&str> {
        self.media_type.as_deref()
    }

    /// The JSON header: only the fields present, `name` before `type`, no whitespace
    /// (what the browser's `JSON.stringify` writes, so both produce the same bytes).
    fn header(&self) -> String {
        let mut header = Map::new();
        if let Some(name) = &self.name {
            header.insert("name".to_owned(), Value::from(name.as_str()));
        }
        if let Some(media_type) = &self.media_type {
            header.insert("type".to_owned(), Value::from(media_type.as_str()));
        }
        Value::Object(header).to_string()
    }
}

/// A secret's content and, for a file, what the sender said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload<'a> {
    pub file: Option<FileInfo>,
    pub content: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Format 1: just the bytes.
    pub fn bytes(content: &'a [u8]) -> Self {
        Self {
            file: None,
            content,
        }
    }

    /// Format 2: a file.
    pub fn file(file: FileInfo, content: &'a [u8]) -> Self {
        Self {
            file: Some(file),
            content,
        }
    }

    /// The plaintext to seal.
    pub fn encode(&self) -> Vec<u8> {
        let Some(file) = &self.file else {
            return self.content.to_vec();
        };
        let header = file.header();
        // Names and types are capped far below MAX_HEADER_BYTES, so this always fits.
        let length = u16::try_from(header.len()).expect("a capped header fits in u16");
        let mut plaintext = Vec::with_capacity(PREFIX_BYTES + header.len() + self.content.len());
        plaintext.extend_from_slice(MAGIC);
        plaintext.push(FORMAT_FILE);
        plaintext.extend_from_slice(&length.to_be_bytes());
        plaintext.extend_from_slice(header.as_bytes());
        plaintext.extend_from_slice(self.content);
        plaintext
    }

    /// Reads an opened plaintext. Never fails: what is not a valid file frame is format 1.
    pub fn decode(plaintext: &'a [u8]) -> Self {
        decode_file(plaintext).unwrap_or(Self::bytes(plaintext))
    }
}

fn decode_file(plaintext: &[u8]) -> Option<Payload<'_>> {
    let rest = plaintext.strip_prefix(MAGIC.as_slice())?;
    let (&version, rest) = rest.split_first()?;
    if version != FORMAT_FILE {
        return None;
    }
    let (length, rest) = rest.split_first_chunk::<2>()?;
    let length = usize::from(u16::from_be_bytes(*length));
    if length > MAX_HEADER_BYTES || length > rest.len() {
        return None;
    }
    let (header, content) = rest.split_at(length);
    let Value::Object(header) = serde_json::from_slice::<Value>(header).ok()? else {
        return None;
    };
    // Fields of another type are ignored, like unknown fields: the header may grow.
    let text = |field: &str| header.get(field).and_then(Value::as_str);
    Some(Payload::file(
        FileInfo::new(text("name"), text("type")),
        content,
    ))
}

/// A file name that is safe to show and to create inside a folder:
///
/// 1. only the part after the last `/` or `\` (no paths, so never outside the folder);
/// 2. control characters (Unicode `Cc`) and invisible format characters that can disguise
///    an extension (U+200B–U+200F, U+202A–U+202E, U+2060–U+206F, U+FEFF) removed;
/// 3. `< > : " | ? *` (refused by Windows) replaced by `_`;
/// 4. white space and dots trimmed at both ends (no hidden files, no `..`);
/// 5. a Windows device name (`CON`, `NUL`, `COM1`, … with any extension) gets a `_` prefix;
/// 6. shortened to [`MAX_NAME_BYTES`] of UTF-8, keeping a short extension.
///
/// `None` when nothing is left.
pub fn safe_file_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = base
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible_format(c))
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return None;
    }
    // Prefixed before shortening, so the prefix counts against the length limit.
    let named = if is_device_name(trimmed) {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    };
    Some(shorten(&named, MAX_NAME_BYTES))
}

fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Cuts `name` to at most `limit` UTF-8 bytes on a character boundary, cutting the stem
/// and keeping an extension of up to [`MAX_EXTENSION_BYTES`].
fn shorten(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_owned();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= MAX_EXTENSION_BYTES && ext.len() < name.len());
    let extension = extension.unwrap_or("");
    let stem = &name[..name.len() - extension.len()];
    let mut end = limit - extension.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = stem[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{stem}{extension}")
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any case, alone or
/// before a dot.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    let stem = stem.trim_end();
    matches!(stem, "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

/// `type/subtype` of RFC 6838 restricted-name characters, lowercased; no parameters.
pub fn safe_media_type(raw: &str) -> Option<String> {
    let restricted = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part.as_bytes()[0].is_ascii_alphanumeric()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let (kind, subtype) = raw.split_once('/')?;
    (raw.len() <= MAX_TYPE_BYTES && restricted(kind) && restricted(subtype))
        .then(|| raw.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> FileInfo {
        FileInfo::new(Some(name), None)
    }

    /// A version-2 frame around any header bytes.
    fn frame(header: &[u8], content: &[u8]) -> Vec<u8> {
        let mut plaintext = b"\0vanish\x02".to_vec();
        let length = u16::try_from(header.len()).expect("test headers are short");
        plaintext.extend_from_slice(&length.to_be_bytes());
        plaintext.extend_from_slice(header);
        plaintext.extend_from_slice(content);
        plaintext
    }

    #[test]
    fn format_1_is_the_bytes_themselves() {
        let payload = Payload::bytes(b"hunter2");
        assert_eq!(payload.encode(), b"hunter2");
        assert_eq!(Payload::decode(b"hunter2"), payload);
        assert_eq!(Payload::decode(b""), Payload::bytes(b""));
    }

    #[test]
    fn a_file_frame_round_trips_with_its_name_and_type() {
        let file = FileInfo::new(Some("report.pdf"), Some("application/pdf"));
        let plaintext = Payload::file(file.clone(), b"%PDF-1.7").encode();
        let header = br#"{"name":"report.pdf","type":"application/pdf"}"#;
        assert_eq!(plaintext, frame(header, b"%PDF-1.7"));
        assert_eq!(
            Payload::decode(&plaintext),
            Payload::file(file, b"%PDF-1.7")
        );
    }

    #[test]
    fn a_file_without_name_or_type_has_an_empty_header() {
        let plaintext = Payload::file(FileInfo::default(), b"x").encode();
        assert_eq!(plaintext, b"\0vanish\x02\x00\x02{}x");
        assert_eq!(Payload::decode(&plaintext).file, Some(FileInfo::default()));
    }

    #[test]
    fn anything_but_a_well_formed_frame_is_format_1() {
        let cases: [&[u8]; 8] = [
            b"\0vanish",
            b"\0vanish\x02",
            b"\0vanish\x02\x00",
            b"\0vanish\x03\x00\x02{}x",
            b"\0vanish\x02\x00\x09{}x",
            b"\0vanish\x02\x00\x02[]x",
            b"\0vanish\x02\x00\x03{x}",
            b"\0vanish\x02\x00\x02\xff\xfe",
        ];
        for plaintext in cases {
            assert_eq!(
                Payload::decode(plaintext),
                Payload::bytes(plaintext),
                "{plaintext:?}"
            );
        }
    }

    #[test]
    fn a_header_over_the_limit_is_not_a_frame() {
        let mut plaintext = b"\0vanish\x02\x10\x01{".to_vec();
        plaintext.resize(plaintext.len() + 0x1001, b' ');
        assert_eq!(Payload::decode(&plaintext).file, None);
    }

    #[test]
    fn header_fields_of_another_type_and_unknown_fields_are_ignored() {
        let plaintext = frame(br#"{"name":5,"type":"text/plain","size":1}"#, b"!");
        let payload = Payload::decode(&plaintext);
        assert_eq!(payload.file, Some(FileInfo::new(None, Some("text/plain"))));
        assert_eq!(payload.content, b"!");
    }

    #[test]
    fn names_from_a_frame_are_made_safe_on_reading() {
        let plaintext = frame(br#"{"name":"../../.ssh/authorized_keys"}"#, b"");
        assert_eq!(
            Payload::decode(&plaintext)
                .file
                .as_ref()
                .and_then(FileInfo::name),
            Some("authorized_keys")
        );
    }

    #[test]
    fn safe_names_drop_paths_controls_and_disguises() {
        assert_eq!(named("a/b/c.txt").name(), Some("c.txt"));
        assert_eq!(named("C:\\Users\\x\\key.pem").name(), Some("key.pem"));
        assert_eq!(named("..").name(), None);
        assert_eq!(named(" . ").name(), None);
        assert_eq!(named(".bashrc").name(), Some("bashrc"));
        assert_eq!(named("evil\u{202E}gpj.exe").name(), Some("evilgpj.exe"));
        assert_eq!(named("tab\there\n.txt").name(), Some("tabhere.txt"));
        assert_eq!(named("what?<>.txt").name(), Some("what___.txt"));
        assert_eq!(named("trailing dots...").name(), Some("trailing dots"));
        assert_eq!(named("Grüße 秘密.txt").name(), Some("Grüße 秘密.txt"));
    }

    #[test]
    fn windows_device_names_get_a_prefix() {
        assert_eq!(named("con").name(), Some("_con"));
        assert_eq!(named("NUL.txt").name(), Some("_NUL.txt"));
        assert_eq!(named("com1.log").name(), Some("_com1.log"));
        assert_eq!(named("com0.log").name(), Some("com0.log"));
        assert_eq!(named("console.txt").name(), Some("console.txt"));
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary_keeping_the_extension() {
        let long = format!("{}.tar.gz", "é".repeat(150));
        let safe = safe_file_name(&long).expect("something is left");
        assert!(safe.len() <= MAX_NAME_BYTES, "{}", safe.len());
        assert!(safe.ends_with("é.gz"), "{safe}");
        let no_ext = "x".repeat(300);
        assert_eq!(
            safe_file_name(&no_ext).map(|s| s.len()),
            Some(MAX_NAME_BYTES)
        );
    }

    #[test]
    fn media_types_must_be_plain_type_and_subtype() {
        assert_eq!(
            safe_media_type("Application/PDF").as_deref(),
            Some("application/pdf")
        );
        assert_eq!(
            safe_media_type("image/svg+xml").as_deref(),
            Some("image/svg+xml")
        );
        for bad in [
            "",
            "text",
            "text/",
            "/plain",
            "text/html; charset=utf-8",
            "te xt/plain",
        ] {
            assert_eq!(safe_media_type(bad), None, "{bad}");
        }
    }

    const VECTORS: &str = include_str!("../../../docs/envelope-vectors.json");

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("vector hex is valid"))
            .collect()
    }

    #[test]
    fn every_payload_vector_decodes_and_the_canonical_ones_encode_back() {
        let file: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        let cases = file["payloads"].as_array().expect("payloads is an array");
        assert!(cases.len() >= 10);
        for case in cases {
            let name = &case["name"];
            let plaintext = unhex(case["plaintext"].as_str().unwrap_or_default());
            let payload = Payload::decode(&plaintext);
            let content = unhex(case["content"].as_str().unwrap_or_default());
            assert_eq!(payload.content, content.as_slice(), "{name}");
            let expected = (!case["file"].is_null()).then(|| {
                FileInfo::new(case["file"]["name"].as_str(), case["file"]["type"].as_str())
            });
            assert_eq!(payload.file, expected, "{name}");
            assert_eq!(case["format"], if expected.is_some() { 2 } else { 1 });
            if case["canonical"] == true {
                assert_eq!(payload.encode(), plaintext, "{name}");
            }
        }
    }

    #[test]
    fn every_file_name_vector_is_made_safe_as_listed() {
        let file: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        let names = file["fileNames"].as_array().expect("fileNames is an array");
        assert!(names.len() >= 15);
        for case in names {
            let raw = case["raw"].as_str().expect("raw is a string");
            assert_eq!(
                safe_file_name(raw).as_deref(),
                case["safe"].as_str(),
                "{raw:?}"
            );
        }
    }
}
