//! `awsesh completions <shell>`: generated from the clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;

/// The CLI as users see it: clap_complete would otherwise offer hidden
/// subcommands and flags (the shell hook's `hook-sync`, the wrapper's
/// `--pass-other-sign-in`) too.
fn visible_cli() -> clap::Command {
    let full = Cli::command();
    let visible = full
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| {
            let args = sub
                .get_arguments()
                .filter(|arg| !arg.is_hide_set())
                .cloned();
            let cleaned = clap::Command::new(sub.get_name().to_string()).args(args);
            match sub.get_about() {
                Some(about) => cleaned.about(about.clone()),
                None => cleaned,
            }
        });
    let cli = clap::Command::new("awsesh")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommands(visible);
    match full.get_about() {
        Some(about) => cli.about(about.clone()),
        None => cli,
    }
}

pub fn run(args: CompletionsArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut visible_cli(), "awsesh", &mut out);
    crate::cmd::emit(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}
