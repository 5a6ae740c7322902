//! The checks of Redis's settings that acknowledged secrets depend on, made once Redis
//! answers (docs/operations.md, "Recommended Redis settings"):
//!
//! - **Durability** ([`warn_if_not_durable`]): "durable before acknowledged"
//!   (docs/architecture.md, "Guarantees and their tests") holds only if Redis writes every
//!   command to its append-only file and fsyncs it before replying: `appendonly yes` and
//!   `appendfsync always`. vanish cannot enforce that; it warns loudly otherwise.
//! - **Eviction** ([`EvictionGate`]): under any `allkeys-*` or `volatile-*`
//!   `maxmemory-policy`, a full Redis silently drops keys that have a TTL, which every
//!   secret has. The store refuses to serve from such a Redis (and `vanish serve` refuses
//!   to start when it can tell at startup) unless `REDIS_ALLOW_EVICTION=true`.

use std::time::Duration;

use tokio::sync::OnceCell;

use super::connection::RedisConnection;
use crate::store::StoreError;

/// The only `maxmemory-policy` under which Redis never drops a key by itself: a full
/// Redis refuses writes instead (503s), and reads keep working.
pub const SAFE_POLICY: &str = "noeviction";

/// `Err` names the first policy (one per node) that can evict, and the way out.
pub fn assess_eviction(policies: &[String]) -> Result<(), String> {
    match policies.iter().find(|p| p.as_str() != SAFE_POLICY) {
        None => Ok(()),
        Some(policy) => Err(format!(
            "Redis runs with maxmemory-policy {policy}: a full Redis would evict keys that \
             have a TTL, which every secret has, so acknowledged secrets could vanish unread \
             (set maxmemory-policy {SAFE_POLICY}, or REDIS_ALLOW_EVICTION=true to serve anyway)"
        )),
    }
}

/// What to do when Redis may evict keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// Refuse to serve (the default).
    Refuse,
    /// Serve anyway, with a warning (`REDIS_ALLOW_EVICTION=true`).
    Tolerate,
}

/// Whether a store may serve from its Redis, decided at the first contact and then
/// remembered for the life of the process.
pub struct EvictionGate {
    eviction: Eviction,
    verdict: OnceCell<Result<(), String>>,
}

impl EvictionGate {
    pub fn new(eviction: Eviction) -> Self {
        Self {
            eviction,
            verdict: OnceCell::new(),
        }
    }

    /// `Ok` once Redis is known to keep its keys (or eviction is tolerated);
    /// `StoreError::Refused` if it may evict them; the connection's error, not remembered,
    /// while Redis cannot be asked.
    pub async fn check(&self, conn: &RedisConnection) -> Result<(), StoreError> {
        let verdict = self.verdict.get_or_try_init(|| self.decide(conn)).await?;
        verdict.clone().map_err(StoreError::Refused)
    }

    async fn decide(&self, conn: &RedisConnection) -> Result<Result<(), String>, StoreError> {
        let policies = match conn.config_get("maxmemory-policy").await {
            Ok(policies) if !policies.is_empty() => policies,
            unread => {
                // Unreachable: decide at the next contact. Reachable but `CONFIG` refused
                // (common on managed Redis): nothing to go on but the operator's word.
                conn.ping().await?;
                let error = unread.err().map(|e| e.to_string()).unwrap_or_default();
                tracing::warn!(
                    error,
                    "could not read Redis's maxmemory-policy (CONFIG GET refused?): make sure \
                     it is noeviction, or acknowledged secrets can be evicted"
                );
                return Ok(Ok(()));
            }
        };
        Ok(match (assess_eviction(&policies), self.eviction) {
            (Ok(()), _) => Ok(()),
            (Err(problem), Eviction::Tolerate) => {
                tracing::warn!("{problem}; serving anyway, as REDIS_ALLOW_EVICTION=true says");
                Ok(())
            }
            (Err(problem), Eviction::Refuse) => {
                tracing::error!("{problem}");
                Err(problem)
            }
        })
    }
}

/// What is wrong with the settings reported by the nodes (one value per node).
pub fn assess(appendonly: &[String], appendfsync: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    if appendonly.is_empty() || appendfsync.is_empty() {
        warnings.push("Redis did not report appendonly/appendfsync".to_owned());
    }
    if appendonly.iter().any(|v| v != "yes") {
        warnings.push(
            "Redis runs with appendonly no: acknowledged secrets are lost if Redis restarts \
             (set appendonly yes)"
                .to_owned(),
        );
    }
    if let Some(mode) = appendfsync.iter().find(|v| *v != "always") {
        warnings.push(format!(
            "Redis runs with appendfsync {mode}: secrets acknowledged in the last moments \
             before a crash can be lost, and consumed ones can come back (set appendfsync always)"
        ));
    }
    warnings
}

/// Waits until Redis answers, then logs a warning per weak setting (or that the settings
/// could not be read, as on managed Redis where `CONFIG` is disabled). Meant to run as a
/// background task at startup.
pub async fn warn_if_not_durable(conn: RedisConnection) {
    let mut wait = Duration::from_millis(500);
    while conn.ping().await.is_err() {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    let settings = async {
        Ok::<_, crate::store::StoreError>((
            conn.config_get("appendonly").await?,
            conn.config_get("appendfsync").await?,
        ))
    };
    match settings.await {
        Ok((appendonly, appendfsync)) => {
            let warnings = assess(&appendonly, &appendfsync);
            for warning in &warnings {
                tracing::warn!("{warning}");
            }
            if warnings.is_empty() {
                tracing::info!("Redis persistence: appendonly yes, appendfsync always");
            }
        }
        Err(e) => tracing::warn!(
            error = %e,
            "could not check Redis persistence (CONFIG GET refused?): make sure appendonly is \
             yes and appendfsync is always, or acknowledged secrets can be lost"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_noeviction_on_every_node_keeps_secrets_from_being_evicted() {
        assert_eq!(assess_eviction(&v(&["noeviction", "noeviction"])), Ok(()));
        for policy in [
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ] {
            let refusal = assess_eviction(&v(&["noeviction", policy])).expect_err(policy);
            assert!(
                refusal.contains(&format!("maxmemory-policy {policy}"))
                    && refusal.contains("REDIS_ALLOW_EVICTION=true"),
                "{refusal}"
            );
        }
    }

    #[test]
    fn durable_settings_on_every_node_raise_nothing() {
        assert!(assess(&v(&["yes", "yes"]), &v(&["always", "always"])).is_empty());
    }

    #[test]
    fn each_weak_setting_is_named() {
        let w = assess(&v(&["no"]), &v(&["everysec"]));
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("appendonly no"));
        assert!(w[1].contains("appendfsync everysec"));
        let w = assess(&v(&["yes", "no"]), &v(&["always", "always"]));
        assert_eq!(w.len(), 1, "one weak cluster node is enough to warn");
        assert_eq!(assess(&[], &[]).len(), 1);
    }
}
