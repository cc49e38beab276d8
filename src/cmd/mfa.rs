//! `awsesh mfa enroll`: a virtual MFA device from the terminal.

use std::process::ExitCode;

use crate::cli::MfaCommand;
use crate::enroll::Existing;
use crate::error::Result;

pub fn run(command: MfaCommand) -> Result<ExitCode> {
    match command {
        MfaCommand::Enroll(args) => {
            let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
            let existing = match (args.reuse, args.replace) {
                (true, _) => Existing::Reuse,
                (_, true) => Existing::Replace,
                _ => Existing::Ask,
            };
            crate::enroll::run(&profile, args.device_name.as_deref(), existing)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
