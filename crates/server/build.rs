//! Embeds the web UI: every file under `web/` (subfolders such as `i18n/` and `vendor/`
//! included, served as `i18n/en.json`) becomes an entry of `ASSETS` in
//! `$OUT_DIR/assets.rs`, included by `routes::ui`. Left out: `web/test/` (the browser
//! tests and their `node_modules`) and dot files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Folders of `web/` that are not part of the UI.
const SKIPPED_DIRS: &[&str] = &["test", "node_modules"];

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let mut files = Vec::new();
    collect(&web, "", &mut files);
    files.sort();
    let mut out = String::from(
        "/// `(path under web/, contents)` of the embedded web UI.\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let canonical = path.canonicalize().expect("listed files exist");
        writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            canonical.display().to_string()
        )
        .expect("write to String");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// Adds `(name, path)` for every file under `dir`, names `/`-separated from `web/`.
fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    // A folder's listing changing (a file added) must rebuild too.
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let name = format!("{prefix}{file_name}");
        if path.is_dir() {
            if prefix.is_empty() && SKIPPED_DIRS.contains(&file_name.as_str()) {
                continue;
            }
            collect(&path, &format!("{name}/"), files);
        } else if path.is_file() {
            files.push((name, path));
        }
    }
}
