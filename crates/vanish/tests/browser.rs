//! The web UI's tests (`web/test/`): the JavaScript envelope against the shared vectors,
//! and real headless Chromium driving the pages of this very binary. They live in Node
//! (playwright-core); this test runs them so `cargo test --workspace` covers the UI too.
//! Without Node or Chromium the script says SKIPPED loudly; with `VANISH_REQUIRE_ALL=1`
//! it fails instead.

use std::path::Path;
use std::process::Command;

#[test]
fn web_ui_tests_pass_in_headless_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new("bash")
        .arg(repo.join("web/test/run.sh"))
        .env("VANISH_BIN", env!("CARGO_BIN_EXE_vanish"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "web UI tests failed:\n{stdout}\n{stderr}"
    );
    // node's runner ends with "# fail 0"; make sure tests really ran.
    assert!(stdout.contains("# fail 0"), "no test summary:\n{stdout}");
    assert!(!stdout.contains("# pass 0\n"), "no web test ran:\n{stdout}");
}
