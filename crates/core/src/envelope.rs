//! The envelope: how a secret is sealed on the sender's device and opened on the
//! recipient's, and the share link that carries the key. Specified in `docs/envelope.md`,
//! with test vectors in `docs/envelope-vectors.json` that the web UI's WebCrypto code is
//! held to as well.
//!
//! - A [`LinkKey`] is 32 random bytes; it travels only in the link's `#fragment`, as
//!   base64url without padding.
//! - Without a passphrase the AES-256-GCM key *is* the link key (the original service's
//!   scheme). With one, PBKDF2-HMAC-SHA256(passphrase, salt = link key, 600,000 rounds)
//!   gives 64 bytes: the first half is the AES key, the second the [`Verifier`] the server
//!   keeps the SHA-256 of. The server thus learns neither the key nor the passphrase.
//! - `encrypted` = ciphertext ‖ 16-byte tag and `iv` (12 bytes) are base64url, no padding.
//!
//! Randomness is the caller's: sealing takes the iv as bytes and [`LinkKey::from_bytes`]
//! takes the key, so this module never touches the OS. Keys, verifiers and plaintexts
//! never appear in `Debug` output or error messages.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::id::SecretId;
use crate::validate::IV_BYTES;

/// Bytes in a link key (and in the AES-256 key).
pub const KEY_BYTES: usize = 32;
/// Bytes of the GCM tag appended to the ciphertext.
pub const TAG_BYTES: usize = 16;
/// PBKDF2-HMAC-SHA256 rounds for passphrase-protected secrets (OWASP's 2023 figure).
pub const PBKDF2_ROUNDS: u32 = 600_000;

/// The derivation's parameters. `pbkdf2_hmac_with_params` is used rather than the generic
/// `pbkdf2_hmac::<Sha256>` because it is compiled inside `pbkdf2`, so the dev-profile
/// `opt-level = 3` override applies and 600,000 rounds take milliseconds, not seconds, in
/// debug builds; the assertion pins the library's recommendation to our wire format.
const PBKDF2_PARAMS: pbkdf2::Params = pbkdf2::Params::RECOMMENDED;
const _: () = assert!(PBKDF2_PARAMS.rounds() == PBKDF2_ROUNDS);

/// Decoding accepts padding and stray trailing bits: other clients may send either, and
/// a mis-encoded value then fails authentication rather than parsing.
const LENIENT_B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why a sealed secret could not be opened. Says nothing about the key or the plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the ciphertext or iv is not base64url")]
    InvalidEncoding,
    #[error("the iv is not {IV_BYTES} bytes")]
    InvalidIvLength,
    /// Wrong key, wrong passphrase, or ciphertext altered in transit: GCM cannot tell them
    /// apart, and neither should we.
    #[error("decryption failed: wrong key or passphrase, or the ciphertext was altered")]
    DecryptFailed,
}

/// The 256-bit key in a share link's fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkKey([u8; KEY_BYTES]);

impl LinkKey {
    /// Wraps 32 bytes of CSPRNG output.
    pub fn from_bytes(random: [u8; KEY_BYTES]) -> Self {
        Self(random)
    }

    /// Parses a link fragment: base64url of exactly 32 bytes (padding tolerated).
    pub fn parse(fragment: &str) -> Option<Self> {
        let bytes = LENIENT_B64URL.decode(fragment).ok()?;
        <[u8; KEY_BYTES]>::try_from(bytes).ok().map(Self)
    }

    /// The fragment form: base64url without padding, 43 characters.
    pub fn to_fragment(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    pub fn as_bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

/// Proof of the passphrase, sent as `passphraseVerifier` on create and `passphraseProof`
/// on reveal. The server stores only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier([u8; KEY_BYTES]);

impl Verifier {
    /// The wire form: base64url without padding.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier(..)")
    }
}

/// The two base64url fields a sealed secret is uploaded as.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Ciphertext ‖ tag.
    pub encrypted: String,
    pub iv: String,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("encrypted_chars", &self.encrypted.len())
            .finish_non_exhaustive()
    }
}

/// The key material of one secret: the AES key, and the verifier when a passphrase is set.
///
/// Deriving is the expensive step (600,000 PBKDF2 rounds with a passphrase), so it is done
/// once and the result both proves the passphrase and opens the envelope.
#[derive(Clone)]
pub struct Keys {
    aes: [u8; KEY_BYTES],
    verifier: Option<Verifier>,
}

impl Keys {
    /// Derives the keys of a secret from its link key and optional passphrase.
    ///
    /// The passphrase is used as its UTF-8 bytes, without Unicode normalisation, exactly
    /// as WebCrypto's `importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2')`.
    pub fn derive(link_key: &LinkKey, passphrase: Option<&str>) -> Self {
        let Some(passphrase) = passphrase else {
            return Self {
                aes: link_key.0,
                verifier: None,
            };
        };
        let mut derived = [0u8; 2 * KEY_BYTES];
        pbkdf2::pbkdf2_hmac_with_params(
            passphrase.as_bytes(),
            &link_key.0,
            pbkdf2::Algorithm::Pbkdf2Sha256,
            PBKDF2_PARAMS,
            &mut derived,
        );
        let (aes, verifier) = derived.split_at(KEY_BYTES);
        Self {
            aes: aes.try_into().expect("first half of 64 bytes is 32 bytes"),
            verifier: Some(Verifier(
                verifier
                    .try_into()
                    .expect("second half of 64 bytes is 32 bytes"),
            )),
        }
    }

    /// The passphrase verifier, if these keys were derived with a passphrase.
    pub fn verifier(&self) -> Option<&Verifier> {
        self.verifier.as_ref()
    }

    /// Seals `plaintext` under a fresh `iv`, which must never be reused with the same keys.
    pub fn seal(&self, iv: [u8; IV_BYTES], plaintext: &[u8]) -> Sealed {
        let encrypted = self
            .cipher()
            .encrypt(&Nonce::from(iv), plaintext)
            .expect("AES-GCM encryption fails only past 64 GiB of plaintext");
        Sealed {
            encrypted: URL_SAFE_NO_PAD.encode(encrypted),
            iv: URL_SAFE_NO_PAD.encode(iv),
        }
    }

    /// Opens what [`Keys::seal`] produced (as received from `encrypted` and `iv`).
    pub fn open(&self, encrypted: &str, iv: &str) -> Result<Vec<u8>, OpenError> {
        let iv = LENIENT_B64URL
            .decode(iv)
            .map_err(|_| OpenError::InvalidEncoding)?;
        let iv = <[u8; IV_BYTES]>::try_from(iv).map_err(|_| OpenError::InvalidIvLength)?;
        let encrypted = LENIENT_B64URL
            .decode(encrypted)
            .map_err(|_| OpenError::InvalidEncoding)?;
        self.cipher()
            .decrypt(&Nonce::from(iv), encrypted.as_slice())
            .map_err(|_| OpenError::DecryptFailed)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.aes.into())
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("has_verifier", &self.verifier.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a share link was refused. Never quotes the link, which holds the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link must start with http:// or https:// and a host")]
    NotHttp,
    #[error("the link has no #key fragment")]
    MissingKey,
    #[error("the link's #key fragment is not a 256-bit base64url key")]
    InvalidKey,
    #[error("the link has neither a /s/{{id}} path nor an ?id= parameter")]
    MissingId,
    #[error("the link's secret id is not 8-64 letters and digits")]
    InvalidId,
}

/// A share link: where the secret lives, which one it is, and the key to open it.
///
/// Displays as `{base}/s/{id}#{key}`; [`Link::parse`] also reads the original service's
/// `{base}/?id={id}#{key}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Link {
    base: String,
    id: SecretId,
    key: LinkKey,
}

impl Link {
    /// `base` is the server's public URL (`https://host` or `https://host/prefix`); a
    /// trailing `/` is dropped.
    pub fn new(base: &str, id: SecretId, key: LinkKey) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            id,
            key,
        }
    }

    /// Parses either link form. The base is everything before `/s/{id}` or `/?id=`.
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        let raw = raw.trim();
        if !(raw.starts_with("https://") || raw.starts_with("http://")) {
            return Err(LinkError::NotHttp);
        }
        let (location, fragment) = raw.split_once('#').ok_or(LinkError::MissingKey)?;
        let key = LinkKey::parse(fragment).ok_or(LinkError::InvalidKey)?;
        let (base, id) = match location.split_once('?') {
            Some((path, query)) => (path, query_id(query)?),
            None => path_id(location)?,
        };
        let id = SecretId::parse(id).ok_or(LinkError::InvalidId)?;
        if !has_host(base) {
            return Err(LinkError::NotHttp);
        }
        Ok(Self::new(base, id, key))
    }

    /// The server's base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn id(&self) -> &SecretId {
        &self.id
    }

    pub fn key(&self) -> &LinkKey {
        &self.key
    }
}

/// Whether an `http(s)://` base names a host: `https:///s/{id}` does not, and would be
/// shown as `https:/s/{id}`, which no longer parses.
fn has_host(base: &str) -> bool {
    base.split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
}

/// The `id` parameter of the original's `/?id={id}` form.
fn query_id(query: &str) -> Result<&str, LinkError> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("id="))
        .ok_or(LinkError::MissingId)
}

/// Splits `{base}/s/{id}` (a trailing `/` tolerated) into base and id.
fn path_id(location: &str) -> Result<(&str, &str), LinkError> {
    let location = location.strip_suffix('/').unwrap_or(location);
    location.rsplit_once("/s/").ok_or(LinkError::MissingId)
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s/{}#{}", self.base, self.id, self.key.to_fragment())
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{FileInfo, Payload};
    use serde_json::{Value, json};

    const VECTORS: &str = include_str!("../../../docs/envelope-vectors.json");

    /// name, link key, iv, plaintext, passphrase.
    type VectorInput = (
        &'static str,
        [u8; 32],
        [u8; 12],
        Vec<u8>,
        Option<&'static str>,
    );

    /// The fixed inputs `docs/envelope-vectors.json` is generated from.
    fn vector_inputs() -> Vec<VectorInput> {
        let counting: [u8; 32] = std::array::from_fn(|i| u8::try_from(i).expect("i < 32"));
        let descending: [u8; 32] = std::array::from_fn(|i| 0xff - counting[i]);
        let mixed: [u8; 32] = std::array::from_fn(|i| counting[i].wrapping_mul(37) ^ 0x5a);
        let iv = |seed: u8| -> [u8; 12] {
            std::array::from_fn(|i| seed.wrapping_add(u8::try_from(i).expect("i < 12")))
        };
        vec![
            (
                "text without passphrase",
                counting,
                iv(0xa0),
                b"hello, vanish".to_vec(),
                None,
            ),
            (
                "text with passphrase",
                mixed,
                iv(0x10),
                b"the launch code is 0000".to_vec(),
                Some("correct horse battery staple"),
            ),
            (
                "non-ASCII UTF-8 text without passphrase",
                mixed,
                iv(0x30),
                "Grüße, 秘密 🤫".as_bytes().to_vec(),
                None,
            ),
            (
                "all 256 byte values with a non-ASCII passphrase",
                descending,
                iv(0x70),
                (0..=255u8).collect(),
                Some("pässwörd 🔑"),
            ),
            (
                "empty plaintext without passphrase",
                counting,
                iv(0xf0),
                Vec::new(),
                None,
            ),
            (
                "empty plaintext with passphrase",
                descending,
                iv(0x00),
                Vec::new(),
                Some("x"),
            ),
            (
                "file (payload format 2) with name and media type",
                counting,
                iv(0x50),
                Payload::file(
                    FileInfo::new(Some("notes.txt"), Some("text/plain")),
                    b"line one\nline two\n",
                )
                .encode(),
                None,
            ),
            (
                "file (payload format 2) with a non-ASCII name and a passphrase",
                mixed,
                iv(0x60),
                Payload::file(
                    FileInfo::new(Some("schlüssel 鍵.pem"), None),
                    &[0, 1, 2, 0xfe, 0xff],
                )
                .encode(),
                Some("pässwörd 🔑"),
            ),
        ]
    }

    /// Plaintexts and how a reader decodes them (`docs/envelope.md`, "Payload formats").
    /// `canonical` ones are exactly what a writer produces for that file and content.
    fn payload_cases() -> Vec<(&'static str, Vec<u8>, bool)> {
        let frame = |version: u8, header: &[u8], content: &[u8]| {
            let mut plaintext = crate::payload::MAGIC.to_vec();
            plaintext.push(version);
            let length = u16::try_from(header.len()).expect("short header");
            plaintext.extend_from_slice(&length.to_be_bytes());
            plaintext.extend_from_slice(header);
            plaintext.extend_from_slice(content);
            plaintext
        };
        let file = |name: Option<&str>, media_type: Option<&str>, content: &[u8]| {
            Payload::file(FileInfo::new(name, media_type), content).encode()
        };
        vec![
            ("text is format 1", "hello, vanish".into(), true),
            (
                "a file with name and media type",
                file(Some("report.pdf"), Some("application/pdf"), b"%PDF-1.7"),
                true,
            ),
            ("a file without name or type", file(None, None, b"x"), true),
            (
                "an empty file with a non-ASCII name",
                file(Some("Grüße 秘密.txt"), Some("text/plain"), b""),
                true,
            ),
            (
                "unknown header fields and fields of another type are ignored",
                frame(2, br#"{"name":5,"type":"text/plain","size":1}"#, b"!"),
                false,
            ),
            (
                "a name is made safe on reading",
                frame(2, br#"{"name":"../../.ssh/authorized_keys"}"#, b"k"),
                false,
            ),
            (
                "an unknown version is format 1",
                frame(3, b"{}", b"x"),
                false,
            ),
            (
                "a header longer than the plaintext is format 1",
                b"\0vanish\x02\x00\x09{}x".to_vec(),
                false,
            ),
            (
                "a header that is not a JSON object is format 1",
                frame(2, b"[]", b"x"),
                false,
            ),
            (
                "a header that is not UTF-8 JSON is format 1",
                frame(2, b"\xff\xfe", b"x"),
                false,
            ),
            ("the magic alone is format 1", b"\0vanish".to_vec(), false),
        ]
    }

    /// Raw names and what [`crate::payload::safe_file_name`] makes of them.
    const FILE_NAMES: &[&str] = &[
        "notes.txt",
        "a/b/c.txt",
        "C:\\Users\\x\\key.pem",
        "..",
        " . ",
        ".bashrc",
        "evil\u{202E}gpj.exe",
        "zero\u{200B}width\u{FEFF}.txt",
        "tab\there\n.txt",
        "what?<>:\"|*.txt",
        "trailing dots...",
        "  spaced out  ",
        "Grüße 秘密.txt",
        "con",
        "NUL.txt",
        "com1.log",
        "com0.log",
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("vector hex is valid"))
            .collect()
    }

    fn generate_vectors() -> Value {
        let vectors: Vec<Value> = vector_inputs()
            .into_iter()
            .map(|(name, key, iv, plaintext, passphrase)| {
                let key = LinkKey::from_bytes(key);
                let keys = Keys::derive(&key, passphrase);
                let sealed = keys.seal(iv, &plaintext);
                json!({
                    "name": name,
                    "key": key.to_fragment(),
                    "iv": sealed.iv,
                    "plaintext": hex(&plaintext),
                    "passphrase": passphrase,
                    "encrypted": sealed.encrypted,
                    "verifier": keys.verifier().map(Verifier::encode),
                })
            })
            .collect();
        let payloads: Vec<Value> = payload_cases()
            .into_iter()
            .map(|(name, plaintext, canonical)| {
                let payload = Payload::decode(&plaintext);
                let file = payload
                    .file
                    .as_ref()
                    .map(|file| json!({"name": file.name(), "type": file.media_type()}));
                json!({
                    "name": name,
                    "plaintext": hex(&plaintext),
                    "canonical": canonical,
                    "format": if file.is_some() { 2 } else { 1 },
                    "file": file,
                    "content": hex(payload.content),
                })
            })
            .collect();
        let long_name = format!("{}.tar.gz", "é".repeat(150));
        let long_device = format!("con.{}", "x".repeat(250));
        let file_names: Vec<Value> = FILE_NAMES
            .iter()
            .copied()
            .chain([long_name.as_str(), long_device.as_str()])
            .map(|raw| json!({"raw": raw, "safe": crate::payload::safe_file_name(raw)}))
            .collect();
        json!({
            "description": "vanish envelope test vectors; see docs/envelope.md",
            "encoding": "key, iv, encrypted and verifier are base64url without padding, as in links and on the wire; plaintext is lowercase hex; passphrase is a JSON string (its UTF-8 bytes are the PBKDF2 password) or null",
            "pbkdf2": {"hash": "SHA-256", "iterations": PBKDF2_ROUNDS, "saltIs": "the 32 link-key bytes", "outputBytes": 64},
            "vectors": vectors,
            "payloads": payloads,
            "fileNames": file_names,
        })
    }

    /// Rewrites `docs/envelope-vectors.json`. Its format is a contract with the web UI:
    /// run only to add vectors, never to change existing ones.
    #[test]
    #[ignore = "writes docs/envelope-vectors.json; run by hand"]
    fn regenerate_vectors_file() -> Result<(), Box<dyn std::error::Error>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/envelope-vectors.json"
        );
        let text = serde_json::to_string_pretty(&generate_vectors())?;
        std::fs::write(path, text + "\n")?;
        Ok(())
    }

    fn field<'a>(vector: &'a Value, name: &str) -> &'a str {
        vector[name].as_str().unwrap_or_default()
    }

    #[test]
    fn vectors_file_matches_the_implementation() {
        let file: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        assert_eq!(file, generate_vectors());
    }

    #[test]
    fn every_vector_seals_to_its_ciphertext_and_verifier() {
        let file: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        let vectors = file["vectors"].as_array().expect("vectors is an array");
        assert!(vectors.len() >= 4);
        for vector in vectors {
            let key = LinkKey::parse(field(vector, "key")).expect("vector key parses");
            let keys = Keys::derive(&key, vector["passphrase"].as_str());
            let iv: [u8; 12] = LENIENT_B64URL
                .decode(field(vector, "iv"))
                .expect("vector iv is base64url")
                .try_into()
                .expect("vector iv is 12 bytes");
            let sealed = keys.seal(iv, &unhex(field(vector, "plaintext")));
            assert_eq!(
                sealed.encrypted,
                field(vector, "encrypted"),
                "{}",
                vector["name"]
            );
            assert_eq!(
                keys.verifier().map(Verifier::encode).as_deref(),
                vector["verifier"].as_str(),
                "{}",
                vector["name"]
            );
        }
    }

    #[test]
    fn every_vector_opens_to_its_plaintext() {
        let file: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        for vector in file["vectors"].as_array().expect("vectors is an array") {
            let key = LinkKey::parse(field(vector, "key")).expect("vector key parses");
            let keys = Keys::derive(&key, vector["passphrase"].as_str());
            let opened = keys.open(field(vector, "encrypted"), field(vector, "iv"));
            assert_eq!(
                opened,
                Ok(unhex(field(vector, "plaintext"))),
                "{}",
                vector["name"]
            );
        }
    }

    fn sealed_with(passphrase: Option<&str>) -> (LinkKey, Sealed) {
        let key = LinkKey::from_bytes([7; 32]);
        let sealed = Keys::derive(&key, passphrase).seal([9; 12], b"attack at dawn");
        (key, sealed)
    }

    #[test]
    fn a_wrong_key_fails_to_open() {
        let (_, sealed) = sealed_with(None);
        let other = Keys::derive(&LinkKey::from_bytes([8; 32]), None);
        assert_eq!(
            other.open(&sealed.encrypted, &sealed.iv),
            Err(OpenError::DecryptFailed)
        );
    }

    #[test]
    fn a_wrong_or_missing_passphrase_fails_to_open_and_gives_another_verifier() {
        let (key, sealed) = sealed_with(Some("right"));
        let right = Keys::derive(&key, Some("right"));
        let wrong = Keys::derive(&key, Some("wrong"));
        assert_ne!(right.verifier(), wrong.verifier());
        let failed = Err(OpenError::DecryptFailed);
        assert_eq!(wrong.open(&sealed.encrypted, &sealed.iv), failed);
        let bare = Keys::derive(&key, None);
        assert_eq!(bare.open(&sealed.encrypted, &sealed.iv), failed);
        assert_eq!(
            right.open(&sealed.encrypted, &sealed.iv),
            Ok(b"attack at dawn".to_vec())
        );
    }

    #[test]
    fn a_tampered_ciphertext_or_iv_fails_to_open() {
        let (key, sealed) = sealed_with(None);
        let keys = Keys::derive(&key, None);
        let mut bytes = URL_SAFE_NO_PAD
            .decode(&sealed.encrypted)
            .expect("own output");
        bytes[0] ^= 1;
        let flipped = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(
            keys.open(&flipped, &sealed.iv),
            Err(OpenError::DecryptFailed)
        );
        let truncated = URL_SAFE_NO_PAD.encode(&bytes[..TAG_BYTES - 1]);
        assert_eq!(
            keys.open(&truncated, &sealed.iv),
            Err(OpenError::DecryptFailed)
        );
        let other_iv = URL_SAFE_NO_PAD.encode([10u8; 12]);
        assert_eq!(
            keys.open(&sealed.encrypted, &other_iv),
            Err(OpenError::DecryptFailed)
        );
        assert_eq!(keys.open("!!", &sealed.iv), Err(OpenError::InvalidEncoding));
        let short_iv = URL_SAFE_NO_PAD.encode([0u8; 8]);
        assert_eq!(
            keys.open(&sealed.encrypted, &short_iv),
            Err(OpenError::InvalidIvLength)
        );
    }

    #[test]
    fn a_link_displays_in_the_s_form_and_parses_back() {
        let id = SecretId::parse("AbCdEfGh12345678").expect("valid id");
        let link = Link::new("https://vanish.example/", id, LinkKey::from_bytes([1; 32]));
        let text = link.to_string();
        assert_eq!(
            text,
            "https://vanish.example/s/AbCdEfGh12345678#AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
        );
        assert_eq!(Link::parse(&text), Ok(link));
    }

    #[test]
    fn the_original_query_form_parses_too() {
        let parsed = Link::parse(
            "http://127.0.0.1:8080/?id=abcdefgh&x=1#AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
        )
        .expect("original link form");
        assert_eq!(parsed.base(), "http://127.0.0.1:8080");
        assert_eq!(parsed.id().as_str(), "abcdefgh");
        assert_eq!(parsed.key(), &LinkKey::from_bytes([1; 32]));
    }

    #[test]
    fn a_base_with_a_path_prefix_is_kept() {
        let parsed = Link::parse(
            "https://host/tools/vanish/s/abcdefgh/#AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
        )
        .expect("prefixed link");
        assert_eq!(parsed.base(), "https://host/tools/vanish");
    }

    #[test]
    fn malformed_links_are_refused_with_the_reason() {
        let key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
        let cases = [
            (format!("ftp://h/s/abcdefgh#{key}"), LinkError::NotHttp),
            (format!("https:///s/abcdefgh#{key}"), LinkError::NotHttp),
            (format!("https://?id=abcdefgh#{key}"), LinkError::NotHttp),
            ("https://h/s/abcdefgh".to_owned(), LinkError::MissingKey),
            (
                "https://h/s/abcdefgh#short".to_owned(),
                LinkError::InvalidKey,
            ),
            (format!("https://h/x/abcdefgh#{key}"), LinkError::MissingId),
            (format!("https://h/?foo=1#{key}"), LinkError::MissingId),
            (format!("https://h/s/abc#{key}"), LinkError::InvalidId),
            (format!("https://h/s/abc-defgh#{key}"), LinkError::InvalidId),
        ];
        for (raw, expected) in cases {
            assert_eq!(Link::parse(&raw), Err(expected), "{raw}");
        }
    }

    #[test]
    fn debug_output_and_errors_never_show_the_key() {
        let key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
        let link = Link::parse(&format!("https://h/s/abcdefgh#{key}")).expect("valid");
        let keys = Keys::derive(link.key(), None);
        let shown = format!("{link:?} {:?} {keys:?}", link.key());
        assert!(
            !shown.contains(key) && !shown.contains("abcdefgh"),
            "{shown}"
        );
        let error = Link::parse(&format!("https://h/s/abc#{key}")).expect_err("bad id");
        assert!(!error.to_string().contains(key));
    }
}
