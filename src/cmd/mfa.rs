//! `awsesh mfa enroll`: a virtual MFA device from the terminal.

use std::process::ExitCode;

use crate::cli::MfaCommand;
use crate::error::Result;

pub fn run(command: MfaCommand) -> Result<ExitCode> {
    match command {
        MfaCommand::Enroll(args) => crate::enroll::run(&args).map(|_| ExitCode::SUCCESS),
    }
}
