//! Guarantee 2 at scale, "durable before acknowledged": cycle after cycle, workers send
//! mixed traffic (creates, reveals by GET and POST, metadata, receipts, burns, bad input)
//! at one `vanish serve`, which is killed with SIGKILL at a random moment (with Redis, the
//! `redis-server` too, in random order) and restarted on the same data. A ledger keeps what
//! the clients were told; after each restart the secrets at risk, and a sample of the
//! others, are checked through the sender's receipt:
//!
//! - a lost create: an acknowledged create whose receipt is gone, or that changed though
//!   nobody touched it;
//! - a resurrected secret: fewer views spent than were acknowledged, a burned secret
//!   pending again, or a used-up or burned secret answering `HEAD` with 200;
//! - a double read: more 200s for a secret, across all cycles, than its `maxViews`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::{Redis, Vanish};
use crate::rng::Rng;

/// What a crash campaign saw.
#[derive(Debug, Default)]
pub struct CrashTally {
    pub cycles: u64,
    pub creates_acked: u64,
    pub reveals_acked: u64,
    pub burns_acked: u64,
    /// Receipts checked after restarts.
    pub checks: u64,
    pub lost_creates: u64,
    pub resurrected: u64,
    pub double_reads: u64,
    pub wrong_ciphertext: u64,
    /// More views spent than reveals were sent: never expected.
    pub phantom_views: u64,
    /// Every answer under load, by status.
    pub statuses: BTreeMap<u16, u64>,
}

impl CrashTally {
    pub fn violations(&self) -> u64 {
        self.lost_creates + self.resurrected + self.double_reads + self.wrong_ciphertext
    }

    /// 5xx answers other than 503 (which a store outage may rightly cause).
    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500 && **s != 503)
            .map(|(_, n)| n)
            .sum()
    }
}

/// What the clients were told about one secret, and what they only tried.
struct Entry {
    ciphertext: String,
    token: String,
    max_views: u64,
    reveals_sent: u64,
    reveals_acked: u64,
    burn_sent: bool,
    burn_acked: bool,
}

#[derive(Default)]
struct Ledger {
    entries: HashMap<String, Entry>,
    ids: Vec<String>,
    /// Created or touched since the last check: the secrets this crash put at risk.
    at_risk: HashSet<String>,
    tally: CrashTally,
}

type Shared = Arc<Mutex<Ledger>>;

fn lock(ledger: &Shared) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct CrashPlan {
    pub cycles: u64,
    pub workers: u64,
    pub time_limit: Duration,
}

/// Runs `plan` with `binary` on SQLite in `dir`, or on a private Redis there.
pub async fn run(
    binary: &Path,
    dir: &Path,
    with_redis: bool,
    plan: &CrashPlan,
    rng: &mut Rng,
) -> anyhow::Result<CrashTally> {
    let ledger: Shared = Arc::default();
    let mut redis = if with_redis {
        Some(Redis::start(&dir.join("redis"))?)
    } else {
        None
    };
    let data = dir.join("vanish");
    let log = dir.join("vanish.log");
    std::fs::create_dir_all(&data)?;
    let started = Instant::now();
    for cycle in 0..plan.cycles {
        if started.elapsed() > plan.time_limit {
            eprintln!("crashes: time limit reached after {cycle} cycles");
            break;
        }
        let url = redis.as_ref().map(Redis::url);
        let server = Vanish::start(binary, &data, url.as_deref(), &log).await?;
        check(&server.base, &ledger, Some(rng)).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..plan.workers)
            .map(|w| {
                let base = server.base.clone();
                let seed = rng.next() ^ w;
                tokio::spawn(worker(base, Arc::clone(&ledger), Arc::clone(&stop), seed))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50 + rng.below(550))).await;
        match redis.as_mut() {
            Some(redis) if rng.below(2) == 0 => {
                redis.kill_and_restart()?;
                server.kill_hard();
            }
            Some(redis) => {
                server.kill_hard();
                redis.kill_and_restart()?;
            }
            None => server.kill_hard(),
        }
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await?;
        }
        lock(&ledger).tally.cycles += 1;
        if cycle % 50 == 49 {
            let l = lock(&ledger);
            eprintln!(
                "crashes: {} cycles in {:.0} s, {} creates acknowledged, violations {}",
                cycle + 1,
                started.elapsed().as_secs_f64(),
                l.tally.creates_acked,
                l.tally.violations()
            );
        }
    }
    // The last crash's check, and then every secret the campaign ever acknowledged.
    let url = redis.as_ref().map(Redis::url);
    let server = Vanish::start(binary, &data, url.as_deref(), &log).await?;
    check(&server.base, &ledger, None).await?;
    let ledger = Arc::try_unwrap(ledger)
        .map_err(|_| anyhow::anyhow!("workers still hold the ledger"))?
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    Ok(ledger.tally)
}

/// Checks the secrets at risk and a sample of 100 others (`sample` given), or all.
async fn check(base: &str, ledger: &Shared, sample: Option<&mut Rng>) -> anyhow::Result<()> {
    let ids: Vec<String> = {
        let mut l = lock(ledger);
        let mut ids: HashSet<String> = l.at_risk.drain().collect();
        match sample {
            Some(rng) if !l.ids.is_empty() => {
                for _ in 0..100 {
                    let i = usize::try_from(rng.below(l.ids.len() as u64))?;
                    ids.insert(l.ids[i].clone());
                }
            }
            Some(_) => {}
            None => ids.extend(l.ids.iter().cloned()),
        }
        ids.into_iter().collect()
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    for id in ids {
        let (token, gone_for_recipients) = {
            let l = lock(ledger);
            let e = &l.entries[&id];
            (
                e.token.clone(),
                e.burn_acked || e.reveals_acked >= e.max_views,
            )
        };
        let receipt = http
            .post(format!("{base}/api/secrets/{id}/status"))
            .json(&json!({ "manageToken": token }))
            .send()
            .await?;
        let status = receipt.status().as_u16();
        let receipt: Value = receipt.json().await.unwrap_or(Value::Null);
        let head = if gone_for_recipients {
            Some(
                http.head(format!("{base}/api/secrets/{id}"))
                    .send()
                    .await?
                    .status()
                    .as_u16(),
            )
        } else {
            None
        };
        judge(&mut lock(ledger), &id, status, &receipt, head);
    }
    Ok(())
}

/// Compares one secret's receipt (and, if it must be gone, its `HEAD`) with the ledger.
fn judge(l: &mut Ledger, id: &str, status: u16, receipt: &Value, head: Option<u16>) {
    let e = &l.entries[id];
    let (max, sent, acked, burn_sent, burn_acked) = (
        e.max_views,
        e.reveals_sent,
        e.reveals_acked,
        e.burn_sent,
        e.burn_acked,
    );
    let tally = &mut l.tally;
    tally.checks += 1;
    if status != 200 {
        eprintln!("lost: acknowledged secret {id} has no receipt ({status})");
        tally.lost_creates += 1;
        return;
    }
    let state = receipt["state"].as_str().unwrap_or_default();
    let left = receipt["viewsLeft"].as_u64().unwrap_or(u64::MAX);
    let spent = max.saturating_sub(left);
    if sent == 0 && !burn_sent && (state != "pending" || left != max) {
        eprintln!("lost: untouched secret {id} is {state} with {left} views left");
        tally.lost_creates += 1;
    }
    if state != "burned" && spent < acked {
        eprintln!("resurrected: {id} has {left} views left after {acked} acknowledged");
        tally.resurrected += 1;
    } else if burn_acked && state == "pending" {
        eprintln!("resurrected: burned secret {id} is pending again");
        tally.resurrected += 1;
    } else if head == Some(200) {
        eprintln!("resurrected: used-up or burned secret {id} answers HEAD 200");
        tally.resurrected += 1;
    }
    if state != "burned" && spent > sent {
        tally.phantom_views += 1;
    }
}

/// Mixed traffic until the server dies or `stop` is set.
async fn worker(base: String, ledger: Shared, stop: Arc<AtomicBool>, seed: u64) {
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    else {
        return;
    };
    let mut rng = Rng::new(seed);
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let empty = lock(&ledger).ids.is_empty();
        let outcome = match if empty { 0 } else { rng.below(100) } {
            0..35 => create(&http, &base, &ledger, &mut rng, n).await,
            35..60 => reveal(&http, &base, &ledger, &mut rng).await,
            60..70 => look(&http, &base, &ledger, &mut rng, "meta").await,
            70..80 => look(&http, &base, &ledger, &mut rng, "status").await,
            80..85 => burn(&http, &base, &ledger, &mut rng).await,
            _ => bad_input(&http, &base, &mut rng).await,
        };
        match outcome {
            Some(status) => *lock(&ledger).tally.statuses.entry(status).or_default() += 1,
            None => return, // the server is gone
        }
    }
}

/// A secret from the ledger, any of them (used up and burned ones too), and its token.
fn pick(ledger: &Shared, rng: &mut Rng) -> Option<(String, String)> {
    let l = lock(ledger);
    let i = usize::try_from(rng.below(l.ids.len().max(1) as u64)).ok()?;
    let id = l.ids.get(i)?.clone();
    let token = l.entries[&id].token.clone();
    Some((id, token))
}

async fn create(
    http: &reqwest::Client,
    base: &str,
    ledger: &Shared,
    rng: &mut Rng,
    n: u64,
) -> Option<u16> {
    let ciphertext = format!("Y3Jhc2g{}x{n:08}", rng.below(1 << 20));
    let max_views = 1 + rng.below(3);
    let body = json!({ "encrypted": ciphertext, "iv": "AAECAwQFBgcICQoL", "maxViews": max_views });
    let response = http
        .post(format!("{base}/api/secrets"))
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    if status == 201 {
        let created: Value = response.json().await.ok()?;
        let id = created["id"].as_str()?.to_owned();
        let entry = Entry {
            ciphertext,
            token: created["manageToken"].as_str()?.to_owned(),
            max_views,
            reveals_sent: 0,
            reveals_acked: 0,
            burn_sent: false,
            burn_acked: false,
        };
        let mut l = lock(ledger);
        l.entries.insert(id.clone(), entry);
        l.ids.push(id.clone());
        l.at_risk.insert(id);
        l.tally.creates_acked += 1;
    }
    Some(status)
}

async fn reveal(http: &reqwest::Client, base: &str, ledger: &Shared, rng: &mut Rng) -> Option<u16> {
    let (id, _) = pick(ledger, rng)?;
    {
        // Counted as sent before it is sent: after a crash, its outcome is unknown.
        let mut l = lock(ledger);
        l.entries.get_mut(&id)?.reveals_sent += 1;
        l.at_risk.insert(id.clone());
    }
    let url = format!("{base}/api/secrets/{id}");
    let request = if rng.below(2) == 0 {
        http.get(url)
    } else {
        http.post(format!("{url}/reveal")).json(&json!({}))
    };
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    if status == 200 {
        let body: Value = response.json().await.ok()?;
        let mut l = lock(ledger);
        let entry = l.entries.get_mut(&id)?;
        entry.reveals_acked += 1;
        let (double, wrong) = (
            entry.reveals_acked > entry.max_views,
            body["encrypted"] != entry.ciphertext.as_str(),
        );
        if double {
            eprintln!("double read: {id} answered 200 past its maxViews");
        }
        l.tally.double_reads += u64::from(double);
        l.tally.wrong_ciphertext += u64::from(wrong);
        l.tally.reveals_acked += 1;
    }
    Some(status)
}

async fn look(
    http: &reqwest::Client,
    base: &str,
    ledger: &Shared,
    rng: &mut Rng,
    what: &str,
) -> Option<u16> {
    let (id, token) = pick(ledger, rng)?;
    let url = format!("{base}/api/secrets/{id}/{what}");
    let request = if what == "status" {
        http.post(url).json(&json!({ "manageToken": token }))
    } else {
        http.get(url)
    };
    Some(request.send().await.ok()?.status().as_u16())
}

async fn burn(http: &reqwest::Client, base: &str, ledger: &Shared, rng: &mut Rng) -> Option<u16> {
    let (id, token) = pick(ledger, rng)?;
    {
        let mut l = lock(ledger);
        l.entries.get_mut(&id)?.burn_sent = true;
        l.at_risk.insert(id.clone());
    }
    let response = http
        .post(format!("{base}/api/secrets/{id}/burn"))
        .json(&json!({ "manageToken": token }))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    if status == 204 {
        let mut l = lock(ledger);
        l.entries.get_mut(&id)?.burn_acked = true;
        l.tally.burns_acked += 1;
    }
    Some(status)
}

/// Refused input of several kinds: the campaign also runs through the error paths.
async fn bad_input(http: &reqwest::Client, base: &str, rng: &mut Rng) -> Option<u16> {
    let request = match rng.below(4) {
        0 => http
            .post(format!("{base}/api/secrets"))
            .header("content-type", "application/json")
            .body("{not json"),
        1 => http.get(format!("{base}/api/secrets/bad!id")),
        2 => http
            .post(format!("{base}/api/secrets/NoSuchSecret000000000/status"))
            .json(&json!({ "manageToken": "wrong" })),
        _ => http
            .post(format!("{base}/api/secrets"))
            .json(&json!({ "encrypted": "abcd", "iv": "short" })),
    };
    Some(request.send().await.ok()?.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_with(sent: u64, acked: u64, burn_acked: bool) -> Ledger {
        let mut l = Ledger::default();
        let entry = Entry {
            ciphertext: "c2VjcmV0".into(),
            token: "token".into(),
            max_views: 2,
            reveals_sent: sent,
            reveals_acked: acked,
            burn_sent: burn_acked,
            burn_acked,
        };
        l.entries.insert("id".into(), entry);
        l
    }

    fn receipt(state: &str, views_left: u64) -> Value {
        json!({ "state": state, "viewsLeft": views_left, "maxViews": 2 })
    }

    #[test]
    fn an_untouched_intact_secret_is_no_violation() {
        let mut l = ledger_with(0, 0, false);
        judge(&mut l, "id", 200, &receipt("pending", 2), None);
        assert_eq!((l.tally.violations(), l.tally.checks), (0, 1));
    }

    #[test]
    fn a_missing_receipt_is_a_lost_create() {
        let mut l = ledger_with(0, 0, false);
        judge(&mut l, "id", 404, &Value::Null, None);
        assert_eq!(l.tally.lost_creates, 1);
    }

    #[test]
    fn a_view_given_back_is_a_resurrection() {
        let mut l = ledger_with(2, 2, false);
        judge(&mut l, "id", 200, &receipt("pending", 1), Some(200));
        assert_eq!(l.tally.resurrected, 1);
    }

    #[test]
    fn a_burned_secret_pending_again_is_a_resurrection() {
        let mut l = ledger_with(0, 0, true);
        judge(&mut l, "id", 200, &receipt("pending", 2), Some(404));
        assert_eq!(l.tally.resurrected, 1);
    }

    #[test]
    fn a_reveal_sent_but_unacknowledged_may_or_may_not_have_happened() {
        for left in [1, 2] {
            let mut l = ledger_with(1, 0, false);
            judge(&mut l, "id", 200, &receipt("pending", left), None);
            assert_eq!(l.tally.violations(), 0, "{left} views left");
        }
    }
}
