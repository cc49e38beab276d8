//! `awsesh prompt`: time left for a prompt, from the first line of the session file alone — no
//! async runtime, no aws-config, no network, never a non-zero exit.
//!
//! `--held` is what the POSIX sh prompt runs (that shell has no clock and no
//! hook): the whole segment of the session the shell holds, as the other
//! shells' scripts build it themselves.

use std::process::ExitCode;

use crate::cli::PromptArgs;
use crate::store::{dir, file, key_for};
use crate::sys::error::Result;

pub fn run(args: PromptArgs) -> Result<ExitCode> {
    if args.held {
        if let Some(text) = held_segment() {
            let _ = crate::cmd::emit(&text);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(text) = segment(args.profile.profile.as_deref()) {
        let _ = crate::cmd::emit(&format!("{text}\n"));
    }
    Ok(ExitCode::SUCCESS)
}

/// `aws:11h42m `, `aws:prod 42m `, `aws:expired ` for the profile in
/// `$AWSESH_PROFILE`; None when the shell holds no session or the profile's
/// session is gone (logged out elsewhere).
fn held_segment() -> Option<String> {
    let profile = std::env::var("AWSESH_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())?;
    let left = segment(Some(&profile))?;
    Some(crate::shell::output::segment_text(&profile, &left))
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
