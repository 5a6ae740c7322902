//! `vanish get LINK [-o FILE]`: consumes one view, decrypts it locally, and writes the exact
//! plaintext bytes to stdout or FILE. Asks for a passphrase only if the secret's metadata
//! says it has one. A file secret's name is told on stderr; `--save` writes it under that
//! name in the current directory (see [`super::save`]).

use std::io::{self, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use vanish_client::{Client, Error, escape};

use super::output::{Output, Overwrite};
use super::save::{self, Saver};
use super::{Failure, finish, parse_link, prompt_passphrase, read_passphrase_file, write_stdout};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The share link, `{server}/s/{id}#{key}` or the original `{server}/?id={id}#{key}`.
    /// The secret is fetched from the server the link names.
    link: String,
    /// Write the secret to this file (created with mode 0600) instead of stdout. An
    /// existing file (or link) is refused unless --force is given.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With -o: replace what is at FILE (atomically; a symbolic link is replaced, never
    /// followed). The new file is 0600 whatever the old one's mode was.
    #[arg(long, requires = "output")]
    force: bool,
    /// Write the secret to a new file in the current directory, named as the sender named
    /// it (`secret.txt` or `secret.bin` if they did not); never over an existing file.
    #[arg(short = 'O', long, conflicts_with = "output")]
    save: bool,
    /// Read the passphrase from this file instead of asking on the terminal.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    finish(get(args))
}

fn get(args: Args) -> Result<(), Failure> {
    let link = parse_link(&args.link)?;
    let from_file = args
        .passphrase_file
        .as_deref()
        .map(read_passphrase_file)
        .transpose()?;
    // Open the output before consuming the view: a bad path must not lose the secret.
    let overwrite = if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    let output = args
        .output
        .as_deref()
        .map(|path| Output::open(path, overwrite))
        .transpose()?;
    let saver = args.save.then(Saver::prepare).transpose()?;
    let revealed = Client::new()
        .reveal(&link, || {
            from_file.or_else(|| prompt_passphrase("Passphrase: "))
        })
        .map_err(|error| match error {
            Error::PassphraseRequired => Failure::from(error)
                .hint("run in a terminal to be asked, or pass --passphrase-file FILE"),
            other => Failure::from(other),
        });
    let revealed = match (revealed, output) {
        (Ok(revealed), Some(output)) => {
            output.write(&revealed.plaintext)?;
            revealed
        }
        (Ok(revealed), None) => {
            match saver {
                Some(saver) => eprintln!("vanish: saved as {}", saver.finish(&revealed)?.display()),
                None => write_plaintext_to_stdout(&revealed.plaintext)?,
            }
            revealed
        }
        (Err(failure), output) => {
            if let Some(output) = output {
                output.abandon();
            }
            if let Some(saver) = saver {
                saver.abandon();
            }
            return Err(failure);
        }
    };
    if let Some(line) = save::describe(&revealed) {
        eprintln!("vanish: {line}");
    }
    if revealed.views_left > 0 {
        eprintln!("vanish: {} more view(s) left", revealed.views_left);
    }
    Ok(())
}

/// Pipes and files get the exact bytes. A terminal gets them with control characters
/// escaped (the sender chose them, and an ESC sequence would drive the terminal), plus a
/// newline when the text lacks one, so the shell prompt does not stick to the secret.
fn write_plaintext_to_stdout(plaintext: &[u8]) -> Result<(), Failure> {
    if !io::stdout().is_terminal() {
        return write_stdout(plaintext);
    }
    let mut shown = escape::for_terminal(plaintext);
    if !shown.ends_with('\n') {
        shown.push('\n');
    }
    write_stdout(shown.as_bytes())
}
