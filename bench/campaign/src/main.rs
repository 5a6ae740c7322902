//! `vanish-campaign`: vanish's two storage guarantees at campaign scale, against real
//! `vanish serve` processes and a private `redis-server` (bench/campaign.sh runs both on
//! both stores; the test suite runs the same experiments at CI scale).
//!
//! - `races`: at most once per view, however many consumers race (`race.rs`);
//! - `crashes`: durable before acknowledged, through kill -9 under mixed load (`crash.rs`).
//!
//! Each prints its figures as `name: value` lines on stdout and exits 1 if any guarantee
//! was broken (or a 5xx other than 503 was answered).

// A report tool: its output is the report.
#![allow(clippy::print_stdout)]

mod crash;
mod process;
mod race;
mod rng;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand, ValueEnum};

use crate::process::{Redis, Vanish};
use crate::rng::Rng;

#[derive(Parser)]
struct Args {
    /// The `vanish` binary to run.
    #[arg(long, default_value = "target/release/vanish")]
    vanish: PathBuf,
    /// Where the stores, logs and a redis-server's data go (a temporary folder by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Seed of the race sizes and kill moments (from the clock by default; printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop early past this many seconds, and say how far it got.
    #[arg(long, default_value_t = 3600)]
    time_limit_s: u64,
    #[command(subcommand)]
    experiment: Experiment,
}

#[derive(Clone, Copy, ValueEnum)]
enum Store {
    Sqlite,
    Redis,
}

#[derive(Subcommand)]
enum Experiment {
    /// Concurrent consumers of one secret, race after race.
    Races {
        #[arg(long, value_enum)]
        store: Store,
        /// Instances sharing the store (more than one needs Redis).
        #[arg(long, default_value_t = 1)]
        instances: usize,
        #[arg(long, default_value_t = 10_000)]
        races: u64,
        #[arg(long, default_value_t = 32)]
        min_consumers: u64,
        #[arg(long, default_value_t = 64)]
        max_consumers: u64,
    },
    /// kill -9 under mixed load, cycle after cycle, on one data dir.
    Crashes {
        #[arg(long, value_enum)]
        store: Store,
        #[arg(long, default_value_t = 300)]
        cycles: u64,
        /// Concurrent clients sending mixed traffic.
        #[arg(long, default_value_t = 6)]
        workers: u64,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(7, |d| d.as_nanos() as u64)
    });
    let mut rng = Rng::new(seed);
    let temp = tempfile::tempdir()?;
    let dir = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let time_limit = Duration::from_secs(args.time_limit_s);
    let started = Instant::now();
    println!("seed: {seed}");
    let broken = match args.experiment {
        Experiment::Races {
            store,
            instances,
            races,
            min_consumers,
            max_consumers,
        } => {
            anyhow::ensure!(
                instances == 1 || matches!(store, Store::Redis),
                "several instances share a store only on Redis"
            );
            let redis = match store {
                Store::Redis => Some(Redis::start(&dir.join("redis"))?),
                Store::Sqlite => None,
            };
            let url = redis.as_ref().map(Redis::url);
            let mut servers = Vec::new();
            for i in 0..instances {
                let data = dir.join(format!("vanish-{i}"));
                std::fs::create_dir_all(&data)?;
                let log = dir.join(format!("vanish-{i}.log"));
                servers.push(Vanish::start(&args.vanish, &data, url.as_deref(), &log).await?);
            }
            let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
            let plan = race::RacePlan {
                races,
                min_consumers,
                max_consumers: max_consumers.max(min_consumers),
                time_limit,
            };
            let t = race::run(&bases, &plan, &mut rng).await?;
            println!("races: {}", t.races);
            println!("consumers: {}", t.consumers);
            println!("revealed: {}", t.revealed);
            println!("double reads: {}", t.double_reads);
            println!("wrong ciphertext: {}", t.wrong_ciphertext);
            println!("lost views: {}", t.lost_views);
            println!("receipt mismatches: {}", t.receipt_mismatches);
            println!("unexpected answers: {:?}", t.unexpected);
            t.violations() > 0 || t.unexpected.keys().any(|s| *s >= 500 && *s != 503)
        }
        Experiment::Crashes {
            store,
            cycles,
            workers,
        } => {
            let plan = crash::CrashPlan {
                cycles,
                workers,
                time_limit,
            };
            let with_redis = matches!(store, Store::Redis);
            let t = crash::run(&args.vanish, &dir, with_redis, &plan, &mut rng).await?;
            println!("kill -9 cycles: {}", t.cycles);
            println!("creates acknowledged: {}", t.creates_acked);
            println!("reveals acknowledged: {}", t.reveals_acked);
            println!("burns acknowledged: {}", t.burns_acked);
            println!("receipts checked: {}", t.checks);
            println!("lost acknowledged creates: {}", t.lost_creates);
            println!("resurrected secrets: {}", t.resurrected);
            println!("double reads: {}", t.double_reads);
            println!("wrong ciphertext: {}", t.wrong_ciphertext);
            println!("phantom views: {}", t.phantom_views);
            println!("answers under load: {:?}", t.statuses);
            t.violations() > 0 || t.server_errors() > 0
        }
    };
    println!("seconds: {:.0}", started.elapsed().as_secs_f64());
    if broken {
        println!("result: FAILED");
        std::process::exit(1);
    }
    println!("result: ok");
    Ok(())
}
