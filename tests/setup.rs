//! Issue 11, `awsesh setup`: the first day in one command. On a pty against
//! moto and a real keyring: keys typed in go to the keyring, an MFA device is
//! enrolled from codes computed from its seed, the shell line is added to the
//! rc file of $SHELL; run again, every step says it is done. Without a
//! terminal, nothing that needs a question changes and the missing steps are
//! named.

mod support;
#[path = "support/term.rs"]
#[allow(unused_macros, unused_imports)]
mod term;

use std::fs;
use std::path::Path;

use expectrl::Expect;
use support::keyring::Keyring;
use support::{Pty, Sandbox, finish_pty, moto, unique_name};

fn totp(seed: &str, at: u64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(seed).expect("Base32 seed"))
        .build()
        .expect("TOTP")
        .generate(at)
        .to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn setup_on_pty(sandbox: &Sandbox, keyring: &Keyring, shell: &str) -> Pty {
    support::spawn_pty(
        sandbox,
        &["setup"],
        &[("DBUS_SESSION_BUS_ADDRESS", &keyring.bus), ("SHELL", shell)],
    )
}

#[test]
fn a_first_day_from_nothing_to_a_working_shell_line() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let user = unique_name("day1");
    let (id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &id, "");
    sandbox.write_config("[default]\nregion = us-east-1\n");
    fs::write(sandbox.home.join(".bashrc"), "alias ll='ls -l'").unwrap();

    let mut pty = setup_on_pty(&sandbox, &keyring, "/bin/bash");
    pty.expect("Access key ID for profile default: ").unwrap();
    pty.send_line(&id).unwrap();
    pty.expect("Secret access key (not shown): ").unwrap();
    // Echo is already off when the prompt shows: a secret pasted at once
    // never appears on the screen.
    assert!(
        !expectrl::process::Termios::is_echo(&pty).unwrap(),
        "echo off before the secret's prompt"
    );
    pty.send_line(&secret).unwrap();
    // The QR code on the alternate screen; the key only when asked (`k`).
    pty.expect("Scan this QR code").unwrap();
    pty.expect("First MFA code").unwrap();
    pty.send_line("k").unwrap();
    pty.expect("Enter this key by hand (time-based, 6 digits): ")
        .unwrap();
    let line = pty.expect("\n").unwrap();
    let seed: String = String::from_utf8_lossy(line.before())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let t = now();
    pty.expect("First MFA code").unwrap();
    pty.send_line(totp(&seed, t)).unwrap();
    pty.expect("Next MFA code").unwrap();
    pty.send_line(totp(&seed, t + 30)).unwrap();
    pty.expect("Add `eval \"$(awsesh init bash)\"` to ")
        .unwrap();
    pty.send_line("").unwrap();
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert!(!output.contains(&secret), "the secret was echoed: {output}");

    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("[default]\nregion = us-east-1\nmfa_serial = {serial}\n")
    );
    assert!(
        !fs::read_to_string(sandbox.credentials_path())
            .unwrap_or_default()
            .contains(&secret)
    );
    assert_eq!(
        fs::read_to_string(sandbox.home.join(".bashrc")).unwrap(),
        "alias ll='ls -l'\n# awsesh: one MFA session for every shell\neval \"$(awsesh init bash)\"\n"
    );

    // The keyring key and the new device give a session — with a code after
    // the two enrollment used (the reuse guard refuses those, as AWS would).
    let mut cmd = sandbox.awsesh(&["login", "--token-code", &totp(&seed, t + 60)]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus);
    let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert_eq!(moto.count_calls("GetSessionToken", &id), 1);

    // Again, with no terminal: every step is done already, nothing changes.
    let config = fs::read(sandbox.config_path()).unwrap();
    let mut cmd = sandbox.awsesh(&["setup"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .env("SHELL", "/bin/bash");
    let (code, out, err) = support::keyring::output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains(&format!("keeps its key {id} in the OS keyring")),
        "{err}"
    );
    assert!(err.contains(&format!("uses MFA device {serial}")), "{err}");
    assert!(err.contains(".bashrc already loads awsesh"), "{err}");
    assert_eq!(fs::read(sandbox.config_path()).unwrap(), config);
}

#[test]
fn plaintext_keys_are_moved_into_the_keyring_when_the_user_agrees() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let sandbox = Sandbox::new(moto);
    let zdotdir = sandbox.path("zdot");
    fs::create_dir_all(&zdotdir).unwrap();
    fs::write(
        zdotdir.join(".zshrc"),
        "# mine\neval \"$(awsesh init zsh)\"\n",
    )
    .unwrap();
    let mut pty = support::spawn_pty(
        &sandbox,
        &["setup"],
        &[
            ("DBUS_SESSION_BUS_ADDRESS", &keyring.bus),
            ("SHELL", "/usr/bin/zsh"),
            ("ZDOTDIR", zdotdir.to_str().unwrap()),
        ],
    );
    pty.expect("Move it into the OS keyring? [Y/n] ").unwrap();
    pty.send_line("y").unwrap();
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("removed the key lines of profile default"),
        "{output}"
    );
    assert!(output.contains("uses MFA device"), "{output}");
    assert!(output.contains(".zshrc already loads awsesh"), "{output}");
    assert_eq!(
        fs::read_to_string(sandbox.credentials_path()).unwrap(),
        "[default]\n"
    );
}

#[test]
fn without_a_terminal_setup_names_what_is_left_and_changes_nothing() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let credentials = fs::read(sandbox.credentials_path()).unwrap();
    let config = fs::read(sandbox.config_path()).unwrap();
    for (shell, rc, line) in [
        (
            "/usr/bin/fish",
            ".config/fish/config.fish",
            "awsesh init fish | source",
        ),
        ("/bin/zsh", ".zshrc", "eval \"$(awsesh init zsh)\""),
        ("/bin/bash", ".bashrc", "eval \"$(awsesh init bash)\""),
    ] {
        let mut cmd = sandbox.awsesh(&["setup"]);
        cmd.env("SHELL", shell);
        let (code, out, err) = support::keyring::output_within(&mut cmd, 60);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, "");
        // No keyring here: the plaintext keys stay, and setup says why.
        assert!(err.contains("in plaintext in"), "{err}");
        assert!(err.contains("no OS keyring"), "{err}");
        assert!(err.contains("uses MFA device"), "{err}");
        assert!(
            err.contains(&format!(
                "add this line to {}: {line}",
                sandbox.home.join(rc).display()
            )),
            "{shell}: {err}"
        );
        assert!(
            !sandbox.home.join(rc).exists(),
            "nothing written without asking"
        );
    }
    let mut cmd = sandbox.awsesh(&["setup"]);
    cmd.env("SHELL", "/usr/bin/pwsh");
    let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("which awsesh has no line for"), "{err}");
    assert!(
        err.contains("posix: `eval \"$(awsesh init posix)\"`"),
        "{err}"
    );
    assert_eq!(fs::read(sandbox.credentials_path()).unwrap(), credentials);
    assert_eq!(fs::read(sandbox.config_path()).unwrap(), config);
}

/// `setup` counts only a line that loads awsesh for $SHELL at the top level
/// of its rc file: look-alikes get the line offered (and nothing written
/// without a terminal); the real line, however written, is found.
#[test]
fn setup_counts_only_a_top_level_line_for_the_users_shell() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let shrc = sandbox.home.join(".shrc");
    let cases: [(&str, &str, &str, &str, bool); 16] = [
        (
            "/bin/bash",
            ".bashrc",
            "eval \"$(awsesh init bash)\"",
            "eval \"$(awsesh init zsh)\"\n",
            false,
        ),
        (
            "/bin/bash",
            ".bashrc",
            "eval \"$(awsesh init bash)\"",
            "echo 'eval \"$(awsesh init bash)\"'\n",
            false,
        ),
        (
            "/bin/bash",
            ".bashrc",
            "eval \"$(awsesh init bash)\"",
            "if false; then\n  eval \"$(awsesh init bash)\"\nfi\n",
            false,
        ),
        (
            "/bin/bash",
            ".bashrc",
            "eval \"$(awsesh init bash)\"",
            "  # eval \"$(awsesh init bash)\"\n",
            false,
        ),
        (
            "/bin/bash",
            ".bashrc",
            "eval \"$(awsesh init bash)\"",
            "later() {\n  eval \"$(awsesh init bash)\"\n}\n",
            false,
        ),
        (
            "/bin/bash",
            ".bashrc",
            "eval \"$(awsesh init bash)\"",
            "[ -f ~/.x ] && . ~/.x\neval \"$(~/.cargo/bin/awsesh init bash --no-prompt)\"  # awsesh\n",
            true,
        ),
        (
            "/bin/zsh",
            ".zshrc",
            "eval \"$(awsesh init zsh)\"",
            "eval \"$(awsesh init bash)\"\n",
            false,
        ),
        (
            "/bin/zsh",
            ".zshrc",
            "eval \"$(awsesh init zsh)\"",
            "eval \"$(awsesh init zsh)\"\n",
            true,
        ),
        (
            "/usr/bin/fish",
            ".config/fish/config.fish",
            "awsesh init fish | source",
            "if false\n    awsesh init fish | source\nend\n",
            false,
        ),
        (
            "/usr/bin/fish",
            ".config/fish/config.fish",
            "awsesh init fish | source",
            "if status is-interactive\nend\nawsesh init fish | source\n",
            true,
        ),
        (
            "/usr/bin/tcsh",
            ".tcshrc",
            "eval \"`awsesh init tcsh`\"",
            "eval \"$(awsesh init bash)\"\n",
            false,
        ),
        (
            "/usr/bin/tcsh",
            ".tcshrc",
            "eval \"`awsesh init tcsh`\"",
            "set prompt = '> '\neval \"`awsesh init tcsh`\"\n",
            true,
        ),
        (
            "/usr/bin/xonsh",
            ".xonshrc",
            "execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')",
            "# execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')\n",
            false,
        ),
        (
            "/usr/bin/xonsh",
            ".xonshrc",
            "execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')",
            "$PATH.append('~/bin')\nexecx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')\n",
            true,
        ),
        (
            "/bin/dash",
            ".shrc",
            "eval \"$(awsesh init posix)\"",
            "eval \"$(awsesh init bash)\"\n",
            false,
        ),
        (
            "/bin/dash",
            ".shrc",
            "eval \"$(awsesh init posix)\"",
            "eval \"$(awsesh init posix)\"\n",
            true,
        ),
    ];
    for (shell, rc, line, text, loads) in cases {
        let path = sandbox.home.join(rc);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        let mut cmd = sandbox.awsesh(&["setup"]);
        cmd.env("SHELL", shell).env("ENV", &shrc);
        let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
        assert_eq!(code, 0, "{err}");
        let found = err.contains(&format!("{} already loads awsesh", path.display()));
        let offered = err.contains(&format!("add this line to {}: {line}", path.display()));
        assert_eq!(
            (found, offered),
            (loads, !loads),
            "{shell} with {text:?}:\n{err}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "{rc} changed");
        fs::remove_file(&path).unwrap();
    }
    // sh without $ENV reads no rc file: setup says how to make it read one.
    let mut cmd = sandbox.awsesh(&["setup"]);
    cmd.env("SHELL", "/bin/sh").env_remove("ENV");
    let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("$ENV is not set"), "{err}");
    assert!(err.contains("eval \"$(awsesh init posix)\""), "{err}");
}

/// The README's first-day transcript, as (line, is it a command) after
/// mapping its example values to this run's: the key id, the user name, `~`.
fn first_day_transcript(id: &str, user: &str, home: &Path) -> Vec<String> {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("\n## First day").expect("README: ## First day")..];
    let block = &section[section.find("```console\n").unwrap() + "```console\n".len()..];
    let block = &block[..block.find("\n```").unwrap()];
    block
        .lines()
        .map(|line| {
            line.replace("AKIAIOSFODNN7EXAMPLE", id)
                .replace("user/alice", &format!("user/{user}"))
                .replace("mfa/alice", &format!("mfa/{user}"))
                .replace("~/", &format!("{}/", home.display()))
        })
        .collect()
}

/// Issue 19: from a HOME with nothing in it (no ~/.aws, no rc file), the
/// README's first-day transcript is typed into a real bash on a pty, with a
/// real Secret Service and moto's IAM and STS: where the README shows input,
/// the test types it; every other line of the transcript must be printed as
/// written (up to a `…`). It ends with a working `aws` call through the
/// shell integration setup added.
#[test]
fn the_readme_first_day_runs_from_an_empty_home_to_a_working_aws_call() {
    let Some(moto) = term::setup(term::Sh::Bash, &["aws"]) else {
        return;
    };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let user = unique_name("first");
    let (id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &id, "");
    fs::remove_dir_all(sandbox.home.join(".aws")).unwrap();
    assert_eq!(fs::read_dir(&sandbox.home).unwrap().count(), 0);

    let bin_dir = Path::new(support::BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let bash = support::which("bash").unwrap();
    let mut cmd = std::process::Command::new(&bash);
    cmd.args(["--norc", "--noprofile", "-i"])
        .env_clear()
        .envs(sandbox.env())
        .env("PATH", &path)
        .env("PS1", term::PROMPT_END)
        .env("SHELL", &bash)
        .env("AWS_PAGER", "")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .current_dir(&sandbox.home);
    let mut shell = term::Term::spawn(term::Sh::Bash, cmd);
    shell.send_line("stty echo");
    shell.expect(term::PROMPT_END);

    // MOTO: GetCallerIdentity with session credentials names this user
    // rather than the IAM user (README, "Try it without AWS").
    let iam_arn = format!("arn:aws:iam::123456789012:user/{user}");
    let moto_arn = "arn:aws:sts::123456789012:user/moto";
    let mut seed = String::new();
    let mut mfa_at = now();
    for line in first_day_transcript(&id, &user, &sandbox.home) {
        if let Some(command) = line.strip_prefix("$ ") {
            shell.send_line(command);
            continue;
        }
        let answered = [
            "Access key ID for profile default: ",
            "Secret access key (not shown):",
            "AWS region for profile default",
            "First MFA code from the app: ",
            "Next MFA code (wait until the app shows a new one): ",
            "Add `eval \"$(awsesh init bash)\"` to ",
            "awsesh: MFA code for ",
        ]
        .into_iter()
        .find(|prompt| line.starts_with(prompt));
        if let Some(prompt) = answered {
            let (asked, typed) = match line.rfind(": ") {
                Some(i) if !line.contains("[Y/n]") => (&line[..i + 2], line[i + 2..].trim()),
                _ => (line.trim_end(), ""),
            };
            shell.expect(asked.trim_end());
            let typed = match prompt {
                "Secret access key (not shown):" => secret.clone(),
                "First MFA code from the app: " => {
                    // The README's user scans the QR code; the test asks
                    // for the key by hand (k) to compute the codes.
                    shell.send_line("k");
                    shell.expect("Enter this key by hand (time-based, 6 digits): ");
                    let key = shell.expect("\n");
                    seed = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                    shell.expect(asked.trim_end());
                    mfa_at = now();
                    totp(&seed, mfa_at)
                }
                "Next MFA code (wait until the app shows a new one): " => totp(&seed, mfa_at + 30),
                "awsesh: MFA code for " => totp(&seed, now() + 60),
                _ => typed.to_string(),
            };
            shell.send_line(&typed);
            continue;
        }
        if line.trim() == "…" || line.starts_with("  █") {
            continue;
        }
        let line = if line == iam_arn {
            moto_arn.to_string()
        } else {
            line
        };
        let expected = line.split('…').next().unwrap().trim_end();
        shell.expect(expected);
    }
    let (code, out, _) = shell.run("");
    assert_eq!(code, 0, "{out}");
    assert!(!shell.text.contains(&secret), "the secret was echoed");

    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("[default]\nregion = eu-west-1\nmfa_serial = {serial}\n")
    );
    assert!(
        !sandbox.credentials_path().exists(),
        "the key went to the keyring, not ~/.aws/credentials"
    );
    assert_eq!(
        fs::read_to_string(sandbox.home.join(".bashrc")).unwrap(),
        "# awsesh: one MFA session for every shell\neval \"$(awsesh init bash)\"\n"
    );
    assert_eq!(moto.count_calls("GetSessionToken", &id), 1);
}

/// Setup on a pty in a fresh HOME, with the keyring's bus and `extra`.
fn setup_in(sandbox: &Sandbox, keyring: &Keyring, args: &[&str], extra: &[(&str, &str)]) -> Pty {
    let mut env = vec![
        ("DBUS_SESSION_BUS_ADDRESS", keyring.bus.as_str()),
        ("SHELL", "/bin/bash"),
    ];
    env.extend_from_slice(extra);
    support::spawn_pty(sandbox, args, &env)
}

fn type_keys(pty: &mut Pty, profile: &str, id: &str, secret: &str) {
    pty.expect(format!("Access key ID for profile {profile}: ").as_str())
        .unwrap();
    pty.send_line(id).unwrap();
    pty.expect("Secret access key (not shown): ").unwrap();
    pty.send_line(secret).unwrap();
}

/// Enrolls the device on the pty (asking for its key with `k`).
fn enroll_on(pty: &mut Pty) {
    pty.expect("First MFA code").unwrap();
    pty.send_line("k").unwrap();
    pty.expect("Enter this key by hand (time-based, 6 digits): ")
        .unwrap();
    let line = pty.expect("\n").unwrap();
    let seed: String = String::from_utf8_lossy(line.before())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let t = now();
    pty.expect("First MFA code").unwrap();
    pty.send_line(totp(&seed, t)).unwrap();
    pty.expect("Next MFA code").unwrap();
    pty.send_line(totp(&seed, t + 30)).unwrap();
}

/// What a run with no terminal says about the profile's keys.
fn keys_state(sandbox: &Sandbox, keyring: &Keyring, profile: &str) -> String {
    let mut cmd = sandbox.awsesh(&["setup", "--profile", profile]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .env("SHELL", "/bin/bash");
    let (_, _, err) = support::keyring::output_within(&mut cmd, 60);
    err
}

/// Stopped at each question of a fresh HOME's setup — Ctrl-C, end of
/// input, an STS that cannot be reached — nothing is written: no AWS file,
/// no section, no key in the keyring. Stopped at the MFA device, the
/// stored key and the region stay (setup says so), no empty section or
/// half a device is pinned, and the next run goes on from there.
#[test]
fn setup_stopped_early_leaves_nothing_half_written() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let user = unique_name("stop");
    let (id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &id, "");
    fs::remove_dir_all(sandbox.home.join(".aws")).unwrap();
    let nothing_written = |when: &str| {
        let names: Vec<_> = fs::read_dir(&sandbox.home)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(names.is_empty(), "{when}: left behind {names:?}");
        let err = keys_state(&sandbox, &keyring, "default");
        assert!(err.contains("has no long-term keys yet"), "{when}: {err}");
    };

    // Ctrl-C at the key id, end of input at the secret, Ctrl-C at the region.
    let mut pty = setup_in(&sandbox, &keyring, &["setup"], &[]);
    pty.expect("Access key ID for profile default: ").unwrap();
    pty.send([3u8]).unwrap();
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 130, "{output}");
    nothing_written("Ctrl-C at the key id");

    let mut pty = setup_in(&sandbox, &keyring, &["setup"], &[]);
    pty.expect("Access key ID for profile default: ").unwrap();
    pty.send_line(&id).unwrap();
    pty.expect("Secret access key (not shown): ").unwrap();
    pty.send([4u8]).unwrap();
    let (code, output) = finish_pty(pty);
    assert_ne!(code, 0, "{output}");
    nothing_written("end of input at the secret");

    let mut pty = setup_in(&sandbox, &keyring, &["setup"], &[]);
    type_keys(&mut pty, "default", &id, &secret);
    pty.expect("AWS region for profile default").unwrap();
    pty.send([3u8]).unwrap();
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 130, "{output}");
    nothing_written("Ctrl-C at the region");

    // STS cannot be reached to check the key: nothing stored.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut pty = setup_in(
        &sandbox,
        &keyring,
        &["setup", "--region", "us-east-1"],
        &[("AWS_ENDPOINT_URL", &dead)],
    );
    type_keys(&mut pty, "default", &id, &secret);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("cannot reach AWS"), "{output}");
    nothing_written("STS unreachable");

    // Ctrl-C at the first MFA code: the checked key and the region stay.
    let mut pty = setup_in(
        &sandbox,
        &keyring,
        &["setup"],
        &[("AWS_REGION", "eu-central-1")],
    );
    type_keys(&mut pty, "default", &id, &secret);
    pty.expect("AWS region for profile default [eu-central-1]: ")
        .unwrap();
    pty.send_line("").unwrap();
    pty.expect("First MFA code").unwrap();
    pty.send([3u8]).unwrap();
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 130, "{output}");
    assert!(
        output.contains(&format!(
            "setup of profile default stopped; kept: the key {id} in the OS keyring and region eu-central-1"
        )),
        "{output}"
    );
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        "[default]\nregion = eu-central-1\n"
    );
    assert!(!sandbox.credentials_path().exists());
    assert!(!sandbox.home.join(".bashrc").exists());

    // The next run asks only what is left: the device and the shell line.
    let mut pty = setup_in(&sandbox, &keyring, &["setup"], &[]);
    pty.expect("Reuse, new or quit? [r/n/q] ").unwrap();
    pty.send_line("n").unwrap();
    enroll_on(&mut pty);
    pty.expect("Add `eval \"$(awsesh init bash)\"` to ")
        .unwrap();
    pty.send_line("n").unwrap();
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert!(!output.contains("Access key ID"), "{output}");
    assert!(!output.contains("AWS region for"), "{output}");
    assert!(
        output.contains("not done: the shell integration is not loaded"),
        "{output}"
    );
    assert!(!output.contains("next:"), "{output}");
    assert!(!sandbox.home.join(".bashrc").exists());
}

/// Issue 19: a profile setup adds to files that hold others (comments, a
/// role, another profile's plaintext keys, no final newline) gets its
/// section at the end — every other byte stays; a mistyped region is asked
/// again; the last lines give the command that selects the profile in the
/// user's shell (fish here).
#[test]
fn a_new_profile_is_added_to_existing_files_byte_for_byte() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let user = unique_name("bob");
    let (id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &id, "");
    let config = "# the team's profiles\r\n[default]\r\nregion = us-east-1   # ours\r\nmfa_serial = arn:aws:iam::123456789012:mfa/someone\r\n\r\n[profile prod]\r\nrole_arn = arn:aws:iam::123456789012:role/prod\r\nsource_profile = default\r\n; the end, without a newline";
    let credentials = "[default]\naws_access_key_id = AKIAOTHERKEY00000000\naws_secret_access_key = c2VjcmV0c2VjcmV0c2VjcmV0\n";
    sandbox.write_config(config);
    sandbox.write_credentials(credentials);
    let xdg = sandbox.path("xdg");
    fs::create_dir_all(xdg.join("fish")).unwrap();
    fs::write(xdg.join("fish/config.fish"), "awsesh init fish | source\n").unwrap();

    let mut pty = setup_in(
        &sandbox,
        &keyring,
        &["setup", "--profile", "bob"],
        &[
            ("SHELL", "/usr/bin/fish"),
            ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
        ],
    );
    type_keys(&mut pty, "bob", &id, &secret);
    pty.expect("AWS region for profile bob (e.g. us-east-1, eu-west-1): ")
        .unwrap();
    pty.send_line("us-east-1a").unwrap();
    pty.expect("`us-east-1a` is not a region name").unwrap();
    pty.expect("AWS region for profile bob").unwrap();
    pty.send_line("eu-west-1").unwrap();
    enroll_on(&mut pty);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");

    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("{config}\r\n[profile bob]\r\nregion = eu-west-1\r\nmfa_serial = {serial}\r\n")
    );
    assert_eq!(
        fs::read_to_string(sandbox.credentials_path()).unwrap(),
        credentials
    );
    let last: Vec<&str> = output.trim_end().lines().rev().take(2).collect();
    assert!(
        last[1].starts_with(&format!(
            "awsesh: done: profile bob: key {id} in the OS keyring, region eu-west-1, MFA device {serial}"
        )),
        "{output}"
    );
    assert!(
        last[0].contains("type `set -gx AWS_PROFILE bob` (or use `aws --profile bob …` for one command), then `aws sts get-caller-identity` asks for the MFA code"),
        "{output}"
    );
    assert!(!output.contains("open a new terminal"), "{output}");
}

/// Without a terminal, `--region` sets the region of a profile that has
/// keys and a device but none; setup then says the shell line is left, and
/// not "done" for all.
#[test]
fn region_flag_sets_a_missing_region_without_a_terminal() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    sandbox.write_config(&format!("[default]\nmfa_serial = {}\n", sandbox.mfa_serial));
    let mut cmd = sandbox.awsesh(&["setup"]);
    cmd.env("SHELL", "/bin/bash");
    let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not done: profile default has no region"),
        "{err}"
    );
    assert!(err.contains("--region REGION"), "{err}");

    for bad in ["us-east-1a", "$(id)"] {
        let mut cmd = sandbox.awsesh(&["setup", "--region", bad]);
        let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("is not a region name"), "{err}");
    }

    let mut cmd = sandbox.awsesh(&["setup", "--region", "ap-south-1"]);
    cmd.env("SHELL", "/bin/bash");
    let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!(
            "[default]\nmfa_serial = {}\nregion = ap-south-1\n",
            sandbox.mfa_serial
        )
    );
    assert!(err.contains("region ap-south-1"), "{err}");
    assert!(
        err.contains("not done: the shell integration is not loaded"),
        "{err}"
    );
    assert!(!err.contains("next:"), "{err}");
}

/// A profile name the AWS tools cannot read is refused before any question
/// or file: one line, nothing written, the name never raw on the terminal.
#[test]
fn an_unusable_new_profile_name_is_refused_before_anything() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let sandbox = Sandbox::empty(&moto.endpoint, "", "");
    fs::remove_dir_all(sandbox.home.join(".aws")).unwrap();
    for name in ["$(touch pwned)", "a b", "x\u{1b}]0;evil\u{7}", "[default]"] {
        let pty = setup_in(&sandbox, &keyring, &["setup", "--profile", name], &[]);
        let (code, output) = finish_pty(pty);
        assert_eq!(code, 1, "{name:?}: {output}");
        assert_eq!(output.trim_end().lines().count(), 1, "{name:?}: {output}");
        assert!(output.contains("choose another name"), "{name:?}: {output}");
        assert!(!output.contains('\u{1b}'), "{name:?}: {output}");
        assert_eq!(fs::read_dir(&sandbox.home).unwrap().count(), 0, "{name:?}");
    }
}

/// A key AWS refuses is stored nowhere and no file is written; an IAM that
/// fails while looking for the MFA device leaves the checked key and the
/// region (setup says so) and no half-pinned device.
#[test]
fn a_refused_key_or_a_failing_iam_call_leaves_nothing_half_written() {
    use support::fake_sts::{Answer, FakeSts};
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let fake = FakeSts::start();
    let sandbox = Sandbox::empty(&fake.endpoint, "", "");
    fs::remove_dir_all(sandbox.home.join(".aws")).unwrap();
    let (id, secret) = (
        "AKIAFAKELONGTERM0002",
        "fakeLongTermSecret0123456789abcdefghijklm",
    );

    fake.answer(
        "GetCallerIdentity",
        Answer::Error {
            status: 403,
            code: "InvalidClientTokenId".into(),
            message: "The security token included in the request is invalid.".into(),
        },
    );
    let mut pty = setup_in(&sandbox, &keyring, &["setup", "--region", "us-east-1"], &[]);
    type_keys(&mut pty, "default", id, secret);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains(&format!("AWS did not accept access key {id}")),
        "{output}"
    );
    assert_eq!(fs::read_dir(&sandbox.home).unwrap().count(), 0, "{output}");
    assert!(!output.contains(secret));

    fake.answer("GetCallerIdentity", Answer::Ok);
    fake.answer("ListMFADevices", Answer::server_error(500));
    let mut pty = setup_in(&sandbox, &keyring, &["setup", "--region", "us-east-1"], &[]);
    type_keys(&mut pty, "default", id, secret);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains(&format!(
            "setup of profile default stopped; kept: the key {id} in the OS keyring and region us-east-1"
        )),
        "{output}"
    );
    assert!(
        output.contains("IAM could not list the MFA devices"),
        "{output}"
    );
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        "[default]\nregion = us-east-1\n"
    );
    assert!(!sandbox.credentials_path().exists());
    assert!(!output.contains(secret));
}
