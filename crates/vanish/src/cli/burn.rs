//! `vanish burn LINK --manage-token T`: the sender destroys the secret before anyone (else)
//! reads it. Prints nothing on stdout; the exit code says whether it worked.

use std::process::ExitCode;

use vanish_client::Client;

use super::{Failure, finish, parse_link};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The share link that `vanish send` printed.
    link: String,
    /// The manage token that `vanish send` printed.
    #[arg(long, env = "VANISH_MANAGE_TOKEN", hide_env_values = true)]
    manage_token: String,
}

pub fn run(args: Args) -> ExitCode {
    finish(burn(args))
}

fn burn(args: Args) -> Result<(), Failure> {
    let link = parse_link(&args.link)?;
    Client::new().burn(&link, &args.manage_token)?;
    eprintln!("vanish: burned");
    Ok(())
}
