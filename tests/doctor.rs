//! `awsesh doctor`: one line per check, a fix for each failure, and the hook
//! seen as active only from a shell that loaded it.

mod support;

use support::{Sandbox, moto, which};

#[test]
fn doctor_reports_each_check_with_a_fix() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, out, _) = sandbox.run(&["doctor"]);
    assert_eq!(code, 1, "the hook is not active outside a shell: {out}");
    assert!(
        out.contains("FAIL  shell hook not active") && out.contains("fix: add `eval"),
        "{out}"
    );
    assert!(out.contains("ok    runtime directory"), "{out}");
    assert!(out.contains("ok    profile default found"), "{out}");
    assert!(
        out.contains(&format!("ok    MFA device {}", sandbox.mfa_serial)),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "ok    long-term keys found ({})",
            sandbox.access_key_id
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("ok    STS at {} answers", sandbox.endpoint)),
        "{out}"
    );

    let (code, out, _) = sandbox.run(&["doctor", "--profile", "ghost"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL  profile `ghost` is not in")
            && out.contains("add it with `aws configure --profile ghost`"),
        "{out}"
    );
}

#[test]
fn doctor_sees_the_hook_of_the_shell_it_runs_from() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    for shell in ["bash", "zsh", "fish"] {
        if which(shell).is_none() {
            support::missing(shell);
            continue;
        }
        let script = match shell {
            "fish" => "$BIN init fish | source; awsesh doctor".to_string(),
            _ => format!(r#"eval "$("$BIN" init {shell})"; awsesh doctor"#),
        };
        let mut cmd = std::process::Command::new(shell);
        match shell {
            "bash" => cmd.args(["--norc", "--noprofile", "-i", "-c"]),
            "zsh" => cmd.args(["-f", "-i", "-c"]),
            _ => cmd.args(["--no-config", "-i", "-c"]),
        };
        let out = cmd
            .arg(&script)
            .env_clear()
            .envs(sandbox.env())
            .env("BIN", support::BIN)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("ok    shell hook active ({shell})")),
            "{shell}: {stdout}"
        );
        assert!(
            out.status.success(),
            "{shell}: every check passes: {stdout}"
        );
    }
}
