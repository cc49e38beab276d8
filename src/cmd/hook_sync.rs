//! `awsesh hook-sync` (hidden): what the shell hook runs when its profile
//! changed or the stamp file says another process changed the session. It
//! prints the session's exports, or unsets the ones awsesh owns, plus the
//! hook's bookkeeping. Always exits 0 so a prompt never breaks.

use std::process::ExitCode;

use crate::cli::HookSyncArgs;
use crate::error::Result;
use crate::shell::exports::{EXPORTED, Lines};
use crate::store::Store;

pub fn run(args: HookSyncArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
    let Ok(store) = Store::open() else {
        return Ok(ExitCode::SUCCESS);
    };
    let Ok(session) = store.load(&profile) else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut lines = Lines::new(args.shell);
    match session {
        Some(session) => {
            lines.session(&session);
        }
        None => {
            if std::env::var_os("AWSESH_PROFILE").is_some() {
                lines.unset(&EXPORTED);
            }
            lines.unset(&["_AWSESH_EXP"]);
        }
    }
    if crate::output::hook_vars(&mut lines, &store, &profile).is_ok() {
        let _ = crate::cmd::emit(&lines.finish());
    }
    Ok(ExitCode::SUCCESS)
}
