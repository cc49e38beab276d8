//! `awsesh hook-sync` (hidden): what the shell hook runs when its profile
//! changed or the stamp file says another process changed the session. It
//! prints the session's exports, or the lines that drop what the shell holds,
//! plus the hook's bookkeeping. Always exits 0 and always prints something,
//! so a prompt never breaks and a shell never keeps a previous profile's keys:
//! a profile name awsesh rejects, an unusable runtime directory or an
//! unreadable session all end in the drop lines.

use std::process::ExitCode;

use crate::cli::HookSyncArgs;
use crate::shell::Shell;
use crate::shell::exports::{EXPORTED, Lines, RECORDED};
use crate::store::Store;
use crate::sys::error::Result;

pub fn run(args: HookSyncArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    let text = match lines_for(args.shell, &profile) {
        Some(lines) => lines,
        None => {
            let mut lines = Lines::new(args.shell);
            drop_held(&mut lines);
            // No stamp to poll: nothing awsesh could write for this name.
            lines.unset(&["_AWSESH_STAMP"]);
            if args.shell == Shell::Tcsh {
                lines.set_private("AWSESH_PROMPT_SEGMENT", "");
            }
            lines
        }
    };
    let _ = crate::cmd::emit(&text.finish());
    Ok(ExitCode::SUCCESS)
}

/// The session's lines, or the drop lines and the stamp to poll when there is
/// no usable session; None when the profile or the store cannot be used.
fn lines_for(shell: Shell, profile: &str) -> Option<Lines> {
    let store = Store::open().ok()?;
    // Checks the name first: a rejected one has no stamp.
    store.session_path(profile).ok()?;
    let mut lines = Lines::new(shell);
    let mut left = None;
    let now = crate::sys::clock::now();
    match store.load(profile) {
        Ok(Some(session)) if session.seconds_left(now) > 0 => {
            lines.session(&session);
            lines.set_private(
                "_AWSESH_REGION",
                &crate::shell::output::region_for_children(profile),
            );
            left = Some(crate::sys::duration::time_left(session.seconds_left(now)));
        }
        Ok(Some(expired)) => {
            // Shown as `expired` at the prompt; its keys are not exported.
            drop_held(&mut lines);
            lines.set_private("_AWSESH_EXP", &expired.expiration_epoch().to_string());
            left = Some(crate::sys::duration::time_left(0));
        }
        Ok(None) | Err(_) => drop_held(&mut lines),
    }
    crate::shell::output::hook_vars(&mut lines, &store, profile).ok()?;
    if shell == Shell::Tcsh {
        // tcsh has no clock: the segment comes with the hook's lines.
        let segment = left
            .map(|left| crate::shell::output::segment_text(profile, &left))
            .unwrap_or_default();
        lines.set_private("AWSESH_PROMPT_SEGMENT", &segment);
    }
    Some(lines)
}

/// Unsets what the shell holds: the exports only when they are awsesh's
/// (`AWSESH_PROFILE` set), so keys the user exported by hand stay.
fn drop_held(lines: &mut Lines) {
    if std::env::var_os("AWSESH_PROFILE").is_some() {
        lines.unset(&EXPORTED);
    }
    lines.unset(&RECORDED);
}
