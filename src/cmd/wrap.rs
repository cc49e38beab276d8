//! `awsesh wrap [--via-env] --cmd aws -- ARGS…` (hidden): the `aws` wrapper of
//! tcsh, whose aliases cannot hold the logic the bash, zsh and fish wrappers
//! carry. It reads the AWS CLI's arguments the way those wrappers do, gets
//! the session of the profile the command will use (prompting for the code
//! on the terminal when needed) and replaces itself with the real command,
//! so that its exit status and signals are the command's own. The shell
//! itself picks the session up at its next prompt (the tcsh hook).
//!
//! `--via-env`: the words are `env`'s (`env AWS_PROFILE=x aws …`, tcsh's
//! inline profile). Only `NAME=value` words then the wrapped command are
//! wrapped; anything else runs `env` as typed.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use crate::cli::WrapArgs;
use crate::session::refresh::{self, Request};
use crate::shell::exports::EXPORTED;
use crate::store::Store;
use crate::sys::error::{Error, Result};

/// What the wrapped command's arguments ask for.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Needs no session (`configure`, `help`, `--version`, the CLI's own
    /// sign-in commands, a line the CLI will refuse): run as typed.
    AsTyped,
    /// The session of `profile` (None: $AWS_PROFILE, else `default`), then
    /// the command with `args` (`--profile` removed: the AWS CLI ignores
    /// keys in the environment when it is given one).
    Session {
        profile: Option<String>,
        args: Vec<OsString>,
    },
}

/// The AWS CLI's global options that take a value.
const VALUE_OPTIONS: [&str; 9] = [
    "--region",
    "--output",
    "--query",
    "--endpoint-url",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

fn plan(args: &[OsString]) -> Plan {
    let mut profile: Option<String> = None;
    let mut want_profile = false;
    let mut want_value = false;
    let mut sub: Option<&OsStr> = None;
    let mut last: Option<&OsStr> = None;
    let mut pass = false;
    for arg in args {
        let text = arg.to_string_lossy();
        if want_profile || want_value {
            if want_profile {
                profile = Some(text.into_owned());
            }
            want_profile = false;
            want_value = false;
            last = Some(arg);
            continue;
        }
        if text == "--profile" {
            want_profile = true;
        } else if let Some(name) = text.strip_prefix("--profile=") {
            profile = Some(name.to_string());
        } else if text == "--version" {
            pass = true;
        } else if VALUE_OPTIONS.contains(&text.as_ref()) {
            want_value = sub.is_none();
        } else if !text.starts_with('-') && sub.is_none() {
            sub = Some(arg);
        }
        last = Some(arg);
    }
    let sub = sub.map(OsStr::as_bytes).unwrap_or(b"");
    if pass
        || want_profile
        || last.is_some_and(|l| l.as_bytes() == b"help")
        || matches!(
            sub,
            b"" | b"configure" | b"help" | b"sso" | b"login" | b"logout"
        )
    {
        return Plan::AsTyped;
    }
    let args = if profile.is_some() {
        without_profile(args)
    } else {
        args.to_vec()
    };
    Plan::Session { profile, args }
}

/// `args` without `--profile X` and `--profile=X`.
fn without_profile(args: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        match arg.as_bytes() {
            b"--profile" => skip = true,
            a if a.starts_with(b"--profile=") => {}
            _ => out.push(arg.clone()),
        }
    }
    out
}

/// `NAME=value` words given to `env`.
type Assignments<'a> = Vec<(&'a OsStr, &'a OsStr)>;

/// `env`'s words: the `NAME=value` assignments and the rest, when the rest
/// starts with `cmd`; None for anything else (options of env, another
/// command, none).
fn env_words<'a>(words: &'a [OsString], cmd: &str) -> Option<(Assignments<'a>, &'a [OsString])> {
    let mut assignments = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let bytes = word.as_bytes();
        let split = bytes
            .iter()
            .position(|&b| b == b'=')
            .map(|eq| bytes.split_at(eq));
        if let Some((name, value)) = split
            && !name.is_empty()
            && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
        {
            let value = value.strip_prefix(b"=").unwrap_or(value);
            assignments.push((OsStr::from_bytes(name), OsStr::from_bytes(value)));
            continue;
        }
        return (bytes == cmd.as_bytes()).then(|| (assignments, words.get(i + 1..).unwrap_or(&[])));
    }
    None
}

pub fn run(args: WrapArgs) -> Result<ExitCode> {
    if !crate::shell::init::valid_cmd(&args.cmd) {
        return Err(Error::Other(format!(
            "invalid --cmd `{}`: use letters, digits, `_` and `-`",
            crate::sys::text::printable(&args.cmd)
        )));
    }
    let words: &[OsString] = if args.via_env {
        match env_words(&args.args, &args.cmd) {
            Some((assignments, rest)) => {
                for (name, value) in assignments {
                    // SAFETY: no other thread exists yet.
                    unsafe { std::env::set_var(name, value) };
                }
                rest
            }
            None => return exec(std::process::Command::new("env").args(&args.args), "env"),
        }
    } else {
        &args.args
    };
    let mut command = std::process::Command::new(&args.cmd);
    let Plan::Session {
        profile,
        args: rest,
    } = plan(words)
    else {
        return exec(command.args(words), &args.cmd);
    };
    let profile = crate::aws::profile::resolve_name(profile.as_deref());
    let store = Store::open()?;
    let session = match refresh::ensure(&store, &Request::reuse(&profile, None)) {
        // A profile awsesh does not sign in for (SSO, instance or web
        // identity): as typed, without the keys awsesh exported for another.
        Err(Error::NotForAwsesh { .. }) => {
            for name in EXPORTED {
                command.env_remove(name);
            }
            return exec(command.args(words), &args.cmd);
        }
        result => result?,
    };
    crate::session::child_env::give(command.args(rest), &session);
    exec(&mut command, &args.cmd)
}

fn exec(command: &mut std::process::Command, program: &str) -> Result<ExitCode> {
    let source = command.exec();
    Err(Error::Exec {
        program: program.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn what_needs_no_session_runs_as_typed() {
        for line in [
            &[][..],
            &["configure", "list"],
            &["help"],
            &["s3", "help"],
            &["--version"],
            &["sso", "login"],
            &["sts", "get-caller-identity", "--profile"],
            &["--region", "sts"],
        ] {
            assert_eq!(plan(&words(line)), Plan::AsTyped, "{line:?}");
        }
    }

    #[test]
    fn the_profile_flag_names_the_session_and_goes() {
        assert_eq!(
            plan(&words(&["--profile", "p", "s3", "ls", "--profile=q"])),
            Plan::Session {
                profile: Some("q".into()),
                args: words(&["s3", "ls"]),
            }
        );
        assert_eq!(
            plan(&words(&[
                "--region",
                "eu-west-1",
                "sts",
                "get-caller-identity"
            ])),
            Plan::Session {
                profile: None,
                args: words(&["--region", "eu-west-1", "sts", "get-caller-identity"]),
            }
        );
    }

    #[test]
    fn env_words_wrap_only_the_wrapped_command() {
        let line = words(&["AWS_PROFILE=x", "A_1=", "aws", "s3", "ls"]);
        let (assignments, rest) = env_words(&line, "aws").unwrap();
        assert_eq!(assignments.len(), 2);
        assert_eq!(assignments[0], (OsStr::new("AWS_PROFILE"), OsStr::new("x")));
        assert_eq!(rest, &words(&["s3", "ls"])[..]);
        assert!(env_words(&words(&["AWS_PROFILE=x", "terraform"]), "aws").is_none());
        assert!(env_words(&words(&["-i", "aws"]), "aws").is_none());
        assert!(env_words(&words(&[]), "aws").is_none());
    }
}
