//! Security headers (the original service's set) and the RFC 9116 `security.txt`.
//! Pure data; the server and the Worker each attach them in their own way.

/// Headers every response carries, pages and API alike.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cross-origin-embedder-policy", "require-corp"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
];

/// CSP for API responses: nothing may load or run.
pub const API_CSP: &str = "default-src 'none'; sandbox";

/// CSP for pages: own-origin scripts and styles only, no inline code.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The body of `/.well-known/security.txt`, valid for 364 days from `now_ms`.
pub fn security_txt(contact: &str, now_ms: u64) -> String {
    let expires = rfc3339_utc(now_ms + 364 * DAY_MS);
    format!("Contact: {contact}\nExpires: {expires}\nPreferred-Languages: en\n")
}

/// Formats whole seconds of a Unix time in milliseconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_as_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_822_245_000), "2026-11-27T23:30:45Z");
    }

    #[test]
    fn security_txt_has_contact_and_expiry_within_a_year() {
        let txt = security_txt("mailto:security@example.com", 0);
        assert!(txt.contains("Contact: mailto:security@example.com\n"));
        assert!(txt.contains("Expires: 1970-12-31T00:00:00Z\n"));
        assert!(txt.contains("Preferred-Languages: en\n"));
    }
}
