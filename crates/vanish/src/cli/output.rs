//! The `-o FILE` of `vanish get`: a file that is about to hold a secret.
//!
//! It is prepared *before* the view is consumed (a bad path must not lose the secret) and
//! written only after. Whatever happens, the path ends up a regular file readable by its
//! owner only (0600), and no symbolic link is ever followed:
//! - by default the file is created with `O_CREAT | O_EXCL` (`create_new`), which fails on
//!   any existing entry, a symbolic link (even a dangling one) included;
//! - with `--force` the secret goes into a new 0600 temporary file beside the path, which
//!   is then renamed over it: an existing file, or a link, is replaced as a whole (a link's
//!   target is never touched), and nobody ever sees a half-written file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::Failure;

/// What to do when something already exists at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    Refuse,
    Replace,
}

/// The prepared output.
pub struct Output {
    path: PathBuf,
    pending: Pending,
}

enum Pending {
    /// A new file at the path itself; removed again if the reveal fails.
    Created(File),
    /// A temporary file in the same directory, renamed over the path once written; deleted
    /// on drop if that never happens.
    Replacing(NamedTempFile),
}

impl Output {
    pub fn open(path: &Path, overwrite: Overwrite) -> Result<Self, Failure> {
        let pending = match overwrite {
            Overwrite::Refuse => Pending::Created(create_new(path)?),
            Overwrite::Replace => Pending::Replacing(temp_beside(path)?),
        };
        Ok(Self {
            path: path.to_owned(),
            pending,
        })
    }

    /// Writes the secret, flushes it to disk, and (with `--force`) puts it in place.
    pub fn write(self, plaintext: &[u8]) -> Result<(), Failure> {
        let cannot_write =
            |error: io::Error| Failure::io(format!("cannot write {}", self.path.display()), error);
        match self.pending {
            Pending::Created(mut file) => file
                .write_all(plaintext)
                .and_then(|()| file.sync_all())
                .map_err(cannot_write),
            Pending::Replacing(mut temp) => {
                temp.write_all(plaintext)
                    .and_then(|()| temp.as_file().sync_all())
                    .map_err(cannot_write)?;
                temp.persist(&self.path)
                    .map_err(|error| cannot_write(error.error))?;
                // Best effort: makes the rename itself durable; the data already is.
                if let Ok(dir) = File::open(parent_of(&self.path)) {
                    let _ = dir.sync_all();
                }
                Ok(())
            }
        }
    }

    /// The reveal failed: leave the path as it was.
    pub fn abandon(self) {
        match self.pending {
            // Best effort: the file is empty, and the reveal's failure is what to report.
            Pending::Created(_) => {
                let _ = fs::remove_file(&self.path);
            }
            Pending::Replacing(temp) => drop(temp),
        }
    }
}

/// Creates `path` as a new 0600 file; refuses anything already there, links included.
fn create_new(path: &Path) -> Result<File, Failure> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(file) => {
            owner_only(&file, path)?;
            Ok(file)
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            let what = if is_symlink(path) {
                "is a symbolic link"
            } else {
                "already exists"
            };
            Err(
                Failure::usage(format!("{} {what}; nothing was revealed", path.display()))
                    .hint("pass --force to replace it (a link is replaced, never followed)"),
            )
        }
        Err(error) => Err(Failure::io(
            format!("cannot create {}", path.display()),
            error,
        )),
    }
}

/// A new 0600 temporary file in the directory of `path`, for an atomic rename over it.
fn temp_beside(path: &Path) -> Result<NamedTempFile, Failure> {
    if fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir()) {
        return Err(Failure::usage(format!(
            "{} is a directory; nothing was revealed",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .ok_or_else(|| Failure::usage(format!("{} does not name a file", path.display())))?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".vanish-tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let temp = builder.tempfile_in(parent_of(path)).map_err(|error| {
        Failure::io(
            format!("cannot create a file beside {}", path.display()),
            error,
        )
    })?;
    owner_only(temp.as_file(), path)?;
    Ok(temp)
}

/// Sets 0600 exactly, whatever the umask made of the mode asked for at creation.
fn owner_only(file: &File, path: &Path) -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|error| Failure::io(format!("cannot protect {}", path.display()), error))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_replaced_within_the_current_directory() {
        assert_eq!(parent_of(Path::new("notes.txt")), Path::new("."));
        assert_eq!(parent_of(Path::new("/tmp/notes.txt")), Path::new("/tmp"));
    }

    #[test]
    fn a_directory_is_never_replaced() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let failure = Output::open(dir.path(), Overwrite::Replace)
            .err()
            .ok_or("a directory was accepted")?;
        assert!(failure.message.contains("is a directory"), "{failure:?}");
        Ok(())
    }
}
