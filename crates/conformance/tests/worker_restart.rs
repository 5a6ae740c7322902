//! Durable before acknowledged, on the Worker: `wrangler dev` is killed (SIGKILL to
//! wrangler and workerd together, a crash) after acknowledging secrets, views, a burn and a
//! ban, and a new `wrangler dev` on the same state folder (`--persist-to`) serves exactly
//! what was acknowledged: every pending secret with its views left, nothing consumed or
//! burned comes back, and the ban still holds. Without the Worker's tools it says SKIPPED
//! (and fails under `VANISH_REQUIRE_ALL=1`).

mod support;

use anyhow::ensure;
use serde_json::json;
use support::worker::{Objects, WranglerDev, build, config, tools_ready};
use vanish_conformance::client::{CIPHERTEXT, Client, IV};
use vanish_conformance::profile::{self, SETTINGS};
use vanish_conformance::{Target, ensure_eq};

/// The suite's settings with a ban that outlasts the restart.
fn settings() -> Vec<(&'static str, &'static str)> {
    SETTINGS
        .iter()
        .map(|&(name, value)| match name {
            "BAN_DURATION_MS" => (name, "600000"),
            _ => (name, value),
        })
        .collect()
}

fn target(dev: &WranglerDev) -> Target {
    Target {
        base_url: dev.base_url.clone(),
        name: "worker".into(),
    }
}

#[test]
fn a_restarted_wrangler_dev_serves_what_it_acknowledged_and_nothing_it_consumed()
-> anyhow::Result<()> {
    if !tools_ready("Worker restart test") {
        return Ok(());
    }
    build()?;
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state");
    let settings = settings();
    let config = config(dir.path(), Objects::Local)?;

    let first = WranglerDev::start(&config, &state, &settings, &dir.path().join("first.log"))?;
    let before = target(&first);
    let create = |extra: serde_json::Value| Client::new(&before).create_ok(extra);
    let pending: Vec<_> = (0..10)
        .map(|_| create(json!({})))
        .collect::<anyhow::Result<_>>()?;
    let multi = create(json!({ "maxViews": 3 }))?;
    let consumed = create(json!({}))?;
    let burned = create(json!({ "maxViews": 2 }))?;
    let reader = Client::new(&before);
    reader.reveal_get(&multi.id)?.expect(200)?;
    reader.reveal_get(&consumed.id)?.expect(200)?;
    reader.burn(&burned.id, &burned.manage_token)?.expect(204)?;
    let abuser = Client::with_ip(&before, "198.51.100.66");
    let threshold = profile::CREATE_PER_WINDOW * profile::ABUSE_MULTIPLIER;
    let mut banned = false;
    for _ in 0..threshold * 3 {
        let reply = abuser.create(&json!({ "encrypted": CIPHERTEXT, "iv": IV }))?;
        if reply.status == 403 {
            banned = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    ensure!(banned, "the abusing client was never banned");
    first.kill();

    let second = WranglerDev::start(&config, &state, &settings, &dir.path().join("second.log"))?;
    let after = target(&second);
    let reader = Client::new(&after);
    for secret in &pending {
        let revealed: serde_json::Value = reader.reveal_get(&secret.id)?.expect(200)?.json()?;
        ensure_eq!(
            revealed["encrypted"],
            CIPHERTEXT,
            "ciphertext of a pending secret"
        );
        reader
            .reveal_get(&secret.id)?
            .expect_error(404, "NOT_FOUND")?;
    }
    let left: serde_json::Value = reader.meta(&multi.id)?.expect(200)?.json()?;
    ensure_eq!(
        left["viewsLeft"],
        2,
        "the view acknowledged before the crash stays spent"
    );
    reader
        .reveal_get(&consumed.id)?
        .expect_error(404, "NOT_FOUND")?;
    reader
        .reveal_get(&burned.id)?
        .expect_error(404, "NOT_FOUND")?;
    let status: serde_json::Value = reader
        .status(&burned.id, &burned.manage_token)?
        .expect(200)?
        .json()?;
    ensure_eq!(status["state"], "burned");
    let abuser = Client::with_ip(&after, "198.51.100.66");
    abuser.get("/")?.expect_error(403, "BANNED")?;
    second.kill();
    Ok(())
}
