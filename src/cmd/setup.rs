//! `awsesh setup`: a team member's first day in one command, replacing the
//! manual steps of the team's access document — long-term keys (into the OS
//! keyring), the profile's region, a virtual MFA device, the shell line —
//! each step skipped when it is already done, ending with what is done and
//! what to type next. With no terminal it changes nothing that needs a
//! question and says what is left to do.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::SetupArgs;
use crate::iam_user::enroll::{self, Existing, Outcome};
use crate::keys::{Keys, Location, files, input, keyring};
use crate::shell::{Shell, init, rc_line};
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

mod region;
mod summary;

use summary::{Report, ShellOutcome};

/// The order keeps the files whole when setup stops early: everything
/// typed (keys, region) is asked before anything is stored; the keys are
/// stored (checked with STS first) before the profile's section is written;
/// the MFA device is pinned only once enabled; the rc line comes last.
pub fn run(args: SetupArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    crate::store::key_for(&profile)?;
    let flag_region = region::from_flag(args.region.as_deref())?;
    if !files::profile_exists(&profile)? && !crate::aws::ini_edit::valid_profile_name(&profile) {
        return Err(Error::Other(format!(
            "profile `{}` is in neither AWS file, and the AWS tools only read profile names of letters, digits and _-/.%@:+; choose another name with --profile",
            printable(&profile)
        )));
    }
    let mut tty = crate::sys::terminal::open_tty();
    let resumed = args.resumed;
    let keys = keys_step(&profile, tty.as_mut(), resumed)?;
    let current = crate::aws::profile::Profile::load_lenient(&profile)?.region;
    let region = region::choose(&profile, flag_region, current, tty.as_mut())?;
    if let Some(new) = &keys.typed {
        crate::keys::add::add_keys(&profile, new, false)?;
    }
    let mut wrote = keys.typed.is_some() || keys.migrated;
    let region = match region {
        region::Choice::Kept(region) => {
            if !resumed {
                step(&format!(
                    "region: profile {} uses {region}",
                    printable(&profile)
                ));
            }
            Some(region)
        }
        region::Choice::New(region) => {
            region::write(&profile, &region).map_err(|e| {
                kept_so_far(
                    &profile,
                    keys.typed.is_some().then_some(&keys.text),
                    None,
                    e,
                )
            })?;
            step(&format!(
                "region: {region} set for profile {} in {}",
                printable(&profile),
                crate::aws::profile::config_path().display()
            ));
            wrote = true;
            Some(region)
        }
        region::Choice::Missing => None,
    };
    if wrote && !resumed {
        return Err(resume(&profile));
    }
    // A resumed run wrote the keys or the region just before: both stay.
    let mfa = mfa_step(&profile, region.is_some()).map_err(|e| {
        let kept = (resumed && keys.text.contains("OS keyring")).then_some(&keys.text);
        kept_so_far(&profile, kept, region.as_deref().filter(|_| resumed), e)
    })?;
    let shell = shell_step(tty.as_mut())?;
    summary::print(&Report {
        profile: &profile,
        keys: keys.text,
        region,
        mfa,
        shell,
    });
    Ok(ExitCode::SUCCESS)
}

/// The AWS files are read once per process (aws::profile caches them for
/// the hot path), so once setup has written them it goes on in a fresh image
/// of itself — the same terminal, no child process — which sees them as
/// they are now. Returns only when that fails.
fn resume(profile: &str) -> Error {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("awsesh"));
    let why = std::process::Command::new(exe)
        .args(["setup", "--resumed", &format!("--profile={profile}")])
        .exec();
    Error::Other(format!(
        "setup stored what it asked for but cannot go on ({why}); run `awsesh setup --profile {}` again to finish",
        crate::sys::text::shell_word(profile)
    ))
}

/// Says what stays when a step after the keys fails: the key setup stored
/// (checked with STS) and the region are the profile's own, nothing is
/// half-written, and the next `awsesh setup` goes on from there; the error
/// itself follows as setup's last line.
fn kept_so_far(profile: &str, keys: Option<&String>, region: Option<&str>, error: Error) -> Error {
    let mut kept: Vec<String> = keys.into_iter().cloned().collect();
    if let Some(region) = region {
        kept.push(format!("region {region}"));
    }
    if !kept.is_empty() {
        step(&format!(
            "setup of profile {} stopped; kept: the {}; `awsesh setup --profile {}` goes on from there",
            printable(profile),
            kept.join(" and "),
            crate::sys::text::shell_word(profile)
        ));
    }
    error
}

fn step(text: &str) {
    crate::sys::text::say(text);
}

/// A yes/no question on the terminal; Enter means yes.
fn confirm(tty: &mut File, question: &str) -> Result<bool> {
    let answer = input::read_line(tty, &format!("{question} [Y/n] "), true)?;
    Ok(matches!(answer.trim(), "" | "y" | "Y" | "yes" | "Yes"))
}

/// What the keys step found or did.
struct KeysStep {
    /// Where the keys are, for the summary: "key AKIA… in the OS keyring".
    text: String,
    /// Keys typed now, stored once every question is answered.
    typed: Option<Keys>,
    /// Plaintext keys were moved into the keyring (the files changed).
    migrated: bool,
}

fn found(text: String) -> Result<KeysStep> {
    Ok(KeysStep {
        text,
        typed: None,
        migrated: false,
    })
}

fn keys_step(profile: &str, tty: Option<&mut File>, resumed: bool) -> Result<KeysStep> {
    let p = printable(profile);
    match crate::keys::locate(profile)? {
        Location::Keyring(entry) => {
            if !resumed {
                step(&format!(
                    "keys: profile {p} keeps its key {} in the OS keyring",
                    entry.access_key_id
                ));
            }
            found(format!("key {} in the OS keyring", entry.access_key_id))
        }
        Location::File(plain) if plain.has_session_token => {
            Err(files::session_keys_error(profile, &plain.path))
        }
        Location::File(plain) => {
            let path = plain.path.display().to_string();
            let in_file = format!("key {} in plaintext in {path}", plain.access_key_id);
            if let Err(why) = keyring::probe() {
                if !resumed {
                    step(&format!(
                        "keys: profile {p} keeps its key {} in plaintext in {path}; it stays there: {why}",
                        plain.access_key_id
                    ));
                }
                return found(in_file);
            }
            let Some(tty) = tty else {
                step(&format!(
                    "keys: profile {p} keeps its key {} in plaintext in {path}; move it into the OS keyring with `awsesh keys add --migrate --profile {p}`",
                    plain.access_key_id
                ));
                return found(in_file);
            };
            if confirm(
                tty,
                &format!(
                    "Your access key {} is in plaintext in {path}. Move it into the OS keyring?",
                    plain.access_key_id
                ),
            )? {
                let keys = Keys {
                    access_key_id: plain.access_key_id,
                    secret_access_key: plain.secret_access_key,
                };
                crate::keys::add::add_keys(profile, &keys, true)?;
                Ok(KeysStep {
                    text: format!("key {} in the OS keyring", keys.access_key_id),
                    typed: None,
                    migrated: true,
                })
            } else {
                step(&format!("keys: left in {path}"));
                found(in_file)
            }
        }
        Location::Elsewhere if files::has_credential_process(profile)? => {
            step(&format!(
                "keys: profile {p} gets its keys from a credential_process"
            ));
            found("keys from its credential_process".to_string())
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
            Ok(KeysStep {
                text: format!("key {} in the OS keyring", keys.access_key_id),
                typed: Some(keys),
                migrated: false,
            })
        }
    }
}

/// The MFA device (or why none is needed); None when the profile has no
/// settings to pin one to yet (no region and no other setting).
fn mfa_step(profile: &str, has_region: bool) -> Result<Option<String>> {
    let loaded = crate::aws::profile::Profile::load_lenient(profile)?;
    if let Some(serial) = &loaded.mfa_serial {
        step(&format!(
            "MFA: profile {} uses MFA device {serial}",
            printable(profile)
        ));
        return Ok(Some(format!("MFA device {serial}")));
    }
    if loaded.role_arn.is_some() {
        step(&format!(
            "MFA: profile {} is a role; its source profile's device is used",
            printable(profile)
        ));
        return Ok(Some("the MFA device of its source profile".to_string()));
    }
    if !loaded.exists && !has_region {
        return Ok(None);
    }
    let outcome = enroll::enroll(profile, None, Existing::Ask)?;
    enroll::report(profile, &outcome);
    let (Outcome::AlreadyPinned(serial) | Outcome::Pinned(serial) | Outcome::Enrolled(serial)) =
        outcome;
    Ok(Some(format!("MFA device {serial}")))
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

fn shell_lines() -> [ShellLine; 8] {
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
            shell: Shell::Xonsh,
            names: &["xonsh"],
            rc: home().join(".xonshrc"),
            unread: None,
        },
        ShellLine {
            shell: Shell::Elvish,
            names: &["elvish"],
            rc: env_dir("XDG_CONFIG_HOME", home().join(".config"))
                .join("elvish")
                .join("rc.elv"),
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
fn nushell_step(tty: Option<&mut File>, rc_path: &std::path::Path) -> Result<ShellOutcome> {
    let line = init::init_line(Shell::Nushell).0;
    let rc = rc_path.display().to_string();
    let script = home().join(".awsesh.nu");
    let todo = format!(
        "run `awsesh init nushell | save -f ~/.awsesh.nu` in nu, then add `{line}` to {rc} and open a new terminal"
    );
    let declined = |todo: String| {
        step(&format!(
            "shell: run `awsesh init nushell | save -f ~/.awsesh.nu` in nu, then add this line to {rc}: {line}"
        ));
        Ok(ShellOutcome::NotLoaded {
            shell: Some(Shell::Nushell),
            todo,
        })
    };
    let Some(tty) = tty else {
        return declined(todo);
    };
    if !confirm(
        tty,
        &format!("Write ~/.awsesh.nu (`awsesh init nushell`) and add `{line}` to {rc}?"),
    )? {
        return declined(todo);
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
        "shell: wrote ~/.awsesh.nu and added `{line}` to {rc} (after an upgrade of awsesh, run `awsesh init nushell | save -f ~/.awsesh.nu` again)"
    ));
    Ok(ShellOutcome::Loaded {
        shell: Shell::Nushell,
        line,
        rc,
        added: true,
    })
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

fn shell_step(tty: Option<&mut File>) -> Result<ShellOutcome> {
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
        return Ok(ShellOutcome::NotLoaded {
            shell: None,
            todo: "add the line for your shell (listed above) to its rc file".to_string(),
        });
    };
    let line = init::init_line(chosen.shell).0;
    let rc = chosen.rc.display().to_string();
    let loaded = |added| ShellOutcome::Loaded {
        shell: chosen.shell,
        line,
        rc: rc.clone(),
        added,
    };
    if loads_awsesh(chosen.shell, &chosen.rc) {
        step(&format!("shell: {rc} already loads awsesh"));
        return Ok(loaded(false));
    }
    let not_loaded = |todo: String| ShellOutcome::NotLoaded {
        shell: Some(chosen.shell),
        todo,
    };
    if let Some(unread) = &chosen.unread {
        step(&format!("shell: {unread}, and this line to {rc}: {line}"));
        return Ok(not_loaded(format!(
            "{unread}, and `{line}` to {rc}, then open a new terminal"
        )));
    }
    if chosen.shell == Shell::Nushell {
        return nushell_step(tty, &chosen.rc);
    }
    if let Some(tty) = tty
        && confirm(tty, &format!("Add `{line}` to {rc}?"))?
    {
        append_line(&chosen.rc, line)?;
        step(&format!("shell: added `{line}` to {rc}"));
        return Ok(loaded(true));
    }
    step(&format!("shell: add this line to {rc}: {line}"));
    Ok(not_loaded(format!(
        "add `{line}` to {rc}, then open a new terminal"
    )))
}
