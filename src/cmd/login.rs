//! `awsesh login`: start a session, prompting for the MFA code.

use std::process::ExitCode;

use crate::cli::LoginArgs;
use crate::error::Result;
use crate::refresh::{self, Request};
use crate::store::Store;

pub fn run(args: LoginArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
    let duration_secs = args
        .duration
        .as_deref()
        .map(crate::duration::parse_session)
        .transpose()?;
    let store = Store::open()?;
    let margin = refresh::margin_secs()?;
    let before = store
        .load(&profile)?
        .filter(|s| !args.force && s.is_fresh(crate::clock::now(), margin));
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
    let left = crate::duration::time_left(session.seconds_left(crate::clock::now()));
    let verb = if before.is_some() {
        "still valid, kept (use --force for a new one)"
    } else {
        "started"
    };
    crate::text::say(&format!(
        "session for profile {} {verb}: {left} left, until {}",
        crate::text::printable(&profile),
        crate::cmd::status::local_time(session.expiration)
    ));
    if let Some(format) = args.shell {
        crate::cmd::emit(&crate::output::session_text(format, &store, &session)?)?;
    }
    Ok(ExitCode::SUCCESS)
}
