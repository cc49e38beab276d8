//! `awsesh completions <shell>`: generated from the clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;

pub fn run(args: CompletionsArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "awsesh", &mut out);
    crate::cmd::emit(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}
