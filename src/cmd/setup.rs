use crate::cli::ProfileArgs;
use crate::error::Result;
use std::process::ExitCode;
pub fn run(_args: ProfileArgs) -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
