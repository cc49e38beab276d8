//! `awsesh setup`: a team member's first day in one command, replacing the
//! three manual steps of the team's access document — long-term keys (into
//! the OS keyring), a virtual MFA device, the shell line — each step skipped
//! when it is already done. With no terminal it changes nothing that needs a
//! question and says what is left to do.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::ProfileArgs;
use crate::iam_user::enroll::{self, Existing};
use crate::keys::{Location, files, input, keyring};
use crate::shell::{Shell, init, rc_line};
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

pub fn run(args: ProfileArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.as_deref());
    crate::store::key_for(&profile)?;
    let mut tty = crate::sys::terminal::open_tty();
    keys_step(&profile, tty.as_mut())?;
    mfa_step(&profile)?;
    shell_step(tty.as_mut())?;
    crate::sys::text::say(&format!(
        "setup of profile {} done; in a new shell, `aws` asks for the MFA code by itself",
        printable(&profile)
    ));
    Ok(ExitCode::SUCCESS)
}

fn step(text: &str) {
    crate::sys::text::say(text);
}

/// A yes/no question on the terminal; Enter means yes.
fn confirm(tty: &mut File, question: &str) -> Result<bool> {
    let answer = input::read_line(tty, &format!("{question} [Y/n] "), true)?;
    Ok(matches!(answer.trim(), "" | "y" | "Y" | "yes" | "Yes"))
}

fn keys_step(profile: &str, tty: Option<&mut File>) -> Result<()> {
    let p = printable(profile);
    match crate::keys::locate(profile)? {
        Location::Keyring(entry) => {
            step(&format!(
                "keys: profile {p} keeps its key {} in the OS keyring",
                entry.access_key_id
            ));
            Ok(())
        }
        Location::File(plain) if plain.has_session_token => {
            Err(files::session_keys_error(profile, &plain.path))
        }
        Location::File(plain) => {
            let path = plain.path.display().to_string();
            if let Err(why) = keyring::probe() {
                step(&format!(
                    "keys: profile {p} keeps its key {} in plaintext in {path}; it stays there: {why}",
                    plain.access_key_id
                ));
                return Ok(());
            }
            let Some(tty) = tty else {
                step(&format!(
                    "keys: profile {p} keeps its key {} in plaintext in {path}; move it into the OS keyring with `awsesh keys add --migrate --profile {p}`",
                    plain.access_key_id
                ));
                return Ok(());
            };
            if confirm(
                tty,
                &format!(
                    "Your access key {} is in plaintext in {path}. Move it into the OS keyring?",
                    plain.access_key_id
                ),
            )? {
                let keys = crate::keys::Keys {
                    access_key_id: plain.access_key_id,
                    secret_access_key: plain.secret_access_key,
                };
                crate::keys::add::add_keys(profile, &keys, true)
            } else {
                step(&format!("keys: left in {path}"));
                Ok(())
            }
        }
        Location::Elsewhere if files::has_credential_process(profile)? => {
            step(&format!(
                "keys: profile {p} gets its keys from a credential_process"
            ));
            Ok(())
        }
        Location::Elsewhere => {
            let Some(tty) = tty else {
                return Err(Error::Other(format!(
                    "profile `{p}` has no long-term keys yet; run `awsesh setup` in a terminal, or pipe them to `awsesh keys add --profile {p}`"
                )));
            };
            if let Err(why) = keyring::probe() {
                return Err(Error::Other(format!(
                    "profile `{p}` has no long-term keys and {why}; add them with `aws configure --profile {p}`, then run `awsesh setup` again"
                )));
            }
            let _ = writeln!(
                tty,
                "Create an access key for your IAM user (IAM console: Security credentials, Create access key; or ask whoever created your user), then paste it here."
            );
            let keys = input::from_terminal(tty, profile)?;
            crate::keys::add::add_keys(profile, &keys, false)
        }
    }
}

fn mfa_step(profile: &str) -> Result<()> {
    let loaded = crate::aws::profile::Profile::load(profile)?;
    if let Some(serial) = &loaded.mfa_serial {
        step(&format!(
            "MFA: profile {} uses MFA device {serial}",
            printable(profile)
        ));
        return Ok(());
    }
    if loaded.role_arn.is_some() {
        step(&format!(
            "MFA: profile {} is a role; its source profile's device is used",
            printable(profile)
        ));
        return Ok(());
    }
    enroll::report(profile, &enroll::enroll(profile, None, Existing::Ask)?);
    Ok(())
}

/// The user's shell, its rc file and the line that loads awsesh.
struct ShellLine {
    shell: Shell,
    /// The names `$SHELL` may end in.
    names: &'static [&'static str],
    rc: PathBuf,
    /// Why the rc file is not read yet, and how to make the shell read it.
    unread: Option<String>,
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn env_dir(var: &str, fallback: PathBuf) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or(fallback)
}

/// An interactive POSIX sh reads the file `$ENV` names (after parameter
/// expansion, so `$HOME/` and `~/` are expanded here too); without `$ENV`
/// it reads none, and `~/.shrc` is where the line is suggested.
fn posix_rc() -> (PathBuf, Option<String>) {
    let env = std::env::var("ENV").unwrap_or_default();
    let home = home();
    let expanded = if let Some(rest) = env
        .strip_prefix("$HOME/")
        .or_else(|| env.strip_prefix("${HOME}/"))
        .or_else(|| env.strip_prefix("~/"))
    {
        home.join(rest)
    } else {
        PathBuf::from(&env)
    };
    if expanded.is_absolute() {
        return (expanded, None);
    }
    (
        home.join(".shrc"),
        Some("$ENV is not set, so sh reads no rc file: add `export ENV=\"$HOME/.shrc\"` to ~/.profile".to_string()),
    )
}

fn shell_lines() -> [ShellLine; 6] {
    let (posix, unread) = posix_rc();
    [
        ShellLine {
            shell: Shell::Bash,
            names: &["bash"],
            rc: home().join(".bashrc"),
            unread: None,
        },
        ShellLine {
            shell: Shell::Zsh,
            names: &["zsh"],
            rc: env_dir("ZDOTDIR", home()).join(".zshrc"),
            unread: None,
        },
        ShellLine {
            shell: Shell::Fish,
            names: &["fish"],
            rc: env_dir("XDG_CONFIG_HOME", home().join(".config"))
                .join("fish")
                .join("config.fish"),
            unread: None,
        },
        ShellLine {
            shell: Shell::Tcsh,
            names: &["tcsh"],
            rc: home().join(".tcshrc"),
            unread: None,
        },
        ShellLine {
            shell: Shell::Nushell,
            names: &["nu"],
            rc: env_dir("XDG_CONFIG_HOME", home().join(".config"))
                .join("nushell")
                .join("config.nu"),
            unread: None,
        },
        ShellLine {
            shell: Shell::Posix,
            names: &["sh", "dash", "ksh", "mksh", "ksh93", "oksh"],
            rc: posix,
            unread,
        },
    ]
}

/// nushell sources a file, not a command's output: setup writes the script
/// to ~/.awsesh.nu first (the line would break config.nu without it), then
/// adds the line that sources it.
fn nushell_step(tty: Option<&mut File>, rc_path: &std::path::Path) -> Result<()> {
    let line = init::init_line(Shell::Nushell).0;
    let rc = rc_path.display();
    let script = home().join(".awsesh.nu");
    let Some(tty) = tty else {
        step(&format!(
            "shell: run `awsesh init nushell | save -f ~/.awsesh.nu` in nu, then add this line to {rc}: {line}"
        ));
        return Ok(());
    };
    if !confirm(
        tty,
        &format!("Write ~/.awsesh.nu (`awsesh init nushell`) and add `{line}` to {rc}?"),
    )? {
        step(&format!(
            "shell: run `awsesh init nushell | save -f ~/.awsesh.nu` in nu, then add this line to {rc}: {line}"
        ));
        return Ok(());
    }
    let text = init::render(
        Shell::Nushell,
        &init::InitOptions {
            exe: init::self_path(),
            cmd: "aws".to_string(),
            prompt: true,
        },
    );
    crate::store::file::write_atomic(&script, text.as_bytes())?;
    append_line(rc_path, line)?;
    step(&format!(
        "shell: wrote ~/.awsesh.nu and added `{line}` to {rc}; open a new nu to use it (after an upgrade of awsesh, run `awsesh init nushell | save -f ~/.awsesh.nu` again)"
    ));
    Ok(())
}

/// Whether an rc file already loads awsesh for `shell` (see `rc_line`).
fn loads_awsesh(shell: Shell, rc: &std::path::Path) -> bool {
    std::fs::read(rc)
        .is_ok_and(|bytes| rc_line::loads_awsesh(shell, &String::from_utf8_lossy(&bytes)))
}

fn append_line(rc: &std::path::Path, line: &str) -> Result<()> {
    if let Some(dir) = rc.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let needs_newline = std::fs::read(rc).is_ok_and(|b| !b.is_empty() && !b.ends_with(b"\n"));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(rc)
        .map_err(|e| Error::io(format!("cannot open {}", rc.display()), e))?;
    let text = format!(
        "{}# awsesh: one MFA session for every shell\n{line}\n",
        if needs_newline { "\n" } else { "" }
    );
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("cannot write {}", rc.display()), e))
}

fn shell_step(tty: Option<&mut File>) -> Result<()> {
    let shell = std::env::var("SHELL").unwrap_or_default();
    let name = shell.rsplit('/').next().unwrap_or("");
    let Some(chosen) = shell_lines().into_iter().find(|s| s.names.contains(&name)) else {
        let all: Vec<String> = shell_lines()
            .iter()
            .map(|s| {
                format!(
                    "{}: `{}` in {}",
                    init::name(s.shell),
                    init::init_line(s.shell).0,
                    s.rc.display()
                )
            })
            .collect();
        step(&format!(
            "shell: $SHELL is `{}`, which awsesh has no line for; add the line for yours: {}",
            printable(name),
            all.join("; ")
        ));
        return Ok(());
    };
    let line = init::init_line(chosen.shell).0;
    let rc = chosen.rc.display().to_string();
    if loads_awsesh(chosen.shell, &chosen.rc) {
        step(&format!("shell: {rc} already loads awsesh"));
        return Ok(());
    }
    if let Some(unread) = &chosen.unread {
        step(&format!("shell: {unread}, and this line to {rc}: {line}"));
        return Ok(());
    }
    if chosen.shell == Shell::Nushell {
        return nushell_step(tty, &chosen.rc);
    }
    if let Some(tty) = tty
        && confirm(tty, &format!("Add `{line}` to {rc}?"))?
    {
        append_line(&chosen.rc, line)?;
        step(&format!(
            "shell: added `{line}` to {rc}; open a new terminal (or run that line) to use it"
        ));
        return Ok(());
    }
    step(&format!("shell: add this line to {rc}: {line}"));
    Ok(())
}
