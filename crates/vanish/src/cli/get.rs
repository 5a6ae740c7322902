//! `vanish get LINK [-o FILE]`: consumes one view, decrypts it locally, and writes the exact
//! plaintext bytes to stdout or FILE. Asks for a passphrase only if the secret's metadata
//! says it has one. A file secret's name is told on stderr; `--save` writes it under that
//! name in the current directory (see [`super::save`]).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vanish_client::{Client, Error};

use super::save::{self, Saver};
use super::{Failure, finish, parse_link, prompt_passphrase, read_passphrase_file, write_stdout};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The share link, `{server}/s/{id}#{key}` or the original `{server}/?id={id}#{key}`.
    /// The secret is fetched from the server the link names.
    link: String,
    /// Write the secret to this file (created with mode 0600) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
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
    let output = args.output.as_deref().map(Output::open).transpose()?;
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

/// The `-o` file, opened before the reveal and written only after it succeeded.
struct Output {
    file: File,
    path: PathBuf,
    /// Whether we created it, so a failed reveal leaves no empty file behind.
    is_new: bool,
}

impl Output {
    /// Opens `path` for writing, creating it readable by the owner only (it is about to
    /// hold a secret). An existing file is not truncated until the secret is in hand.
    fn open(path: &Path) -> Result<Self, Failure> {
        let is_new = !path.exists();
        let mut options = OpenOptions::new();
        options.write(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(path)
            .map_err(|error| Failure::io(format!("cannot create {}", path.display()), error))?;
        Ok(Self {
            file,
            path: path.to_owned(),
            is_new,
        })
    }

    fn write(mut self, plaintext: &[u8]) -> Result<(), Failure> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.write_all(plaintext))
            .and_then(|()| self.file.sync_all())
            .map_err(|error| Failure::io(format!("cannot write {}", self.path.display()), error))
    }

    fn abandon(self) {
        if self.is_new {
            // Best effort: the file is empty, and the reveal's failure is what to report.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The exact bytes, plus a newline when a human is reading a text that lacks one, so the
/// shell prompt does not stick to the secret. Pipes and files get the bytes unchanged.
fn write_plaintext_to_stdout(plaintext: &[u8]) -> Result<(), Failure> {
    write_stdout(plaintext)?;
    if io::stdout().is_terminal() && !plaintext.ends_with(b"\n") {
        write_stdout(b"\n")?;
    }
    Ok(())
}
