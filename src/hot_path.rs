//! The hot calls — what the shell hook, the prompt and SDKs run, again and
//! again — parsed by hand before clap builds its command tree (mise does the
//! same). Only the plain shapes those callers use are taken here; anything
//! else (`--help`, an unknown or repeated flag, a value clap might read
//! differently) returns None and goes to clap, which parses it or says why
//! not. What is taken becomes the very `Command` clap would have built, so
//! the same code runs after parsing and the output cannot differ.

use std::ffi::OsString;

use crate::cli::{CodeArgs, Command, EnvArgs, HookSyncArgs, ProfileArgs, PromptArgs, StatusArgs};
use crate::shell::{OutputFormat, Shell};

/// What a hot call asks for.
#[derive(Debug)]
pub enum Parsed {
    /// `awsesh --version` / `-V`
    Version,
    Command(Command),
}

/// What `--version` prints, as clap prints it.
pub fn version_text() -> String {
    format!("awsesh {}\n", env!("CARGO_PKG_VERSION"))
}

/// The parsed call, or None when clap must parse it.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Option<Parsed> {
    // Tests run each call both ways and compare; release builds have no switch.
    if cfg!(debug_assertions) && std::env::var_os("AWSESH_TEST_SLOW_PATH").is_some() {
        return None;
    }
    let mut args = args.into_iter().skip(1);
    let sub = args.next()?.into_string().ok()?;
    let mut flags = Flags::read(args)?;
    let parsed = match sub.as_str() {
        "--version" | "-V" if flags.is_empty() => Parsed::Version,
        "prompt" => {
            let profile = flags.profile();
            let held = flags.switch("--held");
            // `--held` conflicts with `--profile`: clap says so.
            if held && profile.profile.is_some() {
                return None;
            }
            Parsed::Command(Command::Prompt(PromptArgs { profile, held }))
        }
        "credential-process" => Parsed::Command(Command::CredentialProcess(flags.profile())),
        "env" => Parsed::Command(Command::Env(EnvArgs {
            profile: flags.profile(),
            shell: match flags.take("--shell") {
                Some(value) => format_of(&value)?,
                None => OutputFormat::Bash,
            },
            ensure: flags.switch("--ensure"),
            code: CodeArgs::default(),
            pass_other_sign_in: flags.switch("--pass-other-sign-in"),
        })),
        "status" => {
            let profile = flags.profile();
            let all = flags.switch("--all");
            // `--all` conflicts with `--profile`: clap says so.
            if all && profile.profile.is_some() {
                return None;
            }
            Parsed::Command(Command::Status(StatusArgs {
                profile,
                all,
                json: flags.switch("--json"),
            }))
        }
        "hook-sync" => Parsed::Command(Command::HookSync(HookSyncArgs {
            profile: flags.profile(),
            shell: shell_of(&flags.take("--shell")?)?,
        })),
        _ => return None,
    };
    // A flag this subcommand does not have: clap says so.
    flags.is_empty().then_some(parsed)
}

fn format_of(value: &str) -> Option<OutputFormat> {
    Some(match value {
        "json" => OutputFormat::Json,
        shell => match shell_of(shell)? {
            Shell::Bash => OutputFormat::Bash,
            Shell::Zsh => OutputFormat::Zsh,
            Shell::Fish => OutputFormat::Fish,
            Shell::Posix => OutputFormat::Posix,
            Shell::Tcsh => OutputFormat::Tcsh,
            Shell::Xonsh => OutputFormat::Xonsh,
            Shell::Elvish => OutputFormat::Elvish,
            Shell::Nushell => OutputFormat::Nushell,
        },
    })
}

fn shell_of(value: &str) -> Option<Shell> {
    match value {
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        "posix" => Some(Shell::Posix),
        "tcsh" => Some(Shell::Tcsh),
        "xonsh" => Some(Shell::Xonsh),
        "elvish" => Some(Shell::Elvish),
        "nushell" => Some(Shell::Nushell),
        _ => None,
    }
}

/// The flags after the subcommand, each at most once: `--name`, or
/// `--name VALUE` / `--name=VALUE` for the ones that take a value.
struct Flags(Vec<(&'static str, Option<String>)>);

/// Flags the fast path knows, with whether they take a value. Which of them a
/// subcommand has is decided by `parse`, which takes each one it accepts.
const KNOWN: [(&str, bool); 7] = [
    ("--profile", true),
    ("--shell", true),
    ("--ensure", false),
    ("--pass-other-sign-in", false),
    ("--all", false),
    ("--json", false),
    ("--held", false),
];

impl Flags {
    fn read(args: impl Iterator<Item = OsString>) -> Option<Flags> {
        let mut args = args.map(OsString::into_string);
        let mut flags: Vec<(&'static str, Option<String>)> = Vec::new();
        while let Some(arg) = args.next() {
            let arg = arg.ok()?;
            let (given, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let given = if given == "-p" { "--profile" } else { given };
            let (name, takes_value) = KNOWN.into_iter().find(|(name, _)| *name == given)?;
            let value = match (takes_value, inline) {
                (false, None) => None,
                (false, Some(_)) => return None,
                (true, Some(value)) => Some(value),
                (true, None) => Some(args.next()?.ok()?),
            };
            // A value clap could read as a flag, a repeated flag: clap decides.
            if value.as_deref().is_some_and(|v| v.starts_with('-'))
                || flags.iter().any(|(seen, _)| *seen == name)
            {
                return None;
            }
            flags.push((name, value));
        }
        Some(Flags(flags))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes a flag that takes a value and returns the value.
    fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(seen, _)| *seen == name)?;
        self.0.remove(at).1
    }

    /// Removes a switch and says whether it was given.
    fn switch(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|(seen, _)| *seen != name);
        self.0.len() != before
    }

    fn profile(&mut self) -> ProfileArgs {
        ProfileArgs {
            profile: self.take("--profile"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    /// What clap makes of argv: the command, or the text it would print and
    /// exit with (an error, help, or the version).
    fn by_clap(argv: &[String]) -> Result<String, String> {
        crate::cli::Cli::try_parse_from(argv)
            .map(|cli| format!("{:?}", cli.command))
            .map_err(|e| e.render().to_string())
    }

    fn by_fast(argv: &[String]) -> Option<Parsed> {
        parse(argv.iter().map(OsString::from))
    }

    /// Arguments of every shape the hot callers use and of the shapes around
    /// them that clap reads differently or refuses.
    fn corpus() -> Vec<Vec<String>> {
        let subs = [
            "prompt",
            "env",
            "status",
            "hook-sync",
            "credential-process",
            "login",
            "logout",
            "--version",
            "-V",
            "--help",
            "promp",
        ];
        let pieces: Vec<Vec<&str>> = vec![
            vec![],
            vec!["--profile", "dev"],
            vec!["--profile=dev"],
            vec!["-p", "prod-eu"],
            vec!["-pdev"],
            vec!["-p=dev"],
            vec!["--profile", "a b=c"],
            vec!["--profile=a=b"],
            vec!["--profile", "-x"],
            vec!["--profile=-x"],
            vec!["--profile", ""],
            vec!["--profile="],
            vec!["--profile"],
            vec!["--profile", "p\u{e9}"],
            vec!["--shell", "bash"],
            vec!["--shell", "zsh"],
            vec!["--shell=fish"],
            vec!["--shell", "json"],
            vec!["--shell", "Bash"],
            vec!["--shell", "csh"],
            vec!["--shell"],
            vec!["--ensure"],
            vec!["--ensure=true"],
            vec!["--pass-other-sign-in"],
            vec!["--all"],
            vec!["--json"],
            vec!["--token-code", "123456"],
            vec!["--help"],
            vec!["-h"],
            vec!["--version"],
            vec!["--"],
            vec!["extra"],
        ];
        let mut all = Vec::new();
        for sub in subs {
            for a in &pieces {
                for b in &pieces {
                    let mut argv = vec!["awsesh".to_owned(), sub.to_owned()];
                    argv.extend(a.iter().chain(b).map(|s| (*s).to_owned()));
                    all.push(argv);
                }
            }
        }
        all.push(vec!["awsesh".to_owned()]);
        all
    }

    #[test]
    fn every_call_the_fast_path_takes_is_the_command_clap_builds() {
        let mut taken = 0;
        for argv in corpus() {
            let Some(fast) = by_fast(&argv) else {
                continue;
            };
            taken += 1;
            match (fast, by_clap(&argv)) {
                (Parsed::Command(command), Ok(clap)) => {
                    assert_eq!(format!("{command:?}"), clap, "argv {argv:?}")
                }
                (Parsed::Version, Err(printed)) => {
                    assert_eq!(version_text(), printed, "argv {argv:?}")
                }
                (fast, clap) => panic!("argv {argv:?}: fast path {fast:?}, clap {clap:?}"),
            }
        }
        // The shapes of the hot callers are all in the corpus and taken.
        assert!(taken > 200, "the fast path took only {taken} calls");
    }

    #[test]
    fn calls_clap_refuses_are_left_to_clap() {
        for argv in corpus() {
            if let Err(printed) = by_clap(&argv)
                && !printed.starts_with("awsesh ")
            {
                assert!(
                    by_fast(&argv).is_none(),
                    "argv {argv:?} taken; clap: {printed}"
                );
            }
        }
    }

    #[test]
    fn the_calls_of_the_shell_hooks_and_sdks_are_taken() {
        let hot: [&[&str]; 8] = [
            &["prompt"],
            &["prompt", "--profile", "prod"],
            &["env"],
            &["env", "--shell", "fish", "--profile", "x"],
            &[
                "env",
                "--ensure",
                "--pass-other-sign-in",
                "--shell",
                "bash",
                "--profile",
                "p",
            ],
            &["status", "--all", "--json"],
            &["hook-sync", "--shell", "zsh", "--profile", "dev"],
            &["credential-process", "--profile", "ci"],
        ];
        for args in hot {
            let argv: Vec<String> = std::iter::once("awsesh")
                .chain(args.iter().copied())
                .map(str::to_owned)
                .collect();
            assert!(by_fast(&argv).is_some(), "{argv:?} goes through clap");
        }
        assert!(matches!(
            by_fast(&["awsesh".to_owned(), "--version".to_owned()]),
            Some(Parsed::Version)
        ));
    }

    #[test]
    fn version_is_the_one_clap_prints() {
        let clap = crate::cli::Cli::command().render_version();
        assert_eq!(version_text(), clap.to_string());
    }
}
