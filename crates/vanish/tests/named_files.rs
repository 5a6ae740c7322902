//! Files with their names (payload format 2, `docs/envelope.md`) through the real binary:
//! `vanish send FILE` seals the name, `vanish get` tells it on stderr and writes the bytes,
//! `vanish get --save` creates the file in the current directory under a safe name,
//! never outside it, never through a symlink, never over an existing file, mode 0600.

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use support::{ServerProcess, free_port};
use vanish_client::{Client, SendOptions, Server};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const VANISH: &str = env!("CARGO_BIN_EXE_vanish");

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `vanish args…` in `cwd` with `stdin`.
fn vanish_in(
    cwd: &Path,
    server: &str,
    args: &[&str],
    stdin: &[u8],
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut child = Command::new(VANISH)
        .args(args)
        .current_dir(cwd)
        .env("VANISH_SERVER", server)
        .env("NO_PROXY", "*")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or("no stdin")?.write_all(stdin)?;
    let output = child.wait_with_output()?;
    Ok(Run {
        code: output.status.code().ok_or("killed by a signal")?,
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// A server plus a scratch directory to send from and save into.
struct Setup {
    process: ServerProcess,
    dir: tempfile::TempDir,
}

impl Setup {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let process = ServerProcess::start(&dir.path().join("data"), free_port(), &[]);
        std::fs::create_dir(dir.path().join("out"))?;
        Ok(Self { process, dir })
    }

    fn out(&self) -> std::path::PathBuf {
        self.dir.path().join("out")
    }

    fn vanish(&self, args: &[&str], stdin: &[u8]) -> Result<Run, Box<dyn std::error::Error>> {
        vanish_in(&self.out(), &self.process.base, args, stdin)
    }

    /// `vanish send args…`, returning the link.
    fn send(&self, args: &[&str], stdin: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
        let mut all = vec!["send"];
        all.extend_from_slice(args);
        let run = vanish_in(self.dir.path(), &self.process.base, &all, stdin)?;
        assert_eq!(run.code, 0, "{}", run.stderr);
        Ok(String::from_utf8(run.stdout)?.trim().to_owned())
    }

    fn send_file(&self, name: &str, bytes: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
        std::fs::write(self.dir.path().join(name), bytes)?;
        self.send(&[name], b"")
    }

    fn views_left(&self, link: &str) -> Result<u64, Box<dyn std::error::Error>> {
        let link = vanish_client::Link::parse(link)?;
        Ok(u64::from(Client::new().meta(&link)?.views_left))
    }
}

fn mode(path: &Path) -> std::io::Result<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(0o600)
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Result<Vec<String>, std::io::Error> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    Ok(names)
}

#[test]
fn get_writes_the_bytes_of_a_sent_file_and_tells_its_name_on_stderr() -> TestResult {
    let setup = Setup::start()?;
    let bytes: Vec<u8> = (0..=255u8).collect();
    let link = setup.send_file("blob.bin", &bytes)?;
    let got = setup.vanish(&["get", &link], b"")?;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout, bytes);
    assert!(
        got.stderr
            .contains("the sender sent a file: blob.bin (256 bytes)"),
        "{}",
        got.stderr
    );
    assert_eq!(
        listing(&setup.out())?,
        Vec::<String>::new(),
        "nothing written without --save"
    );
    Ok(())
}

#[test]
fn save_creates_the_named_file_with_mode_0600_and_never_replaces_one() -> TestResult {
    let setup = Setup::start()?;
    let first = setup.send_file("notes.txt", b"first\n")?;
    let second = setup.send_file("notes.txt", b"second\n")?;

    let got = setup.vanish(&["get", "--save", &first], b"")?;
    assert_eq!(
        (got.code, got.stdout.as_slice()),
        (0, &b""[..]),
        "{}",
        got.stderr
    );
    assert!(got.stderr.contains("saved as notes.txt"), "{}", got.stderr);
    let got = setup.vanish(&["get", "-O", &second], b"")?;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(
        got.stderr.contains("saved as notes (1).txt"),
        "{}",
        got.stderr
    );

    let out = setup.out();
    assert_eq!(listing(&out)?, ["notes (1).txt", "notes.txt"]);
    assert_eq!(std::fs::read(out.join("notes.txt"))?, b"first\n");
    assert_eq!(std::fs::read(out.join("notes (1).txt"))?, b"second\n");
    assert_eq!(mode(&out.join("notes.txt"))?, 0o600);
    assert_eq!(mode(&out.join("notes (1).txt"))?, 0o600);
    Ok(())
}

#[cfg(unix)]
#[test]
fn save_never_writes_through_a_symlink() -> TestResult {
    let setup = Setup::start()?;
    let target = setup.dir.path().join("victim");
    std::fs::write(&target, b"untouched")?;
    std::os::unix::fs::symlink(&target, setup.out().join("key.pem"))?;
    let dangling = setup.dir.path().join("nowhere");
    std::os::unix::fs::symlink(&dangling, setup.out().join("key (1).pem"))?;

    let link = setup.send_file("key.pem", b"-----BEGIN KEY-----")?;
    let got = setup.vanish(&["get", "--save", &link], b"")?;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(
        got.stderr.contains("saved as key (2).pem"),
        "{}",
        got.stderr
    );
    assert_eq!(std::fs::read(&target)?, b"untouched");
    assert!(!dangling.exists(), "a dangling link is not followed either");
    assert_eq!(
        std::fs::read(setup.out().join("key (2).pem"))?,
        b"-----BEGIN KEY-----"
    );
    Ok(())
}

#[test]
fn a_hostile_name_from_another_client_is_saved_inside_the_directory() -> TestResult {
    let setup = Setup::start()?;
    // A frame written by hand, as a careless or hostile client could: the name is a path.
    let header = br#"{"name":"../../.bashrc","type":"text/plain"}"#;
    let mut plaintext = b"\0vanish\x02\x00".to_vec();
    plaintext.push(u8::try_from(header.len())?);
    plaintext.extend_from_slice(header);
    plaintext.extend_from_slice(b"echo owned");
    let server = Server::parse(&setup.process.base)?;
    let sent = Client::new().send(&server, &plaintext, &SendOptions::default())?;

    let got = setup.vanish(&["get", "--save", &sent.link.to_string()], b"")?;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(
        got.stderr
            .contains("the sender sent a file: bashrc (10 bytes, text/plain)"),
        "{}",
        got.stderr
    );
    assert_eq!(listing(&setup.out())?, ["bashrc"]);
    assert_eq!(
        listing(setup.dir.path())?,
        ["data", "out"],
        "nothing outside"
    );
    Ok(())
}

#[test]
fn stdin_is_sent_without_a_name_unless_given_one_and_no_name_sends_bytes_alone() -> TestResult {
    let setup = Setup::start()?;
    let plain = setup.send(&[], b"from a pipe")?;
    let named = setup.send(&["--name", "dump.sql"], b"from a pipe")?;
    std::fs::write(setup.dir.path().join("old.txt"), b"for old readers")?;
    let bare = setup.send(&["--no-name", "old.txt"], b"")?;

    let got = setup.vanish(&["get", &plain], b"")?;
    assert_eq!((got.code, got.stdout.as_slice()), (0, &b"from a pipe"[..]));
    assert!(!got.stderr.contains("file"), "{}", got.stderr);
    let got = setup.vanish(&["get", &named], b"")?;
    assert_eq!((got.code, got.stdout.as_slice()), (0, &b"from a pipe"[..]));
    assert!(
        got.stderr.contains("a file: dump.sql (11 bytes)"),
        "{}",
        got.stderr
    );
    let got = setup.vanish(&["get", "--save", &bare], b"")?;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stderr.contains("saved as secret.txt"), "{}", got.stderr);
    assert_eq!(
        std::fs::read(setup.out().join("secret.txt"))?,
        b"for old readers"
    );
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn save_fails_before_consuming_when_the_directory_is_not_writable() -> TestResult {
    let setup = Setup::start()?;
    let link = setup.send_file("a.txt", b"keep me")?;
    // /proc refuses new files even to root, which a chmod'ed directory would not.
    let got = vanish_in(
        Path::new("/proc"),
        &setup.process.base,
        &["get", "--save", &link],
        b"",
    )?;
    assert_eq!(got.code, 1, "{}", got.stderr);
    assert!(got.stderr.contains("--save"), "{}", got.stderr);
    assert_eq!(setup.views_left(&link)?, 1, "the view was not consumed");
    Ok(())
}

#[test]
fn save_and_output_together_are_a_usage_error() -> TestResult {
    let setup = Setup::start()?;
    let link = setup.send_file("a.txt", b"x")?;
    let got = setup.vanish(&["get", "--save", "-o", "x", &link], b"")?;
    assert_eq!(got.code, 2, "{}", got.stderr);
    let sent = vanish_in(
        setup.dir.path(),
        &setup.process.base,
        &["send", "--name", "..", "a.txt"],
        b"",
    )?;
    assert_eq!(sent.code, 2, "{}", sent.stderr);
    assert!(sent.stderr.contains("--name"), "{}", sent.stderr);
    Ok(())
}
