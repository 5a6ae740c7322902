//! At most once per view: 32 concurrent consuming reads of one secret (the original's GET
//! and the POST reveal mixed, from several client addresses) succeed exactly `maxViews`
//! times, in every round.
//!
//! The readers share a few addresses rather than one each, enough that no address can spend
//! the suite's read budget however fast the rounds go, and every address makes one request
//! before the rounds: on the Worker each address is a `RateLimiter` object, and
//! dozens created in the middle of a race make `wrangler dev` (one local workerd, one
//! SQLite file per object) slow enough to drop connections, which tests the local tool,
//! not the race.

use std::sync::Barrier;

use anyhow::bail;
use serde_json::json;

use crate::client::{Client, Reply};
use crate::{Check, Target, ensure_eq, profile};

const READERS: usize = 32;
/// Rounds of the one-view race: as many as the native servers always ran; fewer on the
/// Worker, whose local `wrangler dev` (one workerd, a SQLite file per object) is the
/// bottleneck there, not the race.
const ROUNDS: usize = 200;
const WORKER_ROUNDS: usize = 25;
/// Client addresses the readers rotate through, and the creators rotate through: enough
/// that every address's reads (at most half the read budget) and creates (one budget) fit
/// in one window, however fast the rounds go.
const READER_ADDRESSES: usize = (ROUNDS * READERS).div_ceil(profile::READ_PER_WINDOW as usize / 2);
const CREATOR_ADDRESSES: usize = ROUNDS.div_ceil(profile::CREATE_PER_WINDOW as usize);

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "race::thirty_two_concurrent_reveals_have_exactly_one_winner_in_every_round",
            run: thirty_two_concurrent_reveals_have_exactly_one_winner_in_every_round,
        },
        Check {
            name: "race::concurrent_reveals_of_a_k_view_secret_succeed_exactly_k_times",
            run: concurrent_reveals_of_a_k_view_secret_succeed_exactly_k_times,
        },
    ]
}

fn thirty_two_concurrent_reveals_have_exactly_one_winner_in_every_round(
    target: &Target,
) -> anyhow::Result<()> {
    let clients = Clients::new(target)?;
    let rounds = if target.name == "worker" {
        WORKER_ROUNDS
    } else {
        ROUNDS
    };
    for round in 0..rounds {
        ensure_eq!(clients.race(round, 1)?, 1, "winners in round {round}");
    }
    Ok(())
}

fn concurrent_reveals_of_a_k_view_secret_succeed_exactly_k_times(
    target: &Target,
) -> anyhow::Result<()> {
    let clients = Clients::new(target)?;
    for (round, k) in (0..8).zip([2u32, 3, 5, 31].into_iter().cycle()) {
        ensure_eq!(
            clients.race(round, k)?,
            k as usize,
            "winners in round {round}, maxViews {k}"
        );
    }
    Ok(())
}

/// The clients of one check: a few reader addresses and a few creator addresses.
struct Clients {
    readers: Vec<Client>,
    creators: Vec<Client>,
}

impl Clients {
    fn new(target: &Target) -> anyhow::Result<Self> {
        let clients = Self {
            readers: (0..READER_ADDRESSES).map(|_| Client::new(target)).collect(),
            creators: (0..CREATOR_ADDRESSES)
                .map(|_| Client::new(target))
                .collect(),
        };
        for client in clients.readers.iter().chain(&clients.creators) {
            client.meta("UnknownButValid12")?.expect(404)?;
        }
        Ok(clients)
    }

    /// Creates a secret, lets every reader try to consume it at the same moment, and
    /// returns how many got 200 (the others must get 404).
    fn race(&self, round: usize, max_views: u32) -> anyhow::Result<usize> {
        let creator = &self.creators[round % self.creators.len()];
        let created = creator.create_ok(json!({ "maxViews": max_views }))?;
        race_once(&self.readers, round, &created.id)
    }
}

/// Fires `READERS` concurrent consuming reads at secret `id`, from the next readers in
/// turn after `round`'s; returns how many got 200.
fn race_once(readers: &[Client], round: usize, id: &str) -> anyhow::Result<usize> {
    let start = Barrier::new(READERS);
    let replies: Vec<anyhow::Result<Reply>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..READERS)
            .map(|i| {
                let (start, reader) = (&start, &readers[(round * READERS + i) % readers.len()]);
                scope.spawn(move || {
                    start.wait();
                    if i % 2 == 0 {
                        reader.reveal_get(id)
                    } else {
                        reader.reveal_post(id, &json!({}))
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("reader panicked")))
            .collect()
    });
    let mut winners = 0;
    for reply in replies {
        let reply = reply?;
        match reply.status {
            200 => winners += 1,
            404 => {}
            other => bail!("a reader got {other}: {}", reply.text()),
        }
    }
    Ok(winners)
}
