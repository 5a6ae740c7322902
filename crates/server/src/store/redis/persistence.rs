//! The startup check of Redis's durability settings. With Redis, "durable before
//! acknowledged" (docs/architecture.md, "Guarantees and their tests") holds only if Redis writes every command to its append-only
//! file and fsyncs it before replying: `appendonly yes` and `appendfsync always`. vanish
//! cannot enforce that; it checks once Redis answers and warns loudly otherwise.

use std::time::Duration;

use super::connection::RedisConnection;

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
