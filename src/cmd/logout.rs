//! `awsesh logout`: forget cached sessions; with `--shell`, print the lines
//! that unset them in the calling shell.

use std::process::ExitCode;

use crate::cli::LogoutArgs;
use crate::shell::exports::{EXPORTED, Lines, RECORDED};
use crate::store::Store;
use crate::sys::error::Result;

pub fn run(args: LogoutArgs) -> Result<ExitCode> {
    let store = Store::open()?;
    let profiles: Vec<String> = if args.all {
        let (profiles, others) = store.remove_all()?;
        for profile in &profiles {
            let name = crate::sys::text::printable(profile);
            crate::sys::text::say(&format!("logged out of profile {name}"));
        }
        if others > 0 {
            crate::sys::text::say(&format!(
                "removed {others} unusable or leftover session files"
            ));
        }
        if profiles.is_empty() && others == 0 {
            crate::sys::text::say("no sessions");
        }
        profiles
    } else {
        let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
        let name = crate::sys::text::printable(&profile);
        if store.remove(&profile)? {
            crate::sys::text::say(&format!("logged out of profile {name}"));
        } else {
            crate::sys::text::say(&format!("no session for profile {name}"));
        }
        vec![profile]
    };
    if let Some(shell) = args.shell {
        let owned = std::env::var("AWSESH_PROFILE").ok();
        // Only unset what belongs to a session we just removed.
        if args.all
            || owned
                .as_deref()
                .is_some_and(|p| profiles.iter().any(|q| q == p))
        {
            let mut lines = Lines::new(shell);
            lines.unset(&EXPORTED).unset(&RECORDED);
            crate::cmd::emit(&lines.finish())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
