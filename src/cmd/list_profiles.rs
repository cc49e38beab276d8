//! `awsesh list-profiles` (hidden): every configured profile's name, one per
//! line, for the completion of the wrapped `aws --profile`.

use std::process::ExitCode;

use crate::sys::error::Result;

pub fn run() -> Result<ExitCode> {
    let mut out = String::new();
    for name in crate::aws::profile::names()? {
        out.push_str(&name);
        out.push('\n');
    }
    crate::cmd::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
