//! `awsesh mfa enroll`: a virtual MFA device from the terminal.

use std::process::ExitCode;

use crate::cli::MfaCommand;
use crate::iam_user::enroll::Existing;
use crate::sys::error::Result;

pub fn run(command: MfaCommand) -> Result<ExitCode> {
    match command {
        MfaCommand::Enroll(args) => {
            let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
            let existing = match (args.reuse, args.replace) {
                (true, _) => Existing::Reuse,
                (_, true) => Existing::Replace,
                _ => Existing::Ask,
            };
            crate::iam_user::enroll::run(&profile, args.device_name.as_deref(), existing)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
