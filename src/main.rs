//! awsesh: parse, dispatch, turn errors into one line and an exit status.

mod cli;
mod cmd;
mod discovery;
mod duration;
mod error;
mod fast;
mod mfa;
mod output;
mod profile;
mod refresh;
mod role;
mod secret;
mod shell;
mod store;
mod sts;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let command = match fast::parse(std::env::args_os()) {
        Some(fast::Parsed::Version) => {
            let _ = cmd::emit(&fast::version_text());
            return ExitCode::SUCCESS;
        }
        Some(fast::Parsed::Command(command)) => command,
        None => cli::Cli::parse().command,
    };
    match cmd::run(command) {
        Ok(code) => code,
        Err(err) => {
            // One line, and no control characters from names in config files.
            eprintln!("awsesh: {}", mfa::printable(&err.to_string()));
            ExitCode::from(err.exit_code())
        }
    }
}
