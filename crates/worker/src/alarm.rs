//! Durable Object alarms at an absolute time (workers-rs takes a plain number as an offset
//! from now).

use worker::{ScheduledTime, Storage, js_sys, wasm_bindgen::JsValue};

/// Sets the object's one alarm to fire at `at_ms` (ms since the epoch).
pub async fn set_at(storage: &Storage, at_ms: u64) -> worker::Result<()> {
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
    storage.set_alarm(ScheduledTime::new(date)).await
}
