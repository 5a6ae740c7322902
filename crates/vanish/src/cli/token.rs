//! `vanish token`: makes an API token for servers that require one to create secrets
//! (`CREATE_ACCESS=token`). The token goes to stdout for its user; its SHA-256, the only
//! thing the server keeps, goes to stderr for the operator's `CREATE_TOKENS` (or both as
//! JSON with `--json`).

use std::process::ExitCode;

use vanish_core::access::new_api_token;
use vanish_core::id::TokenHash;

use super::{Failure, finish, write_stdout};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print `{"token", "hash"}` as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    finish(token(args))
}

fn token(args: Args) -> Result<(), Failure> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|e| Failure::io("cannot make a token", std::io::Error::other(e)))?;
    let token = new_api_token(random);
    let hash = TokenHash::of(token.as_bytes()).to_hex();
    if args.json {
        let json = serde_json::json!({ "token": token, "hash": hash });
        write_stdout(format!("{json}\n").as_bytes())
    } else {
        write_stdout(format!("{token}\n").as_bytes())?;
        eprintln!("hash for CREATE_TOKENS: {hash}");
        Ok(())
    }
}
