//! Checks of the settings every host shares (the native server's flags and environment,
//! the Worker's variables), so a value that parses but makes no sense stops the host with
//! a message naming the variable, the same on both. Parsing text is each host's own job.

use crate::breaker::BreakerConfig;
use crate::limits::Limits;
use crate::ratelimit::Policy;

/// A setting that makes no sense; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct SettingError {
    pub variable: &'static str,
    pub problem: String,
}

impl SettingError {
    pub fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// The create-request bounds: a positive minimum TTL, the default between the bounds, at
/// least one view.
pub fn check_limits(limits: &Limits) -> Result<(), SettingError> {
    if limits.ttl_min_ms == 0 {
        return Err(SettingError::new("TTL_MIN_MS", "must be above 0"));
    }
    if !(limits.ttl_min_ms..=limits.ttl_max_ms).contains(&limits.ttl_default_ms) {
        return Err(SettingError::new(
            "TTL_DEFAULT_MS",
            "must lie between TTL_MIN_MS and TTL_MAX_MS",
        ));
    }
    if limits.max_views == 0 {
        return Err(SettingError::new("MAX_VIEWS", "must be at least 1"));
    }
    Ok(())
}

/// The rate-limit policy: a window that lasts, a multiplier of at least one.
pub fn check_rate_policy(policy: &Policy) -> Result<(), SettingError> {
    if policy.window_ms == 0 {
        return Err(SettingError::new("RATE_LIMIT_WINDOW_MS", "must be above 0"));
    }
    if policy.abuse_multiplier == 0 {
        return Err(SettingError::new(
            "ABUSE_THRESHOLD_MULTIPLIER",
            "must be at least 1",
        ));
    }
    Ok(())
}

/// The breaker: thresholds of at least one.
pub fn check_breaker(breaker: &BreakerConfig) -> Result<(), SettingError> {
    if breaker.failure_threshold == 0 || breaker.success_threshold == 0 {
        return Err(SettingError::new(
            "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
            "thresholds must be at least 1",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_nonsense_names_its_variable() {
        assert_eq!(check_limits(&Limits::default()), Ok(()));
        assert_eq!(check_rate_policy(&Policy::default()), Ok(()));
        assert_eq!(check_breaker(&BreakerConfig::default()), Ok(()));
        let limits = Limits {
            ttl_default_ms: 1,
            ..Limits::default()
        };
        assert_eq!(
            check_limits(&limits).map_err(|e| e.variable),
            Err("TTL_DEFAULT_MS")
        );
        let policy = Policy {
            window_ms: 0,
            ..Policy::default()
        };
        assert_eq!(
            check_rate_policy(&policy).map_err(|e| e.to_string()),
            Err("RATE_LIMIT_WINDOW_MS: must be above 0".to_owned())
        );
    }
}
