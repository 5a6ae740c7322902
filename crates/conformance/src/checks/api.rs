//! The original service's API and a secret's life through it: create, look, reveal, run
//! out; multi-view counts; burn and the sender's receipt; health and security.txt.

use anyhow::ensure;
use serde_json::{Value, json};
use vanish_core::api::{MetaResponse, RevealResponse, StatusResponse};
use vanish_core::receipt::ReceiptState;

use crate::client::{Client, IV, now_ms};
use crate::{Check, Target, ensure_eq, profile};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "api::create_meta_reveal_then_the_secret_is_gone",
            run: create_meta_reveal_then_the_secret_is_gone,
        },
        Check {
            name: "api::the_original_consuming_get_works_exactly_once",
            run: the_original_consuming_get_works_exactly_once,
        },
        Check {
            name: "api::three_views_allow_exactly_three_reveals",
            run: three_views_allow_exactly_three_reveals,
        },
        Check {
            name: "api::head_and_meta_consume_nothing",
            run: head_and_meta_consume_nothing,
        },
        Check {
            name: "api::burn_needs_the_right_token_and_destroys_the_secret",
            run: burn_needs_the_right_token_and_destroys_the_secret,
        },
        Check {
            name: "api::status_tells_pending_viewed_burned_and_expired_apart",
            run: status_tells_pending_viewed_burned_and_expired_apart,
        },
        Check {
            name: "api::health_and_security_txt_answer",
            run: health_and_security_txt_answer,
        },
    ]
}

fn create_meta_reveal_then_the_secret_is_gone(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let before = now_ms();
    let created = client.create_ok(json!({ "encrypted": "c2VjcmV0", "ttl": 3_600_000 }))?;
    let after = now_ms();
    ensure_eq!(created.id.len(), 22, "id length");
    ensure!(
        (before + 3_600_000..=after + 3_600_000).contains(&created.expires_at),
        "expiresAt {} is not now + ttl",
        created.expires_at
    );
    ensure_eq!(created.max_views, 1, "default maxViews");
    ensure_eq!(created.manage_token.len(), 43, "manage token length");

    let meta: MetaResponse = client.meta(&created.id)?.expect(200)?.json()?;
    ensure_eq!(
        meta,
        MetaResponse {
            id: created.id.clone(),
            expires_at: created.expires_at,
            views_left: 1,
            passphrase_required: false,
        }
    );
    let revealed: RevealResponse = client
        .reveal_post(&created.id, &json!({}))?
        .expect(200)?
        .json()?;
    ensure_eq!(
        revealed,
        RevealResponse {
            encrypted: "c2VjcmV0".into(),
            iv: IV.into(),
            views_left: 0,
        }
    );
    client
        .reveal_post(&created.id, &json!({}))?
        .expect_error(404, "NOT_FOUND")?;
    client
        .reveal_get(&created.id)?
        .expect_error(404, "NOT_FOUND")?;
    client.meta(&created.id)?.expect_error(404, "NOT_FOUND")?;
    Ok(())
}

fn the_original_consuming_get_works_exactly_once(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({}))?;
    let first: RevealResponse = client.reveal_get(&created.id)?.expect(200)?.json()?;
    ensure_eq!(first.views_left, 0);
    client
        .reveal_get(&created.id)?
        .expect_error(404, "NOT_FOUND")?;
    Ok(())
}

fn three_views_allow_exactly_three_reveals(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({ "maxViews": 3 }))?;
    ensure_eq!(created.max_views, 3);
    for expected_left in [2, 1, 0] {
        let revealed: RevealResponse = client.reveal_get(&created.id)?.expect(200)?.json()?;
        ensure_eq!(revealed.views_left, expected_left, "views left");
    }
    client
        .reveal_get(&created.id)?
        .expect_error(404, "NOT_FOUND")?;
    Ok(())
}

fn head_and_meta_consume_nothing(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({ "maxViews": 1 }))?;
    let secret = format!("/api/secrets/{}", created.id);
    for _ in 0..20 {
        let head = client.head(&secret)?.expect(200)?;
        ensure!(head.body.is_empty(), "HEAD answered a body");
        client.head(&format!("{secret}/meta"))?.expect(200)?;
        let meta: MetaResponse = client.meta(&created.id)?.expect(200)?.json()?;
        ensure_eq!(meta.views_left, 1, "views left after looking");
    }
    client.reveal_get(&created.id)?.expect(200)?;
    client.head(&secret)?.expect(404)?;
    client.head(&format!("{secret}/meta"))?.expect(404)?;
    Ok(())
}

fn burn_needs_the_right_token_and_destroys_the_secret(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({ "maxViews": 2 }))?;
    client
        .burn(&created.id, "not-the-token")?
        .expect_error(403, "FORBIDDEN")?;
    client.meta(&created.id)?.expect(200)?;
    let burned = client
        .burn(&created.id, &created.manage_token)?
        .expect(204)?;
    ensure!(burned.body.is_empty(), "204 with a body");
    client
        .reveal_get(&created.id)?
        .expect_error(404, "NOT_FOUND")?;
    let status: StatusResponse = client
        .status(&created.id, &created.manage_token)?
        .expect(200)?
        .json()?;
    ensure_eq!(status.state, ReceiptState::Burned);
    ensure_eq!(status.viewed_at, Vec::<u64>::new());
    client
        .burn("UnknownSecretId1234567", &created.manage_token)?
        .expect_error(404, "NOT_FOUND")?;
    Ok(())
}

fn status_tells_pending_viewed_burned_and_expired_apart(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let multi = client.create_ok(json!({ "maxViews": 2, "ttl": 600_000 }))?;
    let status = |id: &str, token: &str| -> anyhow::Result<StatusResponse> {
        client.status(id, token)?.expect(200)?.json()
    };
    let s = status(&multi.id, &multi.manage_token)?;
    ensure_eq!(
        (s.state, s.max_views, s.views_left, s.expires_at),
        (ReceiptState::Pending, 2, 2, multi.expires_at)
    );

    let before = now_ms();
    client.reveal_get(&multi.id)?.expect(200)?;
    let first_view = now_ms();
    let s = status(&multi.id, &multi.manage_token)?;
    ensure_eq!((s.state, s.views_left), (ReceiptState::Pending, 1));
    ensure!(
        s.viewed_at.len() == 1 && (before..=first_view).contains(&s.viewed_at[0]),
        "viewedAt {:?} is not the view's time",
        s.viewed_at
    );
    client.reveal_get(&multi.id)?.expect(200)?;
    let s = status(&multi.id, &multi.manage_token)?;
    ensure_eq!((s.state, s.views_left), (ReceiptState::Viewed, 0));
    ensure_eq!(s.viewed_at.len(), 2, "two view times");

    let short = client.create_ok(json!({ "ttl": profile::TTL_MIN_MS }))?;
    ensure_eq!(
        status(&short.id, &short.manage_token)?.state,
        ReceiptState::Pending
    );
    sleep_until(short.expires_at + 50);
    ensure_eq!(
        status(&short.id, &short.manage_token)?.state,
        ReceiptState::Expired
    );
    client
        .status(&short.id, "wrong")?
        .expect_error(403, "FORBIDDEN")?;
    Ok(())
}

fn health_and_security_txt_answer(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let health: Value = client.get("/api/health")?.expect(200)?.json()?;
    ensure_eq!(health, json!({ "ok": true }));
    client.get("/healthz")?.expect(200)?;
    client.get("/readyz")?.expect(200)?;
    let txt = client.get("/.well-known/security.txt")?.expect(200)?;
    ensure_eq!(
        txt.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let body = txt.text();
    ensure!(
        body.contains(&format!("Contact: {}\n", profile::SECURITY_CONTACT)),
        "{body}"
    );
    ensure!(body.contains("Preferred-Languages: en\n"), "{body}");
    // `Expires` within a year: 364 days from now, give or take a day of clock edge.
    let expires = body
        .lines()
        .find_map(|l| l.strip_prefix("Expires: "))
        .ok_or_else(|| anyhow::anyhow!("no Expires: {body}"))?;
    let day_ms = 86_400_000;
    let candidates: Vec<String> = [363, 364, 365]
        .iter()
        .map(|d| vanish_core::headers::rfc3339_utc(now_ms() + d * day_ms)[..10].to_owned())
        .collect();
    ensure!(
        candidates.iter().any(|c| expires.starts_with(c.as_str())),
        "Expires {expires} is not a year ahead"
    );
    Ok(())
}

/// Sleeps until this machine's clock reads `at_ms`.
pub fn sleep_until(at_ms: u64) {
    let now = now_ms();
    if at_ms > now {
        std::thread::sleep(std::time::Duration::from_millis(at_ms - now));
    }
}
