//! The `RateLimiter` Durable Object: one object per client (an IPv4 address or an IPv6
//! /64), holding that client's windows and ban in its own SQLite database. Counting is
//! `vanish_core::ratelimit` maths, the same as the native limit stores: a window opens at
//! the first attempt, every attempt counts (refused ones and banned ones too), and reaching
//! `limit × ABUSE_THRESHOLD_MULTIPLIER` attempts in one window bans the client.
//!
//! Each command is synchronous SQL between reading the request and answering, so commands
//! to one object never interleave. An alarm deletes the object's data once every window
//! and the ban have ended, so idle clients cost no storage.

use vanish_core::ratelimit::{Action, Policy, Tally};
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::alarm;
use crate::clock;
use crate::protocol::{LimitCommand, LimitOutcome};
use crate::secret_store::object::integer;
use crate::settings::Settings;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS windows (
    action TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    ends_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ban (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    until INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cleanup (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    at INTEGER NOT NULL
)";

#[durable_object]
pub struct RateLimiter {
    state: State,
    env: Env,
}

#[derive(serde::Deserialize)]
struct WindowRow {
    count: u64,
    ends_at: u64,
}

#[derive(serde::Deserialize)]
struct TimeRow {
    at: u64,
}

impl DurableObject for RateLimiter {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: LimitCommand = req.json().await?;
        let policy = Settings::from_env(&self.env)
            .map_err(|e| worker::Error::RustError(e.to_string()))?
            .rate_policy;
        let now = clock::now_ms();
        let outcome = match command {
            LimitCommand::Record { action, attempts } => {
                let action = parse_action(&action)?;
                self.record(action, attempts, now, &policy)?
            }
            LimitCommand::BannedUntil => LimitOutcome {
                count: 0,
                window_ends_at: 0,
                banned_until: self.ban_end(now)?,
            },
        };
        if let Some(at) = self.extend_cleanup(&outcome)? {
            alarm::set_at(&self.state.storage(), at).await?;
        }
        Response::from_json(&outcome)
    }

    async fn alarm(&self) -> Result<Response> {
        let now = clock::now_ms();
        match self.cleanup_at()? {
            Some(at) if now < at => alarm::set_at(&self.state.storage(), at).await?,
            _ => self.state.storage().delete_all().await?,
        }
        Response::empty()
    }
}

impl RateLimiter {
    /// Counts `attempts` into the window of `action`, banning at the threshold.
    fn record(
        &self,
        action: Action,
        attempts: u64,
        now: u64,
        policy: &Policy,
    ) -> Result<LimitOutcome> {
        let sql = self.state.storage().sql();
        sql.exec(SCHEMA, None)?;
        let rows: Vec<WindowRow> = sql
            .exec(
                "SELECT count, ends_at FROM windows WHERE action = ?",
                vec![action.as_str().into()],
            )?
            .to_array()?;
        let previous = rows.into_iter().next().map(|r| Tally {
            count: r.count,
            window_ends_at: r.ends_at,
        });
        let tally = policy.count(previous, attempts, now);
        sql.exec(
            "INSERT OR REPLACE INTO windows (action, count, ends_at) VALUES (?, ?, ?)",
            vec![
                action.as_str().into(),
                integer(tally.count)?,
                integer(tally.window_ends_at)?,
            ],
        )?;
        if tally.count >= policy.ban_threshold(action) && self.ban_end(now)?.is_none() {
            sql.exec(
                "INSERT OR REPLACE INTO ban (one, until) VALUES (1, ?)",
                vec![integer(now + policy.ban_ms)?],
            )?;
        }
        Ok(LimitOutcome {
            count: tally.count,
            window_ends_at: tally.window_ends_at,
            banned_until: self.ban_end(now)?,
        })
    }

    /// When the client's ban ends, if banned at `now`.
    fn ban_end(&self, now: u64) -> Result<Option<u64>> {
        let sql = self.state.storage().sql();
        sql.exec(SCHEMA, None)?;
        let rows: Vec<TimeRow> = sql.exec("SELECT until AS at FROM ban", None)?.to_array()?;
        Ok(rows
            .into_iter()
            .next()
            .map(|r| r.at)
            .filter(|until| now < *until))
    }

    fn cleanup_at(&self) -> Result<Option<u64>> {
        let sql = self.state.storage().sql();
        sql.exec(SCHEMA, None)?;
        let rows: Vec<TimeRow> = sql.exec("SELECT at FROM cleanup", None)?.to_array()?;
        Ok(rows.into_iter().next().map(|r| r.at))
    }

    /// Moves the cleanup time past the latest window or ban end; returns the new time if it
    /// moved (then the alarm must be set), so most requests touch no alarm.
    fn extend_cleanup(&self, outcome: &LimitOutcome) -> Result<Option<u64>> {
        let latest = outcome
            .window_ends_at
            .max(outcome.banned_until.unwrap_or(0));
        if self.cleanup_at()?.is_some_and(|at| at >= latest) || latest == 0 {
            return Ok(None);
        }
        self.state.storage().sql().exec(
            "INSERT OR REPLACE INTO cleanup (one, at) VALUES (1, ?)",
            vec![integer(latest)?],
        )?;
        Ok(Some(latest))
    }
}

fn parse_action(text: &str) -> Result<Action> {
    match text {
        "create" => Ok(Action::Create),
        "read" => Ok(Action::Read),
        _ => Err(worker::Error::RustError("unknown action".into())),
    }
}
