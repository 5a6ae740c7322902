//! What `vanish status` and `vanish burn` share: which secret, and its manage token.
//!
//! The secret is named by the receipt link `vanish send` printed, by a share link (its key
//! is not needed and not used), or by its id on `--server`. The token comes from, in this
//! order: the receipt link's `#fragment`, `--manage-token` or `--manage-token-file`, the
//! environment (`VANISH_MANAGE_TOKEN`), or a prompt on the terminal without echo. Only
//! `--manage-token` puts it on the command line, where `ps` and shell history see it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use vanish_client::{ManageTarget, SecretAddress};

use super::{Failure, prompt_passphrase};

/// The environment variable the manage token may come from.
const TOKEN_ENV: &str = "VANISH_MANAGE_TOKEN";

#[derive(Debug, clap::Args)]
pub struct ManageArgs {
    /// The receipt link `vanish send` printed (`{server}/?manage={id}#{token}`), a share
    /// link (its #key is not needed), or a secret id on --server.
    #[arg(value_name = "RECEIPT|LINK|ID")]
    target: String,
    /// The manage token. Visible to every user in `ps` and kept in shell history: prefer
    /// the receipt link, --manage-token-file, VANISH_MANAGE_TOKEN or the prompt.
    #[arg(long, value_name = "T", conflicts_with = "manage_token_file")]
    manage_token: Option<String>,
    /// Read the manage token from this file (surrounding whitespace ignored).
    #[arg(long, value_name = "FILE")]
    manage_token_file: Option<PathBuf>,
    /// The server a bare id is looked up on.
    #[arg(
        long,
        env = "VANISH_SERVER",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    server: String,
}

impl ManageArgs {
    /// The secret's address and its manage token, from wherever they were given.
    pub fn resolve(&self) -> Result<(SecretAddress, String), Failure> {
        let target = ManageTarget::parse(&self.target, &self.server)?;
        let explicit = match (&self.manage_token, &self.manage_token_file) {
            (Some(token), _) => Some(non_empty(token, "--manage-token")?),
            (None, Some(path)) => Some(read_token_file(path)?),
            (None, None) => None,
        };
        let token = match (target.manage_token, explicit) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage(
                    "the receipt link already carries the manage token; \
                     drop --manage-token / --manage-token-file",
                ));
            }
            (Some(token), None) | (None, Some(token)) => token,
            (None, None) => from_environment_or_prompt()?,
        };
        Ok((target.address, token))
    }
}

fn from_environment_or_prompt() -> Result<String, Failure> {
    if let Some(token) = env::var(TOKEN_ENV).ok().filter(|t| !t.trim().is_empty()) {
        return non_empty(&token, TOKEN_ENV);
    }
    prompt_passphrase("Manage token: ")
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            Failure::usage("no manage token given, and no terminal to ask for it on").hint(
                "pass the receipt link `vanish send` printed, or --manage-token-file FILE, \
                 or set VANISH_MANAGE_TOKEN",
            )
        })
}

fn non_empty(token: &str, source: &str) -> Result<String, Failure> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Failure::usage(format!(
            "the manage token in {source} is empty"
        )));
    }
    Ok(token.to_owned())
}

fn read_token_file(path: &Path) -> Result<String, Failure> {
    let text = fs::read_to_string(path)
        .map_err(|error| Failure::io(format!("cannot read {}", path.display()), error))?;
    non_empty(&text, &path.display().to_string())
}
