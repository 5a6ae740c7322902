//! The request pipeline: one middleware per concern, applied in one place
//! ([`crate::app::router`]) in the order of DESIGN §2. Each module owns one layer.

pub mod cors;
pub mod request_id;
pub mod security_headers;
pub mod timing;
