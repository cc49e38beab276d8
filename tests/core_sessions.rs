//! The core flows against a real moto server: login, reuse by another
//! process, expiry and refresh, and output the real aws CLI accepts.

mod support;

use support::{OutputInTime, Sandbox, moto, one_line_error};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A sandbox whose default profile is logged in with a code.
fn logged_in(extra_args: &[&str]) -> Option<(Sandbox, &'static support::Moto)> {
    let moto = moto()?;
    let sandbox = Sandbox::new(moto);
    let mut args = vec!["login", "--token-code", "123456"];
    args.extend_from_slice(extra_args);
    let (code, out, err) = sandbox.run(&args);
    assert_eq!(code, 0, "login failed: {err}");
    assert_eq!(out, "", "login prints nothing on stdout without --shell");
    assert!(err.contains("session for profile default started"), "{err}");
    Some((sandbox, moto))
}

#[test]
fn login_with_a_code_is_reused_by_another_process_without_a_prompt() {
    let Some((sandbox, moto)) = logged_in(&[]) else {
        return;
    };
    // A second process, with no terminal and no code, gets the same session.
    let (code, out, err) = sandbox.run(&["env", "--ensure", "--shell", "json"]);
    assert_eq!(code, 0, "{err}");
    let env = json(&out);
    assert!(env["AWS_SESSION_TOKEN"].as_str().unwrap().len() > 20);
    assert_eq!(env["AWSESH_PROFILE"], "default");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
    // And status agrees: a 12-hour session.
    let (code, out, _) = sandbox.run(&["status", "--json"]);
    assert_eq!(code, 0);
    let status = json(&out);
    let left = status["seconds_left"].as_i64().unwrap();
    assert!((43_000..=43_200).contains(&left), "{left}");
    assert_eq!(status["mfa_serial"], sandbox.mfa_serial.as_str());
}

#[test]
fn an_expired_session_is_refreshed_and_a_failed_refresh_keeps_it() {
    let Some((sandbox, moto)) = logged_in(&["--duration", "15m"]) else {
        return;
    };
    let before = std::fs::read(sandbox.store_dir().join("p-default.session")).unwrap();
    // A margin longer than the session makes it stale right away.
    let stale = |args: &[&str], code: Option<&str>| {
        let mut cmd = sandbox.awsesh(args);
        cmd.env("AWSESH_REFRESH_MARGIN", "16m");
        if let Some(code) = code {
            cmd.env("AWSESH_MFA_CODE", code);
        }
        cmd.output_in_time()
    };
    // No code and no terminal: fails at once, says what to do, keeps the session.
    let out = stale(&["env", "--ensure"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no terminal") && err.contains("awsesh login"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert_eq!(
        std::fs::read(sandbox.store_dir().join("p-default.session")).unwrap(),
        before
    );
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );

    // With a code: a second GetSessionToken, a new 12 h session.
    let out = stale(&["env", "--ensure", "--shell", "json"], Some("222222"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        2
    );
    let (_, out, _) = sandbox.run(&["status", "--json"]);
    assert!(json(&out)["seconds_left"].as_i64().unwrap() > 42_000);
}

#[test]
fn env_without_a_session_fails_with_nothing_on_stdout() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, out, err) = sandbox.run(&["env"]);
    assert_eq!(code, 4, "no session: 4 (README, Exit status)");
    assert_eq!(out, "");
    assert!(
        err.contains("no valid session for profile `default`") && err.contains("awsesh login"),
        "{err}"
    );
    let (code, out, _) = sandbox.run(&["prompt"]);
    assert_eq!((code, out.as_str()), (0, ""), "prompt: nothing, exit 0");
}

fn aws_identity(sandbox: &Sandbox, script: &str) -> serde_json::Value {
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env_clear()
        .envs(sandbox.env())
        .env("AWESH", support::BIN)
        .stdin(std::process::Stdio::null())
        .output_in_time();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn env_exec_and_credential_process_are_accepted_by_the_aws_cli() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    if support::which("aws").is_none() {
        support::missing("aws CLI (pip install awscli)");
        return;
    }
    // The exported session is what the CLI signs with (moto echoes the key).
    let id = aws_identity(
        &sandbox,
        r#"eval "$("$AWESH" env --shell bash)" && aws sts get-caller-identity --output json"#,
    );
    assert_eq!(id["UserId"], "AKIAIOSFODNN7EXAMPLE");
    assert_ne!(id["UserId"], sandbox.access_key_id.as_str());

    let id = aws_identity(
        &sandbox,
        r#""$AWESH" exec -- aws sts get-caller-identity --output json"#,
    );
    assert_eq!(id["UserId"], "AKIAIOSFODNN7EXAMPLE");

    sandbox.append_config(&format!(
        "[profile via-process]\nregion = us-east-1\ncredential_process = {} credential-process --profile default\n",
        support::BIN
    ));
    let id = aws_identity(
        &sandbox,
        "aws sts get-caller-identity --profile via-process --output json",
    );
    assert_eq!(id["UserId"], "AKIAIOSFODNN7EXAMPLE");

    let (code, out, _) = sandbox.run(&["credential-process"]);
    assert_eq!(code, 0);
    let cp = json(&out);
    assert_eq!(cp["Version"], 1);
    assert!(cp["Expiration"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn exec_passes_the_exit_status_through() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let (code, _, _) = sandbox.run(&["exec", "--", "sh", "-c", "exit 7"]);
    assert_eq!(code, 7);
    // A command that cannot be found: 127, as a shell says, and one line.
    let err = one_line_error(
        &sandbox,
        &["exec", "--", "no-such-command-x"],
        &["cannot run `no-such-command-x`", "PATH"],
    );
    let (code, _, _) = sandbox.run(&["exec", "--", "no-such-command-x"]);
    assert_eq!(code, 127, "{err}");
    let (code, out, _) = sandbox.run(&[
        "exec",
        "--",
        "sh",
        "-c",
        "echo \"$AWSESH_PROFILE $AWS_CREDENTIAL_EXPIRATION\"",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("default 20") && out.trim_end().ends_with('Z'),
        "{out}"
    );
}

#[test]
fn status_logout_and_prompt() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let (code, out, _) = sandbox.run(&["prompt"]);
    assert_eq!(code, 0);
    assert!(out == "12h00m\n" || out == "11h59m\n", "{out:?}");
    let (_, out, _) = sandbox.run(&["status"]);
    assert!(
        out.contains("profile:     default") && out.contains("time left:   1"),
        "{out}"
    );
    let (_, out, _) = sandbox.run(&["status", "--all"]);
    assert!(out.lines().nth(1).unwrap().starts_with("default "), "{out}");

    let mut cmd = sandbox.awsesh(&["logout", "--shell", "bash"]);
    cmd.env("AWSESH_PROFILE", "default");
    let out = cmd.output_in_time();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN"),
        "{stdout}"
    );
    assert!(!sandbox.store_dir().join("p-default.session").exists());
    let (code, out, _) = sandbox.run(&["prompt"]);
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, _, err) = sandbox.run(&["env"]);
    assert_eq!(code, 4, "{err}");
}

#[test]
fn errors_a_user_meets_are_one_clear_line() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    one_line_error(
        &sandbox,
        &["login", "--profile", "nope", "--token-code", "123456"],
        &["profile `nope`", "awsesh setup --profile nope"],
    );
    one_line_error(&sandbox, &["login", "--token-code", "12345"], &["6 digits"]);
    one_line_error(
        &sandbox,
        &["login", "--duration", "5m", "--token-code", "123456"],
        &["invalid duration"],
    );

    sandbox.append_config("[profile nomfa]\nregion = us-east-1\n");
    sandbox.write_credentials(&format!(
        "{}\n[nomfa]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = abc\n",
        std::fs::read_to_string(sandbox.credentials_path()).unwrap()
    ));
    one_line_error(
        &sandbox,
        &["login", "--profile", "nomfa", "--token-code", "123456"],
        &["no `mfa_serial`", "mfa_serial ="],
    );

    sandbox.append_config("[profile nokeys]\nmfa_serial = arn:aws:iam::123456789012:mfa/x\n");
    one_line_error(
        &sandbox,
        &["login", "--profile", "nokeys", "--token-code", "123456"],
        &["no long-term keys", "awsesh keys add --profile nokeys"],
    );

    // The same code twice within 90 s is refused before it reaches AWS.
    let (code, _, err) = sandbox.run(&["login", "--token-code", "333333"]);
    assert_eq!(code, 0, "{err}");
    one_line_error(
        &sandbox,
        &["login", "--force", "--token-code", "333333"],
        &["already used"],
    );
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
}

#[test]
fn an_unreachable_sts_fails_in_seconds_with_the_endpoint_named() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = sandbox
        .awsesh(&["login", "--token-code", "123456"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output_in_time();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach STS") && err.contains(&endpoint),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn secrets_never_reach_stderr_or_a_command_line() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let long_term_secret = std::fs::read_to_string(sandbox.credentials_path())
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("aws_secret_access_key = ")
                .map(str::to_string)
        })
        .unwrap();
    let mut stderr = String::new();
    for args in [
        &["login", "--token-code", "444444"][..],
        &["login", "--force", "--token-code", "444444"],
        &["status"],
        &["doctor"],
        &["env", "--profile", "missing"],
    ] {
        let (_, _, err) = sandbox.run(args);
        stderr.push_str(&err);
    }
    let (_, out, _) = sandbox.run(&["env", "--shell", "json"]);
    let session_secret = json(&out)["AWS_SECRET_ACCESS_KEY"]
        .as_str()
        .unwrap()
        .to_string();
    let session_token = json(&out)["AWS_SESSION_TOKEN"]
        .as_str()
        .unwrap()
        .to_string();
    for secret in [&long_term_secret, &session_secret, &session_token] {
        assert!(
            !stderr.contains(secret.as_str()),
            "a secret leaked to stderr"
        );
    }
    // exec hands the session over in the environment, not argv.
    let (code, cmdline, _) =
        sandbox.run(&["exec", "--", "sh", "-c", "tr '\\0' ' ' < /proc/$$/cmdline"]);
    assert_eq!(code, 0);
    assert!(!cmdline.contains(&session_secret) && !cmdline.contains(&session_token));
}

#[test]
fn profiles_that_sign_in_another_way_are_left_to_the_aws_cli() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    sandbox.append_config("[profile ec2]\ncredential_source = Ec2InstanceMetadata\n");
    let (code, out, err) = sandbox.run(&["env", "--ensure", "--profile", "ec2"]);
    assert_eq!((code, out.as_str()), (3, ""), "{err}");
    assert!(
        err.contains("signs in through `credential_source`") && err.contains("command aws"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // What the shell wrapper asks: the same answer without a word.
    let (code, out, err) = sandbox.run(&[
        "env",
        "--ensure",
        "--pass-other-sign-in",
        "--profile",
        "ec2",
    ]);
    assert_eq!((code, out.as_str(), err.as_str()), (3, "", ""));
}
