//! `awsesh prompt`: time left for a prompt, from the first line of the session file alone — no
//! async runtime, no aws-config, no network, never a non-zero exit.

use std::process::ExitCode;

use crate::cli::ProfileArgs;
use crate::store::{dir, file, key_for};
use crate::sys::error::Result;

pub fn run(args: ProfileArgs) -> Result<ExitCode> {
    if let Some(text) = segment(args.profile.as_deref()) {
        let _ = crate::cmd::emit(&format!("{text}\n"));
    }
    Ok(ExitCode::SUCCESS)
}

fn segment(profile: Option<&str>) -> Option<String> {
    let profile = crate::aws::profile::resolve_name(profile);
    let (dir_path, _) = dir::location();
    dir::check(&dir_path).ok()?;
    let path = dir_path.join(format!("{}.session", key_for(&profile).ok()?));
    let bytes = file::read(&path).ok()??;
    let now = crate::sys::clock::now_epoch();
    let expiry = crate::sys::clock::stored_expiry(crate::store::session::stamp_of(&bytes)?, now)?;
    Some(crate::sys::duration::time_left(
        crate::sys::clock::seconds_left(expiry.unix_timestamp(), now),
    ))
}
