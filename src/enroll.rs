//! placeholder
use crate::cli::EnrollArgs;
use crate::error::Result;
pub fn run(_args: &EnrollArgs) -> Result<()> {
    Ok(())
}
