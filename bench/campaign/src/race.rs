//! Guarantee 1 at scale, "at most once per view": race after race, one secret is created
//! and 32–64 consumers fire at it at once, spread over every instance, half with the
//! original's `GET /api/secrets/{id}`, half with `POST …/reveal`. More successes than
//! `maxViews` is a double read. Fewer is a lost view (not a breach of the guarantee, which
//! is "at most", but never expected without store trouble), and the sender's receipt must
//! count exactly the views that were answered, or a view was spent without anyone
//! receiving it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::rng::Rng;

/// What a race campaign saw.
#[derive(Debug, Default)]
pub struct RaceTally {
    pub races: u64,
    pub consumers: u64,
    pub revealed: u64,
    /// Successes beyond `maxViews`, summed over races.
    pub double_reads: u64,
    /// Views a race should have handed out and did not.
    pub lost_views: u64,
    /// Races whose receipt counted other than the views answered.
    pub receipt_mismatches: u64,
    /// 200s whose ciphertext was not the one uploaded.
    pub wrong_ciphertext: u64,
    /// Every answer other than 200 or 404 to a consumer, by status (0: no answer).
    pub unexpected: BTreeMap<u16, u64>,
}

impl RaceTally {
    pub fn violations(&self) -> u64 {
        self.double_reads + self.wrong_ciphertext
    }
}

/// The shape of one campaign.
pub struct RacePlan {
    pub races: u64,
    pub min_consumers: u64,
    pub max_consumers: u64,
    /// Stop early (and say so) past this.
    pub time_limit: Duration,
}

const IV: &str = "AAECAwQFBgcICQoL";

/// Runs `plan` against `bases` (one or more instances sharing a store).
pub async fn run(bases: &[String], plan: &RacePlan, rng: &mut Rng) -> anyhow::Result<RaceTally> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(usize::try_from(plan.max_consumers)?)
        .build()?;
    let started = Instant::now();
    let mut tally = RaceTally::default();
    for race in 0..plan.races {
        if started.elapsed() > plan.time_limit {
            eprintln!("races: time limit reached after {race} races");
            break;
        }
        let consumers = plan.min_consumers + rng.below(plan.max_consumers - plan.min_consumers + 1);
        // Mostly one view, as most secrets are; some k-view ones so "exactly k" is raced too.
        let max_views = [1, 1, 1, 1, 1, 1, 2, 3, 5][usize::try_from(rng.below(9))?];
        one_race(&http, bases, race, consumers, max_views, &mut tally).await?;
        if race % 1000 == 999 {
            eprintln!(
                "races: {} done in {:.0} s, double reads {}, lost views {}",
                race + 1,
                started.elapsed().as_secs_f64(),
                tally.double_reads,
                tally.lost_views
            );
        }
    }
    Ok(tally)
}

async fn one_race(
    http: &reqwest::Client,
    bases: &[String],
    race: u64,
    consumers: u64,
    max_views: u64,
    tally: &mut RaceTally,
) -> anyhow::Result<()> {
    let n = bases.len() as u64;
    let base = |i: u64| &bases[usize::try_from((race + i) % n).unwrap_or_default()];
    let ciphertext = format!("cmFjZQ{race:012}");
    let created: Value = http
        .post(format!("{}/api/secrets", base(0)))
        .json(&json!({ "encrypted": ciphertext, "iv": IV, "maxViews": max_views }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let token = created["manageToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let attempts = (0..consumers).map(|i| {
        let url = format!("{}/api/secrets/{id}", base(i + 1));
        let request = if i % 2 == 0 {
            http.get(url)
        } else {
            http.post(format!("{url}/reveal")).json(&json!({}))
        };
        async move {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            Some((status, body))
        }
    });
    let mut revealed = 0;
    for outcome in join_all(attempts).await {
        match outcome {
            Some((200, body)) => {
                revealed += 1;
                if body["encrypted"] != ciphertext.as_str() {
                    tally.wrong_ciphertext += 1;
                }
            }
            Some((404, _)) => {}
            Some((status, _)) => *tally.unexpected.entry(status).or_default() += 1,
            None => *tally.unexpected.entry(0).or_default() += 1,
        }
    }
    tally.races += 1;
    tally.consumers += consumers;
    tally.revealed += revealed;
    tally.double_reads += revealed.saturating_sub(max_views);
    tally.lost_views += max_views.saturating_sub(revealed);
    let receipt: Value = http
        .post(format!("{}/api/secrets/{id}/status", base(0)))
        .json(&json!({ "manageToken": token }))
        .send()
        .await?
        .json()
        .await?;
    let counted = receipt["viewedAt"].as_array().map_or(0, Vec::len) as u64;
    if counted != revealed {
        tally.receipt_mismatches += 1;
    }
    Ok(())
}
