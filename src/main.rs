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

mod block;
mod cancel;
mod child;
mod cli;
mod clock;
mod cmd;
mod desktop;
mod discovery;
mod duration;
mod enroll;
mod error;
mod fast;
mod iam;
mod ini_edit;
mod keys;
mod kind;
mod longterm;
mod mfa;
mod net;
mod output;
mod partition;
mod profile;
mod refresh;
mod role;
mod rotate;
mod secret;
mod server;
mod shell;
mod start;
mod store;
mod sts;
mod supervise;
mod terminal;
mod text;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cmd::completions::serve_if_asked();
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
            crate::text::say(&err.to_string());
            ExitCode::from(err.exit_code())
        }
    }
}
