//! Expiry is exact on read, on the real clock: a secret is revealable before `expiresAt`
//! and never at or after it, whatever cleanup has or has not run yet.

use serde_json::json;

use super::api::sleep_until;
use crate::client::{Client, now_ms};
use crate::{Check, Target, profile};

pub fn checks() -> Vec<Check> {
    vec![Check {
        name: "expiry::a_secret_is_never_returned_at_or_after_expires_at",
        run: a_secret_is_never_returned_at_or_after_expires_at,
    }]
}

fn a_secret_is_never_returned_at_or_after_expires_at(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({ "ttl": profile::TTL_MIN_MS, "maxViews": 3 }))?;
    anyhow::ensure!(
        now_ms() + 500 < created.expires_at,
        "the secret expired before the check could look"
    );
    client.meta(&created.id)?.expect(200)?;
    client.reveal_get(&created.id)?.expect(200)?;
    sleep_until(created.expires_at);
    client.meta(&created.id)?.expect_error(404, "NOT_FOUND")?;
    client
        .reveal_get(&created.id)?
        .expect_error(404, "NOT_FOUND")?;
    client
        .reveal_post(&created.id, &json!({}))?
        .expect_error(404, "NOT_FOUND")?;
    client
        .head(&format!("/api/secrets/{}", created.id))?
        .expect(404)?;
    Ok(())
}
