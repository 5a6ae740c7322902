//! Rate limits and abuse bans on the real clock, with the profile's small budgets: the
//! original's and the IETF rate-limit headers, 429 with `Retry-After` past the limit,
//! budgets per action, a new window allowing again; a ban at five times the limit that
//! covers every route but health and only that client, and ends; IPv6 clients keyed by /64.

use anyhow::{bail, ensure};
use serde_json::json;

use super::api::sleep_until;
use crate::client::{CIPHERTEXT, Client, IV, Reply, now_ms};
use crate::{Check, Target, ensure_eq, profile};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "rate_limits::the_create_after_the_limit_is_429_and_a_new_window_allows_again",
            run: the_create_after_the_limit_is_429_and_a_new_window_allows_again,
        },
        Check {
            name: "rate_limits::hammering_at_five_times_the_limit_bans_only_that_client_until_the_ban_ends",
            run: hammering_at_five_times_the_limit_bans_only_that_client_until_the_ban_ends,
        },
        Check {
            name: "rate_limits::ipv6_clients_share_the_budget_of_their_64",
            run: ipv6_clients_share_the_budget_of_their_64,
        },
    ]
}

fn create(client: &Client) -> anyhow::Result<Reply> {
    client.create(&json!({ "encrypted": CIPHERTEXT, "iv": IV }))
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.header(name).unwrap_or("")
}

fn the_create_after_the_limit_is_429_and_a_new_window_allows_again(
    target: &Target,
) -> anyhow::Result<()> {
    let client = Client::new(target);
    let limit = profile::CREATE_PER_WINDOW;
    let window_s = profile::WINDOW_MS / 1000;
    let opened = now_ms();
    let mut window_end = 0;
    for remaining in (0..limit).rev() {
        let reply = create(&client)?.expect(201)?;
        ensure_eq!(header(&reply, "x-ratelimit-limit"), limit.to_string());
        ensure_eq!(
            header(&reply, "x-ratelimit-remaining"),
            remaining.to_string()
        );
        window_end = header(&reply, "x-ratelimit-reset").parse()?;
        ensure!(
            (opened + profile::WINDOW_MS..=now_ms() + profile::WINDOW_MS).contains(&window_end),
            "X-RateLimit-Reset {window_end} is not the window's end"
        );
        ensure_eq!(
            header(&reply, "ratelimit-policy"),
            format!("{limit};w={window_s}")
        );
        ensure!(
            header(&reply, "ratelimit")
                .starts_with(&format!("limit={limit}, remaining={remaining}, reset=")),
            "RateLimit is {:?}",
            header(&reply, "ratelimit")
        );
    }
    let limited = create(&client)?;
    let retry_after: u64 = header(&limited, "retry-after").parse()?;
    ensure!(
        (1..=window_s).contains(&retry_after),
        "Retry-After {retry_after} is not within the window"
    );
    ensure_eq!(header(&limited, "x-ratelimit-remaining"), "0");
    limited.expect_error(429, "RATE_LIMITED")?;

    // Reads have their own budget.
    let read = client.meta("UnknownButValid12")?.expect(404)?;
    ensure_eq!(
        header(&read, "x-ratelimit-limit"),
        profile::READ_PER_WINDOW.to_string()
    );

    sleep_until(window_end + 50);
    create(&client)?.expect(201)?;
    Ok(())
}

fn hammering_at_five_times_the_limit_bans_only_that_client_until_the_ban_ends(
    target: &Target,
) -> anyhow::Result<()> {
    let client = Client::new(target);
    let limit = profile::CREATE_PER_WINDOW;
    let threshold = limit * profile::ABUSE_MULTIPLIER;
    let mut statuses = Vec::new();
    // Denials may be answered from a decision cache for up to a second; the attempts it
    // answered reach the store with the next call, so the ban comes at the threshold or
    // within about a second after it, and in any case within the window.
    let mut window_end = u64::MAX;
    let banned_at = loop {
        let reply = create(&client)?;
        statuses.push(reply.status);
        if reply.status == 403 {
            reply.expect_error(403, "BANNED")?;
            break now_ms();
        }
        if let Some(reset) = reply.header("x-ratelimit-reset") {
            window_end = window_end.min(reset.parse()?);
        }
        if now_ms() > window_end {
            bail!(
                "no ban within the window after {} attempts: {statuses:?}",
                statuses.len()
            );
        }
        if statuses.len() as u64 >= threshold {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    ensure!(
        statuses[..limit as usize].iter().all(|s| *s == 201),
        "{statuses:?}"
    );
    ensure!(
        statuses[limit as usize..statuses.len() - 1]
            .iter()
            .all(|s| *s == 429),
        "{statuses:?}"
    );
    ensure!(
        statuses.len() as u64 >= threshold,
        "banned too early: {statuses:?}"
    );

    let page = client.get("/")?;
    let retry_after: u64 = header(&page, "retry-after").parse()?;
    ensure!(
        retry_after + 1 >= profile::BAN_MS / 1000 && retry_after <= profile::BAN_MS / 1000,
        "Retry-After {retry_after} is not the whole ban"
    );
    page.expect_error(403, "BANNED")?;
    client
        .meta("UnknownButValid12")?
        .expect_error(403, "BANNED")?;
    client.get("/api/health")?.expect(200)?;
    create(&Client::new(target))?.expect(201)?;

    sleep_until(banned_at + profile::BAN_MS + 100);
    create(&client)?.expect(201)?;
    Ok(())
}

fn ipv6_clients_share_the_budget_of_their_64(target: &Target) -> anyhow::Result<()> {
    // A /64 of its own: the check's start time makes it unlikely to meet an earlier run's.
    let (a, b) = (now_ms() % 0xffff, u64::from(std::process::id()) % 0xfffe);
    let net = format!("2001:db8:{a:x}:{b:x}");
    for host in 1..=profile::CREATE_PER_WINDOW {
        let client = Client::with_ip(target, &format!("{net}::{host:x}"));
        create(&client)?.expect(201)?;
    }
    let neighbour = Client::with_ip(target, &format!("{net}:ffff:ffff:ffff:ffff"));
    create(&neighbour)?.expect_error(429, "RATE_LIMITED")?;
    let next_net = Client::with_ip(target, &format!("2001:db8:{a:x}:{:x}::1", b + 1));
    create(&next_net)?.expect(201)?;
    Ok(())
}
