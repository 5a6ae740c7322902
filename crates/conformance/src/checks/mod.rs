//! Every check of the suite, one module per concern. Checks take the deployment's
//! [`Target`](crate::Target), make their own clients, and fail with a message naming what
//! they expected and what they got.

use crate::Check;

mod api;
mod bad_input;
mod expiry;
mod headers;
mod pages;
mod passphrase;
mod race;
mod rate_limits;
mod request_limits;

/// Fails the check unless `left == right`, naming both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::ensure_eq!($left, $right, "values differ")
    };
    ($left:expr, $right:expr, $($context:tt)+) => {{
        let (left, right) = (&$left, &$right);
        anyhow::ensure!(
            left == right,
            "{}: {:?} != {:?}",
            format!($($context)+),
            left,
            right
        );
    }};
}

/// The whole suite.
pub fn all() -> Vec<Check> {
    [
        api::checks(),
        passphrase::checks(),
        bad_input::checks(),
        request_limits::checks(),
        race::checks(),
        expiry::checks(),
        rate_limits::checks(),
        headers::checks(),
        pages::checks(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
