//! Everything awsesh prints for `eval` round-trips through the real shells:
//! hostile profile names come back byte for byte and run nothing.

mod support;

use std::process::Command;

use support::{Sandbox, moto, which};

const HOSTILE: &[&str] = &[
    "it's",
    r"back\slash",
    r"trailing\",
    "$(touch pwned)",
    "`touch pwned`",
    "new\nline",
    "%d%n%s",
    "=x",
    "semi;colon && touch pwned",
    "${HOME}",
    "'\\''",
    "tab\there",
];

/// Runs `script` in `shell` with NAME set to `name`, in a fresh directory.
fn run_in(shell: &str, script: &str, sandbox: &Sandbox, name: &str) -> (String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(shell);
    if shell == "fish" {
        cmd.arg("--no-config");
    }
    let out = cmd
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env_clear()
        .envs(sandbox.env())
        .env("BIN", support::BIN)
        .env("NAME", name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pwned = dir.path().join("pwned").exists();
    (String::from_utf8_lossy(&out.stdout).into_owned(), pwned)
}

fn scripts() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "bash",
            r#"eval "$("$BIN" hook-sync --shell bash --profile "$NAME")"; printf %s "$_AWSESH_FOR""#,
        ),
        (
            "zsh",
            r#"eval "$("$BIN" hook-sync --shell zsh --profile "$NAME")"; printf %s "$_AWSESH_FOR""#,
        ),
        (
            "fish",
            r#"$BIN hook-sync --shell fish --profile "$NAME" | source; printf %s "$_AWSESH_FOR""#,
        ),
    ]
}

#[test]
fn hostile_profile_names_round_trip_through_bash_zsh_and_fish() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    for (shell, script) in scripts() {
        if which(shell).is_none() {
            support::missing(shell);
            continue;
        }
        for name in HOSTILE {
            let (out, pwned) = run_in(shell, script, &sandbox, name);
            assert_eq!(&out, name, "{shell} read back a different name");
            assert!(!pwned, "{shell} ran code from {name:?}");
        }
    }
}

#[test]
fn session_exports_round_trip_through_bash_zsh_fish_and_posix_sh() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "{err}");
    let (_, json, _) = sandbox.run(&["env", "--shell", "json"]);
    let expected: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWSESH_PROFILE",
    ];
    // `--shell sh` (an alias of posix) is what a POSIX sh user types.
    for (shell, format) in [
        ("bash", "bash"),
        ("zsh", "zsh"),
        ("fish", "fish"),
        ("dash", "sh"),
        ("dash", "posix"),
    ] {
        if which(shell).is_none() {
            support::missing(shell);
            continue;
        }
        // Read the variables back from a child process: they must be exported.
        let print = "env | grep -E '^(AWS_|AWSESH_)' | sort";
        let script = match shell {
            "fish" => format!("$BIN env --shell fish | source; {print}"),
            _ => format!(r#"eval "$("$BIN" env --shell {format})"; {print}"#),
        };
        let (out, _) = run_in(shell, &script, &sandbox, "");
        for name in names {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("{name}=")))
                .unwrap_or_else(|| {
                    panic!("{shell}: {name} not exported: {out}");
                });
            assert_eq!(
                &line[name.len() + 1..],
                expected[name].as_str().unwrap(),
                "{shell}: {name}"
            );
        }
    }
}
