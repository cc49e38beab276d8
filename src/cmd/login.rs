//! `awsesh login`: start a session, prompting for the MFA code.

use std::process::ExitCode;

use crate::cli::LoginArgs;
use crate::session::refresh::{self, Request};
use crate::store::Store;
use crate::sys::error::Result;

pub fn run(args: LoginArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    let duration_secs = args
        .duration
        .as_deref()
        .map(crate::sys::duration::parse_session)
        .transpose()?;
    let store = Store::open()?;
    let margin = refresh::margin_secs()?;
    let before = store
        .load(&profile)?
        .filter(|s| !args.force && s.is_fresh(crate::sys::clock::now(), margin));
    let session = refresh::ensure(
        &store,
        &Request {
            profile: &profile,
            token_code: args.code.token_code.as_deref(),
            duration_secs,
            force: args.force,
            ..Request::reuse(&profile, None)
        },
    )?;
    let left = crate::sys::duration::time_left(session.seconds_left(crate::sys::clock::now()));
    let verb = if before.is_some() {
        "still valid, kept (use --force for a new one)"
    } else {
        "started"
    };
    crate::sys::text::say(&format!(
        "session for profile {} {verb}: {left} left, until {}",
        crate::sys::text::printable(&profile),
        crate::sys::clock::local(session.expiration)
    ));
    if let Some(format) = args.shell {
        let session = crate::session::with_region(session);
        crate::cmd::emit(&crate::shell::output::session_text(
            format, &store, &session,
        )?)?;
    }
    Ok(ExitCode::SUCCESS)
}
