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
            "ok    long-term keys found ({}) in plaintext in ",
            sandbox.access_key_id
        )) && out.contains(
            "move them to the OS keyring with `awsesh keys add --migrate --profile default`"
        ),
        "doctor says where the keys live: {out}"
    );
    assert!(
        out.contains(&format!("ok    STS at {} answers", sandbox.endpoint)),
        "{out}"
    );

    let (code, out, _) = sandbox.run(&["doctor", "--profile", "ghost"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL  profile `ghost` is not in")
            && out.contains("add it with `awsesh setup --profile ghost`"),
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

/// `doctor` with XDG_CONFIG_HOME in the sandbox; returns (status, stdout).
fn doctor(sandbox: &Sandbox, extra: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = sandbox.awsesh(&["doctor"]);
    cmd.env("XDG_CONFIG_HOME", sandbox.path("xdg-config"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A profile without mfa_serial: doctor asks IAM whether the user has a
/// device (and remembers nothing itself); a device found by an earlier
/// login is reported as remembered.
#[test]
fn doctor_checks_the_mfa_device_through_iam() {
    let Some(moto) = moto() else { return };
    let user = support::unique_name("doc");
    let (access_key_id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &access_key_id, "");
    sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n"
    ));
    sandbox.write_config("[default]\nregion = us-east-1\n");

    let (code, out) = doctor(&sandbox, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "FAIL  IAM user {user} has no MFA device, and profile default names none — fix: enroll one with `awsesh mfa enroll --profile default`"
        )),
        "{out}"
    );

    let serial = moto.add_mfa_device(&user);
    let (_, out) = doctor(&sandbox, &[]);
    assert!(
        out.contains(&format!(
            "ok    MFA device {serial} (found through IAM; pin it with `mfa_serial = {serial}` in [default])"
        )),
        "{out}"
    );
    let memory = sandbox.path("xdg-config/awsesh/mfa-devices.json");
    assert!(!memory.exists(), "doctor remembered the device itself");
    assert_eq!(moto.count_calls("ListMFADevices", &access_key_id), 2);

    // A login discovers and remembers it; doctor then asks IAM nothing.
    let out = sandbox
        .awsesh(&["login"])
        .env("TOTP_CODE", "500001")
        .env("XDG_CONFIG_HOME", sandbox.path("xdg-config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, out) = doctor(&sandbox, &[]);
    assert!(
        out.contains(&format!(
            "ok    MFA device {serial} (remembered: found through IAM earlier; pin it with `mfa_serial = {serial}` in [default])"
        )),
        "{out}"
    );
    assert_eq!(moto.count_calls("ListMFADevices", &access_key_id), 3);
}

/// botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE: doctor says so
/// when they name different profiles, or when it is set alone.
#[test]
fn doctor_tells_of_aws_default_profile() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let line = "FAIL  AWS_DEFAULT_PROFILE is work but awsesh uses AWS_PROFILE";
    let (_, out) = doctor(&sandbox, &[("AWS_DEFAULT_PROFILE", "work")]);
    assert!(
        out.contains(&format!(
            "{line} (default), and the AWS CLI prefers AWS_DEFAULT_PROFILE — fix: "
        )),
        "{out}"
    );
    let (_, out) = doctor(
        &sandbox,
        &[("AWS_DEFAULT_PROFILE", "work"), ("AWS_PROFILE", "default")],
    );
    assert!(out.contains(line), "{out}");
    let (_, out) = doctor(
        &sandbox,
        &[
            ("AWS_DEFAULT_PROFILE", "default"),
            ("AWS_PROFILE", "default"),
        ],
    );
    assert!(!out.contains("AWS_DEFAULT_PROFILE"), "{out}");
    let (code, out) = doctor(&sandbox, &[]);
    assert!(!out.contains("AWS_DEFAULT_PROFILE"), "{out}");
    assert_eq!(code, 1, "only the hook fails outside a shell: {out}");
}

/// The zsh script's shell function run from bash (as when zsh's init line
/// was loaded there by hand): doctor names the script and the right line.
#[test]
fn doctor_sees_the_script_of_another_shell() {
    if which("bash").is_none() {
        support::missing("bash");
        return;
    }
    let sandbox = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    // `; true`: bash must not exec awsesh in its own place.
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", "AWSESH_HOOK=zsh \"$BIN\" doctor; true"])
        .env_clear()
        .envs(sandbox.env())
        .env("BIN", support::BIN)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains(
            "FAIL  the zsh script is loaded in bash — fix: put `eval \"$(awsesh init bash)\"` in ~/.bashrc instead of the zsh line"
        ),
        "{out}"
    );
}
