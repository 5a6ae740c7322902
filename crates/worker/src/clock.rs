//! The Worker's clock: wall time in milliseconds since the epoch, as the API speaks it.
//!
//! In a Worker, `Date.now()` only advances across I/O (a Spectre mitigation), which is
//! precise enough for expiry and windows, whose rules are exact against this reading.

pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
