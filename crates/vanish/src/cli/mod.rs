//! The client subcommands of `vanish`: one file per command (`send`, `get`, `status`,
//! `burn`), each with the same shape: a clap `Args`, a `run` that returns the process exit
//! code, and a private function that does the work and fails with a [`Failure`].
//!
//! All HTTP and crypto is in `vanish-client`; this module owns argument parsing, reading
//! input and passphrases, printing, and the exit codes below, which are a contract with
//! scripts (documented in `docs/cli.md`). Nothing printed ever contains a link's key.
//! `output` is where `get -o FILE` writes (0600, never through a symbolic link);
//! `manage` finds the secret and manage token that `status` and `burn` act on.
//!
//! Output goes through explicit writes to stdout (never `println!`), so a closed pipe is an
//! error we report instead of a panic.

pub mod burn;
pub mod get;
mod manage;
mod output;
mod save;
pub mod send;
pub mod status;
pub mod token;

use std::fs;
use std::io::{self, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use vanish_client::{CreateRefusal, Error, Link, escape};

/// Exit codes, stable for scripts.
pub mod exit {
    pub const OK: u8 = 0;
    /// Anything not listed below: local I/O, unexpected server answers, other 4xx/5xx.
    pub const OTHER: u8 = 1;
    /// Bad arguments, a malformed link or server URL (clap's usage errors are 2 as well).
    pub const USAGE: u8 = 2;
    /// Not found, expired, already viewed or burned.
    pub const NOT_FOUND: u8 = 3;
    /// A passphrase is required and none was given, or it was wrong.
    pub const PASSPHRASE: u8 = 4;
    /// The manage token does not match the secret.
    pub const FORBIDDEN: u8 = 5;
    pub const RATE_LIMITED: u8 = 6;
    pub const BANNED: u8 = 7;
    /// The server answered 503 (its storage is unavailable or timed out).
    pub const UNAVAILABLE: u8 = 8;
    /// The server could not be reached.
    pub const NETWORK: u8 = 9;
    /// The secret did not decrypt: the link's key is wrong, or the data was altered.
    pub const DECRYPT_FAILED: u8 = 10;
    /// The secret is larger than the server accepts.
    pub const TOO_LARGE: u8 = 11;
    /// The server creates only for a valid API token or a permitted identity, and this
    /// request had neither (`AUTH_REQUIRED`, `CREATOR_NOT_ALLOWED`).
    pub const NOT_ALLOWED: u8 = 12;
    /// The server only reveals secrets; it never creates them (`READ_ONLY`).
    pub const READ_ONLY: u8 = 13;
}

/// Why a command failed: the message for stderr, advice of our own, and the exit code.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    /// May quote a server or the file system: escaped when printed.
    message: String,
    hints: Vec<&'static str>,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// A local I/O failure, e.g. `Failure::io("cannot read notes.txt", error)`.
    pub fn io(context: impl std::fmt::Display, error: io::Error) -> Self {
        Self {
            code: exit::OTHER,
            message: format!("{context}: {error}"),
            hints: Vec::new(),
        }
    }

    /// Adds advice, printed on its own `hint:` line; keeps the exit code.
    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hints.push(hint);
        self
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            code: exit_code(&error),
            message: error.to_string(),
            hints: Vec::new(),
        }
    }
}

/// The exit code of each client error; exhaustive so a new variant must pick one.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::BadLink(_) | Error::BadTarget(_) | Error::BadServer => exit::USAGE,
        Error::NotFound => exit::NOT_FOUND,
        Error::PassphraseRequired | Error::PassphraseInvalid => exit::PASSPHRASE,
        Error::Forbidden => exit::FORBIDDEN,
        Error::RateLimited { .. } => exit::RATE_LIMITED,
        Error::Banned { .. } => exit::BANNED,
        Error::Unavailable { .. } => exit::UNAVAILABLE,
        Error::Network(_) => exit::NETWORK,
        Error::DecryptFailed(_) => exit::DECRYPT_FAILED,
        Error::TooLarge => exit::TOO_LARGE,
        Error::NotAllowedToCreate(
            CreateRefusal::AuthRequired | CreateRefusal::CreatorNotAllowed,
        ) => exit::NOT_ALLOWED,
        Error::NotAllowedToCreate(CreateRefusal::ReadOnly) => exit::READ_ONLY,
        Error::Server { .. } | Error::InvalidResponse(_) | Error::Entropy(_) => exit::OTHER,
    }
}

/// Turns a command's outcome into its exit code, printing the failure on stderr.
fn finish(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::from(exit::OK),
        Err(failure) => {
            // The client already escapes what servers say; this catches anything else
            // (a file name, an OS message) and keeps the message on one line.
            eprintln!("vanish: {}", escape::escape_controls(&failure.message));
            for hint in failure.hints {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(failure.code)
        }
    }
}

/// Parses a link argument; the error never echoes the link (it holds the key).
fn parse_link(raw: &str) -> Result<Link, Failure> {
    Link::parse(raw).map_err(|error| Failure::from(Error::BadLink(error)))
}

/// Writes `bytes` to stdout and flushes.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::io("cannot write to stdout", error))
}

/// Reads a passphrase file: its contents less one trailing line ending.
fn read_passphrase_file(path: &Path) -> Result<String, Failure> {
    let text = fs::read_to_string(path)
        .map_err(|error| Failure::io(format!("cannot read {}", path.display()), error))?;
    let passphrase = text.strip_suffix('\n').map_or(text.as_str(), |line| {
        line.strip_suffix('\r').unwrap_or(line)
    });
    if passphrase.is_empty() {
        return Err(Failure::usage(format!("{} is empty", path.display())));
    }
    Ok(passphrase.to_owned())
}

/// Asks for a passphrase on the terminal without echo, or `None` if there is no terminal
/// to ask on (stderr is not one: a script, a pipe, a test).
fn prompt_passphrase(prompt: &str) -> Option<String> {
    if !io::stderr().is_terminal() {
        return None;
    }
    rpassword::prompt_password(prompt)
        .ok()
        .filter(|passphrase| !passphrase.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_its_own_exit_code() {
        let codes = [
            exit_code(&Error::NotFound),
            exit_code(&Error::PassphraseInvalid),
            exit_code(&Error::Forbidden),
            exit_code(&Error::RateLimited { retry_after: None }),
            exit_code(&Error::Banned { retry_after: None }),
            exit_code(&Error::Unavailable {
                code: "STORE_UNAVAILABLE".into(),
                retry_after: None,
            }),
            exit_code(&Error::Network("refused".into())),
            exit_code(&Error::TooLarge),
            exit_code(&Error::BadServer),
            exit_code(&Error::NotAllowedToCreate(CreateRefusal::AuthRequired)),
            exit_code(&Error::NotAllowedToCreate(CreateRefusal::CreatorNotAllowed)),
            exit_code(&Error::NotAllowedToCreate(CreateRefusal::ReadOnly)),
        ];
        assert_eq!(codes, [3, 4, 5, 6, 7, 8, 9, 11, 2, 12, 12, 13]);
    }

    #[test]
    fn a_passphrase_file_loses_one_line_ending_only() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("p");
        fs::write(&path, " two words \r\n")?;
        assert_eq!(
            read_passphrase_file(&path).map_err(|f| f.message)?,
            " two words "
        );
        fs::write(&path, "x\n\n")?;
        assert_eq!(read_passphrase_file(&path).map_err(|f| f.message)?, "x\n");
        Ok(())
    }
}
