//! `awsesh env`: the cached session as shell exports or JSON; with `--ensure`
//! the refresh protocol runs first.

use std::process::ExitCode;

use crate::cli::EnvArgs;
use crate::session::refresh::{self, Request};
use crate::store::Store;
use crate::sys::error::{Error, Result};

pub fn run(args: EnvArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    let store = Store::open()?;
    let session = if args.ensure {
        match refresh::ensure(
            &store,
            &Request::reuse(&profile, args.code.token_code.as_deref()),
        ) {
            Err(e @ Error::NotForAwsesh { .. }) if args.pass_other_sign_in => {
                return Ok(ExitCode::from(e.exit_code()));
            }
            result => result?,
        }
    } else {
        store
            .load(&profile)?
            .filter(|s| s.seconds_left(crate::sys::clock::now()) > 0)
            .ok_or_else(|| crate::session::no_session_error(&profile))?
    };
    let session = crate::session::with_region(session);
    crate::cmd::emit(&crate::shell::output::session_text(
        args.shell, &store, &session,
    )?)?;
    Ok(ExitCode::SUCCESS)
}
