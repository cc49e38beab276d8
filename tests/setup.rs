//! Issue 11, `awsesh setup`: the first day in one command. On a pty against
//! moto and a real keyring: keys typed in go to the keyring, an MFA device is
//! enrolled from codes computed from its seed, the shell line is added to the
//! rc file of $SHELL; run again, every step says it is done. Without a
//! terminal, nothing that needs a question changes and the missing steps are
//! named.

mod support;

use std::fs;

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

    // The keyring key and the new device give a session.
    let mut cmd = sandbox.awsesh(&["login", "--token-code", &totp(&seed, now())]);
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
    let cases: [(&str, &str, &str, &str, bool); 12] = [
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
