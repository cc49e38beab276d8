//! awsesh: parse, dispatch, turn errors into one line and an exit status.

mod cli;
mod cmd;
mod discovery;
mod duration;
mod error;
mod mfa;
mod output;
mod profile;
mod refresh;
mod role;
mod secret;
mod server;
mod shell;
mod store;
mod sts;
mod supervise;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            // One line, and no control characters from names in config files.
            eprintln!("awsesh: {}", mfa::printable(&err.to_string()));
            ExitCode::from(err.exit_code())
        }
    }
}
