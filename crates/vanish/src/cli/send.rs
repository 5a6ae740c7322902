//! `vanish send [FILE]`: encrypts stdin or FILE locally, uploads the ciphertext, prints the
//! link on stdout and the manage token and receipt link on stderr (or all as JSON on stdout
//! with `--json`). FILE goes as a file, its name sealed with it (payload format 2,
//! `docs/envelope.md`); stdin goes as bytes alone unless `--name` names it.
//!
//! A server that requires an API token to create (docs/api.md, "Who may create") gets one
//! from `--token-file`, `--token` or `VANISH_TOKEN`; a refusal says what would help.

use std::env;
use std::fs;
use std::io::{self, IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vanish_client::{ApiToken, Client, CreateRefusal, Error, FileInfo, SendOptions, Sent, Server};
use vanish_core::headers::rfc3339_utc;

use super::{Failure, finish, prompt_passphrase, read_passphrase_file, write_stdout};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// File to send (text or binary); stdin when absent or `-`. Its name is sealed with it.
    file: Option<PathBuf>,
    /// Send as a file with this name (instead of FILE's own; also for stdin).
    #[arg(long, value_name = "NAME", conflicts_with = "no_name")]
    name: Option<String>,
    /// Send the bytes alone, without a file name (for readers older than file support).
    #[arg(long)]
    no_name: bool,
    /// How long the secret lives: `30s`, `10m`, `1h`, `7d`, or plain milliseconds. The
    /// server clamps it to its bounds (by default 5 minutes to 7 days; default 1 day).
    #[arg(long, value_parser = parse_ttl)]
    ttl: Option<u64>,
    /// How many times the secret can be revealed (default 1).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    views: Option<u32>,
    /// Also protect the secret with a passphrase, asked on the terminal (not echoed).
    #[arg(long, conflicts_with = "passphrase_file")]
    passphrase: bool,
    /// Read the passphrase from this file (one trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Read the API token (for servers that require one to create) from this file;
    /// surrounding whitespace is ignored.
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    token_file: Option<PathBuf>,
    /// The API token itself. Visible to every user in `ps` and kept in shell history:
    /// prefer --token-file or VANISH_TOKEN.
    #[arg(long, value_name = "T")]
    token: Option<String>,
    /// The vanish server to upload to.
    #[arg(
        long,
        env = "VANISH_SERVER",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    server: String,
    /// Print `{"link", "manageToken", "receiptLink", "expiresAt", "maxViews"}` as JSON on
    /// stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    finish(send(args))
}

fn send(args: Args) -> Result<(), Failure> {
    let server = Server::parse(&args.server)?;
    let api_token = api_token(&args)?;
    let passphrase = passphrase(&args)?;
    let plaintext = read_input(args.file.as_ref())?;
    let file = file_info(&args)?;
    let options = SendOptions {
        ttl_ms: args.ttl,
        views: args.views,
        passphrase,
        file,
        api_token,
    };
    let sent = Client::new()
        .send(&server, &plaintext, &options)
        .map_err(|error| with_access_hint(error, options.api_token.is_some()))?;
    if args.json {
        write_stdout(format!("{}\n", sent_json(&sent)).as_bytes())
    } else {
        write_stdout(format!("{}\n", sent.link).as_bytes())?;
        eprintln!("manage token: {}", sent.manage_token);
        eprintln!("receipt: {}", sent.receipt_link());
        eprintln!(
            "expires at: {} ({} view{})",
            rfc3339_utc(sent.expires_at),
            sent.max_views,
            if sent.max_views == 1 { "" } else { "s" }
        );
        Ok(())
    }
}

fn sent_json(sent: &Sent) -> serde_json::Value {
    serde_json::json!({
        "link": sent.link.to_string(),
        "manageToken": sent.manage_token,
        "receiptLink": sent.receipt_link(),
        "expiresAt": sent.expires_at,
        "maxViews": sent.max_views,
    })
}

/// The environment variable the API token may come from.
const TOKEN_ENV: &str = "VANISH_TOKEN";

/// The API token from `--token-file` or `--token`, else `VANISH_TOKEN` (empty counts as
/// unset), else none. An unusable one is a usage error that never quotes it.
fn api_token(args: &Args) -> Result<Option<ApiToken>, Failure> {
    if let Some(path) = &args.token_file {
        return read_api_token(path).map(Some);
    }
    if let Some(token) = &args.token {
        return parse_api_token(token, "--token").map(Some);
    }
    match env::var(TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => parse_api_token(&token, TOKEN_ENV).map(Some),
        _ => Ok(None),
    }
}

fn read_api_token(path: &Path) -> Result<ApiToken, Failure> {
    let text = fs::read_to_string(path)
        .map_err(|error| Failure::io(format!("cannot read {}", path.display()), error))?;
    parse_api_token(&text, &path.display().to_string())
}

fn parse_api_token(text: &str, source: &str) -> Result<ApiToken, Failure> {
    ApiToken::parse(text).ok_or_else(|| {
        Failure::usage(format!(
            "the API token in {source} is empty or is not one line of visible ASCII"
        ))
    })
}

/// The client's error, with advice when the server would not let us create.
fn with_access_hint(error: Error, has_token: bool) -> Failure {
    let hint = match (&error, has_token) {
        (Error::NotAllowedToCreate(CreateRefusal::AuthRequired), false) => {
            "this server needs an API token: --token-file or VANISH_TOKEN"
        }
        (Error::NotAllowedToCreate(CreateRefusal::AuthRequired), true) => {
            "the server did not accept this API token: check it, or ask its operator for a new one"
        }
        (Error::NotAllowedToCreate(CreateRefusal::CreatorNotAllowed), _) => {
            "the server's operator decides who may create secrets there: ask them"
        }
        (Error::NotAllowedToCreate(CreateRefusal::ReadOnly), _) => {
            "send to the instance that creates secrets (--server or VANISH_SERVER); \
             its links open here too"
        }
        _ => return Failure::from(error),
    };
    Failure::from(error).hint(hint)
}

/// What to seal as the file's name: `--name`, else FILE's own name; nothing for stdin or
/// with `--no-name`.
fn file_info(args: &Args) -> Result<Option<FileInfo>, Failure> {
    if args.no_name {
        return Ok(None);
    }
    if let Some(name) = &args.name {
        let file = FileInfo::new(Some(name), None);
        if file.name().is_none() {
            return Err(Failure::usage(
                "--name: nothing is left of that name once made safe",
            ));
        }
        return Ok(Some(file));
    }
    let path = args.file.as_ref().filter(|path| path.as_os_str() != "-");
    Ok(path.map(|path| {
        let name = path.file_name().map(|name| name.to_string_lossy());
        FileInfo::new(name.as_deref(), None)
    }))
}

/// The passphrase from `--passphrase-file`, or asked twice on the terminal.
fn passphrase(args: &Args) -> Result<Option<String>, Failure> {
    if let Some(path) = &args.passphrase_file {
        return read_passphrase_file(path).map(Some);
    }
    if !args.passphrase {
        return Ok(None);
    }
    let no_terminal = || {
        Failure::usage("--passphrase needs a terminal to ask on")
            .hint("use --passphrase-file FILE in scripts")
    };
    let first = prompt_passphrase("Passphrase: ").ok_or_else(no_terminal)?;
    let second = prompt_passphrase("Repeat passphrase: ").ok_or_else(no_terminal)?;
    if first != second {
        return Err(Failure::usage("the passphrases do not match"));
    }
    Ok(Some(first))
}

/// Reads the whole secret, from FILE or stdin. An empty secret is refused: it is almost
/// always a mistake (an empty pipe), and would burn a link for nothing.
fn read_input(file: Option<&PathBuf>) -> Result<Vec<u8>, Failure> {
    let plaintext = match file.filter(|path| path.as_os_str() != "-") {
        Some(path) => fs::read(path)
            .map_err(|error| Failure::io(format!("cannot read {}", path.display()), error))?,
        None => {
            if io::stdin().is_terminal() {
                eprintln!("vanish: reading the secret from the terminal; end it with Ctrl-D");
            }
            let mut buffer = Vec::new();
            io::stdin()
                .read_to_end(&mut buffer)
                .map_err(|error| Failure::io("cannot read stdin", error))?;
            buffer
        }
    };
    if plaintext.is_empty() {
        return Err(Failure::usage("nothing to send: the input is empty"));
    }
    Ok(plaintext)
}

/// `30s`, `10m`, `1h`, `7d` or plain milliseconds, to milliseconds.
fn parse_ttl(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration like 10m, 1h, 7d or 600000"))?;
    let unit_ms: u64 = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("unknown unit `{unit}`: use s, m, h or d")),
    };
    match number.checked_mul(unit_ms) {
        Some(0) => Err("the TTL must be more than zero".to_owned()),
        Some(ms) => Ok(ms),
        None => Err(format!("`{raw}` is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_accept_units_and_plain_milliseconds() {
        assert_eq!(parse_ttl("10m"), Ok(600_000));
        assert_eq!(parse_ttl("1h"), Ok(3_600_000));
        assert_eq!(parse_ttl("7d"), Ok(604_800_000));
        assert_eq!(parse_ttl("90s"), Ok(90_000));
        assert_eq!(parse_ttl("300000"), Ok(300_000));
    }

    #[test]
    fn ttls_refuse_nonsense() {
        assert!(parse_ttl("").is_err());
        assert!(parse_ttl("0").is_err());
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
        assert!(parse_ttl("-5m").is_err());
        assert!(parse_ttl("99999999999999999d").is_err());
    }
}
