//! Rules about a request's shape that every host applies the same way: which
//! `X-Request-ID` is kept, how header bytes are counted against `MAX_HEADER_SIZE`, which
//! `Content-Type` declares JSON, and how `X-Response-Time` is written.

/// An incoming `X-Request-ID` is kept if it is 1–128 characters of `[A-Za-z0-9._:-]`:
/// enough for UUIDs, ULIDs and Cloudflare ray ids, nothing that could forge a log line.
pub fn is_acceptable_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Header bytes as sent: `name: value\r\n` for each header.
pub fn header_bytes<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> usize {
    headers
        .into_iter()
        .map(|(name, value)| name.len() + value.len() + 4)
        .sum()
}

/// `application/json`, optionally with parameters (`; charset=utf-8`), any letter case.
pub fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The `X-Response-Time` value: milliseconds with three decimals, e.g. `0.412ms`.
pub fn response_time(duration_ms: f64) -> String {
    format!("{duration_ms:.3}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_request_ids_are_kept_and_others_refused() {
        assert!(is_acceptable_request_id(
            "3f2a9c1e-0b7d-4c55-9a64-1d2e3f4a5b6c"
        ));
        assert!(is_acceptable_request_id("8c2f1a3b4d5e6f70-AMS"));
        assert!(!is_acceptable_request_id(""));
        assert!(!is_acceptable_request_id("has space"));
        assert!(!is_acceptable_request_id("line\nbreak"));
        assert!(!is_acceptable_request_id(&"a".repeat(129)));
    }

    #[test]
    fn header_bytes_count_name_value_and_separators() {
        let headers = [("host", &b"x"[..]), ("x-pad", &b"ppp"[..])];
        assert_eq!(header_bytes(headers), 4 + 1 + 4 + 5 + 3 + 4);
    }

    #[test]
    fn json_media_type_allows_parameters_only() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/jsonx"));
        assert_eq!(response_time(0.4121), "0.412ms");
    }
}
