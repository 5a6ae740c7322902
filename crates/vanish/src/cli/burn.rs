//! `vanish burn RECEIPT|LINK|ID`: the sender destroys the secret before anyone (else)
//! reads it. Prints nothing on stdout; the exit code says whether it worked.

use std::process::ExitCode;

use vanish_client::Client;

use super::manage::ManageArgs;
use super::{Failure, finish};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    secret: ManageArgs,
}

pub fn run(args: Args) -> ExitCode {
    finish(burn(args))
}

fn burn(args: Args) -> Result<(), Failure> {
    let (secret, manage_token) = args.secret.resolve()?;
    Client::new().burn(&secret, &manage_token)?;
    eprintln!("vanish: burned");
    Ok(())
}
