//! Randomness from the runtime's CSPRNG (`crypto.getRandomValues`), for ids, manage tokens
//! and request ids. vanish-core takes random bytes from its caller; this is the Worker's.

/// `N` bytes from the CSPRNG, or `None` if the runtime refused (never expected).
pub fn bytes<const N: usize>() -> Option<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).ok()?;
    Some(out)
}

/// 128 random bits as 32 hex digits: a fresh request id.
pub fn request_id() -> String {
    let bytes = bytes::<16>().unwrap_or_else(|| {
        // A request id is not a secret; the time is a fine fallback.
        (worker::Date::now().as_millis() as u128).to_be_bytes()
    });
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
