//! Guarantee 2, durable before acknowledged, tested by doing it: the real binary serves
//! concurrent creates and reveals and is killed with SIGKILL at random moments, 20 times
//! over one data dir. After each restart every acknowledged create that no reveal touched
//! is still there with its exact ciphertext, and every acknowledged reveal stays gone.
//! Also: SIGTERM drains and exits 0.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use support::{ServerProcess, free_port};

const CYCLES: usize = 20;
const WORKERS: usize = 6;

/// What the clients were told, and what they only tried.
#[derive(Default, Clone)]
struct Ledger {
    /// Acknowledged creates (201 received): id → ciphertext.
    created: HashMap<String, String>,
    /// Reveals sent, acknowledged or not: their outcome is unknown after a crash.
    reveal_tried: HashSet<String>,
    /// Reveals acknowledged (200 received).
    revealed: HashSet<String>,
}

/// A small xorshift; the test only needs varied kill moments, not cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(7);
        Self(u64::from(nanos) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn worker(base: String, ledger: Arc<Mutex<Ledger>>, worker_no: usize) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    for n in 0u64.. {
        let ciphertext = format!("Y2lwaGVy{worker_no}x{n}");
        let created = http
            .post(format!("{base}/api/secrets"))
            .json(&json!({ "encrypted": ciphertext, "iv": "AAECAwQFBgcICQoL" }))
            .send()
            .await;
        let Ok(response) = created else { return };
        if response.status() != 201 {
            return;
        }
        let Ok(body) = response.json::<serde_json::Value>().await else {
            return;
        };
        let id = body["id"].as_str().expect("id").to_owned();
        // Reveal every other secret created, so both kinds of acknowledgement are in flight.
        let to_reveal = {
            let mut ledger = ledger.lock().expect("ledger");
            ledger.created.insert(id.clone(), ciphertext);
            let candidate = (n % 2 == 0).then_some(id);
            if let Some(id) = &candidate {
                ledger.reveal_tried.insert(id.clone());
            }
            candidate
        };
        if let Some(id) = to_reveal {
            let Ok(response) = http.get(format!("{base}/api/secrets/{id}")).send().await else {
                return;
            };
            if response.status() == 200 {
                ledger.lock().expect("ledger").revealed.insert(id);
            }
        }
    }
}

/// After a restart: acknowledged creates that no reveal touched are intact, acknowledged
/// reveals are gone. Returns how many of each were checked.
async fn verify(base: &str, ledger: &Ledger) -> anyhow::Result<(usize, usize)> {
    let http = reqwest::Client::new();
    let mut intact = 0;
    for id in ledger
        .created
        .keys()
        .filter(|id| !ledger.reveal_tried.contains(*id))
    {
        let meta = http
            .get(format!("{base}/api/secrets/{id}/meta"))
            .send()
            .await?;
        anyhow::ensure!(
            meta.status() == 200,
            "acknowledged secret {id} lost ({})",
            meta.status()
        );
        intact += 1;
    }
    for id in &ledger.revealed {
        let again = http.head(format!("{base}/api/secrets/{id}")).send().await?;
        anyhow::ensure!(
            again.status() == 404,
            "acknowledged reveal of {id} answers {} after a restart, not 404",
            again.status()
        );
    }
    Ok((intact, ledger.revealed.len()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_write() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = Rng::seeded();
    let (mut total_intact, mut total_revealed) = (0, 0);
    for cycle in 0..CYCLES {
        let server = ServerProcess::start(dir.path(), free_port(), &[]);
        let snapshot = ledger.lock().expect("ledger").clone();
        (total_intact, total_revealed) = verify(&server.base, &snapshot).await?;
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| tokio::spawn(worker(server.base.clone(), Arc::clone(&ledger), w)))
            .collect();
        tokio::time::sleep(Duration::from_millis(30 + rng.below(250))).await;
        server.kill_hard();
        for w in workers {
            w.await?;
        }
        assert!(
            !ledger.lock().expect("ledger").created.is_empty(),
            "cycle {cycle} made progress"
        );
    }
    let server = ServerProcess::start(dir.path(), free_port(), &[]);
    let snapshot = ledger.lock().expect("ledger").clone();
    let (intact, revealed) = verify(&server.base, &snapshot).await?;
    assert!(intact >= total_intact && revealed >= total_revealed);
    assert!(
        intact > 50 && revealed > 50,
        "enough writes were checked: {intact} creates, {revealed} reveals"
    );
    // The ciphertext of an untouched secret comes back byte for byte.
    let (id, ciphertext) = snapshot
        .created
        .iter()
        .find(|(id, _)| !snapshot.reveal_tried.contains(*id))
        .expect("one");
    let body: serde_json::Value = reqwest::get(format!("{}/api/secrets/{id}", server.base))
        .await?
        .json()
        .await?;
    assert_eq!(body["encrypted"], ciphertext.as_str());
    Ok(())
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero_keeping_data() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = ServerProcess::start(dir.path(), free_port(), &[]);
    let http = reqwest::Client::new();
    let created: serde_json::Value = http
        .post(format!("{}/api/secrets", server.base))
        .json(&json!({ "encrypted": "c3Vydml2ZXM", "iv": "AAECAwQFBgcICQoL" }))
        .send()
        .await?
        .json()
        .await?;
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    let server = ServerProcess::start(dir.path(), free_port(), &[]);
    let body: serde_json::Value = reqwest::get(format!(
        "{}/api/secrets/{}",
        server.base,
        created["id"].as_str().expect("id")
    ))
    .await?
    .json()
    .await?;
    assert_eq!(body["encrypted"], "c3Vydml2ZXM");
    Ok(())
}
