//! At most once per view: 32 concurrent consuming reads of one secret (the original's GET
//! and the POST reveal mixed, each from its own client address) succeed exactly
//! `maxViews` times, in every round.

use std::sync::Barrier;

use anyhow::bail;
use serde_json::json;

use crate::client::Client;
use crate::{Check, Target, ensure_eq};

const READERS: usize = 32;
const ROUNDS: usize = 25;

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
    let readers: Vec<Client> = (0..READERS).map(|_| Client::new(target)).collect();
    for round in 0..ROUNDS {
        ensure_eq!(
            race_once(target, &readers, 1)?,
            1,
            "winners in round {round}"
        );
    }
    Ok(())
}

fn concurrent_reveals_of_a_k_view_secret_succeed_exactly_k_times(
    target: &Target,
) -> anyhow::Result<()> {
    let readers: Vec<Client> = (0..READERS).map(|_| Client::new(target)).collect();
    for (round, k) in (0..8).zip([2u32, 3, 5, 31].into_iter().cycle()) {
        ensure_eq!(
            race_once(target, &readers, k)?,
            k as usize,
            "winners in round {round}, maxViews {k}"
        );
    }
    Ok(())
}

/// Creates a secret, lets every reader try to consume it at the same moment, and returns
/// how many got 200 (the others must get 404).
fn race_once(target: &Target, readers: &[Client], max_views: u32) -> anyhow::Result<usize> {
    let created = Client::new(target).create_ok(json!({ "maxViews": max_views }))?;
    let start = Barrier::new(readers.len());
    let statuses: Vec<anyhow::Result<u16>> = std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .iter()
            .enumerate()
            .map(|(i, reader)| {
                let (start, id) = (&start, created.id.as_str());
                scope.spawn(move || {
                    start.wait();
                    let reply = if i % 2 == 0 {
                        reader.reveal_get(id)
                    } else {
                        reader.reveal_post(id, &json!({}))
                    };
                    reply.map(|r| r.status)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("reader panicked")))
            .collect()
    });
    let mut winners = 0;
    for status in statuses {
        match status? {
            200 => winners += 1,
            404 => {}
            other => bail!("a reader got {other}"),
        }
    }
    Ok(winners)
}
