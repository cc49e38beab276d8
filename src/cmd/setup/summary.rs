//! setup's last lines: what is done, what is not, and what the user types
//! next — in the syntax of their shell, with the profile name quoted for it.

use crate::shell::{Shell, quote};
use crate::sys::text::say;

/// Where the shell line stands after setup's shell step.
pub enum ShellOutcome {
    /// The rc file loads awsesh: it did already, or the line was just added.
    Loaded {
        shell: Shell,
        line: &'static str,
        rc: String,
        added: bool,
    },
    /// Not loaded; `todo` says what to add where.
    NotLoaded { shell: Option<Shell>, todo: String },
}

/// What setup found or did, step by step.
pub struct Report<'a> {
    pub profile: &'a str,
    /// Where the keys are, e.g. "its key AKIA… in the OS keyring".
    pub keys: String,
    pub region: Option<String>,
    /// The MFA device, or why none is needed; None when none is pinned yet.
    pub mfa: Option<String>,
    pub shell: ShellOutcome,
}

/// A value as the user's shell reads it back: bare when it is plain, else quoted.
fn word(shell: Shell, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if plain {
        value.to_string()
    } else {
        quote::for_shell(shell, value)
    }
}

/// The command that makes the profile the shell's own.
fn select_profile(shell: Shell, profile: &str) -> String {
    let value = word(shell, profile);
    match shell {
        Shell::Fish => format!("set -gx AWS_PROFILE {value}"),
        Shell::Tcsh => format!("setenv AWS_PROFILE {value}"),
        Shell::Elvish => format!("set-env AWS_PROFILE {value}"),
        Shell::Bash | Shell::Zsh | Shell::Posix => format!("export AWS_PROFILE={value}"),
        // A Python expression: even a plain name needs its quotes.
        Shell::Xonsh => format!("$AWS_PROFILE = {}", quote::xonsh(profile)),
        Shell::Nushell => format!("$env.AWS_PROFILE = {value}"),
    }
}

/// The lines, without the `awsesh: ` prefix `say` adds.
pub fn lines(report: &Report) -> Vec<String> {
    let p = crate::sys::text::printable(report.profile);
    let mut done = vec![report.keys.clone()];
    let mut missing = Vec::new();
    match &report.region {
        Some(region) => done.push(format!("region {region}")),
        None => missing.push(format!(
            "profile {p} has no region, so `aws` stops with \"You must specify a region\"; run `awsesh setup --profile {} --region REGION` (e.g. us-east-1)",
            crate::sys::text::shell_word(report.profile)
        )),
    }
    match &report.mfa {
        Some(mfa) => done.push(mfa.clone()),
        None => missing.push(format!(
            "no MFA device is pinned for profile {p}; run `awsesh setup --profile {}` again once it has a region",
            crate::sys::text::shell_word(report.profile)
        )),
    }
    let shell = match &report.shell {
        ShellOutcome::Loaded { shell, rc, .. } => {
            done.push(format!("{rc} loads awsesh"));
            Some(*shell)
        }
        ShellOutcome::NotLoaded { shell, todo } => {
            missing.push(format!(
                "the shell integration is not loaded, so `aws` will not ask for the MFA code by itself; {todo}"
            ));
            *shell
        }
    };
    let mut out = vec![format!("done: profile {p}: {}", done.join(", "))];
    if !missing.is_empty() {
        out.extend(missing.into_iter().map(|m| format!("not done: {m}")));
        return out;
    }
    let mut next = Vec::new();
    if let ShellOutcome::Loaded {
        line, added: true, ..
    } = &report.shell
    {
        next.push(format!("open a new terminal (or run `{line}` in this one)"));
    }
    if report.profile != "default" {
        let one_command = format!(
            "`aws --profile {} …` for one command",
            word(shell.unwrap_or(Shell::Posix), report.profile)
        );
        match shell {
            Some(shell) => next.push(format!(
                "type `{}` (or use {one_command})",
                select_profile(shell, report.profile)
            )),
            None => next.push(format!("use {one_command}")),
        }
    }
    next.push("`aws sts get-caller-identity` asks for the MFA code and runs".to_string());
    out.push(format!("next: {}", next.join(", then ")));
    out
}

pub fn print(report: &Report) {
    for line in lines(report) {
        say(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(profile: &str, shell: ShellOutcome) -> Vec<String> {
        lines(&Report {
            profile,
            keys: "key AKIAEXAMPLE in the OS keyring".into(),
            region: Some("eu-west-1".into()),
            mfa: Some("MFA device arn:aws:iam::1:mfa/a".into()),
            shell,
        })
    }

    fn loaded(shell: Shell, added: bool) -> ShellOutcome {
        ShellOutcome::Loaded {
            shell,
            line: crate::shell::init::init_line(shell).0,
            rc: "/h/.rc".into(),
            added,
        }
    }

    #[test]
    fn the_next_step_selects_the_profile_in_the_users_shell() {
        let bash = report("bob", loaded(Shell::Bash, true));
        assert_eq!(
            bash,
            [
                "done: profile bob: key AKIAEXAMPLE in the OS keyring, region eu-west-1, MFA device arn:aws:iam::1:mfa/a, /h/.rc loads awsesh",
                "next: open a new terminal (or run `eval \"$(awsesh init bash)\"` in this one), then type `export AWS_PROFILE=bob` (or use `aws --profile bob …` for one command), then `aws sts get-caller-identity` asks for the MFA code and runs",
            ]
        );
        let tcsh = report("bob", loaded(Shell::Tcsh, false));
        assert!(
            tcsh[1].contains("type `setenv AWS_PROFILE bob`"),
            "{tcsh:?}"
        );
        assert!(!tcsh[1].contains("new terminal"), "{tcsh:?}");
        // Names the AWS tools accept but a shell would read: quoted for it.
        let posix = report("team@x+y", loaded(Shell::Zsh, false));
        assert!(
            posix[1]
                .contains("`export AWS_PROFILE='team@x+y'` (or use `aws --profile 'team@x+y' …`"),
            "{posix:?}"
        );
        let fish = report("it's", loaded(Shell::Fish, false));
        assert!(
            fish[1].contains(r"`set -gx AWS_PROFILE 'it\'s'`"),
            "{fish:?}"
        );
        let elvish = report("it's", loaded(Shell::Elvish, false));
        assert!(
            elvish[1].contains("`set-env AWS_PROFILE 'it''s'` (or use `aws --profile 'it''s' …`"),
            "{elvish:?}"
        );
        let nu = report("team@x+y", loaded(Shell::Nushell, false));
        assert!(
            nu[1].contains(
                r#"`$env.AWS_PROFILE = "team@x+y"` (or use `aws --profile "team@x+y" …`"#
            ),
            "{nu:?}"
        );
        let default = report("default", loaded(Shell::Bash, false));
        assert_eq!(
            default[1],
            "next: `aws sts get-caller-identity` asks for the MFA code and runs"
        );
    }

    #[test]
    fn a_declined_shell_line_is_not_done_and_nothing_says_next() {
        let out = report(
            "bob",
            ShellOutcome::NotLoaded {
                shell: Some(Shell::Bash),
                todo: "add `eval \"$(awsesh init bash)\"` to /h/.bashrc, then open a new terminal"
                    .into(),
            },
        );
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].starts_with("done: profile bob: key"), "{out:?}");
        assert_eq!(
            out[1],
            "not done: the shell integration is not loaded, so `aws` will not ask for the MFA code by itself; add `eval \"$(awsesh init bash)\"` to /h/.bashrc, then open a new terminal"
        );
    }
}
