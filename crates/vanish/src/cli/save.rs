//! `vanish get --save`: writes a revealed secret into the current directory under the
//! name its sender gave it (already made safe by `vanish_core::payload::safe_file_name`:
//! no path, no leading dot, no control characters).
//!
//! What it guarantees: the file lands in the current directory and nowhere else, is never
//! written through a symlink, never replaces an existing file (`name (1).ext` and so on
//! instead), and is readable by its owner only (0600). The directory is proved writable
//! *before* the view is consumed, by creating a placeholder there, and the secret is on
//! disk in that placeholder before it is given its name, so a naming failure cannot lose it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use vanish_client::Revealed;

use super::Failure;

/// The name used when the secret carries none: text or not.
const UNNAMED_TEXT: &str = "secret.txt";
const UNNAMED_BYTES: &str = "secret.bin";
/// How many `name (n).ext` variants are tried before giving up on a name.
const MAX_VARIANTS: u32 = 99;

/// A placeholder in the current directory that becomes the saved file.
pub struct Saver {
    file: File,
    path: PathBuf,
}

impl Saver {
    /// Creates the placeholder (`.vanish-<pid>-<nanos>.part`, mode 0600, never over an
    /// existing file or symlink). Call it before the reveal.
    pub fn prepare() -> Result<Self, Failure> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let path = PathBuf::from(format!(".vanish-{}-{nanos}.part", std::process::id()));
        let file = create_new(&path).map_err(|error| {
            Failure::io(
                "cannot create a file in the current directory for --save",
                error,
            )
        })?;
        Ok(Self { file, path })
    }

    /// Writes the secret and gives it its name; returns the name it got.
    pub fn finish(mut self, revealed: &Revealed) -> Result<PathBuf, Failure> {
        let written = self
            .file
            .write_all(&revealed.plaintext)
            .and_then(|()| self.file.sync_all());
        if let Err(error) = written {
            self.abandon();
            return Err(Failure::io("cannot write the secret for --save", error));
        }
        let wanted = revealed
            .file
            .as_ref()
            .and_then(|file| file.name())
            .unwrap_or_else(|| unnamed(&revealed.plaintext));
        for candidate in variants(wanted) {
            // A hard link never replaces an existing name (nor a symlink there): an atomic
            // "create if absent" that keeps the bytes already written and synced.
            match fs::hard_link(&self.path, &candidate) {
                Ok(()) => {
                    // Best effort: the secret is safe under its name either way.
                    let _ = fs::remove_file(&self.path);
                    return Ok(candidate);
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(self.kept(wanted, error)),
            }
        }
        let error = io::Error::new(io::ErrorKind::AlreadyExists, "too many files of that name");
        Err(self.kept(wanted, error))
    }

    /// Removes the placeholder after a failed reveal.
    pub fn abandon(self) {
        // Best effort: it is empty, and the reveal's failure is what to report.
        let _ = fs::remove_file(&self.path);
    }

    /// The failure when the secret could not get its name: it stays in the placeholder.
    fn kept(&self, wanted: &str, error: io::Error) -> Failure {
        let context = format!(
            "the secret is saved as {}, but could not be named {wanted}",
            self.path.display()
        );
        Failure::io(context, error)
    }
}

/// Opens a new file for writing with mode 0600; fails if anything exists at `path`.
fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    // create_new is O_CREAT|O_EXCL: it refuses an existing file and never follows a
    // symlink, dangling or not.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn unnamed(content: &[u8]) -> &'static str {
    if std::str::from_utf8(content).is_ok() {
        UNNAMED_TEXT
    } else {
        UNNAMED_BYTES
    }
}

/// `name`, then `stem (1).ext` … `stem (99).ext`.
fn variants(name: &str) -> impl Iterator<Item = PathBuf> + '_ {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    std::iter::once(PathBuf::from(name))
        .chain((1..=MAX_VARIANTS).map(move |n| PathBuf::from(format!("{stem} ({n}){extension}"))))
}

/// One line for stderr about a file secret: its name, size and type as the sender gave.
pub fn describe(revealed: &Revealed) -> Option<String> {
    let file = revealed.file.as_ref()?;
    let size = revealed.plaintext.len();
    let mut line = format!(
        "the sender sent a file: {} ({size} byte{}",
        file.name().unwrap_or("without a name"),
        if size == 1 { "" } else { "s" }
    );
    if let Some(media_type) = file.media_type() {
        line.push_str(", ");
        line.push_str(media_type);
    }
    line.push(')');
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_number_the_stem_and_keep_the_extension() {
        let names: Vec<PathBuf> = variants("report.tar.gz").take(3).collect();
        assert_eq!(
            names,
            ["report.tar.gz", "report.tar (1).gz", "report.tar (2).gz"].map(PathBuf::from)
        );
        let names: Vec<PathBuf> = variants("README").skip(1).take(1).collect();
        assert_eq!(names, [PathBuf::from("README (1)")]);
        assert_eq!(variants("x").count(), 100);
    }

    #[test]
    fn unnamed_secrets_are_text_or_bin() {
        assert_eq!(unnamed(b"hello"), "secret.txt");
        assert_eq!(unnamed(&[0xff, 0xfe]), "secret.bin");
    }
}
