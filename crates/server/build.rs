//! Embeds the web UI: every file directly inside `web/` (not its subfolders, which hold
//! tests) becomes an entry of `ASSETS` in `$OUT_DIR/assets.rs`, included by `routes::ui`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&web)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.retain(|p| {
        !p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    files.sort();
    let mut out = String::from(
        "/// `(file name, contents)` of the embedded web UI.\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .expect("files have names")
            .to_string_lossy();
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
