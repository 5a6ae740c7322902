//! The request pipeline: one middleware per concern, applied in one place
//! ([`crate::app::router`]) in the order of DESIGN §2. Each module owns one layer.

pub mod access_log;
pub mod catch_panic;
pub mod client_ip;
pub mod cors;
pub mod rate_limit;
pub mod request_id;
pub mod request_limits;
pub mod security_headers;
pub mod timeout;
pub mod timing;
