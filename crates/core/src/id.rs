//! Secret ids and manage tokens.
//!
//! A [`SecretId`] is 22 base62 characters drawn from 32 random bytes (62^22 > 2^130).
//! Incoming ids are accepted if they are 8–64 characters of `[A-Za-z0-9]`, the original
//! service's rule, so its links keep working. A [`ManageToken`] is 256 random bits shown
//! once to the sender; only its SHA-256 ([`TokenHash`]) is ever stored.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Length of the ids vanish generates.
pub const GENERATED_ID_LEN: usize = 22;
/// Bounds of the ids vanish accepts (the original's).
pub const ID_MIN_LEN: usize = 8;
pub const ID_MAX_LEN: usize = 64;

/// A syntactically valid secret id. Holding one proves nothing about existence.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretId(String);

impl SecretId {
    /// Accepts 8–64 characters of `[A-Za-z0-9]`; anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok_len = (ID_MIN_LEN..=ID_MAX_LEN).contains(&raw.len());
        let ok_chars = raw.bytes().all(|b| b.is_ascii_alphanumeric());
        (ok_len && ok_chars).then(|| Self(raw.to_owned()))
    }

    /// Derives a fresh id from 32 bytes of CSPRNG output.
    ///
    /// The bytes are read as a 256-bit big-endian number and its 22 lowest base62 digits
    /// are taken; the bias this leaves is below 2^-120, far from observable.
    pub fn from_random(random: [u8; 32]) -> Self {
        let mut number = random;
        let mut out = String::with_capacity(GENERATED_ID_LEN);
        for _ in 0..GENERATED_ID_LEN {
            let digit = divmod_in_place(&mut number, 62);
            out.push(char::from(BASE62[usize::from(digit)]));
        }
        Self(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Divides the big-endian number in place and returns the remainder.
fn divmod_in_place(number: &mut [u8; 32], divisor: u8) -> u8 {
    let mut remainder: u16 = 0;
    for byte in number.iter_mut() {
        let acc = (remainder << 8) | u16::from(*byte);
        *byte = u8::try_from(acc / u16::from(divisor)).expect("quotient digit fits a byte");
        remainder = acc % u16::from(divisor);
    }
    u8::try_from(remainder).expect("remainder is below the divisor")
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Ids are secrets' addresses: keep them out of debug output that may reach a log.
impl fmt::Debug for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretId(..)")
    }
}

/// The sender's bearer token for `status` and `burn`: 256 bits, base64url on the wire.
pub struct ManageToken(String);

impl ManageToken {
    pub fn from_random(random: [u8; 32]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(random))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.0.as_bytes())
    }
}

impl fmt::Debug for ManageToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ManageToken(..)")
    }
}

/// SHA-256 of a bearer value (manage token or passphrase verifier). This is what stores
/// keep; comparing two is constant-time.
#[derive(Clone, Copy)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(value: &[u8]) -> Self {
        Self(Sha256::digest(value).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Restores a stored hash; `None` if it is not 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// From 64 hexadecimal digits (any case), as operators write a hash in settings.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let digit = |c: u8| (c as char).to_digit(16);
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Self(bytes))
    }

    /// 64 lower-case hexadecimal digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality, so response timing reveals nothing about the stored hash.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_22_base62_chars_and_parse_back() {
        for seed in [[0u8; 32], [255u8; 32], [7u8; 32]] {
            let id = SecretId::from_random(seed);
            assert_eq!(id.as_str().len(), GENERATED_ID_LEN);
            assert_eq!(SecretId::parse(id.as_str()), Some(id));
        }
    }

    #[test]
    fn different_entropy_gives_different_ids() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a[31] = 1;
        b[31] = 2;
        assert_ne!(SecretId::from_random(a), SecretId::from_random(b));
    }

    #[test]
    fn id_of_zero_is_all_zero_digits_and_of_61_ends_in_z() {
        assert_eq!(SecretId::from_random([0; 32]).as_str(), "0".repeat(22));
        let mut n = [0u8; 32];
        n[31] = 61;
        assert!(SecretId::from_random(n).as_str().starts_with('z'));
    }

    #[test]
    fn parse_rejects_bad_ids() {
        assert!(SecretId::parse("short").is_none());
        assert!(SecretId::parse(&"a".repeat(65)).is_none());
        assert!(SecretId::parse("abcdefgh-").is_none());
        assert!(SecretId::parse("abcdéfghi").is_none());
        assert!(SecretId::parse(&"a".repeat(8)).is_some());
        assert!(SecretId::parse(&"Z".repeat(64)).is_some());
    }

    #[test]
    fn token_hash_matches_only_its_token() {
        let token = ManageToken::from_random([9; 32]);
        assert_eq!(token.as_str().len(), 43);
        assert!(
            token
                .hash()
                .matches(&TokenHash::of(token.as_str().as_bytes()))
        );
        assert!(!token.hash().matches(&TokenHash::of(b"other")));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let id = SecretId::from_random([1; 32]);
        assert!(!format!("{id:?}").contains(id.as_str()));
        let token = ManageToken::from_random([1; 32]);
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = TokenHash::of(b"vns_token");
        let parsed = |hex: &str| TokenHash::from_hex(hex).is_some_and(|h| h.matches(&hash));
        assert!(parsed(&hash.to_hex()));
        assert!(parsed(&hash.to_hex().to_uppercase()));
        assert!(TokenHash::from_hex("abc").is_none());
        assert!(TokenHash::from_hex(&"g".repeat(64)).is_none());
    }
}
