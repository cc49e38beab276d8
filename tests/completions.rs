//! The checked-in completion files under `completions/` are what
//! `awsesh completions <shell>` prints today; the test fails when they are stale.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awsesh");

fn check(shell: &str, file: &str) {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "awsesh completions {shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = format!("{}/completions/{file}", env!("CARGO_MANIFEST_DIR"));
    let checked_in = std::fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == out.stdout,
        "completions/{file} is stale; regenerate it with:\n    \
         cargo run -q -- completions {shell} > completions/{file}"
    );
}

#[test]
fn bash_completions_are_current() {
    check("bash", "awsesh.bash");
}

#[test]
fn zsh_completions_are_current() {
    check("zsh", "_awsesh");
}

#[test]
fn fish_completions_are_current() {
    check("fish", "awsesh.fish");
}
