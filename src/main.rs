//! awsesh: parse, dispatch, turn errors into one line and an exit status.
// No panic reachable from input (files, environment, network, terminal):
// outside tests, nothing may unwrap, expect, panic or index unchecked.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod aws;
mod cli;
mod cmd;
mod hot_path;
mod iam_user;
mod keys;
mod mfa;
mod server;
mod session;
mod shell;
mod store;
mod sys;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if let Some(code) = cmd::exec::guard_if_asked() {
        return code;
    }
    cmd::completions::serve_if_asked();
    let command = match hot_path::parse(std::env::args_os()) {
        Some(hot_path::Parsed::Version) => {
            let _ = cmd::emit(&hot_path::version_text());
            return ExitCode::SUCCESS;
        }
        Some(hot_path::Parsed::Command(command)) => command,
        None => cli::Cli::parse().command,
    };
    match cmd::run(command) {
        Ok(code) => code,
        Err(err) => {
            // One line, and no control characters from names in config files.
            sys::text::say(&err.to_string());
            ExitCode::from(err.exit_code())
        }
    }
}
