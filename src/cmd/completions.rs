//! Shell completion for awsesh itself, through clap_complete's dynamic
//! completion: `awsesh completions <shell>` prints a small registration
//! script; at each TAB the shell runs `awsesh` again with `_AWSESH_COMPLETE`
//! set, and the candidates come from the same clap definition the parser
//! uses — profile names included, read from the config files only then.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::env::{CompleteEnv, EnvCompleter, Shells};

use crate::cli::{Cli, CompletionShell, CompletionsArgs};
use crate::sys::error::{Error, Result};

/// The variable that turns a run of awsesh into a completion request. Not
/// clap's default `COMPLETE`, which a user may well have set for other reasons.
const VAR: &str = "_AWSESH_COMPLETE";

/// Answers a completion request and exits, when this run is one; otherwise
/// returns at once (one environment lookup).
pub fn serve_if_asked() {
    CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .bin("awsesh")
        .completer("awsesh")
        .complete();
}

/// zsh: the registration defines `_clap_dynamic_completer_awsesh` and calls
/// `compdef`. Installed as `_awsesh` in $fpath, that body runs as the
/// completion function on the first TAB, which would then complete nothing;
/// this line makes that first TAB complete too.
const ZSH_FIRST_TAB: &str = "if [[ ${funcstack[1]-} == _awsesh ]]; then\n    \
     _clap_dynamic_completer_awsesh \"$@\"\nfi\n";

/// bash: clap's registration hands bash's COMP_WORDS over as they are, split
/// at `=` and `:` too, so `--profile=pro<TAB>` and `a:b` would not complete;
/// this one speaks the same protocol with the words split at blanks.
const BASH: &str = include_str!("../../shell/completion.bash");

pub fn run(args: CompletionsArgs) -> Result<ExitCode> {
    let shell = match args.shell {
        CompletionShell::Bash => {
            crate::cmd::emit(BASH)?;
            return Ok(ExitCode::SUCCESS);
        }
        // nushell has no dynamic protocol in clap_complete: its `extern`
        // declarations of every subcommand and flag, generated from the same
        // clap definition (profile names are not offered).
        CompletionShell::Nushell => {
            crate::cmd::emit(&nushell())?;
            return Ok(ExitCode::SUCCESS);
        }
        CompletionShell::Elvish => clap_complete::Shell::Elvish,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::Powershell => clap_complete::Shell::PowerShell,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
    };
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer: &dyn EnvCompleter = shells
        .completer(&name)
        .ok_or_else(|| Error::Other(format!("no completions for {name}")))?;
    let mut out = Vec::new();
    completer
        .write_registration(VAR, "awsesh", "awsesh", "awsesh", &mut out)
        .map_err(|e| Error::io("cannot write the completions", e))?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if shell == clap_complete::Shell::Zsh {
        text.push_str(ZSH_FIRST_TAB);
    }
    crate::cmd::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The `extern` declarations, less those that would take a command line
/// from the `awsesh` wrapper of `awsesh init nushell` (nushell runs the
/// longest declared name: an `extern "awsesh login"` would run `awsesh login`
/// past the wrapper, which loads the session into the shell) and those of
/// hidden subcommands.
fn nushell() -> String {
    let mut out = Vec::new();
    clap_complete::generate(
        clap_complete_nushell::Nushell,
        &mut Cli::command(),
        "awsesh",
        &mut out,
    );
    let text = String::from_utf8_lossy(&out);
    let mut dropped: Vec<String> = [
        "awsesh",
        "\"awsesh login\"",
        "\"awsesh logout\"",
        "\"awsesh doctor\"",
    ]
    .map(String::from)
    .to_vec();
    for sub in Cli::command().get_subcommands().filter(|s| s.is_hide_set()) {
        dropped.push(format!("\"awsesh {}\"", sub.get_name()));
        dropped.push(format!("\"awsesh help {}\"", sub.get_name()));
    }
    let mut kept = String::with_capacity(text.len());
    let mut comments = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if skipping {
            skipping = line != "  ]";
            continue;
        }
        if line.trim_start().starts_with('#') {
            comments.push_str(line);
            comments.push('\n');
            continue;
        }
        let name = line
            .strip_prefix("  export extern ")
            .and_then(|rest| rest.strip_suffix(" ["));
        if name.is_some_and(|name| dropped.iter().any(|d| d == name)) {
            comments.clear();
            skipping = true;
            continue;
        }
        kept.push_str(&comments);
        comments.clear();
        kept.push_str(line);
        kept.push('\n');
    }
    kept.push_str(&comments);
    kept
}
